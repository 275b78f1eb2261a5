"""Shape and movement ops, creation ops, Cast, Gather/Scatter families: static-capable where possible."""

from __future__ import annotations

import numpy as np

import jaxnc.lax as lax
import jaxnc.numpy as jnp

from ..dtypes import device_dtype, host_cast, np_dtype, on_device
from .registry import op


def _axis(node, axis: int, ndim: int, what: str = "axis") -> int:
    if not -ndim <= axis < max(ndim, 1):
        raise node.fail(f"{what} {axis} is out of range for rank {ndim}")
    return axis + ndim if axis < 0 else axis


def _dtype(node, elem_type: int):
    dt = np_dtype(elem_type)
    return dt if node.xp is np else device_dtype(dt)


@op("Constant", static=True)
def _constant(node):
    for key in ("value", "value_float", "value_floats", "value_int", "value_ints"):
        if node.has_attr(key):
            v = node.attr(key)
            if key.startswith("value_float"):
                return np.asarray(v, np.float32)
            if key.startswith("value_int"):
                return np.asarray(v, np.int64)
            return np.asarray(v)
    if node.has_attr("value_string") or node.has_attr("value_strings"):
        raise node.fail("string constants are not supported (jaxnc has no string dtype)")
    raise node.fail(
        "no value attribute (expected value, value_float(s) or value_int(s); sparse_value is not supported)"
    )


@op("Shape", static=True)
def _shape(node, x):
    shape = np.asarray(np.shape(x), np.int64)
    start, end = node.attr("start", 0), node.attr("end", None)
    return shape[start:end]


@op("Size", static=True)
def _size(node, x):
    return np.asarray(int(np.prod(np.shape(x))), np.int64)


@op("Cast", static=True)
def _cast(node, x):
    return _cast_to(node, x, _dtype(node, node.attr("to")))


def _cast_to(node, x, dt):
    if node.xp is np or not on_device(dt):
        value = node.host(x, "a value cast to a host-only dtype")
        return host_cast(value, dt, bool(node.attr("saturate", 1)), node.attr("round_mode", "up"))
    if x.dtype.kind == "f" and dt.kind in "iu":
        x = jnp.trunc(x)  # NB: float -> int truncates toward zero in ONNX
    return x.astype(dt)


@op("CastLike", static=True)
def _cast_like(node, x, like):
    return _cast_to(node, x, like.dtype if node.xp is np else device_dtype(like.dtype))


@op("Reshape", static=True)
def _reshape(node, x, shape=None):
    shape = node.attr("shape") if node.opset < 5 else node.ints(shape, "the target shape")
    allowzero = node.attr("allowzero", 0)
    if not allowzero:
        shape = [x.shape[i] if s == 0 else s for i, s in enumerate(shape)]
    try:
        return node.xp.reshape(x, tuple(shape))
    except (ValueError, TypeError) as e:
        raise node.fail(f"cannot reshape {tuple(x.shape)} to {tuple(shape)}") from e


@op("Flatten", static=True)
def _flatten(node, x):
    axis = node.attr("axis", 1)
    axis = axis + x.ndim if axis < 0 else axis
    lead = int(np.prod(x.shape[:axis]))
    return node.xp.reshape(x, (lead, int(np.prod(x.shape[axis:]))))


@op("Transpose", static=True)
def _transpose(node, x):
    perm = node.attr("perm", None)
    return node.xp.transpose(x, tuple(perm) if perm is not None else None)


def _axes_input(node, axes, attr_until: int):
    """Axes from the `axes` attribute (opsets < attr_until) or the optional `axes` input."""
    if node.opset < attr_until:
        return node.attr("axes", None)
    return None if axes is None else node.ints(axes, "axes")


@op("Squeeze", static=True)
def _squeeze(node, x, axes=None):
    axes = _axes_input(node, axes, 13)
    if axes is None:
        return node.xp.squeeze(x)
    return node.xp.squeeze(x, tuple(_axis(node, a, x.ndim) for a in axes))


@op("Unsqueeze", static=True)
def _unsqueeze(node, x, axes=None):
    axes = _axes_input(node, axes, 13)
    if axes is None:
        raise node.fail("axes are required")
    ndim = x.ndim + len(axes)
    axes = sorted(_axis(node, a, ndim) for a in axes)
    shape = list(x.shape)
    for a in axes:
        shape.insert(a, 1)
    return node.xp.reshape(x, tuple(shape))


@op("Concat", static=True)
def _concat(node, *xs):
    xs = [x for x in xs if x is not None]
    axis = node.attr("axis", 1 if node.opset < 4 else None)
    if axis is None:
        raise node.fail("required attribute 'axis' is missing")
    return node.xp.concatenate(xs, axis=axis)


@op("Split", static=True)
def _split(node, x, split=None):
    axis = _axis(node, node.attr("axis", 0), x.ndim)
    sizes = node.attr("split", None) if node.opset < 13 else (None if split is None else node.ints(split, "split"))
    n = len(node.proto.output)
    if sizes is None:
        num = node.attr("num_outputs", n)
        chunk = -(-x.shape[axis] // num)
        sizes = [min(chunk, x.shape[axis] - i * chunk) for i in range(num)]
    if sum(sizes) != x.shape[axis]:
        raise node.fail(f"split sizes {sizes} do not add up to dimension {x.shape[axis]} of axis {axis}")
    return tuple(node.xp.split(x, np.cumsum(sizes)[:-1].tolist(), axis=axis))


def _clamped_slice(n: int, s: int, e: int, step: int) -> slice:
    """ONNX Slice bounds (negative from the end, INT64 sentinels) as a Python slice."""
    s = s + n if s < 0 else s
    e = e + n if e < 0 else e
    if step > 0:
        return slice(max(0, min(n, s)), max(0, min(n, e)), step)
    s, e = max(-1, min(n - 1, s)), max(-1, min(n - 1, e))
    return slice(0, 0) if s < 0 else slice(s, None if e < 0 else e, step)


@op("Slice", static=True)
def _slice(node, x, starts=None, ends=None, axes=None, steps=None):
    if node.opset < 10:
        starts, ends, axes, steps = node.attr("starts"), node.attr("ends"), node.attr("axes", None), None
    else:
        starts, ends = node.ints(starts, "starts"), node.ints(ends, "ends")
        axes = None if axes is None else node.ints(axes, "axes")
        steps = None if steps is None else node.ints(steps, "steps")
    axes = list(range(len(starts))) if axes is None else [_axis(node, a, x.ndim) for a in axes]
    steps = [1] * len(starts) if steps is None else steps
    index = [slice(None)] * x.ndim
    for a, s, e, st in zip(axes, starts, ends, steps, strict=True):
        index[a] = _clamped_slice(x.shape[a], s, e, st)
    return x[tuple(index)]


@op("Gather", static=True)
def _gather(node, x, indices):
    axis = _axis(node, node.attr("axis", 0), x.ndim)
    xp = node.xp
    indices = xp.where(indices < 0, indices + x.shape[axis], indices)
    return xp.take(x, indices, axis=axis)


@op("GatherElements", static=True)
def _gather_elements(node, x, indices):
    axis = _axis(node, node.attr("axis", 0), x.ndim)
    xp = node.xp
    indices = xp.where(indices < 0, indices + x.shape[axis], indices)
    return xp.take_along_axis(x, indices, axis=axis)


@op("GatherND", static=True)
def _gather_nd(node, x, indices):
    b = node.attr("batch_dims", 0)
    xp = node.xp
    k = indices.shape[-1]
    batch = x.shape[:b]
    nb = int(np.prod(batch))
    xf = xp.reshape(x, (nb,) + tuple(x.shape[b:]))
    idx = xp.reshape(indices, (nb, -1, k))
    idx = xp.where(idx < 0, idx + xp.asarray(x.shape[b : b + k], dtype=idx.dtype), idx)
    bidx = xp.broadcast_to(xp.arange(nb).reshape(nb, 1), idx.shape[:2])
    out = xf[(bidx,) + tuple(idx[..., i] for i in range(k))]
    return xp.reshape(out, tuple(indices.shape[:-1]) + tuple(x.shape[b + k :]))


def _scatter_update(node, ref, index, updates, reduction):
    at = node.dev(ref).at[index]
    updates = node.dev(updates)
    if reduction in ("none", None):
        return at.set(updates)
    method = {"add": "add", "mul": "multiply", "max": "max", "min": "min"}.get(reduction)
    if method is None:
        raise node.fail(f"unknown reduction {reduction!r} (expected none, add, mul, max or min)")
    return getattr(at, method)(updates)


@op("ScatterElements", "Scatter")
def _scatter_elements(node, x, indices, updates):
    axis = _axis(node, node.attr("axis", 0), x.ndim)
    indices = jnp.where(node.dev(indices) < 0, node.dev(indices) + x.shape[axis], node.dev(indices))
    grids = list(jnp.meshgrid(*[jnp.arange(n) for n in indices.shape], indexing="ij")) if indices.ndim else []
    grids[axis] = indices
    return _scatter_update(node, x, tuple(grids), updates, node.attr("reduction", "none"))


@op("ScatterND")
def _scatter_nd(node, x, indices, updates):
    indices = node.dev(indices)
    k = indices.shape[-1]
    indices = jnp.where(indices < 0, indices + jnp.asarray(x.shape[:k], indices.dtype), indices)
    return _scatter_update(node, x, tuple(indices[..., i] for i in range(k)), updates, node.attr("reduction", "none"))


@op("Tile", static=True)
def _tile(node, x, repeats, axis=None):
    return node.xp.tile(x, tuple(node.ints(repeats, "repeats")))


@op("Expand", static=True)
def _expand(node, x, shape):
    shape = tuple(node.ints(shape, "the target shape"))
    out = np.broadcast_shapes(tuple(x.shape), shape)
    return node.xp.broadcast_to(x, out)


@op("ConstantOfShape", static=True)
def _constant_of_shape(node, shape):
    value = node.attr("value", np.zeros(1, np.float32)).reshape(-1)
    return np.full(tuple(node.ints(shape, "the shape")), value[0], dtype=value.dtype)


@op("Range", static=True)
def _range(node, start, limit, delta):
    s, lim, d = (node.host(v, name).reshape(()) for v, name in ((start, "start"), (limit, "limit"), (delta, "delta")))
    n = max(int(np.ceil((lim - s) / d)), 0)
    return (s + np.arange(n, dtype=s.dtype) * d).astype(s.dtype)


@op("EyeLike", static=True)
def _eye_like(node, x):
    dt = x.dtype if not node.has_attr("dtype") else _dtype(node, node.attr("dtype"))
    return node.xp.eye(x.shape[0], x.shape[1], k=node.attr("k", 0), dtype=dt)


@op("Trilu", static=True)
def _trilu(node, x, k=None):
    k = 0 if k is None else node.ints(k, "k")[0]
    return node.xp.triu(x, k) if node.attr("upper", 1) else node.xp.tril(x, k)


@op("OneHot", static=True)
def _one_hot(node, indices, depth, values):
    xp = node.xp
    depth = int(node.host(depth, "depth").reshape(-1)[0])
    axis = node.attr("axis", -1)
    axis = axis + indices.ndim + 1 if axis < 0 else axis
    indices = xp.where(indices < 0, indices + depth, indices)
    shape = [1] * (indices.ndim + 1)
    shape[axis] = depth
    hot = xp.expand_dims(indices, axis) == xp.arange(depth).reshape(shape)
    return xp.where(hot, values[1], values[0])


@op("Pad", static=True)
def _pad(node, x, pads=None, value=None, axes=None):
    mode = node.attr("mode", "constant")
    if node.opset < 11:
        pads, value = node.attr("pads", None) or node.attr("paddings"), node.attr("value", 0.0)
    else:
        pads = node.ints(pads, "pads")
        value = 0 if value is None else value
    axes = list(range(x.ndim)) if axes is None else [_axis(node, a, x.ndim) for a in node.ints(axes, "axes")]
    n = len(axes)
    widths = [(0, 0)] * x.ndim
    for i, a in enumerate(axes):
        widths[a] = (pads[i], pads[i + n])
    # negative pads crop
    crop = tuple(slice(-lo if lo < 0 else 0, (hi if hi < 0 else None)) for lo, hi in widths)
    x = x[crop]
    widths = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
    xp = node.xp
    if mode == "constant":
        v = value if isinstance(value, (int, float)) else xp.reshape(value, ())
        return xp.pad(x, widths, mode="constant", constant_values=v)
    if mode not in ("reflect", "edge", "wrap"):
        raise node.fail(f"unknown pad mode {mode!r} (expected constant, reflect, edge or wrap)")
    return xp.pad(x, widths, mode=mode)


@op("DepthToSpace", static=True)
def _depth_to_space(node, x):
    b, c, h, w = x.shape
    s = node.attr("blocksize")
    xp = node.xp
    if node.attr("mode", "DCR") == "DCR":
        y = xp.transpose(xp.reshape(x, (b, s, s, c // (s * s), h, w)), (0, 3, 4, 1, 5, 2))
    else:
        y = xp.transpose(xp.reshape(x, (b, c // (s * s), s, s, h, w)), (0, 1, 4, 2, 5, 3))
    return xp.reshape(y, (b, c // (s * s), h * s, w * s))


@op("SpaceToDepth", static=True)
def _space_to_depth(node, x):
    b, c, h, w = x.shape
    s = node.attr("blocksize")
    xp = node.xp
    if node.attr("mode", "DCR") == "CRD":  # the inverse of DepthToSpace's CRD order
        y = xp.transpose(xp.reshape(x, (b, c, h // s, s, w // s, s)), (0, 1, 3, 5, 2, 4))
        return xp.reshape(y, (b, c * s * s, h // s, w // s))
    y = xp.transpose(xp.reshape(x, (b, c, h // s, s, w // s, s)), (0, 3, 5, 1, 2, 4))
    return xp.reshape(y, (b, c * s * s, h // s, w // s))


@op("ReverseSequence")
def _reverse_sequence(node, x, lens):
    batch_axis, time_axis = node.attr("batch_axis", 1), node.attr("time_axis", 0)
    lens = node.dev(lens)
    t = jnp.arange(x.shape[time_axis])
    shape = [1] * x.ndim
    shape[time_axis] = -1
    tt = jnp.reshape(t, shape)
    lshape = [1] * x.ndim
    lshape[batch_axis] = -1
    ll = jnp.reshape(lens, lshape)
    src = jnp.where(tt < ll, ll - 1 - tt, tt)
    src = jnp.broadcast_to(src, x.shape)
    return jnp.take_along_axis(x, src.astype(jnp.int32), axis=time_axis)


@op("Compress")
def _compress(node, x, condition):
    cond = node.host(condition, "Compress's condition (its output shape depends on it)").astype(bool)
    axis = node.attr("axis", None)
    idx = np.nonzero(cond)[0]
    if axis is None:
        return jnp.take(jnp.reshape(x, (-1,)), idx)
    return jnp.take(x, idx, axis=axis)


@op("NonZero")
def _nonzero(node, x):
    return np.stack(np.nonzero(node.host(x, "NonZero's input (its output shape depends on the values)"))).astype(
        np.int64
    )


@op("Unique")
def _unique(node, x):
    v = node.host(x, "Unique's input (its output shape depends on the values)")
    axis = node.attr("axis", None)
    u, first, inverse, counts = np.unique(v, return_index=True, return_inverse=True, return_counts=True, axis=axis)
    if not node.attr("sorted", 1):
        order = np.argsort(first, kind="stable")
        u = np.take(u, order, axis=axis if axis is not None else 0)
        remap = np.argsort(order)
        first, counts, inverse = first[order], counts[order], remap[inverse]
    return u, first.astype(np.int64), inverse.reshape(-1).astype(np.int64), counts.astype(np.int64)


@op("Det")
def _det(node, x):
    return jnp.linalg.det(x)


@op("Einsum", static=True)
def _einsum(node, *xs):
    return node.xp.einsum(node.attr("equation").replace(" ", ""), *xs)


@op("BitCast")
def _bitcast(node, x):
    return lax.bitcast_convert_type(x, device_dtype(np_dtype(node.attr("to"))))


@op("CumSum", "CumProd", static=True)
def _cumulative(node, x, axis):
    xp = node.xp
    a = _axis(node, node.ints(axis, "axis")[0], x.ndim)
    if node.attr("reverse", 0):
        x = xp.flip(x, a)
    if node.op_type == "CumSum":
        y = xp.cumsum(x, axis=a, dtype=x.dtype)
        if node.attr("exclusive", 0):
            y = y - x
    else:
        y = xp.cumprod(x, axis=a, dtype=x.dtype)
        if node.attr("exclusive", 0):
            first = xp.ones_like(xp.take(x, xp.arange(1), axis=a))
            y = xp.concatenate([first, xp.take(y, xp.arange(x.shape[a] - 1), axis=a)], axis=a)
    return xp.flip(y, a) if node.attr("reverse", 0) else y


@op("TensorScatter")
def _tensor_scatter(node, cache, update, write_indices=None):
    """Write `update` into a KV cache along `axis` at per-batch offsets (linear or circular)."""
    axis = _axis(node, node.attr("axis", -2), cache.ndim)
    length, capacity = update.shape[axis], cache.shape[axis]
    starts = jnp.zeros((cache.shape[0],), jnp.int32) if write_indices is None else node.dev(write_indices)
    pos = starts[:, None] + jnp.arange(length)[None, :]
    if node.attr("mode", "linear") == "circular":
        pos = pos % capacity
    shape = [1] * cache.ndim
    shape[0], shape[axis] = cache.shape[0], length
    grids = list(jnp.meshgrid(*[jnp.arange(n) for n in update.shape], indexing="ij"))
    grids[axis] = jnp.broadcast_to(jnp.reshape(pos, shape), update.shape)
    return _scatter_update(node, cache, tuple(grids), update, "none")
