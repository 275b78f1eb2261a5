"""Lowering rules: how each lax primitive becomes index arithmetic, an expression or a reduction.

`KIND` classifies primitives: `elementwise` (fuses), `movement` (a tracker change), `source` (iota),
`reduce` (one reduction with a fusible epilogue), `call` (its jaxpr is inlined); everything else is a
routine. A rule takes the lowering context and Lazy operands and returns a Lazy.
"""

from __future__ import annotations

import numpy as np

from jaxnc._src import core, dtypes
from jaxnc._src.lowering import ir
from jaxnc._src.lowering.lazy import Lazy, PendingReduce, map_trackers, move
from jaxnc._src.lowering.view import ShapeTracker

ELEMENTWISE = frozenset(
    """
    neg sign floor ceil round is_finite exp exp2 log log1p expm1 tanh logistic sin cos tan asin acos atan
    sinh cosh asinh acosh atanh sqrt rsqrt cbrt square abs erf erfc erf_inv integer_pow not population_count
    clz add sub mul div rem max min pow nextafter and or xor shift_left shift_right_logical
    shift_right_arithmetic eq ne lt le gt ge select_n convert_element_type bitcast_convert_type
    reduce_precision atan2
""".split()
)
MOVEMENT = frozenset("broadcast_in_dim reshape transpose rev slice pad concatenate stop_gradient".split())
REDUCE = {"reduce_sum": "add", "reduce_prod": "mul", "reduce_max": "max", "reduce_min": "min",
          "reduce_and": "and", "reduce_or": "or"}  # fmt: skip
CALLS = frozenset({"jit", "custom_jvp_call", "custom_vjp_call", "remat"})


def kind(prim: core.Primitive) -> str:
    name = prim.name
    if name in ELEMENTWISE:
        return "elementwise"
    if name in MOVEMENT:
        return "movement"
    if name in REDUCE or name == "dot_general":
        return "reduce"
    if name == "iota":
        return "source"
    if name in CALLS:
        return "call"
    return "routine"


def call_jaxpr(eqn: core.JaxprEqn) -> core.ClosedJaxpr:
    p = eqn.params
    return p.get("call_jaxpr") or p["jaxpr"]


# --- elementwise -----------------------------------------------------------------------------------


def elementwise(ctx, eqn: core.JaxprEqn, args: list[Lazy]) -> Lazy:
    out_aval = eqn.outvars[0].aval
    shape = out_aval.shape
    args = [_broadcast_scalar(ctx, a, shape) for a in args]
    reds = [i for i, a in enumerate(args) if a.red is not None]
    for i in reds[1:]:  # one reduction per kernel: the others become buffers
        args[i] = ctx.materialize(args[i])
    red = args[reds[0]].red if reds else None
    params = dict(eqn.params)
    name = eqn.primitive.name
    if name == "bitcast_convert_type":
        params = {"new_dtype": np.dtype(params["new_dtype"])}
    expr = ir.apply(name, *[a.expr for a in args], **params)
    if expr.dtype != out_aval.dtype:
        raise TypeError(f"lowering {name}: expression dtype {expr.dtype} differs from {out_aval.dtype}")
    return Lazy(out_aval, expr, red)


def _broadcast_scalar(ctx, x: Lazy, shape) -> Lazy:
    if x.shape == tuple(shape) or not shape:
        return x
    if x.red is not None:
        x = ctx.materialize(x)
    ones = (1,) * len(shape)
    return move(x, shape, lambda st: st.reshape(ones).expand(shape))


# --- movement ------------------------------------------------------------------------------------


def movement(ctx, eqn: core.JaxprEqn, args: list[Lazy]) -> Lazy:
    args = [ctx.materialize(a) if a.red is not None else a for a in args]
    name, p = eqn.primitive.name, eqn.params
    shape = eqn.outvars[0].aval.shape
    x = args[0]
    if name == "stop_gradient":
        return x
    if name == "reshape":
        return move(x, shape, lambda st: st.reshape(shape))
    if name == "transpose":
        return move(x, shape, lambda st: st.permute(p["permutation"]))
    if name == "rev":
        return move(x, shape, lambda st: st.flip(p["dimensions"]))
    if name == "broadcast_in_dim":
        expanded = [1] * len(shape)
        for i, d in enumerate(p["broadcast_dimensions"]):
            expanded[d] = x.shape[i]
        return move(x, shape, lambda st: st.reshape(expanded).expand(shape))
    if name == "slice":
        start, limit, steps = p["start_indices"], p["limit_indices"], p["strides"]
        bounds = list(zip(start, limit, strict=True))
        if steps is None or all(s == 1 for s in steps):
            return move(x, shape, lambda st: st.shrink(bounds))
        return move(x, shape, lambda st: st.shrink(bounds).step(steps))
    if name == "pad":
        return _pad(x, args[1], p["padding_config"], shape)
    if name == "concatenate":
        return _concatenate(args, p["dimension"], shape)
    raise NotImplementedError(f"no movement rule for {name}")


def _pad_fn(in_shape, config):
    """A tracker transformation performing lax.pad's geometry (negative widths crop, interior spreads)."""

    def fn(st: ShapeTracker) -> ShapeTracker:
        shape = list(in_shape)
        for d, (lo, hi, interior) in enumerate(config):
            n = shape[d]
            if interior > 0 and n > 1:
                # spread: [n] -> [n, 1] -> pad to [n, 1 + interior] -> [n * (1 + interior)] -> crop the tail
                split = shape[:d] + [n, 1] + shape[d + 1 :]
                st = st.reshape(split).pad([(0, 0)] * (d + 1) + [(0, interior)] + [(0, 0)] * (len(shape) - d - 1))
                merged = shape[:d] + [n * (1 + interior)] + shape[d + 1 :]
                st = st.reshape(merged)
                m = n + (n - 1) * interior
                st = st.shrink([(0, k) if i != d else (0, m) for i, k in enumerate(merged)])
                shape[d] = m
            crop = [(0, k) for k in shape]
            crop[d] = (max(0, -lo), shape[d] - max(0, -hi))
            if crop[d] != (0, shape[d]):
                st = st.shrink(crop)
                shape[d] = crop[d][1] - crop[d][0]
            widths = [(0, 0)] * len(shape)
            widths[d] = (max(0, lo), max(0, hi))
            if widths[d] != (0, 0):
                st = st.pad(widths)
                shape[d] += widths[d][0] + widths[d][1]
        return st

    return fn


def _valid(st: ShapeTracker) -> ir.Expr:
    return ir.make("valid", ir.BOOL, (), st)


def _pad(x: Lazy, value: Lazy, config, shape) -> Lazy:
    fn = _pad_fn(x.shape, config)
    inside = _valid(fn(ShapeTracker.contiguous(x.shape)))
    fill = move(value, shape, lambda st: st.reshape((1,) * len(shape)).expand(shape)) if value.shape != shape else value
    return Lazy(x.aval.update(shape=shape), ir.where(inside, map_trackers(x.expr, fn), fill.expr))


def _concatenate(args: list[Lazy], dim: int, shape) -> Lazy:
    total = shape[dim]
    offsets = np.cumsum([0] + [a.shape[dim] for a in args])
    out = None
    for a, off in reversed(list(zip(args, offsets[:-1], strict=True))):
        config = [(0, 0, 0)] * len(shape)
        config[dim] = (int(off), int(total - off - a.shape[dim]), 0)
        fn = _pad_fn(a.shape, config)
        placed = map_trackers(a.expr, fn)
        out = placed if out is None else ir.where(_valid(fn(ShapeTracker.contiguous(a.shape))), placed, out)
    return Lazy(args[0].aval.update(shape=shape), out)


# --- sources -------------------------------------------------------------------------------------


def iota(ctx, eqn: core.JaxprEqn, args: list[Lazy]) -> Lazy:
    p = eqn.params
    shape, d = tuple(p["shape"]), p["dimension"]
    ones = [1] * len(shape)
    ones[d] = shape[d]
    st = ShapeTracker.contiguous((shape[d],)).reshape(ones).expand(shape)
    return Lazy(eqn.outvars[0].aval, ir.make("vindex", np.dtype(p["dtype"]), (), st))


# --- reductions ----------------------------------------------------------------------------------

_BOOL_REDUCE = {"add": "or", "mul": "and", "max": "or", "min": "and", "or": "or", "and": "and"}


def accumulator_dtype(op: str, dtype: np.dtype) -> tuple[str, np.dtype]:
    """The reduction actually run: bool sums are `or`; half-precision sums accumulate in float32."""
    if dtype == np.bool_:
        return _BOOL_REDUCE[op], dtype
    if dtype in (dtypes.float16, dtypes.bfloat16):
        return op, np.dtype(np.float32)
    return op, dtype


def reduce_lazy(ctx, x: Lazy, axes, op: str, out_aval: core.ShapedArray) -> Lazy:
    if x.red is not None:
        x = ctx.materialize(x)
    if not axes:
        return x
    kept = [d for d in range(len(x.shape)) if d not in axes]
    perm = [*kept, *axes]
    op, acc_dt = accumulator_dtype(op, x.aval.dtype)
    body = ir.cast(map_trackers(x.expr, lambda st: st.permute(perm)), acc_dt)
    rshape = tuple(x.shape[a] for a in axes)
    epilogue = ir.cast(ir.acc(acc_dt), out_aval.dtype)
    return Lazy(out_aval, epilogue, PendingReduce(op, body, rshape, acc_dt))


def reduce(ctx, eqn: core.JaxprEqn, args: list[Lazy]) -> Lazy:
    name = eqn.primitive.name
    if name == "dot_general":
        return dot_general(ctx, eqn, args)
    return reduce_lazy(ctx, args[0], tuple(eqn.params["axes"]), REDUCE[name], eqn.outvars[0].aval)


def dot_general(ctx, eqn: core.JaxprEqn, args: list[Lazy]) -> Lazy:
    """out[b, i, j] = sum_k lhs[b, i, k] * rhs[b, k, j]: a broadcast product reduced over k."""
    lhs, rhs = (ctx.materialize(a) if a.red is not None else a for a in args)
    (lc, rc), (lb, rb) = eqn.params["dimension_numbers"]
    out_aval = eqn.outvars[0].aval
    lf = [d for d in range(len(lhs.shape)) if d not in lc and d not in lb]
    rf = [d for d in range(len(rhs.shape)) if d not in rc and d not in rb]
    bshape = [lhs.shape[d] for d in lb]
    lfs, rfs, ks = [lhs.shape[d] for d in lf], [rhs.shape[d] for d in rf], [lhs.shape[d] for d in lc]
    full = (*bshape, *lfs, *rfs, *ks)
    lhs_expanded = (*bshape, *lfs, *[1] * len(rfs), *ks)
    rhs_expanded = (*bshape, *[1] * len(lfs), *rfs, *ks)
    lhs = move(lhs, full, lambda st: st.permute([*lb, *lf, *lc]).reshape(lhs_expanded).expand(full))
    rhs = move(rhs, full, lambda st: st.permute([*rb, *rf, *rc]).reshape(rhs_expanded).expand(full))
    work = out_aval.dtype
    if work in (dtypes.float16, dtypes.bfloat16) or lhs.aval.dtype in (dtypes.float16, dtypes.bfloat16):
        work = np.dtype(np.float32)
    prod = ir.apply("mul", ir.cast(lhs.expr, work), ir.cast(rhs.expr, work))
    product = Lazy(core.ShapedArray(full, work), prod)
    nk = len(ks)
    axes = tuple(range(len(full) - nk, len(full)))
    if nk == 0:
        return Lazy(out_aval, ir.cast(prod, out_aval.dtype))
    return reduce_lazy(ctx, product, axes, "add", out_aval)


RULES = {"elementwise": elementwise, "movement": movement, "reduce": reduce, "source": iota}
