"""The kernel lowering toolkit against NumPy: views, fusion plans, buffer plans, math expansions.

Programs run on the reference kernel backend (kernels evaluated by NumPy), so no plugin is needed.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import jaxnc
import jaxnc.nn as nn
import jaxnc.numpy as jnp
from jaxnc._src.interpreters.partial_eval import convert_constvars
from jaxnc._src.lowering import ir, math_expand
from jaxnc._src.lowering.fusion import plan_fusion
from jaxnc._src.lowering.lower import eqn_kind, lower_jaxpr
from jaxnc._src.lowering.program import Alloc, Call, Launch
from jaxnc._src.lowering.reference import evaluate, reference_kernel_backend, run_function
from jaxnc._src.lowering.view import ShapeTracker

_run = run_function


RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4)).astype(np.float32)
W = RNG.standard_normal((4, 5)).astype(np.float32)
FUNCTIONS = {
    "chain_sum": (lambda x: jnp.sum(jnp.exp(x * 2 + 1), axis=1), (X,)),
    "softmax": (nn.softmax, (X,)),
    "matmul_tanh": (lambda x, w: jnp.tanh(x @ w), (X, W)),
    "pad_interior": (lambda x: jax_pad(x), (X,)),
    "concat_slice_flip": (lambda x: jnp.concatenate([x, x * 2], 1)[::-1, 1:7:2], (X,)),
    "transpose_reshape": (lambda x: x.T.reshape(2, 6) + 1, (X,)),
    "broadcast_iota": (lambda x: x + jnp.arange(4, dtype=jnp.float32), (X,)),
    "int_ops": (lambda x: (x.astype(jnp.int32) // 2) % 3, (X * 10,)),
    "reduce_then_broadcast": (lambda x: x - jnp.max(x, axis=0), (X,)),
}


def jax_pad(x):
    import jaxnc.lax as lax

    return lax.pad(x, np.float32(-1), ((1, 2, 1), (-1, 1, 0)))


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_program_matches_eager(name):
    f, args = FUNCTIONS[name]
    (got,), _ = _run(reference_kernel_backend(), f, *args)
    np.testing.assert_allclose(got, np.asarray(f(*args)), rtol=1e-5, atol=1e-6)


def test_movement_never_copies():
    """A chain of movement ops on an input is one kernel reading the input through index arithmetic."""
    f = lambda x: jnp.flip(x.T, 0)[1:, ::2].reshape(-1) * 2  # noqa: E731
    (got,), prog = _run(reference_kernel_backend(), f, X)
    np.testing.assert_allclose(got, np.asarray(f(X)))
    assert len(prog.kernels()) == 1 and not prog.routines()


def test_softmax_plan_materializes_shared_exp_once():
    _, prog = _run(reference_kernel_backend(), nn.softmax, X)
    # max, exp (read by the sum and the division), sum, division
    assert len(prog.kernels()) == 4


def test_reduction_epilogue_fuses():
    _, prog = _run(reference_kernel_backend(), lambda x, w: jnp.tanh(x @ w) * 2, X, W)
    (k,) = prog.kernels()
    assert k.reduce is not None and k.reduce.op == "add" and "tanh" in ir.pp_expr(k.reduce.epilogue)


def test_unrenderable_ops_become_routines_and_still_run():
    # tan's expansion needs a float division this backend lacks: tan runs as a routine, the rest as kernels
    backend = reference_kernel_backend(renders=lambda op, dt: op != "tan" and not (op == "div" and dt.kind == "f"))
    (got,), prog = _run(backend, lambda x: jnp.tan(x * 0.5) + 1, X)
    np.testing.assert_allclose(got, np.tan(X * 0.5) + 1, rtol=1e-6)
    assert [r.name for r in prog.routines()] == ["tan"] and len(prog.kernels()) == 2


def test_expansions_fuse_when_basic_ops_render():
    backend = reference_kernel_backend(renders=lambda op, dt: op not in math_expand.EXPANSIONS)
    (got,), prog = _run(backend, lambda x: jnp.exp(x) + jnp.sin(x), X)
    np.testing.assert_allclose(got, np.exp(X) + np.sin(X), rtol=2e-6, atol=1e-6)
    assert len(prog.kernels()) == 1 and not prog.routines()


def test_max_inputs_splits_kernels():
    args = [RNG.standard_normal(4).astype(np.float32) for _ in range(6)]
    f = lambda *xs: sum(xs[1:], xs[0])  # noqa: E731
    backend = reference_kernel_backend(max_inputs=3)
    (got,), prog = _run(backend, f, *args)
    np.testing.assert_allclose(got, sum(args[1:], args[0]), rtol=1e-6)
    assert all(len(k.in_dtypes) <= 3 for k in prog.kernels()) and len(prog.kernels()) >= 3


def test_plan_materializes_outputs_and_shared_values():
    closed = jaxnc.make_jaxpr(lambda x: (jnp.exp(x) + 1, jnp.exp(x) * 2))(X)
    jaxpr = closed.jaxpr
    backend = reference_kernel_backend()
    plan = plan_fusion(jaxpr, lambda e: eqn_kind(e, backend), 64)
    assert set(jaxpr.outvars) <= plan
    exps = [e.outvars[0] for e in jaxpr.eqns if e.primitive.name == "exp"]
    # each exp is read once, so it fuses into its consumer
    assert not set(exps) & plan


def test_recompute_policy_fuses_values_read_twice():
    hypot = (jnp.hypot, (X, X[::-1] * 3))
    for f, args in (hypot, (nn.softmax, (X,)), (lambda x: (jnp.exp(x) + 1, jnp.exp(x) * 2), (X,))):
        want = f(*args)
        want = want if isinstance(want, tuple) else (want,)
        got, prog = _run(reference_kernel_backend(recomputes=lambda eqn: True), f, *args)
        for g, w in zip(got, want, strict=True):
            np.testing.assert_allclose(g, np.asarray(w), rtol=1e-5, atol=1e-6)
        if f is jnp.hypot:  # 5 kernels without the policy
            assert len(prog.kernels()) == 1 and len(_run(reference_kernel_backend(), f, *args)[1].kernels()) > 1
        if f is nn.softmax:  # the shared max is a reduction: still a buffer; exp is recomputed by sum and div
            assert len(prog.kernels()) == 3
    # equations the policy rejects stay materialized, and so does anything computed from them
    _, prog = _run(reference_kernel_backend(recomputes=lambda eqn: eqn.primitive.name != "exp"), hypot[0], *hypot[1])
    assert len(prog.kernels()) == 1
    f = lambda x: (lambda e: e * 2 + jnp.sum(e))(jnp.exp(x))  # noqa: E731 - one exp, read twice
    _, prog = _run(reference_kernel_backend(recomputes=lambda eqn: eqn.primitive.name != "exp"), f, X)
    assert len(prog.kernels()) == 3  # exp into a buffer, the sum, the rest
    _, prog = _run(reference_kernel_backend(recomputes=lambda eqn: True), f, X)
    assert len(prog.kernels()) == 2  # the sum and the rest, both computing exp


def test_buffers_are_reused():
    big = RNG.standard_normal((64, 64)).astype(np.float32)
    (got,), prog = _run(reference_kernel_backend(), lambda x: nn.softmax(nn.softmax(x)), big)
    np.testing.assert_allclose(got, np.asarray(nn.softmax(nn.softmax(big))), rtol=1e-5)
    allocs = [s for s in prog.steps if isinstance(s, Alloc)]
    launches = [s for s in prog.steps if isinstance(s, (Launch, Call))]
    assert len(allocs) < len(launches)  # some kernel wrote into a buffer freed earlier


@pytest.mark.parametrize("i", range(7))
def test_scalar_element_of_a_concatenate(i):
    """A 0-d slice of a concatenation reads the right piece: the pieces it misses are fully masked there,
    and reshaping such a view to () must keep that (it once read a[3] of a 3-element `a` instead of b[0])."""
    a, b = np.arange(3, dtype=np.float32) * 10, np.arange(4, dtype=np.float32) * 10 + 30
    (got,), _ = _run(reference_kernel_backend(), lambda a, b: jnp.concatenate([a, b])[i], a, b)
    assert got.shape == () and got == np.concatenate([a, b])[i]


@pytest.mark.parametrize("ops", list(itertools.product(["T", "flip", "pad", "slice", "reshape"], repeat=3))[::7])
def test_views_match_numpy(ops):
    """Index arithmetic of composed views reads the same elements NumPy's movement ops produce."""
    base = np.arange(24, dtype=np.int32).reshape(4, 6)
    arr, st = base, ShapeTracker.contiguous(base.shape)
    for op in ops:
        if op == "T":
            arr, st = arr.T, st.permute((1, 0))
        elif op == "flip":
            arr, st = arr[::-1], st.flip((0,))
        elif op == "pad":
            arr = np.pad(arr, ((1, 0), (0, 2)), constant_values=-1)
            st = st.pad(((1, 0), (0, 2)))
        elif op == "slice":
            arr, st = arr[1:, ::2], st.shrink(((1, arr.shape[0]), (0, arr.shape[1]))).step((1, 2))
        else:
            arr, st = arr.reshape(arr.shape[::-1]), st.reshape(arr.shape[::-1])
    idx = [ir.var(f"i{d}", n) for d, n in enumerate(st.shape)]
    index, valid = st.to_index(idx)
    grids = np.ogrid[tuple(slice(0, n) for n in st.shape)]
    env = {f"i{d}": g.astype(np.int64) for d, g in enumerate(grids)}
    flat = base.reshape(-1)
    got_index = np.broadcast_to(evaluate(index, env, []), st.shape)
    ok = np.broadcast_to(evaluate(valid, env, []), st.shape)
    got = np.where(ok, flat[np.clip(got_index, 0, flat.size - 1)], -1)
    np.testing.assert_array_equal(got, arr)


@pytest.mark.parametrize("op,lo,hi,ulps", [("exp", -87, 88, 2), ("log", 1e-30, 1e30, 2), ("sin", -50, 50, 2),
                                           ("cos", -50, 50, 2), ("tanh", -9, 9, 2), ("erf", -4, 4, 3),
                                           ("atan", -50, 50, 3), ("logistic", -20, 20, 3)])  # fmt: skip
def test_math_expansions_accuracy(op, lo, hi, ulps):
    """The float32 polynomial of `op`, evaluated by NumPy, stays within `ulps` of a float64 reference."""
    x = np.random.default_rng(1).uniform(lo, hi, 20000).astype(np.float32)
    x = np.concatenate([x, np.float32([0.0, -0.0, np.inf, -np.inf, np.nan])])
    arg = ir.load(0, ir.var("i0", x.size), np.float32)
    expr = math_expand.expand(
        ir.make(op, np.dtype(np.float32), (arg,), ()), lambda o, d: o not in math_expand.EXPANSIONS
    )
    got = evaluate(expr, {"i0": np.arange(x.size)}, [x])
    import scipy.special as sps

    ref = {"exp": np.exp, "log": np.log, "sin": np.sin, "cos": np.cos, "tanh": np.tanh, "erf": sps.erf,
           "atan": np.arctan, "logistic": sps.expit}[op]  # fmt: skip
    with np.errstate(all="ignore"):
        want = ref(x.astype(np.float64))
    finite = np.isfinite(want) & np.isfinite(x)
    err = np.abs(got[finite] - want[finite]) / np.spacing(np.abs(want[finite]).astype(np.float32))
    assert err.max() <= ulps
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want.astype(np.float32)))
    special = ~np.isfinite(x)
    np.testing.assert_array_equal(
        got[special][~np.isnan(x[special])], want[special][~np.isnan(x[special])].astype(np.float32)
    )


@pytest.mark.parametrize("op,ranges", [("exp", [(-745, 709), (-1, 1)]), ("log", [(1e-300, 1e300), (0.5, 2), (1e-320, 1e-308)]),
                                       ("sin", [(-100, 100), (-1e5, 1e5)]), ("cos", [(-100, 100), (-1e5, 1e5)]),
                                       ("tanh", [(-20, 20), (-0.7, 0.7)]), ("erf", [(-7, 7), (-1.5, 1.5)])])  # fmt: skip
def test_math_expansions_accuracy_float64(op, ranges):
    """The float64 expansion of `op`, evaluated by NumPy, stays within 2 ULP of NumPy/SciPy in float64,
    with NumPy's answers for NaN, ±inf and ±0."""
    import scipy.special as sps

    rng = np.random.default_rng(2)
    x = np.concatenate([rng.uniform(lo, hi, 20000) for lo, hi in ranges] + [[0.0, -0.0, np.inf, -np.inf, np.nan]])
    arg = ir.load(0, ir.var("i0", x.size), np.float64)
    expr = math_expand.expand(
        ir.make(op, np.dtype(np.float64), (arg,), ()), lambda o, d: o not in math_expand.EXPANSIONS
    )
    got = evaluate(expr, {"i0": np.arange(x.size)}, [x])
    ref = {"exp": np.exp, "log": np.log, "sin": np.sin, "cos": np.cos, "tanh": np.tanh, "erf": sps.erf}[op]
    with np.errstate(all="ignore"):
        want = ref(x)
    finite = np.isfinite(want) & (want != 0)
    err = np.abs(got[finite] - want[finite]) / np.spacing(np.abs(want[finite]))
    assert err.max() <= 2, (x[finite][err.argmax()], err.max())
    np.testing.assert_array_equal(got[~finite], want[~finite])


def test_program_prints():
    closed = jaxnc.make_jaxpr(nn.softmax)(X)
    prog = lower_jaxpr(convert_constvars(closed.jaxpr), reference_kernel_backend())
    text = str(prog)
    assert "alloc" in text and "return" in text
    assert all(str(k).startswith(k.name) for k in prog.kernels())
