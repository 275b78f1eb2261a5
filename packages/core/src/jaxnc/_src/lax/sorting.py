"""Sorting primitives: multi-operand `sort` (lexicographic over `num_keys` keys) and `top_k`."""

from __future__ import annotations

import numpy as np

from jaxnc._src import core, dtypes
from jaxnc._src.core import Primitive, Zero, get_aval
from jaxnc._src.interpreters.batching import bdim_at_front, moveaxis
from jaxnc._src.lax import lax, slicing


def _sort_key(x: np.ndarray) -> np.ndarray:
    """A NumPy-sortable view of `x` with JAX's order: -0.0 == 0.0, NaNs last (all equal)."""
    if x.dtype in (dtypes.bfloat16,) or x.dtype.kind == "V":
        return x.astype(np.float32)
    return x


def _take_along_axis(x, idx, axis: int):
    """`x` gathered along `axis` with integer `idx` of the same shape (a gather over all coordinates)."""
    shape = get_aval(idx).shape
    nd = len(shape)
    coords = []
    for d in range(nd):
        c = idx if d == axis else lax.broadcasted_iota(get_aval(idx).dtype, shape, d)
        coords.append(lax.reshape(c, (*shape, 1)))
    indices = lax.concatenate(coords, nd)
    dn = slicing.GatherDimensionNumbers(offset_dims=(), collapsed_slice_dims=tuple(range(nd)),
                                        start_index_map=tuple(range(nd)))  # fmt: skip
    return slicing.gather(x, indices, dn, (1,) * nd, mode="promise_in_bounds")


# --- sort ----------------------------------------------------------------------------------------

sort_p = Primitive("sort", multiple_results=True)


@sort_p.def_impl
def _sort_impl(*operands, dimension, is_stable, num_keys):
    # NB: always stable; an unstable sort may return any order of ties, so this is a valid result.
    x = operands[0]
    if len(operands) == 1 and x.dtype.kind in "fiub" and x.dtype != dtypes.bfloat16:
        # Values only: NumPy's introsort (NaNs last). Stability only shows for -0.0 vs 0.0, which compare
        # equal and keep their input order in a stable sort, so only then pay for the stable one.
        stable = x.dtype.kind == "f" and bool(np.any(np.signbit(x) & (x == 0)))
        return [np.sort(x, axis=dimension, kind="stable" if stable else None)]
    keys = [_sort_key(k) for k in operands[:num_keys]]
    if num_keys == 1:
        perm = np.argsort(keys[0], axis=dimension, kind="stable")
    else:
        perm = np.lexsort(keys[::-1], axis=dimension)
    return [np.take_along_axis(x, perm, axis=dimension) for x in operands]


@sort_p.def_abstract_eval
def _sort_abstract_eval(*operands, dimension, is_stable, num_keys):
    if not operands:
        raise TypeError("sort requires at least one operand")
    shape = operands[0].shape
    if any(o.shape != shape for o in operands):
        raise TypeError(f"sort operands must all have the same shape, got {[o.shape for o in operands]}")
    if not 0 <= dimension < len(shape):
        raise TypeError(f"sort dimension {dimension} is out of bounds for operand shape {shape}")
    if not 1 <= num_keys <= len(operands):
        raise TypeError(f"sort num_keys={num_keys} must be between 1 and the number of operands ({len(operands)})")
    return list(operands)


@sort_p.def_jvp
def _sort_jvp(primals, tangents, dimension, is_stable, num_keys):
    # sort an iota along with the operands to get the permutation, then gather the tangents with it
    shape = get_aval(primals[0]).shape
    iota = lax.broadcasted_iota(dtypes.int32, shape, dimension)
    *outs, perm = sort_p.bind(*primals, iota, dimension=dimension, is_stable=is_stable, num_keys=num_keys)
    t_outs = [t if type(t) is Zero else _take_along_axis(t, perm, dimension) for t in tangents]
    return outs, t_outs


@sort_p.def_batch
def _sort_batch(size, vals, dims, dimension, is_stable, num_keys):
    vals = [bdim_at_front(v, d, size) for v, d in zip(vals, dims, strict=True)]
    outs = sort_p.bind(*vals, dimension=dimension + 1, is_stable=is_stable, num_keys=num_keys)
    return outs, [0] * len(outs)


# --- top_k ---------------------------------------------------------------------------------------

top_k_p = Primitive("top_k", multiple_results=True)


@top_k_p.def_impl
def _top_k_impl(operand, k):
    # descending and stable (ties: lower index first): sort the reversed row ascending, reverse back
    key = _sort_key(operand)
    n = operand.shape[-1]
    perm = np.argsort(key[..., ::-1], axis=-1, kind="stable")[..., ::-1][..., :k]
    idx = (n - 1 - perm).astype(np.int32)
    return [np.take_along_axis(operand, idx, axis=-1), idx]


@top_k_p.def_abstract_eval
def _top_k_abstract_eval(operand, k):
    if operand.ndim < 1:
        raise TypeError(f"top_k operand must have at least one dimension, got shape {operand.shape}")
    if not 0 <= k <= operand.shape[-1]:
        raise ValueError(f"top_k k={k} must be between 0 and the last dimension of operand shape {operand.shape}")
    shape = (*operand.shape[:-1], k)
    return [
        core.ShapedArray(shape, operand.dtype, operand.weak_type),
        core.ShapedArray(shape, dtypes.int32),
    ]


@top_k_p.def_jvp
def _top_k_jvp(primals, tangents, k):
    (x,), (t,) = primals, tangents
    vals, idx = top_k_p.bind(x, k=k)
    idx_zero = Zero(get_aval(idx).to_tangent_aval())
    if type(t) is Zero:
        return [vals, idx], [Zero(get_aval(vals).to_tangent_aval()), idx_zero]
    return [vals, idx], [_take_along_axis(t, idx, get_aval(idx).ndim - 1), idx_zero]


@top_k_p.def_batch
def _top_k_batch(size, vals, dims, k):
    (x,), (d,) = vals, dims
    nd = get_aval(x).ndim
    if d == nd - 1:  # top_k acts on the last axis: move the batch axis away from it
        x, d = moveaxis(x, d, 0), 0
    outs = top_k_p.bind(x, k=k)
    return outs, [d, d]


# --- wrappers ------------------------------------------------------------------------------------


def sort(operand, dimension: int = -1, is_stable: bool = True, num_keys: int = 1):
    """Sort one array, or several arrays lexicographically by their first `num_keys`, along `dimension`.

    NaNs sort to the end and -0.0 equals 0.0, as in JAX and NumPy.

    Args:
      operand: an array or a sequence of arrays of one shape.
      dimension: the axis to sort along.
      is_stable: whether ties keep their order (the reference impl is always stable).
      num_keys: how many leading operands are sort keys.

    Returns:
      The sorted array, or a tuple of sorted arrays when `operand` is a sequence.

    Example:
      >>> import numpy as np
      >>> from jaxnc import lax
      >>> keys, vals = lax.sort((np.array([3, 1, 2]), np.array([30, 10, 20])), num_keys=1)
      >>> np.asarray(vals).tolist()
      [10, 20, 30]
    """
    single = not isinstance(operand, (tuple, list))
    operands = [operand] if single else list(operand)
    if not operands:
        raise TypeError("lax.sort needs at least one operand, got an empty sequence")
    nd = get_aval(operands[0]).ndim
    if not -nd <= dimension < nd:
        raise ValueError(f"lax.sort dimension {dimension} is out of bounds for operand of rank {nd}")
    outs = sort_p.bind(
        *operands,
        dimension=int(dimension) % nd,
        is_stable=bool(is_stable),
        num_keys=int(num_keys),
    )
    return outs[0] if single else tuple(outs)


def sort_key_val(keys, values, dimension: int = -1, is_stable: bool = True):
    """Sort `keys` along `dimension` and apply the same permutation to `values`.

    Args:
      keys: the array to sort by.
      values: an array of the same shape, permuted alongside.
      dimension: the axis to sort along.
      is_stable: whether ties keep their order.

    Returns:
      `(sorted_keys, permuted_values)`.
    """
    return sort((keys, values), dimension, is_stable, num_keys=1)


def top_k(operand, k: int):
    """The `k` largest entries along the last axis and their indices (ties: lower index first).

    Args:
      operand: an array of rank >= 1.
      k: how many entries to keep.

    Returns:
      `(values, indices)`, each of shape `operand.shape[:-1] + (k,)`; indices are int32.

    Example:
      >>> import numpy as np
      >>> from jaxnc import lax
      >>> v, i = lax.top_k(np.array([1.0, 3.0, 2.0]), 2)
      >>> np.asarray(i).tolist()
      [1, 2]
    """
    k = int(k)
    if k < 0:
        raise ValueError(f"top_k k must be non-negative, got k={k}")
    return tuple(top_k_p.bind(operand, k=k))


def approx_max_k(operand, k: int, reduction_dimension: int = -1, recall_target: float = 0.95, is_max_k: bool = True,
                 reduction_input_size_override: int = -1, aggregate_to_topk: bool = True):  # fmt: skip
    """`lax.approx_max_k`, computed exactly (recall 1, which meets any `recall_target`): the `k` largest
    entries along `reduction_dimension` and their int32 indices; `approx_min_k` for the smallest.

    `reduction_input_size_override` and `aggregate_to_topk` only steer TPU's approximate algorithm.
    """
    nd = get_aval(operand).ndim
    dim = int(reduction_dimension) % nd
    x = moveaxis(operand, dim, nd - 1)
    if not is_max_k:
        # an order-reversing map that cannot overflow: -x for floats, ~x for integers
        x = lax.neg(x) if dtypes.is_inexact(get_aval(x).dtype) else lax.bitwise_not(x)
    values, indices = top_k(x, k)
    if not is_max_k:
        values = lax.neg(values) if dtypes.is_inexact(get_aval(values).dtype) else lax.bitwise_not(values)
    return moveaxis(values, nd - 1, dim), moveaxis(indices, nd - 1, dim)


def approx_min_k(operand, k: int, reduction_dimension: int = -1, recall_target: float = 0.95,
                 reduction_input_size_override: int = -1, aggregate_to_topk: bool = True):  # fmt: skip
    """`lax.approx_min_k`: `approx_max_k(..., is_max_k=False)`, computed exactly."""
    return approx_max_k(operand, k, reduction_dimension, recall_target, False, reduction_input_size_override,
                        aggregate_to_topk)  # fmt: skip


def argsort(operand, dimension: int = -1, is_stable: bool = True, descending: bool = False,
            index_dtype=dtypes.int32):  # fmt: skip
    """Indices that sort `operand` along `dimension` (a helper for jnp.argsort; not in `jax.lax`).

    Args:
      operand: the array to sort.
      dimension: the axis to sort along.
      is_stable: whether ties keep their order.
      descending: sort largest first; ties still keep their original order.
      index_dtype: the integer dtype of the result.

    Returns:
      An integer array of `operand`'s shape.
    """
    nd = get_aval(operand).ndim
    if not -nd <= dimension < nd:
        raise ValueError(f"argsort dimension {dimension} is out of bounds for operand of rank {nd}")
    dimension = int(dimension) % nd
    shape = get_aval(operand).shape
    n = shape[dimension]
    iota = lax.broadcasted_iota(index_dtype, shape, dimension)
    if descending:
        # reversing, sorting ascending stably and reversing back keeps ties in their original order
        rev = lax.rev(operand, (dimension,))
        _, perm = sort((rev, iota), dimension, is_stable, num_keys=1)
        perm = lax.rev(perm, (dimension,))
        return lax.sub(lax.full_like(perm, n - 1), perm)
    return sort((operand, iota), dimension, is_stable, num_keys=1)[1]
