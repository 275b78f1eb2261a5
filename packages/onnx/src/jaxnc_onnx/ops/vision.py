"""Vision ops: GridSample (any number of spatial dims) and NonMaxSuppression (eager: its output size
depends on the data)."""

from __future__ import annotations

import itertools

import numpy as np

import jaxnc.numpy as jnp

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
    def k(s):
        s = jnp.abs(s)
        return jnp.where(s <= 1, ((a + 2) * s - (a + 3)) * s * s + 1, ((a * s - 5 * a) * s + 8 * a) * s - 4 * a)

    return [k(t + 1), k(t), k(1 - t), k(2 - t)]


@op("GridSample")
def _grid_sample(node, x, grid):
    mode = {"bilinear": "linear", "bicubic": "cubic"}.get(node.attr("mode", "linear"), node.attr("mode", "linear"))
    padding = node.attr("padding_mode", "zeros")
    align = node.attr("align_corners", 0)
    dims = x.shape[2:]
    nd = len(dims)
    if grid.shape[-1] != nd:
        raise node.fail(f"grid's last axis is {grid.shape[-1]} but the input has {nd} spatial dims")
    taps_per_dim = []
    for i, d in enumerate(dims):
        g = grid[..., nd - 1 - i].astype(jnp.float32)  # grid coordinates are in reverse order
        c = (g + 1) / 2 * (d - 1) if align else ((g + 1) * d - 1) / 2
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
    out_shape = grid.shape[1:-1]
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
        vals = jnp.take_along_axis(xf, jnp.broadcast_to(jnp.reshape(flat, (n, 1, -1)), (n, ch, flat[0].size)), axis=2)
        contribution = jnp.reshape(vals, (n, ch) + tuple(out_shape)) * jnp.expand_dims(weight * valid, 1)
        total = total + contribution
    return total.astype(x.dtype)


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
