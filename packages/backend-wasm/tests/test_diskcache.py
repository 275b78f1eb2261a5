"""The on-disk module cache: hits, atomic entries, corrupt and foreign entries, the size bound, the switch."""

import os
import subprocess
import sys

import wasmtime

from jaxnc_wasm import diskcache
from jaxnc_wasm.diskcache import MAGIC, ModuleCache
from jaxnc_wasm.runtime import Runtime

WAT = '(module (func (export "kernel") (param i32) (result i32) local.get 0 i32.const {k} i32.add))'


def _wasm(k: int = 1) -> bytes:
    return bytes(wasmtime.wat2wasm(WAT.format(k=k)))


def _call(engine, module, x: int) -> int:
    store = wasmtime.Store(engine)
    return wasmtime.Instance(store, module, []).exports(store)["kernel"](store, x)


def _compiler(engine, wasm, log):
    def compile():
        log.append(1)
        return wasmtime.Module(engine, wasm)

    return compile


def test_hit_after_miss(tmp_path):
    engine, wasm, log = wasmtime.Engine(), _wasm(), []
    cache = ModuleCache(tmp_path)
    m1 = cache.get_or_compile(engine, "cfg", wasm, _compiler(engine, wasm, log))
    m2 = ModuleCache(tmp_path).get_or_compile(engine, "cfg", wasm, _compiler(engine, wasm, log))
    assert len(log) == 1 and _call(engine, m1, 41) == _call(engine, m2, 41) == 42
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".tmp")] == []  # no temporary left


def test_key_depends_on_bytes_and_fingerprint(tmp_path):
    cache = ModuleCache(tmp_path)
    keys = {cache.key("a", _wasm(1)), cache.key("b", _wasm(1)), cache.key("a", _wasm(2))}
    assert len(keys) == 3


def test_corrupt_and_truncated_entries_are_rewritten(tmp_path):
    engine, wasm = wasmtime.Engine(), _wasm()
    cache = ModuleCache(tmp_path)
    cache.get_or_compile(engine, "cfg", wasm, _compiler(engine, wasm, []))
    (entry,) = tmp_path.iterdir()
    good = entry.read_bytes()
    for bad in (good[: len(good) // 2], good[:-1] + bytes([good[-1] ^ 1]), b"", MAGIC + b"x" * 40):
        entry.write_bytes(bad)
        log = []
        m = ModuleCache(tmp_path).get_or_compile(engine, "cfg", wasm, _compiler(engine, wasm, log))
        assert log == [1] and _call(engine, m, 1) == 2
        assert entry.read_bytes() == good or ModuleCache(tmp_path)._load(engine, entry) is not None


def test_blob_of_another_engine_config_is_recompiled(tmp_path):
    wasm = _wasm()
    cfg = wasmtime.Config()
    cfg.consume_fuel = True  # notes 1.3: a fuel engine rejects blobs of a plain one
    fuel_engine, plain = wasmtime.Engine(cfg), wasmtime.Engine()
    ModuleCache(tmp_path).get_or_compile(plain, "same", wasm, _compiler(plain, wasm, []))
    cache, log = ModuleCache(tmp_path), []
    cache.get_or_compile(fuel_engine, "same", wasm, _compiler(fuel_engine, wasm, log))
    assert log == [1] and cache.rejected == 1


def test_size_bound_drops_least_recently_used(tmp_path):
    engine = wasmtime.Engine()
    one = len(bytes(wasmtime.Module(engine, _wasm(0)).serialize())) + 100
    cache = ModuleCache(tmp_path, max_bytes=3 * one)
    for k in range(6):
        wasm = _wasm(k)
        cache.get_or_compile(engine, "cfg", wasm, _compiler(engine, wasm, []))
        os.utime(tmp_path / (cache.key("cfg", wasm) + diskcache.SUFFIX), (k, k))  # distinct ages
    left = sorted(tmp_path.iterdir())
    assert 1 <= len(left) <= 3 and sum(p.stat().st_size for p in left) <= 3 * one
    assert (tmp_path / (cache.key("cfg", _wasm(5)) + diskcache.SUFFIX)).exists()  # the newest stays


def test_unwritable_directory_still_compiles(tmp_path):
    engine, wasm = wasmtime.Engine(), _wasm()
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    m = ModuleCache(blocker / "sub").get_or_compile(engine, "cfg", wasm, _compiler(engine, wasm, []))
    assert _call(engine, m, 1) == 2


def test_env_switch(monkeypatch, tmp_path):
    monkeypatch.setenv("JAXNC_WASM_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("JAXNC_WASM_CACHE_MAX_MB", "1")
    cache = diskcache.from_env()
    assert cache.dir == tmp_path and cache.max_bytes == 1 << 20
    monkeypatch.setenv("JAXNC_WASM_CACHE", "0")
    assert diskcache.from_env() is None


def test_runtime_uses_cache(tmp_path):
    cache = ModuleCache(tmp_path)
    Runtime(cache=cache).compile(_wasm())
    Runtime(cache=cache).compile(_wasm())
    assert (cache.misses, cache.hits) == (1, 1)


def test_fresh_process_hits_the_cache(tmp_path):
    """A jitted program compiled in one process is deserialized, not compiled, in the next."""
    code = (
        "import numpy as np, jaxnc, jaxnc.numpy as jnp\n"
        "d = jaxnc.devices('wasm')[0]\n"
        "x = jaxnc.device_put(np.arange(8, dtype=np.float32), d)\n"
        "y = np.asarray(jaxnc.jit(lambda x: jnp.tanh(x) * 2 + jnp.sum(x))(x))\n"
        "c = d.backend.runtime.cache\n"
        "print(y.tobytes().hex(), c.hits, c.misses)\n"
    )
    env = dict(os.environ, JAXNC_WASM_CACHE_DIR=str(tmp_path), JAXNC_WASM_CACHE="1", JAXNC_PLATFORMS="wasm,cpu")
    runs = [subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout.split()
            for _ in range(2)]  # fmt: skip
    (y0, hits0, misses0), (y1, hits1, misses1) = runs
    assert y0 == y1
    assert int(misses0) >= 1 and (int(hits1), int(misses1)) == (int(hits0) + int(misses0), 0)
