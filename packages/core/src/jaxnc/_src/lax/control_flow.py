"""Control flow: the scan, while and cond primitives with all their rules, and the functions built on them.

`scan_p`, `while_p` and `cond_p` keep their bodies as ClosedJaxpr params (with no captured constants:
values a body closes over are hoisted into explicit operands), so a kernel backend can compile a whole
loop natively. The reference implementation is a host loop over NumPy that compiles the body once and
calls it per iteration without re-dispatching through `bind`. Which path ran is observable: see
`note_loop_path`, `last_loop_path` and `record_loop_paths`.

Operand layouts:
  scan(*consts, *init, *xs; jaxpr, num_consts, num_carry, length, reverse, unroll)
      jaxpr: (consts, carry, x) -> (carry, y)
  while(*cond_consts, *body_consts, *init; cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts)
  cond(index, *operands; branches)     every branch: operands -> outs; index is clamped
"""

from __future__ import annotations

import collections
import contextlib
import math
from collections.abc import Callable, Sequence

import numpy as np

from jaxnc._src import core, dtypes
from jaxnc._src.backends.interpret import codegen, compile_function
from jaxnc._src.core import Primitive, ShapedArray, Zero, get_aval, is_undefined_primal
from jaxnc._src.interpreters import ad, batching
from jaxnc._src.interpreters import partial_eval as pe
from jaxnc._src.lax import lax
from jaxnc._src.tree_util import tree_flatten, tree_map, tree_unflatten

# --- which loop path ran (observable, so tests can require a backend's native path) ----------------

last_loop_path: tuple[str, str, str] | None = None  # (primitive, path, backend) of the most recent loop run
loop_path_counts: collections.Counter = collections.Counter()  # (primitive, path, backend) -> runs
_loop_path_listeners: list[Callable[[str, str, str], None]] = []


def note_loop_path(primitive: str, path: str, backend: str = "cpu") -> None:
    """Record that a loop ran. Backends call this: path "host" (a host loop calling the compiled body
    per iteration) or "native" (the whole loop compiled into one kernel/routine), or their own name."""
    global last_loop_path
    last_loop_path = (primitive, path, backend)
    loop_path_counts[last_loop_path] += 1
    for listener in list(_loop_path_listeners):
        listener(primitive, path, backend)


@contextlib.contextmanager
def record_loop_paths():
    """Collect the (primitive, path, backend) of every loop run inside the block.

    Example:
      >>> import jaxnc.numpy as jnp
      >>> from jaxnc import lax
      >>> from jaxnc._src.lax.control_flow import record_loop_paths
      >>> with record_loop_paths() as paths:
      ...     _ = lax.scan(lambda c, x: (c + x, c), 0.0, jnp.arange(3.0))
      >>> paths
      [('scan', 'host', 'cpu')]
    """
    events: list[tuple[str, str, str]] = []
    listener = lambda *event: events.append(event)
    _loop_path_listeners.append(listener)
    try:
        yield events
    finally:
        _loop_path_listeners.remove(listener)


# --- jaxpr helpers shared by the rules -------------------------------------------------------------


class _Reference:
    """The reference primitive table (NumPy impls) for bodies compiled by the host loops."""

    name = "reference"

    @staticmethod
    def impl_for(prim):
        if prim.impl is None:
            raise NotImplementedError(f"primitive {prim.name} has no reference implementation")
        return prim.impl


def _codegen(closed, header, pre, post, names, indent, ns, scalars=False):
    return codegen(closed, header, pre, post, names, indent, ns, _Reference.impl_for, scalars)


def _compiled_fn(closed: core.ClosedJaxpr) -> Callable:
    """The jaxpr as a Python function of NumPy arrays returning a list (compiled once, cached)."""
    fn = closed._cache.get("codegen_fn")
    if fn is None:
        fn = closed._cache["codegen_fn"] = compile_function(closed, _Reference.impl_for)
    return fn


def _compiled_scan_loop(closed: core.ClosedJaxpr, num_consts: int, num_carry: int) -> Callable:
    """The whole scan loop as one generated Python function `loop(consts, carry, xs, ys, steps) -> carry`:
    the body is inlined, xs are sliced and ys written in place; nothing is dispatched per step."""
    key = ("codegen_scan", num_consts, num_carry)
    loop = closed._cache.get(key)
    if loop is None:
        j = closed.jaxpr
        n_xs, n_ys = len(j.invars) - num_consts - num_carry, len(j.outvars) - num_carry
        ns: dict = {"_nd": np.ndarray, "_asarray": np.asarray}
        args = [f"a{k}" for k in range(len(j.invars))]
        names = dict(zip(j.invars, args, strict=True))
        carry = args[num_consts : num_consts + num_carry]
        unpack = lambda names_, src: f"    {', '.join(names_)}{',' if len(names_) == 1 else ''} = {src}" if names_ else ""
        pre = [unpack(args[:num_consts], "consts"), unpack(carry, "carry"),
               unpack([f"X{k}" for k in range(n_xs)], "xs"), unpack([f"Y{k}" for k in range(n_ys)], "ys"),
               "    for i in steps:", *[f"        {args[num_consts + num_carry + k]} = X{k}[i]" for k in range(n_xs)]]
        post = [f"        Y{k}[i] = {{{num_carry + k}}}" for k in range(n_ys)]
        if carry:
            post.append(f"        {', '.join(carry)}, = " + ", ".join(f"{{{k}}}" for k in range(num_carry)) + ",")
        post.append(f"    return [{', '.join(carry)}]")
        src = _codegen(closed, "def loop(consts, carry, xs, ys, steps):", [p for p in pre if p], post, names,
                       "        ", ns, scalars=True)  # fmt: skip
        exec(src, ns)
        loop = closed._cache[key] = ns["loop"]
    return loop


def _trace(fun: Callable, in_avals: Sequence[ShapedArray]) -> tuple[core.ClosedJaxpr, list]:
    """Trace a flat function; the values it closes over become leading inputs (returned as operands)."""
    jaxpr, consts = pe.trace_to_jaxpr(fun, list(in_avals))
    return core.ClosedJaxpr(pe.convert_constvars(jaxpr), []), list(consts)


def _permute(closed: core.ClosedJaxpr, in_order: Sequence[int], out_order: Sequence[int]) -> core.ClosedJaxpr:
    """The same computation with its inputs and outputs listed in another order."""
    j = closed.jaxpr
    return core.ClosedJaxpr(core.Jaxpr(j.constvars, [j.invars[i] for i in in_order], [j.outvars[i] for i in out_order],
                                       j.eqns), closed.consts)  # fmt: skip


def _interleave_order(groups: Sequence[Sequence[int]]) -> list[int]:
    return [i for g in groups for i in g]


def _ranges(*sizes: int) -> list[list[int]]:
    out, start = [], 0
    for n in sizes:
        out.append(list(range(start, start + n)))
        start += n
    return out


def _differentiable(aval: ShapedArray) -> bool:
    return dtypes.is_inexact(aval.dtype)


def _jvp_jaxpr(closed: core.ClosedJaxpr, nonzeros: Sequence[bool], instantiate: Sequence[bool]):
    """(jvp jaxpr, out_nonzeros): the jaxpr maps (primals, nonzero tangents) to (primal outs, tangent outs
    that are nonzero or instantiated); out_nonzeros says which outputs have a tangent."""
    key = ("cf_jvp", tuple(nonzeros), tuple(instantiate))
    hit = closed._cache.get(key)
    if hit is not None:
        return hit
    in_avals = closed.in_avals
    box: list = []

    def fun(*args):
        primals, t_it = args[: len(in_avals)], iter(args[len(in_avals) :])
        tangents = [next(t_it) if nz else Zero(a.to_tangent_aval()) for a, nz in zip(in_avals, nonzeros, strict=True)]
        outs, t_outs = ad.jvp_flat(core.jaxpr_as_fun(closed), primals, tangents, instantiate_zeros=False)
        out_nz = [(type(t) is not Zero or inst) and _differentiable(get_aval(o))
                  for o, t, inst in zip(outs, t_outs, instantiate, strict=True)]  # fmt: skip
        box.append(out_nz)
        t_outs = [ad.instantiate(t, get_aval(o).to_tangent_aval())
                  for o, t, nz in zip(outs, t_outs, out_nz, strict=True) if nz]  # fmt: skip
        return [*outs, *t_outs]

    t_avals = [a.to_tangent_aval() for a, nz in zip(in_avals, nonzeros, strict=True) if nz]
    out = closed._cache[key] = (pe.trace_to_closed_jaxpr(fun, [*in_avals, *t_avals]), box[0])
    return out


def _batch_jaxpr(closed: core.ClosedJaxpr, size: int, batched: Sequence[bool], force: Sequence[bool]):
    """(batched jaxpr, out_batched): inputs marked batched carry the batch on axis 0; outputs that are
    batched (or forced) come out with it on axis 0, the others unbatched."""
    key = ("cf_vmap", size, tuple(batched), tuple(force))
    hit = closed._cache.get(key)
    if hit is not None:
        return hit
    in_avals = [a.update(shape=(size, *a.shape)) if b else a for a, b in zip(closed.in_avals, batched, strict=True)]
    box: list = []

    def fun(*args):
        trace = batching.BatchTrace(core.current_trace(), size)
        with core.new_trace(trace):
            ins = [trace.wrap(x, 0 if b else None) for x, b in zip(args, batched, strict=True)]
            outs = [trace.unpack(o) for o in core.eval_jaxpr(closed.jaxpr, closed.consts, *ins)]
        result, out_b = [], []
        for (val, d), f in zip(outs, force, strict=True):
            if d is None and not f:
                result.append(val)
                out_b.append(False)
            else:
                result.append(batching.bdim_at_front(val, d, size))
                out_b.append(True)
        box.append(out_b)
        return result

    out = closed._cache[key] = (pe.trace_to_closed_jaxpr(fun, in_avals), box[0])
    return out


def _drop_unused_invars(jaxpr: core.Jaxpr, keep: Sequence[bool]) -> core.Jaxpr:
    """The jaxpr with the inputs not kept removed (they must be unused)."""
    return core.Jaxpr(jaxpr.constvars, [v for v, k in zip(jaxpr.invars, keep, strict=True) if k], jaxpr.outvars,
                      jaxpr.eqns)  # fmt: skip


def _jax_type(a: ShapedArray) -> str:
    """A type as JAX prints it in errors: `float32[3,4]`."""
    return f"{a.dtype.name}[{','.join(str(d) for d in a.shape)}]"


class _AvalText:
    """Prints as JAX prints a ShapedArray: str `~float32[]`, repr `ShapedArray(float32[], weak_type=True)`."""

    def __init__(self, a: ShapedArray):
        self.a = a

    def __str__(self) -> str:
        return ("~" if self.a.weak_type else "") + _jax_type(self.a)

    def __repr__(self) -> str:
        return f"ShapedArray({_jax_type(self.a)}{', weak_type=True' if self.a.weak_type else ''})"


def _avals_tree(tree):
    """`tree` with its array leaves shown as JAX shows their types (for error messages)."""
    return tree_map(lambda x: _AvalText(get_aval(x)) if hasattr(x, "dtype") or isinstance(x, (int, float, complex))
                    else x, tree)  # fmt: skip


def _types_match(a: ShapedArray, b: ShapedArray) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype


# =====================================================================================================
# scan
# =====================================================================================================

scan_p = Primitive("scan", multiple_results=True)


@scan_p.def_abstract_eval
def _scan_abstract_eval(*avals, jaxpr, num_consts, num_carry, length, reverse, unroll):
    if len(jaxpr.in_avals) != len(avals):
        raise TypeError(f"scan: the body takes {len(jaxpr.in_avals)} inputs but the scan has {len(avals)} operands")
    body_in = jaxpr.in_avals
    for a, b in zip(avals[num_consts + num_carry :], body_in[num_consts + num_carry :], strict=True):
        if a.shape[:1] != (length,) or not _types_match(a.update(shape=a.shape[1:]), b):
            raise TypeError(f"scan: an xs operand of type {a.str_short()} does not match the body's per-step input "
                            f"{b.str_short()} with length {length}")  # fmt: skip
    for a, b in zip(avals[num_consts : num_consts + num_carry], jaxpr.out_avals[:num_carry], strict=True):
        if not _types_match(a, b):
            raise TypeError(f"scan: carry input type {a.str_short()} differs from the body's carry output type "
                            f"{b.str_short()}")  # fmt: skip
    ys = [a.update(shape=(length, *a.shape)) for a in jaxpr.out_avals[num_carry:]]
    return [*jaxpr.out_avals[:num_carry], *ys]


@scan_p.def_impl
def _scan_impl(*args, jaxpr, num_consts, num_carry, length, reverse, unroll):
    """The reference host loop: the body is compiled once into Python code over NumPy arrays."""
    note_loop_path("scan", "host", "cpu")
    loop = _compiled_scan_loop(jaxpr, num_consts, num_carry)
    ys = [np.empty((length, *a.shape), a.dtype) for a in jaxpr.out_avals[num_carry:]]
    carry = loop(args[:num_consts], args[num_consts : num_consts + num_carry], args[num_consts + num_carry :], ys,
                 range(length - 1, -1, -1) if reverse else range(length))  # fmt: skip
    for y in ys:
        y.flags.writeable = False
    return [*[np.asarray(c, a.dtype) for c, a in zip(carry, jaxpr.out_avals, strict=False)], *ys]


@scan_p.def_jvp
def _scan_jvp(primals, tangents, jaxpr, num_consts, num_carry, length, reverse, unroll):
    n_xs = len(primals) - num_consts - num_carry
    n_ys = len(jaxpr.out_avals) - num_carry
    nz = [type(t) is not Zero and _differentiable(get_aval(p)) for p, t in zip(primals, tangents, strict=True)]
    const_nz, carry_nz, xs_nz = nz[:num_consts], nz[num_consts : num_consts + num_carry], nz[num_consts + num_carry :]
    for _ in range(num_carry + 1):  # fixed point: a carry whose output tangent is nonzero needs an input tangent
        jvp_closed, out_nz = _jvp_jaxpr(jaxpr, [*const_nz, *carry_nz, *xs_nz], [*carry_nz, *[False] * n_ys])
        if out_nz[:num_carry] == carry_nz:
            break
        carry_nz = [a or b for a, b in zip(carry_nz, out_nz[:num_carry], strict=True)]
    ys_nz = out_nz[num_carry:]
    # the jvp jaxpr reads [consts, carry, xs, const_t, carry_t, xs_t] and writes [carry, ys, carry_t, ys_t]
    n_ct, n_cat, n_xt = sum(const_nz), sum(carry_nz), sum(xs_nz)
    c, ca, x, ct, cat, xt = _ranges(num_consts, num_carry, n_xs, n_ct, n_cat, n_xt)
    oc, oy, oct_, oyt = _ranges(num_carry, n_ys, n_cat, sum(ys_nz))
    body = _permute(jvp_closed, _interleave_order([c, ct, ca, cat, x, xt]), _interleave_order([oc, oct_, oy, oyt]))
    inst = [ad.instantiate(t, get_aval(p).to_tangent_aval()) for p, t in zip(primals, tangents, strict=True)]
    consts, init, xs = primals[:num_consts], primals[num_consts : num_consts + num_carry], primals[num_consts + num_carry :]
    consts_t = [t for t, n in zip(inst[:num_consts], const_nz, strict=True) if n]
    init_t = [t for t, n in zip(inst[num_consts : num_consts + num_carry], carry_nz, strict=True) if n]
    xs_t = [t for t, n in zip(inst[num_consts + num_carry :], xs_nz, strict=True) if n]
    outs = scan_p.bind(*consts, *consts_t, *init, *init_t, *xs, *xs_t, jaxpr=body, num_consts=num_consts + n_ct,
                       num_carry=num_carry + n_cat, length=length, reverse=reverse, unroll=unroll)  # fmt: skip
    carry, carry_t = outs[:num_carry], iter(outs[num_carry : num_carry + n_cat])
    ys, ys_t = outs[num_carry + n_cat : num_carry + n_cat + n_ys], iter(outs[num_carry + n_cat + n_ys :])
    out_avals = scan_p.out_avals([get_aval(p) for p in primals], dict(jaxpr=jaxpr, num_consts=num_consts,
                                 num_carry=num_carry, length=length, reverse=reverse, unroll=unroll))  # fmt: skip
    t_out = [next(carry_t) if n else Zero(a.to_tangent_aval()) for n, a in zip(carry_nz, out_avals[:num_carry], strict=True)]
    t_out += [next(ys_t) if n else Zero(a.to_tangent_aval()) for n, a in zip(ys_nz, out_avals[num_carry:], strict=True)]
    return [*carry, *ys], t_out


class _ScanSplit:
    """A scan body split into a known part run now and an unknown part staged (or transposed) later.

    known:     [consts_k, carry_k, xs_k] -> [carry_k, ys_k, loop residuals]
    invariant: [consts_k] -> [loop-invariant residuals]      (computed once, outside the loop)
    unknown:   [invariant res, consts_u, carry_u, loop res, xs_u] -> [carry_u, ys_u]
    """

    __slots__ = ("carry_uk", "ys_uk", "known", "invariant", "unknown", "n_inv", "n_loop")


def _split_scan(jaxpr: core.ClosedJaxpr, num_consts: int, num_carry: int, unknowns: Sequence[bool]) -> _ScanSplit:
    key = ("scan_split", num_consts, num_carry, tuple(unknowns))
    hit = jaxpr._cache.get(key)
    if hit is not None:
        return hit
    n_ys = len(jaxpr.out_avals) - num_carry
    const_uk = list(unknowns[:num_consts])
    carry_uk = list(unknowns[num_consts : num_consts + num_carry])
    xs_uk = list(unknowns[num_consts + num_carry :])
    for _ in range(num_carry + 1):  # fixed point: a carry computed from unknowns is unknown on input too
        known, unknown, out_uk, num_res = pe.partial_eval_jaxpr(jaxpr, [*const_uk, *carry_uk, *xs_uk],
                                                                [*carry_uk, *[False] * n_ys])  # fmt: skip
        if out_uk[:num_carry] == carry_uk:
            break
        carry_uk = [a or b for a, b in zip(carry_uk, out_uk[:num_carry], strict=True)]
    split = _ScanSplit()
    split.carry_uk, split.ys_uk = carry_uk, out_uk[num_carry:]
    # residuals computed from the known consts alone are loop-invariant: hoist them out of the loop
    kj = known.jaxpr
    nck = num_consts - sum(const_uk)
    variant = set(kj.invars[nck:])
    for eqn in kj.eqns:
        if any(type(a) is core.Var and a in variant for a in eqn.inputs):
            variant.update(eqn.outvars)
    n_known_outs = len(kj.outvars) - num_res
    res_vars = kj.outvars[n_known_outs:]
    is_inv = [not (type(v) is core.Var and v in variant) for v in res_vars]
    inv_vars = [v for v, i in zip(res_vars, is_inv, strict=True) if i]
    inv_jaxpr, _ = core.dce_jaxpr(core.Jaxpr(kj.constvars, kj.invars[:nck], inv_vars, kj.eqns), [True] * len(inv_vars))
    split.invariant = core.ClosedJaxpr(inv_jaxpr, known.consts)
    keep = [True] * n_known_outs + [not i for i in is_inv]
    known_jaxpr, _ = core.dce_jaxpr(kj, keep)
    split.known = core.ClosedJaxpr(known_jaxpr, known.consts)
    split.n_inv, split.n_loop = len(inv_vars), num_res - len(inv_vars)
    # the unknown jaxpr reads [residuals in order, consts_u, carry_u, xs_u]; reorder for the scan layout
    inv_idx = [i for i, v in enumerate(is_inv) if v]
    loop_idx = [i for i, v in enumerate(is_inv) if not v]
    ncu, ncau, nxu = sum(const_uk), sum(carry_uk), sum(xs_uk)
    _, cu, cau, xu = _ranges(num_res, ncu, ncau, nxu)
    order = [*inv_idx, *cu, *cau, *loop_idx, *xu]
    split.unknown = _permute(unknown, order, range(len(unknown.out_avals)))
    jaxpr._cache[key] = split
    return split


@scan_p.def_partial_eval
def _scan_partial_eval(trace, args, params):
    unknowns = [trace.is_unknown(x) for x in args]
    if not any(unknowns):
        with core.set_current_trace(trace.parent):
            return scan_p.bind(*args, **params)
    jaxpr, num_consts, num_carry = params["jaxpr"], params["num_consts"], params["num_carry"]
    split = _split_scan(jaxpr, num_consts, num_carry, unknowns)
    known_outs, res_inv, res_loop = _run_known(split, args, unknowns, params, trace.parent)
    consts, init, xs = args[:num_consts], args[num_consts : num_consts + num_carry], args[num_consts + num_carry :]
    ins = [trace.instantiate_const(r) for r in res_inv]
    ins += [x for x, u in zip(consts, unknowns[:num_consts], strict=True) if u]
    ins += [trace.instantiate_const(x) for x, u in zip(init, split.carry_uk, strict=True) if u]
    ins += [trace.instantiate_const(r) for r in res_loop]
    ins += [x for x, u in zip(xs, unknowns[num_consts + num_carry :], strict=True) if u]
    staged = trace.stage(scan_p, ins, dict(params, jaxpr=split.unknown, num_consts=split.n_inv + sum(unknowns[:num_consts]),
                                           num_carry=sum(split.carry_uk)))  # fmt: skip
    return _merge_outs(split, known_outs, staged)


def _run_known(split: _ScanSplit, args, unknowns, params, parent):
    """Run the invariant and known parts under `parent`: (known outs, invariant res, loop res)."""
    num_consts, num_carry = params["num_consts"], params["num_carry"]
    consts_k = [x for x, u in zip(args[:num_consts], unknowns[:num_consts], strict=True) if not u]
    init_k = [x for x, u in zip(args[num_consts : num_consts + num_carry], split.carry_uk, strict=True) if not u]
    xs_k = [x for x, u in zip(args[num_consts + num_carry :], unknowns[num_consts + num_carry :], strict=True) if not u]
    with core.set_current_trace(parent):
        res_inv = core.eval_jaxpr(split.invariant.jaxpr, split.invariant.consts, *consts_k)
        outs = scan_p.bind(*consts_k, *init_k, *xs_k, **dict(params, jaxpr=split.known, num_consts=len(consts_k),
                                                              num_carry=len(init_k)))  # fmt: skip
    n = len(outs) - split.n_loop
    return outs[:n], res_inv, outs[n:]


def _merge_outs(split: _ScanSplit, known_outs, unknown_outs) -> list:
    k, u = iter(known_outs), iter(unknown_outs)
    return [next(u) if uk else next(k) for uk in [*split.carry_uk, *split.ys_uk]]


@scan_p.def_transpose
def _scan_transpose(cts, *args, jaxpr, num_consts, num_carry, length, reverse, unroll):
    params = dict(jaxpr=jaxpr, num_consts=num_consts, num_carry=num_carry, length=length, reverse=reverse, unroll=unroll)
    given = [is_undefined_primal(a) for a in args]
    split = _split_scan(jaxpr, num_consts, num_carry, given)
    # NB: a carry whose initial value is known but which the linear inputs reach (a tangent carry
    # started from instantiated zeros) is linear: its known initial value must be zero.
    args = list(args)
    for i, u in enumerate(split.carry_uk, num_consts):
        if u and not given[i]:
            args[i] = core.UndefinedPrimal(get_aval(args[i]))
    linear = [is_undefined_primal(a) for a in args]
    if all(split.carry_uk):
        out = _transpose_linear_scan(cts, args, linear, params)
    else:
        out = _transpose_mixed_scan(cts, args, linear, split, params)
    return [ct if g else None for ct, g in zip(out, given, strict=True)]


def _transpose_mixed_scan(cts, args, linear, split: _ScanSplit, params):
    """A scan mixing primal and linear carries (the recomputation inside checkpoint/remat): run its
    non-linear part forward now, then transpose the linear part."""
    num_consts, num_carry = params["num_consts"], params["num_carry"]
    _, res_inv, res_loop = _run_known(split, args, linear, params, core.current_trace())
    consts, init, xs = args[:num_consts], args[num_consts : num_consts + num_carry], args[num_consts + num_carry :]
    lin_consts = [x for x, u in zip(consts, linear[:num_consts], strict=True) if u]
    lin_init = [x for x, u in zip(init, split.carry_uk, strict=True) if u]
    lin_xs = [x for x, u in zip(xs, linear[num_consts + num_carry :], strict=True) if u]
    u_args = [*res_inv, *lin_consts, *lin_init, *res_loop, *lin_xs]
    u_linear = [is_undefined_primal(a) for a in u_args]
    u_cts = [ct for ct, u in zip(cts, [*split.carry_uk, *split.ys_uk], strict=True) if u]
    u_params = dict(params, jaxpr=split.unknown, num_consts=split.n_inv + len(lin_consts), num_carry=len(lin_init))
    u_out = iter(_transpose_linear_scan(u_cts, u_args, u_linear, u_params)[split.n_inv :])
    ct_consts = [next(u_out) if u else None for u in linear[:num_consts]]
    ct_init = [next(u_out) if u else None for u in split.carry_uk]
    for _ in range(split.n_loop):
        next(u_out)
    ct_xs = [next(u_out) if u else None for u in linear[num_consts + num_carry :]]
    return [*ct_consts, *ct_init, *ct_xs]


def _transpose_linear_scan(cts, args, linear, params):
    """Transpose a scan whose carries are all linear: a scan in the other direction whose carry is
    (accumulated const cotangents, carry cotangent) and whose ys are the xs cotangents."""
    jaxpr, num_consts, num_carry = params["jaxpr"], params["num_consts"], params["num_carry"]
    length = params["length"]
    in_avals = jaxpr.in_avals
    out_avals = scan_p.out_avals([a.aval if is_undefined_primal(a) else get_aval(a) for a in args], params)
    if all(type(ct) is Zero for ct in cts):
        return [Zero(a.aval.to_tangent_aval()) if lin else None for a, lin in zip(args, linear, strict=True)]
    cts = [ad.instantiate(ct, a.to_tangent_aval()) for ct, a in zip(cts, out_avals, strict=True)]
    const_lin, xs_lin = linear[:num_consts], linear[num_consts + num_carry :]
    res_c = [a for a, lin in zip(args[:num_consts], const_lin, strict=True) if not lin]
    res_x = [a for a, lin in zip(args[num_consts + num_carry :], xs_lin, strict=True) if not lin]
    lin_c_avals = [a.to_tangent_aval() for a, lin in zip(in_avals[:num_consts], const_lin, strict=True) if lin]
    carry_avals = [a.to_tangent_aval() for a in in_avals[num_consts : num_consts + num_carry]]
    body_t = _transposed_body(jaxpr, num_consts, num_carry, tuple(linear))
    ct_consts0 = [lax.full(a.shape, 0, a.dtype) for a in lin_c_avals]
    outs = scan_p.bind(*res_c, *ct_consts0, *cts[:num_carry], *res_x, *cts[num_carry:], jaxpr=body_t,
                       num_consts=len(res_c), num_carry=len(lin_c_avals) + len(carry_avals), length=length,
                       reverse=not params["reverse"], unroll=params["unroll"])  # fmt: skip
    ct_c = iter(outs[: len(lin_c_avals)])
    ct_init = outs[len(lin_c_avals) : len(lin_c_avals) + num_carry]
    ct_xs = iter(outs[len(lin_c_avals) + num_carry :])
    return [*[next(ct_c) if lin else None for lin in const_lin], *ct_init, *[next(ct_xs) if lin else None for lin in xs_lin]]


def _transposed_body(jaxpr: core.ClosedJaxpr, num_consts: int, num_carry: int, linear: tuple) -> core.ClosedJaxpr:
    """res_c, (ct_consts_acc, ct_carry), (res_x, ct_y) -> (ct_consts_acc + ct_consts, ct_carry_in), ct_x."""
    key = ("scan_transpose", num_consts, num_carry, linear)
    hit = jaxpr._cache.get(key)
    if hit is not None:
        return hit
    in_avals = jaxpr.in_avals
    const_lin, xs_lin = linear[:num_consts], linear[num_consts + num_carry :]
    res_c_avals = [a for a, lin in zip(in_avals[:num_consts], const_lin, strict=True) if not lin]
    lin_c_avals = [a.to_tangent_aval() for a, lin in zip(in_avals[:num_consts], const_lin, strict=True) if lin]
    carry_avals = [a.to_tangent_aval() for a in in_avals[num_consts : num_consts + num_carry]]
    res_x_avals = [a for a, lin in zip(in_avals[num_consts + num_carry :], xs_lin, strict=True) if not lin]
    ct_y_avals = [a.to_tangent_aval() for a in jaxpr.out_avals[num_carry:]]
    body_lin = [*const_lin, *[True] * num_carry, *xs_lin]
    t_closed = ad.transpose_jaxpr(jaxpr, body_lin)
    n_rc, n_lc, n_ca, n_rx = len(res_c_avals), len(lin_c_avals), len(carry_avals), len(res_x_avals)

    def body(*args):
        res_c, acc, ct_carry = args[:n_rc], args[n_rc : n_rc + n_lc], args[n_rc + n_lc : n_rc + n_lc + n_ca]
        res_x, ct_y = args[n_rc + n_lc + n_ca : n_rc + n_lc + n_ca + n_rx], args[n_rc + n_lc + n_ca + n_rx :]
        outs = core.eval_jaxpr(t_closed.jaxpr, t_closed.consts, *res_c, *res_x, *ct_carry, *ct_y)
        ct_c, ct_carry_in, ct_x = outs[:n_lc], outs[n_lc : n_lc + n_ca], outs[n_lc + n_ca :]
        return [*[lax.add(a, c) for a, c in zip(acc, ct_c, strict=True)], *ct_carry_in, *ct_x]

    out = jaxpr._cache[key] = pe.trace_to_closed_jaxpr(body, [*res_c_avals, *lin_c_avals, *carry_avals, *res_x_avals,
                                                                *ct_y_avals])  # fmt: skip
    return out


@scan_p.def_batch
def _scan_batch(size, vals, dims, jaxpr, num_consts, num_carry, length, reverse, unroll):
    n_ys = len(jaxpr.out_avals) - num_carry
    b = [d is not None for d in dims]
    const_b, carry_b, xs_b = b[:num_consts], b[num_consts : num_consts + num_carry], b[num_consts + num_carry :]
    for _ in range(num_carry + 1):  # fixed point: a carry that becomes batched must be batched on input
        body, out_b = _batch_jaxpr(jaxpr, size, [*const_b, *carry_b, *xs_b], [*carry_b, *[False] * n_ys])
        if out_b[:num_carry] == carry_b:
            break
        carry_b = [x or y for x, y in zip(carry_b, out_b[:num_carry], strict=True)]
    consts = [batching.moveaxis(v, d, 0) if d is not None else v for v, d in zip(vals[:num_consts], dims[:num_consts],
                                                                                strict=True)]  # fmt: skip
    init = [batching.bdim_at_front(v, d, size) if cb else v
            for v, d, cb in zip(vals[num_consts : num_consts + num_carry], dims[num_consts : num_consts + num_carry],
                                carry_b, strict=True)]  # fmt: skip
    xs = [batching.moveaxis(v, d, 1) if d is not None else v
          for v, d in zip(vals[num_consts + num_carry :], dims[num_consts + num_carry :], strict=True)]
    outs = scan_p.bind(*consts, *init, *xs, jaxpr=body, num_consts=num_consts, num_carry=num_carry, length=length,
                       reverse=reverse, unroll=unroll)  # fmt: skip
    return outs, [0 if x else None for x in carry_b] + [1 if x else None for x in out_b[num_carry:]]


# =====================================================================================================
# while
# =====================================================================================================

while_p = Primitive("while", multiple_results=True)


@while_p.def_abstract_eval
def _while_abstract_eval(*avals, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    init = avals[cond_nconsts + body_nconsts :]
    for a, b in zip(init, body_jaxpr.out_avals, strict=True):
        if not _types_match(a, b):
            raise TypeError(f"while: carry input type {a.str_short()} differs from the body's output type {b.str_short()}")
    return list(body_jaxpr.out_avals)


@while_p.def_impl
def _while_impl(*args, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    note_loop_path("while", "host", "cpu")
    cond, body = _compiled_fn(cond_jaxpr), _compiled_fn(body_jaxpr)
    cc, bc = args[:cond_nconsts], args[cond_nconsts : cond_nconsts + body_nconsts]
    carry = args[cond_nconsts + body_nconsts :]
    while cond(*cc, *carry)[0]:
        carry = body(*bc, *carry)
    return list(carry)


@while_p.def_jvp
def _while_jvp(primals, tangents, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    nz = [type(t) is not Zero and _differentiable(get_aval(p)) for p, t in zip(primals, tangents, strict=True)]
    bconst_nz, carry_nz = nz[cond_nconsts : cond_nconsts + body_nconsts], nz[cond_nconsts + body_nconsts :]
    n_carry = len(carry_nz)
    for _ in range(n_carry + 1):
        body_jvp, out_nz = _jvp_jaxpr(body_jaxpr, [*bconst_nz, *carry_nz], carry_nz)
        if out_nz == carry_nz:
            break
        carry_nz = [a or b for a, b in zip(carry_nz, out_nz, strict=True)]
    n_bt, n_ct = sum(bconst_nz), sum(carry_nz)
    bc, ca, bt, ct = _ranges(body_nconsts, n_carry, n_bt, n_ct)
    oc, oct_ = _ranges(n_carry, n_ct)
    body = _permute(body_jvp, [*bc, *bt, *ca, *ct], [*oc, *oct_])
    cj = cond_jaxpr.jaxpr  # the cond ignores the tangent carries
    extra = [core.Var(a.to_tangent_aval()) for a, n in zip(body_jaxpr.out_avals, carry_nz, strict=True) if n]
    cond = core.ClosedJaxpr(core.Jaxpr(cj.constvars, [*cj.invars, *extra], cj.outvars, cj.eqns), cond_jaxpr.consts)
    inst = [ad.instantiate(t, get_aval(p).to_tangent_aval()) for p, t in zip(primals, tangents, strict=True)]
    cconsts = primals[:cond_nconsts]
    bconsts, init = primals[cond_nconsts : cond_nconsts + body_nconsts], primals[cond_nconsts + body_nconsts :]
    bconsts_t = [t for t, n in zip(inst[cond_nconsts : cond_nconsts + body_nconsts], bconst_nz, strict=True) if n]
    init_t = [t for t, n in zip(inst[cond_nconsts + body_nconsts :], carry_nz, strict=True) if n]
    outs = while_p.bind(*cconsts, *bconsts, *bconsts_t, *init, *init_t, cond_jaxpr=cond, body_jaxpr=body,
                        cond_nconsts=cond_nconsts, body_nconsts=body_nconsts + n_bt)  # fmt: skip
    carry, carry_t = outs[:n_carry], iter(outs[n_carry:])
    return carry, [next(carry_t) if n else Zero(a.to_tangent_aval())
                   for n, a in zip(carry_nz, body_jaxpr.out_avals, strict=True)]  # fmt: skip


@while_p.def_partial_eval
def _while_partial_eval(trace, args, params):
    """Known carries are computed now by a smaller loop; the unknown ones by the whole loop, staged
    (it recomputes the known part too). Such a staged loop cannot be transposed: see the transpose."""
    unknowns = [trace.is_unknown(x) for x in args]
    if not any(unknowns):
        with core.set_current_trace(trace.parent):
            return while_p.bind(*args, **params)
    cond_jaxpr, body_jaxpr = params["cond_jaxpr"], params["body_jaxpr"]
    cn, bn = params["cond_nconsts"], params["body_nconsts"]
    cconst_uk, bconst_uk, carry_uk = unknowns[:cn], unknowns[cn : cn + bn], unknowns[cn + bn :]
    for _ in range(len(carry_uk) + 1):
        _, _, out_uk, _ = pe.partial_eval_jaxpr(body_jaxpr, [*bconst_uk, *carry_uk], carry_uk)
        if out_uk == carry_uk:
            break
        carry_uk = [a or b for a, b in zip(carry_uk, out_uk, strict=True)]
    _, _, cond_uk, _ = pe.partial_eval_jaxpr(cond_jaxpr, [*cconst_uk, *carry_uk])
    ins = [trace.instantiate_const(x) for x in args]
    staged = trace.stage(while_p, ins, params)
    if cond_uk[0] or all(carry_uk):
        return staged
    keep_body = [not u for u in [*bconst_uk, *carry_uk]]
    body_k, _ = core.dce_jaxpr(body_jaxpr.jaxpr, [not u for u in carry_uk])
    body_k = core.ClosedJaxpr(_drop_unused_invars(body_k, keep_body), body_jaxpr.consts)
    cond_k = core.ClosedJaxpr(_drop_unused_invars(cond_jaxpr.jaxpr, [not u for u in [*cconst_uk, *carry_uk]]),
                              cond_jaxpr.consts)  # fmt: skip
    known_args = [x for x, u in zip(args, [*cconst_uk, *bconst_uk, *carry_uk], strict=True) if not u]
    with core.set_current_trace(trace.parent):
        known = iter(while_p.bind(*known_args, cond_jaxpr=cond_k, body_jaxpr=body_k, cond_nconsts=cn - sum(cconst_uk),
                                  body_nconsts=bn - sum(bconst_uk)))  # fmt: skip
    return [s if u else next(known) for s, u in zip(staged, carry_uk, strict=True)]


@while_p.def_transpose
def _while_transpose(cts, *args, **params):
    raise ValueError("Reverse-mode differentiation does not work for lax.while_loop or lax.fori_loop with dynamic "
                     "start/stop values. Try using lax.scan, or using fori_loop with static start/stop.")


@while_p.def_batch
def _while_batch(size, vals, dims, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    cn, bn = cond_nconsts, body_nconsts
    b = [d is not None for d in dims]
    cconst_b, bconst_b, carry_b = b[:cn], b[cn : cn + bn], b[cn + bn :]
    for _ in range(len(carry_b) + 1):
        body, out_b = _batch_jaxpr(body_jaxpr, size, [*bconst_b, *carry_b], carry_b)
        if out_b == carry_b:
            break
        carry_b = [x or y for x, y in zip(carry_b, out_b, strict=True)]
    cond, (pred_b,) = _batch_jaxpr(cond_jaxpr, size, [*cconst_b, *carry_b], [False])
    if pred_b and not all(carry_b):  # a batched predicate: every carry is batched, updated under a select
        carry_b = [True] * len(carry_b)
        body, _ = _batch_jaxpr(body_jaxpr, size, [*bconst_b, *carry_b], carry_b)
        cond, _ = _batch_jaxpr(cond_jaxpr, size, [*cconst_b, *carry_b], [False])
    vals = [batching.moveaxis(v, d, 0) if d is not None else v for v, d in zip(vals, dims, strict=True)]
    init = [batching.bdim_at_front(v, d, size) if cb and d is None else v
            for v, d, cb in zip(vals[cn + bn :], dims[cn + bn :], carry_b, strict=True)]  # fmt: skip
    cconsts, bconsts = vals[:cn], vals[cn : cn + bn]
    if not pred_b:
        outs = while_p.bind(*cconsts, *bconsts, *init, cond_jaxpr=cond, body_jaxpr=body, cond_nconsts=cn, body_nconsts=bn)
        return outs, [0 if x else None for x in carry_b]
    cond_any, body_sel = _select_loop(cond, body, cn, bn)
    outs = while_p.bind(*cconsts, *cconsts, *bconsts, *init, cond_jaxpr=cond_any, body_jaxpr=body_sel, cond_nconsts=cn,
                        body_nconsts=cn + bn)  # fmt: skip
    return outs, [0] * len(outs)


def _select_loop(cond: core.ClosedJaxpr, body: core.ClosedJaxpr, cn: int, bn: int):
    """For a batched predicate: loop while any element is active; inactive elements keep their carry."""
    carry_avals = body.out_avals

    def cond_any(*args):
        (pred,) = core.eval_jaxpr(cond.jaxpr, cond.consts, *args)
        return [lax.reduce_or(pred, (0,))]

    def body_sel(*args):
        cconsts, bconsts, carry = args[:cn], args[cn : cn + bn], args[cn + bn :]
        (pred,) = core.eval_jaxpr(cond.jaxpr, cond.consts, *cconsts, *carry)
        new = core.eval_jaxpr(body.jaxpr, body.consts, *bconsts, *carry)
        return [lax.select(lax.broadcast_in_dim(pred, get_aval(c).shape, (0,)), n, c)
                for n, c in zip(new, carry, strict=True)]  # fmt: skip

    c_avals = cond.in_avals[:cn]
    b_avals = body.in_avals[:bn]
    return (pe.trace_to_closed_jaxpr(cond_any, [*c_avals, *carry_avals]),
            pe.trace_to_closed_jaxpr(body_sel, [*c_avals, *b_avals, *carry_avals]))  # fmt: skip


# =====================================================================================================
# cond (and switch)
# =====================================================================================================

cond_p = Primitive("cond", multiple_results=True)


@cond_p.def_abstract_eval
def _cond_abstract_eval(index, *avals, branches):
    if index.shape != () or not dtypes.is_integer(index.dtype):
        raise TypeError(f"cond: the branch index must be an integer scalar, got {index.str_short()}")
    for br in branches[1:]:
        for a, b in zip(branches[0].out_avals, br.out_avals, strict=True):
            if not _types_match(a, b):
                raise TypeError(f"cond: branch outputs differ: {a.str_short()} and {b.str_short()}")
    return list(branches[0].out_avals)


@cond_p.def_impl
def _cond_impl(index, *ops, branches):
    i = min(max(int(index), 0), len(branches) - 1)
    return _compiled_fn(branches[i])(*ops)


@cond_p.def_jvp
def _cond_jvp(primals, tangents, branches):
    index, ops = primals[0], primals[1:]
    nz = [type(t) is not Zero and _differentiable(get_aval(p)) for p, t in zip(ops, tangents[1:], strict=True)]
    n_out = len(branches[0].out_avals)
    out_nz = [False] * n_out
    for br in branches:
        _, o = _jvp_jaxpr(br, nz, [False] * n_out)
        out_nz = [a or b for a, b in zip(out_nz, o, strict=True)]
    jvps = tuple(_jvp_jaxpr(br, nz, out_nz)[0] for br in branches)
    ops_t = [ad.instantiate(t, get_aval(p).to_tangent_aval()) for p, t, n in zip(ops, tangents[1:], nz, strict=True) if n]
    outs = cond_p.bind(index, *ops, *ops_t, branches=jvps)
    t_it = iter(outs[n_out:])
    return outs[:n_out], [next(t_it) if n else Zero(a.to_tangent_aval())
                          for n, a in zip(out_nz, branches[0].out_avals, strict=True)]  # fmt: skip


@cond_p.def_partial_eval
def _cond_partial_eval(trace, args, params):
    unknowns = [trace.is_unknown(x) for x in args]
    if not any(unknowns):
        with core.set_current_trace(trace.parent):
            return cond_p.bind(*args, **params)
    branches = params["branches"]
    if unknowns[0]:  # an unknown index: the whole cond is staged
        return trace.stage(cond_p, [trace.instantiate_const(x) for x in args], params)
    ops_uk = unknowns[1:]
    n_out = len(branches[0].out_avals)
    out_uk = [False] * n_out
    for br in branches:
        out_uk = [a or b for a, b in zip(out_uk, pe.partial_eval_jaxpr(br, ops_uk)[2], strict=True)]
    splits = [pe.partial_eval_jaxpr(br, ops_uk, out_uk) for br in branches]
    known_br, unknown_br = _join_residuals(splits, n_out - sum(out_uk))
    index, ops = args[0], args[1:]
    with core.set_current_trace(trace.parent):
        known = cond_p.bind(index, *[x for x, u in zip(ops, ops_uk, strict=True) if not u], branches=known_br)
    n_known = n_out - sum(out_uk)
    known_outs, res = known[:n_known], known[n_known:]
    ins = [trace.instantiate_const(index), *[trace.instantiate_const(r) for r in res],
           *[x for x, u in zip(ops, ops_uk, strict=True) if u]]  # fmt: skip
    staged = iter(trace.stage(cond_p, ins, dict(branches=unknown_br)))
    k = iter(known_outs)
    return [next(staged) if u else next(k) for u in out_uk]


def _join_residuals(splits, n_known: int):
    """Give every branch the same residual signature: each known branch outputs all branches' residuals
    (zeros for the others'); each unknown branch reads all of them and uses its own."""
    res_avals = [known.out_avals[n_known:] for known, _, _, _ in splits]
    all_res = [a for avals in res_avals for a in avals]
    offsets = np.cumsum([0, *[len(r) for r in res_avals]])
    known_br, unknown_br = [], []
    for i, (known, unknown, _, num_res) in enumerate(splits):

        def known_fun(*args, known=known, i=i):
            outs = core.eval_jaxpr(known.jaxpr, known.consts, *args)
            res = [lax.full(a.shape, 0, a.dtype) for a in all_res]
            res[offsets[i] : offsets[i + 1]] = outs[n_known:]
            return [*outs[:n_known], *res]

        known_br.append(pe.trace_to_closed_jaxpr(known_fun, known.in_avals))
        uj = unknown.jaxpr
        others = [core.Var(a) for a in all_res]
        invars = [*others[: offsets[i]], *uj.invars[:num_res], *others[offsets[i + 1] :], *uj.invars[num_res:]]
        unknown_br.append(core.ClosedJaxpr(core.Jaxpr(uj.constvars, invars, uj.outvars, uj.eqns), unknown.consts))
    return tuple(known_br), tuple(unknown_br)


@cond_p.def_transpose
def _cond_transpose(cts, index, *ops, branches):
    if is_undefined_primal(index):
        raise ValueError("cond is not linear in its branch index")
    linear = [is_undefined_primal(x) for x in ops]
    if all(type(ct) is Zero for ct in cts):
        return [None, *[Zero(x.aval.to_tangent_aval()) if lin else None for x, lin in zip(ops, linear, strict=True)]]
    cts = [ad.instantiate(ct, a.to_tangent_aval()) for ct, a in zip(cts, branches[0].out_avals, strict=True)]
    t_branches = tuple(ad.transpose_jaxpr(br, linear) for br in branches)
    nonlin = [x for x, lin in zip(ops, linear, strict=True) if not lin]
    outs = iter(cond_p.bind(index, *nonlin, *cts, branches=t_branches))
    return [None, *[next(outs) if lin else None for lin in linear]]


@cond_p.def_batch
def _cond_batch(size, vals, dims, branches):
    index, ops = vals[0], vals[1:]
    ops_b = [d is not None for d in dims[1:]]
    ops = [batching.moveaxis(v, d, 0) if d is not None else v for v, d in zip(ops, dims[1:], strict=True)]
    n_out = len(branches[0].out_avals)
    if dims[0] is not None:  # a batched index: every branch runs, and a select picks per element (as JAX)
        index = batching.moveaxis(index, dims[0], 0)
        index = lax.clamp(np.int32(0), index, np.int32(len(branches) - 1))
        outs = [core.eval_jaxpr(b.jaxpr, b.consts, *ops) for b in
                (_batch_jaxpr(br, size, ops_b, [True] * n_out)[0] for br in branches)]  # fmt: skip
        result = []
        for k in range(n_out):
            cases = [o[k] for o in outs]
            which = lax.broadcast_in_dim(index, get_aval(cases[0]).shape, (0,))
            result.append(lax.select_n(which, *cases))
        return result, [0] * n_out
    out_b = [False] * n_out
    for br in branches:
        out_b = [a or b for a, b in zip(out_b, _batch_jaxpr(br, size, ops_b, [False] * n_out)[1], strict=True)]
    batched = tuple(_batch_jaxpr(br, size, ops_b, out_b)[0] for br in branches)
    outs = cond_p.bind(index, *ops, branches=batched)
    return outs, [0 if b else None for b in out_b]


# =====================================================================================================
# the user API
# =====================================================================================================


def _child_keys(t) -> list[str]:
    """JAX's key strings (`keystr`) of a pytree node's children: `[0]`, `['k']`, `.field`."""
    if t.node_type in (dict, collections.OrderedDict):
        return [f"[{k!r}]" for k in t.node_data]
    if t.node_type is collections.defaultdict:
        return [f"[{k!r}]" for k in t.node_data[1]]
    fields = getattr(t.node_type, "_fields", None)
    if fields is not None and issubclass(t.node_type, tuple):
        return [f".{f}" for f in fields]
    return [f"[{i}]" for i in range(len(t.children))]


def _leaf_paths(t, prefix: str = "") -> list[str]:
    """The key paths of a PyTreeDef's leaves, in flatten order (for error messages)."""
    if t.node_type is None:
        return [prefix]
    return [p for k, c in zip(_child_keys(t), t.children, strict=True) for p in _leaf_paths(c, prefix + k)]


def _tree_differences(t1, t2, leaf1: str, leaf2: str, path: str = ""):
    """(path, thing1, thing2, explanation) for the structural differences of two PyTreeDefs, as JAX's
    `tree_util.equality_errors` reports them; a leaf is described as `leaf1`/`leaf2`."""
    if t1.node_type is None and t2.node_type is None:
        return
    if t1.node_type is not t2.node_type:
        yield path, leaf1 if t1.node_type is None else str(t1.node_type), \
            leaf2 if t2.node_type is None else str(t2.node_type), "their Python types differ"  # fmt: skip
        return
    n1, n2 = len(t1.children), len(t2.children)
    if t1.node_type in (list, tuple) and n1 != n2:
        name = t1.node_type.__name__
        yield path, f"{name} of length {n1}", f"{name} of length {n2}", "the lengths do not match"
        return
    k1, k2 = _child_keys(t1), _child_keys(t2)
    if n1 != n2:
        diff = " ".join(k[1:-1] for k in sorted(set(k1) ^ set(k2)) if k.startswith("["))
        yield (path, f"{t1.node_type} with {n1} child{'ren' if n1 > 1 else ''}",
               f"{t2.node_type} with {n2} child{'ren' if n2 > 1 else ''}",
               "the numbers of children do not match" + (f", with the symmetric difference of key sets: {{{diff}}}"
                                                         if diff else ""))  # fmt: skip
        return
    if t1.node_data != t2.node_data:
        yield (path, f"{t1.node_type} with pytree metadata {t1.node_data}",
               f"{t2.node_type} with pytree metadata {t2.node_data}", "the pytree node metadata does not match")
        return
    for k, c1, c2 in zip(k1, t1.children, t2.children, strict=True):
        yield from _tree_differences(c1, c2, leaf1, leaf2, path + k)


def _bulleted(diffs: list[str], capitalize: bool = True) -> str:
    """One difference as a sentence, several as a bulleted list (JAX's layout)."""
    if len(diffs) == 1:
        return (diffs[0][0].upper() + diffs[0][1:] if capitalize else diffs[0]) + ".\n"
    return "".join(f"  * {d};\n" for d in diffs[:-1]) + f"  * {diffs[-1]}.\n"


def _mismatch(a: ShapedArray, b: ShapedArray) -> str:
    """`, so the dtypes do not match` (JAX's `aval_mismatch_extra`)."""
    what = [w for w, differs in (("dtypes", a.dtype != b.dtype), ("shapes", a.shape != b.shape)) if differs]
    return ", so " + " and ".join(f"the {w}" for w in what) + (" do not match" if what else "")


def _carry_name(fun: Callable) -> str | None:
    import inspect

    try:
        params = list(inspect.signature(fun).parameters)
    except (TypeError, ValueError):
        return None
    return params[0] if params else None


def _check_carry(what: str, fun: Callable, in_tree, out_tree, in_avals, out_avals) -> None:
    """JAX's carry errors (`_check_carry_type`): a changed pytree structure, or changed shapes/dtypes,
    naming the component (by the body's first parameter) and both types."""
    name = _carry_name(fun)
    component = (lambda p: f"the input carry component {name}{p}" if p else f"the input carry {name}") if name else \
                (lambda p: f"the input carry at path {p}" if p else "the input carry")  # fmt: skip
    if in_tree != out_tree:
        leaf = str(ShapedArray)
        diffs = [f"{component(p)} is a {a} but the corresponding component of the carry output is a {b}, so {why}"
                 for p, a, b, why in _tree_differences(in_tree, out_tree, leaf, leaf)]  # fmt: skip
        raise TypeError(f"{what} function carry input and carry output must have the same pytree structure, but they "
                        f"differ:\n\n{_bulleted(diffs)}\nRevise the function so that the carry output has the same "
                        "pytree structure as the carry input.")  # fmt: skip
    diffs = [f"{component(p)} has type {_jax_type(a)} but the corresponding output carry component has type "
             f"{_jax_type(b)}{_mismatch(a, b)}"
             for p, a, b in zip(_leaf_paths(in_tree), in_avals, out_avals, strict=True) if not _types_match(a, b)]
    if diffs:
        raise TypeError(f"{what} function carry input and carry output must have equal types, but they differ:\n\n"
                        f"{_bulleted(diffs)}\nRevise the function so that all output types match the corresponding "
                        "input types.")  # fmt: skip


def _promote_weak(init_leaves: list, in_avals: list, out_avals: list) -> tuple[list, bool]:
    """Weakly typed initial carries take the dtype the body produces (as JAX), so `0.0` can seed an f32 loop."""
    changed = False
    new = list(init_leaves)
    for i, (a, b) in enumerate(zip(in_avals, out_avals, strict=True)):
        if a.weak_type and a.shape == b.shape and (a.dtype != b.dtype or not b.weak_type):
            dt = dtypes.result_type(core.ShapeDtypeStruct(a.shape, a.dtype, True), core.ShapeDtypeStruct(b.shape, b.dtype, b.weak_type))
            new[i] = lax.convert_element_type(new[i], dt, weak_type=False)
            changed = True
    return new, changed


def _match_weak(outs: list, avals: Sequence[ShapedArray]) -> list:
    """Outputs that differ from the carry only in weak type get the carry's weak type."""
    return [lax.convert_element_type(o, a.dtype, a.weak_type)
            if _types_match(get_aval(o), a) and get_aval(o).weak_type != a.weak_type else o
            for o, a in zip(outs, avals, strict=True)]  # fmt: skip


def _leading_lengths(xs_leaves) -> list[int]:
    out = []
    for x in xs_leaves:
        shape = get_aval(x).shape
        if not shape:
            raise ValueError(f"scan got value with no leading axis to scan over: {get_aval(x).str_short()}.")
        out.append(shape[0])
    return out


def scan(f: Callable, init, xs=None, length: int | None = None, reverse: bool = False, unroll: int | bool = 1,
         _split_transpose: bool = False, *, checkpoint: bool | int | None = None):  # fmt: skip
    """Loop `f(carry, x) -> (carry, y)` over the leading axis of `xs`, stacking the ys (as `jax.lax.scan`).

    Semantically `for x in xs: carry, y = f(carry, x); ys.append(y)`, returning `(carry, stack(ys))`.

    Args:
      f: the body; carry, x and y are pytrees. The carry's structure, shapes and dtypes must not change.
      init: the initial carry.
      xs: a pytree of arrays scanned along axis 0, or None (then `length` is required and x is None).
      length: the number of steps; must agree with the leading axis of xs.
      reverse: scan from the end; ys stay aligned with xs.
      unroll: steps per loop iteration in a native lowering (an int; 0 or True for all steps, False for 1,
        as JAX); the reference host loop gives identical results for every value.
      checkpoint: jaxnc extension for reverse mode over long scans. None/False stores every step's
        residuals (JAX's behaviour). True splits the scan into segments of ceil(sqrt(length)) steps and
        an int sets the segment size: only the carry at each segment start is stored, and the backward
        pass recomputes one segment at a time, so memory is O(sqrt(N)) for about one extra forward pass.

    Returns:
      `(final_carry, ys)`.

    Example:
      >>> import jaxnc.numpy as jnp
      >>> from jaxnc import lax
      >>> total, partial = lax.scan(lambda c, x: (c + x, c + x), 0.0, jnp.arange(4.0))
      >>> float(total), partial.tolist()
      (6.0, [0.0, 1.0, 3.0, 6.0])
    """
    if not callable(f):
        raise TypeError(f"scan: f argument should be a callable, got {type(f).__name__}.")
    if not isinstance(unroll, (bool, int, np.integer)):
        raise TypeError(f"The `unroll` argument to `scan` expects a concrete `int` or `bool` value, got {unroll!r}.")
    if unroll < 0:
        raise ValueError("`unroll` must be a `bool` or a non-negative `int`.")
    xs_leaves, xs_tree = tree_flatten(xs)
    lengths = _leading_lengths(xs_leaves)
    if length is not None:
        try:
            length = int(length)
        except TypeError:
            raise TypeError(f"scan got a `length` argument that is not a concrete integer: {length!r}.") from None
        if length < 0:
            raise ValueError(f"scan got a negative `length` argument: {length}.")
        if any(n != length for n in lengths):
            raise ValueError(f"scan got `length` argument of {length} which disagrees with leading axis sizes "
                             f"{lengths}.")  # fmt: skip
    elif not lengths:
        raise ValueError("scan got no values to scan over and `length` not provided.")
    elif any(n != lengths[0] for n in lengths):
        raise ValueError(f"scan got values with different leading axis sizes: {', '.join(str(n) for n in lengths)}.")
    else:
        length = lengths[0]
    unroll = (max(length, 1) if unroll else 1) if isinstance(unroll, bool) else int(unroll)  # 0: all steps (as JAX)
    if checkpoint not in (None, False):
        seg = math.isqrt(length - 1) + 1 if checkpoint is True else int(checkpoint)
        if seg < 1:
            raise ValueError(f"scan: `checkpoint` must be True, None or a positive segment size, got {checkpoint!r}.")
        if 1 < seg < length:
            return _checkpointed_scan(f, init, xs, length, reverse, unroll, seg)
    init_leaves, init_tree = tree_flatten(init)
    x_avals = [get_aval(x).update(shape=get_aval(x).shape[1:]) for x in xs_leaves]
    for _ in range(2):  # a second trace when a weakly typed initial carry had to be promoted
        carry_avals = [get_aval(c) for c in init_leaves]
        box: dict = {}

        def body(*leaves, carry_avals=carry_avals, box=box):
            carry = tree_unflatten(init_tree, leaves[: len(carry_avals)])
            x = tree_unflatten(xs_tree, leaves[len(carry_avals) :])
            out = f(carry, x)
            if not (isinstance(out, (tuple, list)) and len(out) == 2):
                raise TypeError(f"scan body output must be a pair, got {_avals_tree(out)}.")
            c_leaves, box["carry_tree"] = tree_flatten(out[0])
            y_leaves, box["y_tree"] = tree_flatten(out[1])
            box["carry_avals"] = [get_aval(c) for c in c_leaves]
            if box["carry_tree"] == init_tree:
                c_leaves = _match_weak(c_leaves, carry_avals)
            return [*c_leaves, *y_leaves]

        jaxpr, consts = _trace(body, [*carry_avals, *x_avals])
        if box["carry_tree"] != init_tree:
            _check_carry("scan body", f, init_tree, box["carry_tree"], carry_avals, box["carry_avals"])
        init_leaves, changed = _promote_weak(init_leaves, carry_avals, box["carry_avals"])
        if not changed:
            break
    _check_carry("scan body", f, init_tree, box["carry_tree"], carry_avals, box["carry_avals"])
    outs = scan_p.bind(*consts, *init_leaves, *xs_leaves, jaxpr=jaxpr, num_consts=len(consts),
                       num_carry=len(init_leaves), length=length, reverse=bool(reverse), unroll=unroll)  # fmt: skip
    n = len(init_leaves)
    return tree_unflatten(init_tree, outs[:n]), tree_unflatten(box["y_tree"], outs[n:])


def _checkpointed_scan(f, init, xs, length: int, reverse: bool, unroll, seg: int):
    """√N checkpointing: an outer scan over segments whose body is a rematerialized inner scan."""
    from jaxnc._src.custom_derivatives import checkpoint as remat

    n_seg, rem = divmod(length, seg)
    cut = n_seg * seg
    main = tree_map(lambda x: lax.reshape(lax.slice_in_dim(x, 0, cut, axis=0), (n_seg, seg, *get_aval(x).shape[1:])), xs)
    tail = tree_map(lambda x: lax.slice_in_dim(x, cut, length, axis=0), xs)
    segment = remat(lambda c, xs_seg: scan(f, c, xs_seg, length=seg, reverse=reverse, unroll=unroll))
    if reverse:
        carry, ys_tail = scan(f, init, tail, length=rem, reverse=True, unroll=unroll) if rem else (init, None)
        carry, ys_main = scan(segment, carry, main, length=n_seg, reverse=True)
    else:
        carry, ys_main = scan(segment, init, main, length=n_seg)
        carry, ys_tail = scan(f, carry, tail, length=rem, unroll=unroll) if rem else (carry, None)
    ys_main = tree_map(lambda y: lax.reshape(y, (cut, *get_aval(y).shape[2:])), ys_main)
    if ys_tail is None:
        return carry, ys_main
    return carry, tree_map(lambda a, b: lax.concatenate([a, b], 0), ys_main, ys_tail)


def while_loop(cond_fun: Callable, body_fun: Callable, init_val):
    """Repeat `val = body_fun(val)` while `cond_fun(val)` (as `jax.lax.while_loop`).

    Forward-mode differentiable; reverse mode raises (use `scan` or `fori_loop` with static bounds).

    Args:
      cond_fun: carry -> boolean scalar.
      body_fun: carry -> carry of the same structure, shapes and dtypes.
      init_val: the initial carry (a pytree).

    Returns:
      The final carry.

    Example:
      >>> from jaxnc import lax
      >>> int(lax.while_loop(lambda i: i < 10, lambda i: i * 2, 1))
      16
    """
    init_leaves, in_tree = tree_flatten(init_val)
    for _ in range(2):
        avals = [get_aval(x) for x in init_leaves]
        box: dict = {}

        def cond_flat(*leaves):
            out = cond_fun(tree_unflatten(in_tree, leaves))
            out_leaves, out_tree = tree_flatten(out)
            if len(out_leaves) != 1:
                raise TypeError(f"cond_fun must return a boolean scalar, but got pytree {out_tree}.")
            a = get_aval(out_leaves[0])
            if a.shape != () or a.dtype != np.bool_:
                raise TypeError(f"cond_fun must return a boolean scalar, but got output type(s) [ShapedArray({_jax_type(a)})].")
            return out_leaves

        def body_flat(*leaves, avals=avals, box=box):
            out_leaves, box["tree"] = tree_flatten(body_fun(tree_unflatten(in_tree, leaves)))
            box["avals"] = [get_aval(o) for o in out_leaves]
            return _match_weak(out_leaves, avals) if box["tree"] == in_tree else out_leaves

        body_jaxpr, body_consts = _trace(body_flat, avals)
        if box["tree"] != in_tree:
            _check_carry("while_loop body", body_fun, in_tree, box["tree"], avals, box["avals"])
        init_leaves, changed = _promote_weak(init_leaves, avals, box["avals"])
        if not changed:
            break
    _check_carry("while_loop body", body_fun, in_tree, box["tree"], avals, box["avals"])
    cond_jaxpr, cond_consts = _trace(cond_flat, avals)
    outs = while_p.bind(*cond_consts, *body_consts, *init_leaves, cond_jaxpr=cond_jaxpr, body_jaxpr=body_jaxpr,
                        cond_nconsts=len(cond_consts), body_nconsts=len(body_consts))  # fmt: skip
    return tree_unflatten(in_tree, outs)


def fori_loop(lower, upper, body_fun: Callable, init_val, *, unroll: int | bool | None = None):
    """`for i in range(lower, upper): val = body_fun(i, val)` (as `jax.lax.fori_loop`).

    With concrete bounds it lowers to `scan`, so it is reverse-differentiable; with traced bounds it
    is a `while_loop` (forward-mode only).

    Example:
      >>> from jaxnc import lax
      >>> int(lax.fori_loop(0, 5, lambda i, acc: acc + i, 0))
      10
    """
    if not callable(body_fun):
        raise TypeError("lax.fori_loop: body_fun argument should be callable.")
    (lo_dt, lo_weak), (up_dt, up_weak) = dtypes.dtype_and_weak(lower), dtypes.dtype_and_weak(upper)
    dt = lo_dt if lo_dt == up_dt else None
    if dt is None and np.issubdtype(lo_dt, np.signedinteger) and np.issubdtype(up_dt, np.signedinteger) and lo_weak != up_weak:
        dt = up_dt if lo_weak else lo_dt  # a Python int bound takes the other bound's dtype (as JAX)
    if dt is None:
        raise TypeError(f"lower and upper arguments to fori_loop must have equal types, got {lo_dt.name} and {up_dt.name}")
    try:
        lower_, upper_ = int(lower), int(upper)
    except TypeError:
        static = False
    else:
        static = True
    if static:
        # as JAX: the counter starts from the Python int `lower_` (weakly typed int32), so the loop is a
        # scan and reverse-differentiable; the body's carry is named `loop_carry` in JAX's errors
        def step(loop_carry, _):
            i, x = loop_carry
            return (i + 1, body_fun(i, x)), None

        (_, result), _ = scan(step, (lower_, init_val), None, length=max(upper_ - lower_, 0),
                              unroll=1 if unroll is None else unroll)  # fmt: skip
        return result
    if unroll is not None and unroll is not False and unroll != 1:
        raise ValueError("Can only use `unroll` in `fori_loop` if the loop bounds are statically known.")
    lower, upper = lax.convert_element_type(lower, dt), lax.convert_element_type(upper, dt)

    def body(loop_carry):
        i, hi, x = loop_carry
        return lax.add(i, lax.full((), 1, dt)), hi, body_fun(i, x)

    _, _, result = while_loop(lambda c: lax.lt(c[0], c[1]), body, (lower, upper, init_val))
    return result


class _NoOperand:
    pass


_no_operand = _NoOperand()


def _fun_sourceinfo(fun: Callable) -> str:
    """`name at file:line` (JAX's `api_util.fun_sourceinfo`)."""
    import functools
    import inspect

    while isinstance(fun, functools.partial):
        fun = fun.func
    fun = inspect.unwrap(fun)
    code = getattr(fun, "__code__", None)
    if code is None:
        return getattr(fun, "__name__", None) or type(fun).__name__
    return f"{fun.__name__} at {code.co_filename}:{code.co_firstlineno}"


def _check_branch_outputs(api: str, names: tuple[str, str], funs: tuple, traced: tuple) -> None:
    """JAX's `_check_branch_outputs`: branches must agree in output pytree structure and types."""
    (j1, _, tree1), (j2, _, tree2) = traced
    n1, n2 = names
    header = f"{n1} is {_fun_sourceinfo(funs[0])}\n{n2} is {_fun_sourceinfo(funs[1])}\n\n"
    if tree1 != tree2:
        at = lambda p: f" at path {p}" if p else ""
        diffs = [f"{n1} output{at(p)} is a {a} but {n2} output{at(p)} is a {b}, so {why}"
                 for p, a, b, why in _tree_differences(tree1, tree2, "pytree leaf", "pytree leaf")]  # fmt: skip
        raise TypeError(f"{api} branch outputs must have the same pytree structure, but they differ:\n\n{header}"
                        f"{_bulleted(diffs, capitalize=False)}\nRevise {n1} and/or {n2} so that they have the same "
                        "pytree structure.")  # fmt: skip
    paths = _leaf_paths(tree1) if tree1.node_type is not None else [""] * len(j1.out_avals)
    at = lambda p: f" at path {p}" if p else ""
    diffs = [f"the output of {n1}{at(p)} has type {_jax_type(a)} but the corresponding output of {n2} has type "
             f"{_jax_type(b)}{_mismatch(a, b)}"
             for p, a, b in zip(paths, j1.out_avals, j2.out_avals, strict=True) if not _types_match(a, b)]
    if diffs:
        raise TypeError(f"{api} branches must have equal output types but they differ.\n\n{header}"
                        f"{_bulleted(diffs)}\nRevise {n1} and/or {n2} so that all output types match.")


def _trace_branches(branches: Sequence[Callable], ops_leaves, ops_tree, what: str):
    """Trace each branch over the operands; their captured values become shared leading operands."""
    avals = [get_aval(x) for x in ops_leaves]
    traced = []
    for br in branches:
        box: dict = {}

        def flat(*leaves, br=br, box=box):
            out_leaves, box["tree"] = tree_flatten(br(*tree_unflatten(ops_tree, leaves)))
            return out_leaves

        jaxpr, consts = pe.trace_to_jaxpr(flat, avals)
        traced.append((jaxpr, consts, box["tree"]))
    # JAX compares true_fun with false_fun, and branch 0 with each other branch (named `branch{i}`, as JAX)
    order = [1, 0] if what == "cond" else list(range(len(branches)))
    first = order[0]
    for i in order[1:]:
        names = ("true_fun", "false_fun") if what == "cond" else ("branch 0", f"branch{i}")
        _check_branch_outputs(what, names, (branches[first], branches[i]), (traced[first], traced[i]))
    out_tree = traced[0][2]
    # outputs whose weak type differs between branches become strongly typed in every branch
    strong = [any(not j.out_avals[k].weak_type for j, _, _ in traced) for k in range(len(traced[0][0].outvars))]
    all_consts = [c for _, consts, _ in traced for c in consts]
    sizes = [len(consts) for _, consts, _ in traced]
    offsets = np.cumsum([0, *sizes])
    closed = []
    for i, (jaxpr, _, _) in enumerate(traced):
        const_vars = [core.Var(get_aval(c)) for c in all_consts]
        const_vars[offsets[i] : offsets[i + 1]] = jaxpr.constvars
        j = core.Jaxpr([], [*const_vars, *jaxpr.invars], jaxpr.outvars, jaxpr.eqns)
        if any(s and a.weak_type for s, a in zip(strong, j.out_avals, strict=True)):
            inner = core.ClosedJaxpr(j, [])
            j = pe.trace_to_closed_jaxpr(
                lambda *a, inner=inner: [lax.convert_element_type(o, get_aval(o).dtype, False) if s else o
                                         for o, s in zip(core.jaxpr_as_fun(inner)(*a), strong, strict=True)],
                inner.in_avals).jaxpr  # fmt: skip
            closed.append(core.ClosedJaxpr(j, []))
        else:
            closed.append(core.ClosedJaxpr(j, []))
    return tuple(closed), all_consts, out_tree


def switch(index, branches: Sequence[Callable], *operands, operand=_no_operand):
    """Apply `branches[index](*operands)`; the index is clamped into range (as `jax.lax.switch`).

    Example:
      >>> from jaxnc import lax
      >>> fs = [lambda x: x + 1, lambda x: x * 10, lambda x: -x]
      >>> [int(lax.switch(i, fs, 3)) for i in (-5, 1, 7)]
      [4, 30, -3]
    """
    if operand is not _no_operand:
        if operands:
            raise TypeError("if 'operand' keyword is passed then no positional operands can be passed, got "
                            f"operand={operand!r} and positional operands {operands!r}")  # fmt: skip
        operands = (operand,)
    branches = tuple(branches)
    if not branches:
        raise ValueError("Empty branch sequence")
    if not all(callable(b) for b in branches):
        raise TypeError("lax.switch: branches argument should be a sequence of callables.")
    if np.ndim(index) != 0 if not hasattr(index, "aval") else get_aval(index).shape != ():
        raise TypeError(f"Branch index must be scalar, got {index} of shape {np.shape(index)}.")
    dt = dtypes.dtype_and_weak(index)[0]
    if not dtypes.is_integer(dt):
        raise TypeError(f"Index type must be an integer, got {index} as {dt.name}")
    if len(branches) == 1:
        return branches[0](*operands)
    index = lax.convert_element_type(index, np.int32)
    index = lax.clamp(np.int32(0), index, np.int32(len(branches) - 1))
    return _bind_cond(index, branches, operands, "switch")


def _bind_cond(index, branches, operands, what: str):
    ops_leaves, ops_tree = tree_flatten(operands)
    closed, consts, out_tree = _trace_branches(branches, ops_leaves, ops_tree, what)
    outs = cond_p.bind(index, *consts, *ops_leaves, branches=closed)
    return tree_unflatten(out_tree, outs)


def cond(pred, true_fun: Callable, false_fun: Callable, *operands, operand=_no_operand):
    """`true_fun(*operands)` if `pred` else `false_fun(*operands)`, staged as one primitive (as `jax.lax.cond`).

    Under `vmap` with a batched predicate both branches run and a select picks per element.

    Example:
      >>> from jaxnc import lax
      >>> float(lax.cond(True, lambda x: x + 1.0, lambda x: x - 1.0, 2.0))
      3.0
    """
    if not (callable(true_fun) and callable(false_fun)):
        raise TypeError("lax.cond: true_fun and false_fun arguments should be callable.")
    if operand is not _no_operand:
        if operands:
            raise TypeError("if 'operand' keyword is passed then no positional operands can be passed, got "
                            f"operand={operand!r} and positional operands {operands!r}")  # fmt: skip
        operands = (operand,)
    if pred is None:
        raise TypeError("cond predicate is None")
    if isinstance(pred, (tuple, list, str)) or (get_aval(pred).shape if hasattr(pred, "aval") else np.shape(pred)) != ():
        kind = f"type {type(pred)}" if isinstance(pred, (tuple, list, str)) else f"shape {np.shape(pred)}."
        raise TypeError(f"Pred must be a scalar, got {pred} of {kind}")
    try:
        dt = dtypes.dtype_and_weak(pred)[0]
    except TypeError as err:
        raise TypeError(f"Pred type must be either boolean or number, got {pred}.") from err
    if dt.kind != "b":
        if dt.kind not in "iuf":
            raise TypeError(f"Pred type must be either boolean or number, got {dt.name}.")
        pred = lax.ne(pred, lax.full((), 0, dt))
    index = lax.convert_element_type(pred, np.int32)
    return _bind_cond(index, (false_fun, true_fun), operands, "cond")


def map(f: Callable, xs, *, batch_size: int | None = None):  # JAX's name
    """Apply `f` to each slice of `xs` along axis 0 with a scan (as `jax.lax.map`).

    Args:
      f: function of one slice (a pytree).
      xs: a pytree of arrays with a common leading axis.
      batch_size: when given, `f` is vmapped over chunks of this many slices (a scan over chunks,
        plus one vmapped call for the remainder).

    Example:
      >>> import jaxnc.numpy as jnp
      >>> from jaxnc import lax
      >>> lax.map(lambda x: x * x, jnp.arange(4)).tolist()
      [0, 1, 4, 9]
    """
    if batch_size is None:
        return scan(lambda _, x: ((), f(x)), (), xs)[1]
    from jaxnc._src.api import vmap

    leaves, tree = tree_flatten(xs)
    n = _leading_lengths(leaves)[0]
    batch_size = int(batch_size)
    if batch_size < 1:
        raise ValueError(f"lax.map: batch_size must be a positive integer, got {batch_size}.")
    n_full, rem = divmod(n, batch_size)
    cut = n_full * batch_size
    outs = []
    if n_full:
        chunks = [lax.reshape(lax.slice_in_dim(x, 0, cut, axis=0), (n_full, batch_size, *get_aval(x).shape[1:]))
                  for x in leaves]  # fmt: skip
        _, ys = scan(lambda _, c: ((), vmap(f)(tree_unflatten(tree, c))), (), chunks)
        outs.append(tree_map(lambda y: lax.reshape(y, (cut, *get_aval(y).shape[2:])), ys))
    if rem:
        outs.append(vmap(f)(tree_unflatten(tree, [lax.slice_in_dim(x, cut, n, axis=0) for x in leaves])))
    if len(outs) == 1:
        return outs[0]
    return tree_map(lambda a, b: lax.concatenate([a, b], 0), *outs)


def _interleave(a, b, axis: int):
    """[a0, b0, a1, b1, ...] along `axis`; `a` has as many elements as `b` or one more."""
    na, nb = get_aval(a).shape[axis], get_aval(b).shape[axis]
    head = a if na == nb else lax.slice_in_dim(a, 0, nb, axis=axis)
    shape = list(get_aval(head).shape)
    pair = lax.concatenate([lax.expand_dims(head, (axis + 1,)), lax.expand_dims(b, (axis + 1,))], axis + 1)
    shape[axis] = 2 * nb
    out = lax.reshape(pair, shape)
    return out if na == nb else lax.concatenate([out, lax.slice_in_dim(a, nb, na, axis=axis)], axis)


def associative_scan(fn: Callable, elems, reverse: bool = False, axis: int = 0):
    """Inclusive prefix scan with an associative `fn` in O(log n) depth (as `jax.lax.associative_scan`).

    Output `i` is `fn(out[i-1], elems[i])` along `axis` (or a suffix scan with `reverse`). `fn` takes and
    returns pytrees shaped like `elems` and is applied to whole slices at once, so it must be elementwise
    along `axis`. Odd/even recursion (Blelloch): O(n) applications of `fn`, O(log n) depth; grad and vmap
    go through the slicing primitives.

    Example:
      >>> import jaxnc.numpy as jnp
      >>> from jaxnc import lax
      >>> lax.associative_scan(lax.add, jnp.arange(1.0, 6.0)).tolist()
      [1.0, 3.0, 6.0, 10.0, 15.0]
    """
    if not callable(fn):
        raise TypeError(f"associative_scan: fn must be callable, got {type(fn).__name__}.")
    leaves, tree = tree_flatten(elems)
    if not leaves:
        return elems
    ndims = [get_aval(x).ndim for x in leaves]
    axis = int(axis)
    for d in ndims:
        if not -d <= axis < d:
            raise ValueError(f"axis {axis} is out of bounds for array of dimension {d}")  # JAX's wording
    axis %= ndims[0]
    n = get_aval(leaves[0]).shape[axis]
    if any(get_aval(x).shape[axis] != n for x in leaves):
        raise ValueError("Array inputs to associative_scan must have the same first dimension. (saw: "
                         f"{[get_aval(x).shape for x in leaves]})")  # fmt: skip
    if reverse:
        leaves = [lax.rev(x, (axis,)) for x in leaves]

    def combine(a, b):
        out_leaves, out_tree = tree_flatten(fn(tree_unflatten(tree, a), tree_unflatten(tree, b)))
        if out_tree != tree:
            raise TypeError(f"associative_scan: fn must return a pytree like elems ({tree}), got {out_tree}.")
        return out_leaves

    def sl(xs, start, stop, stride=1):
        return [lax.slice_in_dim(x, start, stop, stride, axis) for x in xs]

    def rec(xs):
        m = get_aval(xs[0]).shape[axis]
        if m < 2:
            return xs
        # pairwise combine, scan the half-length sequence, then fill in the even positions
        odd = rec(combine(sl(xs, 0, m - 1, 2), sl(xs, 1, m, 2)))
        if m % 2 == 0:
            even = combine(sl(odd, 0, get_aval(odd[0]).shape[axis] - 1), sl(xs, 2, m, 2))
        else:
            even = combine(odd, sl(xs, 2, m, 2))
        even = [lax.concatenate([lax.slice_in_dim(x, 0, 1, axis=axis), e], axis) for x, e in zip(xs, even, strict=True)]
        return [_interleave(e, o, axis) for e, o in zip(even, odd, strict=True)]

    out = rec(leaves)
    if reverse:
        out = [lax.rev(x, (axis,)) for x in out]
    return tree_unflatten(tree, out)

