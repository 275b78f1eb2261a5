"""Discrete calculus and 1-d signal helpers: diff, gradient, trapezoid, interp, unwrap, convolve, correlate."""

from __future__ import annotations

import math

import numpy as np

from jaxnc._src import dtypes
from jaxnc._src.core import get_aval
from jaxnc._src.lax import convolution, lax
from jaxnc._src.numpy import lax_numpy as jnp
from jaxnc._src.numpy import sorting


def _arr(x):
    return x if hasattr(x, "aval") else jnp.asarray(x)


def diff(a, n=1, axis=-1, prepend=None, append=None):
    """n-th discrete difference along axis (boolean input: not_equal, as NumPy).

    Example:
      >>> import jaxnc.numpy as jnp
      >>> jnp.diff(jnp.array([1, 4, 9, 16]), n=2).tolist()
      [2, 2]
    """
    a = _arr(a)
    if n < 0:
        raise ValueError(f"diff: order must be non-negative, got n={n}")
    if n == 0:
        return a
    if jnp.ndim(a) == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    (axis,) = jnp._canonical_axes(axis, jnp.ndim(a), "diff")
    if prepend is not None or append is not None:
        parts = ([_bcast(prepend, a, axis)] if prepend is not None else []) + [a] + \
                ([_bcast(append, a, axis)] if append is not None else [])  # fmt: skip
        a = jnp.concatenate(parts, axis)
    for _ in range(n):
        m = jnp.shape(a)[axis]
        hi, lo = lax.slice_in_dim(a, 1, m, axis=axis), lax.slice_in_dim(a, 0, m - 1, axis=axis)
        a = jnp.not_equal(hi, lo) if get_aval(a).dtype == np.bool_ else jnp.subtract(hi, lo)
    return a


def _bcast(extra, a, axis):
    e = _arr(extra)
    if jnp.ndim(e) == 0:
        shape = list(jnp.shape(a))
        shape[axis] = 1
        e = jnp.broadcast_to(e, shape)
    return e


def ediff1d(ary, to_end=None, to_begin=None):
    """Differences between consecutive elements of the flattened array, with optional ends."""
    d = diff(jnp.ravel(_arr(ary)))
    parts = []
    if to_begin is not None:
        parts.append(jnp.ravel(jnp.astype(_arr(to_begin), get_aval(d).dtype)))
    parts.append(d)
    if to_end is not None:
        parts.append(jnp.ravel(jnp.astype(_arr(to_end), get_aval(d).dtype)))
    return jnp.concatenate(parts) if len(parts) > 1 else d


def gradient(f, *varargs, axis=None, edge_order=None):
    """Gradient by second-order central differences inside and first-order differences at the edges.

    Args:
      f: the sampled function.
      *varargs: spacing: none (1), one scalar for all axes, or one scalar or coordinate array per axis.
      axis: axes to differentiate along (default all).
      edge_order: only 1 is supported (as JAX).

    Returns:
      One array per axis (a single array for one axis).

    Example:
      >>> import jaxnc.numpy as jnp
      >>> jnp.gradient(jnp.array([1.0, 2.0, 4.0, 7.0])).tolist()
      [1.0, 1.5, 2.5, 3.0]
    """
    if edge_order is not None and edge_order != 1:
        raise NotImplementedError(f"gradient: only edge_order=1 is implemented (as JAX), got {edge_order}")
    f = _arr(f)
    (f,) = jnp.promote_dtypes_inexact(f)
    axes = jnp._canonical_axes(axis, jnp.ndim(f), "gradient")
    if not varargs:
        spacing = [1.0] * len(axes)
    elif len(varargs) == 1 and np.ndim(varargs[0]) == 0:
        spacing = [varargs[0]] * len(axes)
    elif len(varargs) == len(axes):
        spacing = list(varargs)
    else:
        raise TypeError(f"gradient: expected 0, 1 or {len(axes)} spacing arguments, got {len(varargs)}")
    out = []
    for ax, h in zip(axes, spacing, strict=True):
        n = jnp.shape(f)[ax]
        if n < 2:
            raise ValueError(f"gradient: shape of axis {ax} must be at least 2, got {n}")

        def sl(lo, hi, ax=ax):
            return lax.slice_in_dim(f, lo, hi, axis=ax)

        shape = [1] * jnp.ndim(f)
        shape[ax] = -1
        if np.ndim(h) == 0:
            inner = (sl(2, n) - sl(0, n - 2)) / (2.0 * h)
            first = (sl(1, 2) - sl(0, 1)) / h
            last = (sl(n - 1, n) - sl(n - 2, n - 1)) / h
        else:
            x = jnp.astype(_arr(h), get_aval(f).dtype)
            if jnp.shape(x) != (n,):
                raise ValueError(f"gradient: coordinate array for axis {ax} must have shape ({n},), got {jnp.shape(x)}")
            dx = diff(x)
            d1 = jnp.reshape(dx[:-1], shape)
            d2 = jnp.reshape(dx[1:], shape)
            inner = (-(d2 / (d1 * (d1 + d2))) * sl(0, n - 2) + ((d2 - d1) / (d1 * d2)) * sl(1, n - 1)
                     + (d1 / (d2 * (d1 + d2))) * sl(2, n))  # fmt: skip
            first = (sl(1, 2) - sl(0, 1)) / jnp.reshape(dx[:1], shape)
            last = (sl(n - 1, n) - sl(n - 2, n - 1)) / jnp.reshape(dx[-1:], shape)
        out.append(jnp.concatenate([first, inner, last], ax) if n > 2 else jnp.concatenate([first, last], ax))
    return out[0] if len(out) == 1 else out


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """Integral of y along axis by the trapezoidal rule (samples at x, or spacing dx).

    Example:
      >>> import jaxnc.numpy as jnp
      >>> float(jnp.trapezoid(jnp.array([1.0, 2.0, 3.0])))
      4.0
    """
    y = _arr(y)
    (y,) = jnp.promote_dtypes_inexact(y)
    (axis,) = jnp._canonical_axes(axis, jnp.ndim(y), "trapezoid")
    n = jnp.shape(y)[axis]
    mid = (lax.slice_in_dim(y, 1, n, axis=axis) + lax.slice_in_dim(y, 0, n - 1, axis=axis)) * 0.5
    if x is None:
        return jnp.sum(mid, axis=axis) * dx
    x = _arr(x)
    d = diff(x, axis=axis if jnp.ndim(x) == jnp.ndim(y) else -1)
    if jnp.ndim(x) == 1 and jnp.ndim(y) > 1:
        shape = [1] * jnp.ndim(y)
        shape[axis] = -1
        d = jnp.reshape(d, shape)
    return jnp.sum(mid * d, axis=axis)


def interp(x, xp, fp, left=None, right=None, period=None):
    """Piecewise-linear interpolation of (xp, fp) at x (xp increasing), NumPy's edge rules.

    Example:
      >>> import jaxnc.numpy as jnp
      >>> jnp.interp(jnp.array([0.5, 3.0]), jnp.array([0.0, 1.0, 2.0]), jnp.array([0.0, 10.0, 20.0])).tolist()
      [5.0, 20.0]
    """
    x, xp, fp = _arr(x), _arr(xp), _arr(fp)
    if jnp.ndim(xp) != 1 or jnp.ndim(fp) != 1 or jnp.shape(xp) != jnp.shape(fp):
        raise ValueError(f"interp: xp and fp must be 1-d of equal length, got shapes {jnp.shape(xp)} and {jnp.shape(fp)}")
    (x, xp) = jnp.promote_dtypes_inexact(x, xp)
    (fp,) = jnp.promote_dtypes_inexact(fp)
    if period is not None:
        if left is not None or right is not None:
            raise ValueError("interp: left and right cannot be given together with period")
        period = jnp.abs(jnp.asarray(period, dtype=get_aval(x).dtype))
        x = jnp.remainder(x, period)
        xp = jnp.remainder(xp, period)
        order = sorting.argsort(xp)
        xp, fp = jnp.take(xp, order), jnp.take(fp, order)
        xp = jnp.concatenate([xp[-1:] - period, xp, xp[:1] + period])
        fp = jnp.concatenate([fp[-1:], fp, fp[:1]])
    n = jnp.shape(xp)[0]
    i = jnp.clip(sorting.searchsorted(xp, x, side="right"), 1, n - 1)
    x0, x1 = sorting.take_clipped(xp, i - 1), sorting.take_clipped(xp, i)  # i in [1, n-1]: plain gathers
    f0, f1 = sorting.take_clipped(fp, i - 1), sorting.take_clipped(fp, i)
    dxp = x1 - x0
    zero = jnp.equal(dxp, 0)
    t = (x - x0) / jnp.where(zero, jnp.ones_like(dxp), dxp)
    t = jnp.astype(t, get_aval(f0).dtype) if dtypes.is_complex(get_aval(f0).dtype) else t
    f = jnp.where(zero, f1, f0 + (f1 - f0) * t)
    if period is None:
        lo = fp[0] if left is None else jnp.asarray(left, dtype=get_aval(f).dtype)
        hi = fp[-1] if right is None else jnp.asarray(right, dtype=get_aval(f).dtype)
        f = jnp.where(jnp.less(x, xp[0]), lo, f)
        f = jnp.where(jnp.greater(x, xp[-1]), hi, f)
    return f


def unwrap(p, discont=None, axis=-1, period=2 * math.pi):
    """Unwrap phase angles: remove jumps larger than discont (default period/2) by adding multiples of period."""
    p = _arr(p)
    (p,) = jnp.promote_dtypes_inexact(p)
    (axis,) = jnp._canonical_axes(axis, jnp.ndim(p), "unwrap")
    half = period / 2
    discont = half if discont is None else discont
    dd = diff(p, axis=axis)
    ddmod = jnp.remainder(dd + half, period) - half
    ddmod = jnp.where(jnp.equal(ddmod, -half) & jnp.greater(dd, 0), half, ddmod)
    correction = jnp.where(jnp.less(jnp.abs(dd), discont), 0, ddmod - dd)
    n = jnp.shape(p)[axis]
    first = lax.slice_in_dim(p, 0, 1, axis=axis)
    rest = lax.slice_in_dim(p, 1, n, axis=axis) + jnp.cumsum(correction, axis=axis)
    return jnp.concatenate([first, rest], axis)


def _conv1d(x, y, mode, op, precision, preferred_element_type):
    """JAX's 1-d convolve/correlate through conv_general_dilated (the shorter input is the kernel)."""
    x, y = _arr(x), _arr(y)
    if jnp.ndim(x) != 1 or jnp.ndim(y) != 1:
        raise ValueError(f"{op}() only supports 1-dimensional inputs, got shapes {jnp.shape(x)} and {jnp.shape(y)}")
    if preferred_element_type is None:
        x, y = jnp.promote_dtypes_inexact(x, y)
    if jnp.shape(x)[0] == 0 or jnp.shape(y)[0] == 0:
        raise ValueError(f"{op}: inputs cannot be empty, got shapes {jnp.shape(x)} and {jnp.shape(y)}")
    reverse = False
    if op == "correlate":
        y = jnp.conj(y)
        if jnp.shape(x)[0] < jnp.shape(y)[0]:
            x, y, reverse = y, x, True
    else:
        if jnp.shape(x)[0] < jnp.shape(y)[0]:
            x, y = y, x
        y = jnp.flip(y)
    m = jnp.shape(y)[0]
    pads = {"valid": (0, 0), "same": (m // 2, m - m // 2 - 1), "full": (m - 1, m - 1)}
    if mode not in pads:
        raise ValueError(f"{op}: mode must be 'full', 'same' or 'valid', got {mode!r}")
    out = convolution.conv_general_dilated(x[None, None, :], y[None, None, :], (1,), [pads[mode]], precision=precision,
                                           preferred_element_type=preferred_element_type)[0, 0]  # fmt: skip
    return jnp.flip(out) if reverse else out


def convolve(a, v, mode="full", *, precision=None, preferred_element_type=None):
    """Discrete linear convolution of two 1-d arrays ('full', 'same' or 'valid').

    Example:
      >>> import jaxnc.numpy as jnp
      >>> jnp.convolve(jnp.array([1.0, 2.0, 3.0]), jnp.array([0.0, 1.0, 0.5])).tolist()
      [0.0, 1.0, 2.5, 4.0, 1.5]
    """
    return _conv1d(a, v, mode, "convolve", precision, preferred_element_type)


def correlate(a, v, mode="valid", *, precision=None, preferred_element_type=None):
    """Cross-correlation of two 1-d arrays (v conjugated, as NumPy)."""
    return _conv1d(a, v, mode, "correlate", precision, preferred_element_type)
