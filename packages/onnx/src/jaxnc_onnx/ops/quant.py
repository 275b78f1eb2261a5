"""Linear quantization ops (QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, integer MatMul/Conv)."""

from __future__ import annotations

import ml_dtypes
import numpy as np

import jaxnc.numpy as jnp

from ..dtypes import host_cast, np_dtype, on_device
from .registry import op


def _per_axis(node, v, x):
    """A scale or zero point broadcast against x: scalar, per-axis (1-D) or blocked (block_size)."""
    if v is None or v.ndim == 0 or v.size == 1:
        return jnp.reshape(v, ()) if v is not None else None
    axis = node.attr("axis", 1)
    axis = axis + x.ndim if axis < 0 else axis
    block = node.attr("block_size", 0)
    if block:
        return jnp.repeat(v, block, axis=axis)[tuple(slice(0, n) for n in x.shape)]
    shape = [1] * x.ndim
    shape[axis] = -1
    return jnp.reshape(v, shape)


_RANGES = {np.dtype(t): (np.iinfo(t).min, np.iinfo(t).max) for t in (np.int8, np.uint8, np.int16, np.uint16, np.int32)}


@op("QuantizeLinear")
def _quantize(node, x, scale, zero_point=None):
    out_dtype = np.dtype(zero_point.dtype) if zero_point is not None else np.dtype(np.uint8)
    if node.has_attr("output_dtype") and node.attr("output_dtype"):
        out_dtype = np_dtype(node.attr("output_dtype"))
    zp = 0 if zero_point is None else _per_axis(node, _device_float(node, zero_point), x)
    q = x / _per_axis(node, scale, x)
    if out_dtype not in _RANGES:  # float8/int4/...: saturating host cast, eager only
        q = node.host(q if "float" in out_dtype.name else jnp.round(q), "a value quantized to a host-only dtype")
        q = q + node.host(zp, "zero point")
        if "int" in out_dtype.name:
            info = ml_dtypes.iinfo(out_dtype)
            q = np.clip(q, info.min, info.max)
        return host_cast(q, out_dtype, bool(node.attr("saturate", 1)))
    lo, hi = _RANGES[out_dtype]
    return jnp.clip(jnp.round(q) + zp, lo, hi).astype(out_dtype)


def _device_float(node, v):
    """A value as float32 on jaxnc; host-only dtypes (float8, int4) are widened on the host first."""
    if isinstance(v, np.ndarray) and not on_device(v.dtype):
        return node.dev(v.astype(np.float32))
    return node.dev(v).astype(jnp.float32)


@op("DequantizeLinear")
def _dequantize(node, x, scale, zero_point=None):
    xf = _device_float(node, x)
    if zero_point is not None:
        xf = xf - _per_axis(node, _device_float(node, zero_point), x)
    return (xf * _per_axis(node, scale, x)).astype(scale.dtype)


@op("DynamicQuantizeLinear")
def _dynamic_quantize(node, x):
    lo = jnp.minimum(jnp.min(x), 0.0)
    hi = jnp.maximum(jnp.max(x), 0.0)
    scale = (hi - lo) / 255.0
    zp = jnp.clip(jnp.round(-lo / scale), 0, 255)
    y = jnp.clip(jnp.round(x / scale) + zp, 0, 255)
    return y.astype(jnp.uint8), scale.astype(jnp.float32), zp.astype(jnp.uint8)


def _minus_zero(node, v, zp, axis_dim):
    v = node.dev(v).astype(jnp.int32)
    if zp is None:
        return v
    zp = node.dev(zp).astype(jnp.int32)
    if zp.ndim == 1 and zp.size > 1:
        shape = [1] * v.ndim
        shape[axis_dim] = -1
        zp = jnp.reshape(zp, shape)
    return v - zp


@op("MatMulInteger")
def _matmul_integer(node, a, b, a_zp=None, b_zp=None):
    return jnp.matmul(_minus_zero(node, a, a_zp, -2), _minus_zero(node, b, b_zp, -1))


@op("ConvInteger")
def _conv_integer(node, x, w, x_zp=None, w_zp=None):
    from .nn import _conv

    return _conv(node, _minus_zero(node, x, x_zp, 1), _minus_zero(node, w, w_zp, 0))


@op("QLinearMatMul")
def _qlinear_matmul(node, a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp):
    # per-column (last axis) scales and zero points of b broadcast as they are
    af = (_device_float(node, a) - _device_float(node, a_zp)) * a_scale
    bf = (_device_float(node, b) - _device_float(node, b_zp)) * b_scale
    y = jnp.round(jnp.matmul(af, bf) / y_scale) + _device_float(node, y_zp)
    lo, hi = _RANGES[np.dtype(y_zp.dtype)]
    return jnp.clip(y, lo, hi).astype(y_zp.dtype)


@op("QLinearConv")
def _qlinear_conv(node, x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, b=None):
    from .nn import _conv

    xf = (node.dev(x).astype(jnp.float32) - node.dev(x_zp).astype(jnp.float32)) * x_scale
    ws = jnp.reshape(w_scale, (-1,) + (1,) * (w.ndim - 1)) if np.size(w_scale) > 1 else w_scale
    wz = jnp.reshape(node.dev(w_zp), (-1,) + (1,) * (w.ndim - 1)) if np.size(w_zp) > 1 else node.dev(w_zp)
    wf = (node.dev(w).astype(jnp.float32) - wz.astype(jnp.float32)) * ws
    y = _conv(
        node, xf, wf, None if b is None else node.dev(b).astype(jnp.float32) * (x_scale * jnp.reshape(w_scale, (-1,)))
    )
    y = jnp.round(y / y_scale) + node.dev(y_zp).astype(jnp.float32)
    lo, hi = _RANGES[np.dtype(y_zp.dtype)]
    return jnp.clip(y, lo, hi).astype(y_zp.dtype)
