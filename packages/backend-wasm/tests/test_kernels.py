"""wasm-specific behaviour: guarded traps, SIMD/scalar agreement, threads, matmul path, allocator, dumps."""

from __future__ import annotations

import os

import numpy as np
import pytest

import jaxnc
import jaxnc.lax as lax
import jaxnc.numpy as jnp
from jaxnc_wasm.allocator import Allocator, size_class
from jaxnc_wasm.backend import WasmBackend


def _wasm():
    return jaxnc.devices("wasm")[0]


def _both(f, *args):
    """f on wasm (jit) and on cpu, as NumPy arrays."""
    got = np.asarray(jaxnc.jit(f)(*[jaxnc.device_put(a, _wasm()) for a in args]))
    want = np.asarray(f(*[jaxnc.device_put(a, jaxnc.devices("cpu")[0]) for a in args]))
    return got, want


@pytest.mark.parametrize("dtype", [np.int32, np.int8, np.uint8, np.uint32, np.int64])
def test_integer_division_never_traps(dtype):
    info = np.iinfo(dtype)
    x = np.array([7, -7, 0, info.min, info.max, info.min, 5, 3] * 2).astype(dtype)
    y = np.array([0, 0, 0, -1, 0, 1, 2, -3] * 2).astype(dtype)
    for op in (lax.div, lax.rem):
        got, want = _both(op, x, y)
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", [np.int32, np.int8, np.uint8, np.uint32, np.int64, np.bool_])
def test_float_to_int_never_traps(dtype):
    x = np.array([np.nan, np.inf, -np.inf, 3e9, -3e9, 1e20, 2.7, -2.7, 255.9, -129.5, 0.0, -0.0], np.float32)
    got, want = _both(lambda v: v.astype(dtype), x)
    np.testing.assert_array_equal(got, want)


def test_nan_semantics_of_min_max():
    x = np.array([1.0, np.nan, -np.inf, 2.0, np.nan, 0.0, 5.0, -1.0, 3.0], np.float32)
    y = np.array([np.nan, 1.0, 0.0, 3.0, np.nan, -0.0, 1.0, 2.0, 3.0], np.float32)
    for f in (jnp.maximum, jnp.minimum):
        got, want = _both(f, x, y)
        np.testing.assert_array_equal(got, want)
    for f in (jnp.max, jnp.min):
        got, want = _both(f, x)
        np.testing.assert_array_equal(got, want)
        got, want = _both(lambda v, f=f: f(v.reshape(3, 3), axis=0), x)
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_half_away_from_zero_is_exact(dtype, x64):
    """lax.round's default method on values where floor(|x| + 0.5) rounds wrongly: just below 0.5 and odd
    integers past 2**(mantissa bits), plus ties, signed zeros and specials."""
    big = 2.0 ** (np.finfo(dtype).nmant)
    x = np.array([np.nextafter(dtype(0.5), dtype(0)), big + 1, -(big + 1), big - 0.5, 2.5, -2.5, 0.5, -0.5, 1.5,
                  -0.4, 0.0, -0.0, np.nan, np.inf, -np.inf], dtype)  # fmt: skip
    got, want = _both(lax.round, x)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got[:4], np.array([0.0, big + 1, -(big + 1), big], dtype))
    assert np.signbit(got[9]) and np.signbit(got[11])


@pytest.mark.parametrize("n", [1, 3, 4, 5, 17, 1000])
def test_simd_and_scalar_tails_agree(n):
    rng = np.random.default_rng(n)
    x = rng.standard_normal((3, n)).astype(np.float32)
    i = rng.integers(-9, 9, (3, n)).astype(np.int32)
    for f in (lambda x, i: jnp.where(x > 0, x * 2, i.astype(jnp.float32)),
              lambda x, i: jnp.sum(x * x, axis=1) + jnp.sum(i, axis=1).astype(jnp.float32),
              lambda x, i: (i * 3 - jnp.abs(i)) // 2 + (x < 0.5),
              lambda x, i: jnp.exp(x) + jnp.sum(x, axis=0)):  # fmt: skip
        got, want = _both(f, x, i)
        np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-6)


def test_matmul_kernel_is_used_and_correct():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((64, 96)).astype(np.float32)
    b = rng.standard_normal((96, 40)).astype(np.float32)
    backend = _wasm().backend
    got, want = _both(lambda a, b: a.T.T @ b, a, b)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    assert any(k.vectorized == "matmul 4x8" for k in backend._kernels.values())
    got, want = _both(lambda a, b: b.T @ a.T, a, b)  # A read transposed
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_threads_split_big_kernels():
    backend = WasmBackend(threads=2)
    dev = backend.devices[0]
    x = np.random.default_rng(0).standard_normal(1 << 19).astype(np.float32)
    from jaxnc._src.interpreters.partial_eval import convert_constvars

    closed = jaxnc.make_jaxpr(lambda v: jnp.sqrt(jnp.abs(v)) * 3 + 1)(x)
    exe = backend.compile(convert_constvars(closed.jaxpr))
    (out,) = backend.run(exe, [backend.put(x, dev)], dev)
    np.testing.assert_allclose(backend.get(out), np.sqrt(np.abs(x)) * 3 + 1, rtol=1e-6)
    (k,) = backend._kernels.values()
    assert k.work >= 1 << 18 and backend.pool is not None


def test_thread_count_from_the_environment(monkeypatch):
    from jaxnc_wasm.backend import default_threads

    monkeypatch.setenv("JAXNC_WASM_THREADS", "3")
    assert default_threads() == 3
    monkeypatch.delenv("JAXNC_WASM_THREADS")
    assert default_threads() == (os.cpu_count() or 1)
    for bad in ("0", "-2", "two"):
        monkeypatch.setenv("JAXNC_WASM_THREADS", bad)
        with pytest.raises(ValueError, match="JAXNC_WASM_THREADS must be a positive integer"):
            default_threads()


def test_allocator_reuses_and_reports_out_of_memory():
    limit = 1 << 20
    alloc = Allocator(lambda end: end <= limit)
    a = alloc.alloc(100)
    b = alloc.alloc(100)
    assert a % 64 == 0 and b % 64 == 0 and a != b and size_class(100) == 128
    alloc.free(a)
    assert alloc.alloc(120) == a  # same class, reused
    with pytest.raises(MemoryError, match="out of memory: cannot allocate 2000000 bytes"):
        alloc.alloc(2_000_000)
    with pytest.raises(ValueError, match="double free"):
        alloc.free(12345)


def test_allocator_gives_free_blocks_at_the_top_back():
    limit = 4 << 20
    alloc = Allocator(lambda end: end <= limit)
    small = alloc.alloc(100)
    big = alloc.alloc(2 << 20)
    alloc.free(big)
    bigger = alloc.alloc(3 << 20)  # fits only where the freed 2 MiB were
    assert bigger == big and alloc.in_use == 128 + (3 << 20)
    alloc.free(bigger)
    assert alloc.alloc(2 << 20) == big  # the freed 3 MiB block went back to the bump pointer too
    with pytest.raises(MemoryError, match="out of memory"):
        alloc.alloc(3 << 20)
    alloc.free(small)
    assert alloc.alloc(100) == small


def test_too_big_for_memory32_is_a_python_error():
    backend = _wasm().backend
    with pytest.raises(MemoryError, match="memory32"):
        backend.allocate(5 << 30)


@pytest.mark.parametrize("level", [0, 1, 2, 3, 4])
def test_debug_dump_shows_every_stage(capsys, level):
    """JAXNC_DEBUG levels: 1 jaxpr + summary, 2 steps + kernel expressions, 3 generated code, 4 step times."""
    old = jaxnc.config.jaxnc_debug
    jaxnc.config.update("jaxnc_debug", level)
    try:
        backend = WasmBackend(threads=1)
        dev = backend.devices[0]
        from jaxnc._src.interpreters.partial_eval import convert_constvars

        closed = jaxnc.make_jaxpr(lambda v: jnp.sum(v * 2, axis=0))(np.ones((4, 8), np.float32))
        exe = backend.compile(convert_constvars(closed.jaxpr))
        (out,) = backend.run(exe, [backend.put(np.ones((4, 8), np.float32), dev)], dev)
        np.testing.assert_array_equal(backend.get(out), np.full(8, 8, np.float32))
    finally:
        jaxnc.config.update("jaxnc_debug", old)
    err = capsys.readouterr().err
    stages = {
        1: "reduce_sum" in err and "program: 1 kernels" in err,  # the jaxpr and the summary line
        2: "acc:float32" in err and "alloc %" in err,  # the kernel's expression and the program's steps
        3: "v128.load" in err and "code of k" in err,  # the generated code
        4: " µs" in err,  # the time of every step
    }
    assert stages == {n: n <= level for n in stages}, err


@pytest.mark.parametrize("name", ["exp", "log", "sin", "cos", "tanh", "erf"])
def test_float64_transcendentals_are_kernels_within_2_ulp(x64, name):
    import scipy.special as sps

    rng = np.random.default_rng(5)
    x = np.concatenate([rng.uniform(-30, 30, 4000), rng.uniform(1e-5, 700, 1000), [0.0, -0.0, np.inf, -np.inf, np.nan]])
    f = getattr(jnp, name) if name != "erf" else jaxnc.scipy.special.erf
    ref = getattr(np, name) if name != "erf" else sps.erf
    got = np.asarray(jaxnc.jit(f)(jaxnc.device_put(x, _wasm())))
    assert got.dtype == np.float64
    with np.errstate(all="ignore"):
        want = ref(x)
    finite = np.isfinite(want) & (want != 0)
    err = np.abs(got[finite] - want[finite]) / np.spacing(np.abs(want[finite]))
    assert err.max() <= 2
    np.testing.assert_array_equal(got[~finite], want[~finite])
    program = _wasm().backend.lower(jaxnc.make_jaxpr(f)(x).jaxpr)
    assert not program.routines() and program.kernels()  # a kernel, not a host routine
