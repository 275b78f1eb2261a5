"""jaxnc-onnx: ONNX models interpreted through jaxnc ops (jittable, differentiable, on every backend)."""

from .errors import OnnxError
from .model import ONNXModel

__version__ = "0.1.0"
__all__ = ["ONNXModel", "OnnxError", "__version__"]
