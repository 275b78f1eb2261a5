"""An on-disk cache of compiled wasm modules: `Module.serialize()` blobs keyed by the wasm bytes and engine.

Compiling a kernel costs 0.4-6 ms (Cranelift), deserializing its blob 0.03-0.4 ms, so a warm cache
shortens the first call of every jitted function in a new process. The key hashes the wasm bytes,
the wasmtime version, the engine settings that change the compiled code or its checks (notes 1.3:
guard size, reservation, fuel, epochs and SIMD flags reject blobs of another config) and the
machine. Each entry is `MAGIC + blake2b(payload) + payload`, written to a temporary file and renamed
into place (`os.replace`), so readers never see half a file; an entry whose digest does not match
(truncated, corrupt) or that wasmtime refuses is ignored and rewritten. The directory is bounded:
after a write, the least recently used entries (by mtime, touched on hits) go until the total fits.

On by default; `JAXNC_WASM_CACHE=0` switches it off, `JAXNC_WASM_CACHE_DIR` moves it (default: the
user cache dir from platformdirs + `wasm-modules`), `JAXNC_WASM_CACHE_MAX_MB` bounds it (256).
"""

from __future__ import annotations

import functools
import hashlib
import os
import pathlib
import platform
import tempfile
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version

import wasmtime

MAGIC = b"jxncwm1\n"
DIGEST = 32
SUFFIX = ".cwasm"
DEFAULT_MAX_BYTES = 256 << 20


@functools.cache  # NB: importlib.metadata scans sys.path: 0.4 ms a call
def _wasmtime_version() -> str:
    try:
        return version("wasmtime")
    except PackageNotFoundError:  # pragma: no cover - an unpackaged wasmtime
        return "unknown"


def default_dir() -> pathlib.Path:
    override = os.environ.get("JAXNC_WASM_CACHE_DIR")
    if override:
        return pathlib.Path(override)
    import platformdirs

    return pathlib.Path(platformdirs.user_cache_dir("jaxnc")) / "wasm-modules"


def from_env() -> ModuleCache | None:
    """The cache the environment asks for, or None when `JAXNC_WASM_CACHE` is 0/off/false."""
    if os.environ.get("JAXNC_WASM_CACHE", "1").strip().lower() in ("0", "off", "false", "no"):
        return None
    max_mb = os.environ.get("JAXNC_WASM_CACHE_MAX_MB")
    return ModuleCache(default_dir(), int(float(max_mb) * (1 << 20)) if max_mb else DEFAULT_MAX_BYTES)


@functools.cache
def _prefix(fingerprint: str) -> bytes:
    return "\0".join((_wasmtime_version(), platform.machine(), platform.system(), fingerprint, "")).encode()


class ModuleCache:
    """`get_or_compile(engine, fingerprint, wasm, compile)`: a deserialized blob, or a compile stored for next time."""

    def __init__(self, directory: str | os.PathLike, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.dir = pathlib.Path(directory)
        self.max_bytes = max_bytes
        self._total: int | None = None  # bytes on disk, scanned at the first write
        self.hits = self.misses = self.rejected = 0

    def key(self, fingerprint: str, wasm: bytes) -> str:
        h = hashlib.blake2b(_prefix(fingerprint), digest_size=20)
        h.update(wasm)
        return h.hexdigest()

    def get_or_compile(
        self, engine: wasmtime.Engine, fingerprint: str, wasm: bytes, compile: Callable[[], wasmtime.Module]
    ) -> wasmtime.Module:
        path = self.dir / (self.key(fingerprint, wasm) + SUFFIX)
        module = self._load(engine, path)
        if module is not None:
            self.hits += 1
            return module
        self.misses += 1
        module = compile()
        try:
            self._store(path, bytes(module.serialize()))
        except OSError:
            pass  # a read-only or full disk costs the cache, never the compile
        return module

    def _load(self, engine: wasmtime.Engine, path: pathlib.Path) -> wasmtime.Module | None:
        try:
            data = path.read_bytes()
        except OSError:
            return None
        payload = data[len(MAGIC) + DIGEST :]
        if (
            data[: len(MAGIC)] != MAGIC
            or hashlib.blake2b(payload, digest_size=DIGEST).digest() != data[len(MAGIC) : len(MAGIC) + DIGEST]
        ):
            self.rejected += 1  # truncated or corrupt: recompiled and rewritten by the caller
            return None
        try:
            module = wasmtime.Module.deserialize(engine, payload)
        except wasmtime.WasmtimeError:
            self.rejected += 1  # another wasmtime build or CPU: recompiled and rewritten
            return None
        try:
            os.utime(path)  # recently used: kept longest when the directory is trimmed
        except OSError:
            pass
        return module

    def _store(self, path: pathlib.Path, payload: bytes) -> None:
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        data = MAGIC + hashlib.blake2b(payload, digest_size=DIGEST).digest() + payload
        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".tmp-", suffix=SUFFIX)  # created 0600
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        if self._total is None:
            self._total = sum(size for _, size, _ in self._entries())
        else:
            self._total += len(data)
        if self._total > self.max_bytes:
            self.trim()

    def _entries(self) -> list[tuple[float, int, pathlib.Path]]:
        out = []
        try:
            it = os.scandir(self.dir)
        except OSError:
            return out
        with it:
            for e in it:
                if e.name.endswith(SUFFIX) and not e.name.startswith(".tmp-"):
                    try:
                        st = e.stat()
                    except OSError:
                        continue
                    out.append((st.st_mtime, st.st_size, pathlib.Path(e.path)))
        return out

    def trim(self) -> None:
        """Delete least recently used entries until the directory holds at most `max_bytes`."""
        entries = sorted(self._entries(), key=lambda e: e[0])
        total = sum(size for _, size, _ in entries)
        for _, size, path in entries:
            if total <= self.max_bytes:
                break
            try:
                path.unlink()
                total -= size
            except OSError:
                pass
        self._total = total

    def clear(self) -> None:
        for _, _, path in self._entries():
            try:
                path.unlink()
            except OSError:
                pass
        self._total = 0
