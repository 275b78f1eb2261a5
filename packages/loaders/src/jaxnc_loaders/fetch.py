"""Cached downloads: one file per URL in the user cache, resumed with HTTP Range, hash-checked, locked, renamed atomically."""

from __future__ import annotations

import hashlib
import http.client
import os
import pathlib
import re
import time
import urllib.error
import urllib.parse
import urllib.request

import filelock
import platformdirs
from tqdm.auto import tqdm

from jaxnc_loaders._atomic import publish

__all__ = ["FetchError", "cached_fetch", "default_cache_dir"]

_ATTEMPTS = 5  # connections tried per download; each one resumes where the last stopped
_TIMEOUT = 30.0  # seconds without a byte before a connection counts as dropped
_CHUNK = 1 << 20


class FetchError(OSError):
    """A download that failed (HTTP error, too many dropped connections, wrong hash) or was forbidden offline."""


def default_cache_dir() -> pathlib.Path:
    """The download cache: `$JAXNC_CACHE_DIR` if set, else the user cache dir (platformdirs) + "downloads"."""
    override = os.environ.get("JAXNC_CACHE_DIR")
    return (
        pathlib.Path(override)
        if override
        else pathlib.Path(platformdirs.user_cache_dir("jaxnc")) / "downloads"
    )


def _offline() -> bool:
    return os.environ.get("JAXNC_OFFLINE", "").strip() not in ("", "0")


def _entry_name(url: str) -> str:
    """A file name that is unique per URL and still says what the file is."""
    base = os.path.basename(urllib.parse.urlsplit(url).path) or "index"
    base = re.sub(r"[^A-Za-z0-9._-]", "_", base)[-100:]
    return f"{hashlib.sha256(url.encode()).hexdigest()[:16]}-{base}"


def _sha256_of(path: pathlib.Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def cached_fetch(
    url: str,
    *,
    sha256: str | None = None,
    cache_dir: str | os.PathLike | None = None,
    progress: bool = True,
) -> pathlib.Path:
    """Returns a local path holding the bytes at `url`, downloading them once.

    The download goes to `<entry>.part` (kept across failures, so the next try resumes with an HTTP
    Range request) and is renamed into place only when complete and, if `sha256` is given, verified.
    A lock file serializes processes fetching the same entry.

    Args:
      url: an http:// or https:// URL.
      sha256: the expected hex digest; checked after downloading and on every cache hit.
      cache_dir: where entries live (default: `default_cache_dir()`).
      progress: show a tqdm progress bar while downloading.

    Returns:
      The path of the cached file.

    Raises:
      FetchError: an HTTP error, a connection that kept dropping, a hash mismatch, or a cache miss
        while `JAXNC_OFFLINE=1`.
    """
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme not in ("http", "https"):
        raise FetchError(
            f"cannot fetch {url!r}: scheme {scheme!r}; expected http or https"
        )
    if sha256 is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", sha256):
        raise ValueError(f"sha256={sha256!r} is not a digest; expected 64 hex digits")
    expected = sha256.lower() if sha256 else None
    folder = pathlib.Path(cache_dir) if cache_dir is not None else default_cache_dir()
    path = folder / _entry_name(url)

    def cached() -> bool:
        return path.is_file() and (expected is None or _sha256_of(path) == expected)

    if cached():
        return path
    if _offline():
        state = "holds a file with another sha256" if path.exists() else "has no copy"
        raise FetchError(
            f"JAXNC_OFFLINE is set and the cache {state} of {url} (looked at {path}); expected it cached"
        )
    folder.mkdir(parents=True, exist_ok=True)
    with filelock.FileLock(str(path) + ".lock"):
        if cached():  # another process finished it while this one waited
            return path
        part = path.with_name(path.name + ".part")
        _download(url, part, progress)
        if expected is not None:
            actual = _sha256_of(part)
            if actual != expected:
                part.unlink()
                raise FetchError(
                    f"{url}: downloaded sha256 {actual}; expected {expected} (the download was discarded)"
                )
        with open(part, "rb") as f:
            os.fsync(f.fileno())
        publish(part, path)
    return path


def _download(url: str, part: pathlib.Path, progress: bool) -> None:
    """Fills `part` with the bytes at `url`, resuming from what it already holds."""
    last_error: BaseException | None = None
    for attempt in range(_ATTEMPTS):
        if attempt:
            time.sleep(min(0.05 * 2**attempt, 2.0))
        have = part.stat().st_size if part.exists() else 0
        headers = {"User-Agent": "jaxnc-loaders", "Accept-Encoding": "identity"}
        if have:
            headers["Range"] = f"bytes={have}-"
        try:
            with urllib.request.urlopen(
                urllib.request.Request(url, headers=headers), timeout=_TIMEOUT
            ) as response:
                if have and not _resumes_at(response, have):
                    have = 0  # the server sent the whole file (or another range): start over
                length = response.headers.get("Content-Length")
                total = have + int(length) if length is not None else None
                with (
                    open(part, "ab" if have else "wb") as f,
                    tqdm(
                        total=total,
                        initial=have,
                        unit="B",
                        unit_scale=True,
                        desc=os.path.basename(url),
                        disable=not progress,
                    ) as bar,
                ):
                    while chunk := response.read(_CHUNK):
                        f.write(chunk)
                        bar.update(len(chunk))
        except urllib.error.HTTPError as e:
            if (
                e.code == 416 and have
            ):  # the partial file is not a prefix of the resource any more
                part.unlink()
                last_error = e
                continue
            raise FetchError(
                f"{url}: HTTP {e.code} {e.reason}; expected 200 (or 206 when resuming)"
            ) from None
        except (
            OSError,
            http.client.HTTPException,
        ) as e:  # dropped connection, timeout, refused, DNS
            last_error = e
            continue
        size = part.stat().st_size
        if total is None or size == total:
            return
        if size > total:
            part.unlink()
            raise FetchError(
                f"{url}: received {size} bytes; expected {total} as the server announced"
            )
        last_error = http.client.IncompleteRead(b"", total - size)
    raise FetchError(
        f"{url}: download failed after {_ATTEMPTS} attempts (last error: {type(last_error).__name__}: {last_error}); "
        f"the partial file {part} is kept to resume next time"
    )


def _resumes_at(response: http.client.HTTPResponse, have: int) -> bool:
    """Whether a response to `Range: bytes=have-` really continues at byte `have`."""
    if response.status != 206:
        return False
    match = re.match(r"bytes (\d+)-", response.headers.get("Content-Range", ""))
    return match is not None and int(match.group(1)) == have
