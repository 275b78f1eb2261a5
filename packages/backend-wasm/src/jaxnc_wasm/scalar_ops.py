"""Scalar and SIMD instruction sequences for IR ops, with NumPy's semantics where wasm differs.

A rule is `rule(g, node, args)`: `args[i]()` pushes operand i, and the rule appends the instructions
that leave the result on the stack. Scalar rules see every dtype in its wasm representation
(narrow integers live sign- or zero-extended in i32, bool is 0/1); vector rules see 32-bit lanes
and bools as lane masks (-1/0). Integer division and float->int conversion are guarded: wasm traps
where NumPy returns a value.

float16 and bfloat16 are storage formats: a load widens the 16 bits to float32 (exactly), every op
runs its float32 rule and rounds the result back to the half format (round to nearest even, as NumPy
and ml_dtypes compute a half op in float32 and cast), and a store narrows the bits. Inside a kernel a
half value is a float32 that the half format represents exactly.
"""

from __future__ import annotations

import math
import struct

import numpy as np

from jaxnc._src import dtypes
from jaxnc_wasm.encoder import F32, F64, I32, I64

WASM_TYPE = {"b": I32, "i1": I32, "i2": I32, "i4": I32, "u1": I32, "u2": I32, "u4": I32, "i8": I64, "u8": I64,
             "f4": F32, "f8": F64, "f2": F32, "bf2": F32}  # fmt: skip
PREFIX = {I32: "i32", I64: "i64", F32: "f32", F64: "f64"}
LOAD = {"b": "i32.load8_u", "i1": "i32.load8_s", "u1": "i32.load8_u", "i2": "i32.load16_s", "u2": "i32.load16_u",
        "i4": "i32.load", "u4": "i32.load", "i8": "i64.load", "u8": "i64.load", "f4": "f32.load", "f8": "f64.load"}  # fmt: skip
STORE = {"b": "i32.store8", "i1": "i32.store8", "u1": "i32.store8", "i2": "i32.store16", "u2": "i32.store16",
         "i4": "i32.store", "u4": "i32.store", "i8": "i64.store", "u8": "i64.store", "f4": "f32.store",
         "f8": "f64.store"}  # fmt: skip
VECTOR_DTYPES = frozenset({np.dtype(np.float32), np.dtype(np.int32), np.dtype(np.uint32), np.dtype(np.bool_)})
F16, BF16, F32_DT, F64_DT = dtypes.float16, dtypes.bfloat16, dtypes.float32, dtypes.float64
HALF = (F16, BF16)


def code(dt: np.dtype) -> str:
    """'f4', 'i1', 'u2', 'b', 'bf2', ...: the key of the tables above (LOAD/STORE exclude the halves: see `load`)."""
    dt = np.dtype(dt)
    if dt == BF16:
        return "bf2"
    return "b" if dt == np.bool_ else f"{dt.kind}{dt.itemsize}"


def wtype(dt: np.dtype) -> int:
    return WASM_TYPE[code(dt)]


def prefix(dt: np.dtype) -> str:
    return PREFIX[wtype(dt)]


def supported(dt: np.dtype) -> bool:
    return code(dt) in WASM_TYPE


def push_const(g, value, dt: np.dtype) -> None:
    if dt in HALF:
        value = np.asarray(value, dt).astype(np.float32)  # the half value, held as float32
    t = wtype(dt)
    if t == F32:
        g.f.op("f32.const", struct.pack("<f", float(value)))
    elif t == F64:
        g.f.op("f64.const", struct.pack("<d", float(value)))
    elif t == I64:
        g.f.op("i64.const", int(value))
    else:
        g.f.op("i32.const", int(value))


def normalize(g, dt: np.dtype) -> None:
    """Re-establish the i32 representation of a narrow integer after wrapping arithmetic."""
    c = code(dt)
    if c == "i1":
        g.f.op("i32.extend8_s")
    elif c == "i2":
        g.f.op("i32.extend16_s")
    elif c in ("u1", "u2"):
        g.f.op("i32.const", 0xFF if c == "u1" else 0xFFFF)
        g.f.op("i32.and")


def _signed(dt: np.dtype) -> bool:
    return np.dtype(dt).kind == "i"


def _limits(dt: np.dtype) -> tuple[int, int]:
    info = np.iinfo(dt)
    return int(info.min), int(info.max)


# --- scalar rules ----------------------------------------------------------------------------------


def _binary(suffix_float: str, suffix_int: str | None = None, wraps: bool = False):
    def rule(g, node, args):
        dt = node.args[0].dtype
        args[0]()
        args[1]()
        p = prefix(dt)
        g.f.op(f"{p}.{suffix_float if dt.kind == 'f' else (suffix_int or suffix_float)}")
        if wraps and dt.kind in "iu":
            normalize(g, node.dtype)

    return rule


def _compare(float_op: str, int_op: str):
    def rule(g, node, args):
        dt = node.args[0].dtype
        args[0]()
        args[1]()
        p = prefix(dt)
        if dt.kind == "f":
            g.f.op(f"{p}.{float_op}")
        elif int_op in ("eq", "ne"):
            g.f.op(f"{p}.{int_op}")
        else:
            g.f.op(f"{p}.{int_op}_{'s' if _signed(dt) else 'u'}")

    return rule


def _minmax(which: str):
    def rule(g, node, args):
        dt = node.dtype
        if dt.kind == "f":
            args[0]()
            args[1]()
            g.f.op(f"{prefix(dt)}.{which}")
            return
        a, b = g.spill(args[0], dt), g.spill(args[1], dt)
        g.f.op("local.get", a)
        g.f.op("local.get", b)
        g.f.op("local.get", a)
        g.f.op("local.get", b)
        cmp = "gt" if which == "max" else "lt"
        g.f.op(f"{prefix(dt)}.{cmp}_{'s' if _signed(dt) else 'u'}")
        g.f.op("select")

    return rule


def _mul(g, node, args):
    if node.dtype == np.bool_:
        args[0]()
        args[1]()
        g.f.op("i32.and")
        return
    _binary("mul", wraps=True)(g, node, args)


def _neg(g, node, args):
    dt = node.dtype
    if dt.kind == "f":
        args[0]()
        g.f.op(f"{prefix(dt)}.neg")
        return
    push_const(g, 0, dt)
    args[0]()
    g.f.op(f"{prefix(dt)}.sub")
    normalize(g, dt)


def _abs(g, node, args):
    dt = node.args[0].dtype
    if dt.kind == "f":
        args[0]()
        g.f.op(f"{prefix(dt)}.abs")
        return
    if dt.kind == "u":
        args[0]()
        return
    x = g.spill(args[0], dt)
    push_const(g, 0, dt)
    g.f.op("local.get", x)
    g.f.op(f"{prefix(dt)}.sub")
    normalize(g, dt)
    g.f.op("local.get", x)
    g.f.op("local.get", x)
    push_const(g, 0, dt)
    g.f.op(f"{prefix(dt)}.lt_s")
    g.f.op("select")


def _sign(g, node, args):
    dt = node.dtype
    p = prefix(dt)
    x = g.spill(args[0], dt)
    if dt.kind == "f":  # +-1 for nonzero, x itself for +-0 and NaN
        push_const(g, 1.0, dt)
        push_const(g, -1.0, dt)
        g.f.op("local.get", x)
        g.f.op("local.get", x)
        push_const(g, 0.0, dt)
        g.f.op(f"{p}.lt")
        g.f.op("select")
        g.f.op("local.get", x)
        push_const(g, 0.0, dt)
        g.f.op(f"{p}.gt")
        g.f.op("select")
        return
    g.f.op("local.get", x)
    push_const(g, 0, dt)
    g.f.op(f"{p}.{'gt_s' if _signed(dt) else 'ne'}")
    if _signed(dt):
        g.f.op("local.get", x)
        push_const(g, 0, dt)
        g.f.op(f"{p}.lt_s")
        g.f.op("i32.sub")
    if wtype(dt) == I64:
        g.f.op("i64.extend_i32_s")


def _unary_float(op: str):
    def rule(g, node, args):
        args[0]()
        g.f.op(f"{prefix(node.dtype)}.{op}")

    return rule


def _round(g, node, args):
    dt = node.dtype
    p = prefix(dt)
    if _half_even(node):
        args[0]()
        g.f.op(f"{p}.nearest")
        return
    # lax.round default, half away from zero: t = trunc(x); t + sign(x) where |x - t| >= 0.5. Exact for
    # every x (floor(|x| + 0.5) is not: the addition rounds at 0.49999997 and at odd x past 2**23).
    x = g.spill(args[0], dt)
    g.f.op("local.get", x)
    g.f.op(f"{p}.trunc")
    t = g.spill(None, dt)
    g.f.op("local.get", t)
    push_const(g, 1.0, dt)
    g.f.op("local.get", x)
    g.f.op(f"{p}.copysign")
    g.f.op(f"{p}.add")
    g.f.op("local.get", t)
    g.f.op("local.get", x)
    g.f.op("local.get", t)
    g.f.op(f"{p}.sub")
    g.f.op(f"{p}.abs")
    push_const(g, 0.5, dt)
    g.f.op(f"{p}.ge")
    g.f.op("select")


def _is_finite(g, node, args):
    dt = node.args[0].dtype
    args[0]()
    g.f.op(f"{prefix(dt)}.abs")
    push_const(g, math.inf, dt)
    g.f.op(f"{prefix(dt)}.lt")


def _rsqrt(g, node, args):
    push_const(g, 1.0, node.dtype)
    args[0]()
    g.f.op(f"{prefix(node.dtype)}.sqrt")
    g.f.op(f"{prefix(node.dtype)}.div")


def _square(g, node, args):
    x = g.spill(args[0], node.dtype)
    g.f.op("local.get", x)
    g.f.op("local.get", x)
    g.f.op(f"{prefix(node.dtype)}.mul")
    if node.dtype.kind in "iu":
        normalize(g, node.dtype)


def _integer_pow(g, node, args):
    dt, y = node.dtype, int(node.params["y"])
    p = prefix(dt)
    x = g.spill(args[0], dt)
    acc = None
    base, n = x, abs(y)
    while n:  # square-and-multiply
        if n & 1:
            if acc is None:
                acc = g.f.local(wtype(dt))
                g.f.op("local.get", base)
            else:
                g.f.op("local.get", acc)
                g.f.op("local.get", base)
                g.f.op(f"{p}.mul")
                if dt.kind in "iu":
                    normalize(g, dt)
            g.f.op("local.set", acc)
        n >>= 1
        if n:
            sq = g.f.local(wtype(dt))
            g.f.op("local.get", base)
            g.f.op("local.get", base)
            g.f.op(f"{p}.mul")
            if dt.kind in "iu":
                normalize(g, dt)
            g.f.op("local.set", sq)
            base = sq
    if y < 0:
        push_const(g, 1, dt)
    if acc is None:
        push_const(g, 1, dt)
    else:
        g.f.op("local.get", acc)
    if y < 0:
        g.f.op(f"{p}.div")


def _positive_const(x) -> bool:
    return x.op == "const" and x.arg > 0


def _div(g, node, args):
    dt = node.dtype
    p = prefix(dt)
    if dt.kind == "f" or _positive_const(node.args[1]):  # a positive constant divisor cannot trap
        args[0]()
        args[1]()
        g.f.op(f"{p}.div" if dt.kind == "f" else f"{p}.div_{'s' if _signed(dt) else 'u'}")
        return
    # lax.div: truncating; x / 0 is -1 (signed) or the maximum (unsigned); MIN / -1 wraps to MIN
    x, y = g.spill(args[0], dt), g.spill(args[1], dt)
    safe = _safe_divisor(g, dt, y)
    g.f.op("local.get", x)
    g.f.op("local.get", safe)
    g.f.op(f"{p}.div_{'s' if _signed(dt) else 'u'}")
    if _signed(dt):
        q = g.spill(None, dt)
        push_const(g, 0, dt)
        g.f.op("local.get", q)
        g.f.op(f"{p}.sub")
        g.f.op("local.get", q)
        g.f.op("local.get", y)
        push_const(g, -1, dt)
        g.f.op(f"{p}.eq")
        g.f.op("select")
    q = g.spill(None, dt)
    push_const(g, -1 if _signed(dt) else _limits(dt)[1], dt)
    g.f.op("local.get", q)
    g.f.op("local.get", y)
    g.f.op(f"{p}.eqz")
    g.f.op("select")
    normalize(g, dt)


def _safe_divisor(g, dt, y) -> int:
    """A local holding y, with 0 (and -1 for signed types) replaced by 1."""
    p = prefix(dt)
    push_const(g, 1, dt)
    g.f.op("local.get", y)
    g.f.op("local.get", y)
    g.f.op(f"{p}.eqz")
    if _signed(dt):
        g.f.op("local.get", y)
        push_const(g, -1, dt)
        g.f.op(f"{p}.eq")
        g.f.op("i32.or")
    g.f.op("select")
    return g.spill(None, dt)


def _rem(g, node, args):
    dt = node.dtype
    p = prefix(dt)
    if _positive_const(node.args[1]):
        args[0]()
        args[1]()
        g.f.op(f"{p}.rem_{'s' if _signed(dt) else 'u'}")
        return
    # lax.rem on integers: the sign of the dividend; x % 0 is x; MIN % -1 is 0
    x, y = g.spill(args[0], dt), g.spill(args[1], dt)
    safe = _safe_divisor(g, dt, y)
    g.f.op("local.get", x)
    g.f.op("local.get", x)
    g.f.op("local.get", safe)
    g.f.op(f"{p}.rem_{'s' if _signed(dt) else 'u'}")
    g.f.op("local.get", y)
    g.f.op(f"{p}.eqz")
    g.f.op("select")  # (x, x % safe, y == 0)
    if _signed(dt):
        r = g.spill(None, dt)
        push_const(g, 0, dt)
        g.f.op("local.get", r)
        g.f.op("local.get", y)
        push_const(g, -1, dt)
        g.f.op(f"{p}.eq")
        g.f.op("select")


def _bitwise(op: str):
    def rule(g, node, args):
        args[0]()
        args[1]()
        g.f.op(f"{prefix(node.dtype)}.{op}")

    return rule


def _not(g, node, args):
    dt = node.dtype
    args[0]()
    if dt == np.bool_:
        g.f.op("i32.eqz")
        return
    push_const(g, -1, dt)
    g.f.op(f"{prefix(dt)}.xor")
    normalize(g, dt)


def _shift(kind: str):
    def rule(g, node, args):
        dt = node.dtype
        p = prefix(dt)
        bits = dt.itemsize * 8
        x, y = g.spill(args[0], dt), g.spill(args[1], dt)
        # the shifted value when 0 <= y < bits
        g.f.op("local.get", x)
        if kind == "right_logical" and bits < 32:
            push_const(g, (1 << bits) - 1, dt)
            g.f.op("i32.and")
        g.f.op("local.get", y)
        g.f.op(f"{p}.{ {'left': 'shl', 'right_logical': 'shr_u', 'right_arithmetic': 'shr_s'}[kind] }")
        normalize(g, dt)
        # out of range: 0, or the sign fill for arithmetic shifts of signed values
        if kind == "right_arithmetic" and _signed(dt):
            g.f.op("local.get", x)
            push_const(g, 63 if wtype(dt) == I64 else 31, dt)
            g.f.op(f"{p}.shr_s")
        else:
            push_const(g, 0, dt)
        g.f.op("local.get", y)
        push_const(g, bits, dt)
        g.f.op(f"{p}.lt_u")
        g.f.op("select")

    return rule


def _select_n(g, node, args):
    dt, wdt = node.dtype, node.args[0].dtype
    cases = args[1:]
    if len(cases) == 1:
        cases[0]()
        return
    if wdt == np.bool_:
        cases[1]()
        cases[0]()
        args[0]()
        g.f.op("select")
        return
    w = g.spill(args[0], wdt)
    cases[-1]()
    for k in range(len(cases) - 2, -1, -1):  # which <= k picks case k (np.choose with mode="clip")
        prev = g.spill(None, dt)
        cases[k]()
        g.f.op("local.get", prev)
        g.f.op("local.get", w)
        push_const(g, k, wdt)
        g.f.op(f"{prefix(wdt)}.le_{'s' if _signed(wdt) else 'u'}")
        g.f.op("select")


def convert(g, src: np.dtype, dst: np.dtype) -> None:
    """Convert the value on the stack from `src` to `dst` as lax.convert_element_type does."""
    src, dst = np.dtype(src), np.dtype(dst)
    cs, cd = code(src), code(dst)
    ts, td = WASM_TYPE[cs], WASM_TYPE[cd]
    if cs == cd:
        return
    if dst in HALF:
        if dst == BF16 and src.kind in "iu" and src.itemsize >= 4:
            _int_to_f64_odd(g, src)  # more than 24 bits: one rounding int -> bf16, as ml_dtypes >= 0.7
            src = F64_DT
        if src == F64_DT:
            _demote_to_odd(g)  # one correct rounding f64 -> half, as NumPy/ml_dtypes (via f32 rounds twice)
        elif src not in HALF:
            convert(g, src, F32_DT)
        round_half(g, dst)
        return
    if src in HALF:
        convert(g, F32_DT, dst)
        return
    if dst == np.bool_:
        push_const(g, 0, src)
        g.f.op(f"{PREFIX[ts]}.ne")
        return
    if src.kind == "f" and dst.kind == "f":
        g.f.op("f64.promote_f32" if td == F64 else "f32.demote_f64")
        return
    if src.kind == "f":  # NaN -> 0, saturate at the target's range, truncate
        sign = "s" if _signed(dst) or dst.itemsize < 4 else "u"  # narrow targets clamp an i32 below
        g.f.op(f"{PREFIX[td]}.trunc_sat_{PREFIX[ts]}_{sign}")
        if dst.itemsize < 4:
            lo, hi = _limits(dst)
            v = g.spill(None, np.dtype(np.int32))
            for bound, cmp in ((lo, "lt_s"), (hi, "gt_s")):
                g.f.op("i32.const", bound)
                g.f.op("local.get", v)
                g.f.op("local.get", v)
                g.f.op("i32.const", bound)
                g.f.op(f"i32.{cmp}")
                g.f.op("select")
                g.f.op("local.set", v)
            g.f.op("local.get", v)
        return
    if dst.kind == "f":
        sign = "s" if _signed(src) else "u"
        g.f.op(f"{PREFIX[td]}.convert_{PREFIX[ts]}_{sign}")
        return
    # integer (or bool) to integer: widen, narrow, then wrap into the target's width
    if ts == I32 and td == I64:
        g.f.op(f"i64.extend_i32_{'s' if _signed(src) else 'u'}")
    elif ts == I64 and td == I32:
        g.f.op("i32.wrap_i64")
    normalize(g, dst)


def _convert(g, node, args):
    args[0]()
    convert(g, node.args[0].dtype, node.dtype)


def _bitcast(g, node, args):
    src, dst = node.args[0].dtype, node.dtype
    args[0]()
    if src in HALF or dst in HALF:  # through the 16 bits
        if src in HALF:
            to_bits(g, src)
        else:
            g.f.op("i32.const", 0xFFFF)
            g.f.op("i32.and")
        if dst in HALF:
            from_bits(g, dst)
        else:
            normalize(g, dst)
        return
    ts, td = wtype(src), wtype(dst)
    if ts == td:
        return
    g.f.op({(F32, I32): "i32.reinterpret_f32", (I32, F32): "f32.reinterpret_i32",
            (F64, I64): "i64.reinterpret_f64", (I64, F64): "f64.reinterpret_i64"}[(ts, td)])  # fmt: skip


def _count(op: str):
    def rule(g, node, args):
        dt = node.dtype
        args[0]()
        bits = dt.itemsize * 8
        if bits < 32:
            push_const(g, (1 << bits) - 1, dt)
            g.f.op("i32.and")
        g.f.op(f"{prefix(dt)}.{op}")
        if op == "clz" and bits < 32:
            g.f.op("i32.const", 32 - bits)
            g.f.op("i32.sub")

    return rule


SCALAR = {
    "add": _binary("add", wraps=True), "sub": _binary("sub", wraps=True), "mul": _mul, "div": _div, "rem": _rem,
    "max": _minmax("max"), "min": _minmax("min"), "neg": _neg, "abs": _abs, "sign": _sign,
    "floor": _unary_float("floor"), "ceil": _unary_float("ceil"), "sqrt": _unary_float("sqrt"), "round": _round,
    "is_finite": _is_finite, "rsqrt": _rsqrt, "square": _square, "integer_pow": _integer_pow,
    "eq": _compare("eq", "eq"), "ne": _compare("ne", "ne"), "lt": _compare("lt", "lt"), "le": _compare("le", "le"),
    "gt": _compare("gt", "gt"), "ge": _compare("ge", "ge"),
    "and": _bitwise("and"), "or": _bitwise("or"), "xor": _bitwise("xor"), "not": _not,
    "shift_left": _shift("left"), "shift_right_logical": _shift("right_logical"),
    "shift_right_arithmetic": _shift("right_arithmetic"),
    "select_n": _select_n, "convert_element_type": _convert, "bitcast_convert_type": _bitcast,
    "clz": _count("clz"), "population_count": _count("popcnt"),
}  # fmt: skip

FLOAT_ONLY = {"floor", "ceil", "sqrt", "round", "is_finite", "rsqrt"}
INT_ONLY = {"and", "or", "xor", "not", "shift_left", "shift_right_logical", "shift_right_arithmetic", "clz",
            "population_count", "rem"}  # fmt: skip


def scalar_renders(op: str, dt: np.dtype) -> bool:
    if op not in SCALAR or not supported(dt):
        return False
    dt = _wide(dt)
    if op in FLOAT_ONLY:
        return dt.kind == "f"
    if op in INT_ONLY:
        if op in ("and", "or", "xor", "not"):
            return dt.kind in "iub"
        return dt.kind in "iu"
    return True


# --- float16 / bfloat16 through float32 -------------------------------------------------------------

EXACT_ON_HALF = frozenset({"neg", "abs", "sign", "floor", "ceil", "round", "max", "min", "select_n"})


def _wide(dt: np.dtype) -> np.dtype:
    return F32_DT if dt in HALF else dt


class _Wide:
    """`node` as its float32 rule sees it: half dtypes replaced by float32 (the node and its arguments)."""

    __slots__ = ("op", "dtype", "args", "arg", "params")

    def __init__(self, node, deep: bool = True) -> None:
        self.op, self.arg, self.dtype = node.op, node.arg, _wide(node.dtype)
        self.params = node.params
        self.args = tuple(_Wide(a, False) for a in node.args) if deep else ()


def scalar(g, node, args) -> None:
    """Push `node`'s value by its scalar rule; ops on halves run in float32 and round back."""
    dts = (node.dtype, *(a.dtype for a in node.args))
    if not any(d in HALF for d in dts):
        SCALAR[node.op](g, node, args)
    elif node.op in ("convert_element_type", "bitcast_convert_type"):
        SCALAR[node.op](g, node, args)
    else:
        SCALAR[node.op](g, _Wide(node), args)
        if node.dtype in HALF and node.op not in EXACT_ON_HALF:
            round_half(g, node.dtype)


def load(g, dt: np.dtype) -> None:
    """The element at the address on the stack (halves widened to float32)."""
    if dt in HALF:
        g.f.op("i32.load16_u")
        from_bits(g, dt)
    else:
        g.f.op(LOAD[code(dt)])


def store(g, dt: np.dtype) -> None:
    """Store the value on the stack at the address below it (halves narrowed with rounding)."""
    if dt in HALF:
        to_bits(g, dt)
        g.f.op("i32.store16")
    else:
        g.f.op(STORE[code(dt)])


def round_half(g, dt: np.dtype) -> None:
    """The float32 on the stack rounded to the nearest `dt` value (ties to even), still a float32.

    Cheaper than `to_bits` + `from_bits`: the mantissa is rounded in place (b + half-ulp - 1 + lsb, then
    the low bits cleared; a carry moves into the exponent correctly). NaN stays the input (its bits are
    fixed by the store); float16 also needs overflow to inf and the fixed 2**-24 quantum of subnormals."""
    g.f.op("i32.reinterpret_f32")
    b = g.spill(None, np.dtype(np.int32))
    b_ = ("get", b)
    drop = 16 if dt == BF16 else 13
    _i32(
        g, b_, (1 << (drop - 1)) - 1, "i32.add", b_, drop, "i32.shr_u", 1, "i32.and", "i32.add", -(1 << drop), "i32.and"
    )
    if dt == F16:
        n = g.spill(None, np.dtype(np.int32))
        _i32(g, ("get", n), b_, -(1 << 31), "i32.and", 0x7F800000, "i32.or")  # |rounded| > 65504: inf
        _i32(g, ("get", n), 0x7FFFFFFF, "i32.and", 0x477FE000, "i32.le_u", "select")
        _i32(g, b_, "f32.reinterpret_i32", "f32.abs")  # |x| < 2**-14: (|x| + 0.5) - 0.5 rounds to 2**-24 steps
        g.f.op("f32.const", struct.pack("<f", 0.5))
        g.f.op("f32.add")
        g.f.op("f32.const", struct.pack("<f", 0.5))
        _i32(g, "f32.sub", "i32.reinterpret_f32", b_, -(1 << 31), "i32.and", "i32.or")
        _i32(g, b_, 0x7FFFFFFF, "i32.and", 0x38800000, "i32.ge_u", "select")
    _i32(g, b_, b_, 0x7FFFFFFF, "i32.and", 0x7F800000, "i32.le_u", "select", "f32.reinterpret_i32")


def _i32(g, *ops) -> None:
    """A run of i32 instructions: ints are `i32.const`, strings opcodes, ("get", local) a local.get."""
    for op in ops:
        if isinstance(op, int):
            g.f.op("i32.const", op)
        elif isinstance(op, tuple):
            g.f.op("local.get", op[1])
        else:
            g.f.op(op)


def to_bits(g, dt: np.dtype) -> None:
    """float32 on the stack -> the 16 bits of `dt` (an i32), rounding to nearest even."""
    g.f.op("i32.reinterpret_f32")
    b = g.spill(None, np.dtype(np.int32))
    b_ = ("get", b)
    if dt == BF16:
        # NaN -> the quiet NaN 0x7FC0 with its sign (as ml_dtypes); else b + 0x7FFF + lsb, top half
        _i32(g, b_, 16, "i32.shr_u", 0x8000, "i32.and", 0x7FC0, "i32.or")
        _i32(g, b_, 0x7FFF, "i32.add", b_, 16, "i32.shr_u", 1, "i32.and", "i32.add", 16, "i32.shr_u")
        _i32(g, b_, 0x7FFFFFFF, "i32.and", 0x7F800000, "i32.gt_u", "select")
        return
    a = g.spill(lambda: _i32(g, b_, 0x7FFFFFFF, "i32.and"), np.dtype(np.int32))
    a_ = ("get", a)
    # normal: rebias the exponent after rounding the mantissa to 10 bits; >= 65520 becomes inf (0x7C00)
    normal = g.spill(lambda: _i32(g, a_, 0xFFF, "i32.add", a_, 13, "i32.shr_u", 1, "i32.and", "i32.add",
                                  0x38000000, "i32.sub", 13, "i32.shr_u"), np.dtype(np.int32))  # fmt: skip
    _i32(g, ("get", normal), 0x7C00, ("get", normal), 0x7C00, "i32.lt_u", "select")
    # subnormal (|x| < 2**-14): |x| + 0.5 has ulp 2**-24, so its mantissa is the rounded count of 2**-24
    _i32(g, a_, "f32.reinterpret_i32")
    g.f.op("f32.const", struct.pack("<f", 0.5))
    _i32(g, "f32.add", "i32.reinterpret_f32", 0x3F000000, "i32.sub")
    _i32(g, a_, 0x38800000, "i32.ge_u", "select")
    # NaN: 0x7C00 + the top mantissa bits, kept nonzero (NumPy's npy_floatbits_to_halfbits)
    m = g.spill(lambda: _i32(g, a_, 13, "i32.shr_u", 0x3FF, "i32.and"), np.dtype(np.int32))
    _i32(g, ("get", m), 0x7C00, "i32.or", ("get", m), "i32.eqz", "i32.or")
    _i32(g, a_, 0x7F800000, "i32.le_u", "select")
    _i32(g, b_, 16, "i32.shr_u", 0x8000, "i32.and", "i32.or")


def from_bits(g, dt: np.dtype) -> None:
    """The 16 bits of `dt` on the stack (an i32, upper bits 0) -> float32, exactly."""
    if dt == BF16:
        _i32(g, 16, "i32.shl", "f32.reinterpret_i32")
        return
    h = g.spill(None, np.dtype(np.int32))
    h_ = ("get", h)
    e = g.spill(lambda: _i32(g, h_, 0x7C00, "i32.and"), np.dtype(np.int32))
    # subnormal: (m | 0x3F000000) is 0.5 + m * 2**-24, so subtracting 0.5 leaves m * 2**-24 exactly
    _i32(g, h_, 0x3FF, "i32.and", 0x3F000000, "i32.or", "f32.reinterpret_i32")
    g.f.op("f32.const", struct.pack("<f", 0.5))
    _i32(g, "f32.sub", "i32.reinterpret_f32")
    # normal: rebias the exponent by 112; inf/NaN: exponent all ones, payload kept
    _i32(g, h_, 0x7FFF, "i32.and", 13, "i32.shl", 0x70000000, 0x38000000, ("get", e), 0x7C00, "i32.eq", "select",
         "i32.add")  # fmt: skip
    _i32(g, ("get", e), "i32.eqz", "select", h_, 0x8000, "i32.and", 16, "i32.shl", "i32.or", "f32.reinterpret_i32")


def _int_to_f64_odd(g, src: np.dtype) -> None:
    """A 32/64-bit integer on the stack -> float64, exact or rounded to odd (so later roundings are correct)."""
    sign = "s" if _signed(src) else "u"
    if src.itemsize == 4:
        g.f.op(f"f64.convert_i32_{sign}")  # exact
        return
    i64 = np.dtype(np.int64)
    x = g.spill(None, i64)
    f = g.spill(lambda: (g.f.op("local.get", x), g.f.op(f"f64.convert_i64_{sign}")), F64_DT)
    fb = g.spill(lambda: (g.f.op("local.get", f), g.f.op("i64.reinterpret_f64")), i64)
    # d = x - int(f): exact (|d| <= 2**10; saturation at 2**63 / 2**64 leaves d <= 0 as it should)
    d = g.spill(lambda: (g.f.op("local.get", x), g.f.op("local.get", f), g.f.op(f"i64.trunc_sat_f64_{sign}"),
                         g.f.op("i64.sub")), i64)  # fmt: skip
    # inexact and even: step the bits away from zero when |f| < |x| (d has x's sign), else towards it
    g.f.op("local.get", fb)
    g.f.op("i64.const", 1)
    g.f.op("i64.const", -1)
    g.f.op("local.get", d)
    if sign == "s":
        g.f.op("local.get", x)
        g.f.op("i64.xor")
        g.f.op("i64.const", 0)
        g.f.op("i64.ge_s")
    else:
        g.f.op("i64.const", 0)
        g.f.op("i64.gt_s")
    g.f.op("select")
    g.f.op("i64.add")
    g.f.op("local.get", fb)
    g.f.op("local.get", d)
    g.f.op("i64.const", 0)
    g.f.op("i64.ne")
    g.f.op("local.get", fb)
    g.f.op("i32.wrap_i64")
    _i32(g, 1, "i32.and", "i32.eqz", "i32.and", "select", "f64.reinterpret_i64")


def _demote_to_odd(g) -> None:
    """float64 on the stack -> float32 rounded to odd, so a second rounding to float16/bfloat16 is correct."""
    x = g.spill(None, F64_DT)
    r = g.spill(lambda: (g.f.op("local.get", x), g.f.op("f32.demote_f64")), F32_DT)
    rb = g.spill(lambda: (g.f.op("local.get", r), g.f.op("i32.reinterpret_f32")), np.dtype(np.int32))
    wide = g.spill(lambda: (g.f.op("local.get", r), g.f.op("f64.promote_f32")), F64_DT)
    # inexact and even: step to the odd neighbour on the other side of x
    _i32(g, ("get", rb), -1, 1, ("get", wide), "f64.abs", ("get", x), "f64.abs", "f64.gt", "select", "i32.add")
    _i32(g, ("get", rb), ("get", wide), ("get", x), "f64.lt", ("get", wide), ("get", x), "f64.gt", "i32.or",
         ("get", rb), 1, "i32.and", "i32.eqz", "i32.and", "select", "f32.reinterpret_i32")  # fmt: skip


# --- vector rules (32-bit lanes; bool lanes are -1/0 masks) ---------------------------------------


def lanes(dt: np.dtype) -> str:
    return "f32x4" if np.dtype(dt).kind == "f" else "i32x4"


def _v_binary(float_op: str, int_op: str | None):
    def rule(g, node, args):
        dt = node.args[0].dtype
        args[0]()
        args[1]()
        if dt.kind == "f":
            g.f.op(f"f32x4.{float_op}")
        else:
            g.f.op(int_op.format(s="s" if _signed(dt) else "u"))

    return rule


def _v_compare(float_op: str, int_op: str):
    def rule(g, node, args):
        dt = node.args[0].dtype
        args[0]()
        args[1]()
        if dt.kind == "f":
            g.f.op(f"f32x4.{float_op}")
        elif dt == np.bool_:
            g.f.op("i32x4.eq" if float_op == "eq" else "v128.xor")
        else:
            g.f.op(f"i32x4.{int_op.format(s='s' if _signed(dt) else 'u')}")

    return rule


def _v_logic(op: str):
    def rule(g, node, args):
        args[0]()
        args[1]()
        g.f.op(f"v128.{op}")

    return rule


def _v_unary(float_op: str | None, int_op: str | None = None):
    def rule(g, node, args):
        dt = node.args[0].dtype
        args[0]()
        g.f.op(float_op if dt.kind == "f" else int_op)

    return rule


def _v_mul(g, node, args):
    args[0]()
    args[1]()
    dt = node.dtype
    g.f.op("v128.and" if dt == np.bool_ else ("f32x4.mul" if dt.kind == "f" else "i32x4.mul"))


def _v_not(g, node, args):
    args[0]()
    g.f.op("v128.not")


def _v_select(g, node, args):
    args[2]()
    args[1]()
    args[0]()
    g.f.op("v128.bitselect")


def _v_is_finite(g, node, args):
    args[0]()
    g.f.op("f32x4.abs")
    g.splat_const(math.inf, np.dtype(np.float32))
    g.f.op("f32x4.lt")


def _v_rsqrt(g, node, args):
    g.splat_const(1.0, np.dtype(np.float32))
    args[0]()
    g.f.op("f32x4.sqrt")
    g.f.op("f32x4.div")


def _v_square(g, node, args):
    v = g.spill_vector(args[0])
    g.f.op("local.get", v)
    g.f.op("local.get", v)
    g.f.op("f32x4.mul" if node.dtype.kind == "f" else "i32x4.mul")


def _v_round(g, node, args):
    args[0]()
    g.f.op("f32x4.nearest")


def _v_convert(g, node, args):
    src, dst = node.args[0].dtype, node.dtype
    cs, cd = code(src), code(dst)
    args[0]()
    if cs == cd or {cs, cd} == {"i4", "u4"}:
        return
    if cs == "f4" and cd in ("i4", "u4"):
        g.f.op(f"i32x4.trunc_sat_f32x4_{'s' if cd == 'i4' else 'u'}")
    elif cs in ("i4", "u4") and cd == "f4":
        g.f.op(f"f32x4.convert_i32x4_{'s' if cs == 'i4' else 'u'}")
    elif cd == "b":
        g.splat_const(0, src)
        g.f.op("f32x4.ne" if cs == "f4" else "i32x4.ne")
    elif cs == "b" and cd == "f4":
        g.splat_const(1.0, dst)
        g.f.op("v128.and")
    elif cs == "b":
        g.f.op("i32x4.neg")
    else:
        raise AssertionError(f"vector conversion {src} -> {dst} was not planned")


def _v_shift(op: str):
    def rule(g, node, args):
        args[0]()
        g.f.op("i32.const", int(node.args[1].arg))
        g.f.op(op.format(s="s" if _signed(node.dtype) else "u"))

    return rule


def _v_bitcast(g, node, args):
    args[0]()


VECTOR = {
    "add": _v_binary("add", "i32x4.add"), "sub": _v_binary("sub", "i32x4.sub"), "mul": _v_mul,
    "div": _v_binary("div", None), "max": _v_binary("max", "i32x4.max_{s}"), "min": _v_binary("min", "i32x4.min_{s}"),
    "neg": _v_unary("f32x4.neg", "i32x4.neg"), "abs": _v_unary("f32x4.abs", None), "sqrt": _v_unary("f32x4.sqrt"),
    "floor": _v_unary("f32x4.floor"), "ceil": _v_unary("f32x4.ceil"), "round": _v_round,
    "is_finite": _v_is_finite, "rsqrt": _v_rsqrt, "square": _v_square,
    "eq": _v_compare("eq", "eq"), "ne": _v_compare("ne", "ne"), "lt": _v_compare("lt", "lt_{s}"),
    "le": _v_compare("le", "le_{s}"), "gt": _v_compare("gt", "gt_{s}"), "ge": _v_compare("ge", "ge_{s}"),
    "and": _v_logic("and"), "or": _v_logic("or"), "xor": _v_logic("xor"), "not": _v_not,
    "select_n": _v_select, "convert_element_type": _v_convert, "bitcast_convert_type": _v_bitcast,
    "shift_left": _v_shift("i32x4.shl"), "shift_right_arithmetic": _v_shift("i32x4.shr_{s}"),
    "shift_right_logical": _v_shift("i32x4.shr_u"),
}  # fmt: skip


def _half_even(node) -> bool:
    method = node.params.get("rounding_method", 0)
    return method in (1, "1") or str(method).endswith("EVEN")


def vector_supported(node) -> bool:
    """Whether `node` (lane-varying, 32-bit lanes) has a SIMD sequence; otherwise it runs lane by lane."""
    op = node.op
    if op not in VECTOR:
        return False
    dts = {np.dtype(a.dtype) for a in node.args} | {node.dtype}
    if not dts <= VECTOR_DTYPES:
        return False
    dt = node.args[0].dtype
    if op == "convert_element_type":
        return (code(dt), code(node.dtype)) in VECTOR_CONVERSIONS
    if op == "select_n":
        return len(node.args) == 3 and dt == np.bool_
    if op == "round":
        return _half_even(node)
    if op in ("div", "abs", "sqrt", "floor", "ceil", "is_finite", "rsqrt"):
        return dt.kind == "f"
    if op in ("lt", "le", "gt", "ge", "add", "sub", "max", "min", "neg", "square"):
        return dt != np.bool_
    if op in ("and", "or", "xor", "not"):
        return dt.kind in "iub"
    if op.startswith("shift_"):  # SIMD shifts take one amount for all lanes
        amount = node.args[1]
        return dt.itemsize == 4 and dt.kind in "iu" and amount.op == "const" and 0 <= amount.arg < 32
    return True


VECTOR_CONVERSIONS = {("f4", "i4"), ("f4", "u4"), ("i4", "f4"), ("u4", "f4"), ("f4", "b"), ("i4", "b"), ("u4", "b"),
                      ("b", "f4"), ("b", "i4"), ("b", "u4"), ("i4", "u4"), ("u4", "i4")}  # fmt: skip


# --- reductions ---------------------------------------------------------------------------------


def identity(op: str, dt: np.dtype):
    dt = np.dtype(dt)
    if op == "add" or op == "or":
        return 0
    if op == "mul":
        return 1
    if op == "and":
        return 1 if dt == np.bool_ else -1
    if dt == np.bool_:
        return 0 if op == "max" else 1
    if dt.kind == "f":
        return -math.inf if op == "max" else math.inf
    lo, hi = _limits(dt)
    return lo if op == "max" else hi


def combine_scalar(g, op: str, dt: np.dtype, acc_local: int, push_value) -> None:
    """acc = acc (op) value."""
    from jaxnc._src.lowering import ir

    node = ir.make(op, dt, (ir.acc(dt), ir.acc(dt)), ())
    SCALAR[op](g, node, [lambda: g.f.op("local.get", acc_local), push_value])
    g.f.op("local.set", acc_local)


def combine_vector(g, op: str, dt: np.dtype) -> None:
    """Combine the two vectors on the stack."""
    dt = np.dtype(dt)
    if op in ("and", "or"):
        g.f.op(f"v128.{op}")
    elif dt == np.bool_:
        g.f.op("v128.or" if op in ("add", "max") else "v128.and")
    elif dt.kind == "f":
        g.f.op(f"f32x4.{op}")
    elif op in ("add", "mul"):
        g.f.op(f"i32x4.{op}")
    else:
        g.f.op(f"i32x4.{op}_{'s' if _signed(dt) else 'u'}")
