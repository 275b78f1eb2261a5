"""Shape manipulation beyond lax_numpy's core set: split/stack variants, rot90, block, insert/delete, apply_*."""

from __future__ import annotations

import builtins
import math

import numpy as np

from jaxnc._src import core, dtypes
from jaxnc._src.core import get_aval
from jaxnc._src.lax import lax
from jaxnc._src.numpy import lax_numpy as jnp


def _arr(x):
    return x if hasattr(x, "aval") else jnp.asarray(x)


def atleast_3d(*arys):
    """Views with at least three dimensions: (n,) -> (1, n, 1), (m, n) -> (m, n, 1)."""
    out = []
    for a in arys:
        a = _arr(a)
        nd = jnp.ndim(a)
        if nd == 0:
            a = jnp.reshape(a, (1, 1, 1))
        elif nd == 1:
            a = jnp.reshape(a, (1, jnp.shape(a)[0], 1))
        elif nd == 2:
            a = jnp.reshape(a, (*jnp.shape(a), 1))
        out.append(a)
    return out[0] if len(out) == 1 else out


def dstack(tup, dtype=None):
    """Stack arrays along the third axis."""
    arrs = [atleast_3d(a) for a in tup]
    return jnp.concatenate(arrs, 2, dtype)


row_stack = jnp.vstack


def unstack(x, /, *, axis=0):
    """The slices of x along `axis`, as a tuple."""
    x = _arr(x)
    if jnp.ndim(x) == 0:
        raise ValueError("unstack requires an array with at least 1 dimension, got a 0-d array")
    (axis,) = jnp._canonical_axes(axis, jnp.ndim(x), "unstack")
    return tuple(lax.index_in_dim(x, i, axis, keepdims=False) for i in range(jnp.shape(x)[axis]))


def dsplit(ary, indices_or_sections):
    """split along the third axis."""
    if jnp.ndim(ary) < 3:
        raise ValueError(f"dsplit only works on arrays of 3 or more dimensions, got shape {jnp.shape(ary)}")
    return jnp.split(ary, indices_or_sections, 2)


def rot90(m, k=1, axes=(0, 1)):
    """Rotate by 90 degrees k times in the plane of `axes` (from the first towards the second).

    Example:
      >>> import jaxnc.numpy as jnp
      >>> jnp.rot90(jnp.array([[1, 2], [3, 4]])).tolist()
      [[2, 4], [1, 3]]
    """
    m = _arr(m)
    ax = jnp._canonical_axes(axes, jnp.ndim(m), "rot90")
    if len(ax) != 2:
        raise ValueError(f"rot90: axes must name two different axes, got {axes}")
    k = int(k) % 4
    if k == 0:
        return m
    if k == 2:
        return jnp.flip(m, ax)
    perm = list(range(jnp.ndim(m)))
    perm[ax[0]], perm[ax[1]] = perm[ax[1]], perm[ax[0]]
    if k == 1:
        return jnp.transpose(jnp.flip(m, ax[1]), perm)
    return jnp.flip(jnp.transpose(m, perm), ax[1])


def block(arrays):
    """Assemble an array from nested lists of blocks (innermost lists join along the last axis).

    Example:
      >>> import jaxnc.numpy as jnp
      >>> jnp.block([[jnp.zeros((1, 1)), jnp.ones((1, 2))]]).tolist()
      [[0.0, 1.0, 1.0]]
    """

    def depth(x):
        return 1 + depth(x[0]) if isinstance(x, list) and x else (1 if isinstance(x, list) else 0)

    list_depth = depth(arrays)
    if isinstance(arrays, tuple):
        raise TypeError("block: arrays must be nested lists, got a tuple")

    def max_ndim(x):
        return builtins.max(max_ndim(e) for e in x) if isinstance(x, list) else jnp.ndim(x)

    result_nd = builtins.max(list_depth, max_ndim(arrays))

    def rec(x, d):
        if not isinstance(x, list):
            a = _arr(x)
            return jnp.reshape(a, (1,) * (result_nd - jnp.ndim(a)) + jnp.shape(a))
        if not x:
            raise ValueError("block: lists cannot be empty")
        return jnp.concatenate([rec(e, d + 1) for e in x], axis=-(list_depth - d))

    return rec(arrays, 0)


def append(arr, values, axis=None):
    """arr with values appended (flattened when axis is None)."""
    if axis is None:
        return jnp.concatenate([jnp.ravel(arr), jnp.ravel(values)])
    return jnp.concatenate([arr, values], axis)


def _static_index_list(obj, n, name):
    if isinstance(obj, builtins.slice):
        return np.arange(n)[obj]
    v = core.concrete_or_error(obj, f"jnp.{name} needs concrete indices")
    return v.astype(np.int64)


def delete(arr, obj, axis=None, *, assume_unique_indices=False):
    """arr without the entries at `obj` along `axis` (flattened when axis is None)."""
    arr = _arr(arr)
    if axis is None:
        arr, axis = jnp.ravel(arr), 0
    (axis,) = jnp._canonical_axes(axis, jnp.ndim(arr), "delete")
    n = jnp.shape(arr)[axis]
    idx = _static_index_list(obj, n, "delete")
    if get_aval(jnp.asarray(idx)).dtype == np.bool_ or idx.dtype == np.bool_:
        keep = ~np.asarray(idx, bool)
    else:
        if np.any((idx < -n) | (idx >= n)):
            raise IndexError(f"delete: index out of bounds for axis {axis} with size {n}: {idx.tolist()}")
        keep = np.ones(n, bool)
        keep[idx % n if idx.size else idx] = False
    return jnp.take(arr, np.nonzero(keep)[0], axis=axis)


def insert(arr, obj, values, axis=None):
    """arr with `values` inserted before the indices `obj` along `axis` (NumPy's rules)."""
    arr = _arr(arr)
    if axis is None:
        arr, axis = jnp.ravel(arr), 0
    (axis,) = jnp._canonical_axes(axis, jnp.ndim(arr), "insert")
    n = jnp.shape(arr)[axis]
    scalar_obj = np.ndim(obj) == 0 and not isinstance(obj, builtins.slice)
    idx = _static_index_list(obj, n + 1, "insert").reshape(-1)
    if np.any((idx < -n) | (idx > n)):
        raise IndexError(f"insert: index out of bounds for axis {axis} with size {n}: {idx.tolist()}")
    idx = np.where(idx < 0, idx + n, idx)
    values = jnp.astype(_arr(values), get_aval(arr).dtype)
    nd = jnp.ndim(arr)
    v = jnp.reshape(values, (1,) * builtins.max(0, nd - jnp.ndim(values)) + jnp.shape(values))
    vshape = list(jnp.shape(arr))
    if scalar_obj:  # NumPy: values become a block of slices inserted at one position
        v = jnp.moveaxis(v, 0, axis)
        vshape[axis] = jnp.shape(v)[axis]
        idx = np.full(vshape[axis], idx[0])
    else:
        vshape[axis] = idx.size
    v = jnp.broadcast_to(v, vshape)
    # positions in the output: stable order of (index, source) with inserted values before originals
    order = np.argsort(np.concatenate([idx, np.arange(n)]), kind="stable")
    combined = jnp.concatenate([v, arr], axis)
    return jnp.take(combined, order.astype(np.int32), axis=axis)


def resize(a, new_shape):
    """An array of new_shape filled by repeating a's flattened data."""
    a = jnp.ravel(_arr(a))
    new_shape = (int(new_shape),) if np.ndim(new_shape) == 0 else tuple(int(s) for s in new_shape)
    total = math.prod(new_shape)
    size = jnp.shape(a)[0]
    if size == 0 or total == 0:
        return jnp.zeros(new_shape, get_aval(a).dtype)
    reps = -(-total // size)
    return jnp.reshape(jnp.tile(a, reps)[:total], new_shape)


def trim_zeros(filt, trim="fb"):
    """filt without leading ('f') and/or trailing ('b') zeros (needs a concrete input)."""
    v = core.concrete_or_error(filt, "jnp.trim_zeros needs a concrete array: the output shape depends on values")
    nz = np.flatnonzero(v)
    start = nz[0] if "f" in trim.lower() and nz.size else (len(v) if "f" in trim.lower() else 0)
    stop = nz[-1] + 1 if "b" in trim.lower() and nz.size else len(v)
    return _arr(filt)[start:builtins.max(start, stop)]


def rollaxis(a, axis, start=0):
    """Move `axis` so it lies before position `start` (prefer moveaxis)."""
    nd = jnp.ndim(a)
    axis = axis % nd
    start = start % (nd + 1) if start < 0 else start
    if axis < start:
        start -= 1
    return jnp.moveaxis(a, axis, start)


def apply_along_axis(func1d, axis, arr, *args, **kwargs):
    """func1d applied to 1-d slices of arr along `axis` (vmapped over the other axes)."""
    from jaxnc._src import api

    arr = _arr(arr)
    nd = jnp.ndim(arr)
    (axis,) = jnp._canonical_axes(axis, nd, "apply_along_axis")

    def fn(x):
        return func1d(x, *args, **kwargs)

    for _ in range(1, nd - axis):
        fn = api.vmap(fn, in_axes=-1, out_axes=-1)
    for _ in range(axis):
        fn = api.vmap(fn, in_axes=0, out_axes=0)
    return fn(arr)


def apply_over_axes(func, a, axes):
    """func(a, axis) applied for each axis in turn, keeping dims so the next axis lines up."""
    a = _arr(a)
    for axis in axes:
        b = func(a, axis)
        if jnp.ndim(b) == jnp.ndim(a) - 1:
            b = jnp.expand_dims(b, axis)
        elif jnp.ndim(b) != jnp.ndim(a):
            raise ValueError(f"apply_over_axes: func must keep or drop exactly one dim, got {jnp.shape(b)} from {jnp.shape(a)}")
        a = b
    return a


def piecewise(x, condlist, funclist, *args, **kw):
    """funclist[i](x) where condlist[i] holds (last condition wins; an extra function is the default)."""
    x = _arr(x)
    condlist = [condlist] if jnp.ndim(jnp.asarray(condlist[0] if isinstance(condlist, (list, tuple)) else condlist)) == 0 \
        and not isinstance(condlist, (list, tuple)) else list(condlist)  # fmt: skip
    if len(funclist) == len(condlist) + 1:
        default = funclist[-1]
        funclist = funclist[:-1]
    elif len(funclist) == len(condlist):
        default = 0
    else:
        raise ValueError(f"piecewise: with {len(condlist)} conditions, funclist must have {len(condlist)} or "
                         f"{len(condlist) + 1} entries, got {len(funclist)}")

    def value(f):
        return f(x, *args, **kw) if callable(f) else jnp.full_like(x, f)

    out = jnp.astype(value(default), get_aval(x).dtype)
    for cond, f in zip(condlist, funclist, strict=True):
        out = jnp.where(cond, jnp.astype(value(f), get_aval(x).dtype), out)
    return out


def array_equiv(a1, a2):
    """True when the arrays are broadcast-compatible and equal everywhere."""
    try:
        b1, b2 = jnp.broadcast_arrays(_arr(a1), _arr(a2))
    except ValueError:
        return jnp.asarray(False)
    return jnp.all(jnp.equal(b1, b2))


def packbits(a, axis=None, bitorder="big"):
    """Pack a boolean/integer array's truth values into uint8 (8 per byte, zero padded)."""
    if bitorder not in ("big", "little"):
        raise ValueError(f"packbits: bitorder must be 'big' or 'little', got {bitorder!r}")
    a = _arr(a)
    if not (dtypes.is_integer(get_aval(a).dtype) or get_aval(a).dtype == np.bool_):
        raise TypeError(f"packbits requires a boolean or integer array, got dtype {get_aval(a).dtype}")
    bits = jnp.astype(jnp.not_equal(a, 0), np.uint8)
    if axis is None:
        bits, axis = jnp.ravel(bits), 0
    (axis,) = jnp._canonical_axes(axis, jnp.ndim(bits), "packbits")
    bits = jnp.moveaxis(bits, axis, -1)
    n = jnp.shape(bits)[-1]
    pad = (-n) % 8
    bits = jnp.pad(bits, [(0, 0)] * (jnp.ndim(bits) - 1) + [(0, pad)])
    bits = jnp.reshape(bits, (*jnp.shape(bits)[:-1], -1, 8))
    shifts = np.arange(7, -1, -1, dtype=np.uint8) if bitorder == "big" else np.arange(8, dtype=np.uint8)
    packed = jnp.sum(jnp.left_shift(bits, jnp.asarray(shifts)), axis=-1, dtype=np.uint8)
    return jnp.moveaxis(packed, -1, axis)


def unpackbits(a, axis=None, count=None, bitorder="big"):
    """Unpack uint8 elements into bits (the inverse of packbits)."""
    if bitorder not in ("big", "little"):
        raise ValueError(f"unpackbits: bitorder must be 'big' or 'little', got {bitorder!r}")
    a = _arr(a)
    if get_aval(a).dtype != np.uint8:
        raise TypeError(f"unpackbits requires a uint8 array, got dtype {get_aval(a).dtype}")
    if axis is None:
        a, axis = jnp.ravel(a), 0
    (axis,) = jnp._canonical_axes(axis, jnp.ndim(a), "unpackbits")
    shifts = np.arange(7, -1, -1, dtype=np.uint8) if bitorder == "big" else np.arange(8, dtype=np.uint8)
    bits = jnp.bitwise_and(jnp.right_shift(jnp.expand_dims(a, -1), jnp.asarray(shifts)), np.uint8(1))
    bits = jnp.moveaxis(bits, jnp.ndim(a), axis + 1)
    s = jnp.shape(bits)
    bits = jnp.reshape(bits, (*s[:axis], s[axis] * 8, *s[axis + 2 :]))
    if count is not None:
        bits = lax.slice_in_dim(bits, 0, builtins.min(int(count), jnp.shape(bits)[axis]), axis=axis)
    return bits
