"""ONNX element types <-> NumPy dtypes, and the dtype a value takes on jaxnc (64-bit types narrowed)."""

from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper, numpy_helper

import jaxnc


def np_dtype(elem_type: int) -> np.dtype:
    """The NumPy (or ml_dtypes) dtype of an ONNX element type; raises TypeError for types without one."""
    try:
        return np.dtype(helper.tensor_dtype_to_np_dtype(elem_type))
    except (KeyError, TypeError, ValueError) as e:
        raise TypeError(f"ONNX element type {onnx_type_name(elem_type)} has no NumPy dtype") from e


def onnx_type_name(elem_type: int) -> str:
    try:
        return TensorProto.DataType.Name(elem_type)
    except ValueError:
        return str(elem_type)


_NARROW = {np.dtype(np.int64): np.dtype(np.int32), np.dtype(np.uint64): np.dtype(np.uint32),
           np.dtype(np.float64): np.dtype(np.float32), np.dtype(np.complex128): np.dtype(np.complex64)}  # fmt: skip


def device_dtype(dtype) -> np.dtype:
    """The dtype `dtype` takes on a jaxnc array: 64-bit types narrow unless x64 is enabled."""
    dtype = np.dtype(dtype)
    if jaxnc.config.jax_enable_x64:
        return dtype
    return _NARROW.get(dtype, dtype)


_ON_DEVICE: dict[np.dtype, bool] = {}


def on_device(dtype) -> bool:
    """Whether jaxnc arrays can hold `dtype` (float8, int4, float4 ... stay host values)."""
    dtype = np.dtype(dtype)
    if dtype not in _ON_DEVICE:
        import jaxnc.numpy as jnp

        try:
            jnp.asarray(np.zeros(0, dtype))
            _ON_DEVICE[dtype] = True
        except TypeError:
            _ON_DEVICE[dtype] = False
    return _ON_DEVICE[dtype]


def host_cast(x: np.ndarray, dtype, saturate: bool = True, round_mode: str = "up") -> np.ndarray:
    """Cast on the host (ml_dtypes), saturating to the target's finite range as ONNX Cast/QuantizeLinear do;
    `round_mode` ("up", "down" or "nearest") is Cast's rounding to float8e8m0."""
    import ml_dtypes

    dtype = np.dtype(dtype)
    x = np.asarray(x)
    if x.dtype == dtype:
        return x
    if dtype == ml_dtypes.float8_e8m0fnu:
        return numpy_helper.to_float8e8m0(x.astype(np.float32), saturate, round_mode)
    if "int" in dtype.name and dtype.itemsize == 1 and dtype.name not in ("int8", "uint8"):
        if x.dtype.kind not in "biu":
            # NB: float -> fixed point is undefined out of range in ONNX; ml_dtypes truncates toward zero
            # (0 out of range from 0.7 on), as ONNX's reference does (QuantizeLinear clips before)
            return x.astype(dtype)
        # fixed point -> sub-byte ints: the higher bits are discarded, as the spec says
        v = x.astype(np.int64)
        bits = int(dtype.name.lstrip("uint"))
        v = v % (1 << bits)
        if not dtype.name.startswith("u"):
            v = np.where(v >= 1 << (bits - 1), v - (1 << bits), v)
        return v.astype(dtype)
    if "float" in dtype.name and dtype.itemsize == 1:
        if saturate and x.dtype.kind == "f":
            hi = float(ml_dtypes.finfo(dtype).max)
            x = np.where(np.isnan(x), x, np.clip(x.astype(np.float32), -hi, hi))
        return x.astype(dtype)
    return x.astype(dtype)
