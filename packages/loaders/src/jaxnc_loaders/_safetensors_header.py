"""The safetensors header: its dtype table, strict validation in the spec's order, and the writer's layout."""

from __future__ import annotations

import collections
import dataclasses
import json
import math
from collections.abc import Callable

import ml_dtypes
import numpy as np

HEADER_LIMIT = (
    100_000_000  # the reference reader's cap on the JSON header's length, in bytes
)
_MAX_DIM = 2**63 - 1  # a dimension must fit NumPy's intp


class SafetensorError(ValueError):
    """A safetensors file or buffer that does not follow the format, or tensors that cannot be saved."""


@dataclasses.dataclass(frozen=True)
class DType:
    """One dtype of the format: its name, its size in bits and the NumPy dtype of one element.

    `packed` dtypes (F4, F6_*) store several elements per byte; their NumPy dtype holds one
    element per byte, so reading them needs unpacking.
    """

    name: str
    bits: int
    numpy: np.dtype

    @property
    def packed(self) -> bool:
        return self.bits % 8 != 0


# NB: listed in the reference's enum order, which is increasing alignment; the writer sorts by it.
DTYPES: dict[str, DType] = {
    d.name: d
    for d in [
        DType("BOOL", 8, np.dtype(np.bool_)),
        DType("F4", 4, np.dtype(ml_dtypes.float4_e2m1fn)),
        DType("F6_E2M3", 6, np.dtype(ml_dtypes.float6_e2m3fn)),
        DType("F6_E3M2", 6, np.dtype(ml_dtypes.float6_e3m2fn)),
        DType("U8", 8, np.dtype("u1")),
        DType("I8", 8, np.dtype("i1")),
        DType("F8_E5M2", 8, np.dtype(ml_dtypes.float8_e5m2)),
        DType("F8_E4M3", 8, np.dtype(ml_dtypes.float8_e4m3fn)),
        DType("F8_E8M0", 8, np.dtype(ml_dtypes.float8_e8m0fnu)),
        DType("F8_E4M3FNUZ", 8, np.dtype(ml_dtypes.float8_e4m3fnuz)),
        DType("F8_E5M2FNUZ", 8, np.dtype(ml_dtypes.float8_e5m2fnuz)),
        DType("I16", 16, np.dtype("<i2")),
        DType("U16", 16, np.dtype("<u2")),
        DType("F16", 16, np.dtype("<f2")),
        DType("BF16", 16, np.dtype(ml_dtypes.bfloat16)),
        DType("I32", 32, np.dtype("<i4")),
        DType("U32", 32, np.dtype("<u4")),
        DType("F32", 32, np.dtype("<f4")),
        DType("C64", 64, np.dtype("<c8")),
        DType("F64", 64, np.dtype("<f8")),
        DType("I64", 64, np.dtype("<i8")),
        DType("U64", 64, np.dtype("<u8")),
    ]
}
_ORDER = {name: i for i, name in enumerate(DTYPES)}
_BY_NUMPY = {
    d.numpy.newbyteorder("<"): d
    for d in DTYPES.values()
    if d.name not in ("F6_E2M3", "F6_E3M2")
}


def dtype_of(array: np.ndarray, name: str) -> DType:
    """The format's dtype for an array about to be saved, or an error naming the tensor."""
    d = _BY_NUMPY.get(array.dtype.newbyteorder("<"))
    if d is None:
        known = sorted(str(k) for k in _BY_NUMPY)
        raise SafetensorError(
            f"tensor {name!r}: dtype {array.dtype} cannot be saved; expected one of {known}"
        )
    return d


@dataclasses.dataclass(frozen=True)
class TensorInfo:
    """Where one tensor lives: `begin`/`end` are byte offsets relative to the data buffer."""

    name: str
    dtype: DType
    shape: tuple[int, ...]
    begin: int
    end: int


@dataclasses.dataclass(frozen=True)
class Header:
    """A validated header: its tensors in file order, the metadata, and where the data buffer starts."""

    tensors: dict[str, TensorInfo]
    metadata: dict[str, str] | None
    data_start: int


def parse_header(read: Callable[[int, int], bytes], size: int) -> Header:
    """Validates a safetensors header in the order of the reference reader.

    Args:
      read: `read(offset, n)` returns n bytes of the file from `offset` (only ever within `size`).
      size: the total size of the file or buffer in bytes.

    Returns:
      The validated header; every tensor's bytes are proven to tile the data buffer exactly.

    Raises:
      SafetensorError: naming what was wrong (and the tensor and offsets where there is one).
    """
    if size < 8:
        raise SafetensorError(
            f"header too small: the file has {size} bytes; expected at least 8 (the header length)"
        )
    n = int.from_bytes(read(0, 8), "little")
    if n > HEADER_LIMIT:
        raise SafetensorError(
            f"header too large: it claims {n} bytes; expected at most {HEADER_LIMIT}"
        )
    if 8 + n > size:
        raise SafetensorError(
            f"invalid header length: it claims {n} bytes but the file has only {size - 8} after the length"
        )
    try:
        text = read(8, n).decode("utf-8")
    except UnicodeDecodeError as e:
        raise SafetensorError(
            f"invalid UTF-8 in header at byte {8 + e.start}; expected a UTF-8 JSON object"
        ) from None
    raw = _loads(text)
    metadata = _metadata(raw.pop("__metadata__", None))
    infos = [_tensor_info(name, entry) for name, entry in raw.items()]
    infos.sort(key=lambda t: (t.begin, t.end))
    previous_end, previous_name = 0, None
    for t in infos:
        if t.begin != previous_end or t.end < t.begin:
            after = (
                f"the previous tensor {previous_name!r} ends at {previous_end}"
                if previous_name
                else "the first tensor begins at 0"
            )
            raise SafetensorError(
                f"invalid offset for tensor {t.name!r}: data_offsets [{t.begin}, {t.end}] leave a hole or overlap; "
                f"expected BEGIN {previous_end} ({after}) and END >= BEGIN"
            )
        _check_span(t)
        previous_end, previous_name = t.end, t.name
    if 8 + n + previous_end > size:
        t = infos[-1]
        raise SafetensorError(
            f"incomplete metadata: tensor {t.name!r} has data_offsets [{t.begin}, {t.end}] but the data "
            f"buffer has only {size - 8 - n} bytes (the file is {size}); expected the file to hold every tensor"
        )
    if 8 + n + previous_end < size:
        raise SafetensorError(
            f"incomplete metadata, file not fully covered: tensors end at data offset {previous_end} "
            f"(file offset {8 + n + previous_end}) but the file has {size} bytes; expected them to be equal"
        )
    return Header({t.name: t for t in infos}, metadata, 8 + n)


def _loads(text: str) -> dict:
    def no_duplicates(pairs: list[tuple[str, object]]) -> dict:
        out = dict(pairs)
        if len(out) != len(pairs):
            dups = sorted(
                k
                for k, count in collections.Counter(k for k, _ in pairs).items()
                if count > 1
            )
            raise SafetensorError(
                f"invalid header: the keys {dups} appear more than once; expected unique keys"
            )
        return out

    def no_constants(name: str) -> float:
        raise SafetensorError(
            f"invalid JSON in header: {name} is not JSON; expected integers and strings"
        )

    try:
        raw = json.loads(
            text, object_pairs_hook=no_duplicates, parse_constant=no_constants
        )
    except (json.JSONDecodeError, RecursionError, ValueError) as e:
        if isinstance(e, SafetensorError):
            raise
        raise SafetensorError(
            f"invalid JSON in header: {type(e).__name__}: {str(e)[:200]}"
        ) from None
    if not isinstance(raw, dict):
        raise SafetensorError(
            f"invalid JSON in header: found a {type(raw).__name__}; expected an object"
        )
    return raw


def _metadata(value: object) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not all(
        isinstance(v, str) for v in value.values()
    ):
        raise SafetensorError(
            f"invalid JSON in header: __metadata__ is {str(value)[:100]}; expected a map of strings to strings"
        )
    return value


def _is_uint(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


def _tensor_info(name: str, entry: object) -> TensorInfo:
    if not isinstance(entry, dict):
        raise SafetensorError(
            f"invalid JSON in header: tensor {name!r} is {str(entry)[:100]}; expected an object with dtype, shape, data_offsets"
        )
    dtype, shape, offsets = (
        entry.get("dtype"),
        entry.get("shape"),
        entry.get("data_offsets"),
    )
    if not isinstance(dtype, str) or dtype not in DTYPES:
        raise SafetensorError(
            f"tensor {name!r}: unknown dtype {str(dtype)[:50]!r}; expected one of {list(DTYPES)}"
        )
    if not isinstance(shape, list) or not all(
        _is_uint(d) and d <= _MAX_DIM for d in shape
    ):
        raise SafetensorError(
            f"tensor {name!r}: invalid shape {str(shape)[:100]}; expected a list of non-negative integers below 2**63"
        )
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(_is_uint(o) for o in offsets)
    ):
        raise SafetensorError(
            f"tensor {name!r}: invalid data_offsets {str(offsets)[:100]}; expected [BEGIN, END], non-negative integers"
        )
    return TensorInfo(name, DTYPES[dtype], tuple(shape), offsets[0], offsets[1])


def _check_span(t: TensorInfo) -> None:
    nbits = (
        math.prod(t.shape) * t.dtype.bits
    )  # NB: Python ints, so a huge shape cannot wrap around
    if nbits % 8:
        raise SafetensorError(
            f"tensor {t.name!r}: shape {list(t.shape)} of {t.dtype.name} is {nbits} bits; expected a whole number of bytes"
        )
    if t.end - t.begin != nbits // 8:
        raise SafetensorError(
            f"tensor {t.name!r}: shape {list(t.shape)} of {t.dtype.name} needs {nbits // 8} bytes but "
            f"data_offsets [{t.begin}, {t.end}] span {t.end - t.begin}; expected them to match"
        )


def build_header(
    entries: list[tuple[str, DType, tuple[int, ...], int]],
    metadata: dict[str, str] | None,
) -> bytes:
    """The reference writer's header: metadata first, then tensors in the given order, padded to 8 bytes.

    Args:
      entries: (name, dtype, shape, nbytes) per tensor, in the order their bytes follow.
      metadata: an optional map of strings to strings.

    Returns:
      The 8-byte length followed by the JSON header, so that the data starts 8-aligned.
    """
    header: dict[str, object] = {}
    if metadata is not None:
        if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
        ):
            raise SafetensorError(
                f"metadata {str(metadata)[:100]} is not valid; expected a dict of str to str"
            )
        header["__metadata__"] = metadata
    offset = 0
    for name, dtype, shape, nbytes in entries:
        header[name] = {
            "dtype": dtype.name,
            "shape": list(shape),
            "data_offsets": [offset, offset + nbytes],
        }
        offset += nbytes
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return len(text).to_bytes(8, "little") + text


def writer_order(name: str, dtype: DType) -> tuple[int, str]:
    """The reference writer's order: descending alignment, then name."""
    return (-_ORDER[dtype.name], name)
