"""Automatic differentiation: the JVP trace, transposition of linear jaxprs, linearize and vjp."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from jaxnc._src import core, dtypes
from jaxnc._src.core import UndefinedPrimal, Zero, get_aval, is_undefined_primal


def _lax():
    from jaxnc._src.lax import lax

    return lax


# --- tangent arithmetic with symbolic zeros ---------------------------------------------------


def instantiate(t, aval=None):
    """A concrete zero array for a symbolic Zero; other tangents unchanged."""
    if type(t) is Zero:
        aval = aval or t.aval
        if aval.dtype == core.dtypes.float0:
            return np.zeros(aval.shape, core.dtypes.float0)
        return _lax().full(aval.shape, 0, aval.dtype)
    return t


def add_tangents(x, y):
    if type(x) is Zero:
        return y
    if type(y) is Zero:
        return x
    return _lax().add(x, y)


def zeros_like_aval(aval: core.ShapedArray):
    return _lax().full(aval.shape, 0, aval.dtype)


# --- rule helpers, so a primitive's JVP reads like the math -----------------------------------


def defjvp(prim: core.Primitive, *per_arg: Callable | None) -> None:
    """JVP as a sum of per-argument terms `f_i(t_i, *primals, **params)`; None marks a
    non-differentiable argument. Zero tangents are skipped."""

    def rule(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        t_out = Zero(get_aval(out).to_tangent_aval())
        for f, t in zip(per_arg, tangents, strict=True):
            if f is not None and type(t) is not Zero:
                t_out = add_tangents(t_out, f(t, *primals, **params))
        return out, t_out

    prim.def_jvp(rule)


def defjvp_ans(prim: core.Primitive, *per_arg: Callable | None) -> None:
    """Like defjvp, but each term also receives the primal output: `f_i(t_i, ans, *primals, **params)`."""

    def rule(primals, tangents, **params):
        ans = prim.bind(*primals, **params)
        t_out = Zero(get_aval(ans).to_tangent_aval())
        for f, t in zip(per_arg, tangents, strict=True):
            if f is not None and type(t) is not Zero:
                t_out = add_tangents(t_out, f(t, ans, *primals, **params))
        return ans, t_out

    prim.def_jvp(rule)


def deflinear(prim: core.Primitive, transpose: Callable) -> None:
    """A primitive linear in all of its arguments: its JVP applies it to the tangents."""

    def rule(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        if all(type(t) is Zero for t in tangents):
            return out, Zero(get_aval(out).to_tangent_aval())
        tangents = [instantiate(t, get_aval(p).to_tangent_aval()) for p, t in zip(primals, tangents, strict=True)]
        return out, prim.bind(*tangents, **params)

    prim.def_jvp(rule)
    prim.def_transpose(transpose)
    prim.linear = True


def defjvp_zero(prim: core.Primitive) -> None:
    """A primitive whose output has no tangent (comparisons, integer ops, argmax...)."""

    def rule(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        outs = out if prim.multiple_results else [out]
        zeros = [Zero(get_aval(o).to_tangent_aval()) for o in outs]
        return out, zeros if prim.multiple_results else zeros[0]

    prim.def_jvp(rule)


# --- the JVP trace -----------------------------------------------------------------------------


class JVPTracer(core.Tracer):
    __slots__ = ("primal", "tangent")

    def __init__(self, trace: JVPTrace, primal, tangent) -> None:
        self._trace = trace
        self.primal = primal
        self.tangent = tangent

    @property
    def aval(self) -> core.ShapedArray:
        return get_aval(self.primal)

    def to_concrete_value(self):
        p = self.primal
        if isinstance(p, core.Tracer):
            return p.to_concrete_value()
        return p.to_concrete_value() if hasattr(p, "to_concrete_value") else p


class JVPTrace(core.Trace):
    def __init__(self, parent: core.Trace) -> None:
        self.parent = parent

    def unpack(self, x):
        if isinstance(x, JVPTracer) and x._trace is self:
            return x.primal, x.tangent
        if isinstance(x, core.Tracer):
            self.check_foreign(x)
        return x, Zero(get_aval(x).to_tangent_aval())

    def process_primitive(self, prim, args, params):
        pairs = [self.unpack(x) for x in args]
        primals = [p for p, _ in pairs]
        tangents = [t for _, t in pairs]
        with core.set_current_trace(self.parent):
            if all(type(t) is Zero for t in tangents):
                return prim.bind(*primals, **params)
            if prim.jvp is None:
                raise NotImplementedError(f"Differentiation rule for '{prim.name}' not implemented")
            out, t_out = prim.jvp(primals, tangents, **params)
        if prim.multiple_results:
            return [self.wrap(o, t) for o, t in zip(out, t_out, strict=True)]
        return self.wrap(out, t_out)

    def wrap(self, primal, tangent):
        if type(tangent) is Zero:
            return primal
        return JVPTracer(self, primal, tangent)


def jvp_flat(f: Callable, primals: Sequence, tangents: Sequence, instantiate_zeros: bool = True):
    """Push tangents forward through `f` (flat lists in and out)."""
    trace = JVPTrace(core.current_trace())
    with core.new_trace(trace):
        ins = [trace.wrap(p, t) for p, t in zip(primals, tangents, strict=True)]
        outs = f(*ins)
    out_primals, out_tangents = [], []
    for o in outs:
        p, t = trace.unpack(o) if isinstance(o, JVPTracer) and o._trace is trace else (o, Zero.from_value(o))
        out_primals.append(p)
        out_tangents.append(instantiate(t) if instantiate_zeros else t)
    return out_primals, out_tangents


# --- transposition -----------------------------------------------------------------------------


def backward_pass(jaxpr: core.Jaxpr, consts: Sequence, args: Sequence, cts_out: Sequence) -> list:
    """Cotangents of the UndefinedPrimal entries of `args`, given output cotangents (Zero allowed).

    Equations with no linear input are evaluated forward first (they compute values the linear
    part needs, e.g. inside checkpointed or jitted jaxprs)."""
    primal_env: dict = {}

    def read_primal(a):
        if type(a) is core.Literal:
            return a.val
        return primal_env.get(a, UndefinedPrimal(a.aval))

    for v, x in zip(jaxpr.constvars, consts, strict=True):
        primal_env[v] = x
    for v, x in zip(jaxpr.invars, args, strict=True):
        if not is_undefined_primal(x):
            primal_env[v] = x
    linear_eqns = []
    for eqn in jaxpr.eqns:
        ins = [read_primal(a) for a in eqn.inputs]
        if any(is_undefined_primal(x) for x in ins):
            linear_eqns.append(eqn)
            continue
        outs = eqn.primitive.bind(*ins, **eqn.params)
        outs = outs if eqn.primitive.multiple_results else [outs]
        primal_env.update(zip(eqn.outvars, outs, strict=True))

    ct_env: dict = {}

    def write_ct(v, ct):
        if type(v) is core.Literal or ct is None or type(ct) is Zero:
            return
        ct_env[v] = add_tangents(ct_env[v], ct) if v in ct_env else ct

    for v, ct in zip(jaxpr.outvars, cts_out, strict=True):
        write_ct(v, ct)
    for eqn in reversed(linear_eqns):
        cts = [ct_env.pop(v, Zero(v.aval.to_tangent_aval())) for v in eqn.outvars]
        if all(type(c) is Zero for c in cts):
            continue
        prim = eqn.primitive
        if prim.transpose is None:
            raise NotImplementedError(f"Transpose rule (for reverse-mode differentiation) for '{prim.name}' "
                                      "not implemented")
        ins = [read_primal(a) for a in eqn.inputs]
        cts_in = prim.transpose(cts if prim.multiple_results else cts[0], *ins, **eqn.params)
        for a, ct in zip(eqn.inputs, cts_in, strict=True):
            if type(a) is core.Var and is_undefined_primal(read_primal(a)):
                write_ct(a, ct)
    return [ct_env.get(v, Zero(v.aval.to_tangent_aval())) if is_undefined_primal(x) else None
            for v, x in zip(jaxpr.invars, args, strict=True)]


# --- linearize and vjp ---------------------------------------------------------------------------


def linearize_flat(f: Callable, primals: Sequence):
    """Primal outputs and the linear map of tangents as a jaxpr (JVP + partial evaluation)."""
    from jaxnc._src.interpreters import partial_eval as pe

    parent = core.current_trace()
    pe_trace = pe.PartialEvalTrace(parent)
    jvp_trace = JVPTrace(pe_trace)
    tangent_avals = [get_aval(p).to_tangent_aval() for p in primals]
    tangent_ins = [pe_trace.new_arg(a) for a in tangent_avals]
    # NB: int/bool primals have float0 tangents, which carry no data: symbolic zeros inside, inputs outside
    jvp_tangents = [Zero(a) if a.dtype == dtypes.float0 else t for a, t in zip(tangent_avals, tangent_ins, strict=True)]
    with core.new_trace(pe_trace), core.new_trace(jvp_trace):
        outs = f(*[jvp_trace.wrap(p, t) for p, t in zip(primals, jvp_tangents, strict=True)])
        pairs = [jvp_trace.unpack(o) for o in outs]
    out_primals = [pe_trace.known_value(p) for p, _ in pairs]
    out_avals = [get_aval(p).to_tangent_aval() for p in out_primals]
    # float0 outputs (of int/bool values) are left out of the linear jaxpr: their tangents are zero by type
    out_tangents = [pe_trace.instantiate(t, a) for (_, t), a in zip(pairs, out_avals, strict=True) if a.dtype != dtypes.float0]
    jaxpr, consts = pe.tracers_to_jaxpr(pe_trace, tangent_ins, out_tangents)
    return out_primals, jaxpr, consts, out_avals


def with_float0_outputs(outs: Sequence, out_avals: Sequence) -> list:
    """The linear jaxpr's outputs with the float0 zeros of `linearize_flat`'s left-out outputs put back."""
    it = iter(outs)
    return [instantiate(Zero(a)) if a.dtype == dtypes.float0 else next(it) for a in out_avals]


def vjp_flat(f: Callable, primals: Sequence):
    """Primal outputs and a function mapping output cotangents to input cotangents (flat)."""
    out_primals, jaxpr, consts, out_avals = linearize_flat(f, primals)

    def f_vjp(*cts):
        args = [UndefinedPrimal(v.aval) for v in jaxpr.invars]
        cts = [ct for ct, a in zip(cts, out_avals, strict=True) if a.dtype != dtypes.float0]
        cts_in = backward_pass(jaxpr, consts, args, cts)
        return [instantiate(ct) for ct in cts_in]

    return out_primals, f_vjp, (jaxpr, consts)


# --- derived jaxprs for higher-order primitives (cached on the source ClosedJaxpr) ---------------


def jvp_jaxpr(closed: core.ClosedJaxpr, nonzeros: Sequence[bool]) -> core.ClosedJaxpr:
    """A jaxpr computing (primal outs, tangent outs) from (primals, tangents of the nonzero inputs)."""

    return core.cached_derived(closed, ("jvp", tuple(nonzeros)), lambda: _jvp_jaxpr(closed, nonzeros))


def _jvp_jaxpr(closed, nonzeros):
    from jaxnc._src.interpreters import partial_eval as pe

    in_avals = closed.in_avals
    tangent_avals = [a.to_tangent_aval() for a, nz in zip(in_avals, nonzeros, strict=True) if nz]

    def fun(*args):
        primals, tangents_nz = args[: len(in_avals)], iter(args[len(in_avals) :])
        tangents = [next(tangents_nz) if nz else Zero(a.to_tangent_aval()) for a, nz in zip(in_avals, nonzeros, strict=True)]
        outs_p, outs_t = jvp_flat(core.jaxpr_as_fun(closed), primals, tangents)
        return [*outs_p, *outs_t]

    return pe.trace_to_closed_jaxpr(fun, [*in_avals, *tangent_avals])


def transpose_jaxpr(closed: core.ClosedJaxpr, linear: Sequence[bool]) -> core.ClosedJaxpr:
    """A jaxpr mapping (non-linear inputs, output cotangents) to cotangents of the linear inputs."""

    return core.cached_derived(closed, ("transpose", tuple(linear)), lambda: _transpose_jaxpr(closed, linear))


def _transpose_jaxpr(closed, linear):
    from jaxnc._src.interpreters import partial_eval as pe

    in_avals = closed.in_avals
    nonlin_avals = [a for a, lin in zip(in_avals, linear, strict=True) if not lin]

    def fun(*args):
        nonlin, cts = iter(args[: len(nonlin_avals)]), args[len(nonlin_avals) :]
        ins = [UndefinedPrimal(a) if lin else next(nonlin) for a, lin in zip(in_avals, linear, strict=True)]
        cts_in = backward_pass(closed.jaxpr, closed.consts, ins, cts)
        lin_avals = [a for a, lin in zip(in_avals, linear, strict=True) if lin]
        return [instantiate(ct, a.to_tangent_aval()) for ct, a in zip([c for c in cts_in if c is not None], lin_avals, strict=True)]

    ct_avals = [a.to_tangent_aval() for a in closed.out_avals]
    return pe.trace_to_closed_jaxpr(fun, [*nonlin_avals, *ct_avals])
