"""Sorting and searching: sort/argsort (stable, descending), lexsort, partition, searchsorted, on lax.sort."""

from __future__ import annotations

import math

import numpy as np

from jaxnc._src import dtypes
from jaxnc._src.core import get_aval
from jaxnc._src.lax import lax
from jaxnc._src.lax import slicing as lax_slicing
from jaxnc._src.lax import sorting as lax_sorting
from jaxnc._src.numpy import lax_numpy as jnp


def _arr(x):
    return x if hasattr(x, "aval") else jnp.asarray(x)


def _axis_input(a, axis, name):
    a = _arr(a)
    if axis is None:
        return jnp.ravel(a), 0
    (axis,) = jnp._canonical_axes(axis, jnp.ndim(a), name)
    return a, axis


def sort(a, axis=-1, *, kind=None, order=None, stable=True, descending=False):
    """Sorted copy of `a` along `axis` (None: flattened); NaNs sort last, as in NumPy.

    Example:
      >>> import jaxnc.numpy as jnp
      >>> jnp.sort(jnp.array([3, 1, 2]), descending=True).tolist()
      [3, 2, 1]
    """
    if order is not None:
        raise TypeError("jnp.sort: the order argument (structured arrays) is not supported")
    a, axis = _axis_input(a, axis, "sort")
    if jnp.ndim(a) == 0:
        return a
    out = lax_sorting.sort(a, axis, is_stable=stable)
    return lax.rev(out, (axis,)) if descending else out


def argsort(a, axis=-1, *, kind=None, order=None, stable=True, descending=False):
    """Indices that sort `a` along `axis`; with descending=True ties keep their original order.

    Example:
      >>> import jaxnc.numpy as jnp
      >>> jnp.argsort(jnp.array([2, 1, 2, 0]), descending=True).tolist()
      [0, 2, 1, 3]
    """
    if order is not None:
        raise TypeError("jnp.argsort: the order argument (structured arrays) is not supported")
    a, axis = _axis_input(a, axis, "argsort")
    if jnp.ndim(a) == 0:
        return jnp.zeros((), dtypes.default_int_dtype())
    return lax_sorting.argsort(a, axis, is_stable=stable, descending=descending, index_dtype=dtypes.default_int_dtype())


def sort_complex(a):
    """Sort complex numbers by real part, then imaginary part (always returns a complex dtype)."""
    a = _arr(a)
    dt = dtypes.promote_types(get_aval(a).dtype, np.complex64)
    a = jnp.astype(a, dt)
    re, im = lax_sorting.sort((lax.real(a), lax.imag(a)), -1, num_keys=2)
    return lax.complex_(re, im)


def lexsort(keys, axis=-1):
    """Indices sorting by several keys: the last key is the primary one (NumPy's convention).

    Example:
      >>> import jaxnc.numpy as jnp
      >>> jnp.lexsort((jnp.array([1, 0, 1]), jnp.array([0, 0, 1]))).tolist()
      [1, 0, 2]
    """
    keys = [_arr(k) for k in keys]
    if not keys:
        raise TypeError("lexsort needs at least one key")
    shape = jnp.shape(keys[0])
    if any(jnp.shape(k) != shape for k in keys):
        raise ValueError(f"lexsort: all keys must have the same shape, got {[jnp.shape(k) for k in keys]}")
    if not shape:
        raise TypeError("lexsort: keys must be at least 1-dimensional")
    (axis,) = jnp._canonical_axes(axis, len(shape), "lexsort")
    iota = lax.broadcasted_iota(dtypes.default_int_dtype(), shape, axis)
    return lax_sorting.sort((*keys[::-1], iota), axis, num_keys=len(keys))[-1]


def partition(a, kth, axis=-1):
    """A copy with the k-th smallest element in place k, smaller before and larger after (fully sorted here)."""
    a = _arr(a)
    (axis,) = jnp._canonical_axes(axis, jnp.ndim(a), "partition")
    _check_kth(kth, jnp.shape(a)[axis])
    return sort(a, axis)


def argpartition(a, kth, axis=-1):
    """Indices that would partition `a` around kth (a full stable argsort, which satisfies the contract)."""
    a = _arr(a)
    (axis,) = jnp._canonical_axes(axis, jnp.ndim(a), "argpartition")
    _check_kth(kth, jnp.shape(a)[axis])
    return argsort(a, axis)


def _check_kth(kth, n):
    for k in np.ravel(kth):
        if not -n <= int(k) < n:
            raise ValueError(f"kth(={int(k)}) out of bounds for an axis of size {n}")


def _lt_nan_last(x, y):
    """x < y in NumPy's sort order (NaN above everything) for real and complex dtypes."""
    if dtypes.is_complex(get_aval(x).dtype):
        xr, xi, yr, yi = lax.real(x), lax.imag(x), lax.real(y), lax.imag(y)
        return _lt_nan_last(xr, yr) | (jnp.equal(xr, yr) & _lt_nan_last(xi, yi))
    if not dtypes.is_inexact(get_aval(x).dtype):
        return jnp.less(x, y)
    return jnp.less(x, y) | (jnp.isnan(y) & ~jnp.isnan(x))


def searchsorted(a, v, side="left", sorter=None, *, method="scan"):
    """Insertion points of v into the sorted 1-d array a (binary search, jittable).

    Args:
      a: a sorted 1-d array.
      v: values to insert (any shape).
      side: 'left' (first suitable index) or 'right' (last).
      sorter: optional indices that sort `a`.
      method: 'scan' or 'sort' (binary search) or 'compare_all' (O(len(a) * v.size) comparisons).

    Returns:
      int32 indices of v's shape.

    Example:
      >>> import jaxnc.numpy as jnp
      >>> jnp.searchsorted(jnp.array([1, 2, 2, 3]), jnp.array([2, 5]), side="right").tolist()
      [3, 4]
    """
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    if method not in ("scan", "scan_unrolled", "sort", "compare_all"):
        raise ValueError(f"searchsorted: method must be 'scan', 'scan_unrolled', 'sort' or 'compare_all', got {method!r}")
    a, v = _arr(a), _arr(v)
    if jnp.ndim(a) != 1:
        raise ValueError(f"searchsorted: a must be 1-dimensional, got shape {jnp.shape(a)}")
    if sorter is not None:
        a = jnp.take(a, sorter)
    a, v = jnp.promote_dtypes(a, v)
    n = jnp.shape(a)[0]
    idx_dt = np.dtype(np.int32) if n <= np.iinfo(np.int32).max else dtypes.default_int_dtype()
    # go right past a[i] when a[i] < v (left) or not v < a[i] (right)
    goes_right = (lambda ai, x: _lt_nan_last(ai, x)) if side == "left" else (lambda ai, x: ~_lt_nan_last(x, ai))
    if method == "compare_all" or n == 0:
        return jnp.astype(jnp.sum(goes_right(a, jnp.expand_dims(v, -1)), axis=-1), idx_dt)
    if dtypes.is_float(get_aval(a).dtype):
        # compare integer keys in NumPy's order (one transform instead of NaN tests at every step)
        a, v = _total_order_key(a), _total_order_key(v)
        goes_right = (lambda ai, x: lax.lt(ai, x)) if side == "left" else (lambda ai, x: lax.le(ai, x))
    lo = lax.full(jnp.shape(v), 0, idx_dt)
    hi = lax.full(jnp.shape(v), n, idx_dt)
    one = lax.full(jnp.shape(v), 1, idx_dt)
    for _ in range(math.ceil(math.log2(n + 1))):
        mid = lax.add(lo, lax.shift_right_logical(lax.sub(hi, lo), one))  # lo <= mid <= hi, no overflow
        # mid == n only once lo == hi == n, where `right` is masked off: clip is only for the read
        am = take_clipped(a, mid)
        # as 0/1 arithmetic rather than two selects: np.where on a random mask is ~10x slower than a mul
        right = lax.convert_element_type(lax.bitwise_and(goes_right(am, v), lax.lt(mid, hi)), idx_dt)
        lo = lax.add(lo, lax.mul(right, lax.sub(lax.add(mid, one), lo)))  # mid + 1 if right else lo
        hi = lax.add(mid, lax.mul(right, lax.sub(hi, mid)))  # hi if right else mid
    return lo


def take_clipped(a, idx):
    """a[clip(idx, 0, len(a) - 1)] for a 1-d `a`: one gather, without jnp indexing's negative-index handling."""
    dnums = lax_slicing.GatherDimensionNumbers(offset_dims=(), collapsed_slice_dims=(0,), start_index_map=(0,))
    return lax_slicing.gather(a, lax.expand_dims(idx, (jnp.ndim(idx),)), dnums, (1,), mode="clip")


def _total_order_key(x):
    """Signed integers ordered as NumPy sorts floats: -0.0 == 0.0, every NaN equal and above +inf."""
    dt = get_aval(x).dtype
    int_dt = {2: np.int16, 4: np.int32, 8: np.int64}[dt.itemsize]
    x = lax.add(x, lax.full_like(x, 0))  # -0.0 + 0.0 = +0.0
    x = lax.select(lax.ne(x, x), lax.full_like(x, np.nan), x)  # one NaN bit pattern (positive)
    bits = lax.bitcast_convert_type(x, int_dt)
    # negative floats: flip the magnitude bits so that more negative is smaller
    sign = lax.shift_right_arithmetic(bits, lax.full_like(bits, 8 * dt.itemsize - 1))
    return lax.bitwise_xor(bits, lax.bitwise_and(sign, lax.full_like(bits, np.iinfo(int_dt).max)))
