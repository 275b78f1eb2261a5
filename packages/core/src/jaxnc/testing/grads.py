"""Gradient checks against finite differences and JVP/VJP consistency (as `jax.test_util.check_grads`)."""

from __future__ import annotations

import numpy as np

from jaxnc._src import api, dtypes
from jaxnc._src.tree_util import tree_flatten, tree_map, tree_unflatten

_EPS = {np.dtype(np.float32): 3e-3, np.dtype(np.float64): 1e-6, np.dtype(np.float16): 1e-1}
_TOL = {np.dtype(np.float32): 2e-2, np.dtype(np.float64): 1e-5, np.dtype(np.float16): 1e-1}


def _rand_like(rng, x):
    x = np.asarray(x)
    return rng.standard_normal(x.shape).astype(x.dtype)


def _tol(leaves, given):
    if given is not None:
        return given
    return max((_TOL.get(np.asarray(x).dtype, 1e-2) for x in leaves), default=1e-2)


def _inner(a, b) -> float:
    la, _ = tree_flatten(a)
    lb, _ = tree_flatten(b)
    return float(sum(np.vdot(np.asarray(x, np.float64), np.asarray(y, np.float64)) for x, y in zip(la, lb, strict=True)))


def _assert_close(name, got, want, atol, rtol):
    gl, _ = tree_flatten(got)
    wl, _ = tree_flatten(want)
    for g, w in zip(gl, wl, strict=True):
        np.testing.assert_allclose(np.asarray(g, np.float64), np.asarray(w, np.float64), atol=atol, rtol=rtol, err_msg=name)


def check_jvp(f, args, atol=None, rtol=None, eps=None, seed=0) -> None:
    """JVP against central finite differences along a random direction."""
    rng = np.random.default_rng(seed)
    leaves, tree = tree_flatten(args)
    leaves = [np.asarray(x) for x in leaves]
    eps = eps or max(_EPS.get(x.dtype, 1e-3) for x in leaves)
    tol = _tol(leaves, rtol)
    tangents = [_rand_like(rng, x) for x in leaves]
    y, t = api.jvp(f, tuple(tree_unflatten(tree, leaves)), tuple(tree_unflatten(tree, tangents)))
    plus = f(*tree_unflatten(tree, [x + eps / 2 * v for x, v in zip(leaves, tangents, strict=True)]))
    minus = f(*tree_unflatten(tree, [x - eps / 2 * v for x, v in zip(leaves, tangents, strict=True)]))
    numeric = tree_map(lambda a, b: (np.asarray(a, np.float64) - np.asarray(b, np.float64)) / eps, plus, minus)
    _assert_close("JVP vs finite differences", t, numeric, atol if atol is not None else tol, tol)


def check_vjp(f, args, atol=None, rtol=None, seed=0) -> None:
    """<ct, J·t> (forward mode) must equal <J^T·ct, t> (reverse mode)."""
    rng = np.random.default_rng(seed)
    leaves, tree = tree_flatten(args)
    leaves = [np.asarray(x) for x in leaves]
    tol = _tol(leaves, rtol)
    tangents = tree_unflatten(tree, [_rand_like(rng, x) for x in leaves])
    y, t_out = api.jvp(f, tuple(tree_unflatten(tree, leaves)), tuple(tangents))
    y2, f_vjp = api.vjp(f, *tree_unflatten(tree, leaves))
    ct = tree_map(lambda o: _rand_like(rng, o), y)
    ct_in = f_vjp(ct)
    lhs = _inner(ct, t_out)
    rhs = _inner(ct_in, tangents)
    np.testing.assert_allclose(lhs, rhs, atol=atol if atol is not None else tol, rtol=tol,
                               err_msg="VJP inconsistent with JVP: <ct, J t> != <J^T ct, t>")  # fmt: skip


def check_grads(f, args, order: int = 1, modes=("fwd", "rev"), atol=None, rtol=None, eps=None) -> None:
    """Check derivatives of `f` at `args` up to `order`, in forward and/or reverse mode.

    Example:
      >>> import jaxnc.numpy as jnp
      >>> from jaxnc.testing import check_grads
      >>> check_grads(jnp.sin, (np.float32(0.3),), order=2)
    """
    for leaf in tree_flatten(args)[0]:
        if not dtypes.is_inexact(np.asarray(leaf).dtype):
            raise TypeError(f"check_grads needs floating inputs, got {np.asarray(leaf).dtype}")

    def _check(fun, order_left):
        if "fwd" in modes:
            check_jvp(fun, args, atol, rtol, eps)
        if "rev" in modes:
            check_vjp(fun, args, atol, rtol)
        if order_left > 1:
            # the next order: the derivative along a fixed random direction is itself checked
            rng = np.random.default_rng(order_left)
            leaves, tree = tree_flatten(args)
            direction = tree_unflatten(tree, [_rand_like(rng, x) for x in leaves])

            def deriv(*xs):
                return api.jvp(fun, xs, tuple(direction))[1]

            _check(deriv, order_left - 1)

    _check(f, order)

