"""WGSL numerics the conformance table does not reach: NaN/Inf, lax integer division, conversions, ULPs."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

import jaxnc
import jaxnc.lax as lax
import jaxnc.numpy as jnp

SPECIALS = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -2.5, 1e30, -1e-30], np.float32)
MODERATE = SPECIALS[np.abs(np.nan_to_num(SPECIALS)) < 1e4]  # the sin/cos range reduction is exact below 8192


def dev():
    return jaxnc.devices("webgpu")[0]


def on_gpu(fn, *args):
    return np.asarray(fn(*[jaxnc.device_put(a, dev()) for a in args]))


def on_cpu(fn, *args):
    cpu = jaxnc.devices("cpu")[0]
    return np.asarray(fn(*[jaxnc.device_put(a, cpu) for a in args]))


@pytest.mark.parametrize(
    "name,fn",
    [("exp", jnp.exp), ("log", jnp.log), ("sin", jnp.sin), ("cos", jnp.cos), ("tanh", jnp.tanh),
     ("erf", lax.erf), ("sqrt", jnp.sqrt), ("isnan", jnp.isnan), ("isinf", jnp.isinf), ("isfinite", jnp.isfinite),
     ("sign", jnp.sign), ("floor", jnp.floor), ("to_int", lambda x: x.astype(jnp.int32)),
     ("to_uint8", lambda x: x.astype(jnp.uint8)), ("to_bool", lambda x: x.astype(bool))],
)  # fmt: skip
def test_special_values_match_cpu(name, fn):
    x = MODERATE if name in ("sin", "cos") else SPECIALS
    np.testing.assert_allclose(on_gpu(fn, x), on_cpu(fn, x), rtol=5e-7, atol=0)


@pytest.mark.parametrize(
    "name,fn",
    [("max", jnp.maximum), ("min", jnp.minimum), ("ne", lambda a, b: a != b), ("eq", lambda a, b: a == b),
     ("lt", lambda a, b: a < b), ("ge", lambda a, b: a >= b), ("where", lambda a, b: jnp.where(a > b, a, b)),
     ("sub", lambda a, b: a - b), ("mul", lambda a, b: a * b), ("div", lambda a, b: a / b)],
)  # fmt: skip
def test_nan_inf_binary_ops(name, fn):
    a, b = np.meshgrid(SPECIALS, SPECIALS)
    np.testing.assert_array_equal(on_gpu(fn, a, b), on_cpu(fn, a, b))


def test_nan_through_reductions():
    x = np.array([[1.0, np.nan, 3.0], [1.0, 2.0, -np.inf]], np.float32)
    for f in (lambda v: jnp.max(v, 1), lambda v: jnp.min(v, 1), lambda v: jnp.sum(v, 1), jnp.argmax):
        np.testing.assert_array_equal(on_gpu(f, x), on_cpu(f, x))


def _shaders(fn, *args) -> list:
    """The shaders the webgpu backend renders for `fn` on these arguments, one per kernel."""
    from jaxnc_webgpu.kernels import render_kernel

    backend = dev().backend
    prog = backend.lower(jaxnc.make_jaxpr(fn)(*args).jaxpr)
    return [render_kernel(k, backend.runtime.limits) for k in prog.kernels()]


def test_integer_division_follows_lax():
    ints = np.array([-7, 7, -1, 0, 5, -(2**31), -(2**31) + 1, np.iinfo(np.int32).max], np.int32)
    a, b = np.meshgrid(ints, ints)
    for f in (lax.div, lax.rem, jnp.floor_divide, jnp.remainder):
        np.testing.assert_array_equal(on_gpu(f, a, b), on_cpu(f, a, b))
    u = np.array([0, 1, 7, 4294967295], np.uint32)
    a, b = np.meshgrid(u, u)
    for f in (lax.div, lax.rem):
        np.testing.assert_array_equal(on_gpu(f, a, b), on_cpu(f, a, b))


@pytest.mark.parametrize("dt", [np.int32, np.int8])
def test_signed_remainder_avoids_wgsl_percent(dt):
    # NB: naga lowers signed `%` to OpSRem, undefined for negative operands on Vulkan (NVIDIA gives the
    # unsigned remainder; lavapipe happens to be right), so no shader may contain a signed `%`
    for fn in (lax.rem, lambda a, b: lax.rem(a, dt(3)), jnp.remainder):
        for shader in _shaders(fn, np.ones(8, dt), np.ones(8, dt)):
            body = shader.code.split("fn main", 1)[1]
            assert "%" not in body, body


def test_shifts_and_small_ints():
    x = np.array([-128, -1, 0, 1, 100, 127], np.int8)
    s = np.array([0, 1, 7, 8, -1, 3], np.int8)
    for f in (lax.shift_left, lax.shift_right_arithmetic, lax.shift_right_logical, lambda a, b: a + b * 3):
        np.testing.assert_array_equal(on_gpu(f, x, s), on_cpu(f, x, s))
    big = np.array([1, -1, 5, 2**31 - 1], np.int32)
    sh = np.array([31, 32, -1, 1], np.int32)
    for f in (lax.shift_left, lax.shift_right_arithmetic, lax.shift_right_logical):
        np.testing.assert_array_equal(on_gpu(f, big, sh), on_cpu(f, big, sh))


def test_float_to_int_saturates():
    x = np.array([3.9e9, -3.9e9, 2147483520.0, 300.0, -300.0, 255.9, np.nan], np.float32)
    for dt in (jnp.int32, jnp.uint32, jnp.int8, jnp.uint8):
        np.testing.assert_array_equal(on_gpu(lambda v: v.astype(dt), x), on_cpu(lambda v: v.astype(dt), x))


def _ulp(got, want):
    want32 = want.astype(np.float32)
    spacing = np.spacing(np.abs(want32)).astype(np.float64)
    return np.abs(got.astype(np.float64) - want) / spacing


@pytest.mark.parametrize(
    "name,fn,ref,lo,hi,ulps",
    [("exp", jnp.exp, np.exp, -80, 80, 4), ("log", jnp.log, np.log, 1e-3, 1e4, 4),
     ("sin", jnp.sin, np.sin, -10, 10, 4), ("cos", jnp.cos, np.cos, -10, 10, 4),
     ("tanh", jnp.tanh, np.tanh, -9, 9, 4), ("tanh_tiny", jnp.tanh, np.tanh, -1e-3, 1e-3, 4),
     ("erf", lax.erf, np.vectorize(math.erf), -3, 3, 4)],
)  # fmt: skip
def test_transcendental_ulps(name, fn, ref, lo, hi, ulps):
    x = np.linspace(lo, hi, 4099, dtype=np.float32)
    got = on_gpu(fn, x)
    want = ref(x.astype(np.float64))
    assert _ulp(got, want).max() <= ulps


def _x64_adapter():
    features = dev().backend.runtime.features
    if not {"shader-f64", "shader-int64"} <= set(features):
        pytest.skip(f"{dev().backend.adapter} has no shader-f64/shader-int64")
    old = jaxnc.config.jax_enable_x64
    jaxnc.config.update("jax_enable_x64", True)
    return old


F64_SPECIALS = [np.nan, np.inf, -np.inf, 0.0, -0.0]


@pytest.mark.parametrize(
    "name,fn,ref,x",
    [("exp", jnp.exp, np.exp, np.linspace(-740, 709, 4001)), ("log", jnp.log, np.log, np.geomspace(5e-324, 1e308, 4001)),
     ("sin", jnp.sin, np.sin, np.linspace(-100, 100, 4001)), ("cos", jnp.cos, np.cos, np.linspace(-100, 100, 4001)),
     ("tanh", jnp.tanh, np.tanh, np.concatenate([np.linspace(-30, 30, 4001), np.linspace(-1e-3, 1e-3, 101)])),
     ("erf", lax.erf, np.vectorize(math.erf), np.linspace(-7, 7, 4001))],
)  # fmt: skip
def test_float64_transcendentals_run_as_kernels(name, fn, ref, x):
    """The toolkit's float64 expansions render in WGSL (f64 <-> i64 bitcasts, i64 shifts by constants):
    one dispatch, no host routine, <= 2 ULP against NumPy/math, specials as NumPy."""
    old = _x64_adapter()
    try:
        x = np.concatenate([x, F64_SPECIALS, [-1.0]])
        before = dev().backend.memory_stats()["dispatches"]
        got = on_gpu(jaxnc.jit(fn), x)
        assert dev().backend.memory_stats()["dispatches"] - before == 1
    finally:
        jaxnc.config.update("jax_enable_x64", old)
    assert got.dtype == np.float64
    with np.errstate(all="ignore"):
        want = ref(x)
    normal = np.isfinite(want) & (want != 0)
    assert (np.abs(got[normal] - want[normal]) / np.spacing(np.abs(want[normal]))).max() <= 2
    np.testing.assert_array_equal(got[~normal], want[~normal])


def test_int64_shifts_by_constants():
    old = _x64_adapter()
    try:
        x = np.array([1, -7, 2**40 + 3, -(2**62), 2**63 - 1], np.int64)
        for k in (0, 3, 52, 63, 64, -1):
            for f in (lax.shift_left, lax.shift_right_arithmetic, lax.shift_right_logical):
                fn = jaxnc.jit(lambda v, f=f, k=k: f(v, np.int64(k)))
                np.testing.assert_array_equal(on_gpu(fn, x), on_cpu(fn, x), err_msg=f"{f.__name__} by {k}")
    finally:
        jaxnc.config.update("jax_enable_x64", old)


def test_float16_and_bool_and_uint8():
    dev_ = dev()
    if "shader-f16" in dev_.backend.runtime.features:
        h = np.linspace(-4, 4, 37).astype(np.float16)
        np.testing.assert_allclose(on_gpu(lambda v: jnp.exp(v) * v + 1, h), on_cpu(lambda v: jnp.exp(v) * v + 1, h),
                                   rtol=2e-3)  # fmt: skip
    b = np.array([True, False, True, True, False, False, True])
    np.testing.assert_array_equal(on_gpu(lambda v: ~v, b), ~b)
    np.testing.assert_array_equal(on_gpu(lambda v: jnp.any(v), b), True)
    u = np.arange(250, 261).astype(np.uint8)
    np.testing.assert_array_equal(on_gpu(lambda v: v + 10, u), u + np.uint8(10))
    np.testing.assert_array_equal(on_gpu(lambda v: jnp.sum(v.reshape(1, -1), 1, dtype=jnp.uint8), u),
                                  [np.sum(u, dtype=np.uint8)])  # fmt: skip


# shapes off the tiles, batch dims, transposed operands, a fused epilogue
MATMULS = [(((70, 50), (50, 90)), jnp.matmul), (((3, 33, 40), (3, 40, 20)), jnp.matmul),
           (((50, 64), (70, 64)), lambda a, b: a @ b.T), (((64, 50), (64, 70)), lambda a, b: a.T @ b),
           (((130, 17), (17, 129)), lambda a, b: jnp.maximum(a @ b + 1.0, 0.0)),
           (((2, 200, 37), (37, 150)), jnp.matmul), (((129, 1000), (131, 1000)), lambda a, b: a @ b.T)]  # fmt: skip


@pytest.mark.parametrize("shapes,fn", MATMULS)
def test_tiled_matmul(shapes, fn):
    rng = np.random.default_rng(0)
    args = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    np.testing.assert_allclose(on_gpu(jaxnc.jit(fn), *args), on_cpu(fn, *args), rtol=1e-4, atol=1e-4)
    ints = [rng.integers(-5, 5, s).astype(np.int32) for s in shapes]
    np.testing.assert_array_equal(on_gpu(jaxnc.jit(fn), *ints), on_cpu(fn, *ints))


def test_matmul_uses_the_tiled_kernel_and_few_submits():
    from jaxnc_webgpu.kernels import render_kernel

    backend = dev().backend
    prog = backend.lower(
        jaxnc.make_jaxpr(jnp.matmul)(np.ones((64, 48), np.float32), np.ones((48, 80), np.float32)).jaxpr
    )
    (kernel,) = prog.kernels()
    assert render_kernel(kernel, backend.runtime.limits).strategy.startswith("matmul")
    x = jaxnc.device_put(np.ones((32, 32), np.float32), dev())
    f = jaxnc.jit(lambda v: jnp.tanh(v @ v) @ v + jnp.sum(v))
    f(x).block_until_ready()
    before = backend.runtime.submits
    np.asarray(f(x))
    assert backend.runtime.submits - before <= 2  # every dispatch of the call, then the readback


def test_matmul_tiles_per_adapter():
    from jaxnc_webgpu.kernels import TILES, TILES_ENV, TUNED, tuning

    assert tuning("llvmpipe (LLVM 15.0.6, 256 bits)", {}) == (TILES, False)
    assert tuning("NVIDIA H100 80GB HBM3", {}) == TUNED["nvidia"]
    tiles = ((64, 64, 16, 4, 4), (32, 32, 8, 4, 4, "single"))
    assert tuning("NVIDIA H100", {TILES_ENV: "64,64,16,4,4;32,32,8,4,4,single"}) == (tiles, False)


def test_long_reductions_use_workgroups():
    x = np.random.default_rng(1).standard_normal((3, 5000)).astype(np.float32)
    np.testing.assert_allclose(on_gpu(lambda v: jnp.sum(v, 1), x), x.sum(1, dtype=np.float64), rtol=1e-4)
    np.testing.assert_allclose(on_gpu(jnp.max, x), x.max())


def test_split_reductions_in_two_passes():
    rng = np.random.default_rng(2)
    x = rng.standard_normal(1 << 20).astype(np.float32)
    assert _shaders(jnp.sum, x)[0].strategy.startswith("split-reduce/")
    np.testing.assert_allclose(on_gpu(jnp.sum, x), x.sum(dtype=np.float64), rtol=1e-5)
    np.testing.assert_array_equal(on_gpu(jnp.max, x), x.max())
    m = x.reshape(4, -1)
    y = rng.standard_normal(4).astype(np.float32)
    epilogue = jaxnc.jit(lambda a, b: jnp.tanh(jnp.mean(a, 1) * 1e3) + b)  # the final pass reads another input
    np.testing.assert_allclose(on_gpu(epilogue, m, y), on_cpu(epilogue, m, y), rtol=1e-4, atol=1e-5)
    cols = x.reshape(-1, 8)  # reduced with a stride: 8 outputs, split along the rows
    np.testing.assert_allclose(on_gpu(lambda a: jnp.sum(a, 0), cols), cols.sum(0, dtype=np.float64), rtol=1e-4)
    ints = rng.integers(-1000, 1000, 1 << 20).astype(np.int32)
    np.testing.assert_array_equal(on_gpu(jnp.sum, ints), ints.sum(dtype=np.int32))
    np.testing.assert_array_equal(on_gpu(jnp.min, ints), ints.min())
    x[12345] = np.nan
    assert np.isnan(on_gpu(jnp.max, x))


@pytest.fixture
def small_bindings(monkeypatch):
    """Bind at most 4 KiB per binding, so that small arrays take several windows."""
    runtime = dev().backend.runtime
    monkeypatch.setattr(runtime, "binding_size", 4096)
    return runtime


def test_arrays_larger_than_a_binding_are_split_into_windows(small_bindings):
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((2, 5000)).astype(np.float32)  # 20 KB: 5 windows each
    np.testing.assert_allclose(on_gpu(jnp.hypot, x, y), np.hypot(x, y), rtol=2e-7)
    np.testing.assert_allclose(on_gpu(jnp.sum, x), x.sum(dtype=np.float64), rtol=1e-5)  # split reduction
    np.testing.assert_array_equal(on_gpu(jnp.max, x), x.max())
    m = rng.standard_normal((64, 300)).astype(np.float32)
    v = rng.standard_normal(64).astype(np.float32)
    epilogue = jaxnc.jit(lambda a, b: jnp.tanh(jnp.mean(a, 1)) * b)  # the final pass reads the inputs again
    np.testing.assert_allclose(on_gpu(epilogue, m, v), on_cpu(epilogue, m, v), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(on_gpu(lambda a: jnp.sum(a, 0), m), m.sum(0, dtype=np.float64), rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(on_gpu(lambda a: a[:, ::-3].T * 2, m), m[:, ::-3].T * 2)
    b = rng.random(20000) > 0.5  # byte-packed: windows of words
    np.testing.assert_array_equal(on_gpu(lambda u: ~u, b), ~b)
    i8 = rng.integers(-100, 100, 9000).astype(np.int8)
    np.testing.assert_array_equal(on_gpu(lambda u: u[::-1] + 1, i8), i8[::-1] + np.int8(1))
    assert small_bindings.dispatches > 0


@pytest.mark.parametrize("shapes,fn", MATMULS[:5])  # the larger ones would need more than 32 windows of 4 KiB
def test_matmul_over_windows(small_bindings, shapes, fn):
    rng = np.random.default_rng(5)
    args = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    np.testing.assert_allclose(on_gpu(jaxnc.jit(fn), *args), on_cpu(fn, *args), rtol=1e-4, atol=1e-4)


def test_windowed_shaders_bind_windows(small_bindings):
    from jaxnc_webgpu.kernels import render_kernel

    backend = dev().backend
    (kernel,) = backend.lower(jaxnc.make_jaxpr(lambda v: v * 2.0)(np.ones(5000, np.float32)).jaxpr).kernels()
    shader = render_kernel(kernel, backend.runtime.limits, {"in0": 5, "out": 5}, 4096)
    assert "in0_4" in shader.code and "out_put(" in shader.code
    assert backend._compile(kernel, {"in0": 5, "out": 5}, 4096).pipeline[1] == (5, 5)  # a valid layout


def test_what_cannot_be_split_is_refused_clearly(small_bindings):
    from jaxnc_webgpu.runtime import GpuBuffer, WebGPUError, WebGPUOutOfMemoryError

    backend = dev().backend
    limit = backend.runtime.limits["max-buffer-size"]
    with pytest.raises(WebGPUOutOfMemoryError, match=rf"{limit + 1} bytes exceeds the max-buffer-size {limit} of"):
        backend.runtime.allocate(limit + 1)
    per_stage = backend.runtime.limits["max-storage-buffers-per-shader-stage"]
    if per_stage < 1 << 12:  # NVIDIA allows millions of bindings
        small_bindings.binding_size = 64  # windows of 16 float32: one more window than the adapter binds
        with pytest.raises(WebGPUError, match=r"storage bindings .* more than the max-storage-buffers-per-shader"):
            on_gpu(lambda v: v + 1.0, np.ones(16 * per_stage + 1, np.float32))
    x = np.ones(8, np.float32)
    (kernel,) = backend.lower(jaxnc.make_jaxpr(lambda v: v + 1.0)(x).jaxpr).kernels()
    exe = backend.compile_kernel(kernel)
    huge = GpuBuffer(None, 4 << 31)  # 2**31 float32 elements: more than i32 indices reach
    with pytest.raises(WebGPUError, match=r"at most 2147483647 elements"):
        backend.launch(exe, [huge], huge)


def test_binding_size_is_overridable(monkeypatch):
    from jaxnc_webgpu.backend import WebGPUBackend
    from jaxnc_webgpu.runtime import BINDING_ENV

    adapter = dev().backend.adapter
    assert WebGPUBackend(adapter, max_binding_size=4096).runtime.binding_size == 4096
    monkeypatch.setenv(BINDING_ENV, "8192")
    assert WebGPUBackend(adapter).runtime.binding_size == 8192
    monkeypatch.delenv(BINDING_ENV)
    assert WebGPUBackend(adapter).runtime.binding_size == adapter.adapter.limits["max-storage-buffer-binding-size"]


def test_values_read_twice_are_recomputed_not_materialized():
    x, y = np.random.default_rng(3).standard_normal((2, 1000)).astype(np.float32)
    (hypot,) = _shaders(jnp.hypot, x, y)  # 5 kernels and 4 temporaries with the default planner
    assert hypot.strategy == "elementwise"
    np.testing.assert_allclose(on_gpu(jnp.hypot, x, y), np.hypot(x, y), rtol=2e-7)
    softmax = jaxnc.nn.softmax
    assert len(_shaders(softmax, x.reshape(10, 100))) == 3  # max, sum of exp, exp / sum
    np.testing.assert_allclose(on_gpu(softmax, x.reshape(10, 100)), on_cpu(softmax, x.reshape(10, 100)), rtol=1e-6)


@pytest.mark.skipif(
    os.environ.get("JAXNC_WEBGPU_BIG_TESTS", "") in ("", "0"),
    reason="allocates arrays just over the adapter's binding size (2 x 2 GiB on NVIDIA); JAXNC_WEBGPU_BIG_TESTS=1",
)
def test_arrays_over_the_adapters_own_binding_size():
    from jaxnc_webgpu.runtime import MAX_ELEMENTS

    limit = dev().backend.runtime.limits["max-storage-buffer-binding-size"]
    n = (limit // 4 // 1024 + 1024) * 1024  # float32 elements: just over one binding
    if n > MAX_ELEMENTS:
        pytest.skip(f"the adapter binds {limit} bytes, more than i32 indices reach")
    x = (np.arange(n, dtype=np.int64) % 7 - 3).astype(np.float32)  # small integers: every sum is exact
    gx = jaxnc.device_put(x, dev())
    np.testing.assert_array_equal(np.asarray(gx * 2.0 + 1.0), x * 2 + 1)
    np.testing.assert_array_equal(np.asarray(jnp.sum(gx)), x.sum(dtype=np.float64))
    rows = x.reshape(-1, 1024)
    np.testing.assert_array_equal(np.asarray(jnp.sum(gx.reshape(-1, 1024), 1)), rows.sum(1))
    w = (np.arange(1024 * 8) % 5 - 2).astype(np.float32).reshape(1024, 8)
    np.testing.assert_array_equal(np.asarray(gx.reshape(-1, 1024) @ w), rows @ w)


def test_float16_max_min_nan_compile_and_propagate():
    """jx_isnan_f16 tests the bits of the value widened to f32 (naga cannot bitcast vec2<f16>)."""
    gpu = dev()
    if np.dtype(np.float16) not in gpu.backend.dtypes:
        pytest.skip("adapter without shader-f16")
    a = np.array([1.0, np.nan, -np.inf, 0.0, 65504.0, np.nan], np.float16)
    b = np.array([np.nan, 2.0, 3.0, -0.0, np.inf, np.nan], np.float16)
    got = jaxnc.jit(lambda x, y: (jnp.maximum(x, y), jnp.minimum(x, y), jnp.isnan(x), jnp.isinf(y)))(
        jaxnc.device_put(a, gpu), jaxnc.device_put(b, gpu))
    want = (np.maximum(a, b), np.minimum(a, b), np.isnan(a), np.isinf(b))
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(np.asarray(g), w)
