"""Array construction beyond zeros/arange: log grids, index grids (mgrid, ix_, r_), triangle indices, windows."""

from __future__ import annotations

import builtins
import math

import numpy as np

from jaxnc._src import core, dtypes
from jaxnc._src.core import get_aval
from jaxnc._src.lax import lax
from jaxnc._src.numpy import lax_numpy as jnp


def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    """`num` points evenly spaced on a log scale, base**start to base**stop.

    Example:
      >>> import jaxnc.numpy as jnp
      >>> jnp.logspace(0, 2, 3).tolist()
      [1.0, 10.0, 100.0]
    """
    dt = dtypes.canonicalize_dtype(dtype) if dtype is not None else None
    lin = jnp.linspace(start, stop, num, endpoint=endpoint, axis=axis)
    out = jnp.power(jnp.asarray(base, dtype=get_aval(lin).dtype), lin)
    return out if dt is None else jnp.astype(out, dt)


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """`num` points in geometric progression from start to stop (both nonzero, same sign)."""
    start, stop = jnp.promote_dtypes_inexact(start, stop)
    sign = jnp.sign(start)
    out = sign * logspace(jnp.log10(start * sign), jnp.log10(stop * sign), num, endpoint)
    out = out.at[0].set(start)
    if endpoint and num > 1:
        out = out.at[-1].set(stop)
    return out if dtype is None else jnp.astype(out, dtype)


def fromfunction(function, shape, *, dtype=float, **kwargs):
    """`function` called once on index grids of `shape` (as NumPy, but vectorized)."""
    return function(*indices(shape, dtype=dtype), **kwargs)


def fromiter(iterable, dtype, count=-1, *, like=None):
    """An array from a Python iterable of scalars (concrete)."""
    return jnp.asarray(np.fromiter(iterable, dtypes.canonicalize_dtype(dtype), count))


def frombuffer(buffer, dtype=float, count=-1, offset=0):
    """An array viewing the bytes of `buffer` (copied)."""
    return jnp.asarray(np.frombuffer(buffer, dtype=dtype, count=count, offset=offset))


def fromstring(string, dtype=float, count=-1, *, sep):
    """An array parsed from text with separator `sep`."""
    if not sep:
        raise ValueError("fromstring needs a nonempty sep (binary mode is deprecated in NumPy); use frombuffer")
    return jnp.asarray(np.array([float(s) for s in string.split(sep) if s.strip()][: None if count < 0 else count], dtype))


def diagflat(v, k=0):
    """A 2-d array with the flattened input on diagonal k."""
    return jnp.diag(jnp.ravel(v), k)


def vander(x, N=None, increasing=False):  # noqa: N803
    """The Vandermonde matrix: columns are powers of x (decreasing unless `increasing`).

    Example:
      >>> import jaxnc.numpy as jnp
      >>> jnp.vander(jnp.array([2, 3]), 3).tolist()
      [[4, 2, 1], [9, 3, 1]]
    """
    x = jnp.asarray(x)
    if jnp.ndim(x) != 1:
        raise ValueError(f"vander: x must be one-dimensional, got shape {jnp.shape(x)}")
    n = jnp.shape(x)[0] if N is None else int(N)
    powers = jnp.arange(n) if increasing else jnp.arange(n - 1, -1, -1)
    return jnp.power(x[:, None], jnp.astype(powers, get_aval(x).dtype) if dtypes.is_inexact(get_aval(x).dtype) else powers)


def indices(dimensions, dtype=None, sparse=False):
    """Index grids over `dimensions`: out[i] varies along axis i."""
    dimensions = tuple(int(d) for d in dimensions)
    dt = dtypes.canonicalize_dtype(dtype) if dtype is not None else dtypes.default_int_dtype()
    out = []
    for i, d in enumerate(dimensions):
        if sparse:
            s = [1] * len(dimensions)
            s[i] = d
            out.append(lax.reshape(lax.iota(dt, d), s))
        else:
            out.append(lax.broadcasted_iota(dt, dimensions, i))
    return tuple(out) if sparse else (jnp.stack(out) if out else jnp.zeros((0,), dt))


def ix_(*args):
    """Open mesh from 1-d index arrays: arg i reshaped to have its length on axis i."""
    n = len(args)
    out = []
    for i, a in enumerate(args):
        a = jnp.asarray(a)
        if jnp.ndim(a) != 1:
            raise ValueError(f"ix_: arguments must be 1-d, argument {i} has shape {jnp.shape(a)}")
        if get_aval(a).dtype == np.bool_:
            a = jnp.asarray(np.nonzero(core.concrete_or_error(a, "ix_ needs a concrete boolean mask"))[0])
        out.append(jnp.reshape(a, (1,) * i + (-1,) + (1,) * (n - i - 1)))
    return tuple(out)


def _slice_values(s: builtins.slice):
    """The 1-d values a slice names in mgrid/r_: an arange, or a linspace when the step is complex."""
    start = 0 if s.start is None else s.start
    step = 1 if s.step is None else s.step
    if isinstance(step, complex):
        return jnp.linspace(start, s.stop, int(abs(step)), endpoint=True)
    return jnp.arange(start, s.stop, step)


class _Mgrid:
    """`mgrid[...]`: dense coordinate grids from slices (complex steps count points)."""

    sparse = False

    def __getitem__(self, key):
        key = key if isinstance(key, tuple) else (key,)
        vals = [_slice_values(k) for k in key]
        if len(key) == 1 and not self.sparse:
            return vals[0]
        dt = dtypes.result_type(*vals)
        grids = jnp.meshgrid(*[jnp.astype(v, dt) for v in vals], indexing="ij", sparse=self.sparse)
        return tuple(grids) if self.sparse else jnp.stack(grids)


class _Ogrid(_Mgrid):
    """`ogrid[...]`: open (broadcastable) coordinate grids."""

    sparse = True


mgrid = _Mgrid()
ogrid = _Ogrid()


class _AxisConcatenator:
    """`r_[...]` / `c_[...]`: concatenate slices, scalars and arrays; a leading 'axis,ndmin,trans1d' string."""

    def __init__(self, axis: int, ndmin: int, trans1d: int) -> None:
        self.axis, self.ndmin, self.trans1d = axis, ndmin, trans1d

    def __getitem__(self, key):
        key = key if isinstance(key, tuple) else (key,)
        axis, ndmin, trans1d = self.axis, self.ndmin, self.trans1d
        if key and isinstance(key[0], str):
            spec = [int(p) for p in key[0].split(",")]
            if not 1 <= len(spec) <= 3:
                raise ValueError(f"r_/c_: the directive string must be 'axis[,ndmin[,trans1d]]', got {key[0]!r}")
            axis, ndmin, trans1d = (spec + [ndmin, trans1d][len(spec) - 1 :])[:3]
            key = key[1:]
        parts = []
        for item in key:
            a = _slice_values(item) if isinstance(item, builtins.slice) else jnp.atleast_1d(jnp.asarray(item))
            if jnp.ndim(a) < ndmin:
                a = _promote_1d(a, ndmin, trans1d)
            parts.append(a)
        return jnp.concatenate(parts, axis=axis)


def _promote_1d(a, ndmin, trans1d):
    nd = jnp.ndim(a)
    a = jnp.reshape(a, jnp.shape(a) + (1,) * (ndmin - nd))
    if trans1d != -1:
        perm = list(range(nd, ndmin))
        t = trans1d % ndmin
        order = perm[:t] + list(range(nd)) + perm[t:]
        a = jnp.transpose(a, order)
    return a


r_ = _AxisConcatenator(0, 1, -1)
c_ = _AxisConcatenator(-1, 2, 0)


class _IndexExpression:
    """`s_[...]` / `index_exp[...]`: the index tuple itself."""

    def __init__(self, maketuple: bool) -> None:
        self.maketuple = maketuple

    def __getitem__(self, item):
        return (item,) if self.maketuple and not isinstance(item, tuple) else item


s_ = _IndexExpression(False)
index_exp = _IndexExpression(True)


def tril_indices(n, k=0, m=None):
    """Row and column indices of the lower triangle of an (n, m) array."""
    return tuple(jnp.asarray(i.astype(np.int32)) for i in np.tril_indices(int(n), int(k), None if m is None else int(m)))


def triu_indices(n, k=0, m=None):
    """Row and column indices of the upper triangle of an (n, m) array."""
    return tuple(jnp.asarray(i.astype(np.int32)) for i in np.triu_indices(int(n), int(k), None if m is None else int(m)))


def tril_indices_from(arr, k=0):
    """tril_indices for the shape of a 2-d array."""
    s = jnp.shape(arr)
    if len(s) != 2:
        raise ValueError(f"tril_indices_from: input must be 2-d, got shape {s}")
    return tril_indices(s[0], k, s[1])


def triu_indices_from(arr, k=0):
    """triu_indices for the shape of a 2-d array."""
    s = jnp.shape(arr)
    if len(s) != 2:
        raise ValueError(f"triu_indices_from: input must be 2-d, got shape {s}")
    return triu_indices(s[0], k, s[1])


def diag_indices(n, ndim=2):
    """Indices of the main diagonal of an n x ... x n array."""
    i = jnp.arange(int(n))
    return (i,) * int(ndim)


def diag_indices_from(arr):
    """diag_indices for an array whose dimensions are all equal."""
    s = jnp.shape(arr)
    if len(s) < 2 or len(set(s)) != 1:
        raise ValueError(f"diag_indices_from: input must be at least 2-d with equal dimensions, got shape {s}")
    return diag_indices(s[0], len(s))


def mask_indices(n, mask_func, k=0, *, size=None):
    """Indices where mask_func(ones((n, n)), k) is nonzero."""
    return jnp.nonzero(mask_func(jnp.ones((n, n)), k), size=size)


# --- window functions -----------------------------------------------------------------------------


def _window_n(M):  # noqa: N803
    return int(core.concrete_or_error(M, "window functions need a concrete length M"))


def _window(M, fn):  # noqa: N803
    m = _window_n(M)
    if m <= 1:
        return jnp.ones((builtins.max(m, 0),), dtypes.default_float_dtype())
    n = lax.iota(dtypes.default_float_dtype(), m)
    return fn(n, m)


def bartlett(M):  # noqa: N803
    """The triangular (Bartlett) window of length M."""
    return _window(M, lambda n, m: 1 - jnp.abs(2 * n / (m - 1) - 1))


def hanning(M):  # noqa: N803
    """The Hann window of length M."""
    return _window(M, lambda n, m: 0.5 - 0.5 * jnp.cos(2 * math.pi * n / (m - 1)))


def hamming(M):  # noqa: N803
    """The Hamming window of length M."""
    return _window(M, lambda n, m: 0.54 - 0.46 * jnp.cos(2 * math.pi * n / (m - 1)))


def blackman(M):  # noqa: N803
    """The Blackman window of length M."""
    return _window(M, lambda n, m: 0.42 - 0.5 * jnp.cos(2 * math.pi * n / (m - 1)) + 0.08 * jnp.cos(4 * math.pi * n / (m - 1)))


def kaiser(M, beta):  # noqa: N803
    """The Kaiser window of length M with shape parameter beta."""
    from jaxnc._src.numpy.elementwise import i0

    def fn(n, m):
        alpha = (m - 1) / 2.0
        return i0(beta * jnp.sqrt(1 - ((n - alpha) / alpha) ** 2)) / i0(jnp.asarray(beta, dtype=get_aval(n).dtype))

    return _window(M, fn)
