"""The fusion planner: which jaxpr values get their own buffer; everything else fuses into its users.

Rules, in order (a value that is not materialized is inlined as an expression into each consumer):
  1. outputs of the jaxpr, and inputs and outputs of routines, are buffers;
  2. a computed value read by two or more equations is a buffer (no recomputation blow-ups);
     pure movement of buffers (views) and iotas are free to repeat and stay fused;
  3. a computed operand of `dot_general` is a buffer (a matmul would recompute it once per output);
  4. no kernel reads more than `max_inputs` distinct buffers: the operand contributing the most
     buffers is materialized until the count fits.
A backend may relax rule 2 with `recompute(eqn) -> bool` (the optional `recomputes` capability): a
value read twice whose expression holds no pending reduction and only equations it accepts is
recomputed in each consumer instead (GPUs: arithmetic is cheaper than a round trip through memory).
The lowering adds the local rules (one reduction per kernel; movement of a pending reduction
materializes it), so the plan only decides what is global.
"""

from __future__ import annotations

from collections.abc import Callable

from jaxnc._src import core


def plan_fusion(
    jaxpr: core.Jaxpr,
    eqn_kind: Callable[[core.JaxprEqn], str],
    max_inputs: int,
    recompute: Callable[[core.JaxprEqn], bool] | None = None,
) -> set[core.Var]:
    """The set of vars to materialize. `eqn_kind(eqn)` is the lowering kind (see rules.kind);
    `recompute(eqn)`, when given, says which equations may be recomputed by every consumer."""
    materialize: set[core.Var] = {v for v in jaxpr.outvars if type(v) is core.Var}
    uses: dict[core.Var, int] = {}
    for eqn in jaxpr.eqns:
        for a in eqn.inputs:
            if type(a) is core.Var:
                uses[a] = uses.get(a, 0) + 1
    computed: set[core.Var] = set()  # values whose expression contains arithmetic
    inputs = {*jaxpr.constvars, *jaxpr.invars}
    deps: dict[core.Var, frozenset] = {v: frozenset([v]) for v in inputs}
    pending: set[core.Var] = set()  # with `recompute`: values whose expression holds an unmaterialized reduction
    costly: set[core.Var] = set()  # ... or an equation `recompute` rejects

    def make_buffer(v: core.Var) -> None:
        materialize.add(v)
        deps[v] = frozenset([v])

    for eqn in jaxpr.eqns:
        kind = eqn_kind(eqn)
        ins = [a for a in eqn.inputs if type(a) is core.Var]
        if kind == "routine":
            for a in ins:
                if a not in materialize and a not in inputs:
                    make_buffer(a)
            for v in eqn.outvars:
                make_buffer(v)
            continue
        if eqn.primitive.name == "dot_general":
            for a in ins:
                if a in computed and a not in materialize:
                    make_buffer(a)
        total = frozenset().union(*(deps[a] for a in ins)) if ins else frozenset()
        while len(total) > max_inputs:
            widest = max((a for a in ins if a not in materialize), key=lambda a: len(deps[a]), default=None)
            if widest is None:
                break
            make_buffer(widest)
            total = frozenset().union(*(deps[a] for a in ins))
        for v in eqn.outvars:
            deps[v] = total
            if kind in ("elementwise", "reduce") or any(a in computed and a not in materialize for a in ins):
                computed.add(v)
            shared = v in computed and uses.get(v, 0) >= 2
            if recompute is not None:
                # NB: the lowering materializes a pending reduction under a movement op (lower.py)
                live = [a for a in ins if a not in materialize and not (kind == "movement" and a in pending)]
                if kind == "reduce" or any(a in pending for a in live):
                    pending.add(v)
                if not recompute(eqn) or any(a in costly for a in live):
                    costly.add(v)
                shared = shared and (v in pending or v in costly)
            if shared or v in materialize:
                make_buffer(v)
    return materialize
