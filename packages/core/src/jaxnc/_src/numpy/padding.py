"""jnp.pad's non-constant modes (edge, reflect, symmetric, wrap, linear_ramp, statistics, callables), axis by axis as NumPy."""

from __future__ import annotations

import numpy as np

from jaxnc._src import dtypes
from jaxnc._src.core import get_aval
from jaxnc._src.lax import lax
from jaxnc._src.numpy import lax_numpy as jnp

MODES = ("constant", "edge", "reflect", "symmetric", "wrap", "linear_ramp", "maximum", "minimum", "mean", "median",
         "empty")  # fmt: skip


def pairs(value, nd: int, name: str) -> np.ndarray:
    """NumPy's broadcasting of pad_width / stat_length / end_values to one (before, after) pair per axis."""
    v = np.asarray(value)
    try:
        return np.broadcast_to(v.reshape(-1, 2) if v.ndim == 2 or (v.ndim == 1 and v.size == 2) else v.reshape(-1, 1),
                               (nd, 2))  # fmt: skip
    except ValueError:
        raise ValueError(f"jnp.pad: {name} must broadcast to shape ({nd}, 2), got {np.shape(value)}") from None


def _slice(x, lo, hi, axis):
    return lax.slice_in_dim(x, lo, hi, axis=axis)


def _reflect_axis(x, axis, lo, hi, method, include_edge):
    """NumPy's _set_reflect_both loop: chunks of whole periods reflected about the current edges."""
    period = jnp.shape(x)[axis]
    eo = 1 if include_edge else 0
    while lo > 0 or hi > 0:
        n = jnp.shape(x)[axis]
        old = n // period * period if include_edge else (n - 1) // (period - 1) * (period - 1)
        parts = []
        if lo > 0:
            k = min(old, lo)
            chunk = lax.rev(_slice(x, 1 - eo, k + 1 - eo, axis), (axis,))
            if method == "odd":
                chunk = lax.sub(lax.mul(lax._const(x, 2), jnp.broadcast_to(_slice(x, 0, 1, axis), jnp.shape(chunk))), chunk)
            parts.append(chunk)
            lo -= k
        parts.append(x)
        if hi > 0:
            k = min(old, hi)
            chunk = lax.rev(_slice(x, n - 1 + eo - k, n - 1 + eo, axis), (axis,))
            if method == "odd":
                chunk = lax.sub(lax.mul(lax._const(x, 2), jnp.broadcast_to(_slice(x, n - 1, n, axis), jnp.shape(chunk))), chunk)
            parts.append(chunk)
            hi -= k
        x = lax.concatenate(parts, axis)
    return x


def _take_axis(x, idx, axis):
    return jnp.take(x, np.asarray(idx, np.int32), axis=axis)


def _stat(x, axis, lo_len, hi_len, fn):
    n = jnp.shape(x)[axis]
    lo_len = n if lo_len is None else max(1, min(int(lo_len), n))
    hi_len = n if hi_len is None else max(1, min(int(hi_len), n))
    left = fn(_slice(x, 0, lo_len, axis), axis)
    right = fn(_slice(x, n - hi_len, n, axis), axis)
    return left, right


def _round_like(v, dt):
    return jnp.astype(jnp.round(v), dt) if dtypes.is_integer(dt) else jnp.astype(v, dt)


def pad_axis(x, axis: int, lo: int, hi: int, mode: str, stat_length=None, end_values=(0, 0), reflect_type="even"):
    """Pad one axis of x by (lo, hi) in a non-constant mode."""
    if lo == 0 and hi == 0:
        return x
    n = jnp.shape(x)[axis]
    dt = get_aval(x).dtype
    if n == 0 and mode not in ("empty", "linear_ramp"):
        raise ValueError(f"jnp.pad: can't extend empty axis {axis} using modes other than 'constant' or 'empty'")
    shape_of = lambda k: tuple(k if i == axis else d for i, d in enumerate(jnp.shape(x)))  # noqa: E731
    if mode == "empty":
        return jnp.pad(x, [(lo, hi) if i == axis else (0, 0) for i in range(jnp.ndim(x))])
    if mode == "edge":
        return lax.concatenate([jnp.broadcast_to(_slice(x, 0, 1, axis), shape_of(lo)), x,
                                jnp.broadcast_to(_slice(x, n - 1, n, axis), shape_of(hi))], axis)  # fmt: skip
    if mode == "wrap":
        return _take_axis(x, np.arange(-lo, n + hi) % n, axis)
    if mode in ("reflect", "symmetric"):
        if mode == "reflect" and n == 1:
            return pad_axis(x, axis, lo, hi, "edge")
        return _reflect_axis(x, axis, lo, hi, reflect_type, mode == "symmetric")
    if mode == "linear_ramp":
        ev_lo, ev_hi = end_values
        work = dtypes.to_inexact_dtype(dt)
        edge_lo = jnp.astype(_slice(x, 0, 1, axis), work)
        edge_hi = jnp.astype(_slice(x, n - 1, n, axis), work)
        t_lo = np.arange(lo, dtype=np.float64) / max(lo, 1)
        t_hi = np.arange(hi - 1, -1, -1, dtype=np.float64) / max(hi, 1)
        bshape = [1] * jnp.ndim(x)
        bshape[axis] = -1
        ramp_lo = ev_lo + (edge_lo - ev_lo) * jnp.asarray(t_lo.reshape(bshape), dtype=work)
        ramp_hi = ev_hi + (edge_hi - ev_hi) * jnp.asarray(t_hi.reshape(bshape), dtype=work)
        return lax.concatenate([_round_like(ramp_lo, dt) if lo else _slice(x, 0, 0, axis), x,
                                _round_like(ramp_hi, dt) if hi else _slice(x, 0, 0, axis)], axis)  # fmt: skip
    reducers = {
        "maximum": lambda v, ax: jnp.max(v, axis=ax, keepdims=True),
        "minimum": lambda v, ax: jnp.min(v, axis=ax, keepdims=True),
        "mean": lambda v, ax: _round_like(jnp.mean(v, axis=ax, keepdims=True), dt),
        "median": lambda v, ax: _round_like(_median(v, ax), dt),
    }
    if mode in reducers:
        sl_lo, sl_hi = stat_length if stat_length is not None else (None, None)
        left, right = _stat(x, axis, sl_lo, sl_hi, reducers[mode])
        return lax.concatenate([jnp.broadcast_to(left, shape_of(lo)), x, jnp.broadcast_to(right, shape_of(hi))], axis)
    raise ValueError(f"jnp.pad: unimplemented padding mode {mode!r}; expected one of {MODES} or a callable")


def _median(v, axis):
    from jaxnc._src.numpy.statistics import median

    return median(v, axis=axis, keepdims=True)


def pad_nonconstant(array, pw: np.ndarray, mode, stat_length=None, end_values=0, reflect_type="even", **kwargs):
    """Pad every axis in turn (later axes see earlier axes' padding, as NumPy)."""
    nd = jnp.ndim(array)
    if callable(mode):
        return _pad_callable(array, pw, mode, kwargs)
    if reflect_type not in ("even", "odd"):
        raise ValueError(f"jnp.pad: reflect_type must be 'even' or 'odd', got {reflect_type!r}")
    sl = pairs(stat_length, nd, "stat_length") if stat_length is not None else [None] * nd
    ev = pairs(end_values, nd, "end_values")
    out = array
    for axis, (lo, hi) in enumerate(pw):
        out = pad_axis(out, axis, int(lo), int(hi), mode, None if sl[axis] is None else tuple(sl[axis]),
                       tuple(ev[axis].tolist()), reflect_type)  # fmt: skip
    return out


def _pad_callable(array, pw, func, kwargs):
    """NumPy's callable mode, functionally: func(vector, (lo, hi), axis, kwargs) returns the padded vector."""
    from jaxnc._src.numpy.manipulation import apply_along_axis

    out = jnp.pad(array, [tuple(int(v) for v in p) for p in pw])
    for axis, (lo, hi) in enumerate(pw):
        out = apply_along_axis(lambda v, lo=int(lo), hi=int(hi), axis=axis: func(v, (lo, hi), axis, kwargs), axis, out)
    return out
