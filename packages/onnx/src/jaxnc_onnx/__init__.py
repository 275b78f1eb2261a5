"""jaxnc-onnx: ONNX models interpreted through jaxnc ops (in development; see README)."""

__version__ = "0.1.0"
