"""General dilated convolution (XLA's ConvGeneralDilated) with all of its rules, and conv_transpose.

The NumPy impl lays the (dilated, padded) input out as a strided window view, copies it once into
im2col form and does one matmul per feature group. The transpose rules are JAX's
(`_conv_general_dilated_transpose_lhs/rhs`): each is another convolution with swapped roles.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

from jaxnc._src import core, dtypes
from jaxnc._src.core import Primitive, Zero, get_aval, is_undefined_primal
from jaxnc._src.interpreters import ad
from jaxnc._src.lax import lax


class ConvDimensionNumbers(NamedTuple):
    """Axis positions: lhs (batch, feature, spatial...), rhs (out feature, in feature, spatial...), out as lhs."""

    lhs_spec: tuple[int, ...]
    rhs_spec: tuple[int, ...]
    out_spec: tuple[int, ...]


def conv_dimension_numbers(lhs_shape, rhs_shape, dimension_numbers) -> ConvDimensionNumbers:
    """Canonical `ConvDimensionNumbers` from None, a ConvDimensionNumbers, or string specs like ('NCHW','OIHW','NCHW').

    Args:
      lhs_shape: the input's shape.
      rhs_shape: the kernel's shape.
      dimension_numbers: None (NC..., OI..., NC...), integer specs, or three layout strings.

    Returns:
      A ConvDimensionNumbers of integer axis positions.
    """
    nd = len(lhs_shape)
    if len(rhs_shape) != nd:
        raise TypeError(
            f"convolution requires lhs and rhs ndim to be equal, got {len(lhs_shape)} and {len(rhs_shape)}."
        )
    if dimension_numbers is None:
        iota = tuple(range(nd))
        return ConvDimensionNumbers(iota, iota, iota)
    if isinstance(dimension_numbers, ConvDimensionNumbers) or not isinstance(dimension_numbers[0], str):
        lhs_spec, rhs_spec, out_spec = (tuple(int(i) for i in s) for s in dimension_numbers)
        return ConvDimensionNumbers(lhs_spec, rhs_spec, out_spec)
    lhs_s, rhs_s, out_s = dimension_numbers
    for s in (lhs_s, rhs_s, out_s):
        if len(s) != nd:
            raise TypeError(f"convolution dimension_numbers {dimension_numbers} must each have {nd} letters for "
                            f"operands of shapes {tuple(lhs_shape)} and {tuple(rhs_shape)}")  # fmt: skip
    if set(lhs_s) - set(out_s) or set(out_s) - set(lhs_s):
        raise TypeError(f"convolution lhs spec {lhs_s!r} and out spec {out_s!r} must name the same dimensions")
    # spatial dimensions are ordered as they appear in the rhs spec (JAX's convention)
    spatial = [c for c in rhs_s if c not in "OI"]
    if sorted(spatial) != sorted(c for c in lhs_s if c not in "NC"):
        raise TypeError(f"convolution specs {dimension_numbers} name different spatial dimensions")

    def perm(spec, first, second):
        return (spec.index(first), spec.index(second), *(spec.index(c) for c in spatial))

    return ConvDimensionNumbers(perm(lhs_s, "N", "C"), perm(rhs_s, "O", "I"), perm(out_s, "N", "C"))


def _dilate_shape(shape, dilation):
    return tuple(0 if d == 0 else 1 + r * (d - 1) for d, r in zip(shape, dilation, strict=True))


def padtype_to_pads(in_shape, window_shape, window_strides, padding: str) -> list[tuple[int, int]]:
    """Explicit (lo, hi) pairs for 'SAME', 'SAME_LOWER' or 'VALID' padding."""
    padding = padding.upper()
    if padding == "VALID":
        return [(0, 0)] * len(in_shape)
    if padding not in ("SAME", "SAME_LOWER"):
        raise ValueError(f"Unknown padding type {padding!r}; expected 'SAME', 'SAME_LOWER', 'VALID' or (lo, hi) pairs")
    out = []
    for n, k, s in zip(in_shape, window_shape, window_strides, strict=True):
        total = builtins.max((-(-n // s) - 1) * s + k - n, 0)
        lo, hi = total // 2, total - total // 2
        out.append((hi, lo) if padding == "SAME_LOWER" else (lo, hi))
    return out


# --- the primitive -------------------------------------------------------------------------------

conv_general_dilated_p = Primitive("conv_general_dilated")


def _pad_crop(x: np.ndarray, pads) -> np.ndarray:
    """np.pad over the trailing spatial axes, where a negative pad crops."""
    lead = [(0, 0)] * (x.ndim - len(pads))
    x = np.pad(x, lead + [(builtins.max(lo, 0), builtins.max(hi, 0)) for lo, hi in pads])
    crop = [builtins.slice(None)] * len(lead)
    crop += [
        builtins.slice(builtins.max(-lo, 0), n - builtins.max(-hi, 0))
        for (lo, hi), n in zip(pads, x.shape[len(lead) :], strict=True)
    ]
    return x[tuple(crop)]


@conv_general_dilated_p.def_impl
def _conv_impl(lhs, rhs, *, window_strides, padding, lhs_dilation, rhs_dilation, dimension_numbers,
               feature_group_count, batch_group_count, precision=None, preferred_element_type=None):  # fmt: skip
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    out_dtype = np.dtype(preferred_element_type) if preferred_element_type is not None else lhs.dtype
    work = np.float32 if lhs.dtype in (dtypes.bfloat16, dtypes.float16) else lhs.dtype
    x = np.transpose(lhs, lhs_spec).astype(work, copy=False)  # N C S...
    w = np.transpose(rhs, rhs_spec).astype(work, copy=False)  # O I K...
    groups = feature_group_count
    if batch_group_count > 1:  # a batch group is a feature group whose channels come from a batch block
        b = batch_group_count
        n, c = x.shape[:2]
        x = x.reshape(b, n // b, c, *x.shape[2:]).swapaxes(0, 1).reshape(n // b, b * c, *x.shape[2:])
        groups = b
    if any(d > 1 for d in lhs_dilation):
        big = np.zeros((*x.shape[:2], *_dilate_shape(x.shape[2:], lhs_dilation)), x.dtype)
        big[(builtins.slice(None),) * 2 + tuple(builtins.slice(None, None, d) for d in lhs_dilation)] = x
        x = big
    x = np.ascontiguousarray(_pad_crop(x, padding))
    n, c = x.shape[:2]
    o, k_shape = w.shape[0], w.shape[2:]
    eff = _dilate_shape(k_shape, rhs_dilation)
    out_sp = tuple(builtins.max(0, (s - e) // st + 1) if s >= e else 0
                   for s, e, st in zip(x.shape[2:], eff, window_strides, strict=True))  # fmt: skip
    cg, og = c // groups, o // groups
    if 0 in (n, o, *out_sp) or cg == 0 or 0 in k_shape:
        out = np.zeros((n, o, *out_sp), work)
    else:
        view = as_strided(x, (n, groups, cg, *out_sp, *k_shape),
                          (x.strides[0], cg * x.strides[1], x.strides[1],
                           *(x.strides[2 + i] * st for i, st in enumerate(window_strides)),
                           *(x.strides[2 + i] * r for i, r in enumerate(rhs_dilation))),
                          writeable=False)  # fmt: skip
        nsp = len(out_sp)
        # im2col: (G, N*P, Cg*K) @ (G, Cg*K, Og)
        perm = (1, 0, *range(3, 3 + nsp), 2, *range(3 + nsp, 3 + 2 * nsp))
        cols = view.transpose(perm).reshape(groups, n * math.prod(out_sp), cg * math.prod(k_shape))
        wmat = w.reshape(groups, og, cg * math.prod(k_shape)).transpose(0, 2, 1)
        out = np.matmul(cols, wmat).reshape(groups, n, *out_sp, og)
        out = out.transpose(1, 0, 2 + nsp, *range(2, 2 + nsp)).reshape(n, o, *out_sp)
    return np.transpose(out, np.argsort(out_spec)).astype(out_dtype, copy=False)


@conv_general_dilated_p.def_abstract_eval
def _conv_abstract_eval(lhs, rhs, *, window_strides, padding, lhs_dilation, rhs_dilation, dimension_numbers,
                        feature_group_count, batch_group_count, precision=None, preferred_element_type=None):  # fmt: skip
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    nd, nsp = lhs.ndim, lhs.ndim - 2
    if rhs.ndim != nd or nd < 2:
        raise TypeError(
            f"conv_general_dilated needs lhs and rhs of equal rank >= 2, got shapes {lhs.shape}, {rhs.shape}"
        )
    for name, spec in zip(("lhs", "rhs", "out"), dimension_numbers, strict=True):
        if sorted(spec) != list(range(nd)):
            raise TypeError(f"conv_general_dilated {name}_spec {spec} is not a permutation of range({nd})")
    for name, v in (("window_strides", window_strides), ("lhs_dilation", lhs_dilation), ("rhs_dilation", rhs_dilation),
                    ("padding", padding)):  # fmt: skip
        if len(v) != nsp:
            raise TypeError(f"conv_general_dilated {name} {v} must have one entry per spatial dimension ({nsp})")
    if any(s < 1 for s in (*window_strides, *lhs_dilation, *rhs_dilation)):
        raise TypeError(f"conv_general_dilated strides/dilations must be positive, got window_strides "
                        f"{window_strides}, lhs_dilation {lhs_dilation}, rhs_dilation {rhs_dilation}")  # fmt: skip
    if lhs.dtype != rhs.dtype:
        raise TypeError(
            f"conv_general_dilated requires lhs and rhs of one dtype, got {lhs.dtype.name} and {rhs.dtype.name}"
        )
    if dtypes.is_bool(lhs.dtype):
        raise TypeError("conv_general_dilated does not accept boolean operands")
    if feature_group_count > 1 and batch_group_count > 1:
        raise ValueError(f"conv_general_dilated: at most one of feature_group_count ({feature_group_count}) and "
                         f"batch_group_count ({batch_group_count}) may exceed 1")  # fmt: skip
    n, c = lhs.shape[lhs_spec[0]], lhs.shape[lhs_spec[1]]
    o, i = rhs.shape[rhs_spec[0]], rhs.shape[rhs_spec[1]]
    if c != i * feature_group_count:
        raise TypeError(f"conv_general_dilated lhs feature dimension size ({c}) must equal rhs input feature size "
                        f"({i}) times feature_group_count ({feature_group_count}); lhs shape {lhs.shape}, rhs shape "
                        f"{rhs.shape}")  # fmt: skip
    if o % feature_group_count or o % batch_group_count:
        raise TypeError(
            f"conv_general_dilated rhs output feature size ({o}) must be a multiple of "
            f"feature_group_count ({feature_group_count}) and batch_group_count ({batch_group_count})"
        )
    if n % batch_group_count:
        raise TypeError(f"conv_general_dilated lhs batch size ({n}) must be a multiple of batch_group_count "
                        f"({batch_group_count})")  # fmt: skip
    in_sp = _dilate_shape([lhs.shape[d] for d in lhs_spec[2:]], lhs_dilation)
    k_sp = _dilate_shape([rhs.shape[d] for d in rhs_spec[2:]], rhs_dilation)
    out_sp = []
    for s, (lo, hi), k, st in zip(in_sp, padding, k_sp, window_strides, strict=True):
        p = s + lo + hi
        out_sp.append(builtins.max(0, (p - k) // st + 1) if p >= k else 0)
    std = (n // batch_group_count, o, *out_sp)
    shape = [0] * nd
    for pos, size in zip(out_spec, std, strict=True):
        shape[pos] = size
    dt = np.dtype(preferred_element_type) if preferred_element_type is not None else lhs.dtype
    return core.ShapedArray(shape, dt, lhs.weak_type and rhs.weak_type)


ad.defjvp(
    conv_general_dilated_p,
    lambda t, lhs, rhs, **p: conv_general_dilated_p.bind(t, rhs, **p),
    lambda t, lhs, rhs, **p: conv_general_dilated_p.bind(lhs, t, **p),
)


def _spec_transpose(spec):
    return (spec[1], spec[0], *spec[2:])


def _reshape_axis_into(src: int, dst: int, x):
    """Merge axis `src` into axis `dst` (numbered after removing src), src major."""
    shape = get_aval(x).shape
    perm = [i for i in range(len(shape)) if i != src]
    perm.insert(dst, src)
    new_shape = [s for i, s in enumerate(shape) if i != src]
    new_shape[dst] *= shape[src]
    return lax.reshape(x, new_shape, perm)


def _reshape_axis_out_of(src: int, size1: int, x):
    """Split axis `src` into (size1, rest)."""
    shape = list(get_aval(x).shape)
    shape[src : src + 1] = [size1, shape[src] // size1]
    return lax.reshape(x, shape)


def _conv_vjp_lhs_padding(in_shape, window_dims, window_strides, out_shape, padding, lhs_dilation, rhs_dilation):
    lhs_d = _dilate_shape(in_shape, lhs_dilation)
    rhs_d = _dilate_shape(window_dims, rhs_dilation)
    out_d = _dilate_shape(out_shape, window_strides)
    before = [k - lo - 1 for k, (lo, _) in zip(rhs_d, padding, strict=True)]
    after = [a + k - 1 - o - b for a, k, o, b in zip(lhs_d, rhs_d, out_d, before, strict=True)]
    return tuple(zip(before, after, strict=True))


def _conv_vjp_rhs_padding(in_shape, window_dims, window_strides, out_shape, padding, lhs_dilation, rhs_dilation):
    if not in_shape:
        return ()
    lhs_d = _dilate_shape(in_shape, lhs_dilation)
    rhs_d = _dilate_shape(window_dims, rhs_dilation)
    out_d = _dilate_shape(out_shape, window_strides)
    lo = [p for p, _ in padding]
    hi = [o - a + k - p - 1 for o, a, k, p in zip(out_d, lhs_d, rhs_d, lo, strict=True)]
    return tuple(zip(lo, hi, strict=True))


def _conv_transpose_lhs(ct, lhs_aval, rhs, *, window_strides, padding, lhs_dilation, rhs_dilation,
                        dimension_numbers, feature_group_count, batch_group_count, precision=None,
                        preferred_element_type=None):  # fmt: skip
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    t_rhs_spec = _spec_transpose(rhs_spec)
    if feature_group_count > 1:  # move the group axis into the transposed rhs's output feature dim
        rhs = _reshape_axis_out_of(rhs_spec[0], feature_group_count, rhs)
        rhs = _reshape_axis_into(rhs_spec[0], rhs_spec[1], rhs)
    elif batch_group_count > 1:
        rhs = _reshape_axis_out_of(rhs_spec[0], batch_group_count, rhs)
        rhs = _reshape_axis_into(rhs_spec[0], rhs_spec[1], rhs)
        feature_group_count = batch_group_count
    pads = _conv_vjp_lhs_padding([lhs_aval.shape[d] for d in lhs_spec[2:]], [get_aval(rhs).shape[d] for d in rhs_spec[2:]],
                                 window_strides, [get_aval(ct).shape[d] for d in out_spec[2:]], padding, lhs_dilation,
                                 rhs_dilation)  # fmt: skip
    out = conv_general_dilated_p.bind(
        ct, lax.rev(rhs, rhs_spec[2:]), window_strides=lhs_dilation, padding=pads, lhs_dilation=window_strides,
        rhs_dilation=rhs_dilation, dimension_numbers=ConvDimensionNumbers(out_spec, t_rhs_spec, lhs_spec),
        feature_group_count=feature_group_count, batch_group_count=1, precision=precision,
        preferred_element_type=preferred_element_type)  # fmt: skip
    if batch_group_count > 1:
        out = _reshape_axis_out_of(lhs_spec[1], batch_group_count, out)
        out = _reshape_axis_into(lhs_spec[1], lhs_spec[0], out)
    return out


def _conv_transpose_rhs(ct, lhs, rhs_aval, *, window_strides, padding, lhs_dilation, rhs_dilation,
                        dimension_numbers, feature_group_count, batch_group_count, precision=None,
                        preferred_element_type=None):  # fmt: skip
    if get_aval(ct).size == 0:
        return lax.full(rhs_aval.shape, 0, rhs_aval.dtype)
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    if batch_group_count > 1:
        feature_group_count, batch_group_count = batch_group_count, 1
    elif feature_group_count > 1:
        feature_group_count, batch_group_count = 1, feature_group_count
    dn = ConvDimensionNumbers(_spec_transpose(lhs_spec), _spec_transpose(out_spec), _spec_transpose(rhs_spec))
    pads = _conv_vjp_rhs_padding([get_aval(lhs).shape[d] for d in lhs_spec[2:]], [rhs_aval.shape[d] for d in rhs_spec[2:]],
                                 window_strides, [get_aval(ct).shape[d] for d in out_spec[2:]], padding, lhs_dilation,
                                 rhs_dilation)  # fmt: skip
    return conv_general_dilated_p.bind(
        lhs, ct, window_strides=rhs_dilation, padding=pads, lhs_dilation=lhs_dilation, rhs_dilation=window_strides,
        dimension_numbers=dn, feature_group_count=feature_group_count, batch_group_count=batch_group_count,
        precision=precision, preferred_element_type=preferred_element_type)  # fmt: skip


@conv_general_dilated_p.def_transpose
def _conv_transpose_rule(ct, lhs, rhs, **params):
    if type(ct) is Zero:
        return [None, None]
    if is_undefined_primal(lhs) and is_undefined_primal(rhs):
        raise ValueError("conv_general_dilated is not linear in both operands at once")
    if is_undefined_primal(lhs):
        out = _conv_transpose_lhs(ct, lhs.aval, rhs, **params)
        return [_cast(out, lhs.aval.dtype), None]
    out = _conv_transpose_rhs(ct, lhs, rhs.aval, **params)
    return [None, _cast(out, rhs.aval.dtype)]


def _cast(x, dt):
    return x if get_aval(x).dtype == dt else lax.convert_element_type(x, dt)


@conv_general_dilated_p.def_batch
def _conv_batch(size, vals, dims, *, dimension_numbers, feature_group_count, batch_group_count, **params):
    (lhs, rhs), (ld, rd) = vals, dims
    lhs_spec, rhs_spec, out_spec = dimension_numbers

    def conv(a, b, fgc, bgc):
        return conv_general_dilated_p.bind(a, b, dimension_numbers=dimension_numbers, feature_group_count=fgc,
                                           batch_group_count=bgc, **params)  # fmt: skip

    if ld is not None and rd is not None:
        if batch_group_count > 1:
            new_lhs = _reshape_axis_into(ld, lhs_spec[0], lhs)
            fgc, bgc = feature_group_count, batch_group_count * size
        else:
            new_lhs = _reshape_axis_into(ld, lhs_spec[1], lhs)
            fgc, bgc = feature_group_count * size, batch_group_count
        out = conv(new_lhs, _reshape_axis_into(rd, rhs_spec[0], rhs), fgc, bgc)
        return _reshape_axis_out_of(out_spec[1], size, out), out_spec[1]
    if ld is not None:
        if batch_group_count == 1:
            out = conv(_reshape_axis_into(ld, lhs_spec[0], lhs), rhs, feature_group_count, 1)
            return _reshape_axis_out_of(out_spec[0], size, out), out_spec[0]
        # keep batch groups outermost: split them off, fold the vmapped axis in below them
        new_lhs = _reshape_axis_out_of(lhs_spec[0] + int(ld <= lhs_spec[0]), batch_group_count, lhs)
        new_lhs = _reshape_axis_into(ld + int(lhs_spec[0] < ld), lhs_spec[0] + 1, new_lhs)
        new_lhs = _reshape_axis_into(lhs_spec[0], lhs_spec[0], new_lhs)
        out = conv(new_lhs, rhs, 1, batch_group_count)
        return _reshape_axis_out_of(out_spec[0], size, out), out_spec[0]
    if feature_group_count == 1 and batch_group_count == 1:
        out = conv(lhs, _reshape_axis_into(rd, rhs_spec[0], rhs), 1, 1)
        return _reshape_axis_out_of(out_spec[1], size, out), out_spec[1]
    # groups must stay outermost in the rhs output feature dim (and in the result's feature dim)
    groups = feature_group_count if feature_group_count > 1 else batch_group_count
    new_rhs = _reshape_axis_out_of(rhs_spec[0] + int(rd <= rhs_spec[0]), groups, rhs)
    new_rhs = _reshape_axis_into(rd + int(rhs_spec[0] < rd), rhs_spec[0] + 1, new_rhs)
    new_rhs = _reshape_axis_into(rhs_spec[0], rhs_spec[0], new_rhs)
    out = conv(lhs, new_rhs, feature_group_count, batch_group_count)
    out = _reshape_axis_out_of(out_spec[1], groups, out)
    out = _reshape_axis_out_of(out_spec[1] + 1, size, out)
    out = _reshape_axis_into(out_spec[1], out_spec[1] + 1, out)
    return out, out_spec[1]


# --- wrappers ------------------------------------------------------------------------------------


def _ints(v, n: int, name: str, default: int = 1) -> tuple[int, ...]:
    if v is None:
        return (default,) * n
    v = tuple(int(i) for i in v)
    if len(v) != n:
        raise ValueError(f"conv_general_dilated {name} {v} must have one entry per spatial dimension ({n})")
    return v


def conv_general_dilated(lhs, rhs, window_strides: Sequence[int], padding, lhs_dilation=None, rhs_dilation=None,
                         dimension_numbers=None, feature_group_count: int = 1, batch_group_count: int = 1,
                         precision=None, preferred_element_type=None):  # fmt: skip
    """General dilated convolution, as `jax.lax.conv_general_dilated`.

    Args:
      lhs: the input, rank n+2.
      rhs: the kernel, rank n+2.
      window_strides: n strides.
      padding: 'SAME', 'SAME_LOWER', 'VALID', or n (lo, hi) pairs (negative pads crop).
      lhs_dilation: n input dilation factors (transposed convolution).
      rhs_dilation: n kernel dilation factors (atrous convolution).
      dimension_numbers: None, a ConvDimensionNumbers, or layout strings such as ('NHWC', 'HWIO', 'NHWC').
      feature_group_count: grouped (e.g. depthwise) convolution.
      batch_group_count: batch-grouped convolution (used by gradients of grouped convolutions).
      precision: accepted for compatibility.
      preferred_element_type: the result dtype.

    Returns:
      The convolution result, laid out as the out spec says.

    Example:
      >>> import numpy as np
      >>> from jaxnc import lax
      >>> x, k = np.ones((1, 1, 4), np.float32), np.ones((1, 1, 3), np.float32)
      >>> np.asarray(lax.conv_general_dilated(x, k, (1,), "SAME")).tolist()
      [[[2.0, 3.0, 3.0, 2.0]]]
    """
    la, ra = get_aval(lhs), get_aval(rhs)
    dn = conv_dimension_numbers(la.shape, ra.shape, dimension_numbers)
    nsp = la.ndim - 2
    window_strides = _ints(window_strides, nsp, "window_strides")
    lhs_dilation = _ints(lhs_dilation, nsp, "lhs_dilation")
    rhs_dilation = _ints(rhs_dilation, nsp, "rhs_dilation")
    if isinstance(padding, str):
        in_sp = _dilate_shape([la.shape[d] for d in dn.lhs_spec[2:]], lhs_dilation)
        k_sp = _dilate_shape([ra.shape[d] for d in dn.rhs_spec[2:]], rhs_dilation)
        padding = padtype_to_pads(in_sp, k_sp, window_strides, padding)
    padding = tuple((int(lo), int(hi)) for lo, hi in padding)
    pet = None if preferred_element_type is None else dtypes.canonicalize_dtype(preferred_element_type)
    return conv_general_dilated_p.bind(
        lhs, rhs, window_strides=window_strides, padding=padding, lhs_dilation=lhs_dilation,
        rhs_dilation=rhs_dilation, dimension_numbers=dn, feature_group_count=int(feature_group_count),
        batch_group_count=int(batch_group_count), precision=None, preferred_element_type=pet)  # fmt: skip


def conv_general_dilated_patches(lhs, filter_shape: Sequence[int], window_strides: Sequence[int], padding,
                                 lhs_dilation=None, rhs_dilation=None, dimension_numbers=None, precision=None,
                                 preferred_element_type=None):  # fmt: skip
    """The patches a convolution with a `filter_shape` window would see, as `jax.lax.conv_general_dilated_patches`.

    Each output location holds its window as C * prod(filter_shape) features, channel-major (feature
    `c * prod(filter_shape) + flat window index`), laid out as the out spec says. Built as JAX builds it: a
    depthwise convolution with an identity kernel, so its rules are the convolution's.

    Args:
      lhs: the input, rank n+2.
      filter_shape: the n spatial window sizes.
      window_strides, padding, lhs_dilation, rhs_dilation, dimension_numbers: as `conv_general_dilated`
        (the rhs spec only orders the kernel built here).
      precision: accepted for compatibility.
      preferred_element_type: the result dtype.

    Returns:
      The patches array.
    """
    la = get_aval(lhs)
    filter_shape = tuple(int(d) for d in filter_shape)
    if len(filter_shape) != la.ndim - 2:
        raise ValueError(f"conv_general_dilated_patches: filter_shape {filter_shape} needs {la.ndim - 2} spatial "
                         f"sizes for an input of shape {la.shape}")  # fmt: skip
    dn = conv_dimension_numbers(la.shape, (1, 1, *filter_shape), dimension_numbers)
    channels, size = la.shape[dn.lhs_spec[1]], math.prod(filter_shape)
    eye = np.broadcast_to(np.eye(size, dtype=la.dtype), (channels, size, size))
    rhs = np.transpose(eye.reshape(channels * size, 1, *filter_shape), np.argsort(dn.rhs_spec))
    return conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation, dn,
                                feature_group_count=channels, preferred_element_type=preferred_element_type)  # fmt: skip


def conv(lhs, rhs, window_strides: Sequence[int], padding, precision=None, preferred_element_type=None):
    """`lax.conv`: NCHW/OIHW convolution without dilation."""
    return conv_general_dilated(lhs, rhs, window_strides, padding, precision=precision,
                                preferred_element_type=preferred_element_type)  # fmt: skip


def conv_with_general_padding(lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation, precision=None,
                              preferred_element_type=None):  # fmt: skip
    """`lax.conv_with_general_padding`: NCHW/OIHW convolution with explicit padding and dilations."""
    return conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation, precision=precision,
                                preferred_element_type=preferred_element_type)  # fmt: skip


def _conv_transpose_padding(k: int, s: int, padding: str) -> tuple[int, int]:
    if padding == "SAME":
        pad_len = k + s - 2
        pad_a = k - 1 if s > k - 1 else math.ceil(pad_len / 2)
    elif padding == "VALID":
        pad_len = k + s - 2 + builtins.max(k - s, 0)
        pad_a = k - 1
    else:
        raise ValueError(f"conv_transpose padding must be 'SAME', 'VALID' or (lo, hi) pairs, got {padding!r}")
    return pad_a, pad_len - pad_a


def conv_transpose(lhs, rhs, strides: Sequence[int], padding, rhs_dilation=None, dimension_numbers=None,
                   transpose_kernel: bool = False, precision=None, preferred_element_type=None):  # fmt: skip
    """Transposed ("deconvolution") convolution, as `jax.lax.conv_transpose`: an lhs-dilated convolution.

    Args:
      lhs: the input, rank n+2.
      rhs: the kernel, rank n+2.
      strides: n strides (they become lhs dilation).
      padding: 'SAME', 'VALID' or n (lo, hi) pairs.
      rhs_dilation: n kernel dilation factors.
      dimension_numbers: default ('NC', 'IO', 'NC'), ('NHC', 'HIO', 'NHC'), ('NHWC', 'HWIO', 'NHWC') ... by rank.
      transpose_kernel: flip the kernel's spatial axes and swap its I/O axes (the gradient of a convolution).
      precision: accepted for compatibility.
      preferred_element_type: the result dtype.

    Returns:
      The transposed convolution.
    """
    la, ra = get_aval(lhs), get_aval(rhs)
    nd = la.ndim
    if ra.ndim != nd or nd < 2:
        raise TypeError(f"conv_transpose needs lhs and rhs of equal rank >= 2, got shapes {la.shape} and {ra.shape}")
    if dimension_numbers is None:
        sp = "HWDXYZ"[: nd - 2]
        dimension_numbers = (f"N{sp}C", f"{sp}IO", f"N{sp}C")
    dn = conv_dimension_numbers(la.shape, ra.shape, dimension_numbers)
    k_sp = [ra.shape[d] for d in dn.rhs_spec[2:]]
    rhs_dilation = _ints(rhs_dilation, nd - 2, "rhs_dilation")
    if isinstance(padding, str):
        eff = _dilate_shape(k_sp, rhs_dilation)
        padding = [_conv_transpose_padding(k, s, padding.upper()) for k, s in zip(eff, strides, strict=True)]
    if transpose_kernel:
        rhs = lax.rev(rhs, dn.rhs_spec[2:])
        perm = list(range(nd))
        perm[dn.rhs_spec[0]], perm[dn.rhs_spec[1]] = perm[dn.rhs_spec[1]], perm[dn.rhs_spec[0]]
        rhs = lax.transpose(rhs, perm)
    return conv_general_dilated(lhs, rhs, (1,) * (nd - 2), padding, strides, rhs_dilation, dn, precision=precision,
                                preferred_element_type=preferred_element_type)  # fmt: skip
