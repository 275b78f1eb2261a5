"""The graph interpreter: evaluates a GraphProto node by node through the op table (`ops.registry.OPS`).

Values in the environment are host values (`np.ndarray`: constants, integer initializers, shapes and
everything computed only from them), jaxnc arrays (possibly tracers under jit/grad), Python lists
(ONNX sequences) or None (absent optional values).
"""

from __future__ import annotations

import collections
from collections.abc import Mapping, Sequence

import numpy as np
import onnx
from onnx import AttributeProto, FunctionProto, GraphProto, NodeProto, helper, numpy_helper

import jaxnc
import jaxnc.numpy as jnp

from .dtypes import device_dtype
from .errors import OnnxError, node_error
from .ops.registry import OPS

_REQUIRED = object()
_TRACER_ERRORS = (jaxnc.TracerArrayConversionError, jaxnc.ConcretizationTypeError,
                  jaxnc.TracerBoolConversionError, jaxnc.TracerIntegerConversionError)  # fmt: skip


def is_host(value) -> bool:
    return isinstance(value, np.ndarray)


def concrete(x):
    """`x` as a NumPy value (None stays None), or None when it is traced under jit/grad."""
    if x is None or isinstance(x, np.ndarray):
        return x
    try:
        return np.asarray(x)
    except _TRACER_ERRORS:
        return None


class Scope:
    """What a graph sees: opset versions, model-local functions, the attributes of the function call it
    is the body of (for `ref_attr_name`), and its names over those of the enclosing graph."""

    def __init__(self, opsets: Mapping[str, int], functions: Mapping, env: Mapping, fn_attrs=None):
        self.opsets = opsets
        self.functions = functions
        self.env = collections.ChainMap({}, env) if not isinstance(env, collections.ChainMap) else env
        self.fn_attrs = fn_attrs

    def child(self) -> Scope:
        return Scope(self.opsets, self.functions, self.env.new_child(), self.fn_attrs)


def _attr_value(attr: AttributeProto):
    if attr.type == AttributeProto.SPARSE_TENSOR or attr.type == AttributeProto.SPARSE_TENSORS:
        raise TypeError("sparse tensor attributes are not supported")
    value = helper.get_attribute_value(attr)
    if attr.type == AttributeProto.STRING:
        return value.decode("utf-8")
    if attr.type == AttributeProto.STRINGS:
        return [s.decode("utf-8") for s in value]
    if attr.type == AttributeProto.TENSOR:
        return numpy_helper.to_array(value)
    if attr.type == AttributeProto.TENSORS:
        return [numpy_helper.to_array(t) for t in value]
    return value


class Node:
    """One node being evaluated: its attributes, opset version, the array namespace (`xp`: NumPy for host
    values, jaxnc.numpy otherwise) and helpers that raise errors naming the node."""

    __slots__ = ("proto", "scope", "opset", "xp", "attrs")

    def __init__(self, proto: NodeProto, scope: Scope, opset: int, xp):
        self.proto, self.scope, self.opset, self.xp = proto, scope, opset, xp
        attrs = {}
        for a in proto.attribute:
            if a.ref_attr_name:
                ref = (scope.fn_attrs or {}).get(a.ref_attr_name)
                if ref is not None:
                    attrs[a.name] = ref
            else:
                attrs[a.name] = a
        self.attrs = attrs

    @property
    def op_type(self) -> str:
        return self.proto.op_type

    def attr(self, key: str, default=_REQUIRED):
        a = self.attrs.get(key)
        if a is None:
            if default is _REQUIRED:
                raise self.fail(f"required attribute {key!r} is missing")
            return default
        try:
            return _attr_value(a)
        except TypeError as e:
            raise self.fail(f"attribute {key!r}: {e}") from e

    def has_attr(self, key: str) -> bool:
        return key in self.attrs

    def fail(self, problem: str) -> OnnxError:
        return node_error(self.proto, problem)

    def host(self, x, what: str) -> np.ndarray:
        """`x` as a NumPy array; a traced value (under jit) raises an error saying what needed it."""
        value = concrete(x)
        if value is None:
            raise self.fail(
                f"{what} must be known when the graph is traced (a constant, an integer initializer or "
                f"computed from shapes), but it is a traced value under jit/grad; run eagerly instead"
            )
        return value

    def ints(self, x, what: str) -> list[int]:
        return [int(v) for v in self.host(x, what).reshape(-1)]

    def dev(self, x):
        """`x` as a jaxnc array (host values are moved with their dtype narrowed as jaxnc does)."""
        if isinstance(x, (np.ndarray, np.generic)):
            return jnp.asarray(np.asarray(x).astype(device_dtype(x.dtype), copy=False))
        return x

    def run_graph(self, graph: GraphProto, inputs: Sequence) -> list:
        """Evaluate a subgraph attribute with `inputs` bound to its inputs; it sees this graph's names."""
        scope = self.scope.child()
        if len(inputs) != len(graph.input):
            raise self.fail(f"subgraph {graph.name!r} takes {len(graph.input)} inputs, got {len(inputs)}")
        for vi, v in zip(graph.input, inputs, strict=True):
            scope.env[vi.name] = v
        return run_graph(graph, scope)


def run_graph(graph: GraphProto, scope: Scope) -> list:
    """Evaluate every node of `graph` in order; returns the graph outputs."""
    for proto in graph.node:
        eval_node(proto, scope)
    try:
        return [scope.env[o.name] for o in graph.output]
    except KeyError as e:
        raise OnnxError(f"graph {graph.name!r}: output {e.args[0]!r} is not produced by any node") from None


def _domain(d: str) -> str:
    return "" if d == "ai.onnx" else d


def eval_node(proto: NodeProto, scope: Scope) -> None:
    args = []
    for name in proto.input:
        if not name:
            args.append(None)
            continue
        try:
            args.append(scope.env[name])
        except KeyError:
            raise node_error(
                proto, f"input {name!r} is not defined by a graph input, initializer or earlier node"
            ) from None
    domain = _domain(proto.domain)
    opset = scope.opsets.get(domain, 1)
    opdef = OPS.get((domain, proto.op_type))
    if opdef is None:
        outs = _call_function(proto, scope, opset, args)
    else:
        host = opdef.static and all(is_host(a) for a in args if a is not None)
        node = Node(proto, scope, opset, np if host else jnp)
        try:
            out = opdef.fn(node, *args)
        except OnnxError:
            raise
        except _TRACER_ERRORS as e:
            raise node.fail(f"needs a concrete value that is traced under jit/grad ({type(e).__name__})") from e
        except Exception as e:  # noqa: BLE001 - every failure is reported against its node
            raise node.fail(f"{type(e).__name__}: {e}") from e
        outs = out if isinstance(out, tuple) else (out,)
        if host:
            outs = tuple(np.asarray(o) if isinstance(o, (np.generic, float, int, bool)) else o for o in outs)
    for i, name in enumerate(proto.output):
        if not name:
            continue
        if i >= len(outs):
            raise node_error(proto, f"output {i} ({name!r}) is requested but this implementation produces {len(outs)}")
        scope.env[name] = outs[i]


def find_function(proto: NodeProto, opsets: Mapping[str, int], functions: Mapping) -> FunctionProto | str | None:
    """The function body implementing a node without a table entry: a model-local function, or the
    op's schema function ("context" when it depends on input types); None when there is none."""
    domain = _domain(proto.domain)
    if (domain, proto.op_type) in functions:
        return functions[(domain, proto.op_type)]
    try:
        schema = onnx.defs.get_schema(proto.op_type, opsets.get(domain, 1), domain)
    except onnx.defs.SchemaError:
        return None
    if schema.has_function:
        return schema.function_body
    if schema.has_context_dependent_function:
        return "context"
    return None


def _type_proto(value):
    if isinstance(value, list):
        elem = value[0] if value else np.zeros(0, np.float32)
        return helper.make_sequence_type_proto(_type_proto(elem))
    dtype = np.dtype(value.dtype)
    return helper.make_tensor_type_proto(helper.np_dtype_to_tensor_dtype(dtype), list(np.shape(value)))


def _call_function(proto: NodeProto, scope: Scope, opset: int, args: list) -> tuple:
    body = find_function(proto, scope.opsets, scope.functions)
    if body is None:
        raise node_error(proto, f"no implementation for op type {proto.op_type!r} (opset {opset})")
    fn_attrs = {}
    if (_domain(proto.domain), proto.op_type) not in scope.functions:
        schema = onnx.defs.get_schema(proto.op_type, opset, _domain(proto.domain))
        fn_attrs = {name: a.default_value for name, a in schema.attributes.items() if a.default_value.type}
    if body == "context":
        types = [
            _type_proto(a).SerializeToString() if a is not None else onnx.TypeProto().SerializeToString() for a in args
        ]
        body = FunctionProto()
        body.ParseFromString(schema.get_context_dependent_function(proto.SerializeToString(), types))
    opsets = dict(scope.opsets)
    opsets.update({_domain(o.domain): o.version for o in body.opset_import})
    fn_attrs.update({a.name: a for a in body.attribute_proto})
    caller_attrs = {a.name: a for a in proto.attribute}
    if scope.fn_attrs:  # a call inside a function body may forward its own attributes
        caller_attrs.update({a.name: scope.fn_attrs[a.ref_attr_name] for a in proto.attribute
                             if a.ref_attr_name and a.ref_attr_name in scope.fn_attrs})  # fmt: skip
        caller_attrs = {k: v for k, v in caller_attrs.items() if not v.ref_attr_name}
    fn_attrs.update(caller_attrs)
    env = {name: (args[i] if i < len(args) else None) for i, name in enumerate(body.input)}
    inner = Scope(opsets, scope.functions, env, fn_attrs)
    try:
        for p in body.node:
            eval_node(p, inner)
    except OnnxError as e:
        raise node_error(proto, f"in its function body: {e}") from e
    return tuple(inner.env.get(o) for o in body.output)
