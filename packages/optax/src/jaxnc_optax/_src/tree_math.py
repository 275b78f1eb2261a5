"""Arithmetic over whole pytrees: sums, scalings, norms, moments and bias corrections."""

from __future__ import annotations

import functools
import operator
from typing import Any

import jaxnc.numpy as jnp
from jaxnc import tree_util
from jaxnc_optax._src import numerics


def _is_none(x: Any) -> bool:
    return x is None


def tree_add(tree_x: Any, tree_y: Any, *other_trees: Any) -> Any:
    """Leafwise sum of two or more trees of the same structure."""
    return tree_util.tree_map(lambda *leaves: sum(leaves[1:], leaves[0]), tree_x, tree_y, *other_trees)


def tree_sub(tree_x: Any, tree_y: Any) -> Any:
    """Leafwise `tree_x - tree_y`."""
    return tree_util.tree_map(operator.sub, tree_x, tree_y)


def tree_mul(tree_x: Any, tree_y: Any) -> Any:
    """Leafwise `tree_x * tree_y`."""
    return tree_util.tree_map(operator.mul, tree_x, tree_y)


def tree_div(tree_x: Any, tree_y: Any) -> Any:
    """Leafwise `tree_x / tree_y`."""
    return tree_util.tree_map(operator.truediv, tree_x, tree_y)


def tree_scale(scalar: Any, tree: Any) -> Any:
    """Every leaf multiplied by `scalar`."""
    return tree_util.tree_map(lambda x: scalar * x, tree)


def tree_add_scale(tree_x: Any, scalar: Any, tree_y: Any) -> Any:
    """Leafwise `tree_x + scalar * tree_y` (`None` leaves of `tree_x` stay `None`)."""
    scalar = jnp.asarray(scalar)
    return tree_util.tree_map(lambda x, y: None if x is None else x + scalar * y, tree_x, tree_y, is_leaf=_is_none)


def _vdot(a: Any, b: Any) -> Any:
    a, b = jnp.asarray(a), jnp.asarray(b)
    if a.shape != b.shape:
        raise ValueError(f"tree_vdot needs leaves of equal shapes, got {a.shape} and {b.shape}.")
    if numerics.is_complex(a):
        a = jnp.conj(a)
    return jnp.sum(a * b)


def tree_vdot(tree_x: Any, tree_y: Any) -> Any:
    """The inner product `Σ conj(x)·y` over all leaves."""
    return tree_util.tree_reduce(operator.add, tree_util.tree_map(_vdot, tree_x, tree_y), 0)


def tree_sum(tree: Any, associative_reduction: bool = False) -> Any:
    """The sum of every element of every leaf (`associative_reduction` is accepted for optax parity)."""
    del associative_reduction
    return tree_util.tree_reduce(operator.add, tree_util.tree_map(jnp.sum, tree), 0)


def tree_max(tree: Any) -> Any:
    """The largest element over all leaves (`-inf` for an empty tree)."""
    maxes = [jnp.max(x) for x in tree_util.tree_leaves(tree) if jnp.size(x) > 0]
    return functools.reduce(jnp.maximum, maxes, jnp.asarray(-float("inf")))


def tree_min(tree: Any) -> Any:
    """The smallest element over all leaves (`inf` for an empty tree)."""
    mins = [jnp.min(x) for x in tree_util.tree_leaves(tree) if jnp.size(x) > 0]
    return functools.reduce(jnp.minimum, mins, jnp.asarray(float("inf")))


def tree_size(tree: Any) -> int:
    """The total number of elements over all leaves."""
    return sum(int(jnp.size(leaf)) for leaf in tree_util.tree_leaves(tree))


def tree_conj(tree: Any) -> Any:
    """Leafwise complex conjugate."""
    return tree_util.tree_map(jnp.conj, tree)


def tree_real(tree: Any) -> Any:
    """Leafwise real part."""
    return tree_util.tree_map(jnp.real, tree)


def tree_norm(tree: Any, ord: Any = None, squared: bool = False) -> Any:
    """The norm of the vector of all elements of all leaves.

    Args:
      tree: a pytree of arrays.
      ord: `None` or 2 (Euclidean), 1, or `inf` (`"inf"`, `"infinity"`).
      squared: return the squared norm.

    Returns:
      A scalar array.
    """
    if ord is None or ord == 2:
        sqnorm = tree_sum(tree_util.tree_map(numerics.abs_sq, tree))
        return jnp.asarray(sqnorm if squared else jnp.sqrt(sqnorm))
    if ord == 1:
        result = tree_sum(tree_util.tree_map(jnp.abs, tree))
    elif ord in (float("inf"), "inf", "infinity"):
        result = tree_max(tree_util.tree_map(jnp.abs, tree))
    else:
        raise ValueError(f"Unsupported ord {ord!r} for tree_norm; expected None, 1, 2 or inf.")
    return jnp.asarray(result * result if squared else result)


def tree_batch_shape(tree: Any, shape: tuple[int, ...] = ()) -> Any:
    """Every leaf broadcast to `shape + leaf.shape`."""
    return tree_util.tree_map(lambda x: jnp.broadcast_to(x, (*shape, *jnp.shape(x))), tree)


def tree_zeros_like(tree: Any, dtype: Any = None) -> Any:
    """A tree of zeros shaped like `tree` (optionally of another dtype)."""
    return tree_util.tree_map(lambda x: jnp.zeros_like(x, dtype=dtype), tree)


def tree_ones_like(tree: Any, dtype: Any = None) -> Any:
    """A tree of ones shaped like `tree` (optionally of another dtype)."""
    return tree_util.tree_map(lambda x: jnp.ones_like(x, dtype=dtype), tree)


def tree_full_like(tree: Any, fill_value: Any, dtype: Any = None) -> Any:
    """A tree filled with `fill_value`, shaped like `tree` (optionally of another dtype)."""
    return tree_util.tree_map(lambda x: jnp.full_like(x, fill_value, dtype=dtype), tree)


def tree_clip(tree: Any, min_value: Any = None, max_value: Any = None) -> Any:
    """Every leaf clipped to `[min_value, max_value]`."""
    return tree_util.tree_map(lambda g: jnp.clip(g, min_value, max_value), tree)


def tree_where(condition: Any, tree_x: Any, tree_y: Any) -> Any:
    """Leafwise `where(condition, x, y)` with one (broadcast) condition."""
    return tree_util.tree_map(lambda x, y: jnp.where(condition, x, y), tree_x, tree_y)


def tree_allclose(a: Any, b: Any, rtol: Any = 1e-05, atol: Any = 1e-08, equal_nan: bool = False) -> Any:
    """Whether every pair of leaves is `allclose`."""
    closes = tree_util.tree_leaves(
        tree_util.tree_map(lambda x, y: jnp.allclose(x, y, rtol=rtol, atol=atol, equal_nan=equal_nan), a, b)
    )
    return functools.reduce(operator.and_, closes, True)


def tree_update_moment(updates: Any, moments: Any, decay: Any, order: int) -> Any:
    """The exponential moving average `(1 - decay)·g^order + decay·m` of each leaf."""

    def power(g):
        # g**1 is g: skip a full pass over the leaf (XLA folds it away; an interpreter would not).
        return g if order == 1 else g**order

    return tree_util.tree_map(
        lambda g, t: None if g is None else (1 - decay) * power(g) + decay * t, updates, moments, is_leaf=_is_none
    )


def tree_update_infinity_moment(updates: Any, moments: Any, decay: Any, eps: Any) -> Any:
    """The infinity-norm moment `max(|g| + eps, decay·m)` of each leaf (Adamax)."""
    return tree_util.tree_map(
        lambda g, t: None if g is None else jnp.maximum(jnp.abs(g) + eps, decay * t), updates, moments, is_leaf=_is_none
    )


def tree_update_moment_per_elem_norm(updates: Any, moments: Any, decay: Any, order: int) -> Any:
    """The moving average of `|g|^order` (the magnitude, for complex `g`) of each leaf."""

    def orderth_norm(g):
        if not numerics.is_complex(g):
            return g**order
        half_order = order / 2
        if float(half_order).is_integer():
            half_order = int(half_order)
        return numerics.abs_sq(g) ** half_order

    return tree_util.tree_map(
        lambda g, t: None if g is None else (1 - decay) * orderth_norm(g) + decay * t,
        updates,
        moments,
        is_leaf=_is_none,
    )


def tree_bias_correction(moment: Any, decay: Any, count: Any) -> Any:
    """Each leaf divided by `1 - decay**count` (Adam's bias correction)."""
    correction = 1 - decay**count
    return tree_util.tree_map(lambda t: t / jnp.asarray(correction).astype(t.dtype), moment)


def global_norm(updates: Any) -> Any:
    """The Euclidean norm of all updates together (optax's older name for `tree_norm(updates)`).

    Args:
      updates: a pytree of arrays.

    Returns:
      A scalar array.
    """
    return tree_norm(updates)
