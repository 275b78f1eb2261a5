"""The concrete Array: an abstract value plus a core-owned backend Buffer; never consumed by ops."""

from __future__ import annotations

import sys

import numpy as np

from jaxnc._src import core, dtypes
from jaxnc._src.array_methods import ArrayMethods
from jaxnc._src.backends.base import Buffer
from jaxnc._src.backends.registry import default_device


class Array(ArrayMethods):
    """A jaxnc array on a device. Operations never consume it; `delete()` releases it early."""

    __slots__ = ("aval", "_buf", "_deleted_at", "_committed", "__weakref__")

    def __init__(self, *args, **kwargs) -> None:
        raise TypeError("Arrays are made with jaxnc.numpy.asarray/array or jaxnc.device_put")

    @staticmethod
    def _new(aval: core.ShapedArray, buf: Buffer, committed: bool = False) -> Array:
        self = object.__new__(Array)
        self.aval = aval
        self._buf = buf
        self._deleted_at = None
        self._committed = committed
        return self

    # --- metadata --------------------------------------------------------------------------------
    shape = property(lambda self: self.aval.shape)
    dtype = property(lambda self: self.aval.dtype)
    ndim = property(lambda self: len(self.aval.shape))
    size = property(lambda self: self.aval.size)
    weak_type = property(lambda self: self.aval.weak_type)
    itemsize = property(lambda self: self.aval.dtype.itemsize)
    nbytes = property(lambda self: self.aval.size * self.aval.dtype.itemsize)
    committed = property(lambda self: self._committed)

    @property
    def device(self):
        return self._buffer().device

    def devices(self) -> set:
        return {self.device}

    @property
    def sharding(self):
        return self.device

    # --- ownership -------------------------------------------------------------------------------
    def _buffer(self) -> Buffer:
        buf = self._buf
        if buf is None:
            raise RuntimeError(f"Array has been deleted (deleted at {self._deleted_at}).")
        return buf

    def delete(self) -> None:
        """Release this array's reference to its buffer now (freed when no other Array shares it)."""
        if self._buf is None:
            return
        f = sys._getframe(1)
        self._deleted_at = f"{f.f_code.co_filename}:{f.f_lineno}"
        self._buf = None

    dispose = delete

    def is_deleted(self) -> bool:
        return self._buf is None

    def __enter__(self) -> Array:
        return self

    def __exit__(self, *exc) -> None:
        self.delete()

    # --- reading ---------------------------------------------------------------------------------
    def _value(self) -> np.ndarray:
        buf = self._buffer()
        return buf.device.backend.get(buf.handle)

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        value = self._value()
        if dtype is not None and np.dtype(dtype) != value.dtype:
            return value.astype(dtype)
        if copy:
            return value.copy()
        return value

    def block_until_ready(self) -> Array:
        buf = self._buffer()
        buf.device.backend.block_until_ready(buf.handle)
        return self

    def copy_to_host_async(self) -> None:
        self._buffer()

    def tolist(self):
        return self._value().tolist()

    def item(self, *args):
        return self._value().item(*args)

    def tobytes(self, order="C") -> bytes:
        return self._value().tobytes(order)

    def to_device(self, device, stream=None) -> Array:
        """A copy on `device` (the array API's name for `device_put`)."""
        if stream is not None:
            raise NotImplementedError("to_device: the stream argument is not supported")
        return device_put(self, device)

    def __dlpack__(self, *args, **kwargs):
        value = self._value()
        if not isinstance(value, np.ndarray):
            raise BufferError(f"__dlpack__ needs host memory; this array lives on {self.device}")
        return value.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return (1, 0)  # kDLCPU

    def __bool__(self) -> bool:
        if self.size != 1:
            raise ValueError(
                f"The truth value of an array with more than one element is ambiguous (shape {self.shape}); "
                "use a.any() or a.all()"
            )
        return bool(self._value())

    def __int__(self) -> int:
        return int(self._value())

    def __float__(self) -> float:
        return float(self._value())

    def __complex__(self) -> complex:
        return complex(self._value())

    def __index__(self) -> int:
        if not dtypes.is_integer(self.dtype) or self.ndim:
            raise TypeError(f"only integer scalar arrays can be converted to a scalar index, got {self.aval.str_short()}")
        return int(self._value())

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    def __hash__(self):
        raise TypeError("unhashable type: 'Array'")

    def __format__(self, spec: str) -> str:
        if self.ndim == 0:
            return format(self._value().item(), spec)
        return format(self._value(), spec)

    def __reduce__(self):
        return (_reconstruct, (np.asarray(self), self.weak_type))

    def __repr__(self) -> str:
        if self._buf is None:
            return f"Array(<deleted>, shape={self.shape}, dtype={self.dtype.name})"
        if self.size == 0:
            body = f"[], shape={self.shape}"  # as JAX: the brackets alone would hide the shape
        else:
            body = np.array2string(self._value(), separator=", ", prefix="Array(")
        weak = ", weak_type=True" if self.weak_type else ""
        return f"Array({body}, dtype={self.dtype.name}{weak})"

    def __str__(self) -> str:
        return str(self._value())

    def to_concrete_value(self):
        return self._value()


def _reconstruct(value: np.ndarray, weak_type: bool) -> Array:
    return device_put_numpy(value, None, weak_type)


def device_put_numpy(value, device=None, weak_type: bool = False, committed: bool = False) -> Array:
    """An Array holding a copy of a NumPy value (dtype canonicalized for x64) on `device`."""
    value = np.asarray(value)
    dt = dtypes.canonicalize_dtype(value.dtype)
    if dt != value.dtype:
        value = value.astype(dt)
    if device is None:
        device = default_device()
    backend = device.backend
    if not backend.supports(dt):
        raise TypeError(f"dtype {dt} is not supported on device {device}")
    handle = backend.put(value, device)
    aval = core.ShapedArray(value.shape, dt, weak_type)
    return Array._new(aval, Buffer(handle, device, value.nbytes, aval), committed)


def as_arrays(xs) -> list:
    """Python and NumPy scalars/arrays among `xs` as jax Arrays on the default device; Arrays, tracers,
    symbolic zeros and values with no array type (float0, functions) unchanged. Transformations hand
    users (and custom rules) Arrays, as JAX does."""
    out = []
    for x in xs:
        if not (x is None or type(x) is Array or isinstance(x, (core.Tracer, core.Zero))):
            try:
                aval = core.get_aval(x)
            except TypeError:
                pass
            else:
                x = device_put_numpy(np.asarray(x, aval.dtype), None, aval.weak_type)
        out.append(x)
    return out


def device_put(x, device=None):
    """Place a value (or a pytree of values) on `device` (default device when None); inputs stay valid."""
    from jaxnc._src.tree_util import tree_map

    if isinstance(device, str):
        from jaxnc._src.backends.registry import devices

        device = devices(device)[0]
    return tree_map(lambda leaf: _put_leaf(leaf, device), x)


def _put_leaf(x, device):
    if isinstance(x, core.Tracer):
        return x
    if isinstance(x, Array):
        buf = x._buffer()
        if device is None or buf.device is device:
            return Array._new(x.aval, buf, x._committed or device is not None)
        return device_put_numpy(x._value(), device, x.weak_type, committed=True)
    dt, weak = dtypes.dtype_and_weak(x)
    return device_put_numpy(np.asarray(x, dtype=dt), device, weak, committed=device is not None)


class _ArrayTypeMeta(type):
    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, (Array, core.Tracer))

    def __subclasscheck__(cls, sub) -> bool:
        return issubclass(sub, (Array, core.Tracer))


class ArrayType(metaclass=_ArrayTypeMeta):
    """`jaxnc.Array` for annotations and isinstance checks: concrete arrays and traced values alike,
    as `jax.Array` is. Arrays are made with `jaxnc.numpy.asarray` or `jaxnc.device_put`."""

    def __new__(cls, *args, **kwargs):
        raise TypeError("Arrays are made with jaxnc.numpy.asarray/array or jaxnc.device_put")
