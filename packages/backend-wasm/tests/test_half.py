"""float16 and bfloat16 in wasm kernels: every bit pattern through the conversions, ops against NumPy/ml_dtypes."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

import jaxnc
import jaxnc.lax as lax
import jaxnc.numpy as jnp

HALVES = [np.dtype(np.float16), np.dtype(ml_dtypes.bfloat16)]
ALL16 = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16)


def _wasm():
    return jaxnc.devices("wasm")[0]


def _run(f, *args):
    return np.asarray(jaxnc.jit(f)(*[jaxnc.device_put(a, _wasm()) for a in args]))


def _assert_kernels_only(f, *args):
    program = _wasm().backend.lower(jaxnc.make_jaxpr(f)(*args).jaxpr)
    assert not program.routines() and program.kernels()  # rendered, not a host routine


def _assert_same(got, want):
    """Equal bit for bit, except that any NaN matches any NaN (wasm arithmetic picks NaN payloads freely)."""
    assert got.dtype == want.dtype
    with np.errstate(invalid="ignore"):  # bfloat16 NaN -> float64 warns
        nan = np.isnan(got.astype(np.float64)) & np.isnan(want.astype(np.float64))
    same = got.view(f"u{got.dtype.itemsize}") == want.view(f"u{want.dtype.itemsize}")
    bad = ~(same | nan)
    assert not bad.any(), f"{bad.sum()} differ, e.g. got {got[bad][:4]} want {want[bad][:4]}"


def _f32_patterns() -> np.ndarray:
    """Every half value and its rounding neighbourhood as float32: exact, ties, ±1 ulp of f32, random."""
    rng = np.random.default_rng(0)
    b = ALL16.astype(np.uint32)
    out = [rng.integers(0, 1 << 32, 1 << 18, dtype=np.uint64).astype(np.uint32)]
    for shift, base in ((16, 0), (13, 0x38000000)):  # bf16 / f16 normal grid
        grid = (b << shift) + base
        half = 1 << (shift - 1)
        out += [
            grid,
            grid + half,
            grid + half - 1,
            grid + half + 1,
            grid + rng.integers(0, 1 << shift, b.size).astype(np.uint32),
        ]
    sub = np.arange(0, 1 << 11, dtype=np.uint32)  # f16 subnormals and the ties between them, as float32
    out.append((np.concatenate([sub, sub + 0.5, sub + 0.49, sub + 0.51]) * np.float32(2.0**-24)).view(np.uint32))
    u = np.concatenate(out)
    return np.concatenate([u, u | 0x80000000]).view(np.float32)


@pytest.mark.parametrize("dtype", HALVES, ids=lambda d: d.name)
def test_widen_every_bit_pattern(dtype):
    h = ALL16.view(dtype)
    f = lambda v: v.astype(jnp.float32)  # noqa: E731
    _assert_kernels_only(f, h)
    got = _run(f, h)
    np.testing.assert_array_equal(got.view(np.uint32), h.astype(np.float32).view(np.uint32))  # NaN payloads too


@pytest.mark.parametrize("dtype", HALVES, ids=lambda d: d.name)
def test_narrow_rounds_to_nearest_even(dtype):
    x = _f32_patterns()
    f = lambda v: v.astype(dtype)  # noqa: E731
    _assert_kernels_only(f, x)
    with np.errstate(all="ignore"):
        want = x.astype(dtype)
    np.testing.assert_array_equal(_run(f, x).view(np.uint16), want.view(np.uint16))  # NaN bits as NumPy/ml_dtypes


@pytest.mark.parametrize("dtype", HALVES, ids=lambda d: d.name)
def test_every_half_round_trips(dtype):
    h = ALL16.view(dtype)
    got = _run(lambda v: (v.astype(jnp.float32) * 1.0).astype(dtype), h)  # the multiply may quiet NaNs
    _assert_same(got, h)


@pytest.mark.parametrize("dtype", HALVES, ids=lambda d: d.name)
def test_from_float64_and_int(dtype):
    jaxnc.config.update("jax_enable_x64", True)
    try:
        with np.errstate(all="ignore"):
            x = _f32_patterns().astype(np.float64)
            x = np.concatenate([x, x * (1 + 2.0**-30), x * (1 - 2.0**-40)])  # off the float32 grid: double rounding
            _assert_same(_run(lambda v: v.astype(dtype), x), x.astype(dtype))
    finally:
        jaxnc.config.update("jax_enable_x64", False)
    ints = np.random.default_rng(1).integers(-(2**31), 2**31, 1 << 16).astype(np.int32)
    with np.errstate(over="ignore"):
        _assert_same(_run(lambda v: v.astype(dtype), ints), ints.astype(dtype))


@pytest.mark.parametrize("dtype", HALVES, ids=lambda d: d.name)
@pytest.mark.parametrize("src", [np.int32, np.uint32, np.int64, np.uint64])
def test_from_wide_ints_rounds_once(dtype, src):
    """Integers past 2**24 round once to the half (float32 first would round twice: a tie after it)."""
    bits = np.iinfo(src).bits
    top = [s for s in range(9, bits) if s < bits - 1 or np.iinfo(src).min == 0]
    base = np.array([1 << s for s in top], dtype=object)
    tie = np.array([1 << (s - 8) for s in top], dtype=object)  # half a bfloat16 ulp (8 bits) above 2**s
    cand = [base + tie + d for d in (-2, -1, 0, 1, 2)] + [base + (tie >> 3) + d for d in (-1, 0, 1)]
    vals = [int(v) for c in cand for v in c]
    info = np.iinfo(src)
    vals += [info.min, info.max, info.max - 1, 0, 1]
    x = np.array([v for v in vals if info.min <= v <= info.max], dtype=src)
    if info.min < 0:
        x = np.concatenate([x, -x[x > info.min]])
    x = np.concatenate([x, np.random.default_rng(2).integers(info.min, info.max, 4096, dtype=src, endpoint=True)])
    jaxnc.config.update("jax_enable_x64", True)
    try:
        with np.errstate(over="ignore"):
            _assert_same(_run(lambda v: v.astype(dtype), x), x.astype(dtype))
    finally:
        jaxnc.config.update("jax_enable_x64", False)


@pytest.mark.parametrize("dtype", HALVES, ids=lambda d: d.name)
@pytest.mark.parametrize("target", [np.int32, np.int8, np.uint8, np.bool_, np.float16, ml_dtypes.bfloat16])
def test_to_other_types(dtype, target):
    h = ALL16.view(dtype)
    with np.errstate(all="ignore"):
        want = h.astype(np.float32).astype(target) if np.dtype(target).kind in "iub" else h.astype(target)
    if np.dtype(target).kind in "iu":  # lax saturates and maps NaN to 0 (NumPy's cast is undefined there)
        want = np.asarray(jaxnc.device_put(h, jaxnc.devices("cpu")[0]).astype(target))
    _assert_same(_run(lambda v: v.astype(target), h), want)


def test_bitcast_through_16_bits():
    h = ALL16.view(np.float16)
    np.testing.assert_array_equal(_run(lambda v: lax.bitcast_convert_type(v, jnp.int16), h), ALL16.view(np.int16))
    got = _run(lambda v: lax.bitcast_convert_type(v, jnp.float16), ALL16.view(np.int16))
    np.testing.assert_array_equal(got.view(np.uint16), ALL16)


BINARY = {"add": np.add, "subtract": np.subtract, "multiply": np.multiply, "divide": np.divide,
          "maximum": np.maximum, "minimum": np.minimum}  # fmt: skip
UNARY = {"sqrt": (jnp.sqrt, np.sqrt), "negative": (jnp.negative, np.negative), "square": (jnp.square, np.square),
         "floor": (jnp.floor, np.floor), "abs": (jnp.abs, np.abs), "rsqrt": (lax.rsqrt, lambda x: 1 / np.sqrt(x))}  # fmt: skip


@pytest.mark.parametrize("dtype", HALVES, ids=lambda d: d.name)
@pytest.mark.parametrize("op", sorted(BINARY) + sorted(UNARY))
def test_ops_equal_float32_then_cast(dtype, op):
    """Every half value (and a shuffled partner): the op in float32, then rounded, exactly."""
    x = ALL16.view(dtype)
    y = np.random.default_rng(2).permutation(x)
    with np.errstate(all="ignore"):
        if op in BINARY:
            got, want = (
                _run(getattr(jnp, op), x, y),
                BINARY[op](x.astype(np.float32), y.astype(np.float32)).astype(dtype),
            )
        else:
            got, want = _run(UNARY[op][0], x), UNARY[op][1](x.astype(np.float32)).astype(dtype)
    _assert_same(got, want)


@pytest.mark.parametrize("dtype", HALVES, ids=lambda d: d.name)
def test_fused_chain_rounds_each_op(dtype):
    rng = np.random.default_rng(3)
    x, y = (rng.standard_normal(4096).astype(dtype) for _ in range(2))

    def f(a, b):
        return jnp.where(a > b, (a * b + a) / (b - 1), jnp.maximum(a, 0.5) * 3.3)

    _assert_kernels_only(f, x, y)
    r = lambda v: v.astype(np.float32).astype(dtype).astype(np.float32)  # noqa: E731
    xf, yf = x.astype(np.float32), y.astype(np.float32)
    with np.errstate(all="ignore"):
        want = np.where(xf > yf, r(r(r(xf * yf) + xf) / r(yf - 1)), r(np.maximum(xf, 0.5) * r(np.float32(3.3))))
    _assert_same(_run(f, x, y), want.astype(dtype))


@pytest.mark.parametrize("dtype", HALVES, ids=lambda d: d.name)
def test_reductions_and_matmul_accumulate_in_float32(dtype):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((64, 300)).astype(dtype)
    w = rng.standard_normal((300, 16)).astype(dtype)
    for f, want in ((lambda a: jnp.sum(a, axis=1), x.astype(np.float32).sum(1)),
                    (lambda a: jnp.max(a, axis=0), x.astype(np.float32).max(0))):  # fmt: skip
        _assert_kernels_only(f, x)
        np.testing.assert_allclose(_run(f, x).astype(np.float32), want.astype(dtype).astype(np.float32), rtol=1e-2)
    got = _run(jnp.matmul, x, w).astype(np.float32)
    np.testing.assert_allclose(got, (x.astype(np.float32) @ w.astype(np.float32)), rtol=2e-2, atol=5e-2)
