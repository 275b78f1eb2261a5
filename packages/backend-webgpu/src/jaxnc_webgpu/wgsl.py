"""WGSL for scalar IR nodes: register and storage types, literals, NaN-safe helpers, one line per op.

Numerics (see ../shared/notes/webgpu-python.md §6): Vulkan compiles WGSL with fast-math, so NaN is
detected by bit tests, `max`/`min`/comparisons carry NaN explicitly, there are no inf/NaN literals
(bitcasts instead), transcendental functions are the toolkit's polynomial expansions rendered as
helper functions with NaN passthrough, and integer division and remainder follow lax (truncating,
`x / 0 = -1` or the unsigned max, `x % 0 = x`).
"""

from __future__ import annotations

import math

import numpy as np

from jaxnc._src import dtypes
from jaxnc._src.lowering import ir, math_expand

F16, F32, F64 = dtypes.float16, dtypes.float32, dtypes.float64
I32, U32, I64, U64 = (np.dtype(t) for t in (np.int32, np.uint32, np.int64, np.uint64))
I8, U8, BOOL = np.dtype(np.int8), np.dtype(np.uint8), np.dtype(np.bool_)

# dtype -> (register type, storage element); "u8x4" = four bytes packed in a u32 word
_TYPES = {F32: ("f32", "f32"), I32: ("i32", "i32"), U32: ("u32", "u32"), BOOL: ("bool", "u8x4"),
          I8: ("i32", "u8x4"), U8: ("u32", "u8x4"), F16: ("f16", "f16"), F64: ("f64", "f64"),
          I64: ("i64", "i64"), U64: ("u64", "u64")}  # fmt: skip
FEATURE_OF = {F16: "shader-f16", F64: "shader-f64", I64: "shader-int64", U64: "shader-int64"}
TRANSCENDENTAL = frozenset(math_expand.EXPANSIONS)
_BITS = {F16: ("u32", "0x7fffffffu", "0x7f800000u"),  # tested through f32: exact for every f16
         F32: ("u32", "0x7fffffffu", "0x7f800000u"),
         F64: ("u64", "0x7ffffffffffffffflu", "0x7ff0000000000000lu")}  # fmt: skip


def dtypes_for(features: frozenset) -> frozenset:
    return frozenset(dt for dt in _TYPES if FEATURE_OF.get(dt) is None or FEATURE_OF[dt] in features)


def reg(dtype) -> str:
    return _TYPES[np.dtype(dtype)][0]


def storage(dtype) -> str:
    return _TYPES[np.dtype(dtype)][1]


def per_word(dtype) -> int:
    """Elements a thread writes together: 4 for byte-packed types, else 1."""
    return 4 if storage(dtype) == "u8x4" else 1


def literal(value, dtype) -> str:
    dtype = np.dtype(dtype)
    t = reg(dtype)
    if dtype == BOOL:
        return "true" if value else "false"
    if dtype.kind == "f":
        v = float(value)
        if math.isnan(v) or math.isinf(v):
            return f"{_bits_name(dtype)}({'nan' if math.isnan(v) else ('inf' if v > 0 else 'ninf')})"
        if dtype == F16:
            return f"{float(np.float16(v))!r}h"
        if dtype == F64:
            return f"{v!r}lf"
        v32 = np.float32(v)
        if v32 != 0 and abs(v32) < np.finfo(np.float32).tiny:  # subnormal: exact through the bits
            return f"bitcast<f32>({int(v32.view(np.uint32))}u)"
        return f"{float(v32)!r}f"
    v = int(value)
    if t == "u32":
        return f"{v & 0xFFFFFFFF}u"
    if t == "i64":
        return f"{v}li" if v != -(1 << 63) else "(-9223372036854775807li - 1li)"
    if t == "u64":
        return f"{v}lu"
    return f"{v}i" if v != -(1 << 31) else "(-2147483647i - 1i)"


def _bits_name(dtype) -> str:
    return f"jx_special_{reg(dtype)}"


# --- helper functions, emitted once per shader when used ------------------------------------------


def special_helper(dtype) -> str:
    t = reg(dtype)
    if dtype == F16:  # naga cannot bitcast to vec2<f16>: narrow the f32 special (exact for NaN and ±inf)
        return ("fn jx_special_f16(k: i32) -> f16 { return f16(bitcast<f32>(select(select(0xff800000u, 0x7f800000u, "
                "k == 1), 0x7fc00000u, k == 0))); }")  # fmt: skip
    ut, _, _ = _BITS[dtype]
    if dtype == F64:
        return ("fn jx_special_f64(k: i32) -> f64 { return bitcast<f64>(select(select(0xfff0000000000000lu, "
                "0x7ff0000000000000lu, k == 1), 0x7ff8000000000000lu, k == 0)); }")  # fmt: skip
    return (f"fn jx_special_{t}(k: i32) -> {t} {{ return bitcast<{t}>(select(select(0xff800000u, 0x7f800000u, k == 1), "
            f"0x7fc00000u, k == 0)); }}")  # fmt: skip


SPECIAL_CONSTS = "const nan = 0i; const inf = 1i; const ninf = 2i;"


def bits_helpers(dtype) -> str:
    """jx_isnan_T / jx_isinf_T / jx_isfinite_T by bit tests (fast-math cannot fold them away)."""
    t = reg(dtype)
    ut, mask, exp = _BITS[dtype]
    # naga cannot bitcast vec2<f16>; widening to f32 keeps NaN, inf and every finite value
    bits = "bitcast<u32>(f32(x))" if dtype == F16 else f"bitcast<{ut}>(x)"
    return (f"fn jx_isnan_{t}(x: {t}) -> bool {{ return ({bits} & {mask}) > {exp}; }}\n"
            f"fn jx_isinf_{t}(x: {t}) -> bool {{ return ({bits} & {mask}) == {exp}; }}\n"
            f"fn jx_isfinite_{t}(x: {t}) -> bool {{ return ({bits} & {exp}) != {exp}; }}\n"
            f"fn jx_max_{t}(a: {t}, b: {t}) -> {t} {{ return select(select(max(a, b), b, jx_isnan_{t}(b)), a, jx_isnan_{t}(a)); }}\n"
            f"fn jx_min_{t}(a: {t}, b: {t}) -> {t} {{ return select(select(min(a, b), b, jx_isnan_{t}(b)), a, jx_isnan_{t}(a)); }}")  # fmt: skip


class Helpers:
    """The helper functions one shader needs, collected while rendering."""

    def __init__(self) -> None:
        self.text: dict[str, str] = {}
        self._count = 0

    def fresh(self, prefix: str = "t") -> str:
        self._count += 1
        return f"{prefix}{self._count}"

    def need(self, key: str, make) -> None:
        if key not in self.text:
            self.text[key] = ""  # reserve first: helpers may need each other
            self.text[key] = make()

    def floats(self, dtype) -> str:
        t = reg(dtype)
        self.need(f"bits_{t}", lambda: bits_helpers(dtype))
        return t

    def special(self, dtype) -> None:
        self.need("special_consts", lambda: SPECIAL_CONSTS)
        self.need(f"special_{reg(dtype)}", lambda: special_helper(dtype))

    def transcendental(self, op: str) -> str:
        """The name of the f32 helper computing `op` (from the toolkit's expansion)."""
        name = f"jx_{op}"
        self.need(name, lambda: _transcendental_fn(op, self))
        return name

    def source(self) -> str:
        return "\n".join(t for t in self.text.values() if t)


def _transcendental_fn(op: str, helpers: Helpers) -> str:
    from jaxnc_webgpu.expr import ExprRenderer

    nargs = 2 if op in ("atan2", "pow") else 1
    params = ["x", "y"][:nargs]
    args = tuple(ir.load(k, ir.iconst(0), F32) for k in range(nargs))
    body = math_expand._expansion(ir.make(op, F32, args, ()), args)
    r = ExprRenderer(helpers, load=lambda node, idx: params[node.arg])
    lines: list[str] = []
    out = r.render([body], lines)[0]
    helpers.floats(F32)
    if nargs == 1:  # NaN in, NaN out: fast-math may not propagate it through the polynomial
        guard = "    if (jx_isnan_f32(x)) { return x; }"
    elif op == "pow":  # pow(x, 0) = pow(1, y) = 1 even for NaN, else NaN propagates
        guard = (
            "    if ((jx_isnan_f32(x) && y != 0.0) || (jx_isnan_f32(y) && x != 1.0)) "
            "{ return select(y, x, jx_isnan_f32(x)); }"
        )
    else:
        guard = "    if (jx_isnan_f32(x) || jx_isnan_f32(y)) { return select(y, x, jx_isnan_f32(x)); }"
    sig = ", ".join(f"{p}: f32" for p in params)
    body_lines = "\n".join("    " + ln for ln in lines)
    return f"fn jx_{op}({sig}) -> f32 {{\n{guard}\n{body_lines}\n    return {out};\n}}"
