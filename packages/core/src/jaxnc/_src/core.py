"""The core: abstract values, primitives, traces chosen by context, and the Jaxpr IR."""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from jaxnc._src import dtypes
from jaxnc._src.array_methods import ArrayMethods
from jaxnc._src.errors import (
    ConcretizationTypeError,
    TracerArrayConversionError,
    TracerBoolConversionError,
    TracerIntegerConversionError,
    UnexpectedTracerError,
)

# --- abstract values ---------------------------------------------------------------------------

_SHORT = {
    "bool": "bool", "int8": "i8", "int16": "i16", "int32": "i32", "int64": "i64",
    "uint8": "u8", "uint16": "u16", "uint32": "u32", "uint64": "u64", "float16": "f16",
    "bfloat16": "bf16", "float32": "f32", "float64": "f64", "complex64": "c64", "complex128": "c128",
}  # fmt: skip


class ShapedArray:
    """The abstract value of an array: shape, dtype and JAX's weak-type flag."""

    __slots__ = ("shape", "dtype", "weak_type", "_hash")
    array_abstraction_level = 1

    def __init__(self, shape: Sequence[int], dtype, weak_type: bool = False) -> None:
        self.shape = tuple(int(d) for d in shape)
        self.dtype = np.dtype(dtype)
        self.weak_type = bool(weak_type)
        self._hash = hash((self.shape, self.dtype, self.weak_type))

    ndim = property(lambda self: len(self.shape))
    size = property(lambda self: math.prod(self.shape))

    def __eq__(self, other) -> bool:
        return self is other or (
            type(other) is ShapedArray
            and self.shape == other.shape
            and self.dtype == other.dtype
            and self.weak_type == other.weak_type
        )

    def __hash__(self) -> int:
        return self._hash

    def update(self, shape=None, dtype=None, weak_type=None) -> ShapedArray:
        return ShapedArray(
            self.shape if shape is None else shape,
            self.dtype if dtype is None else dtype,
            self.weak_type if weak_type is None else weak_type,
        )

    def strip_weak_type(self) -> ShapedArray:
        return self.update(weak_type=False) if self.weak_type else self

    def to_tangent_aval(self) -> ShapedArray:
        if dtypes.is_inexact(self.dtype):
            return self
        return ShapedArray(self.shape, dtypes.float0)

    def str_short(self) -> str:
        name = _SHORT.get(self.dtype.name, "float0" if self.dtype == dtypes.float0 else self.dtype.name)
        return f"{name}[{','.join(map(str, self.shape))}]"

    def __repr__(self) -> str:
        weak = ", weak_type=True" if self.weak_type else ""
        return f"ShapedArray({self.str_short()}{weak})"


def get_aval(x) -> ShapedArray:
    """The abstract value of an Array, Tracer, NumPy value or Python scalar."""
    aval = getattr(x, "aval", None)
    if aval is not None:
        return aval
    dt, weak = dtypes.dtype_and_weak(x)
    return ShapedArray(np.shape(x), dt, weak)


class ShapeDtypeStruct:
    """A shape and dtype standing in for an array (as `jax.ShapeDtypeStruct`)."""

    __slots__ = ("shape", "dtype", "weak_type")

    def __init__(self, shape, dtype, weak_type: bool = False) -> None:
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.weak_type = weak_type

    @property
    def aval(self) -> ShapedArray:
        return ShapedArray(self.shape, dtypes.canonicalize_dtype(self.dtype), self.weak_type)

    ndim = property(lambda self: len(self.shape))
    size = property(lambda self: math.prod(self.shape))

    def __eq__(self, other) -> bool:
        return isinstance(other, ShapeDtypeStruct) and (self.shape, self.dtype) == (other.shape, other.dtype)

    def __hash__(self) -> int:
        return hash((self.shape, self.dtype))

    def __repr__(self) -> str:
        return f"ShapeDtypeStruct(shape={self.shape}, dtype={self.dtype.name})"


# --- primitives --------------------------------------------------------------------------------

PRIMITIVES: dict[str, Primitive] = {}


class Primitive:
    """An operation with all of its rules, registered in one place.

    Rules (each optional in general; the registry test says which a primitive needs):
      impl(*ndarrays, **params)                 reference implementation over NumPy
      abstract_eval(*avals, **params)           -> aval or list of avals
      jvp(primals, tangents, **params)          -> (primal_out, tangent_out); tangents may be Zero
      transpose(cts, *args, **params)           linear primitives only; args hold UndefinedPrimal
      batch(axis_size, vals, dims, **params)    -> (outs, out_dims)
      partial_eval(trace, tracers, **params)    custom rule for higher-order primitives
    """

    def __init__(self, name: str, *, multiple_results: bool = False, linear: bool = False) -> None:
        self.name = name
        self.multiple_results = multiple_results
        self.linear = linear
        self.impl: Callable | None = None
        self.abstract_eval: Callable | None = None
        self.jvp: Callable | None = None
        self.transpose: Callable | None = None
        self.batch: Callable | None = None
        self.partial_eval: Callable | None = None
        self.staging: Callable | None = None  # how a jaxpr trace records it (default: one equation)
        self.dispatch: Callable | None = None  # eager execution of call-like primitives (jit)
        # For call-like primitives: the name of the param holding the ClosedJaxpr the equation applies
        # to its inputs, so compilers may inline it (see inline_calls).
        self.call_param: str | None = None
        self.lowerings: dict[str, Callable] = {}  # kernel-backend lowerings, keyed by backend kind
        if name in PRIMITIVES:
            raise ValueError(f"primitive {name!r} is defined twice")
        PRIMITIVES[name] = self

    def __repr__(self) -> str:
        return self.name

    def bind(self, *args, **params):
        return current_trace().process_primitive(self, args, params)

    # decorators, so a rule reads as `@p.def_jvp` right under the primitive
    def def_impl(self, f):
        self.impl = f
        return f

    def def_abstract_eval(self, f):
        self.abstract_eval = f
        return f

    def def_jvp(self, f):
        self.jvp = f
        return f

    def def_transpose(self, f):
        self.transpose = f
        return f

    def def_batch(self, f):
        self.batch = f
        return f

    def def_partial_eval(self, f):
        self.partial_eval = f
        return f

    def out_avals(self, in_avals, params) -> list[ShapedArray]:
        out = self.abstract_eval(*in_avals, **params)
        return list(out) if self.multiple_results else [out]


# --- symbolic zeros and undefined primals (used by autodiff) ----------------------------------


class Zero:
    """A symbolic zero tangent/cotangent of a given aval; never materialized unless needed."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray) -> None:
        self.aval = aval

    def __repr__(self) -> str:
        return f"Zero({self.aval.str_short()})"

    @staticmethod
    def from_value(x) -> Zero:
        return Zero(get_aval(x).to_tangent_aval())


class UndefinedPrimal:
    """Marks the linear input of an equation during transposition."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray) -> None:
        self.aval = aval

    def __repr__(self) -> str:
        return f"UndefinedPrimal({self.aval.str_short()})"


def is_undefined_primal(x) -> bool:
    return type(x) is UndefinedPrimal


# --- traces, chosen by context -----------------------------------------------------------------

_state = threading.local()


class Trace:
    """An interpreter for primitives. `parent` is the trace its rules call into."""

    parent: Trace | None = None
    _valid = True

    def process_primitive(self, prim: Primitive, args, params):
        raise NotImplementedError

    def invalidate(self) -> None:
        self._valid = False

    def is_ancestor_of(self, other: Trace) -> bool:
        t = other
        while t is not None:
            if t is self:
                return True
            t = t.parent
        return False

    def check_foreign(self, x: Tracer) -> None:
        """A tracer of another trace may only come from an enclosing (ancestor) trace that is still live."""
        t = x._trace
        if not t._valid or not t.is_ancestor_of(self):
            detail = "Its transformation has already returned." if not t._valid else ""
            raise UnexpectedTracerError(x, detail)


class EvalTrace(Trace):
    """Evaluates primitives on concrete Arrays through the backends."""

    def process_primitive(self, prim, args, params):
        for x in args:
            if isinstance(x, Tracer):
                raise UnexpectedTracerError(x, "It reached eager evaluation.")
        return _apply_primitive(prim, args, params)


eval_trace = EvalTrace()


def _apply_primitive(prim, args, params):
    global _apply_primitive
    from jaxnc._src.dispatch import apply_primitive

    _apply_primitive = apply_primitive  # bound on first use: dispatch imports this module
    return apply_primitive(prim, args, params)


def current_trace() -> Trace:
    return getattr(_state, "trace", eval_trace)


@contextmanager
def set_current_trace(trace: Trace):
    prev = getattr(_state, "trace", eval_trace)
    _state.trace = trace
    try:
        yield
    finally:
        _state.trace = prev


@contextmanager
def new_trace(trace: Trace):
    """Make `trace` current for a transformation's scope; its tracers become invalid afterwards."""
    prev = getattr(_state, "trace", eval_trace)
    _state.trace = trace
    try:
        yield trace
    finally:
        _state.trace = prev
        trace.invalidate()


class Tracer(ArrayMethods):
    """A value inside a transformation; it has an aval and the array methods (see array_methods)."""

    __slots__ = ("_trace",)
    __array_priority__ = 1000

    @property
    def aval(self) -> ShapedArray:
        raise NotImplementedError

    shape = property(lambda self: self.aval.shape)
    dtype = property(lambda self: self.aval.dtype)
    ndim = property(lambda self: self.aval.ndim)
    size = property(lambda self: self.aval.size)
    weak_type = property(lambda self: self.aval.weak_type)

    def to_concrete_value(self):
        """The concrete value behind this tracer when it has one (e.g. a JVP primal), else None."""
        return None

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    def __bool__(self) -> bool:
        return bool(self._concrete("bool", TracerBoolConversionError))

    def __int__(self) -> int:
        return int(self._concrete("int", TracerIntegerConversionError))

    def __float__(self) -> float:
        return float(self._concrete("float", ConcretizationTypeError))

    def __complex__(self) -> complex:
        return complex(self._concrete("complex", ConcretizationTypeError))

    def __index__(self) -> int:
        return int(self._concrete("index", TracerIntegerConversionError))

    def item(self, *args):
        return np.asarray(self._concrete("item", ConcretizationTypeError, method=True)).item(*args)

    def tolist(self):
        return np.asarray(self._concrete("tolist", ConcretizationTypeError, method=True)).tolist()

    def tobytes(self, order="C") -> bytes:
        return np.asarray(self._concrete("tobytes", ConcretizationTypeError, method=True)).tobytes(order)

    def _concrete(self, what: str, error, method: bool = False):
        value = self.to_concrete_value()
        if value is None:
            name = what if method else f"__{what}__"
            raise error(self, f"The error occurred in the {name} method.")
        return value

    def __array__(self, dtype=None, copy=None):
        value = self.to_concrete_value()
        if value is None:
            raise TracerArrayConversionError(self)
        return np.asarray(value, dtype=dtype)

    def __repr__(self) -> str:
        return f"Traced<{self.aval.str_short()}>with<{type(self._trace).__name__}>"

    def __hash__(self):
        raise TypeError(f"unhashable type: {type(self).__name__} (traced arrays are not hashable)")


def concrete_or_error(x, context: str = ""):
    """`x` as a concrete NumPy value, or a ConcretizationTypeError explaining why it is traced."""
    if isinstance(x, Tracer):
        value = x.to_concrete_value()
        if value is None:
            raise ConcretizationTypeError(x, context)
        return np.asarray(value)
    return np.asarray(x)


# --- the Jaxpr IR ------------------------------------------------------------------------------


class Var:
    __slots__ = ("aval", "count")
    _counter = itertools.count()

    def __init__(self, aval: ShapedArray) -> None:
        self.aval = aval
        self.count = next(Var._counter)

    def __repr__(self) -> str:
        return f"Var({self.count}:{self.aval.str_short()})"


class Literal:
    """A scalar constant inlined in an equation."""

    __slots__ = ("val", "aval")

    def __init__(self, val, aval: ShapedArray) -> None:
        self.val = val
        self.aval = aval

    def __repr__(self) -> str:
        return f"Literal({self.val})"


Atom = Var | Literal


class JaxprEqn:
    __slots__ = ("primitive", "inputs", "params", "outvars")

    def __init__(self, primitive: Primitive, inputs: list, params: dict, outvars: list[Var]) -> None:
        self.primitive = primitive
        self.inputs = inputs
        self.params = params
        self.outvars = outvars

    def replace(self, **kw) -> JaxprEqn:
        new = JaxprEqn(self.primitive, self.inputs, self.params, self.outvars)
        for k, v in kw.items():
            setattr(new, k, v)
        return new


class Jaxpr:
    """`{ lambda constvars ; invars . let eqns in outvars }`."""

    __slots__ = ("constvars", "invars", "outvars", "eqns", "__weakref__", "_cache")

    def __init__(self, constvars, invars, outvars, eqns) -> None:
        self.constvars = list(constvars)
        self.invars = list(invars)
        self.outvars = list(outvars)
        self.eqns = list(eqns)
        self._cache: dict = {}  # derived jaxprs (jvp, vmap, transpose) and compiled executables

    in_avals = property(lambda self: [v.aval for v in self.invars])
    out_avals = property(lambda self: [v.aval for v in self.outvars])

    def __str__(self) -> str:
        return pp_jaxpr(self)

    __repr__ = __str__


class ClosedJaxpr:
    """A Jaxpr together with the values of its constvars (concrete Arrays it owns)."""

    __slots__ = ("jaxpr", "consts", "_cache", "__weakref__")

    def __init__(self, jaxpr: Jaxpr, consts: Sequence) -> None:
        if len(jaxpr.constvars) != len(consts):
            raise ValueError(f"ClosedJaxpr: {len(jaxpr.constvars)} constvars but {len(consts)} consts")
        self.jaxpr = jaxpr
        self.consts = list(consts)
        self._cache: dict = {}  # derived jaxprs: jvp, transpose, batched, partial-evaluated

    in_avals = property(lambda self: self.jaxpr.in_avals)
    out_avals = property(lambda self: self.jaxpr.out_avals)
    eqns = property(lambda self: self.jaxpr.eqns)

    def __str__(self) -> str:
        return pp_jaxpr(self.jaxpr)

    __repr__ = __str__


def cached_derived(closed: ClosedJaxpr, key, build: Callable):
    """A jaxpr derived from `closed` (its jvp, transpose, batched form...), built once per key."""
    out = closed._cache.get(key)
    if out is None:
        out = closed._cache[key] = build()
    return out


def eval_jaxpr(jaxpr: Jaxpr, consts: Sequence, *args) -> list:
    """Evaluate a jaxpr with the current trace (so it works eagerly and under any transformation)."""
    env: dict[Var, Any] = {}

    def read(a):
        return a.val if type(a) is Literal else env[a]

    for v, x in zip(jaxpr.constvars, consts, strict=True):
        env[v] = x
    if len(args) != len(jaxpr.invars):
        raise TypeError(f"jaxpr takes {len(jaxpr.invars)} arguments, got {len(args)}")
    for v, x in zip(jaxpr.invars, args, strict=True):
        env[v] = x
    for eqn in jaxpr.eqns:
        outs = eqn.primitive.bind(*map(read, eqn.inputs), **eqn.params)
        if not eqn.primitive.multiple_results:
            outs = (outs,)
        for v, x in zip(eqn.outvars, outs, strict=True):
            env[v] = x
    return [read(v) for v in jaxpr.outvars]


def jaxpr_as_fun(closed: ClosedJaxpr) -> Callable:
    return lambda *args: eval_jaxpr(closed.jaxpr, closed.consts, *args)


def dce_jaxpr(jaxpr: Jaxpr, used_outputs: Sequence[bool], keep_inputs: bool = True) -> tuple[Jaxpr, list[bool]]:
    """Drop equations whose outputs are not needed. Returns the jaxpr and which inputs are used."""
    outvars = [v for v, u in zip(jaxpr.outvars, used_outputs, strict=True) if u]
    live = {v for v in outvars if type(v) is Var}
    eqns = []
    for eqn in reversed(jaxpr.eqns):
        if any(v in live for v in eqn.outvars) or eqn.params.get("_effectful", False):
            eqns.append(eqn)
            live.update(a for a in eqn.inputs if type(a) is Var)
    eqns.reverse()
    used_inputs = [v in live for v in jaxpr.invars]
    invars = jaxpr.invars if keep_inputs else [v for v, u in zip(jaxpr.invars, used_inputs, strict=True) if u]
    constvars = [v for v in jaxpr.constvars if v in live] if not keep_inputs else jaxpr.constvars
    return Jaxpr(constvars, invars, outvars, eqns), used_inputs


def inline_calls(closed: ClosedJaxpr) -> ClosedJaxpr:
    """The same computation with every call-like equation (jit, remat, custom_jvp/vjp_call) replaced by
    its body, recursively; the bodies' consts join the consts. Used by compilers, never by autodiff."""
    jaxpr = closed.jaxpr
    if not any(e.primitive.call_param for e in jaxpr.eqns):
        return closed
    constvars, consts = list(jaxpr.constvars), list(closed.consts)
    eqns: list[JaxprEqn] = []
    rename: dict = {}

    def sub(a):
        return rename.get(a, a) if type(a) is Var else a

    for eqn in jaxpr.eqns:
        name = eqn.primitive.call_param
        if name is None:
            eqns.append(eqn.replace(inputs=[sub(a) for a in eqn.inputs]))
            continue
        body = inline_calls(eqn.params[name])
        inner: dict = {}
        for v, c in zip(body.jaxpr.constvars, body.consts, strict=True):
            inner[v] = Var(v.aval)
            constvars.append(inner[v])
            consts.append(c)
        for v, a in zip(body.jaxpr.invars, eqn.inputs, strict=True):
            inner[v] = sub(a)
        for e in body.jaxpr.eqns:
            outs = [Var(v.aval) for v in e.outvars]
            eqns.append(JaxprEqn(e.primitive, [inner.get(a, a) if type(a) is Var else a for a in e.inputs], e.params, outs))
            inner.update(zip(e.outvars, outs, strict=True))
        for v, o in zip(eqn.outvars, body.jaxpr.outvars, strict=True):
            rename[v] = inner.get(o, o) if type(o) is Var else o
    return ClosedJaxpr(Jaxpr(constvars, jaxpr.invars, [sub(v) for v in jaxpr.outvars], eqns), consts)


# --- printing ----------------------------------------------------------------------------------


def pp_jaxpr(jaxpr: Jaxpr, indent: int = 0) -> str:
    names: dict[Var, str] = {}

    def name(v) -> str:
        if type(v) is Literal:
            val = v.val
            return f"{np.asarray(val).item()!r}:{v.aval.str_short()}"
        if v not in names:
            n = len(names)
            s = ""
            while True:
                s = chr(ord("a") + n % 26) + s
                n = n // 26 - 1
                if n < 0:
                    break
            names[v] = s
        return names[v]

    def decl(v) -> str:
        return f"{name(v)}:{v.aval.str_short()}"

    pad = " " * indent
    consts = " ".join(decl(v) for v in jaxpr.constvars)
    ins = " ".join(decl(v) for v in jaxpr.invars)
    lines = [f"{{ lambda {consts}; {ins}. let"]
    for eqn in jaxpr.eqns:
        outs = " ".join(decl(v) for v in eqn.outvars)
        params = _pp_params(eqn.params, indent + 4)
        args = " ".join(name(a) for a in eqn.inputs)
        lines.append(f"{pad}    {outs} = {eqn.primitive.name}{params} {args}")
    outs = ", ".join(name(v) for v in jaxpr.outvars)
    lines.append(f"{pad}  in ({outs}{',' if len(jaxpr.outvars) == 1 else ''}) }}")
    return "\n".join(lines)


def _pp_params(params: dict, indent: int) -> str:
    if not params:
        return ""
    items = []
    for k, v in sorted(params.items()):
        if k.startswith("_"):
            continue
        if isinstance(v, ClosedJaxpr):
            v = v.jaxpr
        if isinstance(v, Jaxpr):
            s = pp_jaxpr(v, indent + 2)
        elif callable(v) and not isinstance(v, (np.dtype, type)):
            s = getattr(v, "__name__", type(v).__name__)
        elif isinstance(v, np.dtype):
            s = v.name
        else:
            s = repr(v)
        items.append(f"{k}={s}")
    return "[" + " ".join(items) + "]" if items else ""
