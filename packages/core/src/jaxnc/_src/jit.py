"""`jit`: trace once per (avals, static args), run compiled; the `jit` call primitive and its rules."""

from __future__ import annotations

import collections
import functools
import inspect
from collections.abc import Callable, Sequence

import numpy as np

from jaxnc._src import core, dtypes
from jaxnc._src.config import config
from jaxnc._src.core import Primitive, Zero, is_undefined_primal
from jaxnc._src.interpreters import ad, batching
from jaxnc._src.interpreters import partial_eval as pe
from jaxnc._src.ownership import register_cache_owner
from jaxnc._src.tree_util import tree_flatten

# --- the call primitive ----------------------------------------------------------------------------
# jit(*args, jaxpr: ClosedJaxpr, name) -- the jaxpr's consts are concrete Arrays owned by the jaxpr.

jit_p = Primitive("jit", multiple_results=True)


@jit_p.def_abstract_eval
def _jit_abstract_eval(*avals, jaxpr, name):
    return jaxpr.out_avals


def _jit_dispatch(args, params):
    from jaxnc._src.dispatch import run_jaxpr

    return run_jaxpr(params["jaxpr"], args)


jit_p.dispatch = _jit_dispatch
jit_p.call_param = "jaxpr"


@jit_p.def_impl
def _jit_impl(*args, jaxpr, name):
    import numpy as np

    from jaxnc._src.backends.interpret import eval_jaxpr_impl

    return eval_jaxpr_impl(jaxpr.jaxpr, [np.asarray(c) for c in jaxpr.consts], args)


def _jit_staging(trace, args, params):
    """Nested jit is inlined into the enclosing jaxpr."""
    closed = params["jaxpr"]
    return core.eval_jaxpr(closed.jaxpr, closed.consts, *args)


jit_p.staging = _jit_staging


@jit_p.def_jvp
def _jit_jvp(primals, tangents, jaxpr, name):
    nonzeros = [type(t) is not Zero for t in tangents]
    jvp_closed = ad.jvp_jaxpr(jaxpr, nonzeros)
    nz_tangents = [t for t in tangents if type(t) is not Zero]
    outs = jit_p.bind(*primals, *nz_tangents, jaxpr=jvp_closed, name=f"jvp({name})")
    n = len(jaxpr.out_avals)
    return outs[:n], outs[n:]


@jit_p.def_transpose
def _jit_transpose(cts, *args, jaxpr, name):
    linear = [is_undefined_primal(a) for a in args]
    t_closed = ad.transpose_jaxpr(jaxpr, linear)
    cts = [ad.instantiate(ct, a.to_tangent_aval()) for ct, a in zip(cts, jaxpr.out_avals, strict=True)]
    nonlin = [a for a in args if not is_undefined_primal(a)]
    outs = iter(jit_p.bind(*nonlin, *cts, jaxpr=t_closed, name=f"transpose({name})"))
    return [next(outs) if lin else None for lin in linear]


@jit_p.def_batch
def _jit_batch(size, vals, dims, jaxpr, name):
    batched = batching.vmap_jaxpr(jaxpr, size, dims)
    outs = jit_p.bind(*vals, jaxpr=batched, name=f"vmap({name})")
    return outs, [0] * len(outs)


@jit_p.def_partial_eval
def _jit_partial_eval(trace, args, params):
    unknowns = [trace.is_unknown(x) for x in args]
    if not any(unknowns):
        with core.set_current_trace(trace.parent):
            return jit_p.bind(*args, **params)
    closed, name = params["jaxpr"], params["name"]
    known, unknown, out_unknowns, num_res = pe.partial_eval_jaxpr(closed, unknowns)
    known_args = [x for x, u in zip(args, unknowns, strict=True) if not u]
    with core.set_current_trace(trace.parent):
        outs = jit_p.bind(*known_args, jaxpr=known, name=name)
    known_outs, residuals = outs[: len(outs) - num_res], outs[len(outs) - num_res :]
    ins = [trace.instantiate_const(r) for r in residuals] + [x for x, u in zip(args, unknowns, strict=True) if u]
    unknown_outs = iter(trace.stage(jit_p, ins, dict(jaxpr=unknown, name=name), unknown.out_avals))
    known_it = iter(known_outs)
    return [next(unknown_outs) if u else next(known_it) for u in out_unknowns]


# --- the user API ------------------------------------------------------------------------------------

def _static_positions(fun, static_argnums, static_argnames):
    """Resolve static_argnums/static_argnames against the signature, as JAX does."""
    static_argnums = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums or ())
    static_argnames = (static_argnames,) if isinstance(static_argnames, str) else tuple(static_argnames or ())
    try:
        params = list(inspect.signature(fun).parameters.values())
    except (TypeError, ValueError):
        return static_argnums, static_argnames
    names = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    nums = set(static_argnums)
    argnames = set(static_argnames)
    for n in static_argnames:
        if n in names:
            nums.add(names.index(n))
    for i in static_argnums:
        if 0 <= i < len(names):
            argnames.add(names[i])
    return tuple(sorted(nums)), tuple(sorted(argnames))


class _CacheEntry:
    __slots__ = ("closed", "out_tree", "n_tracer_consts", "tracer_consts", "float0_outs")

    def __init__(self, closed, out_tree, tracer_consts=(), float0_outs=()) -> None:
        self.closed = closed
        self.out_tree = out_tree
        self.tracer_consts = list(tracer_consts)
        self.n_tracer_consts = len(self.tracer_consts)
        self.float0_outs = float0_outs  # (position, shape) of data-free float0 outputs, not in the jaxpr

    def unflatten(self, outs):
        if self.float0_outs:
            outs = list(outs)
            for i, shape in self.float0_outs:
                outs.insert(i, np.zeros(shape, dtypes.float0))
        return self.out_tree.unflatten(outs)


class Jitted:
    """A function compiled per input signature. Owns its traced jaxprs and their captured constants."""

    def __init__(self, fun: Callable, static_argnums=(), static_argnames=(), donate_argnums=(), donate_argnames=(),
                 inline: bool = False, keep_unused: bool = False) -> None:  # fmt: skip
        self.fun = fun
        self.static_argnums, self.static_argnames = _static_positions(fun, static_argnums, static_argnames)
        self.donate_argnums = donate_argnums  # accepted: buffers are never consumed here (non-consuming model)
        self._cache: collections.OrderedDict = collections.OrderedDict()
        functools.update_wrapper(self, fun, updated=())
        if not hasattr(self, "__name__"):  # a callable object (not a function) has no __name__
            self.__name__ = type(fun).__name__
        register_cache_owner(self)

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return functools.partial(self, obj)

    def _split(self, args, kwargs):
        statics = []
        dyn_args = []
        for i, a in enumerate(args):
            if i in self.static_argnums:
                statics.append((i, _hashable_static(a, i)))
            else:
                dyn_args.append(a)
        dyn_kwargs = {}
        for k, v in kwargs.items():
            if k in self.static_argnames:
                statics.append((k, _hashable_static(v, k)))
            else:
                dyn_kwargs[k] = v
        return tuple(statics), dyn_args, dyn_kwargs

    def _merge(self, statics, dyn_args, dyn_kwargs):
        static_pos = {k: v for k, v in statics if isinstance(k, int)}
        args, it = [], iter(dyn_args)
        for i in range(len(dyn_args) + len(static_pos)):
            args.append(static_pos[i].value if i in static_pos else next(it))
        kwargs = dict(dyn_kwargs)
        kwargs.update({k: v.value for k, v in statics if isinstance(k, str)})
        return args, kwargs

    def __call__(self, *args, **kwargs):
        if config.jax_disable_jit:
            return self.fun(*args, **kwargs)
        avals = None if kwargs or self.static_argnums else _avals_or_none(args)
        if avals is not None:
            # the common case, arrays only: the signature is the avals (no pytree flattening)
            leaves = args
            key = (len(args), avals, config.jax_enable_x64)
            statics, in_tree = (), None
        else:
            statics, dyn_args, dyn_kwargs = self._split(args, kwargs)
            leaves, in_tree = tree_flatten((dyn_args, dyn_kwargs))
            key = (in_tree, tuple(_arg_aval(x, i) for i, x in enumerate(leaves)), statics, config.jax_enable_x64)
        entry = self._cache.get(key)
        if entry is None:
            if in_tree is None:
                in_tree = tree_flatten((list(args), {}))[1]
            entry = self._trace(statics, in_tree, tuple(_arg_aval(x, i) for i, x in enumerate(leaves)))
            if entry.n_tracer_consts == 0:
                self._cache[key] = entry
                if len(self._cache) > config.jaxnc_jit_cache_size:
                    self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        outs = jit_p.bind(*entry.tracer_consts, *leaves, jaxpr=entry.closed, name=self.__name__)
        return entry.unflatten(outs)

    def _trace(self, statics, in_tree, avals) -> _CacheEntry:
        out_tree_box = []

        def flat_fun(*leaves):
            dyn_args, dyn_kwargs = in_tree.unflatten(leaves)
            args, kwargs = self._merge(statics, dyn_args, dyn_kwargs)
            out = self.fun(*args, **kwargs)
            out_leaves, out_tree = tree_flatten(out)
            # float0 values (tangents of ints, e.g. from grad(allow_int=True)) carry no data: returned as they are
            float0_outs = tuple((i, np.shape(o)) for i, o in enumerate(out_leaves)
                                if getattr(o, "dtype", None) == dtypes.float0)  # fmt: skip
            out_tree_box.append((out_tree, float0_outs))
            return [_check_output(o) for o in out_leaves if getattr(o, "dtype", None) != dtypes.float0]

        jaxpr, consts = pe.trace_to_jaxpr(flat_fun, avals)
        jaxpr, _ = core.dce_jaxpr(jaxpr, [True] * len(jaxpr.outvars))
        out_tree, float0_outs = out_tree_box[0]
        tracer_idx = [i for i, c in enumerate(consts) if isinstance(c, core.Tracer)]
        if tracer_idx:
            # closed-over values of enclosing transformations become leading arguments
            tvars = [jaxpr.constvars[i] for i in tracer_idx]
            keep = [i for i in range(len(consts)) if i not in set(tracer_idx)]
            jaxpr = core.Jaxpr([jaxpr.constvars[i] for i in keep], [*tvars, *jaxpr.invars], jaxpr.outvars, jaxpr.eqns)
            tracer_consts = [consts[i] for i in tracer_idx]
            return _CacheEntry(core.ClosedJaxpr(jaxpr, [consts[i] for i in keep]), out_tree, tracer_consts, float0_outs)
        return _CacheEntry(core.ClosedJaxpr(jaxpr, consts), out_tree, (), float0_outs)

    def lower(self, *args, **kwargs):
        """The traced program for these arguments (`.as_text()` / `.jaxpr`), as `jax.jit(f).lower`."""
        statics, dyn_args, dyn_kwargs = self._split(args, kwargs)
        leaves, in_tree = tree_flatten((dyn_args, dyn_kwargs))
        entry = self._trace(statics, in_tree, tuple(_arg_aval(x, i) for i, x in enumerate(leaves)))
        return _Lowered(entry.closed)

    def clear_cache(self) -> None:
        """Drop traced jaxprs, compiled programs and the constants they captured."""
        self._cache.clear()

    dispose = clear_cache

    def _cache_size(self) -> int:
        return len(self._cache)


def _avals_or_none(args) -> tuple | None:
    avals = []
    for a in args:
        aval = getattr(a, "aval", None)
        if aval is None:
            return None
        avals.append(aval)
    return tuple(avals)


class _Lowered:
    def __init__(self, closed) -> None:
        self.jaxpr = closed

    def as_text(self) -> str:
        return str(self.jaxpr)

    def compile(self):
        return self


class _Static:
    __slots__ = ("value", "_key")

    def __init__(self, value, key) -> None:
        self.value = value
        self._key = key

    def __eq__(self, other) -> bool:
        return isinstance(other, _Static) and type(self.value) is type(other.value) and self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)


def _hashable_static(value, where) -> _Static:
    try:
        hash(value)
    except TypeError:
        raise ValueError(f"Non-hashable static arguments are not supported. An error occurred while trying to hash "
                         f"an object of type {type(value)}, {value!r}, passed as static argument {where!r}.") from None
    return _Static(value, value)


def _arg_aval(x, i) -> core.ShapedArray:
    if isinstance(x, core.Tracer):
        return x.aval
    aval = getattr(x, "aval", None)
    if aval is not None:
        return aval
    try:
        return core.get_aval(x)
    except TypeError:
        raise TypeError(f"Argument {x!r} of type {type(x)} is not a valid JAX type. Mark it static with "
                        "static_argnums/static_argnames if it is a configuration value.") from None


def _check_output(x):
    if isinstance(x, core.Tracer) or hasattr(x, "aval"):
        return x
    try:
        core.get_aval(x)
    except TypeError:
        raise TypeError(f"Value {x!r} of type {type(x)} returned from a jitted function is not a valid JAX type") from None
    return x


def jit(fun: Callable | None = None, *, static_argnums: int | Sequence[int] = (), static_argnames: str | Sequence[str] = (),
        donate_argnums: int | Sequence[int] = (), donate_argnames=(), inline: bool = False, keep_unused: bool = False,
        device=None, backend=None):  # fmt: skip
    """Compile `fun`: traced once per input signature (shapes, dtypes, weak types, static args).

    Args:
      fun: the function to compile; its arguments and results are pytrees of arrays.
      static_argnums: positions of arguments treated as compile-time constants (must be hashable).
      static_argnames: names of such arguments.
      donate_argnums: accepted for compatibility; jaxnc never consumes inputs.

    Returns:
      A callable with `clear_cache()`/`dispose()` and `lower(*args)`.

    Example:
      >>> import jaxnc, jaxnc.numpy as jnp
      >>> f = jaxnc.jit(lambda x: x * 2 + 1)
      >>> f(jnp.arange(3)).tolist()
      [1, 3, 5]
    """
    if fun is None:
        return functools.partial(jit, static_argnums=static_argnums, static_argnames=static_argnames,
                                 donate_argnums=donate_argnums, donate_argnames=donate_argnames)  # fmt: skip
    return Jitted(fun, static_argnums, static_argnames, donate_argnums, donate_argnames, inline, keep_unused)
