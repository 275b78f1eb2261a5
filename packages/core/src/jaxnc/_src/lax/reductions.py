"""`lax.reduce` with any computation: a monoid's own reduction primitive, else an ordered pairwise tree.

XLA's Reduce takes a scalar computation and leaves the combination order unspecified, so results are
defined for associative computations. Known monoids (add, mul, max, min, and, or) map to their
primitives, as JAX's `_get_monoid_reducer` does. Any other computation, including variadic ones over
several operands, runs as ceil(log2 n) vectorised rounds that combine neighbours (x[2i], x[2i+1])
left to right, so it is exact for associative, not necessarily commutative, computations; `init_values`
is combined once, on the left. Being a composition of slices, reshapes and the computation itself,
it is jittable, vmappable and differentiable wherever the computation is.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from jaxnc._src import core, dtypes
from jaxnc._src.core import get_aval
from jaxnc._src.lax import lax
from jaxnc._src.tree_util import tree_flatten, tree_unflatten

_REDUCERS = {"sum": lax.reduce_sum, "prod": lax.reduce_prod, "max": lax.reduce_max, "min": lax.reduce_min,
             "and": lax.reduce_and, "or": lax.reduce_or}  # fmt: skip


def monoid_kind(computation) -> str | None:
    """'sum', 'prod', 'max', 'min', 'and' or 'or' when `computation` is that monoid's binary op, else None."""
    from jaxnc._src.numpy import lax_numpy as jnp

    table = {lax.add: "sum", operator.add: "sum", jnp.add: "sum", lax.mul: "prod", operator.mul: "prod",
             jnp.multiply: "prod", lax.max: "max", jnp.maximum: "max", lax.min: "min", jnp.minimum: "min",
             lax.bitwise_and: "and", lax.bitwise_or: "or"}  # fmt: skip
    try:
        return table.get(computation)
    except TypeError:  # an unhashable callable
        return None


def _identity(kind: str, dt: np.dtype):
    if kind in ("sum", "or"):
        return np.zeros((), dt)[()]
    if kind == "prod":
        return np.ones((), dt)[()]
    if dt == np.bool_:
        return np.bool_(kind in ("min", "and"))
    if kind == "and":
        return np.invert(np.zeros((), dt))[()]
    if dtypes.is_inexact(dt):
        return np.array(-np.inf if kind == "max" else np.inf, dt)[()]
    info = np.iinfo(dt)
    return dt.type(info.min if kind == "max" else info.max)


def _is_concrete(v) -> bool:
    return not isinstance(v, core.Tracer) and not hasattr(v, "aval")


def reduce(operands, init_values, computation, dimensions):
    """Reduce `operands` over `dimensions` with the scalar `computation`, as `jax.lax.reduce`.

    Args:
      operands: an array or a pytree of arrays of one shape.
      init_values: a scalar, or a pytree of scalars matching `operands`.
      computation: `(x, y) -> z` on scalars (pytrees like `operands`); associative.
      dimensions: the axes to reduce.

    Returns:
      The reduced array, or a pytree of them like `operands`.

    Example:
      >>> import numpy as np
      >>> from jaxnc import lax
      >>> np.asarray(lax.reduce(np.arange(6.0).reshape(2, 3), 0.0, lambda x, y: x + y, (1,))).tolist()
      [3.0, 12.0]
    """
    flat, tree = tree_flatten(operands)
    flat_init, init_tree = tree_flatten(init_values)
    if tree != init_tree:
        raise TypeError(f"reduce: operands and init_values must have the same tree structure, got {tree} and "
                        f"{init_tree}")  # fmt: skip
    if not flat:
        raise TypeError("reduce: needs at least one operand")
    avals = [get_aval(x) for x in flat]
    shape = avals[0].shape
    if any(a.shape != shape for a in avals):
        raise TypeError(f"reduce: operands must have one shape, got {[a.shape for a in avals]}")
    dims = tuple(int(d) for d in dimensions)
    if len(set(dims)) != len(dims) or any(not 0 <= d < len(shape) for d in dims):
        raise ValueError(f"reduce: dimensions {dims} must be distinct axes of the operand shape {shape}")
    inits = []
    for v, a in zip(flat_init, avals, strict=True):
        if get_aval(v).shape != ():
            raise TypeError(f"reduce: init values must be scalars, got shape {get_aval(v).shape}")
        inits.append(lax.convert_element_type(v, a.dtype))
    kind = monoid_kind(computation) if len(flat) == 1 else None
    if kind in ("and", "or") and not (dtypes.issubdtype(avals[0].dtype, np.integer) or avals[0].dtype == np.bool_):
        kind = None
    if kind is not None:
        out = _REDUCERS[kind](flat[0], dims)
        (init,) = inits
        if not (_is_concrete(init) and np.asarray(init) == _identity(kind, avals[0].dtype)):
            out = computation(lax.broadcast_in_dim(init, get_aval(out).shape, ()), out)
        return tree_unflatten(tree, [out])
    return tree_unflatten(tree, _tree_reduce(flat, inits, avals, tree, computation, dims))


def _tree_reduce(flat, inits, avals, tree, computation, dims):
    from jaxnc._src.api import vmap

    shape = avals[0].shape
    kept = [i for i in range(len(shape)) if i not in dims]
    out_shape = tuple(shape[i] for i in kept)
    k, n = math.prod(out_shape), math.prod(shape[d] for d in dims)
    if k == 0:
        return [lax.full(out_shape, 0, a.dtype) for a in avals]
    perm = (*kept, *dims)
    xs = [lax.reshape(lax.transpose(x, perm), (k, n)) for x in flat]
    nops = len(flat)

    def scalar_step(*args):
        out, out_tree = tree_flatten(computation(tree_unflatten(tree, args[:nops]), tree_unflatten(tree, args[nops:])))
        if out_tree != tree:
            raise TypeError(f"reduce: computation must return the operands' structure {tree}, got {out_tree}")
        got = [get_aval(v).dtype for v in out]
        if got != [a.dtype for a in avals]:
            raise TypeError(f"reduce: computation must keep the operand dtypes {[a.dtype for a in avals]}, got {got}")
        return out

    step = vmap(scalar_step)

    def combine(lhs, rhs):  # lists of (rows, cols) arrays, combined elementwise
        rows, cols = get_aval(lhs[0]).shape
        out = step(*(lax.reshape(v, (rows * cols,)) for v in (*lhs, *rhs)))
        return [lax.reshape(v, (rows, cols)) for v in out]

    if n == 0:
        return [lax.broadcast_in_dim(i, out_shape, ()) for i in inits]
    while n > 1:
        h = n // 2
        even = [lax.slice(x, (0, 0), (k, 2 * h), (1, 2)) for x in xs]
        odd = [lax.slice(x, (0, 1), (k, 2 * h), (1, 2)) for x in xs]
        pairs = combine(even, odd)
        if n % 2:
            pairs = [lax.concatenate([p, lax.slice(x, (0, n - 1), (k, n))], 1) for p, x in zip(pairs, xs, strict=True)]
        xs, n = pairs, h + n % 2
    xs = combine([lax.broadcast_in_dim(i, (k, 1), ()) for i in inits], xs)
    return [lax.reshape(x, out_shape) for x in xs]


def reduce_xor(operand, axes):
    """`lax.reduce_xor`: bitwise (logical on booleans) exclusive or over `axes`."""
    dt = get_aval(operand).dtype
    if not (dt == np.bool_ or dtypes.issubdtype(dt, np.integer)):
        raise TypeError(f"reduce_xor needs a boolean or integer operand, got {dt}")
    return reduce(operand, np.zeros((), dt)[()], lax.bitwise_xor, tuple(axes))
