"""Windowed reductions (XLA's ReduceWindow) for sum, max and min, with padding, strides and dilations.

The NumPy impl reduces a strided window view of the (base-dilated, padded) operand. The sum is
linear and transposes to a padded, base-strided window sum (JAX's rule). The tangent of max/min is
the tangent at each window's (first) extremum, taken from window "patches" built with pad and
strided slices, so it transposes and batches through those primitives' own rules.
"""

from __future__ import annotations

import builtins
import itertools

import numpy as np
from numpy.lib.stride_tricks import as_strided

from jaxnc._src import core, dtypes
from jaxnc._src.core import Primitive, Zero, get_aval
from jaxnc._src.interpreters import ad
from jaxnc._src.interpreters.batching import moveaxis
from jaxnc._src.lax import lax
from jaxnc._src.lax.convolution import _conv_vjp_lhs_padding, _dilate_shape, padtype_to_pads
from jaxnc._src.lax.reductions import _identity, monoid_kind


def _out_shape(shape, window_dimensions, window_strides, padding, base_dilation, window_dilation):
    padded = [d + lo + hi for d, (lo, hi) in zip(_dilate_shape(shape, base_dilation), padding, strict=True)]
    eff = _dilate_shape(window_dimensions, window_dilation)
    return tuple(
        builtins.max(0, (p - e) // s + 1) if p >= e else 0 for p, e, s in zip(padded, eff, window_strides, strict=True)
    )


def _window_view(x, init, window_dimensions, window_strides, padding, base_dilation, window_dilation):
    """A read-only (out..., window...) view of `x` dilated and padded with `init` (negative pads crop)."""
    if any(b > 1 for b in base_dilation):
        big = np.full(_dilate_shape(x.shape, base_dilation), init, x.dtype)
        big[tuple(builtins.slice(None, None, b) for b in base_dilation)] = x
        x = big
    x = np.pad(x, [(builtins.max(lo, 0), builtins.max(hi, 0)) for lo, hi in padding], constant_values=init)
    x = np.ascontiguousarray(x[tuple(builtins.slice(builtins.max(-lo, 0), n - builtins.max(-hi, 0))
                                     for (lo, hi), n in zip(padding, x.shape, strict=True))])  # fmt: skip
    out = _out_shape(x.shape, window_dimensions, window_strides, [(0, 0)] * x.ndim, [1] * x.ndim, window_dilation)
    strides = (*(s * st for s, st in zip(x.strides, window_strides, strict=True)),
               *(s * d for s, d in zip(x.strides, window_dilation, strict=True)))  # fmt: skip
    return as_strided(x, (*out, *window_dimensions), strides, writeable=False)


def _reduce_window_prim(kind: str, np_reduce) -> Primitive:
    p = Primitive(f"reduce_window_{kind}")

    def impl(x, *, window_dimensions, window_strides, padding, base_dilation, window_dilation):
        work = np.float32 if x.dtype in (dtypes.bfloat16, dtypes.float16) else x.dtype
        xw = x.astype(work, copy=False)
        view = _window_view(xw, _identity(kind, np.dtype(work)), window_dimensions, window_strides, padding,
                            base_dilation, window_dilation)  # fmt: skip
        axes = tuple(range(x.ndim, 2 * x.ndim))
        if view.size == 0:
            return np.full(view.shape[: x.ndim], _identity(kind, x.dtype), x.dtype)
        return np.asarray(np_reduce(view, axis=axes)).astype(x.dtype, copy=False)

    p.def_impl(impl)

    def abstract_eval(x, *, window_dimensions, window_strides, padding, base_dilation, window_dilation):
        for name, v in (("window_dimensions", window_dimensions), ("window_strides", window_strides),
                        ("padding", padding), ("base_dilation", base_dilation), ("window_dilation", window_dilation)):  # fmt: skip
            if len(v) != x.ndim:
                raise TypeError(f"reduce_window_{kind}: {name} {v} must have one entry per operand dimension "
                                f"(shape {x.shape})")  # fmt: skip
        if any(v < 1 for v in (*window_strides, *base_dilation, *window_dilation)) or any(
            w < 0 for w in window_dimensions
        ):
            raise TypeError(f"reduce_window_{kind}: window_dimensions must be non-negative and strides/dilations positive, "
                            f"got {window_dimensions}, {window_strides}, {base_dilation}, {window_dilation}")  # fmt: skip
        if kind == "sum" and dtypes.is_bool(x.dtype):
            raise TypeError("reduce_window_sum does not accept boolean operands")
        shape = _out_shape(x.shape, window_dimensions, window_strides, padding, base_dilation, window_dilation)
        return core.ShapedArray(shape, x.dtype, x.weak_type)

    p.def_abstract_eval(abstract_eval)

    def batch(size, vals, dims, *, window_dimensions, window_strides, padding, base_dilation, window_dilation):
        x = moveaxis(vals[0], dims[0], 0)
        return p.bind(x, window_dimensions=(1, *window_dimensions), window_strides=(1, *window_strides),
                      padding=((0, 0), *padding), base_dilation=(1, *base_dilation),
                      window_dilation=(1, *window_dilation)), 0  # fmt: skip

    p.def_batch(batch)
    return p


reduce_window_sum_p = _reduce_window_prim("sum", np.sum)


def _reduce_window_sum_transpose(ct, x, *, window_dimensions, window_strides, padding, base_dilation, window_dilation):
    if type(ct) is Zero:
        return [None]
    in_shape = x.aval.shape
    pads = _conv_vjp_lhs_padding(in_shape, window_dimensions, window_strides, get_aval(ct).shape, padding,
                                 base_dilation, window_dilation)  # fmt: skip
    cfg = [(lo, hi, s - 1) for (lo, hi), s in zip(pads, window_strides, strict=True)]
    padded = lax.pad(ct, lax._const(ct, 0), cfg)
    out = reduce_window_sum_p.bind(padded, window_dimensions=window_dimensions, window_strides=base_dilation,
                                   padding=((0, 0),) * len(in_shape), base_dilation=(1,) * len(in_shape),
                                   window_dilation=window_dilation)  # fmt: skip
    return [out]


ad.deflinear(reduce_window_sum_p, _reduce_window_sum_transpose)


def _patches(x, pad_value, window_dimensions, window_strides, padding, base_dilation, window_dilation):
    """Every window position's operand values, stacked on a new last axis (pad + strided slices)."""
    cfg = [(lo, hi, b - 1) for (lo, hi), b in zip(padding, base_dilation, strict=True)]
    xp = lax.pad(x, pad_value, cfg)
    out = _out_shape(get_aval(x).shape, window_dimensions, window_strides, padding, base_dilation, window_dilation)
    parts = []
    for offs in itertools.product(*(range(w) for w in window_dimensions)):
        start = [o * d for o, d in zip(offs, window_dilation, strict=True)]
        limit = [s + (n - 1) * st + 1 if n else s for s, n, st in zip(start, out, window_strides, strict=True)]
        parts.append(lax.expand_dims(lax.slice(xp, start, limit, window_strides), (len(out),)))
    return lax.concatenate(parts, len(out))


def _chooser_jvp(prim: Primitive, kind: str):
    def rule(primals, tangents, **params):
        (x,), (t,) = primals, tangents
        ans = prim.bind(x, **params)
        xa = get_aval(x)
        patches = _patches(x, _identity(kind, xa.dtype), **params)
        t_patches = _patches(t, lax._const(t, 0), **params)
        last = get_aval(patches).ndim - 1
        if get_aval(patches).shape[last] == 0:
            return ans, lax.full(get_aval(ans).shape, 0, get_aval(t).dtype)
        pick = (lax.argmax if kind == "max" else lax.argmin)(patches, last, dtypes.int32)
        iota = lax.broadcasted_iota(dtypes.int32, get_aval(patches).shape, last)
        onehot = lax.eq(iota, lax.broadcast_in_dim(pick, get_aval(patches).shape, tuple(range(last))))
        masked = lax.select(onehot, t_patches, lax.full_like(t_patches, 0))
        return ans, lax.reduce_sum(masked, (last,))

    prim.def_jvp(rule)


reduce_window_max_p = _reduce_window_prim("max", np.max)
_chooser_jvp(reduce_window_max_p, "max")
reduce_window_min_p = _reduce_window_prim("min", np.min)
_chooser_jvp(reduce_window_min_p, "min")


# --- wrappers ------------------------------------------------------------------------------------


def _canonical(operand, window_dimensions, window_strides, padding, base_dilation, window_dilation):
    nd = get_aval(operand).ndim

    def ints(v, name, default=1):
        v = (default,) * nd if v is None else tuple(int(i) for i in v)
        if len(v) != nd:
            raise ValueError(f"reduce_window {name} {v} must have one entry per operand dimension ({nd})")
        return v

    window_dimensions = ints(window_dimensions, "window_dimensions")
    window_strides = ints(window_strides, "window_strides")
    base_dilation = ints(base_dilation, "base_dilation")
    window_dilation = ints(window_dilation, "window_dilation")
    if isinstance(padding, str):
        padding = padtype_to_pads(_dilate_shape(get_aval(operand).shape, base_dilation),
                                  _dilate_shape(window_dimensions, window_dilation), window_strides, padding)  # fmt: skip
    padding = tuple((int(lo), int(hi)) for lo, hi in padding)
    if len(padding) != nd:
        raise ValueError(f"reduce_window padding {padding} must have one (lo, hi) pair per operand dimension ({nd})")
    return dict(window_dimensions=window_dimensions, window_strides=window_strides, padding=padding,
                base_dilation=base_dilation, window_dilation=window_dilation)  # fmt: skip


def _reducer_kind(computation) -> str | None:
    kind = monoid_kind(computation)
    return kind if kind in ("sum", "max", "min") else None


def reduce_window(operand, init_value, computation, window_dimensions, window_strides, padding, base_dilation=None,
                  window_dilation=None):  # fmt: skip
    """Reduce each window of `operand` with `computation` (add, max or min), as `jax.lax.reduce_window`.

    Padding and base-dilation holes hold `init_value`, which also seeds each window, as in XLA.

    Args:
      operand: the array to reduce.
      init_value: a scalar: the padding value and the reduction's starting value.
      computation: `lax.add`, `lax.max` or `lax.min` (or their jnp/operator equivalents).
      window_dimensions: the window's size per dimension.
      window_strides: the step per dimension.
      padding: 'SAME', 'SAME_LOWER', 'VALID' or (lo, hi) pairs.
      base_dilation: dilation of the operand.
      window_dilation: dilation of the window.

    Returns:
      The reduced array.

    Example:
      >>> import numpy as np
      >>> from jaxnc import lax
      >>> np.asarray(lax.reduce_window(np.arange(5.0), -np.inf, lax.max, (2,), (1,), "VALID")).tolist()
      [1.0, 2.0, 3.0, 4.0]
    """
    kind = _reducer_kind(computation)
    if kind is None:
        raise NotImplementedError(f"reduce_window supports lax.add, lax.max and lax.min as computation, got "
                                  f"{getattr(computation, '__name__', computation)!r}")  # fmt: skip
    params = _canonical(operand, window_dimensions, window_strides, padding, base_dilation, window_dilation)
    dt = get_aval(operand).dtype
    init = init_value
    if not isinstance(init, core.Tracer) and not hasattr(init, "aval"):
        init = np.asarray(init, dt)[()]
        if init == _identity(kind, dt) or (kind == "sum" and init == 0):
            return _prims[kind].bind(operand, **params)
    if kind != "sum":
        # max/min are idempotent: padding with the identity and folding init in afterwards is the same
        out = _prims[kind].bind(operand, **params)
        return (lax.max if kind == "max" else lax.min)(out, lax.full_like(out, init) if not hasattr(init, "aval") else
                                                       lax.broadcast_in_dim(init, get_aval(out).shape, ()))  # fmt: skip
    # a sum with a non-zero init counts it once per window and once per padding/dilation hole
    init_arr = lax.convert_element_type(init, dt) if hasattr(init, "aval") else np.asarray(init, dt)[()]
    cfg = [(lo, hi, b - 1) for (lo, hi), b in zip(params["padding"], params["base_dilation"], strict=True)]
    padded = lax.pad(operand, init_arr, cfg)
    nd = get_aval(operand).ndim
    out = reduce_window_sum_p.bind(padded, window_dimensions=params["window_dimensions"],
                                   window_strides=params["window_strides"], padding=((0, 0),) * nd,
                                   base_dilation=(1,) * nd, window_dilation=params["window_dilation"])  # fmt: skip
    return lax.add(out, lax.full_like(out, init_arr) if not hasattr(init_arr, "aval") else
                   lax.broadcast_in_dim(init_arr, get_aval(out).shape, ()))  # fmt: skip


_prims = {"sum": reduce_window_sum_p, "max": reduce_window_max_p, "min": reduce_window_min_p}


def _wrapper(kind: str):
    def f(operand, window_dimensions, window_strides, padding, base_dilation=None, window_dilation=None):
        params = _canonical(operand, window_dimensions, window_strides, padding, base_dilation, window_dilation)
        return _prims[kind].bind(operand, **params)

    f.__name__ = f"reduce_window_{kind}"
    f.__doc__ = (f"Windowed {kind} (padding holds the {kind}'s identity); arguments as `reduce_window` without "
                 "init_value and computation.")  # fmt: skip
    return f


reduce_window_sum = _wrapper("sum")
reduce_window_max = _wrapper("max")
reduce_window_min = _wrapper("min")


def avg_pool(operand, window_dimensions, window_strides, padding, count_include_pad: bool = True):
    """Average pooling: the window sum divided by the window size, or by the number of non-padding
    elements when `count_include_pad` is False (flax's `avg_pool` convention).

    Args:
      operand: a floating array.
      window_dimensions: the window's size per dimension.
      window_strides: the step per dimension.
      padding: 'SAME', 'VALID' or (lo, hi) pairs.
      count_include_pad: whether padded positions count in the divisor.

    Returns:
      The averaged array.
    """
    params = _canonical(operand, window_dimensions, window_strides, padding, None, None)
    total = reduce_window_sum_p.bind(operand, **params)
    if count_include_pad:
        return lax.div(total, lax.full_like(total, int(np.prod(params["window_dimensions"]))))
    a = get_aval(operand)
    ones = lax.full(a.shape, 1, a.dtype)
    return lax.div(total, reduce_window_sum_p.bind(ones, **params))
