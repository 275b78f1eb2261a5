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


class InterpretedJaxpr(Executable):
    """A jaxpr prepared for equation-by-equation execution: slots instead of a dict, rules looked up once."""

    def __init__(self, backend, jaxpr: core.Jaxpr) -> None:
        if jaxpr.constvars:
            raise ValueError("compile() takes a closure-converted jaxpr (no constvars)")
        self.in_avals = jaxpr.in_avals
        self.out_avals = jaxpr.out_avals
        slot: dict[core.Var, int] = {v: i for i, v in enumerate(jaxpr.invars)}
        consts: list = []
        steps = []

        def ref(a):
            if type(a) is core.Literal:
                consts.append(np.asarray(a.val, a.aval.dtype))
                return -len(consts)  # negative: a literal
            return slot[a]

        folded: dict = {}  # var -> value known at compile time (constant folding)
        for eqn in jaxpr.eqns:
            impl = backend.impl_for(eqn.primitive)
            if all(type(a) is core.Literal or a in folded for a in eqn.inputs) and not eqn.primitive.multiple_results:
                vals = [np.asarray(a.val, a.aval.dtype) if type(a) is core.Literal else folded[a] for a in eqn.inputs]
                folded[eqn.outvars[0]] = _fix(impl(*vals, **eqn.params), eqn.outvars[0].aval)
                continue
            ins = []
            for a in eqn.inputs:
                if type(a) is core.Var and a in folded:
                    consts.append(folded[a])
                    ins.append(-len(consts))
                else:
                    ins.append(ref(a))
            outs = []
            for v in eqn.outvars:
                slot[v] = len(slot)
                outs.append((slot[v], v.aval))
            steps.append((impl, ins, eqn.params, outs, eqn.primitive.multiple_results))
        for v in jaxpr.outvars:
            if type(v) is core.Var and v in folded:
                consts.append(folded[v])
                slot[v] = -len(consts)
        self._nslots = len(slot)
        self._steps = steps
        self._consts = consts
        self._outs = [ref(v) for v in jaxpr.outvars]

    def __call__(self, args: Sequence[np.ndarray]) -> list[np.ndarray]:
        env = list(args) + [None] * (self._nslots - len(args))
        consts = self._consts
        for impl, ins, params, outs, multiple in self._steps:
            vals = impl(*[env[i] if i >= 0 else consts[-i - 1] for i in ins], **params)
            if not multiple:
                vals = (vals,)
            for (i, aval), x in zip(outs, vals, strict=True):
                env[i] = _fix(x, aval)
        return [env[i] if i >= 0 else consts[-i - 1] for i in self._outs]
