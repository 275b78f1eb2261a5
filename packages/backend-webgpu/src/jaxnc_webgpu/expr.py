"""Scalar IR expressions -> WGSL: shared subexpressions become `let`s, each op one NaN-safe line."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from jaxnc._src.lowering import ir
from jaxnc_webgpu.wgsl import BOOL, F16, F32, TRANSCENDENTAL, Helpers, literal, reg

_BIN = {"add": "+", "sub": "-", "mul": "*"}
_CMP = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
_INT_RANGE = {"i32": (-(2**31), 2**31 - 1), "u32": (0, 2**32 - 1), "i64": (-(2**63), 2**63 - 1), "u64": (0, 2**64 - 1)}


class ExprRenderer:
    """Renders nodes to WGSL expressions; `load(node, index)` renders a buffer read."""

    def __init__(self, helpers: Helpers, load: Callable[[ir.Expr, str], str], variables: dict | None = None) -> None:
        self.h = helpers
        self.load = load
        self.variables = dict(variables or {})  # var name -> WGSL expression
        self.names: dict[ir.Expr, str] = {}

    def render(self, roots: list[ir.Expr], lines: list[str], place: Callable | None = None) -> list[str]:
        """WGSL for `roots`; `let`s go to `lines`, or where `place(node) -> (lines, force_let)` says."""
        order = ir.toposort(roots)
        uses: dict[ir.Expr, int] = {}
        for n in order:
            for a in n.args:
                uses[a] = uses.get(a, 0) + 1
        for n in order:
            if n in self.names:
                continue
            text = self._node(n)
            target, force = place(n) if place is not None else (lines, False)
            if (uses.get(n, 0) > 1 or force) and n.op not in ("const", "var"):
                name = self.h.fresh()
                target.append(f"let {name}: {reg(n.dtype)} = {text};")
                self.names[n] = name
            else:
                self.names[n] = text
        return [self.names[r] for r in roots]

    # --- one node ---------------------------------------------------------------------------------
    def _node(self, n: ir.Expr) -> str:
        if n.op == "const":
            if n.dtype.kind == "f" and not np.isfinite(n.arg):
                self.h.special(n.dtype)
            return literal(n.arg, n.dtype)
        if n.op == "var":
            return self.variables[n.arg[0]]
        if n.op == "load":
            return self.load(n, self.names[n.args[0]])
        if n.op == "acc":
            return self.variables["acc"]
        a = [self.names[x] for x in n.args]
        return render_op(n, a, self.h)


def _float_t(h: Helpers, dtype) -> str:
    return h.floats(dtype)


def render_op(n: ir.Expr, a: list[str], h: Helpers) -> str:  # noqa: C901 - one branch per op family
    op, dt = n.op, n.dtype
    x_dt = n.args[0].dtype
    t = reg(dt)
    fl = x_dt.kind == "f"
    if op in _BIN:
        if x_dt == BOOL:
            return f"({a[0]} {'&&' if op == 'mul' else '||'} {a[1]})" if op != "sub" else f"({a[0]} != {a[1]})"
        return _wrap(f"({a[0]} {_BIN[op]} {a[1]})", dt)
    if op == "neg":
        return _wrap(f"(-{a[0]})", dt)
    if op == "div":
        if fl:
            return f"({a[0]} / {a[1]})"
        if n.args[1].op == "const" and n.args[1].arg != 0:
            return f"({a[0]} / {a[1]})"
        zero = literal(0, x_dt)
        on_zero = literal(-1, dt) if dt.kind == "i" else literal(np.iinfo(dt).max, dt)
        return f"select({a[0]} / {a[1]}, {on_zero}, {a[1]} == {zero})"
    if op == "rem":
        if fl:
            f = _float_t(h, x_dt)
            nan = _special(h, x_dt, "nan")
            return (f"select({a[0]} % {a[1]}, {nan}, {a[1]} == {literal(0, x_dt)} || jx_isinf_{f}({a[0]}) "
                    f"|| jx_isnan_{f}({a[0]}) || jx_isnan_{f}({a[1]}))")  # fmt: skip
        nonzero = n.args[1].op == "const" and n.args[1].arg != 0
        if x_dt.kind == "i":
            # NB: naga lowers signed `%` to OpSRem, whose result is undefined (poison) for negative operands
            # in Vulkan without VK_KHR_maintenance8; NVIDIA returns the unsigned remainder (gfx-rs/wgpu
            # #8191). OpSDiv is defined, so the remainder is a - b * (a / b) (naga's `/` handles MIN / -1).
            rem = f"({a[0]} - {a[1]} * ({a[0]} / {a[1]}))"
        else:
            rem = f"({a[0]} % {a[1]})"
        return rem if nonzero else f"select({rem}, {a[0]}, {a[1]} == {literal(0, x_dt)})"
    if op in ("max", "min"):
        if x_dt == BOOL:
            return f"({a[0]} {'||' if op == 'max' else '&&'} {a[1]})"
        if fl:
            return f"jx_{op}_{_float_t(h, x_dt)}({a[0]}, {a[1]})"
        return f"{op}({a[0]}, {a[1]})"
    if op in _CMP:
        if not fl:
            return f"({a[0]} {_CMP[op]} {a[1]})"
        f = _float_t(h, x_dt)
        nan_in = f"(jx_isnan_{f}({a[0]}) || jx_isnan_{f}({a[1]}))"
        if op == "ne":
            return f"(({a[0]} != {a[1]}) || {nan_in})"
        return f"(({a[0]} {_CMP[op]} {a[1]}) && !{nan_in})"
    if op == "select_n":
        pred, cases = a[0], a[1:]
        if len(cases) == 1:
            return cases[0]
        if n.args[0].dtype == BOOL:
            return f"select({cases[0]}, {cases[1]}, {pred})"
        out = cases[-1]
        for k in range(len(cases) - 2, -1, -1):
            out = f"select({out}, {cases[k]}, {pred} == {literal(k, n.args[0].dtype)})"
        return out
    if op in ("and", "or", "xor"):
        if x_dt == BOOL:
            return f"({a[0]} {dict(a='&&', o='||', x='!=')[op[0]]} {a[1]})"
        return f"({a[0]} {dict(a='&', o='|', x='^')[op[0]]} {a[1]})"
    if op == "not":
        return f"(!{a[0]})" if x_dt == BOOL else _wrap(f"(~{a[0]})", dt)
    if op == "abs":
        return f"abs({a[0]})" if fl or t == "i32" or t == "i64" else a[0]
    if op == "sign":
        if fl:
            f = _float_t(h, x_dt)
            one, zero = literal(1, x_dt), literal(0, x_dt)
            return (f"select(select(select({zero}, -{one}, {a[0]} < {zero}), {one}, {a[0]} > {zero}), {a[0]}, "
                    f"jx_isnan_{f}({a[0]}))")  # fmt: skip
        return (
            f"select(select({literal(0, dt)}, {literal(-1, dt)}, {a[0]} < {literal(0, dt)}), {literal(1, dt)}, {a[0]} > {literal(0, dt)})"
            if t in ("i32", "i64")
            else f"select({literal(0, dt)}, {literal(1, dt)}, {a[0]} > {literal(0, dt)})"
        )  # noqa: E501
    if op in ("floor", "ceil", "sqrt"):
        return f"{op}({a[0]})"
    if op == "rsqrt":
        return f"inverseSqrt({a[0]})"
    if op == "round":
        if n.params.get("rounding_method", 0) == 1:
            return f"round({a[0]})"
        tr = f"trunc({a[0]})"
        return f"select({tr}, {tr} + sign({a[0]}), abs({a[0]} - {tr}) >= {literal(0.5, x_dt)})"
    if op == "is_finite":
        return f"jx_isfinite_{_float_t(h, x_dt)}({a[0]})"
    if op == "square":
        return _wrap(f"({a[0]} * {a[0]})", dt)
    if op == "integer_pow":
        return _integer_pow(a[0], n.params["y"], dt)
    if op == "population_count":
        return f"countOneBits({a[0]})"
    if op == "clz":
        return f"countLeadingZeros({a[0]})"
    if op in ("shift_left", "shift_right_logical", "shift_right_arithmetic"):
        return _shift(op, a, dt)
    if op in TRANSCENDENTAL:
        name = h.transcendental(op)
        if x_dt == F32:
            return f"{name}({', '.join(a)})"
        return f"{t}({name}({', '.join(f'f32({s})' for s in a)}))"
    if op == "convert_element_type":
        return convert(a[0], x_dt, dt, h)
    if op == "bitcast_convert_type":
        return f"bitcast<{t}>({a[0]})"
    raise NotImplementedError(f"the WGSL renderer has no rule for {op} on {x_dt}")


def _special(h: Helpers, dtype, which: str) -> str:
    h.special(dtype)
    return f"jx_special_{reg(dtype)}({which})"


def _wrap(text: str, dtype) -> str:
    """Wrap-around for integer types held in wider registers (int8/uint8 in i32/u32)."""
    dtype = np.dtype(dtype)
    if dtype == np.int8:
        return f"(({text} << 24u) >> 24u)"
    if dtype == np.uint8:
        return f"({text} & 0xffu)"
    return text


def _integer_pow(x: str, y: int, dt) -> str:
    if y == 0:
        return literal(1, dt)
    base = "*".join([x] * abs(y)) if abs(y) <= 8 else None
    if base is None:
        base = f"pow({x}, {literal(abs(y), dt)})" if dt.kind == "f" else "*".join([x] * abs(y))
    out = _wrap(f"({base})", dt)
    return f"({literal(1, dt)} / {out})" if y < 0 else out


def _shift(op: str, a: list[str], dt) -> str:
    bits = dt.itemsize * 8
    t = reg(dt)
    zero = literal(0, dt)
    # out-of-range amounts (negative or >= bits) give 0, or the sign fill for arithmetic right shifts
    amount = f"u32({a[1]})" if t in ("i32", "u32") else f"u32(clamp({a[1]}, {literal(0, dt)}, {literal(bits, dt)}))"
    oob = f"(u32({a[1]}) >= {bits}u)" if t in ("i32", "u32") else f"({a[1]} < {zero} || {a[1]} >= {literal(bits, dt)})"
    const = re.fullmatch(r"(-?\d+)l[iu]", a[1]) if bits == 64 else None
    if const is not None:  # naga's constant evaluation cannot convert an i64/u64 literal to u32
        k = int(const.group(1))
        amount, oob = f"{min(max(k, 0), 63)}u", ("false" if 0 <= k < 64 else "true")  # naga rejects `<< 64u`
    if op == "shift_left":
        return f"select({_wrap(f'({a[0]} << {amount})', dt)}, {zero}, {oob})"
    if op == "shift_right_arithmetic":
        fill = f"select({zero}, {literal(-1, dt)}, {a[0]} < {zero})" if dt.kind == "i" else zero
        return f"select(({a[0]} >> {amount}), {fill}, {oob})"
    if dt.kind == "i":  # logical: shift the unsigned bits of the value's own width
        u = "u32" if t == "i32" else "u64"
        mask = f" & {(1 << bits) - 1}u" if bits < 32 else ""
        return f"select({_wrap(f'{t}((bitcast<{u}>({a[0]}){mask}) >> {amount})', dt)}, {zero}, {oob})"
    return f"select(({a[0]} >> {amount}), {zero}, {oob})"


def convert(x: str, src, dst, h: Helpers) -> str:
    """lax.convert_element_type: NaN -> 0 and saturation for float -> int, `!= 0` for -> bool."""
    src, dst = np.dtype(src), np.dtype(dst)
    st, dt_ = reg(src), reg(dst)
    if src == dst:
        return x
    if dst == BOOL:
        if src.kind == "f":
            f = _float_t(h, src)
            return f"(({x} != {literal(0, src)}) || jx_isnan_{f}({x}))"
        return f"({x} != {literal(0, src)})"
    if src == BOOL:
        return f"select({literal(0, dst)}, {literal(1, dst)}, {x})"
    if src.kind == "f" and dst.kind in "iu":
        if src == F16:  # compare in f32: the integer limits overflow f16 literals
            x, src = f"f32({x})", F32
        f = _float_t(h, src)
        info = np.iinfo(dst)
        lo, hi = float(info.min), float(info.max)
        if dst.itemsize < 4:  # the range is exact in any float type: clamp, then convert
            body = f"{dt_}(clamp({x}, {literal(lo, src)}, {literal(hi, src)}))"
        else:  # the max may not be representable: compare against 2**bits instead
            body = f"select({dt_}({x}), {literal(info.max, dst)}, {x} >= {literal(hi + 1.0, src)})"
            if dst.kind == "i":
                body = f"select({body}, {literal(info.min, dst)}, {x} <= {literal(lo, src)})"
        return f"select({body}, {literal(0, dst)}, jx_isnan_{f}({x}))"
    if src.kind == "f" or dst.kind == "f":
        return f"{dt_}({x})"
    # integer -> integer: wrap like NumPy's astype
    if st == dt_:
        return _wrap(x, dst)
    if (st, dt_) in (("i32", "u32"), ("u32", "i32"), ("i64", "u64"), ("u64", "i64")):
        return _wrap(f"bitcast<{dt_}>({x})", dst)
    return _wrap(f"{dt_}({x})", dst)
