"""ONNXModel: load and check a model, expose float initializers as params, run the graph on jaxnc."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import google.protobuf.message
import numpy as np
import onnx
from onnx import GraphProto, ModelProto, numpy_helper

import jaxnc
import jaxnc.numpy as jnp

from . import ops  # noqa: F401 - fills the op table
from .dtypes import device_dtype, np_dtype, on_device, onnx_type_name
from .errors import OnnxError, node_error
from .interpreter import Scope, _domain, find_function, run_graph
from .ops.registry import OPS


def _load(model, base_dir) -> ModelProto:
    if isinstance(model, ModelProto):
        proto = model
    elif isinstance(model, (bytes, bytearray, memoryview)):
        try:
            proto = onnx.load_model_from_string(bytes(model))
        except (google.protobuf.message.DecodeError, ValueError) as e:
            raise OnnxError(f"the bytes are not a valid ONNX ModelProto: {e}") from e
    elif isinstance(model, (str, os.PathLike)):
        path = os.fspath(model)
        if not os.path.exists(path):
            raise OnnxError(f"no ONNX file at {path!r}")
        try:
            proto = onnx.load(path, load_external_data=False)
        except (google.protobuf.message.DecodeError, ValueError) as e:
            raise OnnxError(f"{path!r} is not a valid ONNX ModelProto: {e}") from e
        base_dir = base_dir or os.path.dirname(os.path.abspath(path))
    else:
        raise TypeError(f"ONNXModel takes a path, bytes or a ModelProto, not {type(model).__name__}")
    if any(onnx.external_data_helper.uses_external_data(t) for t in proto.graph.initializer):
        if base_dir is None:
            raise OnnxError("the model keeps tensors in external data files; pass base_dir= (or load it from a path)")
        proto = ModelProto.FromString(proto.SerializeToString())  # NB: do not fill the caller's proto
        try:
            onnx.load_external_data_for_model(proto, os.fspath(base_dir))
        except (OSError, ValueError) as e:
            raise OnnxError(f"cannot read external data from {base_dir!r}: {e}") from e
    return proto


def _subgraphs(node):
    for a in node.attribute:
        if a.type == onnx.AttributeProto.GRAPH:
            yield a.g
        elif a.type == onnx.AttributeProto.GRAPHS:
            yield from a.graphs


def _check_ops(graph: GraphProto, opsets: Mapping[str, int], functions: Mapping) -> None:
    """Every node (subgraphs included) has a table entry or a function body; else name the first that does not."""
    for node in graph.node:
        if (_domain(node.domain), node.op_type) not in OPS and find_function(node, opsets, functions) is None:
            domain = _domain(node.domain) or "ai.onnx"
            raise node_error(
                node,
                f"unsupported op type {node.op_type!r} (domain {domain}, opset {opsets.get(_domain(node.domain), '?')})",
            )
        for g in _subgraphs(node):
            _check_ops(g, opsets, functions)


def _value_type(vi):
    """(elem_type, dims) of a tensor ValueInfo, dims None/str for unknown; None for non-tensors."""
    t = vi.type
    if not t.HasField("tensor_type"):
        return None
    dims = None
    if t.tensor_type.HasField("shape"):
        dims = [d.dim_value if d.HasField("dim_value") else (d.dim_param or None) for d in t.tensor_type.shape.dim]
    return t.tensor_type.elem_type, dims


class ONNXModel:
    """An ONNX model whose graph is interpreted through jaxnc ops, so it runs on any jaxnc backend and
    composes with `jaxnc.jit` and `jaxnc.grad`.

    Args:
        model: a path to an .onnx file, its bytes, or an `onnx.ModelProto`.
        base_dir: where external data files live (defaults to the file's folder when given a path).
        check: run `onnx.checker.check_model` first.
        device: a jaxnc device (or platform name) for the parameters; defaults to jaxnc's default.

    Float initializers are `params` (a dict of jaxnc arrays, a pytree); integer and boolean initializers
    stay host constants, as do `Constant` nodes and shapes, so shape arithmetic is static under jit.

    Example:
        >>> import onnx, numpy as np
        >>> from onnx import helper, TensorProto
        >>> g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
        ...     [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        ...     [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
        >>> m = ONNXModel(helper.make_model(g))
        >>> m.run(None, {"x": np.array([-1.0, 2.0], np.float32)})[0]
        array([0., 2.], dtype=float32)
    """

    def __init__(self, model: str | os.PathLike | bytes | ModelProto, *, base_dir: str | os.PathLike | None = None,
                 check: bool = True, device=None) -> None:  # fmt: skip
        proto = _load(model, base_dir)
        if check:
            try:
                onnx.checker.check_model(proto)
            except onnx.checker.ValidationError as e:
                raise OnnxError(f"the model fails onnx.checker: {e}") from e
        self.proto = proto
        graph = proto.graph
        self.opsets = {_domain(o.domain): o.version for o in proto.opset_import}
        self.functions = {(_domain(f.domain), f.name): f for f in proto.functions}
        if graph.sparse_initializer:
            raise OnnxError("sparse initializers are not supported; densify them first")
        _check_ops(graph, self.opsets, self.functions)
        self.device = jaxnc.devices(device)[0] if isinstance(device, str) else device
        self.params: dict = {}
        self.constants: dict[str, np.ndarray] = {}
        for t in graph.initializer:
            try:
                value = numpy_helper.to_array(t)
            except (TypeError, ValueError) as e:
                raise OnnxError(f"initializer {t.name!r}: cannot read it as an array ({e})") from e
            if value.dtype.kind in "fc" and value.dtype.itemsize >= 2 and on_device(value.dtype):
                self.params[t.name] = self.put(value)
            else:
                self.constants[t.name] = value
        init_names = {t.name for t in graph.initializer}
        self.inputs = [vi for vi in graph.input if vi.name not in init_names]
        self.input_names = [vi.name for vi in self.inputs]
        self.output_names = [vi.name for vi in graph.output]
        self._declared = {vi.name: vi for vi in list(graph.input) + list(graph.output) + list(graph.value_info)}

    def put(self, value):
        """A host array as a jaxnc array on the model's device (64-bit types narrowed as jaxnc does)."""
        arr = jnp.asarray(np.asarray(value).astype(device_dtype(value.dtype), copy=False))
        return jaxnc.device_put(arr, self.device) if self.device is not None else arr

    def _feed(self, name: str, value):
        """Validate a feed against the graph input's declared type and move it to jaxnc."""
        if value is None or isinstance(value, list):
            return value if value is None else [self._feed(name, v) for v in value]
        declared = _value_type(self._declared[name]) if name in self._declared else None
        if isinstance(value, (int, float, bool)):  # a Python scalar takes the declared dtype
            value = np.asarray(value, dtype=np_dtype(declared[0]) if declared is not None and declared[0] else None)
        elif isinstance(value, np.generic):
            value = np.asarray(value)
        if declared is not None and declared[0]:
            want = np_dtype(declared[0])
            # NumPy feeds must have the declared dtype exactly (as onnxruntime asks); jaxnc arrays have
            # 64-bit types narrowed unless x64 is on, so they are compared as narrowed
            exact = isinstance(value, np.ndarray)
            got = np.dtype(value.dtype)
            if (got != want) if exact else (device_dtype(want) != device_dtype(got)):
                raise OnnxError(
                    f"input {name!r}: expected dtype {onnx_type_name(declared[0])} ({want}), got {value.dtype}"
                )
        # NB: integer/bool feeds given as NumPy stay host values, like integer initializers, so a
        # closed-over sample rate or shape under jit stays static (and int64 stays int64); so do
        # dtypes jaxnc lacks (float8, int4, ...). Float feeds are data and go to the device.
        if isinstance(value, np.ndarray) and value.dtype.kind not in "iub" and on_device(value.dtype):
            value = self.put(value)
        if declared is not None and declared[1] is not None:
            dims = declared[1]
            shape = tuple(value.shape)
            if len(dims) != len(shape) or any(isinstance(d, int) and d != s for d, s in zip(dims, shape)):
                shown = tuple(d if d is not None else "?" for d in dims)
                raise OnnxError(f"input {name!r}: expected shape {shown}, got {shape}")
        return value

    def apply(self, params: Mapping, feeds: Mapping, output_names: Sequence[str] | None = None) -> list:
        """The pure function behind the model: outputs (jaxnc arrays) from `params` and `feeds`.

        Args:
            params: float initializers by name (`model.params`, or a pytree of the same structure).
            feeds: graph inputs by name (NumPy or jaxnc arrays; tracers under jit/grad).
            output_names: which values to return (graph outputs or any intermediate); None: all outputs.

        Returns:
            A list of jaxnc arrays (lists for ONNX sequences, None for empty optionals).
        """
        unknown = set(feeds) - set(self._declared) - set(self.params) - set(self.constants)
        if unknown:
            raise OnnxError(f"unknown inputs {sorted(unknown)}; the model takes {self.input_names}")
        missing = [n for n in self.input_names if n not in feeds and not _optional(self._declared[n])]
        if missing:
            raise OnnxError(f"missing inputs {missing}; the model takes {self.input_names}")
        env = dict(self.constants)
        env.update(params)
        for name, value in feeds.items():
            env[name] = self._feed(name, value)
        scope = Scope(self.opsets, self.functions, env)
        outs = run_graph(self.proto.graph, scope)
        if output_names is None:
            return outs
        try:
            return [scope.env[n] for n in output_names]
        except KeyError as e:
            raise OnnxError(f"no value named {e.args[0]!r}; graph outputs are {self.output_names}") from None

    def __call__(self, **feeds) -> list:
        """`apply(self.params, feeds)`: jaxnc arrays, so `jaxnc.jit(model)` traces the whole graph."""
        return self.apply(self.params, feeds)

    def run(self, output_names: Sequence[str] | None, feeds: Mapping) -> list:
        """Like onnxruntime's `InferenceSession.run`: NumPy outputs with the declared ONNX dtypes."""
        names = list(output_names) if output_names is not None else self.output_names
        outs = self.apply(self.params, feeds, names)
        return [self._to_numpy(n, v) for n, v in zip(names, outs, strict=True)]

    def _to_numpy(self, name: str, value):
        if value is None:
            return None
        if isinstance(value, list):
            return [self._to_numpy(name, v) for v in value]
        out = np.asarray(value)
        vi = self._declared.get(name)
        elem = None
        if vi is not None:
            t = vi.type
            while t.HasField("sequence_type") or t.HasField("optional_type"):
                t = t.sequence_type.elem_type if t.HasField("sequence_type") else t.optional_type.elem_type
            elem = t.tensor_type.elem_type if t.HasField("tensor_type") else None
        if elem:
            try:
                out = out.astype(np_dtype(elem), copy=False)
            except TypeError:
                pass
        return out


def _optional(vi) -> bool:
    return vi.type.HasField("optional_type")
