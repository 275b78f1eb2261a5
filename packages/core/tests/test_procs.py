"""Procedures (lowering/proc.py) and the native routine algorithms written in them (lowering/routines/).

The algorithms run here on the reference kernel backend, whose procs run through the interpreter
`run_proc`; the wasm and WebGPU backends render the same procs and their conformance suites compare
them with the cpu backend.
"""

from __future__ import annotations

import numpy as np
import pytest

import jaxnc.lax as lax
from jaxnc._src.core import ShapedArray
from jaxnc._src.lowering import ir, proc
from jaxnc._src.lowering.proc import ProcBuilder, RoutineProgram, local, run_program
from jaxnc._src.lowering.reference import reference_kernel_backend, run_function

F32 = np.dtype(np.float32)
I32 = np.dtype(np.int32)
RNG = np.random.default_rng(0)


def run_native(f, *args):
    """Run `f` on a reference kernel backend with native routines; (outputs, program, proc launches)."""
    backend = reference_kernel_backend(procs=True)
    values, program = run_function(backend, f, *args)
    return values, program, backend.proc_launches


# --- the IR and its interpreter ---------------------------------------------------------------------


def _collatz_steps() -> proc.Proc:
    """steps until n reaches 1, per element: a while loop with an if/else inside."""
    b = ProcBuilder("collatz", (4,), [I32, I32])
    n = b.let("n", b.load(0, b.grid(0)))
    steps = b.let("steps", 0)
    with b.while_(ir.apply("gt", n, ir.iconst(1))):
        with b.if_(ir.apply("eq", ir.rem(n, ir.iconst(2)), ir.iconst(0))):
            b.set("n", ir.div(n, ir.iconst(2)))
        with b.else_():
            b.set("n", ir.add(ir.mul(n, ir.iconst(3)), ir.iconst(1)))
        b.set("steps", ir.add(steps, ir.iconst(1)))
    b.store(1, b.grid(0), steps)
    return b.build()


def test_interpreter_runs_loops_and_branches():
    p = _collatz_steps()
    (out,) = run_program(RoutineProgram((p,), 1, 1), [np.array([1, 6, 7, 27], np.int32)],
                         [ShapedArray((4,), I32)])  # fmt: skip
    np.testing.assert_array_equal(out, [0, 8, 16, 111])
    assert "while gt(n, 1)" in str(p) and "else:" in str(p)
    assert p.locals() == {"n": I32, "steps": I32}
    assert p.used_buffers() == ([0], [1])


def test_for_loop_bounds_are_evaluated_once():
    b = ProcBuilder("bounds", (), [I32])
    stop = b.let("stop", 3)
    count = b.let("count", 0)
    with b.loop("i", 0, stop):
        b.set("stop", ir.add(stop, ir.iconst(1)))  # does not extend the running loop
        b.set("count", ir.add(count, ir.iconst(1)))
    b.store(0, 0, count)
    (out,) = run_program(RoutineProgram((b.build(),), 0, 1), [], [ShapedArray((1,), I32)])
    assert out[0] == 3


def test_out_of_bounds_store_names_the_buffer_and_index():
    b = ProcBuilder("oob", (2,), [F32])
    b.store(0, ir.add(b.grid(0), ir.iconst(1)), ir.const(1.0, F32))
    with pytest.raises(IndexError, match=r"store b0\[2\] outside its 2 elements"):
        run_program(RoutineProgram((b.build(),), 0, 1), [], [ShapedArray((2,), F32)])


def test_builder_errors_are_clear():
    b = ProcBuilder("bad", (), [F32])
    b.let("x", ir.const(1.0, F32))
    b.let("x", 1)
    with pytest.raises(TypeError, match="local x assigned both float32 and int32"):
        b.build()
    b = ProcBuilder("bad", (), [F32])
    with pytest.raises(TypeError, match="storing int32 into buffer 0 of float32"):
        b.store(0, 0, ir.iconst(1))
    with pytest.raises(SyntaxError, match="else_"), b.else_():
        pass


def test_prepare_expands_math_and_refuses_what_the_backend_lacks():
    b = ProcBuilder("expm", (3,), [F32, F32])
    b.store(1, b.grid(0), ir.apply("exp", b.load(0, b.grid(0)), accuracy=None))
    program = RoutineProgram((b.build(),), 1, 1)
    no_exp = proc.prepare(program, lambda op, dt: op != "exp")
    assert no_exp is not None and "exp" not in {op for op, _ in no_exp.procs[0].ops()}
    x = np.array([-1.0, 0.0, 2.5], np.float32)
    (out,) = run_program(no_exp, [x], [ShapedArray((3,), F32)])
    np.testing.assert_allclose(out, np.exp(x), rtol=1e-6)
    assert proc.prepare(program, lambda op, dt: op not in ("exp", "mul")) is None


def test_local_reads_print_by_name():
    assert ir.pp_expr(ir.apply("add", local("acc", F32), ir.const(1.0, F32))) == "add(acc, 1.0:float32)"


# --- native routines ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["cumsum", "cumprod", "cummax", "cummin"])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.int32])
def test_cumulative_native(name, reverse, dtype):
    x = (RNG.standard_normal((2, 5, 3)) * 3).astype(dtype)
    if name == "cummax":
        x.reshape(-1)[4] = np.nan if dtype == np.float32 else 0
    fn = getattr(lax, name)
    (got,), program, launches = run_native(lambda a: fn(a, axis=1, reverse=reverse), x)
    want = np.asarray(fn(x, axis=1, reverse=reverse))
    np.testing.assert_allclose(got, want, rtol=1e-6)
    assert launches == 1 and [r.name for r in program.routines()] == [name]
