"""Reference execution of a jaxpr over NumPy: each equation through its primitive's `impl`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from jaxnc._src import core
from jaxnc._src.backends.base import Executable


def _fix(out, aval: core.ShapedArray) -> np.ndarray:
    """Impls return NumPy values; make them arrays of exactly the abstract dtype (NumPy may widen)."""
    if type(out) is not np.ndarray or out.dtype != aval.dtype:
        out = np.asarray(out, dtype=aval.dtype)
    return out


def eval_jaxpr_impl(jaxpr: core.Jaxpr, consts: Sequence, args: Sequence, impl_for=None) -> list[np.ndarray]:
    """Evaluate `jaxpr` on NumPy arrays with the primitives' reference implementations."""
    env: dict = {}
    for v, x in zip(jaxpr.constvars, consts, strict=True):
        env[v] = x
    for v, x in zip(jaxpr.invars, args, strict=True):
        env[v] = x
    for eqn in jaxpr.eqns:
        prim = eqn.primitive
        impl = prim.impl if impl_for is None else impl_for(prim)
        ins = [np.asarray(a.val, a.aval.dtype) if type(a) is core.Literal else env[a] for a in eqn.inputs]
        outs = impl(*ins, **eqn.params)
        if not prim.multiple_results:
            outs = (outs,)
        for v, x in zip(eqn.outvars, outs, strict=True):
            env[v] = _fix(x, v.aval)
    return [np.asarray(v.val, v.aval.dtype) if type(v) is core.Literal else env[v] for v in jaxpr.outvars]


_OPERATORS = {np.add: "+", np.subtract: "-", np.multiply: "*"}


def codegen(closed: core.ClosedJaxpr, header: str, pre: list[str], post: list[str], names: dict, indent: str,
            ns: dict, impl_for, scalars: bool = False) -> str:
    """Python source running the jaxpr's equations as straight-line calls to primitive implementations.

    `names` maps invars to the source names of the inputs; `post` lines are formatted with the names of
    the outputs. Equations whose inputs are all literals or folded constants are evaluated here, once
    (constant folding). With `scalars`, rank-0 values may stay NumPy scalars between equations (they
    behave as 0-d arrays and are ~10x cheaper to operate on); the caller converts what leaves."""
    j = closed.jaxpr
    lines = [header, *pre]
    folded: dict = {}
    for k, (v, c) in enumerate(zip(j.constvars, closed.consts, strict=True)):
        ns[f"_c{k}"] = np.asarray(c)
        names[v] = f"_c{k}"

    def ref(a) -> str:
        if type(a) is core.Literal:
            key = f"_l{len(ns)}"
            ns[key] = np.asarray(a.val, a.aval.dtype)
            return key
        return names[a]

    def value(a):
        return np.asarray(a.val, a.aval.dtype) if type(a) is core.Literal else folded[a]

    for e, eqn in enumerate(j.eqns):
        impl = impl_for(eqn.primitive)
        if not eqn.primitive.multiple_results and all(type(a) is core.Literal or a in folded for a in eqn.inputs):
            v = eqn.outvars[0]
            folded[v] = _fix(impl(*map(value, eqn.inputs), **eqn.params), v.aval)
            names[v] = f"_k{e}"
            ns[names[v]] = folded[v]
            continue
        ns[f"_f{e}"], ns[f"_p{e}"] = impl, eqn.params
        outs = []
        for v in eqn.outvars:
            names[v] = f"v{len(names)}"
            outs.append(names[v])
            ns[f"_d{names[v]}"] = v.aval.dtype
        op = _OPERATORS.get(impl) if scalars and not eqn.params and len(eqn.inputs) == 2 else None
        if op is not None:  # NB: same result as the ufunc on same-dtype operands, without ufunc dispatch on scalars
            call = f"{ref(eqn.inputs[0])} {op} {ref(eqn.inputs[1])}"
        elif eqn.params:
            call = f"_f{e}({', '.join([*(ref(a) for a in eqn.inputs), f'**_p{e}'])})"
        else:
            call = f"_f{e}({', '.join(ref(a) for a in eqn.inputs)})"
        target = (", ".join(outs) + ("," if len(outs) == 1 else "")) if eqn.primitive.multiple_results else outs[0]
        lines.append(f"{indent}{target} = {call}")
        for o in outs:  # impls return NumPy values; pin them to exactly the abstract dtype (NumPy may widen)
            check = f"{o}.dtype != _d{o}" if scalars else f"{o}.__class__ is not _nd or {o}.dtype != _d{o}"
            lines.append(f"{indent}if {check}: {o} = _asarray({o}, _d{o})")
    lines += [line.format(*[ref(v) for v in j.outvars]) for line in post]
    return "\n".join(lines)


def compile_function(closed: core.ClosedJaxpr, impl_for) -> callable:
    """The jaxpr as a Python function of NumPy arrays returning a list of NumPy arrays."""
    ns: dict = {"_nd": np.ndarray, "_asarray": np.asarray}
    args = [f"a{k}" for k in range(len(closed.jaxpr.invars))]
    names = dict(zip(closed.jaxpr.invars, args, strict=True))
    ret = "    return [" + ", ".join(f"{{{k}}}" for k in range(len(closed.jaxpr.outvars))) + "]"
    exec(codegen(closed, f"def fn({', '.join(args)}):", [], [ret], names, "    ", ns, impl_for), ns)
    return ns["fn"]


class InterpretedJaxpr(Executable):
    """A jaxpr compiled to straight-line Python calling the backend's primitive implementations."""

    def __init__(self, backend, jaxpr: core.Jaxpr) -> None:
        if jaxpr.constvars:
            raise ValueError("compile() takes a closure-converted jaxpr (no constvars)")
        self.in_avals = jaxpr.in_avals
        self.out_avals = jaxpr.out_avals
        self._fn = compile_function(core.ClosedJaxpr(jaxpr, []), backend.impl_for)

    def __call__(self, args: Sequence[np.ndarray]) -> list[np.ndarray]:
        return self._fn(*args)
