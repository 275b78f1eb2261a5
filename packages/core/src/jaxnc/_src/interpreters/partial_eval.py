"""Staging: tracing Python functions to jaxprs, and partial evaluation (known vs unknown values)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from jaxnc._src import core
from jaxnc._src.core import get_aval

# --- building jaxprs by tracing ------------------------------------------------------------------


class DynamicJaxprTracer(core.Tracer):
    __slots__ = ("_aval", "_var")

    def __init__(self, trace: DynamicJaxprTrace, aval: core.ShapedArray, var: core.Var) -> None:
        self._trace = trace
        self._aval = aval
        self._var = var

    @property
    def aval(self) -> core.ShapedArray:
        return self._aval


_LITERAL_TYPES = (bool, int, float, complex, np.generic)


class DynamicJaxprTrace(core.Trace):
    """Records every primitive applied to its tracers as an equation."""

    def __init__(self, parent: core.Trace) -> None:
        self.parent = parent
        self.eqns: list[core.JaxprEqn] = []
        self.invars: list[core.Var] = []
        self.constvars: list[core.Var] = []
        self.consts: list = []
        self._const_ids: dict[int, core.Var] = {}

    def new_arg(self, aval: core.ShapedArray) -> DynamicJaxprTracer:
        var = core.Var(aval)
        self.invars.append(var)
        return DynamicJaxprTracer(self, aval, var)

    def atom(self, x) -> core.Var | core.Literal:
        if type(x) is DynamicJaxprTracer and x._trace is self:
            return x._var
        if isinstance(x, core.Tracer):
            self.check_foreign(x)
        elif isinstance(x, _LITERAL_TYPES) or (isinstance(x, np.ndarray) and x.ndim == 0):
            return core.Literal(x, get_aval(x))
        var = self._const_ids.get(id(x))
        if var is None:
            var = self._const_ids[id(x)] = core.Var(get_aval(x))
            self.constvars.append(var)
            self.consts.append(x)  # NB: keeps x alive, so its id stays unique while we trace
        return var

    def process_primitive(self, prim, args, params):
        if prim.staging is not None:
            return prim.staging(self, args, params)
        return self.stage(prim, [self.atom(x) for x in args], params)

    def stage(self, prim, atoms, params, out_avals=None):
        if out_avals is None:
            out_avals = prim.out_avals([a.aval for a in atoms], params)
        outvars = [core.Var(a) for a in out_avals]
        self.eqns.append(core.JaxprEqn(prim, atoms, params, outvars))
        outs = [DynamicJaxprTracer(self, v.aval, v) for v in outvars]
        return outs if prim.multiple_results else outs[0]

    def to_jaxpr(self, outs: Sequence) -> tuple[core.Jaxpr, list]:
        outvars = [self.atom(o) for o in outs]
        return core.Jaxpr(self.constvars, self.invars, outvars, self.eqns), self.consts


def trace_to_jaxpr(fun: Callable, in_avals: Sequence[core.ShapedArray]) -> tuple[core.Jaxpr, list]:
    """Trace `fun(*tracers) -> list` to a jaxpr; consts are the captured values (may be outer tracers)."""
    trace = DynamicJaxprTrace(core.current_trace())
    with core.new_trace(trace):
        args = [trace.new_arg(a) for a in in_avals]
        outs = fun(*args)
        jaxpr, consts = trace.to_jaxpr(outs)
    return jaxpr, consts


def convert_constvars(jaxpr: core.Jaxpr) -> core.Jaxpr:
    """Closure conversion: constvars become leading invars."""
    return core.Jaxpr([], [*jaxpr.constvars, *jaxpr.invars], jaxpr.outvars, jaxpr.eqns)


def trace_to_closed_jaxpr(fun: Callable, in_avals: Sequence[core.ShapedArray]) -> core.ClosedJaxpr:
    """Trace to a ClosedJaxpr whose consts are concrete. Used for jaxprs derived from closed jaxprs,
    which cannot capture outer tracers."""
    jaxpr, consts = trace_to_jaxpr(fun, in_avals)
    for c in consts:
        if isinstance(c, core.Tracer):
            raise core.UnexpectedTracerError(c, "A derived jaxpr captured a value of an enclosing trace.")
    return core.ClosedJaxpr(jaxpr, consts)


# --- partial evaluation: known values are computed now, unknown ones are staged ------------------


class _LambdaBinding:
    __slots__ = ()


class _ConstRecipe:
    __slots__ = ("val",)

    def __init__(self, val) -> None:
        self.val = val


class _EqnRecipe:
    __slots__ = ("prim", "inputs", "params", "out_avals", "outs")

    def __init__(self, prim, inputs, params, out_avals) -> None:
        self.prim = prim
        self.inputs = inputs
        self.params = params
        self.out_avals = out_avals
        self.outs: list = []  # weak in spirit: the out tracers, filled by stage()


class PETracer(core.Tracer):
    """An unknown value of a partial evaluation (known values are plain values of the parent)."""

    __slots__ = ("_aval", "recipe", "__weakref__")

    def __init__(self, trace: PartialEvalTrace, aval: core.ShapedArray, recipe) -> None:
        self._trace = trace
        self._aval = aval
        self.recipe = recipe

    @property
    def aval(self) -> core.ShapedArray:
        return self._aval


class PartialEvalTrace(core.Trace):
    """Values not derived from `new_arg` tracers are known and computed by the parent trace at once."""

    def __init__(self, parent: core.Trace) -> None:
        self.parent = parent

    def new_arg(self, aval: core.ShapedArray) -> PETracer:
        return PETracer(self, aval, _LambdaBinding())

    def is_unknown(self, x) -> bool:
        if isinstance(x, PETracer) and x._trace is self:
            return True
        if isinstance(x, core.Tracer):
            self.check_foreign(x)
        return False

    def instantiate_const(self, x) -> PETracer:
        if self.is_unknown(x):
            return x
        return PETracer(self, get_aval(x), _ConstRecipe(x))

    def instantiate(self, x, aval: core.ShapedArray) -> PETracer:
        """An unknown tracer for `x`, materializing symbolic zeros."""
        if type(x) is core.Zero:
            from jaxnc._src.interpreters.ad import instantiate

            with core.set_current_trace(self.parent):
                x = instantiate(x, aval)
        return self.instantiate_const(x)

    def known_value(self, x):
        if self.is_unknown(x):
            raise core.UnexpectedTracerError(x, "A primal output depends on the tangent inputs.")
        return x

    def process_primitive(self, prim, args, params):
        if prim.partial_eval is not None:
            return prim.partial_eval(self, args, params)
        if not any(self.is_unknown(x) for x in args):
            with core.set_current_trace(self.parent):
                return prim.bind(*args, **params)
        tracers = [self.instantiate_const(x) for x in args]
        return self.stage(prim, tracers, params)

    def stage(self, prim, tracers, params, out_avals=None):
        if out_avals is None:
            out_avals = prim.out_avals([t.aval for t in tracers], params)
        recipe = _EqnRecipe(prim, tracers, params, out_avals)
        outs = [PETracer(self, a, recipe) for a in out_avals]
        recipe.outs = outs
        return outs if prim.multiple_results else outs[0]


def tracers_to_jaxpr(trace: PartialEvalTrace, in_tracers: Sequence[PETracer], out_tracers: Sequence[PETracer]):
    """The jaxpr of the staged computation from `in_tracers` to `out_tracers`; its constvars hold the
    known values it needs (the residuals), returned as consts (parent-level values)."""
    var_of: dict[int, core.Var | core.Literal] = {}
    constvars: list[core.Var] = []
    consts: list = []
    const_ids: dict[int, core.Var] = {}
    eqns: list[core.JaxprEqn] = []
    invars = []
    for t in in_tracers:
        v = core.Var(t.aval)
        var_of[id(t)] = v
        invars.append(v)
    done_recipes: set[int] = set()

    def visit(t):
        if id(t) in var_of:
            return var_of[id(t)]
        r = t.recipe
        if type(r) is _LambdaBinding:
            raise core.UnexpectedTracerError(t, "An input of the linearized function was not among its arguments.")
        if type(r) is _ConstRecipe:
            val = r.val
            if isinstance(val, _LITERAL_TYPES) or (isinstance(val, np.ndarray) and val.ndim == 0):
                atom = core.Literal(val, get_aval(val))
            else:
                atom = const_ids.get(id(val))
                if atom is None:
                    atom = const_ids[id(val)] = core.Var(t.aval)
                    constvars.append(atom)
                    consts.append(val)
            var_of[id(t)] = atom
            return atom
        return None  # an equation output: handled by the worklist below

    # iterative post-order over equation recipes (deep graphs must not hit the recursion limit)
    stack = [t for t in out_tracers]
    while stack:
        t = stack[-1]
        if id(t) in var_of or visit(t) is not None:
            stack.pop()
            continue
        r = t.recipe
        pending = [i for i in r.inputs if id(i) not in var_of and visit(i) is None]
        if pending:
            stack.extend(pending)
            continue
        stack.pop()
        if id(r) in done_recipes:
            continue
        done_recipes.add(id(r))
        outvars = [core.Var(a) for a in r.out_avals]
        for o, v in zip(r.outs, outvars, strict=True):
            var_of[id(o)] = v
        eqns.append(core.JaxprEqn(r.prim, [var_of[id(i)] for i in r.inputs], r.params, outvars))
    outvars = [var_of[id(t)] for t in out_tracers]
    return core.Jaxpr(constvars, invars, outvars, eqns), consts


def partial_eval_jaxpr(closed: core.ClosedJaxpr, unknowns: Sequence[bool], instantiate: bool | Sequence[bool] = False):
    """Split a jaxpr into a known part, run now, and an unknown part, staged.

    Returns (known, unknown, out_unknowns, num_res): `known` maps the known inputs to
    [known outputs..., residuals...]; `unknown` maps [residuals..., unknown inputs...] to the unknown
    outputs. Both are ClosedJaxprs."""
    key = ("pe", tuple(unknowns), instantiate if isinstance(instantiate, bool) else tuple(instantiate))
    cached = closed._cache.get(key)
    if cached is not None:
        return cached
    in_avals = closed.in_avals
    if isinstance(instantiate, bool):
        instantiate = [instantiate] * len(closed.out_avals)
    result: dict = {}

    def known_fun(*known_args):
        trace = PartialEvalTrace(core.current_trace())
        known_it = iter(known_args)
        unknown_ins = [trace.new_arg(a) for a, u in zip(in_avals, unknowns, strict=True) if u]
        unknown_it = iter(unknown_ins)
        args = [next(unknown_it) if u else next(known_it) for u in unknowns]
        with core.new_trace(trace):
            outs = core.eval_jaxpr(closed.jaxpr, closed.consts, *args)
            out_unknowns = [trace.is_unknown(o) or inst for o, inst in zip(outs, instantiate, strict=True)]
            unknown_outs = [trace.instantiate_const(o) for o, u in zip(outs, out_unknowns, strict=True) if u]
        jaxpr_unknown, residuals = tracers_to_jaxpr(trace, unknown_ins, unknown_outs)
        result["jaxpr"] = jaxpr_unknown
        result["out_unknowns"] = out_unknowns
        result["num_res"] = len(residuals)
        return [o for o, u in zip(outs, out_unknowns, strict=True) if not u] + list(residuals)

    known = trace_to_closed_jaxpr(known_fun, [a for a, u in zip(in_avals, unknowns, strict=True) if not u])
    unknown = core.ClosedJaxpr(convert_constvars(result["jaxpr"]), [])
    out = closed._cache[key] = (known, unknown, result["out_unknowns"], result["num_res"])
    return out
