"""Convolution, pooling, normalization and resizing ops (NCHW layouts, any number of spatial dims)."""

from __future__ import annotations

import itertools
import math

import numpy as np

import jaxnc.lax as lax
import jaxnc.numpy as jnp

from .registry import op


def _window(node, x, kernel):
    """Strides, dilations and (begin, end) pads per spatial dim, from the node's attributes and auto_pad."""
    nsp = len(kernel)
    strides = node.attr("strides", None) or [1] * nsp
    dilations = node.attr("dilations", None) or [1] * nsp
    pads = node.attr("pads", None) or [0] * (2 * nsp)
    auto_pad = node.attr("auto_pad", "NOTSET")
    if isinstance(auto_pad, bytes):
        auto_pad = auto_pad.decode()
    spatial = x.shape[2:]
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        pads = [0] * (2 * nsp)
        for i in range(nsp):
            ek = (kernel[i] - 1) * dilations[i] + 1
            out = -(-spatial[i] // strides[i])
            total = max(0, (out - 1) * strides[i] + ek - spatial[i])
            small = total // 2
            pads[i], pads[i + nsp] = (small, total - small) if auto_pad == "SAME_UPPER" else (total - small, small)
    elif auto_pad == "VALID":
        pads = [0] * (2 * nsp)
    elif auto_pad != "NOTSET":
        raise node.fail(f"unknown auto_pad {auto_pad!r} (expected NOTSET, SAME_UPPER, SAME_LOWER or VALID)")
    return list(strides), list(dilations), [(pads[i], pads[i + nsp]) for i in range(nsp)]


def _bcast_channel(v, ndim):
    return jnp.reshape(v, (1, -1) + (1,) * (ndim - 2))


@op("Conv")
def _conv(node, x, w, b=None):
    kernel = node.attr("kernel_shape", None) or list(w.shape[2:])
    strides, dilations, pads = _window(node, x, kernel)
    group = node.attr("group", 1)
    if x.shape[1] != w.shape[1] * group:
        raise node.fail(
            f"input has {x.shape[1]} channels but the weight {tuple(w.shape)} with group={group} expects {w.shape[1] * group}"
        )
    y = lax.conv_general_dilated(x, w, strides, pads, rhs_dilation=dilations, feature_group_count=group)
    return y if b is None else y + _bcast_channel(b, y.ndim)


@op("ConvTranspose")
def _conv_transpose(node, x, w, b=None):
    kernel = node.attr("kernel_shape", None) or list(w.shape[2:])
    nsp = len(kernel)
    strides = node.attr("strides", None) or [1] * nsp
    dilations = node.attr("dilations", None) or [1] * nsp
    out_pad = node.attr("output_padding", None) or [0] * nsp
    group = node.attr("group", 1)
    pads = node.attr("pads", None) or [0] * (2 * nsp)
    auto_pad = node.attr("auto_pad", "NOTSET")
    output_shape = node.attr("output_shape", None)
    spatial = x.shape[2:]
    full = [strides[i] * (spatial[i] - 1) + out_pad[i] + (kernel[i] - 1) * dilations[i] + 1 for i in range(nsp)]
    if output_shape is not None or auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        target = (
            list(output_shape)[-nsp:] if output_shape is not None else [spatial[i] * strides[i] for i in range(nsp)]
        )
        pads = [0] * (2 * nsp)
        for i in range(nsp):
            total = full[i] - target[i]
            half = total // 2
            # ONNX: SAME_UPPER puts the smaller half at the beginning, otherwise at the end
            pads[i], pads[i + nsp] = (half, total - half) if auto_pad == "SAME_UPPER" else (total - half, half)
    elif auto_pad == "VALID":
        pads = [0] * (2 * nsp)
    cin = w.shape[0]
    cout_g = w.shape[1]
    # (Cin, Cout/g, k..) -> (Cout, Cin/g, k..), spatially flipped: a transposed conv is a conv over the
    # stride-dilated input with the flipped kernel
    wk = jnp.reshape(w, (group, cin // group, cout_g) + tuple(w.shape[2:]))
    wk = jnp.swapaxes(wk, 1, 2)
    wk = jnp.reshape(wk, (group * cout_g, cin // group) + tuple(w.shape[2:]))
    wk = jnp.flip(wk, tuple(range(2, 2 + nsp)))
    conv_pads = []
    for i in range(nsp):
        ek = (kernel[i] - 1) * dilations[i]
        conv_pads.append((ek - pads[i], ek - pads[i + nsp] + out_pad[i]))
    y = lax.conv_general_dilated(x, wk, [1] * nsp, conv_pads, lhs_dilation=strides, rhs_dilation=dilations,
                                 feature_group_count=group)  # fmt: skip
    return y if b is None else y + _bcast_channel(b, y.ndim)


def _pool_geometry(node, x):
    kernel = node.attr("kernel_shape")
    strides, dilations, pads = _window(node, x, kernel)
    ceil_mode = node.attr("ceil_mode", 0)
    out, extra = [], []
    for i, n in enumerate(x.shape[2:]):
        ek = (kernel[i] - 1) * dilations[i] + 1
        lo, hi = pads[i]
        span = n + lo + hi - ek
        o = (-(-span // strides[i]) if ceil_mode else span // strides[i]) + 1
        if ceil_mode and (o - 1) * strides[i] >= n + lo:
            o -= 1  # the last window must start inside the input or its left padding
        out.append(o)
        extra.append(max(0, (o - 1) * strides[i] + ek - (n + lo + hi)))
    return kernel, strides, dilations, pads, out, extra


def _patches(x, kernel, strides, dilations, out):
    """The pooling windows as a leading axis: (prod(kernel), N, C, *out) from an already padded x."""
    slices = []
    for offs in itertools.product(*[range(k) for k in kernel]):
        idx = [slice(None), slice(None)]
        for i, o in enumerate(offs):
            start = o * dilations[i]
            idx.append(slice(start, start + (out[i] - 1) * strides[i] + 1, strides[i]))
        slices.append(x[tuple(idx)])
    return jnp.stack(slices)


def _pad_spatial(x, pads, extra, value):
    widths = [(0, 0), (0, 0)] + [(lo, hi + e) for (lo, hi), e in zip(pads, extra, strict=True)]
    return jnp.pad(x, widths, constant_values=value)


def _lowest(dtype):
    return -np.inf if np.dtype(dtype).kind == "f" else np.iinfo(dtype).min


@op("MaxPool")
def _max_pool(node, x):
    kernel, strides, dilations, pads, out, extra = _pool_geometry(node, x)
    p = _patches(_pad_spatial(x, pads, extra, _lowest(x.dtype)), kernel, strides, dilations, out)
    if len(node.proto.output) < 2 or not node.proto.output[1]:
        return jnp.max(p, axis=0)
    spatial = x.shape[2:]
    if node.attr("storage_order", 0):
        strides_flat = [int(np.prod(spatial[:i])) for i in range(len(spatial))]
    else:
        strides_flat = [int(np.prod(spatial[i + 1 :])) for i in range(len(spatial))]
    flat = sum(jnp.reshape(jnp.arange(n), (-1,) + (1,) * (len(spatial) - 1 - i)) * s
               for i, (n, s) in enumerate(zip(spatial, strides_flat, strict=True)))  # fmt: skip
    nc = jnp.reshape(jnp.arange(x.shape[0] * x.shape[1]), x.shape[:2] + (1,) * len(spatial)) * int(np.prod(spatial))
    index = jnp.broadcast_to(flat + nc, x.shape)
    ip = _patches(_pad_spatial(index, pads, extra, -1), kernel, strides, dilations, out)
    arg = jnp.argmax(p, axis=0)
    return jnp.max(p, axis=0), jnp.take_along_axis(ip, arg[None], axis=0)[0]


@op("AveragePool")
def _average_pool(node, x):
    kernel, strides, dilations, pads, out, extra = _pool_geometry(node, x)
    total = jnp.sum(_patches(_pad_spatial(x, pads, extra, 0), kernel, strides, dilations, out), axis=0)
    ones = jnp.ones((1, 1) + tuple(x.shape[2:]), x.dtype)
    if node.attr("count_include_pad", 0):
        ones = _pad_spatial(ones, pads, [0] * len(pads), 1)
        counted = _pad_spatial(ones, [(0, 0)] * len(pads), extra, 0)
    else:
        counted = _pad_spatial(ones, pads, extra, 0)
    count = jnp.sum(_patches(counted, kernel, strides, dilations, out), axis=0)
    return total / count


@op("LpPool")
def _lp_pool(node, x):
    kernel, strides, dilations, pads, out, extra = _pool_geometry(node, x)
    p = node.attr("p", 2)
    s = jnp.sum(jnp.abs(_patches(_pad_spatial(x, pads, extra, 0), kernel, strides, dilations, out)) ** p, axis=0)
    return s ** (1.0 / p)


def _spatial_axes(x):
    return tuple(range(2, x.ndim))


@op("GlobalAveragePool")
def _global_average_pool(node, x):
    return jnp.mean(x, axis=_spatial_axes(x), keepdims=True)


@op("GlobalMaxPool")
def _global_max_pool(node, x):
    return jnp.max(x, axis=_spatial_axes(x), keepdims=True)


@op("GlobalLpPool")
def _global_lp_pool(node, x):
    p = node.attr("p", 2)
    return jnp.sum(jnp.abs(x) ** p, axis=_spatial_axes(x), keepdims=True) ** (1.0 / p)


@op("BatchNormalization")
def _batch_norm(node, x, scale, bias, mean, var):
    eps = node.attr("epsilon", 1e-5)
    training = node.opset >= 14 and node.attr("training_mode", 0)
    axes = (0,) + _spatial_axes(x)
    if training:
        momentum = node.attr("momentum", 0.9)
        bmean, bvar = jnp.mean(x, axis=axes), jnp.var(x, axis=axes)
        y = (x - _bcast_channel(bmean, x.ndim)) / jnp.sqrt(_bcast_channel(bvar, x.ndim) + eps)
        y = y * _bcast_channel(scale, x.ndim) + _bcast_channel(bias, x.ndim)
        return y, mean * momentum + bmean * (1 - momentum), var * momentum + bvar * (1 - momentum)
    if node.opset < 9 and not node.attr("spatial", 1):
        shape = (1,) + tuple(x.shape[1:])
        scale, bias, mean, var = (jnp.reshape(v, shape) for v in (scale, bias, mean, var))
    else:
        scale, bias, mean, var = (_bcast_channel(v, x.ndim) for v in (scale, bias, mean, var))
    return ((x - mean) * (scale / jnp.sqrt(var + eps)) + bias).astype(x.dtype)


@op("InstanceNormalization")
def _instance_norm(node, x, scale, bias):
    axes = _spatial_axes(x)
    mean = jnp.mean(x, axis=axes, keepdims=True)
    var = jnp.var(x, axis=axes, keepdims=True)
    y = (x - mean) / jnp.sqrt(var + node.attr("epsilon", 1e-5))
    return y * _bcast_channel(scale, x.ndim) + _bcast_channel(bias, x.ndim)


def _stashed(node, x):
    # stash_type 1 (float) computes statistics in float32
    return x.astype(jnp.float32) if node.attr("stash_type", 1) == 1 and x.dtype != jnp.float32 else x


@op("LayerNormalization")
def _layer_norm(node, x, scale, bias=None):
    axis = node.attr("axis", -1)
    axis = axis + x.ndim if axis < 0 else axis
    axes = tuple(range(axis, x.ndim))
    xs = _stashed(node, x)
    mean = jnp.mean(xs, axis=axes, keepdims=True)
    inv = 1.0 / jnp.sqrt(jnp.mean((xs - mean) ** 2, axis=axes, keepdims=True) + node.attr("epsilon", 1e-5))
    y = ((xs - mean) * inv).astype(x.dtype) * scale
    if bias is not None:
        y = y + bias
    return y, mean, inv


@op("RMSNormalization")
def _rms_norm(node, x, scale):
    axis = node.attr("axis", -1)
    axis = axis + x.ndim if axis < 0 else axis
    xs = _stashed(node, x)
    ms = jnp.mean(xs * xs, axis=tuple(range(axis, x.ndim)), keepdims=True)
    return (xs / jnp.sqrt(ms + node.attr("epsilon", 1e-5))).astype(x.dtype) * scale


@op("GroupNormalization")
def _group_norm(node, x, scale, bias):
    g = node.attr("num_groups")
    n, c = x.shape[:2]
    xs = _stashed(node, x)
    xg = jnp.reshape(xs, (n, g, -1))
    mean = jnp.mean(xg, axis=-1, keepdims=True)
    var = jnp.var(xg, axis=-1, keepdims=True)
    y = jnp.reshape((xg - mean) / jnp.sqrt(var + node.attr("epsilon", 1e-5)), x.shape).astype(x.dtype)
    if scale.shape[0] != c:  # opset 18: one scale/bias per group
        scale, bias = jnp.repeat(scale, c // g), jnp.repeat(bias, c // g)
    return y * _bcast_channel(scale, x.ndim) + _bcast_channel(bias, x.ndim)


@op("LpNormalization")
def _lp_norm(node, x):
    axis, p = node.attr("axis", -1), node.attr("p", 2)
    norm = (
        jnp.sum(jnp.abs(x), axis=axis, keepdims=True) if p == 1 else jnp.sqrt(jnp.sum(x * x, axis=axis, keepdims=True))
    )
    return x / jnp.where(norm == 0, jnp.ones_like(norm), norm)


@op("LRN")
def _lrn(node, x):
    size = node.attr("size")
    alpha, beta, bias = node.attr("alpha", 1e-4), node.attr("beta", 0.75), node.attr("bias", 1.0)
    sq = jnp.pad(x * x, [(0, 0), ((size - 1) // 2, size - 1 - (size - 1) // 2)] + [(0, 0)] * (x.ndim - 2))
    c = x.shape[1]
    total = sum(sq[:, i : i + c] for i in range(size))
    return x / (bias + alpha / size * total) ** beta


# ---- Resize / Upsample: one interpolation matrix per resized axis (nearest, linear, cubic, antialias)


def _source_coords(mode, out_len, in_len, scale, roi_start, roi_end):
    i = np.arange(out_len, dtype=np.float64)
    if mode == "half_pixel":
        return (i + 0.5) / scale - 0.5
    if mode == "half_pixel_symmetric":
        adjustment = out_len / (scale * in_len)
        center = in_len / 2
        return center * (1 - adjustment) + (i + 0.5) / scale - 0.5
    if mode == "pytorch_half_pixel":
        return (i + 0.5) / scale - 0.5 if out_len > 1 else np.zeros_like(i)
    if mode == "align_corners":
        # NB: the unrounded output length in_len * scale, as the reference does for scales
        return i * (in_len - 1) / (in_len * scale - 1) if out_len > 1 else np.zeros_like(i)
    if mode == "asymmetric":
        return i / scale
    if mode == "tf_crop_and_resize":
        if out_len > 1:
            return roi_start * (in_len - 1) + i * (roi_end - roi_start) * (in_len - 1) / (out_len - 1)
        return np.full_like(i, 0.5 * (roi_start + roi_end) * (in_len - 1))
    raise ValueError(f"unknown coordinate_transformation_mode {mode!r}")


def _nearest(x, rule):
    if rule == "round_prefer_floor":
        return np.where(x - np.floor(x) == 0.5, np.floor(x), np.round(x))
    if rule == "round_prefer_ceil":
        return np.where(x - np.floor(x) == 0.5, np.ceil(x), np.round(x))
    if rule == "floor":
        return np.floor(x)
    if rule == "ceil":
        return np.ceil(x)
    raise ValueError(f"unknown nearest_mode {rule!r}")


def cubic_kernel(xp, s, a):
    """Keys' cubic convolution kernel with coefficient `a` (-0.75 in ONNX), on NumPy or jaxnc."""
    s = xp.abs(s)
    return xp.where(s <= 1, ((a + 2) * s - (a + 3)) * s * s + 1,
                    xp.where(s < 2, ((a * s - 5 * a) * s + 8 * a) * s - 4 * a, 0.0))  # fmt: skip


def _interp_matrix(node, mode, in_len, out_len, scale, roi, nearest_default):
    """(out_len, in_len) weights and an (out_len,) mask of outputs taking the extrapolation value."""
    coord_mode = node.attr("coordinate_transformation_mode", "half_pixel" if node.opset >= 11 else "asymmetric")
    x = _source_coords(coord_mode, out_len, in_len, scale, *roi)
    outside = np.zeros(out_len, bool)
    if coord_mode == "tf_crop_and_resize":
        outside = (x < 0) | (x > in_len - 1)
    m = np.zeros((out_len, in_len))
    rows = np.arange(out_len)
    if mode == "nearest":
        idx = np.clip(_nearest(x, node.attr("nearest_mode", nearest_default)), 0, in_len - 1).astype(int)
        m[rows, idx] = 1.0
        return m, outside
    antialias = node.attr("antialias", 0) and scale < 1
    s = scale if antialias else 1.0
    if mode == "linear":
        kernel = lambda d: np.clip(1 - np.abs(d), 0, None)  # noqa: E731
        support = 1.0
    elif mode == "cubic":
        a = node.attr("cubic_coeff_a", -0.75)
        kernel = lambda d: cubic_kernel(np, d, a)  # noqa: E731
        support = 2.0
    else:
        raise ValueError(f"unknown mode {mode!r} (expected nearest, linear or cubic)")
    x0 = np.floor(x)
    reach = math.ceil(support / s) + 1
    for off in range(-reach, reach + 1):
        j = x0 + off
        w = kernel((j - x) * s)
        inside = (j >= 0) & (j <= in_len - 1)
        if mode == "cubic" and node.attr("exclude_outside", 0):
            w = np.where(inside, w, 0.0)
        np.add.at(m, (rows, np.clip(j, 0, in_len - 1).astype(int)), w)
    m /= np.where(m.sum(1, keepdims=True) == 0, 1, m.sum(1, keepdims=True))
    return m, outside


def _resize(node, x, scales, sizes, roi, mode, axes=None, nearest_default="round_prefer_floor"):
    ndim = x.ndim
    axes = list(range(ndim)) if axes is None else [a + ndim if a < 0 else a for a in axes]
    in_shape = [x.shape[a] for a in axes]
    if sizes is not None:
        sizes = [int(v) for v in sizes]
        scales = [o / i for o, i in zip(sizes, in_shape, strict=True)]
        policy = node.attr("keep_aspect_ratio_policy", "stretch")
        if policy != "stretch":
            pick = min if policy == "not_larger" else max
            s = pick(scales)
            scales = [s] * len(axes)
            sizes = [round(s * i) for i in in_shape]
    else:
        scales = [float(v) for v in scales]
        sizes = [math.floor(i * s) for i, s in zip(in_shape, scales, strict=True)]
    y = x
    float_dtype = x.dtype if np.dtype(x.dtype).kind == "f" else jnp.float32
    extrapolation = node.attr("extrapolation_value", 0.0)
    for k, a in enumerate(axes):
        if sizes[k] == in_shape[k] and scales[k] == 1.0:
            continue
        r = (roi[k], roi[k + len(axes)]) if roi is not None and len(roi) else (0.0, 1.0)
        m, outside = _interp_matrix(node, mode, in_shape[k], sizes[k], scales[k], r, nearest_default)
        y = jnp.moveaxis(
            jnp.tensordot(jnp.asarray(m, float_dtype), jnp.moveaxis(y.astype(float_dtype), a, 0), axes=1), 0, a
        )
        if outside.any():
            shape = [1] * ndim
            shape[a] = -1
            y = jnp.where(jnp.reshape(jnp.asarray(outside), shape), jnp.asarray(extrapolation, float_dtype), y)
    if np.dtype(x.dtype).kind != "f":
        y = jnp.round(y).astype(x.dtype)
    return y


@op("Resize")
def _resize_op(node, x, roi=None, scales=None, sizes=None):
    mode = node.attr("mode", "nearest")
    if node.opset < 11:  # Resize-10: (X, scales), asymmetric coordinates
        scales, roi, sizes = roi, None, None
    scales = None if scales is None or np.prod(np.shape(scales)) == 0 else node.host(scales, "scales").reshape(-1)
    sizes = None if sizes is None or np.prod(np.shape(sizes)) == 0 else node.host(sizes, "sizes").reshape(-1)
    roi = None if roi is None or np.prod(np.shape(roi)) == 0 else node.host(roi, "roi").reshape(-1).astype(np.float64)
    if scales is None and sizes is None:
        raise node.fail("one of scales or sizes is required")
    axes = node.attr("axes", None)
    try:
        return _resize(node, x, scales, sizes, roi, mode, axes)
    except ValueError as e:
        raise node.fail(str(e)) from e


@op("Upsample")
def _upsample(node, x, scales=None):
    scales = node.attr("scales") if node.opset < 9 else node.host(scales, "scales").reshape(-1)
    return _resize(node, x, scales, None, None, node.attr("mode", "nearest"), nearest_default="floor")


@op("MaxUnpool")
def _max_unpool(node, x, indices, output_shape=None):
    kernel = node.attr("kernel_shape")
    nsp = len(kernel)
    strides = node.attr("strides", None) or [1] * nsp
    pads = node.attr("pads", None) or [0] * (2 * nsp)
    spatial = [(n - 1) * strides[i] + kernel[i] - pads[i] - pads[i + nsp] for i, n in enumerate(x.shape[2:])]
    inferred = tuple(x.shape[:2]) + tuple(spatial)
    flat = jnp.zeros((int(np.prod(inferred)),), x.dtype)
    y = jnp.reshape(flat.at[jnp.reshape(node.dev(indices), (-1,))].set(jnp.reshape(x, (-1,))), inferred)
    if output_shape is None:
        return y
    # a larger output_shape pads the unpooled tensor with zeros at the end of each axis (as the reference)
    out = node.ints(output_shape, "output_shape")
    return jnp.pad(y, [(0, o - i) for o, i in zip(out, inferred, strict=True)])


@op("Col2Im")
def _col2im(node, x, image_shape, block_shape):
    """Sum sliding blocks (N, C*prod(block), L) back into images (N, C, *image_shape): im2col's transpose."""
    image, block = node.ints(image_shape, "image_shape"), node.ints(block_shape, "block_shape")
    nsp = len(image)
    strides = node.attr("strides", None) or [1] * nsp
    dilations = node.attr("dilations", None) or [1] * nsp
    pads = node.attr("pads", None) or [0] * (2 * nsp)
    cols = [
        (image[i] + pads[i] + pads[i + nsp] - dilations[i] * (block[i] - 1) - 1) // strides[i] + 1 for i in range(nsp)
    ]
    # host index map: (kernel offset, column position) -> flat image position, or the dump slot past the end
    k = np.stack(np.meshgrid(*[np.arange(b) for b in block], indexing="ij"), -1).reshape(-1, 1, nsp)
    l = np.stack(np.meshgrid(*[np.arange(c) for c in cols], indexing="ij"), -1).reshape(1, -1, nsp)
    pos = l * np.asarray(strides) - np.asarray(pads[:nsp]) + k * np.asarray(dilations)
    inside = np.all((pos >= 0) & (pos < np.asarray(image)), axis=-1)
    flat = np.where(
        inside,
        np.ravel_multi_index(tuple(np.clip(pos, 0, np.asarray(image) - 1).transpose(2, 0, 1)), image),
        np.prod(image),
    )
    n, ck, _ = x.shape
    kk = int(np.prod(block))
    data = jnp.reshape(x, (n, ck // kk, kk * flat.shape[1]))
    out = jnp.zeros((n, ck // kk, int(np.prod(image)) + 1), x.dtype).at[:, :, jnp.asarray(flat.reshape(-1))].add(data)
    return jnp.reshape(out[:, :, :-1], (n, ck // kk, *image))
