"""`onnx.backend.base.Backend` over ONNXModel, as `onnxruntime.backend` is: prepare, run_model, run_node,
supports_device; so ONNX's backend test suite runs with `BackendTest(jaxnc_onnx.backend, __name__)`."""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
from onnx.backend.base import Backend, BackendRep, Device, DeviceType

from .dtypes import on_device
from .model import ONNXModel


class JaxncRep(BackendRep):
    """A prepared model: `run(inputs)` feeds the non-initializer graph inputs positionally (or by name)."""

    def __init__(self, model: ONNXModel) -> None:
        self.model = model

    def run(self, inputs: Any, **kwargs: Any) -> tuple:
        if isinstance(inputs, dict):
            feeds = dict(inputs)
        else:
            if isinstance(inputs, np.ndarray):
                inputs = [inputs]
            feeds = dict(zip(self.model.input_names, inputs, strict=False))
        return tuple(self.model.run(None, {k: self._device(v) for k, v in feeds.items()}))

    def _device(self, value):
        # NB: every feed jaxnc can hold goes to the device, integers included, so the suite exercises
        # jaxnc's ops (ONNXModel.run alone keeps NumPy integer feeds on the host, as static values)
        if isinstance(value, list):
            return [self._device(v) for v in value]
        if isinstance(value, (np.ndarray, np.generic)) and on_device(value.dtype):
            return self.model.put(np.asarray(value))
        return value


class JaxncBackend(Backend):
    """jaxnc as an ONNX backend (CPU: the device of jaxnc's default backend)."""

    @classmethod
    def supports_device(cls, device: str) -> bool:
        return Device(device).type == DeviceType.CPU

    @classmethod
    def prepare(cls, model: onnx.ModelProto, device: str = "CPU", **kwargs: Any) -> JaxncRep:
        super().prepare(model, device, **kwargs)
        return JaxncRep(ONNXModel(model))

    @classmethod
    def run_model(cls, model: onnx.ModelProto, inputs: Any, device: str = "CPU", **kwargs: Any) -> tuple:
        return cls.prepare(model, device, **kwargs).run(inputs)

    @classmethod
    def run_node(
        cls, node: onnx.NodeProto, inputs: Any, device: str = "CPU", outputs_info=None, **kwargs: Any
    ) -> tuple:
        """Run one node: a one-node model is built around it (input types taken from `inputs`)."""
        super().run_node(node, inputs, device=device, outputs_info=outputs_info)
        arrays = [np.asarray(x) for x in inputs]
        graph_inputs = [onnx.helper.make_tensor_value_info(name, onnx.helper.np_dtype_to_tensor_dtype(a.dtype), a.shape)
                        for name, a in zip(node.input, arrays, strict=False) if name]  # fmt: skip
        graph_outputs = [onnx.helper.make_empty_tensor_value_info(name) for name in node.output if name]
        graph = onnx.helper.make_graph([node], "run_node", graph_inputs, graph_outputs)
        opset = kwargs.get("opset_version", onnx.defs.onnx_opset_version())
        model = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid(node.domain, opset)])
        feeds = {name: a for name, a in zip(node.input, arrays, strict=False) if name}
        return tuple(ONNXModel(model, check=False).run(None, feeds))


prepare = JaxncBackend.prepare
run_model = JaxncBackend.run_model
run_node = JaxncBackend.run_node
supports_device = JaxncBackend.supports_device
is_compatible = JaxncBackend.is_compatible
