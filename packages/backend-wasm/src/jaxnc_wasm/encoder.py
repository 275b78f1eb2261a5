"""A small binary WebAssembly encoder: modules of functions over one imported memory.

Instructions are named as in the text format (`i32.add`, `f32x4.mul`, `v128.load`); the opcode
table below is the whole vocabulary. `Function.op(name, *immediates)` appends one instruction;
with `listing=True` the function also keeps a text listing for debug dumps (JAXNC_DEBUG=3).
"""

from __future__ import annotations

import struct

I32, I64, F32, F64, V128 = 0x7F, 0x7E, 0x7D, 0x7C, 0x7B
TYPE_NAMES = {I32: "i32", I64: "i64", F32: "f32", F64: "f64", V128: "v128"}
BLOCK_EMPTY = 0x40

_PLAIN = {
    "unreachable": 0x00, "nop": 0x01, "else": 0x05, "end": 0x0B, "return": 0x0F, "drop": 0x1A, "select": 0x1B,
    "i32.eqz": 0x45, "i32.eq": 0x46, "i32.ne": 0x47, "i32.lt_s": 0x48, "i32.lt_u": 0x49, "i32.gt_s": 0x4A,
    "i32.gt_u": 0x4B, "i32.le_s": 0x4C, "i32.le_u": 0x4D, "i32.ge_s": 0x4E, "i32.ge_u": 0x4F,
    "i64.eqz": 0x50, "i64.eq": 0x51, "i64.ne": 0x52, "i64.lt_s": 0x53, "i64.lt_u": 0x54, "i64.gt_s": 0x55,
    "i64.gt_u": 0x56, "i64.le_s": 0x57, "i64.le_u": 0x58, "i64.ge_s": 0x59, "i64.ge_u": 0x5A,
    "f32.eq": 0x5B, "f32.ne": 0x5C, "f32.lt": 0x5D, "f32.gt": 0x5E, "f32.le": 0x5F, "f32.ge": 0x60,
    "f64.eq": 0x61, "f64.ne": 0x62, "f64.lt": 0x63, "f64.gt": 0x64, "f64.le": 0x65, "f64.ge": 0x66,
    "i32.clz": 0x67, "i32.ctz": 0x68, "i32.popcnt": 0x69, "i32.add": 0x6A, "i32.sub": 0x6B, "i32.mul": 0x6C,
    "i32.div_s": 0x6D, "i32.div_u": 0x6E, "i32.rem_s": 0x6F, "i32.rem_u": 0x70, "i32.and": 0x71, "i32.or": 0x72,
    "i32.xor": 0x73, "i32.shl": 0x74, "i32.shr_s": 0x75, "i32.shr_u": 0x76, "i32.rotl": 0x77, "i32.rotr": 0x78,
    "i64.clz": 0x79, "i64.ctz": 0x7A, "i64.popcnt": 0x7B, "i64.add": 0x7C, "i64.sub": 0x7D, "i64.mul": 0x7E,
    "i64.div_s": 0x7F, "i64.div_u": 0x80, "i64.rem_s": 0x81, "i64.rem_u": 0x82, "i64.and": 0x83, "i64.or": 0x84,
    "i64.xor": 0x85, "i64.shl": 0x86, "i64.shr_s": 0x87, "i64.shr_u": 0x88, "i64.rotl": 0x89, "i64.rotr": 0x8A,
    "f32.abs": 0x8B, "f32.neg": 0x8C, "f32.ceil": 0x8D, "f32.floor": 0x8E, "f32.trunc": 0x8F, "f32.nearest": 0x90,
    "f32.sqrt": 0x91, "f32.add": 0x92, "f32.sub": 0x93, "f32.mul": 0x94, "f32.div": 0x95, "f32.min": 0x96,
    "f32.max": 0x97, "f32.copysign": 0x98,
    "f64.abs": 0x99, "f64.neg": 0x9A, "f64.ceil": 0x9B, "f64.floor": 0x9C, "f64.trunc": 0x9D, "f64.nearest": 0x9E,
    "f64.sqrt": 0x9F, "f64.add": 0xA0, "f64.sub": 0xA1, "f64.mul": 0xA2, "f64.div": 0xA3, "f64.min": 0xA4,
    "f64.max": 0xA5, "f64.copysign": 0xA6,
    "i32.wrap_i64": 0xA7, "i64.extend_i32_s": 0xAC, "i64.extend_i32_u": 0xAD,
    "f32.convert_i32_s": 0xB2, "f32.convert_i32_u": 0xB3, "f32.convert_i64_s": 0xB4, "f32.convert_i64_u": 0xB5,
    "f32.demote_f64": 0xB6, "f64.convert_i32_s": 0xB7, "f64.convert_i32_u": 0xB8, "f64.convert_i64_s": 0xB9,
    "f64.convert_i64_u": 0xBA, "f64.promote_f32": 0xBB, "i32.reinterpret_f32": 0xBC, "i64.reinterpret_f64": 0xBD,
    "f32.reinterpret_i32": 0xBE, "f64.reinterpret_i64": 0xBF, "i32.extend8_s": 0xC0, "i32.extend16_s": 0xC1,
    "i64.extend8_s": 0xC2, "i64.extend16_s": 0xC3, "i64.extend32_s": 0xC4,
}  # fmt: skip

_MEMORY = {  # name -> (opcode, natural alignment log2)
    "i32.load": (0x28, 2), "i64.load": (0x29, 3), "f32.load": (0x2A, 2), "f64.load": (0x2B, 3),
    "i32.load8_s": (0x2C, 0), "i32.load8_u": (0x2D, 0), "i32.load16_s": (0x2E, 1), "i32.load16_u": (0x2F, 1),
    "i64.load8_s": (0x30, 0), "i64.load8_u": (0x31, 0), "i64.load16_s": (0x32, 1), "i64.load16_u": (0x33, 1),
    "i64.load32_s": (0x34, 2), "i64.load32_u": (0x35, 2),
    "i32.store": (0x36, 2), "i64.store": (0x37, 3), "f32.store": (0x38, 2), "f64.store": (0x39, 3),
    "i32.store8": (0x3A, 0), "i32.store16": (0x3B, 1), "i64.store8": (0x3C, 0), "i64.store16": (0x3D, 1),
    "i64.store32": (0x3E, 2),
}  # fmt: skip

_SATURATING = {  # 0xFC prefix
    "i32.trunc_sat_f32_s": 0, "i32.trunc_sat_f32_u": 1, "i32.trunc_sat_f64_s": 2, "i32.trunc_sat_f64_u": 3,
    "i64.trunc_sat_f32_s": 4, "i64.trunc_sat_f32_u": 5, "i64.trunc_sat_f64_s": 6, "i64.trunc_sat_f64_u": 7,
    "memory.copy": 10,  # followed by the two memory indices (0, 0)
}  # fmt: skip

_SIMD_MEMORY = {"v128.load": (0, 4), "v128.store": (11, 4), "v128.load32_zero": (92, 2), "v128.load64_zero": (93, 3)}
_SIMD_LANE = {  # ops with one lane-index immediate
    "i8x16.extract_lane_s": 21, "i8x16.extract_lane_u": 22, "i8x16.replace_lane": 23,
    "i16x8.extract_lane_s": 24, "i16x8.extract_lane_u": 25, "i16x8.replace_lane": 26,
    "i32x4.extract_lane": 27, "i32x4.replace_lane": 28, "i64x2.extract_lane": 29, "i64x2.replace_lane": 30,
    "f32x4.extract_lane": 31, "f32x4.replace_lane": 32, "f64x2.extract_lane": 33, "f64x2.replace_lane": 34,
}  # fmt: skip
_SIMD = {
    "i8x16.swizzle": 14, "i8x16.splat": 15, "i16x8.splat": 16, "i32x4.splat": 17, "i64x2.splat": 18,
    "f32x4.splat": 19, "f64x2.splat": 20,
    "i32x4.eq": 55, "i32x4.ne": 56, "i32x4.lt_s": 57, "i32x4.lt_u": 58, "i32x4.gt_s": 59, "i32x4.gt_u": 60,
    "i32x4.le_s": 61, "i32x4.le_u": 62, "i32x4.ge_s": 63, "i32x4.ge_u": 64,
    "f32x4.eq": 65, "f32x4.ne": 66, "f32x4.lt": 67, "f32x4.gt": 68, "f32x4.le": 69, "f32x4.ge": 70,
    "f64x2.eq": 71, "f64x2.ne": 72, "f64x2.lt": 73, "f64x2.gt": 74, "f64x2.le": 75, "f64x2.ge": 76,
    "v128.not": 77, "v128.and": 78, "v128.andnot": 79, "v128.or": 80, "v128.xor": 81, "v128.bitselect": 82,
    "v128.any_true": 83, "f32x4.demote_f64x2_zero": 94, "f64x2.promote_low_f32x4": 95,
    "f32x4.ceil": 103, "f32x4.floor": 104, "f32x4.trunc": 105, "f32x4.nearest": 106,
    "f64x2.ceil": 116, "f64x2.floor": 117, "f64x2.trunc": 122, "f64x2.nearest": 148,
    "i32x4.abs": 160, "i32x4.neg": 161, "i32x4.all_true": 163, "i32x4.bitmask": 164,
    "i32x4.shl": 171, "i32x4.shr_s": 172, "i32x4.shr_u": 173, "i32x4.add": 174, "i32x4.sub": 177,
    "i32x4.mul": 181, "i32x4.min_s": 182, "i32x4.min_u": 183, "i32x4.max_s": 184, "i32x4.max_u": 185,
    "i64x2.neg": 193, "i64x2.add": 206, "i64x2.sub": 209, "i64x2.mul": 213,
    "f32x4.abs": 224, "f32x4.neg": 225, "f32x4.sqrt": 227, "f32x4.add": 228, "f32x4.sub": 229,
    "f32x4.mul": 230, "f32x4.div": 231, "f32x4.min": 232, "f32x4.max": 233, "f32x4.pmin": 234, "f32x4.pmax": 235,
    "f64x2.abs": 236, "f64x2.neg": 237, "f64x2.sqrt": 239, "f64x2.add": 240, "f64x2.sub": 241, "f64x2.mul": 242,
    "f64x2.div": 243, "f64x2.min": 244, "f64x2.max": 245, "f64x2.pmin": 246, "f64x2.pmax": 247,
    "i32x4.trunc_sat_f32x4_s": 248, "i32x4.trunc_sat_f32x4_u": 249, "f32x4.convert_i32x4_s": 250,
    "f32x4.convert_i32x4_u": 251, "f64x2.convert_low_i32x4_s": 254, "f64x2.convert_low_i32x4_u": 255,
    "f32x4.relaxed_madd": 0x105, "f32x4.relaxed_nmadd": 0x106,
}  # fmt: skip
_CONTROL_BLOCK = {"block": 0x02, "loop": 0x03, "if": 0x04}
_CONTROL_DEPTH = {"br": 0x0C, "br_if": 0x0D}
_LOCAL = {"local.get": 0x20, "local.set": 0x21, "local.tee": 0x22}
OPS = {*_PLAIN, *_MEMORY, *_SATURATING, *_SIMD_MEMORY, *_SIMD_LANE, *_SIMD, *_CONTROL_BLOCK, *_CONTROL_DEPTH,
       *_LOCAL, "i32.const", "i64.const", "f32.const", "f64.const", "v128.const", "i8x16.shuffle", "call"}  # fmt: skip


def uleb(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def sleb(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if (n == 0 and not b & 0x40) or (n == -1 and b & 0x40):
            out.append(b)
            return bytes(out)
        out.append(b | 0x80)


def _vec(items: list[bytes]) -> bytes:
    return uleb(len(items)) + b"".join(items)


def _name(s: str) -> bytes:
    raw = s.encode()
    return uleb(len(raw)) + raw


class Function:
    """The body of one function: typed params, locals added on demand, instructions appended."""

    def __init__(self, name: str, params: list[int], results: list[int], listing: bool = False) -> None:
        self.name = name
        self.params = list(params)
        self.results = list(results)
        self.locals: list[int] = []
        self.code = bytearray()
        self.listing: list[str] | None = [] if listing else None
        self._depth = 0

    def local(self, valtype: int) -> int:
        """A fresh local of `valtype`; returns its index."""
        self.locals.append(valtype)
        return len(self.params) + len(self.locals) - 1

    def op(self, name: str, *imm) -> None:
        code = self.code
        if name in _PLAIN:
            code.append(_PLAIN[name])
            if name == "end":
                self._depth -= 1
        elif name in _LOCAL:
            code.append(_LOCAL[name])
            code += uleb(imm[0])
        elif name in _MEMORY:
            opcode, align = _MEMORY[name]
            code.append(opcode)
            code += uleb(align) + uleb(imm[0] if imm else 0)
        elif name in _SIMD:
            code.append(0xFD)
            code += uleb(_SIMD[name])
        elif name in _SIMD_MEMORY:
            opcode, align = _SIMD_MEMORY[name]
            code.append(0xFD)
            code += uleb(opcode) + uleb(align) + uleb(imm[0] if imm else 0)
        elif name in _SIMD_LANE:
            code.append(0xFD)
            code += uleb(_SIMD_LANE[name]) + bytes([imm[0]])
        elif name in _SATURATING:
            code.append(0xFC)
            code += uleb(_SATURATING[name])
            if name == "memory.copy":
                code += b"\x00\x00"
        elif name == "call":
            code.append(0x10)
            code += uleb(imm[0])
        elif name in _CONTROL_BLOCK:
            code.append(_CONTROL_BLOCK[name])
            code.append(imm[0] if imm else BLOCK_EMPTY)
            self._depth += 1
        elif name in _CONTROL_DEPTH:
            code.append(_CONTROL_DEPTH[name])
            code += uleb(imm[0])
        elif name == "i32.const":
            code.append(0x41)
            code += sleb(_wrap(imm[0], 32))
        elif name == "i64.const":
            code.append(0x42)
            code += sleb(_wrap(imm[0], 64))
        elif name == "f32.const":
            code.append(0x43)
            code += imm[0] if isinstance(imm[0], bytes) else struct.pack("<f", imm[0])
        elif name == "f64.const":
            code.append(0x44)
            code += imm[0] if isinstance(imm[0], bytes) else struct.pack("<d", imm[0])
        elif name == "v128.const":
            code += b"\xfd" + uleb(12) + bytes(imm[0])
        elif name == "i8x16.shuffle":
            code += b"\xfd" + uleb(13) + bytes(imm[0])
        else:
            raise ValueError(f"unknown wasm instruction {name!r}")
        if self.listing is not None:
            indent = "  " * (self._depth + (0 if name not in _CONTROL_BLOCK else -1) + (1 if name == "end" else 0))
            args = " ".join(x.hex() if isinstance(x, (bytes, bytearray)) else str(x) for x in imm)
            self.listing.append(f"{indent}{name} {args}".rstrip())

    def body(self) -> bytes:
        groups: list[bytes] = []
        for t in self.locals:  # one entry per local keeps the encoder trivial (runs are not merged)
            groups.append(uleb(1) + bytes([t]))
        payload = _vec(groups) + bytes(self.code) + b"\x0b"
        return uleb(len(payload)) + payload

    def text(self) -> str:
        params = " ".join(TYPE_NAMES[t] for t in self.params)
        head = f"(func ${self.name} (param {params}) (result {' '.join(TYPE_NAMES[t] for t in self.results)})"
        locs = " ".join(TYPE_NAMES[t] for t in self.locals)
        return "\n".join([head, f"  (local {locs})", *("  " + ln for ln in (self.listing or []))])


def _wrap(v: int, bits: int) -> int:
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


class Module:
    """Functions, all exported by name, importing one memory `env.mem`."""

    def __init__(self, memory_pages: tuple[int, int] = (1, 65536), shared: bool = True) -> None:
        self.functions: list[Function] = []
        self.memory_pages = memory_pages
        self.shared = shared

    def function(self, name: str, params: list[int], results: list[int] = (), listing: bool = False) -> Function:
        f = Function(name, params, list(results), listing)
        self.functions.append(f)
        return f

    def to_bytes(self) -> bytes:
        types: list[bytes] = []
        type_index: dict[bytes, int] = {}
        func_types = []
        for f in self.functions:
            sig = b"\x60" + _vec([bytes([t]) for t in f.params]) + _vec([bytes([t]) for t in f.results])
            if sig not in type_index:
                type_index[sig] = len(types)
                types.append(sig)
            func_types.append(type_index[sig])
        lo, hi = self.memory_pages
        limits = (b"\x03" if self.shared else b"\x01") + uleb(lo) + uleb(hi)
        imports = [_name("env") + _name("mem") + b"\x02" + limits]
        exports = [_name(f.name) + b"\x00" + uleb(i) for i, f in enumerate(self.functions)]
        sections = [
            (1, _vec(types)),
            (2, _vec(imports)),
            (3, _vec([uleb(t) for t in func_types])),
            (7, _vec(exports)),
            (10, _vec([f.body() for f in self.functions])),
        ]
        out = bytearray(b"\x00asm\x01\x00\x00\x00")
        for sid, payload in sections:
            out.append(sid)
            out += uleb(len(payload)) + payload
        return bytes(out)

    def text(self) -> str:
        return "\n".join(f.text() for f in self.functions)
