"""Native routines on WebGPU: procs rendered as WGSL (routines.py), checked against the cpu backend.

Every primitive with a native algorithm in `proc.BUILDERS` is run through the rows of EXAMPLES whose
programs contain it, in every dtype the adapter stores, and must run natively for at least one of
them; an algorithm added to the registry later is covered by the same rows (or fails, asking for one).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable

import numpy as np
import pytest

import jaxnc
import jaxnc.lax as lax
import jaxnc.numpy as jnp
from jaxnc._src.core import ShapedArray
from jaxnc._src.lowering import ir, proc
from jaxnc._src.lowering import routines as _registered  # noqa: F401 - fills proc.BUILDERS
from jaxnc._src.lowering.backend import NativeRoutine
from jaxnc._src.lowering.proc import ProcBuilder, RoutineProgram, run_program

F32, F64, F16 = np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.float16)
I32, U32, I64, U64 = (np.dtype(t) for t in (np.int32, np.uint32, np.int64, np.uint64))
I8, U8, BOOL = np.dtype(np.int8), np.dtype(np.uint8), np.dtype(np.bool_)
DTYPES = (F32, I32, U32, F16, I8, U8, BOOL, F64, I64, U64)


def backend():
    return jaxnc.devices("webgpu")[0].backend


@pytest.fixture(autouse=True)
def _no_loop_limit(monkeypatch):
    """The inputs here are small, so every proc stays below llvmpipe's loop limit (see routines.LOOP_LIMITS):
    run them natively even where the backend would keep the host reference for unknown trip counts."""
    monkeypatch.setattr(backend().procs, "loop_limit", None)


@contextlib.contextmanager
def x64(on: bool):
    old = jaxnc.config.jax_enable_x64
    jaxnc.config.update("jax_enable_x64", on)
    try:
        yield
    finally:
        jaxnc.config.update("jax_enable_x64", old)


# --- every native algorithm, through calls that lower to it ---------------------------------------


def _values(rng, shape, dt, nan=False):
    if dt == BOOL:
        return rng.random(shape) > 0.5
    if dt.kind == "f":
        x = (rng.standard_normal(shape) * 3).astype(dt)
        if nan:
            x.reshape(-1)[[1, 7]] = np.nan
        return x
    lo = 0 if dt.kind == "u" else -20
    return rng.integers(lo, lo + 40, shape).astype(dt)


def _small(rng, shape, dt):
    """Values whose products stay representable (cumprod)."""
    if dt == BOOL or dt.kind in "iu":
        return _values(rng, shape, dt) % 3 if dt != BOOL else _values(rng, shape, dt)
    return rng.uniform(0.5, 1.5, shape).astype(dt)


def _spd(rng, n, dt):
    a = rng.standard_normal((2, n, n))
    return (a @ np.swapaxes(a, -1, -2) + n * np.eye(n)).astype(dt)


def _reconstruct(u, s, vh):
    return (u * s[..., None, :]) @ vh


@dataclasses.dataclass(frozen=True)
class Example:
    name: str
    fn: Callable
    make: Callable  # (rng, dtype) -> args
    kinds: str = "fiub"  # dtype kinds the call takes


def _scatter(name: str, update: Callable, shape: tuple, idx: list, vals: Callable) -> Example:
    """x.at[idx] updated with values: repeated indices combine (set: the last one wins)."""
    upd_shape = (len(idx), *shape[1:])
    return Example(name, lambda x, i, v: update(x.at[i], v),
                   lambda r, d: [vals(r, shape, d), np.array(idx, np.int32), vals(r, upd_shape, d)],
                   "fiub" if name == "scatter" else "fiu")  # fmt: skip


EXAMPLES = [
    Example("cumsum", lambda x: lax.cumsum(x, axis=1), lambda r, d: [_values(r, (3, 5, 2), d)]),
    Example("cumsum_rev", lambda x: lax.cumsum(x, axis=0, reverse=True), lambda r, d: [_values(r, (4, 3), d)]),
    Example("cumprod", lambda x: lax.cumprod(x, axis=1), lambda r, d: [_small(r, (3, 6), d)]),
    Example("cummax", lambda x: lax.cummax(x, axis=0), lambda r, d: [_values(r, (5, 3), d, nan=True)]),
    Example("cummin", lambda x: lax.cummin(x, axis=1, reverse=True), lambda r, d: [_values(r, (3, 5), d, nan=True)]),
    Example("sort", lambda x: lax.sort(x, dimension=1), lambda r, d: [_values(r, (3, 7), d)]),
    Example("sort_nan", lambda x: lax.sort(x, dimension=0), lambda r, d: [_values(r, (6, 2), d, nan=True)], "f"),
    Example("sort_long", lambda x: lax.sort(x), lambda r, d: [_values(r, (2, 300), d)]),
    Example("argsort", lambda x: jnp.argsort(x, axis=1), lambda r, d: [_values(r, (3, 9), d)]),
    Example(
        "sort_key_val",
        lambda k, v: lax.sort_key_val(k, v, dimension=0),
        lambda r, d: [_values(r, (5, 2), d), r.standard_normal((5, 2)).astype(np.float32)],
    ),  # fmt: skip
    Example("top_k", lambda x: lax.top_k(x, 3), lambda r, d: [_values(r, (2, 8), d)], "fiu"),
    *(
        _scatter(name, update, shape, idx, vals)
        for name, update, shape, idx, vals in [
            ("scatter_add", lambda at, v: at.add(v), (6,), [0, 2, 2, 5], _values),
            ("scatter", lambda at, v: at.set(v), (6, 2), [4, 1], _values),
            ("scatter_max", lambda at, v: at.max(v), (6,), [1, 1, 3], _values),
            ("scatter_min", lambda at, v: at.min(v), (6,), [5, 0, 5], _values),
            ("scatter_mul", lambda at, v: at.multiply(v), (6,), [2, 2, 4], _small),
        ]
    ),
    Example("gather", lambda x, i: x[i], lambda r, d: [_values(r, (5, 3), d), np.array([4, 0, 2, 2], np.int32)]),
    Example("cholesky", lambda a: lax.linalg.cholesky(a), lambda r, d: [_spd(r, 4, d)], "f"),
    Example(
        "triangular_solve",
        lambda a, b: lax.linalg.triangular_solve(a, b, left_side=True, lower=True),
        lambda r, d: [np.tril(_spd(r, 4, d)), r.standard_normal((2, 4, 3)).astype(d)],
        "f",
    ),  # fmt: skip
    Example("lu", lambda a: lax.linalg.lu(a), lambda r, d: [r.standard_normal((2, 4, 4)).astype(d)], "f"),
    Example(
        "qr",
        lambda a: (lambda q, rr: (q @ rr, jnp.abs(rr)))(*lax.linalg.qr(a, full_matrices=False)),
        lambda r, d: [r.standard_normal((2, 5, 3)).astype(d)],
        "f",
    ),  # fmt: skip
    Example(
        "eigh",
        lambda a: (lambda v, w: (w, (v * w[..., None, :]) @ jnp.swapaxes(v, -1, -2)))(*lax.linalg.eigh(a)),
        lambda r, d: [_spd(r, 4, d)],
        "f",
    ),  # fmt: skip
    Example(
        "svd",
        lambda a: (lambda u, s, vh: (s, _reconstruct(u, s, vh)))(*lax.linalg.svd(a, full_matrices=False)),
        lambda r, d: [r.standard_normal((2, 4, 3)).astype(d)],
        "f",
    ),  # fmt: skip
    Example("fft", lambda x: jnp.abs(jnp.fft.fft(x)), lambda r, d: [r.standard_normal((2, 8)).astype(d)], "f"),
    Example("rfft", lambda x: jnp.abs(jnp.fft.rfft(x)), lambda r, d: [r.standard_normal((3, 6)).astype(d)], "f"),
    Example("irfft", lambda x: jnp.fft.irfft(jnp.fft.rfft(x)), lambda r, d: [r.standard_normal((2, 8)).astype(d)], "f"),
]


def _tolerance(dt) -> dict:
    if dt.kind in "iub":
        return dict(rtol=0, atol=0)
    return {F16: dict(rtol=1e-2, atol=1e-2), F32: dict(rtol=1e-4, atol=1e-5), F64: dict(rtol=1e-10, atol=1e-12)}[dt]


def _lower(gpu, fn, *args):
    from jaxnc._src.interpreters.partial_eval import convert_constvars

    return gpu.lower(convert_constvars(jaxnc.make_jaxpr(fn)(*args).jaxpr))


def _run(fn, args, device) -> list[np.ndarray]:
    out = jaxnc.jit(fn)(*[jaxnc.device_put(a, device) for a in args])
    return [np.asarray(o) for o in (out if isinstance(out, (tuple, list)) else (out,))]


# (routine, dtype) -> why it does not run natively yet; the test fails when it starts to (remove it then)
KNOWN_GAPS: dict[tuple[str, str], str] = {}


def _check(gpu, name: str, ex: Example, dt, launches: list) -> bool | None:
    """Run `ex` in `dt` on webgpu and cpu and compare; whether `name` ran natively (None: not in its program)."""
    with x64(dt.itemsize == 8):
        args = ex.make(np.random.default_rng(0), dt)
        routines = [r for r in _lower(gpu, ex.fn, *args).routines() if r.name == name]
        if not routines:
            return None
        runs_native = all(gpu.compile_routine(r) is not None for r in routines)
        if not runs_native and all(proc.build_native(r, gpu) is not None for r in routines):
            raise AssertionError(f"{name} fell back to the host although the backend renders its procs")
        del launches[:]
        got = _run(ex.fn, args, jaxnc.devices("webgpu")[0])
        want = _run(ex.fn, args, jaxnc.devices("cpu")[0])
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w.astype(g.dtype), **_tolerance(dt))
    assert not runs_native or launches, f"{name} compiled natively but launched no proc"
    return runs_native


@pytest.mark.parametrize("name", sorted(proc.BUILDERS))
def test_native_routine_matches_cpu(name, monkeypatch):
    gpu = backend()
    launches: list = []
    launch_proc = gpu.launch_proc
    monkeypatch.setattr(gpu, "launch_proc", lambda exe, bufs: (launches.append(exe.name), launch_proc(exe, bufs)))
    native, failed = [], {}
    for dt in DTYPES:
        if dt not in gpu.dtypes:
            continue
        errors, ran = {}, []
        for ex in EXAMPLES:
            if dt.kind in ex.kinds:
                try:
                    ran.append(_check(gpu, name, ex, dt, launches))
                except Exception as e:  # noqa: BLE001 - every row is tried; the failures are listed below
                    errors[ex.name] = str(e).strip().splitlines()[0][:300]
        native += [dt.name] * any(ran)
        gap = KNOWN_GAPS.get((name, dt.name))
        if gap is None:
            failed |= {(ex, dt.name): msg for ex, msg in errors.items()}
        elif not errors and any(r is not None for r in ran):
            failed[("*", dt.name)] = f"passes now: remove ({name!r}, {dt.name!r}) from KNOWN_GAPS"
    assert not failed, "\n".join(f"{k}: {v}" for k, v in failed.items())
    assert native, f"no row of EXAMPLES runs {name} natively; add a row that calls it"
    gaps = [f"{dt}: {gap}" for (n, dt), gap in KNOWN_GAPS.items() if n == name]
    if gaps:
        pytest.xfail("; ".join(gaps))


# --- procs the registry does not have yet ----------------------------------------------------------


def _gcd_steps() -> proc.Proc:
    """gcd(a, b) by subtraction and the number of steps, per element: a while loop around an if/else."""
    b = ProcBuilder("gcd", (8,), [I32, I32, I32, I32])
    x = b.let("x", b.load(0, b.grid(0)))
    y = b.let("y", b.load(1, b.grid(0)))
    steps = b.let("steps", 0)
    with b.while_(ir.apply("ne", x, y)):
        with b.if_(ir.apply("gt", x, y)):
            b.set("x", ir.apply("sub", x, y))
        with b.else_():
            b.set("y", ir.apply("sub", y, x))
        b.set("steps", ir.add(steps, ir.iconst(1)))
    b.store(2, b.grid(0), x)
    b.store(3, b.grid(0), steps)
    return b.build()


def run_on_gpu(program: RoutineProgram, ins: list[np.ndarray], out_avals, runner=None) -> list[np.ndarray]:
    """`program` on the webgpu backend (its procs compiled by `runner`, default the backend's)."""
    gpu = backend()
    runner = runner or gpu.procs
    exe = NativeRoutine(gpu, program, [runner.compile(p) for p in program.procs])
    bufs = [gpu._upload(np.ascontiguousarray(x)) for x in ins]
    outs = [gpu._upload(np.zeros(a.shape, a.dtype)) for a in out_avals]
    scratch = [gpu.allocate(max(1, n) * np.dtype(d).itemsize) for d, n in program.scratch]
    try:
        buffers = [*(s.raw for s in bufs), *(s.raw for s in outs), *(c.raw for c in exe.consts), *scratch]
        for compiled in exe.procs:
            runner.launch(compiled, buffers)
        return [gpu.read(s.raw, a) for s, a in zip(outs, out_avals, strict=True)]
    finally:
        for s in [*bufs, *outs]:
            gpu._decref(s)
        for raw in scratch:
            gpu.release(raw)


def test_while_and_if_else():
    program = RoutineProgram((_gcd_steps(),), 2, 2)
    a = np.array([1, 12, 7, 100, 48, 17, 1071, 5], np.int32)
    c = np.array([1, 18, 7, 75, 36, 5, 462, 125], np.int32)
    avals = [ShapedArray((8,), I32)] * 2
    got = run_on_gpu(program, [a, c], avals)
    np.testing.assert_array_equal(got[0], np.gcd(a, c))
    for g, w in zip(got, run_program(program, [a, c], avals), strict=True):
        np.testing.assert_array_equal(g, w)
    code = backend().procs.compile(program.procs[0]).shader.code
    assert "loop {" in code and "} else {" in code and "var<storage, read> b0" in code


def test_for_bounds_are_evaluated_once():
    b = ProcBuilder("bounds", (), [I32])
    stop = b.let("stop", 3)
    count = b.let("count", 0)
    with b.loop("i", 0, stop) as i:
        b.set("stop", ir.add(stop, ir.iconst(1)))  # does not extend the running loop
        b.set("count", ir.add(count, i))
    b.store(0, 0, count)
    (got,) = run_on_gpu(RoutineProgram((b.build(),), 0, 1), [], [ShapedArray((1,), I32)])
    assert got[0] == 0 + 1 + 2


def _two_stage(n: int) -> RoutineProgram:
    """Stage 1 writes scratch[i] = x[i] * c[i % 3]; stage 2 reads stage 1's stores in reverse, so it needs
    every point of stage 1 done (the dispatch boundary), and writes out[i] = scratch[n-1-i] + scratch[i]."""
    b = ProcBuilder("scale", (n,), [F32, F32, F32, F32])
    i = b.grid(0)
    b.store(3, i, ir.mul(b.load(0, i), b.load(2, ir.rem(i, ir.iconst(3)))))
    first = b.build()
    b = ProcBuilder("mirror", (n,), [F32, F32, F32, F32])
    i = b.grid(0)
    b.store(1, i, ir.add(b.load(3, ir.apply("sub", ir.iconst(n - 1), i)), b.load(3, i)))
    consts = (np.array([1.0, -2.0, 0.5], np.float32),)
    return RoutineProgram((first, b.build()), 1, 1, consts=consts, scratch=((F32, n),))


def test_multi_proc_program_sees_earlier_stores():
    n = 1000
    program = _two_stage(n)
    x = np.random.default_rng(1).standard_normal(n).astype(np.float32)
    avals = [ShapedArray((n,), F32)]
    rt = backend().runtime
    rt.flush()
    submits = rt.submits
    (got,) = run_on_gpu(program, [x], avals)
    np.testing.assert_array_equal(got, run_program(program, [x], avals)[0])
    assert rt.submits - submits <= 2  # the uploads' flush, then both dispatches and the readback in one


def test_two_dimensional_dispatch_past_the_workgroup_limit():
    from jaxnc_webgpu.routines import WG, ProcRunner

    gpu = backend()
    runner = ProcRunner(gpu.runtime, gpu.dtypes, max_groups=4)
    n = 5 * (4 * WG * 3 // 5 + 1)  # 13 workgroups: a 4 x 4 grid
    b = ProcBuilder("iota2", (n // 5, 5), [I32])
    b.store(0, ir.add(ir.mul(b.grid(0), ir.iconst(5)), b.grid(1)), ir.add(ir.mul(b.grid(0), ir.iconst(10)), b.grid(1)))
    p = b.build()
    assert runner.compile(p).shader.grid == (4, 4, 1)
    (got,) = run_on_gpu(RoutineProgram((p,), 0, 1), [], [ShapedArray((n,), I32)], runner)
    g0, g1 = np.divmod(np.arange(n), 5)
    np.testing.assert_array_equal(got, g0 * 10 + g1)


@pytest.mark.parametrize("dt", [BOOL, I8, U8])
def test_byte_stores_from_neighbouring_points(dt):
    """Points i..i+3 share a u32 word: each writes its byte atomically (a plain store would race)."""
    n = 4 * 257 + 3
    b = ProcBuilder("bytes", (n,), [I32, dt])
    i = b.grid(0)
    b.store(1, i, ir.cast(ir.apply("sub", b.load(0, i), ir.iconst(100)), dt))
    program = RoutineProgram((b.build(),), 1, 1)
    x = np.random.default_rng(2).integers(0, 300, n).astype(np.int32)
    avals = [ShapedArray((n,), dt)]
    (got,) = run_on_gpu(program, [x], avals)
    np.testing.assert_array_equal(got, run_program(program, [x], avals)[0])


def test_locals_of_each_dtype_and_math_expansions():
    """A local per stored dtype, loaded, combined and stored back; exp goes through the f32 expansion."""
    gpu = backend()
    dts = [d for d in (F32, I32, U32, F16, F64, I64, U64, I8, U8, BOOL) if d in gpu.dtypes]
    b = ProcBuilder("mix", (5,), [F32, *dts])
    i = b.grid(0)
    for k, dt in enumerate(dts):
        v = b.let(f"x{k}", ir.cast(b.load(0, i), dt))
        b.set(f"x{k}", ir.apply("or" if dt == BOOL else "add", v, ir.cast(ir.apply("exp", b.load(0, i)), dt)))
        b.store(1 + k, i, v)
    program = proc.prepare(RoutineProgram((b.build(),), 1, len(dts)), gpu.renders)
    x = np.array([-3.0, 0.5, 1.5, 2.0, 4.0], np.float32)
    avals = [ShapedArray((5,), dt) for dt in dts]
    got = run_on_gpu(program, [x], avals)
    for g, w, dt in zip(got, run_program(program, [x], avals), dts, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-3 if dt == F16 else 1e-6, err_msg=dt.name)


# --- natively, once, and falling back where the adapter lacks something ---------------------------


def test_routines_run_natively_in_one_submit():
    gpu = backend()
    f = jaxnc.jit(lambda x: jnp.cumsum(x * 2.0, axis=1) + 1.0)
    x = jaxnc.device_put(np.arange(12, dtype=np.float32).reshape(3, 4), jaxnc.devices("webgpu")[0])
    np.asarray(f(x))  # compile
    gpu.runtime.flush()
    before = gpu.memory_stats()
    got = np.asarray(f(x))
    after = gpu.memory_stats()
    np.testing.assert_allclose(got, np.cumsum(np.arange(12, dtype=np.float32).reshape(3, 4) * 2, axis=1) + 1)
    assert after["submits"] - before["submits"] == 1  # kernel, proc, kernel and the readback's copy
    assert after["dispatches"] - before["dispatches"] == 3


def test_compiled_procs_are_cached_by_structure():
    gpu = backend()
    a, b = _gcd_steps(), _gcd_steps()
    assert a is not b and gpu.procs.compile(a) is gpu.procs.compile(b)


def test_falls_back_when_the_adapter_lacks_a_dtype_or_binding_size(monkeypatch):
    gpu = backend()
    lower = lambda dt: _lower(gpu, lambda x: lax.cumsum(x, axis=0), np.ones(4, dt))  # noqa: E731
    (routine,) = lower(F32).routines()
    assert gpu.compile_routine(routine) is not None
    monkeypatch.setitem(gpu.runtime.limits, "max-storage-buffer-binding-size", 8)
    assert gpu.compile_routine(routine) is None
    monkeypatch.undo()
    with x64(True):
        (routine,) = lower(F64).routines()
    monkeypatch.setattr(gpu, "dtypes", gpu.dtypes - {F64})
    assert gpu.compile_routine(routine) is None


def test_scatters_of_many_updates_keep_the_host_reference(monkeypatch):
    """Updates apply in order in one invocation; past SERIAL_UPDATES the host round trip is faster."""
    from jaxnc_webgpu import backend as webgpu_backend

    gpu = backend()
    f = lambda x, i, v: x.at[i].add(v)  # noqa: E731
    args = (np.zeros(64, F32), np.arange(40, dtype=np.int32) % 64, np.ones(40, F32))
    (routine,) = [r for r in _lower(gpu, f, *args).routines() if r.name == "scatter_add"]
    assert gpu.compile_routine(routine) is not None
    monkeypatch.setattr(webgpu_backend, "SERIAL_UPDATES", 39)
    assert gpu.compile_routine(routine) is None
    got = _run(f, args, jaxnc.devices("webgpu")[0])[0]
    np.testing.assert_array_equal(got, np.bincount(args[1], minlength=64).astype(F32))


def test_procs_that_may_outrun_a_driver_loop_limit_keep_the_host_reference(monkeypatch):
    from jaxnc_webgpu.routines import Unsupported, max_trips

    gpu = backend()
    b = ProcBuilder("long", (), [I32])
    acc = b.let("acc", 0)
    with b.loop("a", 0, 300), b.loop("c", 0, 300):
        b.set("acc", ir.add(acc, ir.iconst(1)))
    b.store(0, 0, acc)
    long = b.build()
    assert max_trips(long.body) == 300 * 301 and max_trips(_gcd_steps().body) is None
    if "llvmpipe" in str(gpu.adapter).lower():  # the driver's limit itself: lift LOOP_LIMITS when this fails
        (got,) = run_on_gpu(RoutineProgram((long,), 0, 1), [], [ShapedArray((1,), I32)])
        assert got[0] < 300 * 300
    monkeypatch.setattr(gpu.procs, "loop_limit", 65535)
    with pytest.raises(Unsupported, match="may run 90300 loop iterations"):
        gpu.procs.compile(long)
    f = jaxnc.jit(lambda x, i, v: x.at[i].add(v))  # one sequential pass over 100k updates
    x, i, v = np.zeros(1000, np.float32), np.arange(100_000, dtype=np.int32) % 1000, np.ones(100_000, np.float32)
    (routine,) = [r for r in _lower(gpu, f, x, i, v).routines() if r.name == "scatter_add"]
    assert gpu.compile_routine(routine) is None
    got = f(*[jaxnc.device_put(a, jaxnc.devices("webgpu")[0]) for a in (x, i, v)])
    np.testing.assert_array_equal(np.asarray(got), np.full(1000, 100, np.float32))


def test_a_written_buffer_bound_twice_is_refused_before_submit():
    from jaxnc_webgpu.runtime import WebGPUError

    gpu = backend()
    b = ProcBuilder("alias", (4,), [F32, F32])
    b.store(1, b.grid(0), b.load(0, b.grid(0)))
    exe = gpu.procs.compile(b.build())
    buf = gpu.allocate(16)
    try:
        with pytest.raises(WebGPUError, match="writes buffer 1, which is also bound"):
            gpu.procs.launch(exe, [buf, buf])
    finally:
        gpu.release(buf)
