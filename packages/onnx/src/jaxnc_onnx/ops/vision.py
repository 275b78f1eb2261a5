"""Vision ops: GridSample (any number of spatial dims), DeformConv, RoiAlign and NonMaxSuppression (eager:
its output size depends on the data)."""

from __future__ import annotations

import itertools

import numpy as np

import jaxnc.numpy as jnp

from .nn import cubic_kernel
from .registry import op


def _reflect(c, lo, hi):
    """Reflect coordinates by the near border until they are inside [lo, hi] (ONNX GridSample)."""
    span = hi - lo
    dx = jnp.where(c < lo, lo - c, c - hi)
    n = jnp.floor(dx / span)
    r = dx - n * span
    even = jnp.mod(n, 2) == 0
    below = jnp.where(even, lo + r, hi - r)
    above = jnp.where(even, hi - r, lo + r)
    return jnp.where(c < lo, below, jnp.where(c > hi, above, c))


def _cubic_weights(t, a=-0.75):
    """The four taps' weights around floor(x), t = x - floor(x)."""
    return [cubic_kernel(jnp, d, a) for d in (t + 1, t, 1 - t, 2 - t)]


@op("GridSample")
def _grid_sample(node, x, grid):
    mode = {"bilinear": "linear", "bicubic": "cubic"}.get(node.attr("mode", "linear"), node.attr("mode", "linear"))
    align = node.attr("align_corners", 0)
    dims = x.shape[2:]
    nd = len(dims)
    if grid.shape[-1] != nd:
        raise node.fail(f"grid's last axis is {grid.shape[-1]} but the input has {nd} spatial dims")
    coords = []
    for i, d in enumerate(dims):
        g = grid[..., nd - 1 - i].astype(jnp.float32)  # grid coordinates are in reverse order
        coords.append((g + 1) / 2 * (d - 1) if align else ((g + 1) * d - 1) / 2)
    return _sample(node, x, coords, mode, node.attr("padding_mode", "zeros"), align)


def _sample(node, x, coords, mode, padding, align):
    """Interpolate x (N, C, *dims) at pixel coordinates (one (N, *out) array per spatial dim) as GridSample."""
    dims = x.shape[2:]
    taps_per_dim = []
    for c, d in zip(coords, dims, strict=True):
        if mode == "nearest":
            c = jnp.round(c)
        lo, hi = (0.0, d - 1.0) if align else (-0.5, d - 0.5)
        if padding == "border":
            c = jnp.clip(c, 0, d - 1)
        elif padding == "reflection":
            c = _reflect(c, lo, hi)
        if mode == "nearest":
            taps_per_dim.append([(jnp.trunc(c).astype(jnp.int32), 1.0)])
            continue
        f = jnp.floor(c)
        t = c - f
        f = f.astype(jnp.int32)
        if mode == "linear":
            taps_per_dim.append([(f, 1 - t), (f + 1, t)])
        elif mode == "cubic":
            taps_per_dim.append([(f + k - 1, w) for k, w in enumerate(_cubic_weights(t))])
        else:
            raise node.fail(f"unknown mode {mode!r} (expected linear, nearest or cubic)")
    n, ch = x.shape[:2]
    xf = jnp.reshape(x, (n, ch, -1))
    out_shape = coords[0].shape[1:]
    total = 0.0
    for combo in itertools.product(*taps_per_dim):
        flat, weight, valid = 0, 1.0, True
        for i, (idx, w) in enumerate(combo):
            d = dims[i]
            if padding == "zeros":
                valid = valid & (idx >= 0) & (idx < d)
            elif padding == "reflection":
                lo, hi = (0.0, d - 1.0) if align else (-0.5, d - 0.5)
                idx = jnp.trunc(_reflect(idx.astype(jnp.float32), lo, hi)).astype(jnp.int32)
            idx = jnp.clip(idx, 0, d - 1)
            flat = flat * d + idx
            weight = weight * w
        size = int(np.prod(out_shape))
        vals = jnp.take_along_axis(xf, jnp.broadcast_to(jnp.reshape(flat, (n, 1, -1)), (n, ch, size)), axis=2)
        total = total + jnp.reshape(vals, (n, ch) + tuple(out_shape)) * jnp.expand_dims(weight * valid, 1)
    return total.astype(x.dtype)


@op("DeformConv")
def _deform_conv(node, x, w, offset, b=None, mask=None):
    """2-D deformable convolution: bilinear samples at offset kernel taps (GridSample, align_corners=1,
    zero padding), times the mask, contracted with the weights per group."""
    if x.ndim != 4:
        raise node.fail(f"only 2-D DeformConv is supported, got a {x.ndim}-D input")
    n, c, _, _ = x.shape
    oc, icpg, kh, kw = w.shape
    group, ogroups = node.attr("group", 1), node.attr("offset_group", 1)
    sh, sw = node.attr("strides", None) or [1, 1]
    dh, dw = node.attr("dilations", None) or [1, 1]
    pads = node.attr("pads", None) or [0, 0, 0, 0]
    oh, ow = offset.shape[2:]
    off = jnp.reshape(offset, (n * ogroups, kh, kw, 2, oh, ow))
    base_y = (np.arange(kh) * dh)[:, None, None, None] + (np.arange(oh) * sh - pads[0])[None, None, :, None]
    base_x = (np.arange(kw) * dw)[None, :, None, None] + (np.arange(ow) * sw - pads[1])[None, None, None, :]
    coords = [off[:, :, :, 0] + base_y, off[:, :, :, 1] + base_x]  # (N*G, kh, kw, oh, ow)
    cols = _sample(
        node, jnp.reshape(x, (n * ogroups, c // ogroups) + tuple(x.shape[2:])), coords, "linear", "zeros", True
    )
    cols = jnp.reshape(cols, (n, ogroups, c // ogroups, kh, kw, oh, ow))
    if mask is not None:
        cols = cols * jnp.reshape(mask, (n, ogroups, 1, kh, kw, oh, ow))
    cols = jnp.reshape(cols, (n, group, icpg, kh, kw, oh, ow))
    y = jnp.einsum("ngcklij,gockl->ngoij", cols, jnp.reshape(w, (group, oc // group, icpg, kh, kw)))
    y = jnp.reshape(y, (n, oc, oh, ow))
    return y if b is None else y + jnp.reshape(b, (1, -1, 1, 1))


def _iou_suppressed(a, b, center, threshold):
    if center:
        a = np.array([a[0] - a[2] / 2, a[1] - a[3] / 2, a[0] + a[2] / 2, a[1] + a[3] / 2])
        b = np.array([b[0] - b[2] / 2, b[1] - b[3] / 2, b[0] + b[2] / 2, b[1] + b[3] / 2])
        a = a[[1, 0, 3, 2]]
        b = b[[1, 0, 3, 2]]
    ay0, ay1 = sorted((a[0], a[2]))
    ax0, ax1 = sorted((a[1], a[3]))
    by0, by1 = sorted((b[0], b[2]))
    bx0, bx1 = sorted((b[1], b[3]))
    iw = min(ax1, bx1) - max(ax0, bx0)
    ih = min(ay1, by1) - max(ay0, by0)
    if iw <= 0 or ih <= 0:
        return False
    inter = iw * ih
    union = (ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - inter
    return union > 0 and inter / union > threshold


@op("NonMaxSuppression")
def _non_max_suppression(node, boxes, scores, max_boxes=None, iou_threshold=None, score_threshold=None):
    boxes = node.host(boxes, "NonMaxSuppression's boxes (its output size depends on them)")
    scores = node.host(scores, "NonMaxSuppression's scores (its output size depends on them)")
    limit = 0 if max_boxes is None or np.size(max_boxes) == 0 else node.ints(max_boxes, "max_output_boxes_per_class")[0]
    iou = (
        0.0
        if iou_threshold is None or np.size(iou_threshold) == 0
        else float(node.host(iou_threshold, "iou").reshape(-1)[0])
    )
    floor = (
        None
        if score_threshold is None or np.size(score_threshold) == 0
        else float(node.host(score_threshold, "score").reshape(-1)[0])
    )
    center = node.attr("center_point_box", 0)
    selected = []
    for b in range(scores.shape[0]):
        for c in range(scores.shape[1]):
            s = scores[b, c]
            order = [i for i in np.argsort(-s, kind="stable") if floor is None or s[i] > floor]
            kept: list[int] = []
            for i in order:
                if len(kept) >= limit:
                    break
                if not any(_iou_suppressed(boxes[b, i], boxes[b, k], center, iou) for k in kept):
                    kept.append(i)
                    selected.append((b, c, i))
    return np.asarray(selected, np.int64).reshape(-1, 3)


def _roi_taps(roi, scale, half_pixel, out_h, out_w, ratio, height, width):
    """Bilinear taps of one RoI's sampling points: flat positions and weights, each (4, out_h, out_w, gh, gw)."""
    offset = 0.5 if half_pixel else 0.0
    x0, y0, x1, y1 = (float(v) * scale - offset for v in roi[:4])
    rw, rh = x1 - x0, y1 - y0
    if not half_pixel:
        rw, rh = max(rw, 1.0), max(rh, 1.0)
    bh, bw = rh / out_h, rw / out_w
    gh = int(ratio) if ratio > 0 else int(np.ceil(rh / out_h))
    gw = int(ratio) if ratio > 0 else int(np.ceil(rw / out_w))
    ph, pw, iy, ix = np.meshgrid(np.arange(out_h), np.arange(out_w), np.arange(gh), np.arange(gw), indexing="ij")
    y = y0 + ph * bh + (iy + 0.5) * bh / gh
    x = x0 + pw * bw + (ix + 0.5) * bw / gw
    outside = (y < -1.0) | (y > height) | (x < -1.0) | (x > width)
    y, x = np.maximum(y, 0), np.maximum(x, 0)
    ylo, xlo = np.floor(y).astype(int), np.floor(x).astype(int)
    ytop, xtop = ylo >= height - 1, xlo >= width - 1
    ylo, xlo = np.where(ytop, height - 1, ylo), np.where(xtop, width - 1, xlo)
    yhi, xhi = np.where(ytop, ylo, ylo + 1), np.where(xtop, xlo, xlo + 1)
    ly, lx = np.where(ytop, 0.0, y - ylo), np.where(xtop, 0.0, x - xlo)
    hy, hx = 1 - ly, 1 - lx
    pos = np.stack([ylo * width + xlo, ylo * width + xhi, yhi * width + xlo, yhi * width + xhi])
    w = np.stack([hy * hx, hy * lx, ly * hx, ly * lx]) * ~outside
    return np.where(outside, 0, pos), w, max(gh * gw, 1)


@op("RoiAlign")
def _roi_align(node, x, rois, batch_indices):
    rois = node.host(rois, "RoiAlign's rois (the sampling grid depends on them)")
    batch = node.ints(batch_indices, "RoiAlign's batch_indices")
    default_ctm = "half_pixel" if node.opset >= 16 else "output_half_pixel"
    half_pixel = node.attr("coordinate_transformation_mode", default_ctm) == "half_pixel"
    out_h, out_w = node.attr("output_height", 1), node.attr("output_width", 1)
    ratio, scale, mode = node.attr("sampling_ratio", 0), node.attr("spatial_scale", 1.0), node.attr("mode", "avg")
    c, height, width = x.shape[1:]
    planes = jnp.reshape(x, (x.shape[0], c, height * width))
    outs = []
    for roi, b in zip(rois, batch, strict=True):
        pos, w, count = _roi_taps(roi, scale, half_pixel, out_h, out_w, ratio, height, width)
        vals = jnp.take(planes[b], jnp.asarray(pos.reshape(-1)), axis=1).reshape((c,) + pos.shape)
        weighted = vals * jnp.asarray(w, x.dtype)  # (C, 4, out_h, out_w, gh, gw)
        if mode == "avg":
            outs.append(jnp.sum(weighted, axis=(1, 4, 5)) / count)
        elif mode == "max":  # the reference takes the largest weighted tap, then the largest sample
            outs.append(jnp.max(jnp.max(weighted, axis=1), axis=(3, 4)))
        else:
            raise node.fail(f"unknown mode {mode!r} (expected avg or max)")
    return jnp.stack(outs).astype(x.dtype)


@op("MaxRoiPool")
def _max_roi_pool(node, x, rois):
    """Caffe-style RoI max pooling: rounded RoI corners, floor/ceil bin edges, empty bins give 0."""
    rois = node.host(rois, "MaxRoiPool's rois (the bins depend on them)")
    out_h, out_w = node.attr("pooled_shape")
    scale = node.attr("spatial_scale", 1.0)
    height, width = x.shape[2:]
    outs = []
    for roi in rois:
        b = int(roi[0])
        x1, y1, x2, y2 = (int(np.floor(v * scale + 0.5)) for v in roi[1:5])  # NB: C round, half away from 0
        bin_h, bin_w = max(y2 - y1 + 1, 1) / out_h, max(x2 - x1 + 1, 1) / out_w
        rows = []
        for ph in range(out_h):
            h0 = min(max(int(np.floor(ph * bin_h)) + y1, 0), height)
            h1 = min(max(int(np.ceil((ph + 1) * bin_h)) + y1, 0), height)
            cells = []
            for pw in range(out_w):
                w0 = min(max(int(np.floor(pw * bin_w)) + x1, 0), width)
                w1 = min(max(int(np.ceil((pw + 1) * bin_w)) + x1, 0), width)
                empty = h1 <= h0 or w1 <= w0
                cells.append(jnp.zeros(x.shape[1], x.dtype) if empty else jnp.max(x[b, :, h0:h1, w0:w1], axis=(1, 2)))
            rows.append(jnp.stack(cells, axis=-1))
        outs.append(jnp.stack(rows, axis=-2))
    return jnp.stack(outs)
