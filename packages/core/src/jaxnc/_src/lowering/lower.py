"""Jaxpr -> Program: fuse along the plan, form kernels over coalesced loop nests, fall back to routines."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Protocol

import numpy as np

from jaxnc._src import core
from jaxnc._src.lowering import ir, math_expand, rules
from jaxnc._src.lowering.fusion import plan_fusion
from jaxnc._src.lowering.kernel import Kernel, Reduce, primitive_routine
from jaxnc._src.lowering.lazy import Lazy, buffer_value, constant, map_trackers
from jaxnc._src.lowering.program import Call, Launch, Loop, Program, nbytes, plan_buffers
from jaxnc._src.lowering.view import ShapeTracker, View


class Capabilities(Protocol):
    """What the lowering asks of a kernel backend."""

    max_inputs: int

    def renders(self, op: str, dtype: np.dtype) -> bool:
        """Whether kernels may contain `op` on arguments of `dtype` ("load" asks about buffer dtypes,
        "reduce_<op>" about accumulators)."""

    # optional: `runs_loop(loop: Loop) -> bool`, whether the backend runs this scan/while natively
    # optional: `recomputes(eqn) -> bool`, whether a value read twice may be recomputed (fusion.py)


# --- inlining call-like primitives -------------------------------------------------------------


def inline_calls(jaxpr: core.Jaxpr) -> tuple[core.Jaxpr, dict[core.Var, np.ndarray]]:
    """Replace jit/custom_jvp/custom_vjp/remat equations by their bodies; their consts become values."""
    if not any(rules.kind(e.primitive) == "call" for e in jaxpr.eqns):
        return jaxpr, {}
    consts: dict[core.Var, np.ndarray] = {}
    eqns: list[core.JaxprEqn] = []
    rename: dict[core.Var, core.Atom] = {}

    def sub(a):
        return rename.get(a, a) if type(a) is core.Var else a

    for eqn in jaxpr.eqns:
        if rules.kind(eqn.primitive) != "call":
            eqns.append(eqn.replace(inputs=[sub(a) for a in eqn.inputs]))
            continue
        closed = rules.call_jaxpr(eqn)
        inner, inner_consts = inline_calls(closed.jaxpr)
        consts.update(inner_consts)
        for v, c in zip(inner.constvars, closed.consts, strict=True):
            consts[v] = np.asarray(c)
        inner_env = dict(zip(inner.invars, [sub(a) for a in eqn.inputs], strict=True))
        for e in inner.eqns:
            eqns.append(e.replace(inputs=[inner_env.get(a, a) if type(a) is core.Var else a for a in e.inputs]))
        for outer, inner_out in zip(eqn.outvars, inner.outvars, strict=True):
            rename[outer] = inner_env.get(inner_out, inner_out) if type(inner_out) is core.Var else inner_out
    outvars = [sub(v) for v in jaxpr.outvars]
    return core.Jaxpr([*jaxpr.constvars, *consts], jaxpr.invars, outvars, eqns), consts


# --- what a backend can run ----------------------------------------------------------------------

_render_cache: dict = {}


def renderable(caps: Capabilities, op: str, dtype: np.dtype, params: tuple = ()) -> bool:
    """Whether `op` on `dtype` can be in a kernel: natively or through a math expansion."""
    key = (id(caps), type(caps), op, dtype, params)
    hit = _render_cache.get(key)
    if hit is None:
        hit = _render_cache[key] = caps.renders(op, dtype) or math_expand.expandable(op, dtype, params, caps.renders)
    return hit


def eqn_kind(eqn: core.JaxprEqn, caps: Capabilities) -> str:
    """rules.kind, demoted to "routine" when the backend cannot render the equation."""
    kind = rules.kind(eqn.primitive)
    if kind in ("routine", "call"):
        return kind
    avals = [a.aval for a in eqn.inputs] + [v.aval for v in eqn.outvars]
    if any(not caps.renders("load", a.dtype) for a in avals):
        return "routine"
    name = eqn.primitive.name
    if kind == "elementwise":
        params = tuple(sorted(eqn.params.items()))
        try:
            hash(params)
        except TypeError:
            return "routine"  # params that cannot key a kernel
        in_dtype = eqn.inputs[-1].aval.dtype if name == "select_n" else eqn.inputs[0].aval.dtype
        return kind if renderable(caps, name, in_dtype, params) else "routine"
    if kind == "reduce":
        if name == "dot_general":
            dt = eqn.outvars[0].aval.dtype
            op, acc_dt = rules.accumulator_dtype("add", dt)
            ok = dt != np.bool_ and caps.renders("mul", acc_dt) and caps.renders("reduce_add", acc_dt)
        else:
            op, acc_dt = rules.accumulator_dtype(rules.REDUCE[name], eqn.inputs[0].aval.dtype)
            ok = caps.renders(f"reduce_{op}", acc_dt)
        return kind if ok else "routine"
    return kind


# --- the builder ---------------------------------------------------------------------------------


class _Lowering:
    def __init__(self, caps: Capabilities) -> None:
        self.caps = caps
        self.avals: dict[int, core.ShapedArray] = {}
        self.consts: dict[int, np.ndarray] = {}
        self.steps: list = []
        self._slots = itertools.count()

    def new_slot(self, aval: core.ShapedArray) -> int:
        s = next(self._slots)
        self.avals[s] = aval
        return s

    def const_slot(self, value: np.ndarray, aval: core.ShapedArray) -> int:
        s = self.new_slot(aval)
        self.consts[s] = np.ascontiguousarray(np.asarray(value, aval.dtype).reshape(aval.shape))
        return s

    def materialize(self, x: Lazy) -> Lazy:
        """A plain buffer holding `x` (a kernel launch unless `x` already is one)."""
        slot = x.buffer_slot()
        if slot is not None and nbytes(self.avals[slot]) == nbytes(x.aval):
            return buffer_value(slot, x.aval)
        kernel, ins = form_kernel(x, self.caps)
        out = self.new_slot(x.aval)
        self.steps.append(Launch(kernel, ins, out))
        return buffer_value(out, x.aval)

    def buffer(self, x: Lazy) -> int:
        return self.materialize(x).expr.arg[0]


def lower_jaxpr(jaxpr: core.Jaxpr, caps: Capabilities, consts: dict | None = None) -> Program:
    """Lower a closure-converted jaxpr to a Program of kernels, routines and buffer steps."""
    jaxpr, inlined = inline_calls(jaxpr)
    consts = {**(consts or {}), **inlined}
    kinds = {id(e): eqn_kind(e, caps) for e in jaxpr.eqns}
    plan = plan_fusion(jaxpr, lambda e: kinds[id(e)], caps.max_inputs, getattr(caps, "recomputes", None))
    lw = _Lowering(caps)
    env: dict[core.Var, Lazy] = {}
    inputs = []
    for v in jaxpr.invars:
        s = lw.new_slot(v.aval)
        inputs.append(s)
        env[v] = buffer_value(s, v.aval)
    for v in jaxpr.constvars:
        if v not in consts:
            raise ValueError(f"lower_jaxpr: constvar {v} has no value; pass a closure-converted jaxpr")
        env[v] = buffer_value(lw.const_slot(consts[v], v.aval), v.aval)

    def read(a) -> Lazy:
        if type(a) is core.Literal:
            return constant(np.asarray(a.val, a.aval.dtype).item(), a.aval)
        return env[a]

    def read_buffer(a) -> int:
        if type(a) is core.Literal:
            return lw.const_slot(np.asarray(a.val), a.aval)
        return lw.buffer(env[a])

    for eqn in jaxpr.eqns:
        kind = kinds[id(eqn)]
        if kind == "routine":
            ins = [read_buffer(a) for a in eqn.inputs]
            outs = [lw.new_slot(v.aval) for v in eqn.outvars]
            loop = lower_loop(eqn, caps, lw, ins, outs)
            if loop is not None:
                lw.steps.append(loop)
            else:
                routine = primitive_routine(eqn.primitive, eqn.params, [a.aval for a in eqn.inputs],
                                            [v.aval for v in eqn.outvars])  # fmt: skip
                lw.steps.append(Call(routine, ins, outs))
            for v, s in zip(eqn.outvars, outs, strict=True):
                env[v] = buffer_value(s, v.aval)
            continue
        out = rules.RULES[kind](lw, eqn, [read(a) for a in eqn.inputs])
        (v,) = eqn.outvars
        env[v] = lw.materialize(out) if v in plan else out
    outputs = [read_buffer(v) for v in jaxpr.outvars]
    prog = Program(inputs, outputs, lw.consts, lw.steps, lw.avals)
    return plan_buffers(prog)


# --- loops ----------------------------------------------------------------------------------------


def _lower_body(closed: core.ClosedJaxpr, caps: Capabilities, nconsts: int, lw: _Lowering) -> tuple[Program, list[int]]:
    """The body as a Program whose constants became inputs right after its `nconsts` leading ones,
    and the outer const slots holding them."""
    body = lower_jaxpr(closed.jaxpr, caps, dict(zip(closed.jaxpr.constvars, closed.consts, strict=True)))
    hoisted = list(body.consts)
    outer = [lw.const_slot(body.consts[s], body.avals[s]) for s in hoisted]
    inputs = [*body.inputs[:nconsts], *hoisted, *body.inputs[nconsts:]]
    return Program(inputs, body.outputs, {}, body.steps, body.avals), outer


def lower_loop(eqn: core.JaxprEqn, caps: Capabilities, lw: _Lowering, ins: list[int], outs: list[int]) -> Loop | None:
    """A Loop step for a scan/while equation when the backend runs it (`caps.runs_loop`), else None."""
    runs_loop = getattr(caps, "runs_loop", None)
    name, p = eqn.primitive.name, eqn.params
    if runs_loop is None or name not in ("scan", "while"):
        return None
    n_before = len(lw.consts)
    if name == "scan":
        nc = p["num_consts"]
        body, extra = _lower_body(p["jaxpr"], caps, nc, lw)
        params = {"kind": "scan", "num_consts": nc + len(extra), "num_carry": p["num_carry"],
                  "length": p["length"], "reverse": p["reverse"]}  # fmt: skip
        loop = Loop(body, [*ins[:nc], *extra, *ins[nc:]], outs, params)
    else:
        cn, bn = p["cond_nconsts"], p["body_nconsts"]
        cond, cextra = _lower_body(p["cond_jaxpr"], caps, cn, lw)
        body, bextra = _lower_body(p["body_jaxpr"], caps, bn, lw)
        params = {"kind": "while", "cond_nconsts": cn + len(cextra), "body_nconsts": bn + len(bextra)}
        loop = Loop(body, [*ins[:cn], *cextra, *ins[cn : cn + bn], *bextra, *ins[cn + bn :]], outs, params, cond)
    if runs_loop(loop):
        return loop
    for s in list(lw.consts)[n_before:]:  # the routine takes the original operands; drop the hoisted
        del lw.consts[s]
    return None


# --- kernel formation ----------------------------------------------------------------------------

_kernel_ids = itertools.count()


def _trackers(root: ir.Expr) -> list[ShapeTracker]:
    return [n.arg[1] if n.op == "view" else n.arg for n in ir.toposort([root]) if n.op in ("view", "valid", "vindex")]


def _mergeable(v: View, a: int, b: int) -> bool:
    if v.mask is not None and (v.mask[a] != (0, v.shape[a]) or v.mask[b] != (0, v.shape[b])):
        return False
    return v.strides[a] == v.strides[b] * v.shape[b]


def _groups(shape: list[int], offset: int, trackers: list[ShapeTracker]) -> list[int]:
    """Sizes of maximal runs of adjacent dims that every tracker reads as one dimension."""
    if not shape:
        return []
    sizes = [shape[0]]
    for d in range(1, len(shape)):
        if all(_mergeable(st.views[-1], offset + d - 1, offset + d) for st in trackers):
            sizes[-1] *= shape[d]
        else:
            sizes.append(shape[d])
    return sizes


def coalesce(shape, rshape, body_trackers, epi_trackers) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The smallest loop nest equivalent to (shape, rshape) for these trackers (unit dims dropped)."""
    if 0 in shape:
        return (0,), ()
    if 0 in rshape:
        return tuple(shape), (0,)
    s1 = [n for n in shape if n != 1]
    r1 = [n for n in rshape if n != 1]
    body = [st.reshape((*s1, *r1)) for st in body_trackers]
    epi = [st.reshape(tuple(s1)) for st in epi_trackers]
    return tuple(_groups(s1, 0, body + epi)), tuple(_groups(r1, len(s1), body))


def form_kernel(x: Lazy, caps: Capabilities) -> tuple[Kernel, list[int]]:
    """The Kernel computing lazy value `x` into a contiguous buffer, and the slots it reads."""
    red = x.red
    body_root = red.body if red else x.expr
    epi_root = x.expr if red else None
    rshape_in = red.rshape if red else ()
    shape, rshape = coalesce(x.shape, rshape_in, _trackers(body_root), _trackers(epi_root) if red else [])
    full = (*shape, *rshape)
    body_root = map_trackers(body_root, lambda st: st.reshape(full))
    if red:
        epi_root = map_trackers(epi_root, lambda st: st.reshape(shape))
    ivars = [ir.var(f"i{d}", n) for d, n in enumerate(shape)]
    rvars = [ir.var(f"r{d}", n) for d, n in enumerate(rshape)]
    slots: list[int] = []
    in_dtypes: list[np.dtype] = []

    def to_loads(idxs) -> Callable:
        def leaf(node, args):
            if node.op == "view":
                slot, st = node.arg
                index, valid = st.to_index(idxs)
                if slot not in slots:
                    slots.append(slot)
                    in_dtypes.append(node.dtype)
                if valid.op == "const" and not valid.arg:
                    index = ir.iconst(0)
                elif valid.op != "const":
                    index = ir.where(valid, index, ir.iconst(0))
                return ir.load(slots.index(slot), index, node.dtype)
            if node.op == "valid":
                return node.arg.to_index(idxs)[1]
            if node.op == "vindex":
                return ir.cast(node.arg.to_index(idxs)[0], node.dtype)
            return None

        return leaf

    body = ir.rewrite(body_root, to_loads([*ivars, *rvars]))
    body = math_expand.expand(body, caps.renders)
    reduce = None
    if red:
        epilogue = math_expand.expand(ir.rewrite(epi_root, to_loads(ivars)), caps.renders)
        reduce = Reduce(red.op, rshape, red.dtype, epilogue)
    name = _kernel_name([red.body if red else body, epi_root], red.op if red else None)
    kernel = Kernel(shape, x.aval.dtype, tuple(in_dtypes), body, reduce, name=name)
    return kernel, slots


def _kernel_name(roots, reduce_op: str | None) -> str:
    ops = [] if reduce_op is None else [{"add": "sum", "mul": "prod"}.get(reduce_op, reduce_op)]
    for n in ir.toposort([r for r in roots if r is not None]):
        if n.op not in ir.LEAVES and n.dtype != ir.INDEX and n.op not in ops and n.op not in ("select_n", "and"):
            ops.append(n.op)
    tag = "_".join(o.replace("convert_element_type", "cast") for o in ops[:4]) or "copy"
    if reduce_op is not None and len(ops) > 1:
        tag = "_".join(o.replace("convert_element_type", "cast") for o in [*ops[1:4], ops[0]])
    return f"k{next(_kernel_ids)}_{tag}"
