"""Index-producing and index-consuming helpers: put/place/choose/compress, (un)ravel_index, fill_diagonal."""

from __future__ import annotations

import builtins
import math

import numpy as np

from jaxnc._src import core, dtypes
from jaxnc._src.core import get_aval
from jaxnc._src.numpy import lax_numpy as jnp


def _arr(x):
    return x if hasattr(x, "aval") else jnp.asarray(x)


def flatnonzero(a, *, size=None, fill_value=None):
    """Indices of the nonzero elements of ravel(a); `size` makes the output shape static.

    Example:
      >>> import jaxnc.numpy as jnp
      >>> jnp.flatnonzero(jnp.array([0, 3, 0, 5]), size=3, fill_value=-1).tolist()
      [1, 3, -1]
    """
    return jnp.nonzero(jnp.ravel(_arr(a)), size=size, fill_value=fill_value)[0]


def _cyclic(values, n: int):
    """values flattened and repeated cyclically to length n (NumPy's put/place rule)."""
    v = jnp.ravel(_arr(values))
    m = jnp.shape(v)[0]
    if m == 0:
        raise ValueError("cannot place or put an empty set of values into a nonempty selection")
    return v if m == n else jnp.take(v, np.arange(n) % m)


def put(a, ind, v, mode=None, *, inplace=True):
    """a with a.flat[ind] = v (v repeated cyclically); returns a new array (inplace=False is required)."""
    if inplace:
        raise ValueError("jnp.put cannot modify arrays in place (JAX arrays are immutable); pass inplace=False")
    a = _arr(a)
    ind = jnp.ravel(_arr(ind))
    n = jnp.shape(ind)[0]
    flat = jnp.ravel(a)
    if mode == "wrap":
        ind = jnp.remainder(ind, jnp.shape(flat)[0])
    elif mode == "clip":
        ind = jnp.clip(ind, 0, jnp.shape(flat)[0] - 1)
    elif mode not in (None, "raise", "fill", "drop"):
        raise ValueError(f"jnp.put: mode must be one of 'raise', 'wrap', 'clip', 'fill', 'drop', got {mode!r}")
    return jnp.reshape(flat.at[ind].set(_cyclic(v, n) if n else jnp.ravel(_arr(v))[:0]), jnp.shape(a))


def place(arr, mask, vals, *, inplace=True):
    """arr with the positions where mask holds set to vals (repeated cyclically); inplace=False required."""
    if inplace:
        raise ValueError("jnp.place cannot modify arrays in place (JAX arrays are immutable); pass inplace=False")
    arr = _arr(arr)
    flat = jnp.ravel(arr)
    n = jnp.shape(flat)[0]
    (idx,) = jnp.nonzero(jnp.ravel(_arr(mask)), size=n, fill_value=n)
    return jnp.reshape(flat.at[idx].set(_cyclic(vals, n), mode="drop"), jnp.shape(arr))


def put_along_axis(arr, indices, values, axis, inplace=True, *, mode=None):
    """arr with values written at `indices` along `axis` (the inverse of take_along_axis); inplace=False required."""
    if inplace:
        raise ValueError("jnp.put_along_axis cannot modify arrays in place; pass inplace=False")
    arr = _arr(arr)
    indices = _arr(indices)
    if axis is None:
        return jnp.reshape(put(arr, indices, values, mode, inplace=False), jnp.shape(arr))
    nd = jnp.ndim(arr)
    (axis,) = jnp._canonical_axes(axis, nd, "put_along_axis")
    if jnp.ndim(indices) != nd:
        raise ValueError(f"put_along_axis: indices must have the same number of dims as arr ({nd}), got "
                         f"shape {jnp.shape(indices)}")
    grids = []
    for d in range(nd):
        if d == axis:
            grids.append(indices)
        else:
            s = [1] * nd
            s[d] = jnp.shape(arr)[d]
            grids.append(jnp.reshape(jnp.arange(jnp.shape(arr)[d]), s))
    return arr.at[tuple(grids)].set(values, mode=mode)


def choose(a, choices, out=None, mode="raise"):
    """choices[a[i]][i] elementwise, with choices broadcast together with a.

    Example:
      >>> import jaxnc.numpy as jnp
      >>> jnp.choose(jnp.array([0, 1, 0]), [jnp.array([1, 2, 3]), jnp.array([10, 20, 30])]).tolist()
      [1, 20, 3]
    """
    if out is not None:
        raise NotImplementedError("jnp.choose: the out argument is not supported (arrays are immutable)")
    a = _arr(a)
    if not dtypes.is_integer(get_aval(a).dtype):
        raise TypeError(f"choose: the index array must be integer, got dtype {get_aval(a).dtype}")
    choices = [_arr(c) for c in choices]
    n = len(choices)
    if mode == "wrap":
        a = jnp.remainder(a, n)
    elif mode == "clip":
        a = jnp.clip(a, 0, n - 1)
    elif mode == "raise":
        v = a.to_concrete_value() if isinstance(a, core.Tracer) else np.asarray(a)
        if v is not None and np.any((np.asarray(v) < 0) | (np.asarray(v) >= n)):
            raise ValueError(f"choose: invalid entry in index array (must be in [0, {n}))")
    else:
        raise ValueError(f"choose: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
    choices = jnp.promote_dtypes(*choices)
    out_ = choices[0]
    for i in range(1, n):
        out_ = jnp.where(jnp.equal(a, i), choices[i], out_)
    return jnp.broadcast_to(out_, jnp.broadcast_shapes(jnp.shape(a), jnp.shape(out_)))


def compress(condition, a, axis=None, *, size=None, fill_value=0, out=None):
    """The slices of a along `axis` where condition is true; `size` pads/truncates to a static length."""
    if out is not None:
        raise NotImplementedError("jnp.compress: the out argument is not supported (arrays are immutable)")
    a = _arr(a)
    cond = jnp.ravel(_arr(condition))
    if axis is None:
        a, axis = jnp.ravel(a), 0
    (axis,) = jnp._canonical_axes(axis, jnp.ndim(a), "compress")
    n = jnp.shape(a)[axis]
    if jnp.shape(cond)[0] > n:
        raise ValueError(f"compress: condition has {jnp.shape(cond)[0]} entries, more than axis {axis} of size {n}")
    cond = jnp.pad(cond, (0, n - jnp.shape(cond)[0]))
    if size is None:
        v = core.concrete_or_error(cond, "jnp.compress needs a concrete condition unless size= is given")
        return jnp.take(a, np.flatnonzero(v).astype(np.int32), axis=axis)
    (idx,) = jnp.nonzero(cond, size=size, fill_value=n)
    return jnp.take(a, idx, axis=axis, mode="fill", fill_value=fill_value)


def extract(condition, arr, *, size=None, fill_value=0):
    """The elements of ravel(arr) where ravel(condition) is true (`size` makes the shape static)."""
    return compress(jnp.ravel(_arr(condition)), jnp.ravel(_arr(arr)), size=size, fill_value=fill_value)


def unravel_index(indices, shape):
    """Flat indices to a tuple of coordinate arrays for an array of `shape` (out of range clips, as JAX).

    Example:
      >>> import jaxnc.numpy as jnp
      >>> [i.tolist() for i in jnp.unravel_index(jnp.array([5, 7]), (3, 4))]
      [[1, 1], [1, 3]]
    """
    indices = _arr(indices)
    if not dtypes.is_integer(get_aval(indices).dtype):
        raise TypeError(f"unravel_index: indices must be integers, got dtype {get_aval(indices).dtype}")
    shape = tuple(int(s) for s in shape)
    total = math.prod(shape)
    idx = jnp.clip(jnp.where(jnp.less(indices, 0), indices + total, indices), 0, builtins.max(total - 1, 0))
    out = []
    for s in reversed(shape):
        out.append(jnp.remainder(idx, s) if s else idx)
        idx = jnp.floor_divide(idx, s) if s else idx
    return tuple(reversed(out))


def ravel_multi_index(multi_index, dims, mode="raise", order="C"):
    """A tuple of coordinate arrays to flat indices into an array of shape `dims`."""
    if order not in ("C", "F"):
        raise ValueError(f"ravel_multi_index: order must be 'C' or 'F', got {order!r}")
    dims = tuple(int(d) for d in dims)
    if len(multi_index) != len(dims):
        raise ValueError(f"ravel_multi_index: {len(multi_index)} index arrays for {len(dims)} dimensions")
    idx = [_arr(i) for i in multi_index]
    for i in idx:
        if not dtypes.is_integer(get_aval(i).dtype):
            raise TypeError(f"ravel_multi_index: only integer indices are allowed, got dtype {get_aval(i).dtype}")
    fixed = []
    for i, d in zip(idx, dims, strict=True):
        if mode == "wrap":
            i = jnp.remainder(i, d)
        elif mode == "clip":
            i = jnp.clip(i, 0, d - 1)
        elif mode == "raise":
            v = i.to_concrete_value() if isinstance(i, core.Tracer) else np.asarray(i)
            if v is None:
                raise core.ConcretizationTypeError(i, "ravel_multi_index with mode='raise' needs concrete indices; "
                                                      "use mode='wrap' or 'clip' under jit")  # fmt: skip
            if np.any((np.asarray(v) < 0) | (np.asarray(v) >= d)):
                raise ValueError(f"ravel_multi_index: invalid entry in coordinates array (dims {dims})")
        else:
            raise ValueError(f"ravel_multi_index: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
        fixed.append(i)
    order_dims = range(len(dims)) if order == "C" else range(len(dims) - 1, -1, -1)
    out = None
    for k in order_dims:
        out = fixed[k] if out is None else jnp.add(jnp.multiply(out, dims[k]), fixed[k])
    return out


def fill_diagonal(a, val, wrap=False, *, inplace=True):
    """a with its main diagonal set to val (repeated cyclically); inplace=False required."""
    if inplace:
        raise ValueError("jnp.fill_diagonal cannot modify arrays in place; pass inplace=False")
    a = _arr(a)
    s = jnp.shape(a)
    if len(s) < 2:
        raise ValueError(f"fill_diagonal: array must be at least 2-d, got shape {s}")
    if len(s) > 2 and len(set(s)) != 1:
        raise ValueError(f"fill_diagonal: all dimensions of an n-d (n > 2) input must be equal, got shape {s}")
    if len(s) == 2:
        step = s[1] + 1
        end = math.prod(s) if wrap or s[0] <= s[1] else s[1] * s[1]
    else:
        step = 1 + int(np.sum(np.cumprod(s[:-1])))
        end = math.prod(s)
    pos = np.arange(0, end, step)
    flat = jnp.ravel(a)
    return jnp.reshape(flat.at[pos].set(_cyclic(jnp.astype(_arr(val), get_aval(a).dtype), pos.size)), s)
