"""Set operations on sorted data: unique (with size/fill_value), union/intersection/difference, isin."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from jaxnc._src import core, dtypes
from jaxnc._src.core import get_aval
from jaxnc._src.lax import lax
from jaxnc._src.lax import sorting as lax_sorting
from jaxnc._src.numpy import lax_numpy as jnp
from jaxnc._src.numpy import sorting


def _arr(x):
    return x if hasattr(x, "aval") else jnp.asarray(x)


def _neq(a, b, equal_nan):
    """a != b along the last axis (any column differs), NaNs equal to each other when equal_nan."""
    ne = jnp.not_equal(a, b)
    if equal_nan and dtypes.is_inexact(get_aval(a).dtype):
        ne = ne & ~(jnp.isnan(a) & jnp.isnan(b))
    return ne if jnp.ndim(ne) == 1 else jnp.any(ne, axis=tuple(range(1, jnp.ndim(ne))))


def _positions(mask, size, name):
    if size is None:
        v = core.concrete_or_error(mask, f"jnp.{name} needs a concrete input or a static size=: the number of unique "
                                         "values depends on the data")  # fmt: skip
        return jnp.asarray(np.flatnonzero(v).astype(np.int32))
    return jnp.nonzero(mask, size=int(size))[0]


def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None, *, equal_nan=True,
           size=None, fill_value=None, sorted=True):  # noqa: A002  # fmt: skip
    """The sorted unique values of ar (or unique slices along axis), optionally with indices and counts.

    Under jit pass a static `size`: the result is padded with `fill_value` (default: the smallest
    unique value) or truncated.

    Args:
      ar: input array.
      return_index: also return the first index of each unique value.
      return_inverse: also return indices that rebuild ar from the unique values.
      return_counts: also return how often each unique value occurs.
      axis: None (flatten) or the axis whose slices are compared.
      equal_nan: treat all NaNs as one value.
      size: static output length.
      fill_value: padding for the values when size exceeds the number of unique values.
      sorted: must be True (the result is always sorted).

    Returns:
      The unique values, or a tuple with the requested extras.

    Example:
      >>> import jaxnc.numpy as jnp
      >>> jnp.unique(jnp.array([3, 1, 3, 2]), size=4, fill_value=0).tolist()
      [1, 2, 3, 0]
    """
    ar = _arr(ar)
    if axis is None:
        flat = jnp.ravel(ar)
        aux_axis_shape = jnp.shape(ar)
        arr = flat
    else:
        (axis,) = jnp._canonical_axes(axis, jnp.ndim(ar), "unique")
        arr = jnp.moveaxis(ar, axis, 0)
        aux_axis_shape = None
    n = jnp.shape(arr)[0]
    rows = jnp.reshape(arr, (n, -1))
    iota = lax.iota(dtypes.default_int_dtype(), n)
    if jnp.ndim(arr) == 1 and not (return_index or return_inverse):
        aux = lax_sorting.sort(arr, 0)  # values only: a plain sort (the permutation costs an argsort, ~10x)
    elif jnp.ndim(arr) == 1:
        aux, perm = lax_sorting.sort((arr, iota), 0, num_keys=1)
    else:
        cols = [rows[:, j] for j in range(jnp.shape(rows)[1])]
        *sorted_cols, perm = lax_sorting.sort((*cols, iota), 0, num_keys=len(cols))
        aux = jnp.take(arr, perm, axis=0)
    if n == 0:
        mask = jnp.zeros((0,), bool)
    else:
        mask = jnp.concatenate([jnp.ones((1,), bool), _neq(aux[1:], aux[:-1], equal_nan)])
    ind = _positions(mask, size, "unique")
    result = jnp.take(aux, ind, axis=0) if n else aux
    if size is not None and fill_value is not None:
        if n:
            valid = jnp.less(jnp.arange(int(size)), jnp.sum(mask))
            valid = jnp.reshape(valid, (-1,) + (1,) * (jnp.ndim(result) - 1))
            result = jnp.where(valid, result, jnp.asarray(fill_value, dtype=get_aval(result).dtype))
        else:
            result = jnp.full((int(size), *jnp.shape(arr)[1:]), fill_value, get_aval(arr).dtype)
    if axis is not None:
        result = jnp.moveaxis(result, 0, axis)
    ret = [result]
    if return_index:
        ret.append(jnp.take(perm, ind) if n else perm)
    if return_inverse:
        imask = jnp.cumsum(mask) - 1
        inv = jnp.zeros((n,), dtypes.default_int_dtype()).at[perm].set(imask) if n else jnp.zeros((0,), int)
        ret.append(jnp.reshape(inv, aux_axis_shape) if aux_axis_shape is not None else inv)
    if return_counts:
        if size is None:
            bounds = jnp.concatenate([ind, jnp.asarray([n], np.int32)]) if n else jnp.zeros((1,), np.int32)
        else:
            bounds = jnp.nonzero(mask, size=int(size) + 1)[0]
            bounds = bounds.at[1:].set(jnp.where(bounds[1:], bounds[1:], n))
        ret.append(bounds[1:] - bounds[:-1])
    return ret[0] if len(ret) == 1 else tuple(ret)


class UniqueAllResult(NamedTuple):
    values: object
    indices: object
    inverse_indices: object
    counts: object


class UniqueCountsResult(NamedTuple):
    values: object
    counts: object


class UniqueInverseResult(NamedTuple):
    values: object
    inverse_indices: object


def unique_all(x, /, *, size=None, fill_value=None):
    """Array-API unique_all: values, first indices, inverse indices and counts."""
    return UniqueAllResult(*unique(x, True, True, True, equal_nan=False, size=size, fill_value=fill_value))


def unique_counts(x, /, *, size=None, fill_value=None):
    """Array-API unique_counts: values and counts."""
    return UniqueCountsResult(*unique(x, return_counts=True, equal_nan=False, size=size, fill_value=fill_value))


def unique_inverse(x, /, *, size=None, fill_value=None):
    """Array-API unique_inverse: values and inverse indices (of x's shape)."""
    return UniqueInverseResult(*unique(x, return_inverse=True, equal_nan=False, size=size, fill_value=fill_value))


def unique_values(x, /, *, size=None, fill_value=None):
    """Array-API unique_values: the sorted unique values."""
    return unique(x, equal_nan=False, size=size, fill_value=fill_value)


def isin(element, test_elements, assume_unique=False, invert=False, *, method="auto"):
    """Elementwise membership of `element` in `test_elements` (broadcast comparison or sorted search).

    Example:
      >>> import jaxnc.numpy as jnp
      >>> jnp.isin(jnp.array([1, 2, 3]), jnp.array([3, 1])).tolist()
      [True, False, True]
    """
    element, test = _arr(element), jnp.ravel(_arr(test_elements))
    element, test = jnp.promote_dtypes(element, test)
    if method not in ("auto", "compare_all", "binary_search", "sort"):
        raise ValueError(f"isin: method must be 'auto', 'compare_all', 'binary_search' or 'sort', got {method!r}")
    nt = jnp.shape(test)[0]
    if nt == 0:
        out = jnp.zeros(jnp.shape(element), bool)
    elif method == "compare_all" or (method == "auto" and nt <= 64):
        out = jnp.any(jnp.equal(jnp.expand_dims(element, -1), test), axis=-1)
    else:
        s = sorting.sort(test)
        i = jnp.clip(sorting.searchsorted(s, element), 0, nt - 1)
        out = jnp.equal(jnp.take(s, i), element)
    return ~out if invert else out


def in1d(ar1, ar2, assume_unique=False, invert=False, *, method="auto"):
    """isin over the flattened ar1."""
    return isin(jnp.ravel(_arr(ar1)), ar2, assume_unique, invert, method=method)


def _fill(result, count, size, fill_value):
    if size is None:
        return result
    valid = jnp.less(jnp.arange(int(size)), count)
    fill = jnp.min(result) if fill_value is None else jnp.asarray(fill_value, dtype=get_aval(result).dtype)
    return jnp.where(valid, result, fill)


def union1d(ar1, ar2, *, size=None, fill_value=None):
    """Sorted unique values in either array."""
    return unique(jnp.concatenate([jnp.ravel(_arr(ar1)), jnp.ravel(_arr(ar2))]), size=size, fill_value=fill_value)


def _first_of_sorted(s):
    """Sorted s and the mask of each value's first occurrence."""
    if jnp.shape(s)[0] == 0:
        return jnp.zeros((0,), bool)
    return jnp.concatenate([jnp.ones((1,), bool), jnp.not_equal(s[1:], s[:-1])])


def _select_sorted(s, keep, size, fill_value, name):
    ind = _positions(keep, size, name)
    return _fill(jnp.take(s, ind), jnp.sum(keep), size, fill_value)


def setdiff1d(ar1, ar2, assume_unique=False, *, size=None, fill_value=None):
    """Sorted unique values of ar1 that are not in ar2.

    Example:
      >>> import jaxnc.numpy as jnp
      >>> jnp.setdiff1d(jnp.array([3, 1, 2, 1]), jnp.array([2])).tolist()
      [1, 3]
    """
    s = sorting.sort(jnp.ravel(_arr(ar1)))
    keep = _first_of_sorted(s) & isin(s, ar2, invert=True)
    return _select_sorted(s, keep, size, fill_value, "setdiff1d")


def setxor1d(ar1, ar2, assume_unique=False, *, size=None, fill_value=None):
    """Sorted unique values that are in exactly one of the two arrays."""
    s = sorting.sort(jnp.concatenate([jnp.ravel(_arr(ar1)), jnp.ravel(_arr(ar2))]))
    keep = _first_of_sorted(s) & jnp.not_equal(isin(s, ar1), isin(s, ar2))
    return _select_sorted(s, keep, size, fill_value, "setxor1d")


def intersect1d(ar1, ar2, assume_unique=False, return_indices=False, *, size=None, fill_value=None):
    """Sorted unique values in both arrays; with return_indices also their first positions in each."""
    a1, a2 = jnp.ravel(_arr(ar1)), jnp.ravel(_arr(ar2))
    a1, a2 = jnp.promote_dtypes(a1, a2)
    perm1 = sorting.argsort(a1)
    s1 = jnp.take(a1, perm1)
    keep = _first_of_sorted(s1) & isin(s1, a2)
    out = _select_sorted(s1, keep, size, fill_value, "intersect1d")
    if not return_indices:
        return out
    perm2 = sorting.argsort(a2)
    s2 = jnp.take(a2, perm2)
    i1 = jnp.take(perm1, jnp.clip(sorting.searchsorted(s1, out), 0, max(jnp.shape(a1)[0] - 1, 0)))
    i2 = jnp.take(perm2, jnp.clip(sorting.searchsorted(s2, out), 0, max(jnp.shape(a2)[0] - 1, 0)))
    return out, i1, i2

