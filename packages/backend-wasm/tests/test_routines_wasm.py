"""Native routines on wasm: procedures rendered as wasm functions match the cpu backend and the interpreter.

`test_native_algorithm` is parametrized over core's registry (`proc.BUILDERS`), so an algorithm added
to `lowering/routines/` is covered here as soon as it is registered: it runs every example below and
every conformance row whose program calls that routine, in every dtype its builder accepts.
"""

from __future__ import annotations

import collections
import functools

import numpy as np
import pytest

import jaxnc
import jaxnc.lax as lax
import jaxnc.numpy as jnp
from jaxnc._src import dtypes
from jaxnc._src.core import ShapedArray
from jaxnc._src.interpreters.partial_eval import convert_constvars
from jaxnc._src.lowering import ir, proc, routines  # noqa: F401 - routines registers the builders
from jaxnc._src.lowering.backend import NativeRoutine
from jaxnc._src.lowering.proc import ProcBuilder, RoutineProgram, run_program
from jaxnc.testing.conformance import OP_CASES, OpCase, make_args
from jaxnc_wasm import routines as wasm_routines
from jaxnc_wasm.backend import WasmBackend

DTYPES = [np.dtype(d) for d in (np.float32, np.float64, np.int32, np.int64, np.uint32, np.uint64, np.int8,
                                np.uint8, np.int16, np.uint16, np.bool_, np.float16, dtypes.bfloat16, np.complex64, np.complex128)]  # fmt: skip
I32, I64, F64, U8, BOOL = (np.dtype(d) for d in (np.int32, np.int64, np.float64, np.uint8, np.bool_))
S3 = (2, 5, 3)


def _lax_examples() -> list[OpCase]:
    """Calls of routines that may have native algorithms, beyond the conformance rows."""
    cases = []
    for name in ("cumsum", "cumprod", "cummax", "cummin"):
        fn = getattr(lax, name)
        for axis, reverse in ((1, False), (0, True), (2, False)):
            cases.append(OpCase(f"{name}-{axis}-{reverse}", lambda x, f=fn, a=axis, r=reverse: f(x, axis=a, reverse=r),
                                None, (S3,)))  # fmt: skip
    cases += [
        OpCase("sort-0", lambda x: lax.sort(x, dimension=0), None, (S3,)),
        OpCase("sort-2", lambda x: lax.sort(x, dimension=2), None, ((3, 2, 9),)),
        OpCase("sort-kv", lambda k, v: lax.sort((k, v), dimension=1, num_keys=1), None, ((3, 7), (3, 7))),
        OpCase("argsort", lambda x: jnp.argsort(x, axis=1), None, ((4, 6),)),
        OpCase("top_k", lambda x: lax.top_k(x, 3), None, ((3, 8),)),
        OpCase("scatter-add", lambda x, i, v: x.at[i].add(v), None, ((5,), (4,), (4,)), ("real", "index", "real")),
        OpCase("scatter-set", lambda x, i, v: x.at[i].set(v), None, ((5, 2), (3,), (3, 2)), ("real", "index", "real")),
        OpCase("scatter-max", lambda x, i, v: x.at[i].max(v), None, ((5,), (4,), (4,)), ("real", "index", "real")),
        OpCase("scatter-min", lambda x, i, v: x.at[i].min(v), None, ((5,), (4,), (4,)), ("real", "index", "real")),
        OpCase("scatter-mul", lambda x, i, v: x.at[i].multiply(v), None, ((5,), (4,), (4,)), ("real", "index", "real")),
        OpCase("gather", lambda x, i: x[i], None, ((5, 3), (4,)), ("real", "index")),
        OpCase("argmax", lambda x: jnp.argmax(x, axis=1), None, ((3, 5),)),
        OpCase("argmin", lambda x: jnp.argmin(x, axis=0), None, ((3, 5),)),
        OpCase(
            "cholesky",
            lambda x: lax.linalg.cholesky(x @ x.T + 4 * jnp.eye(4, dtype=x.dtype)),
            None,
            ((4, 4),),
            rtol=1e-4,
            atol=1e-5,
        ),  # fmt: skip
        OpCase(
            "triangular_solve",
            lambda a, b: lax.linalg.triangular_solve(
                jnp.tril(a) + 4 * jnp.eye(4, dtype=a.dtype), b, left_side=True, lower=True
            ),
            None,
            ((4, 4), (4, 3)),
            rtol=1e-4,
            atol=1e-5,
        ),  # fmt: skip
        OpCase("lu", lambda x: lax.linalg.lu(x), None, ((4, 4),), rtol=1e-4, atol=1e-5),
        OpCase("qr", lambda x: lax.linalg.qr(x), None, ((5, 3),), rtol=1e-4, atol=1e-5),
        OpCase("eigh", lambda x: lax.linalg.eigh(x + x.T)[1] ** 2, None, ((4, 4),), rtol=1e-3, atol=1e-4),
        OpCase("fft", lambda x: jnp.fft.fft(x), None, ((3, 8),), rtol=1e-4, atol=1e-4),
        OpCase("ifft", lambda x: jnp.fft.ifft(x, axis=0), None, ((6, 2),), rtol=1e-4, atol=1e-4),
        OpCase("rfft", lambda x: jnp.fft.rfft(x), None, ((2, 10),), rtol=1e-4, atol=1e-4),
        OpCase("irfft", lambda x: jnp.fft.irfft(x), None, ((2, 5),), rtol=1e-4, atol=1e-4),
    ]
    return cases


EXAMPLES = _lax_examples()
CONFORMANCE_ROWS = 3  # conformance rows per routine beyond EXAMPLES (they repeat the same calls: keep the test fast)


def _wasm() -> WasmBackend:
    return jaxnc.devices("wasm")[0].backend


def _program_routines(backend, case: OpCase, dtype) -> list | None:
    """The routines of `case`'s program on arguments of `dtype`, or None if it does not trace with them."""
    try:
        closed = jaxnc.make_jaxpr(case.fn)(*make_args(case, dtype, seed=3))
        return backend.lower(convert_constvars(closed.jaxpr)).routines()
    except (TypeError, ValueError, NotImplementedError):  # not a valid input of this example
        return None


@functools.cache
def _plan() -> dict[str, list[tuple[OpCase, np.dtype]]]:
    """routine name -> the (example, dtype) pairs whose program runs it natively on wasm; a pair whose
    native routines are all the same calls (avals, params) as an earlier dtype's of that example is left
    out. Called with x64 on, so that float64 and int64 arguments keep their dtypes."""
    backend, plan = _wasm(), collections.defaultdict(list)
    rows, native = collections.Counter(), {}
    for case in EXAMPLES + list(OP_CASES):
        names = {r.name for r in _program_routines(backend, case, case.dtypes[0]) or ()} & set(proc.BUILDERS)
        dts = DTYPES
        if case not in EXAMPLES:  # a conformance row: a few per routine, in the dtypes it declares
            names = {n for n in names if rows[n] < CONFORMANCE_ROWS}
            rows.update(names)
            dts = [np.dtype(d) for d in case.dtypes]
        seen = set()
        for dtype in dts if names else ():
            calls = {str(r): r for r in _program_routines(backend, case, dtype) or () if r.name in names}
            for sig, r in calls.items():
                if sig not in native:
                    native[sig] = backend.compile_routine(r) is not None  # the backend's policy too
            new = {calls[sig].name for sig in calls if native[sig] and sig not in seen}
            seen.update(calls)
            for name in new:
                plan[name].append((case, dtype))
    return plan


@pytest.fixture
def launches(monkeypatch) -> list[str]:
    """The names of the procs the wasm backend launches during the test."""
    backend, names = _wasm(), []
    launch_proc = backend.launch_proc
    monkeypatch.setattr(backend, "launch_proc", lambda exe, bufs: (names.append(exe.name), launch_proc(exe, bufs)))
    return names


def _tolerance(case: OpCase, dtype: np.dtype) -> dict:
    if dtype.kind in "iub":
        return dict(rtol=0, atol=0)
    bits = dtype.itemsize * (4 if dtype.kind == "c" else 8)  # of one real component
    if bits == 64:
        return dict(rtol=1e-9, atol=1e-12)
    if bits == 16:  # float16, bfloat16: one rounding apart
        return dict(rtol=1e-2, atol=1e-3)
    return dict(rtol=max(case.rtol, 1e-6), atol=case.atol)


@pytest.mark.usefixtures("x64")
@pytest.mark.parametrize("name", sorted(proc.BUILDERS))
def test_native_algorithm(name, launches):
    """Every example calling routine `name`, in every dtype its builder accepts: wasm (native) == cpu."""
    runs = _plan().get(name)
    assert runs, f"no example runs the native algorithm of {name}: add a row to EXAMPLES in {__file__}"
    failures = []
    for case, dtype in runs:
        args = make_args(case, dtype, seed=3)
        launches.clear()
        try:
            got = jaxnc.jit(case.fn)(*[jaxnc.device_put(a, jaxnc.devices("wasm")[0]) for a in args])
            want = jaxnc.jit(case.fn)(*[jaxnc.device_put(a, jaxnc.devices("cpu")[0]) for a in args])
            assert launches, "no proc was launched"
            for g, w in zip(jaxnc.tree_util.tree_leaves(got), jaxnc.tree_util.tree_leaves(want), strict=True):
                g, w = np.asarray(g), np.asarray(w)
                assert g.dtype == w.dtype and g.shape == w.shape, (g.dtype, g.shape, w.dtype, w.shape)
                np.testing.assert_allclose(g, w, **_tolerance(case, g.dtype))
        except Exception as e:  # noqa: BLE001 - collected, reported together below
            failures.append(f"{case.name}[{dtype.name}]: {type(e).__name__}: {str(e)[:600]}")
    assert not failures, "\n".join(failures)


def _larger_cases():
    rng = np.random.default_rng(4)
    f32, i32 = np.float32, np.int32
    return {
        "sort": (lambda k, v: lax.sort((k, v), dimension=1, num_keys=1),
                 [rng.standard_normal((3, 5000)).astype(f32), rng.integers(0, 9, (3, 5000)).astype(i32)]),
        "argsort": (lambda x: jnp.argsort(x), [rng.integers(0, 50, 4000).astype(i32)]),
        "scatter_add": (lambda x, i, v: x.at[i].add(v),
                        [np.zeros(1000, f32), rng.integers(0, 1000, 100_000).astype(i32), rng.random(100_000).astype(f32)]),
        "cumsum": (lambda x: lax.cumsum(x, axis=0), [rng.standard_normal((300, 1000)).astype(f32)]),  # threads split it
        "gather": (lambda x, i: x[i], [rng.standard_normal((1000, 16)).astype(f32), rng.integers(0, 1000, 50_000).astype(i32)]),
        "cholesky": (lambda x: lax.linalg.cholesky(x @ x.T + 64 * jnp.eye(64)), [rng.standard_normal((64, 64)).astype(f32)]),
        "top_k": (lambda x: lax.top_k(x, 5), [rng.standard_normal((100, 1000)).astype(f32)]),
    }  # fmt: skip


@pytest.mark.parametrize("name", sorted(_larger_cases()))
def test_larger_inputs(name, launches):
    """Sizes where loops run long, grids split over threads and indices reach 10^5: wasm (native) == cpu."""
    fn, args = _larger_cases()[name]
    got = jaxnc.jit(fn)(*[jaxnc.device_put(a, jaxnc.devices("wasm")[0]) for a in args])
    want = jaxnc.jit(fn)(*[jaxnc.device_put(a, jaxnc.devices("cpu")[0]) for a in args])
    assert launches
    for g, w in zip(jaxnc.tree_util.tree_leaves(got), jaxnc.tree_util.tree_leaves(want), strict=True):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-5, atol=1e-4)


def test_value_sorts_stay_on_numpy(launches):
    """A value-only sort keeps NumPy's vectorized sort (10-25x faster than the scalar merge sort);
    argsort, a sort of (values, iota), runs natively."""
    x = np.random.default_rng(5).standard_normal((4, 300)).astype(np.float32)
    wasm = jaxnc.devices("wasm")[0]
    np.testing.assert_array_equal(np.asarray(jaxnc.jit(jnp.sort)(jaxnc.device_put(x, wasm))), np.sort(x))
    assert not launches
    np.testing.assert_array_equal(
        np.asarray(jaxnc.jit(jnp.argsort)(jaxnc.device_put(x, wasm))), np.argsort(x, kind="stable")
    )
    assert launches


def test_cumsum_runs_natively():
    backend = _wasm()
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    case = OpCase("cumsum", lambda x: lax.cumsum(x, axis=0), None, ((3, 4),))
    (routine,) = backend.lower(convert_constvars(jaxnc.make_jaxpr(case.fn)(x).jaxpr)).routines()
    native = backend.compile_routine(routine)
    assert isinstance(native, NativeRoutine)
    assert backend.compile_proc(native.program.procs[0]) is native.procs[0]  # the kernel LRU


# --- procs written here, against the interpreter ---------------------------------------------------------


def _run_wasm(program: RoutineProgram, ins: list[np.ndarray], out_avals, backend=None) -> list[np.ndarray]:
    """Run `program` natively on wasm: upload, launch every proc, read the outputs back."""
    backend = backend or _wasm()
    native = NativeRoutine(backend, program, [backend.compile_proc(p) for p in program.procs])
    ins_raw = [backend._upload(np.ascontiguousarray(x).reshape(-1)) for x in ins]
    outs_raw = [backend._upload(np.zeros(a.size, a.dtype)) for a in out_avals]
    try:
        backend.launch_routine(native, [s.raw for s in ins_raw], [s.raw for s in outs_raw])
        return [backend.read(s.raw, a) for s, a in zip(outs_raw, out_avals, strict=True)]
    finally:
        for s in ins_raw + outs_raw:
            backend._decref(s)


def _check(p: proc.Proc, ins: list[np.ndarray], out_avals, backend=None) -> list[np.ndarray]:
    program = RoutineProgram((p,), len(ins), len(out_avals))
    got = _run_wasm(program, ins, out_avals, backend)
    want = run_program(program, ins, out_avals)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)
    return got


def test_collatz_while_if_else():
    """Per element, in int64 (peaks pass 2**31): the Collatz steps to 1 and the peak on the way."""
    start = np.array([1, 6, 27, 97, 871, 77031, 8400511, 2], np.int64)
    one, two = ir.const(1, I64), ir.const(2, I64)
    b = ProcBuilder("collatz_peak", (start.size,), [I64, I32, I64])
    i = b.grid(0)
    x, peak, steps = b.let("x", b.load(0, i)), b.let("peak", b.load(0, i)), b.let("steps", 0)
    with b.while_(ir.apply("ne", x, one)):
        odd = ir.apply("eq", ir.apply("and", x, one), one)
        with b.if_(odd):
            b.set("x", ir.add(ir.mul(x, ir.const(3, I64)), one))
            with b.if_(ir.apply("gt", x, peak)):
                b.set("peak", x)
        with b.else_():
            b.set("x", ir.div(x, two))
        b.set("steps", ir.add(steps, ir.iconst(1)))
    b.store(1, i, steps)
    b.store(2, i, peak)
    steps_out, peak_out = _check(b.build(), [start], [ShapedArray(start.shape, I32), ShapedArray(start.shape, I64)])
    assert list(steps_out[:3]) == [0, 8, 111] and peak_out[2] == 9232 and peak_out[6] == 159424614880


def test_for_bounds_once_and_an_empty_grid():
    """A For's bounds are evaluated once and assigning its local does not change the trips (as run_proc)."""
    b = ProcBuilder("bounds", (), [I32])
    stop, count = b.let("stop", 3), b.let("count", 0)
    with b.loop("i", 0, stop) as i:
        b.set("stop", ir.add(stop, ir.iconst(1)))
        b.set("i", ir.add(i, ir.iconst(100)))
        b.set("count", ir.add(count, ir.iconst(1)))
    b.store(0, 0, count)
    (out,) = _check(b.build(), [], [ShapedArray((1,), I32)])
    assert out[0] == 3


def test_wide_and_narrow_dtypes():
    """int64/float64/bool/uint8 loads, stores and locals; wrap-around, a guarded division, a saturating cast."""
    rng = np.random.default_rng(1)
    n = 9
    a = rng.integers(-(2**40), 2**40, n).astype(np.int64)
    a[:2] = [np.iinfo(np.int64).min, 7]
    d = np.array([0, -1, 3, 0, 5, -7, 2, 1, 9], np.int64)
    f = np.array([0.5, -3.0, np.nan, 1e300, 255.7, -0.0, np.inf, 2.25, 1e-3])
    c = rng.random(n) > 0.5
    u = rng.integers(0, 256, n).astype(np.uint8)
    b = ProcBuilder("wide", (n,), [I64, I64, F64, BOOL, U8, I64, F64, BOOL, U8, U8])
    i = b.grid(0)
    ai, di, fi, ci, ui = (b.load(k, i) for k in range(5))
    s = b.let("s", ir.const(0, U8))
    acc = b.let("acc", ir.const(0.0, F64))
    flag = b.let("flag", ir.const(False, BOOL))
    with b.loop("k", 0, n) as k:
        b.set("s", ir.add(s, b.load(4, k)))  # uint8 wraps
        b.set("acc", ir.add(acc, ir.mul(b.load(2, k), ir.const(0.25, F64))))
        b.set(
            "flag", ir.apply("or", flag, ir.apply("and", b.load(3, k), ir.apply("gt", b.load(4, k), ir.const(200, U8))))
        )
    b.store(5, i, ir.add(ir.div(ai, di), ir.mul(ai, ir.const(3, I64))))
    b.store(6, i, ir.add(ir.mul(fi, ir.const(0.5, F64)), ir.cast(ai, F64)))
    b.store(7, i, ir.apply("xor", ci, ir.apply("lt", ui, s)))
    b.store(8, i, ir.add(ir.cast(fi, U8), ir.cast(acc, U8)))
    b.store(9, i, ir.where(flag, ir.apply("sub", ui, s), ir.cast(ci, U8)))
    outs = [ShapedArray((n,), dt) for dt in (I64, F64, BOOL, U8, U8)]
    _check(b.build(), [a, d, f, c, u], outs)


def test_grid_split_anywhere():
    """Every range [lo, hi) of the flattened grid runs exactly its points (threads split there)."""
    grid = (3, 1, 7, 5)
    b = ProcBuilder("grid", grid, [I32])
    g = [b.grid(d) for d in range(4)]
    flat = ir.add(ir.mul(ir.add(ir.mul(g[0], ir.iconst(7)), g[2]), ir.iconst(5)), g[3])
    b.store(0, flat, ir.add(ir.add(ir.mul(g[0], ir.iconst(1000)), ir.mul(g[2], ir.iconst(10))), g[3]))
    p = b.build()
    backend = _wasm()
    exe = backend.compile_proc(p)
    out = backend._upload(np.full(p.size, -1, np.int32))
    try:
        fn = backend.runtime.function(exe.module, "kernel", exe.nparams)
        for lo, hi in ((0, 17), (17, 18), (18, 50), (50, 105)):
            fn(out.raw, lo, hi)
        got = backend.read(out.raw, ShapedArray((p.size,), I32))
    finally:
        backend._decref(out)
    i0, _, i2, i3 = np.indices(grid).reshape(4, -1)
    np.testing.assert_array_equal(got, i0 * 1000 + i2 * 10 + i3)


def test_big_grid_splits_over_threads(monkeypatch):
    backend = WasmBackend(threads=3)
    splits = []
    run = backend.pool.run
    monkeypatch.setattr(backend.pool, "run", lambda exe, calls: (splits.append(len(calls)), run(exe, calls)))
    x = np.random.default_rng(2).standard_normal((601, 500)).astype(np.float32)
    b = ProcBuilder("rowsum", (601,), [x.dtype, x.dtype])
    acc = b.let("acc", ir.const(0.0, x.dtype))
    with b.loop("j", 0, 500) as j:
        b.set("acc", ir.add(acc, b.load(0, ir.add(ir.mul(b.grid(0), ir.iconst(500)), j))))
        b.store(1, ir.add(ir.mul(b.grid(0), ir.iconst(500)), j), acc)
    p = b.build()
    assert wasm_routines.work(p) >= 601 * 500
    (got,) = _run_wasm(RoutineProgram((p,), 1, 1), [x], [ShapedArray((x.size,), x.dtype)], backend)
    np.testing.assert_array_equal(got.reshape(x.shape), np.cumsum(x, axis=1))  # the same order of additions
    assert splits == [3]


def test_debug_prints_the_function(capsys):
    b = ProcBuilder("debug_me", (2,), [I32, I32])
    b.store(1, b.grid(0), ir.add(b.load(0, b.grid(0)), ir.iconst(41)))
    old = jaxnc.config.jaxnc_debug
    jaxnc.config.update("jaxnc_debug", 3)
    try:
        _check(b.build(), [np.array([1, 2], np.int32)], [ShapedArray((2,), I32)])
    finally:
        jaxnc.config.update("jaxnc_debug", old)
    err = capsys.readouterr().err
    assert "code of debug_me" in err and "i32.const 41" in err and "(func $kernel" in err
