"""ONNX element types <-> NumPy dtypes, and the dtype a value takes on jaxnc (64-bit types narrowed)."""

from __future__ import annotations

import jaxnc
import numpy as np
from onnx import TensorProto, helper


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
