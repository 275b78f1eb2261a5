"""Statistics: NaN-ignoring reductions, quantiles/median, average/cov/corrcoef, histograms, bincount, digitize."""

from __future__ import annotations

import builtins
import math

import numpy as np

from jaxnc._src import core, dtypes
from jaxnc._src.core import get_aval
from jaxnc._src.lax import lax
from jaxnc._src.lax import slicing as lax_slicing
from jaxnc._src.numpy import lax_numpy as jnp
from jaxnc._src.numpy import sorting


def _arr(x):
    return x if hasattr(x, "aval") else jnp.asarray(x)


def _isnan(a):
    return jnp.isnan(a) if dtypes.is_inexact(get_aval(a).dtype) else None


def _zero_nans(a, value):
    nan = _isnan(a)
    return a if nan is None else jnp.where(nan, lax._const(a, value), a)


# --- NaN-ignoring reductions ------------------------------------------------------------------------


def nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """sum treating NaNs as zero."""
    return jnp.sum(_zero_nans(_arr(a), 0), axis, dtype, None, keepdims, initial, where)


def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """prod treating NaNs as one."""
    return jnp.prod(_zero_nans(_arr(a), 1), axis, dtype, None, keepdims, initial, where)


def _nan_extreme(a, axis, keepdims, initial, where, reducer, fill):
    a = _arr(a)
    nan = _isnan(a)
    if nan is None:
        return reducer(a, axis, None, keepdims, initial, where)
    out = reducer(jnp.where(nan, lax._const(a, fill), a), axis, None, keepdims, initial, where)
    all_nan = jnp.all(nan, axis=axis, keepdims=keepdims, where=where)
    return jnp.where(all_nan, lax._const(out, np.nan), out)


def nanmax(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    """max ignoring NaNs (NaN only where a slice is all NaN).

    Example:
      >>> import jaxnc.numpy as jnp
      >>> float(jnp.nanmax(jnp.array([1.0, jnp.nan, 3.0])))
      3.0
    """
    return _nan_extreme(a, axis, keepdims, initial, where, jnp.max, -np.inf)


def nanmin(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    """min ignoring NaNs (NaN only where a slice is all NaN)."""
    return _nan_extreme(a, axis, keepdims, initial, where, jnp.min, np.inf)


def _nan_count(a, axis, keepdims, where, dt):
    nan = _isnan(a)
    ok = jnp.ones_like(a, dtype=bool) if nan is None else ~nan
    return jnp.sum(ok, axis=axis, keepdims=keepdims, where=where, dtype=dt)


def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, where=None):
    """mean over the non-NaN entries."""
    a = _arr(a)
    dt = dtypes.canonicalize_dtype(dtype) if dtype is not None else dtypes.to_inexact_dtype(get_aval(a).dtype)
    total = nansum(a, axis, dt, keepdims=keepdims, where=where)
    return jnp.true_divide(total, _nan_count(a, axis, keepdims, where, dt))


def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, where=None, correction=None):
    """var over the non-NaN entries."""
    ddof = correction if correction is not None else ddof
    a = _arr(a)
    dt = dtypes.canonicalize_dtype(dtype) if dtype is not None else dtypes.to_inexact_dtype(get_aval(a).dtype)
    a = jnp.astype(a, dt)
    # NB: only NaN entries are masked, so an infinite entry makes the variance NaN as in JAX
    centered = jnp.where(jnp.isnan(a), 0, jnp.subtract(a, nanmean(a, axis, keepdims=True, where=where)))
    sq = jnp.real(centered * jnp.conj(centered)) if dtypes.is_complex(dt) else centered * centered
    total = jnp.sum(sq, axis, keepdims=keepdims, where=where)
    n = _nan_count(a, axis, keepdims, where, get_aval(total).dtype) - ddof
    return jnp._nan_unless_positive(n, jnp.true_divide(total, n))


def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, where=None, correction=None):
    """std over the non-NaN entries."""
    return jnp.sqrt(nanvar(a, axis, dtype, None, ddof, keepdims, where, correction))


def _nan_arg(a, axis, keepdims, fn, fill):
    a = _arr(a)
    nan = _isnan(a)
    if nan is None:
        return fn(a, axis, keepdims=keepdims)
    res = fn(jnp.where(nan, lax._const(a, fill), a), axis, keepdims=keepdims)
    return jnp.where(jnp.all(nan, axis=axis, keepdims=keepdims), -1, res)


def nanargmax(a, axis=None, out=None, keepdims=False):
    """argmax ignoring NaNs; -1 where a slice is all NaN (JAX's choice; NumPy raises)."""
    return _nan_arg(a, axis, keepdims, jnp.argmax, -np.inf)


def nanargmin(a, axis=None, out=None, keepdims=False):
    """argmin ignoring NaNs; -1 where a slice is all NaN (JAX's choice; NumPy raises)."""
    return _nan_arg(a, axis, keepdims, jnp.argmin, np.inf)


def nancumsum(a, axis=None, dtype=None, out=None):
    """cumsum treating NaNs as zero."""
    return jnp.cumsum(_zero_nans(_arr(a), 0), axis, dtype)


def nancumprod(a, axis=None, dtype=None, out=None):
    """cumprod treating NaNs as one."""
    return jnp.cumprod(_zero_nans(_arr(a), 1), axis, dtype)


def ptp(a, axis=None, out=None, keepdims=False):
    """Range (max - min) along an axis."""
    return jnp.subtract(jnp.max(a, axis, keepdims=keepdims), jnp.min(a, axis, keepdims=keepdims))


def average(a, axis=None, weights=None, returned=False, keepdims=False):
    """Weighted mean; with returned=True also the sum of weights.

    Example:
      >>> import jaxnc.numpy as jnp
      >>> float(jnp.average(jnp.array([1.0, 3.0]), weights=jnp.array([3.0, 1.0])))
      1.5
    """
    a = _arr(a)
    if weights is None:
        avg = jnp.mean(a, axis, keepdims=keepdims)
        axes = jnp._canonical_axes(axis, jnp.ndim(a), "average")
        wsum = jnp.full_like(avg, math.prod(jnp.shape(a)[i] for i in axes))
    else:
        w = _arr(weights)
        a, w = jnp.promote_dtypes_inexact(a, w)
        if jnp.shape(w) != jnp.shape(a):
            if axis is None:
                raise ValueError(f"average: axis must be given when weights shape {jnp.shape(w)} differs from a's "
                                 f"{jnp.shape(a)}")  # fmt: skip
            (ax,) = jnp._canonical_axes(axis, jnp.ndim(a), "average")
            if jnp.shape(w) != (jnp.shape(a)[ax],):
                raise ValueError(f"average: 1-d weights must have the length of axis {ax} ({jnp.shape(a)[ax]}), got "
                                 f"shape {jnp.shape(w)}")  # fmt: skip
            w = jnp.reshape(w, [jnp.shape(a)[ax] if i == ax else 1 for i in range(jnp.ndim(a))])
        w = jnp.broadcast_to(w, jnp.shape(a))
        wsum = jnp.sum(w, axis, keepdims=keepdims)
        avg = jnp.true_divide(jnp.sum(a * w, axis, keepdims=keepdims), wsum)
    return (avg, jnp.broadcast_to(wsum, jnp.shape(avg))) if returned else avg


def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None):
    """Covariance matrix of the variables in the rows (rowvar=True) or columns of m (and y)."""
    x = jnp.atleast_2d(_arr(m))
    if jnp.ndim(x) > 2:
        raise ValueError(f"cov: m has more than 2 dimensions (shape {jnp.shape(x)})")
    if not rowvar and jnp.shape(x)[0] != 1:
        x = x.T
    if y is not None:
        yy = jnp.atleast_2d(_arr(y))
        if not rowvar and jnp.shape(yy)[0] != 1:
            yy = yy.T
        x = jnp.concatenate([x, yy], axis=0)
    (x,) = jnp.promote_dtypes_inexact(x)
    if ddof is None:
        ddof = 0 if bias else 1
    n = jnp.shape(x)[1]
    w = None
    if fweights is not None:
        w = jnp.astype(_arr(fweights), get_aval(x).dtype)
    if aweights is not None:
        aw = jnp.astype(_arr(aweights), get_aval(x).dtype)
        w = aw if w is None else w * aw
    avg, w_sum = average(x, axis=1, weights=w, returned=True)
    w_sum = w_sum[0]
    if w is None:
        fact = n - ddof
    elif ddof == 0:
        fact = w_sum
    elif aweights is None:
        fact = w_sum - ddof
    else:
        fact = w_sum - ddof * jnp.sum(w * aw) / w_sum
    xc = x - avg[:, None]
    xw = xc if w is None else xc * w
    c = jnp.matmul(xw, jnp.conj(xc).T) / fact
    return jnp.squeeze(c)


def corrcoef(x, y=None, rowvar=True):
    """Pearson correlation coefficients (values clipped to [-1, 1] for real input)."""
    c = cov(x, y, rowvar)
    if jnp.ndim(c) == 0:
        return c / c
    d = jnp.diag(c)
    stddev = jnp.sqrt(jnp.real(d))
    c = c / stddev[:, None] / stddev[None, :]
    return jnp.clip(c, -1, 1) if not dtypes.is_complex(get_aval(c).dtype) else c


# --- quantiles --------------------------------------------------------------------------------------

_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(a, q, axis, method, keepdims, ignore_nan, name):
    if method not in _METHODS:
        raise ValueError(f"{name}: method must be one of {_METHODS}, got {method!r}")
    a = _arr(a)
    (a,) = jnp.promote_dtypes_inexact(a)
    q = jnp.asarray(q, dtype=get_aval(a).dtype) if not hasattr(q, "aval") else jnp.astype(q, get_aval(a).dtype)
    if jnp.ndim(q) > 1:
        raise ValueError(f"{name}: q must be a scalar or 1-d, got shape {jnp.shape(q)}")
    nd = jnp.ndim(a)
    axes = jnp._canonical_axes(axis, nd, name)
    keep_shape = [1 if i in axes else d for i, d in enumerate(jnp.shape(a))]
    rest = [i for i in range(nd) if i not in axes]
    a = jnp.transpose(a, (*rest, *axes))
    a = jnp.reshape(a, (*[jnp.shape(a)[i] for i in range(len(rest))], -1))
    n = jnp.shape(a)[-1]
    s = sorting.sort(a, axis=-1)  # NaNs last
    nan = jnp.isnan(s)
    if ignore_nan:
        count = jnp.sum(~nan, axis=-1, keepdims=True)
    else:
        count = jnp.full(jnp.shape(s)[:-1] + (1,), n, dtypes.default_int_dtype())
    last = jnp.astype(jnp.maximum(count - 1, 0), get_aval(s).dtype)
    qs = jnp.reshape(q, (-1,) + (1,) * jnp.ndim(s))  # (nq, ..., 1)
    pos = qs * last
    lo = jnp.floor(pos)
    hi = jnp.ceil(pos)
    if method == "lower":
        pos = lo
    elif method == "higher":
        pos = hi
    elif method == "nearest":
        pos = jnp.round(pos)  # half to even, as NumPy
    bshape = (jnp.shape(qs)[0], *jnp.shape(s))

    def at(p):
        i = jnp.astype(jnp.clip(p, 0, n - 1), np.int32)
        return jnp.take_along_axis(jnp.broadcast_to(s, bshape), jnp.broadcast_to(i, bshape[:-1] + (1,)), axis=-1)

    if method == "linear":
        vlo, vhi = at(lo), at(hi)
        frac = pos - lo
        out = vlo + (vhi - vlo) * frac
        out = jnp.where(jnp.equal(lo, hi), vlo, out)
    elif method == "midpoint":
        out = (at(lo) + at(hi)) * lax._const(s, 0.5)
    else:
        out = at(pos)
    out = out[..., 0]
    any_nan = jnp.equal(count, 0)[..., 0] if ignore_nan else jnp.any(nan, axis=-1)
    out = jnp.where(any_nan, lax._const(out, np.nan), out)
    if keepdims:
        out = jnp.reshape(out, (jnp.shape(out)[0], *keep_shape))
    return out if jnp.ndim(q) else out[0]


def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, *, interpolation=None):
    """The q-th quantiles (q in [0, 1]) along axis; NaN where a slice holds a NaN.

    Args:
      a: input array.
      q: a scalar or 1-d array of quantiles; a 1-d q adds a leading output axis.
      axis: int, tuple of ints or None (all axes).
      method: 'linear' (default), 'lower', 'higher', 'midpoint' or 'nearest'.
      keepdims: keep reduced axes with size 1.

    Returns:
      The quantiles.

    Example:
      >>> import jaxnc.numpy as jnp
      >>> float(jnp.quantile(jnp.array([1.0, 2.0, 3.0, 4.0]), 0.5))
      2.5
    """
    return _quantile(a, q, axis, interpolation or method, keepdims, False, "quantile")


def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, *, interpolation=None):
    """The q-th percentiles (q in [0, 100]) along axis."""
    return quantile(a, jnp.true_divide(q, 100), axis, method=interpolation or method, keepdims=keepdims)


def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """The median along axis (the 0.5 quantile, linear interpolation)."""
    return quantile(a, 0.5, axis, keepdims=keepdims)


def nanquantile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, *,
                interpolation=None):  # fmt: skip
    """quantile ignoring NaNs."""
    return _quantile(a, q, axis, interpolation or method, keepdims, True, "nanquantile")


def nanpercentile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, *,
                  interpolation=None):  # fmt: skip
    """percentile ignoring NaNs."""
    return nanquantile(a, jnp.true_divide(q, 100), axis, method=interpolation or method, keepdims=keepdims)


def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """median ignoring NaNs."""
    return nanquantile(a, 0.5, axis, keepdims=keepdims)


# --- counting and histograms ------------------------------------------------------------------------


def _add_at(length: int, dtype, idx, w):
    """zeros(length).at[idx].add(w, mode="drop") for in-range-or-dropped non-negative idx, as one scatter_add
    (without .at[]'s negative-index normalisation, which costs a gather and a select per element)."""
    dnums = lax_slicing.ScatterDimensionNumbers(update_window_dims=(), inserted_window_dims=(0,),
                                                scatter_dims_to_operand_dims=(0,))  # fmt: skip
    return lax_slicing.scatter_add(lax.full((length,), 0, dtype), lax.expand_dims(idx, (jnp.ndim(idx),)), w, dnums,
                                   mode="drop")  # fmt: skip


def bincount(x, weights=None, minlength=0, *, length=None):
    """Counts (or summed weights) of each non-negative integer in x; `length` makes the shape static.

    Negative values count towards bin 0 and values >= length are dropped (JAX's rules).

    Example:
      >>> import jaxnc.numpy as jnp
      >>> jnp.bincount(jnp.array([0, 1, 1, 3])).tolist()
      [1, 2, 0, 1]
    """
    x = _arr(x)
    if not dtypes.is_integer(get_aval(x).dtype):
        raise TypeError(f"bincount: x must be an integer array, got dtype {get_aval(x).dtype}")
    if jnp.ndim(x) != 1:
        raise ValueError(f"bincount: x must be 1-dimensional, got shape {jnp.shape(x)}")
    if length is None:
        v = core.concrete_or_error(x, "jnp.bincount needs a concrete x or a static length=")
        length = builtins.max(int(minlength), int(v.max()) + 1 if v.size else 0)
    else:
        length = builtins.max(int(core.concrete_or_error(length, "bincount length must be static")), int(minlength))
    if weights is None:
        w = jnp.ones(jnp.shape(x), dtypes.default_int_dtype())
    else:
        w = jnp.broadcast_to(_arr(weights), jnp.shape(x))
    return _add_at(length, get_aval(w).dtype, jnp.clip(x, 0), w)


def digitize(x, bins, right=False, *, method=None):
    """Indices of the bins each x falls in (bins monotonically increasing or decreasing)."""
    x, bins = _arr(x), _arr(bins)
    if jnp.ndim(bins) != 1:
        raise ValueError(f"digitize: bins must be 1-dimensional, got shape {jnp.shape(bins)}")
    if jnp.shape(bins)[0] == 0:
        return jnp.zeros(jnp.shape(x), np.int32)
    side = "left" if right else "right"
    kw = {} if method is None else {"method": method}
    up = sorting.searchsorted(bins, x, side=side, **kw)
    down = jnp.shape(bins)[0] - sorting.searchsorted(bins[::-1], x, side=side, **kw)
    return jnp.where(bins[-1] >= bins[0], up, down)


def histogram_bin_edges(a, bins=10, range=None, weights=None):  # noqa: A002
    """The bin edges histogram would use: `bins` equal-width bins over range (default: min..max)."""
    if isinstance(bins, str):
        raise NotImplementedError(f"histogram: string bin estimators ({bins!r}) are not supported; pass an int or edges")
    if np.ndim(bins) == 1 or (hasattr(bins, "aval") and jnp.ndim(bins) == 1):
        return _arr(bins)
    a = jnp.ravel(_arr(a))
    (a,) = jnp.promote_dtypes_inexact(a)
    if range is None:
        lo, hi = jnp.min(a), jnp.max(a)
    else:
        lo, hi = (jnp.asarray(r, dtype=get_aval(a).dtype) for r in range)
    equal = jnp.equal(lo, hi)
    lo = jnp.where(equal, lo - 0.5, lo)
    hi = jnp.where(equal, hi + 0.5, hi)
    return jnp.linspace(lo, hi, int(bins) + 1)


def _equal_width_bin(a, edges):
    """searchsorted(edges, a, 'right') with the last edge inclusive (0 below, len(edges) above or NaN), for
    equal-width edges: the bin from (a - lo) / width, then corrected by one against the edges themselves
    where rounding put it off by one (NumPy's method; a binary search would take log2(bins) gathers)."""
    (a,) = jnp.promote_dtypes(a, edges)[:1]
    n = jnp.shape(edges)[0] - 1
    lo, hi = edges[0], edges[-1]
    inside = jnp.logical_and(jnp.greater_equal(a, lo), jnp.less_equal(a, hi))  # False for NaN
    scaled = jnp.where(inside, (a - lo) * (n / (hi - lo)), 0)
    b = lax.convert_element_type(jnp.clip(jnp.floor(scaled), 0, n - 1), np.int32)
    b = b - lax.convert_element_type(jnp.less(a, sorting.take_clipped(edges, b)), np.int32)
    up = jnp.logical_and(jnp.greater_equal(a, sorting.take_clipped(edges, b + 1)), jnp.not_equal(b, n - 1))
    b = b + lax.convert_element_type(up, np.int32)
    return jnp.where(inside, b + 1, 0)


def histogram(a, bins=10, range=None, weights=None, density=None):  # noqa: A002
    """Counts (or summed weights) per bin, and the bin edges; the last bin includes its right edge.

    Example:
      >>> import jaxnc.numpy as jnp
      >>> counts, edges = jnp.histogram(jnp.array([0.0, 0.5, 1.0, 1.0]), bins=2)
      >>> counts.tolist(), edges.tolist()
      ([1.0, 3.0], [0.0, 0.5, 1.0])
    """
    a = jnp.ravel(_arr(a))
    edges = histogram_bin_edges(a, bins, range, weights)
    w = jnp.ones(jnp.shape(a), dtypes.to_inexact_dtype(get_aval(a).dtype)) if weights is None else jnp.ravel(_arr(weights))
    nb = jnp.shape(edges)[0]
    if np.ndim(bins) == 0 and not hasattr(bins, "aval") and nb > 1:
        idx = _equal_width_bin(a, edges)
    else:
        idx = sorting.searchsorted(edges, a, side="right")
        idx = jnp.where(jnp.equal(a, edges[-1]), nb - 1, idx)
    counts = _add_at(nb + 1, get_aval(w).dtype, idx, w)[1:-1]
    if density:
        widths = edges[1:] - edges[:-1]
        counts = counts / widths / jnp.sum(counts)
    return counts, edges


def histogramdd(sample, bins=10, range=None, weights=None, density=None):  # noqa: A002
    """Multidimensional histogram of an (N, D) sample: counts of shape (bins,)*D and D edge arrays."""
    sample = _arr(sample)
    if jnp.ndim(sample) == 1:
        sample = sample[:, None]
    n, d = jnp.shape(sample)
    bins_list = [bins] * d if np.ndim(bins) == 0 else list(bins)
    if len(bins_list) != d:
        raise ValueError(f"histogramdd: {len(bins_list)} bin specs for {d}-dimensional samples")
    ranges = [None] * d if range is None else list(range)
    edges, flat, sizes = [], None, []
    for i in builtins.range(d):
        e = histogram_bin_edges(sample[:, i], bins_list[i], ranges[i])
        nb = jnp.shape(e)[0]
        idx = sorting.searchsorted(e, sample[:, i], side="right")
        idx = jnp.where(jnp.equal(sample[:, i], e[-1]), nb - 1, idx)
        edges.append(e)
        sizes.append(nb + 1)
        flat = idx if flat is None else flat * (nb + 1) + idx
    w = jnp.ones((n,), dtypes.to_inexact_dtype(get_aval(sample).dtype)) if weights is None else _arr(weights)
    counts = _add_at(math.prod(sizes), get_aval(w).dtype, flat, w)
    counts = jnp.reshape(counts, sizes)[tuple(builtins.slice(1, -1) for _ in builtins.range(d))]
    if density:
        counts = counts / jnp.sum(counts)
        for i, e in enumerate(edges):
            shape = [1] * d
            shape[i] = -1
            counts = counts / jnp.reshape(e[1:] - e[:-1], shape)
    return counts, edges


def histogram2d(x, y, bins=10, range=None, weights=None, density=None):  # noqa: A002
    """2-d histogram of points (x, y): counts and the x and y edges."""
    counts, edges = histogramdd(jnp.stack([_arr(x), _arr(y)], axis=1), bins, range, weights, density)
    return counts, edges[0], edges[1]
