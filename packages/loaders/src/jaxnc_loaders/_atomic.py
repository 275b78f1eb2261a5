"""Atomic file writes: a temporary file in the destination's folder, fsynced, then renamed over it."""

from __future__ import annotations

import contextlib
import os
import pathlib
import tempfile
from collections.abc import Iterator
from typing import BinaryIO


def publish(tmp: str | os.PathLike, path: str | os.PathLike) -> None:
    """Makes a finished temporary file visible at `path` in one step (readers see old or new, never half)."""
    os.chmod(
        tmp, 0o644
    )  # NB: mkstemp makes files 0600; a written file should read like any other
    os.replace(tmp, path)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """Yields a binary file; on success it replaces `path`, on any error `path` is left untouched."""
    path = pathlib.Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        publish(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
