"""safetensors files: memory-mapped, lazy, validated loading and atomic saving, with the `safetensors` package's names.

>>> import numpy as np
>>> from jaxnc_loaders import safetensors
>>> data = safetensors.save({"w": np.arange(6, dtype=np.float32).reshape(2, 3)}, metadata={"format": "np"})
>>> safetensors.load(data, framework="numpy")["w"].tolist()
[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
"""

from __future__ import annotations

import math
import mmap
import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from jaxnc_loaders._arrays import check_framework, from_numpy, to_numpy
from jaxnc_loaders._atomic import atomic_write
from jaxnc_loaders._safetensors_header import (
    DTYPES,
    Header,
    SafetensorError,
    TensorInfo,
    build_header,
    dtype_of,
    parse_header,
    writer_order,
)

__all__ = [
    "DTYPES",
    "SafetensorError",
    "load",
    "load_file",
    "safe_open",
    "save",
    "save_file",
]


def _unpack_f4(raw: np.ndarray, info: TensorInfo) -> np.ndarray:
    # Two 4-bit elements per byte, the first in the low nibble (torch's float4_e2m1fn_x2 and XLA's order).
    out = np.empty(raw.size * 2, dtype=np.uint8)
    out[0::2] = raw & 0x0F
    out[1::2] = raw >> 4
    return out.view(info.dtype.numpy).reshape(info.shape)


def _pack_f4(array: np.ndarray, name: str) -> np.ndarray:
    nibbles = array.reshape(-1).view(np.uint8) & 0x0F
    if nibbles.size % 2:
        raise SafetensorError(
            f"tensor {name!r}: F4 with {nibbles.size} elements is not a whole number of bytes; expected an even count"
        )
    return nibbles[0::2] | (nibbles[1::2] << 4)


def _tensor(buffer: Any, header: Header, info: TensorInfo) -> np.ndarray:
    """The tensor as an ndarray: a read-only view of `buffer` when aligned, a copy otherwise."""
    offset = header.data_start + info.begin
    if info.end == info.begin:
        return np.empty(info.shape, dtype=info.dtype.numpy)
    if info.dtype.name == "F4":
        return _unpack_f4(
            np.frombuffer(buffer, np.uint8, info.end - info.begin, offset), info
        )
    if info.dtype.packed:
        raise SafetensorError(
            f"tensor {info.name!r}: reading {info.dtype.name} is not supported (its bit packing order is unspecified); "
            "expected any other dtype"
        )
    array = np.frombuffer(buffer, info.dtype.numpy, math.prod(info.shape), offset)
    if not array.flags.aligned:
        array = array.copy()
    return array.reshape(info.shape)


class _Slice:
    """`safe_open(...).get_slice(name)`: the shape and dtype without reading, and `[...]` reading only what is indexed."""

    def __init__(self, owner: safe_open, info: TensorInfo):
        self._owner, self._info = owner, info

    def get_shape(self) -> list[int]:
        return list(self._info.shape)

    def get_dtype(self) -> str:
        return self._info.dtype.name

    def __getitem__(self, index: Any) -> Any:
        view = self._owner._numpy(self._info)
        return self._owner._convert(np.array(view[index]))


class safe_open:
    """Opens a safetensors file through a memory map; tensors are read lazily, one at a time.

    Args:
      path: the file.
      framework: "jaxnc" (default) for jaxnc Arrays, or "numpy"/"np" for ndarrays (read-only
        views of the mapped file where the data is aligned).
      device: for "jaxnc", where to place tensors (None: the default device).

    Raises:
      SafetensorError: the header is invalid (checked in full before any tensor is read).
    """

    def __init__(
        self, path: str | os.PathLike, framework: str = "jaxnc", device: Any = None
    ):
        self._framework = check_framework(framework)
        if self._framework == "numpy" and device is not None:
            raise ValueError(
                f"device={device!r} was given with framework='numpy'; expected device=None"
            )
        self._device = device
        self._path = os.fspath(path)
        self._file = open(self._path, "rb")  # noqa: SIM115 - closed by close()/__exit__
        self._map: mmap.mmap | None = None
        try:
            size = os.fstat(self._file.fileno()).st_size
            self._header = parse_header(self._read, size)
            self._map = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ)
        except BaseException:
            self._file.close()
            raise

    def _read(self, offset: int, n: int) -> bytes:
        self._file.seek(offset)
        return self._file.read(n)

    def _numpy(self, info: TensorInfo) -> np.ndarray:
        if self._map is None:
            raise SafetensorError(
                f"{self._path}: the file is closed; expected to read tensors inside the with block"
            )
        return _tensor(self._map, self._header, info)

    def _convert(self, array: np.ndarray) -> Any:
        return from_numpy(array, self._framework, self._device)

    def _info(self, name: str) -> TensorInfo:
        info = self._header.tensors.get(name)
        if info is None:
            raise SafetensorError(
                f"{self._path}: no tensor named {name!r}; expected one of {list(self._header.tensors)[:20]}"
            )
        return info

    def keys(self) -> list[str]:
        """The tensor names, sorted (as the safetensors package returns them)."""
        return sorted(self._header.tensors)

    def offset_keys(self) -> list[str]:
        """The tensor names in the order of their bytes in the file."""
        return list(self._header.tensors)

    def metadata(self) -> dict[str, str] | None:
        """The header's `__metadata__` map, or None."""
        return self._header.metadata

    def get_tensor(self, name: str) -> Any:
        """Reads one tensor (only its pages of the file are touched)."""
        return self._convert(self._numpy(self._info(name)))

    def get_slice(self, name: str) -> _Slice:
        """A lazy handle: `.get_shape()`, `.get_dtype()` and `[index]` (NumPy basic indexing)."""
        return _Slice(self, self._info(name))

    def close(self) -> None:
        """Releases the file. NumPy views still alive keep the mapping alive until they are freed."""
        if self._map is not None:
            try:
                self._map.close()
            except BufferError:
                pass  # NB: views returned to the caller still point into the map; it closes when they die
            self._map = None
        self._file.close()

    def __enter__(self) -> safe_open:  # noqa: PYI034 - typing.Self needs Python 3.11
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def load_file(
    path: str | os.PathLike, device: Any = None, *, framework: str = "jaxnc"
) -> dict[str, Any]:
    """Loads every tensor of a safetensors file.

    Args:
      path: the file.
      device: for framework "jaxnc", the device to place tensors on (None: the default device).
      framework: "jaxnc" for jaxnc Arrays (64-bit dtypes follow `jaxnc.device_put`'s x64 rule),
        or "numpy" for exact ndarrays.

    Returns:
      A dict from tensor name to array, in file order.
    """
    with safe_open(path, framework=framework, device=device) as f:
        return {name: f.get_tensor(name) for name in f.offset_keys()}


def load(
    data: bytes, *, framework: str = "jaxnc", device: Any = None
) -> dict[str, Any]:
    """Loads every tensor from the bytes of a safetensors file (see `load_file`)."""
    framework = check_framework(framework)
    buffer = memoryview(data).cast("B")
    header = parse_header(
        lambda offset, n: bytes(buffer[offset : offset + n]), buffer.nbytes
    )
    return {
        name: from_numpy(_tensor(buffer, header, info), framework, device)
        for name, info in header.tensors.items()
    }


def _layout(
    tensors: Mapping[str, Any], metadata: dict[str, str] | None
) -> tuple[bytes, list[np.ndarray]]:
    """The header and each tensor's little-endian bytes (as uint8 arrays), in the reference writer's order."""
    if not isinstance(tensors, Mapping):
        raise SafetensorError(
            f"tensors is a {type(tensors).__name__}; expected a dict of str to arrays"
        )
    arrays = []
    for name, value in tensors.items():
        if not isinstance(name, str) or name == "__metadata__":
            raise SafetensorError(
                f"tensor name {name!r} is not allowed; expected a str other than '__metadata__'"
            )
        array = to_numpy(value)
        dtype = dtype_of(array, name)
        arrays.append(
            (
                name,
                dtype,
                np.asarray(array, dtype=array.dtype.newbyteorder("<"), order="C"),
            )
        )
    arrays.sort(key=lambda entry: writer_order(entry[0], entry[1]))
    entries, blobs = [], []
    for name, dtype, array in arrays:
        blob = (
            _pack_f4(array, name)
            if dtype.name == "F4"
            else array.reshape(-1).view(np.uint8)
        )
        entries.append((name, dtype, array.shape, blob.nbytes))
        blobs.append(blob)
    return build_header(entries, metadata), blobs


def save(tensors: Mapping[str, Any], metadata: dict[str, str] | None = None) -> bytes:
    """The bytes of a safetensors file holding `tensors` (jaxnc Arrays or anything `np.asarray` reads).

    Args:
      tensors: a dict from name to array.
      metadata: an optional dict of str to str, stored as `__metadata__`.

    Returns:
      The file's bytes, laid out as the safetensors package lays them out.
    """
    header, blobs = _layout(tensors, metadata)
    return header + b"".join(blob.tobytes() for blob in blobs)


def save_file(
    tensors: Mapping[str, Any],
    path: str | os.PathLike,
    metadata: dict[str, str] | None = None,
) -> None:
    """Writes `tensors` to a safetensors file atomically: readers see the old file or the whole new one."""
    header, blobs = _layout(tensors, metadata)
    with atomic_write(path) as f:
        f.write(header)
        for blob in blobs:
            f.write(memoryview(blob))
