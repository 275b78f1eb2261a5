"""dtypes: the supported set, x64 canonicalization and JAX's type-promotion lattice with weak types."""

from __future__ import annotations

import builtins
import functools

import ml_dtypes
import numpy as np

from jaxnc._src.config import config

bool_ = np.dtype(np.bool_)
int8, int16, int32, int64 = (np.dtype(t) for t in (np.int8, np.int16, np.int32, np.int64))
uint8, uint16, uint32, uint64 = (np.dtype(t) for t in (np.uint8, np.uint16, np.uint32, np.uint64))
float16, float32, float64 = (np.dtype(t) for t in (np.float16, np.float32, np.float64))
bfloat16 = np.dtype(ml_dtypes.bfloat16)
complex64, complex128 = np.dtype(np.complex64), np.dtype(np.complex128)
# The dtype of tangents of integer and boolean values (JAX's float0: zero-sized, carries no data).
float0 = np.dtype([("float0", np.void, 0)])

SUPPORTED = (
    bool_, int8, int16, int32, int64, uint8, uint16, uint32, uint64,
    float16, bfloat16, float32, float64, complex64, complex128,
)  # fmt: skip
_SUPPORTED_SET = frozenset(SUPPORTED)
_TO_32 = {int64: int32, uint64: uint32, float64: float32, complex128: complex64}


def x64_enabled() -> bool:
    return bool(config.jax_enable_x64)


def canonicalize_dtype(dtype) -> np.dtype:
    """The dtype jaxnc stores for `dtype`: 64-bit types become 32-bit unless x64 is on, as in JAX."""
    dt = np.dtype(dtype)
    if dt not in _SUPPORTED_SET:
        raise TypeError(f"dtype {dt} is not supported by jaxnc; supported: {', '.join(map(str, SUPPORTED))}")
    if not config.jax_enable_x64:
        return _TO_32.get(dt, dt)
    return dt


def default_int_dtype() -> np.dtype:
    return int64 if config.jax_enable_x64 else int32


def default_uint_dtype() -> np.dtype:
    return uint64 if config.jax_enable_x64 else uint32


def default_float_dtype() -> np.dtype:
    return float64 if config.jax_enable_x64 else float32


def default_complex_dtype() -> np.dtype:
    return complex128 if config.jax_enable_x64 else complex64


def is_float(dt) -> bool:
    dt = np.dtype(dt)
    return dt.kind == "f" or dt == bfloat16


def is_complex(dt) -> bool:
    return np.dtype(dt).kind == "c"


def is_inexact(dt) -> bool:
    return is_float(dt) or is_complex(dt)


def is_integer(dt) -> bool:
    return np.dtype(dt).kind in "iu"


def is_unsigned(dt) -> bool:
    return np.dtype(dt).kind == "u"


def is_bool(dt) -> bool:
    return np.dtype(dt) == bool_


def finfo(dt):
    """`jnp.finfo` (bfloat16 through ml_dtypes)."""
    return ml_dtypes.finfo(np.dtype(dt))


def iinfo(dt):
    return ml_dtypes.iinfo(np.dtype(dt)) if np.dtype(dt).kind in "iu" else np.iinfo(dt)


# --- the promotion lattice (JAX's, "type promotion semantics" JEP 9407) --------------------------
# Nodes are dtypes or the weak kinds "i*", "f*", "c*" (Python int / float / complex).
_LATTICE: dict[object, list[object]] = {
    bool_: ["i*"],
    "i*": [uint8, int8],
    uint8: [int16, uint16],
    uint16: [int32, uint32],
    uint32: [int64, uint64],
    uint64: ["f*"],
    int8: [int16],
    int16: [int32],
    int32: [int64],
    int64: ["f*"],
    "f*": ["c*", float16, bfloat16],
    float16: [float32],
    bfloat16: [float32],
    float32: [float64, complex64],
    float64: [complex128],
    "c*": [complex64],
    complex64: [complex128],
    complex128: [],
}


@functools.cache
def _upper_bounds(node, x64: bool) -> frozenset:
    # NB: with x64 off, uint32 x int32 joins at int32 rather than forming int64 (JAX's x32 lattice)
    nexts = [int32, uint64] if node == uint32 and not x64 else _LATTICE[node]
    out = {node}
    for nxt in nexts:
        out |= _upper_bounds(nxt, x64)
    return frozenset(out)


@functools.cache
def _join(a, b, x64: bool):
    common = _upper_bounds(a, x64) & _upper_bounds(b, x64)
    for cand in common:  # the least upper bound is below every other common bound
        if all(other in _upper_bounds(cand, x64) for other in common):
            return cand
    raise TypeError(f"no common type for {a} and {b}")  # pragma: no cover - the lattice is complete


def _node(dt: np.dtype, weak: bool):
    if not weak:
        return dt
    if dt.kind in "iu":
        return "i*"
    if dt.kind == "c":
        return "c*"
    if dt.kind == "f" or dt == bfloat16:
        return "f*"
    return dt


def _node_dtype(node) -> tuple[np.dtype, bool]:
    if node == "i*":
        return default_int_dtype(), True
    if node == "f*":
        return default_float_dtype(), True
    if node == "c*":
        return default_complex_dtype(), True
    return canonicalize_dtype(node), False


def dtype_and_weak(x) -> tuple[np.dtype, bool]:
    """The (dtype, weak_type) jaxnc gives a value: Python scalars are weak, arrays carry their flag."""
    aval = getattr(x, "aval", None)
    if aval is not None:
        return aval.dtype, aval.weak_type
    t = type(x)
    if t is builtins.bool or t is np.bool_:
        return bool_, False
    if t is builtins.int:
        return default_int_dtype(), True
    if t is builtins.float:
        return default_float_dtype(), True
    if t is builtins.complex:
        return default_complex_dtype(), True
    if isinstance(x, (np.ndarray, np.generic)):
        return canonicalize_dtype(x.dtype), False
    if isinstance(x, (np.dtype, type)):
        return canonicalize_dtype(x), False
    dt = getattr(x, "dtype", None)
    if dt is not None:
        return canonicalize_dtype(dt), False
    raise TypeError(f"Value {x!r} of type {t.__name__} is not a valid jaxnc type")


def result_type_weak(*args) -> tuple[np.dtype, bool]:
    """JAX's `result_type` together with the weak flag of the result."""
    if not args:
        raise ValueError("at least one array or dtype is required")
    nodes = [_node(*dtype_and_weak(a)) for a in args]
    node, x64 = nodes[0], x64_enabled()
    for other in nodes[1:]:
        node = _join(node, other, x64)
    return _node_dtype(node)


def result_type(*args) -> np.dtype:
    """`jnp.result_type`: the promoted dtype of arrays, dtypes and Python scalars."""
    return result_type_weak(*args)[0]


_WEAK_AS_NUMPY = {"i*": int64, "f*": float64, "c*": complex128}  # np.dtype(int), np.dtype(float), ...


def promote_types(a, b) -> np.dtype:
    """`jnp.promote_types`: the join of two (strong) dtypes, not canonicalized (int64 even with x64 off), as JAX."""
    node = _join(np.dtype(a), np.dtype(b), x64_enabled())
    return _WEAK_AS_NUMPY.get(node, node)


def to_inexact_dtype(dt: np.dtype) -> np.dtype:
    """The floating type an integer/bool input is promoted to by float-valued functions (sin, mean, `/`).

    JAX's table: bool and integers up to 32 bits give float32 (also with x64 on), 64-bit integers float64.
    """
    if is_inexact(dt):
        return dt
    return canonicalize_dtype(float64 if np.dtype(dt).itemsize == 8 else float32)


_BF16_PARENTS = (np.floating, np.inexact, np.number, np.generic)


def issubdtype(a, b) -> bool:
    """`jnp.issubdtype`, with bfloat16 a floating type."""
    if np.dtype(a) == bfloat16:
        if isinstance(b, type) and b in _BF16_PARENTS:
            return True
        return np.dtype(b) == bfloat16
    return bool(np.issubdtype(a, b))
