"""jaxnc: JAX for Python with portable backends (`import jaxnc as jax`)."""

from jaxnc._src.config import config
from jaxnc._src import dtypes as _dtypes
from jaxnc._src.array import ArrayType as Array, device_put
from jaxnc._src.core import ShapeDtypeStruct, ClosedJaxpr, Jaxpr
from jaxnc._src.errors import (
    ConcretizationTypeError,
    TracerArrayConversionError,
    TracerBoolConversionError,
    TracerIntegerConversionError,
    UnexpectedTracerError,
)
from jaxnc._src.jit import jit
from jaxnc._src.api import (
    block_until_ready,
    disable_jit,
    eval_shape,
    grad,
    hessian,
    jacfwd,
    jacobian,
    jacrev,
    jvp,
    linear_transpose,
    linearize,
    make_jaxpr,
    named_call,
    named_scope,
    typeof,
    value_and_grad,
    vjp,
    vmap,
)
from jaxnc._src.custom_derivatives import checkpoint, custom_jvp, custom_vjp, remat
from jaxnc._src.lax.lax import stop_gradient
from jaxnc._src.backends.registry import backends, default_device_scope as default_device, devices
from jaxnc._src.ownership import check_leaks, clear_caches
from jaxnc import numpy, lax, nn, random, tree_util, tree, scipy, dtypes

__version__ = "0.1.0"


def default_backend() -> str:
    """The platform name of the default backend."""
    from jaxnc._src.backends.registry import registry

    return registry.default_backend().platform


def local_devices(backend: str | None = None) -> list:
    return devices(backend)


def device_count(backend: str | None = None) -> int:
    return len(devices(backend))


def __getattr__(name: str):
    """Lazy aliases of the sibling packages: jaxnc.optax, jaxnc.loaders, jaxnc.onnx."""
    siblings = {"optax": "jaxnc_optax", "loaders": "jaxnc_loaders", "onnx": "jaxnc_onnx"}
    if name in siblings:
        import importlib

        try:
            return importlib.import_module(siblings[name])
        except ImportError as e:
            raise ImportError(f"jaxnc.{name} needs the jaxnc-{name} package: pip install 'jaxnc[{name}]'") from e
    raise AttributeError(f"module 'jaxnc' has no attribute {name!r}")


__all__ = [
    "Array", "ClosedJaxpr", "ConcretizationTypeError", "Jaxpr", "ShapeDtypeStruct", "TracerArrayConversionError",
    "TracerBoolConversionError", "TracerIntegerConversionError", "UnexpectedTracerError", "backends",
    "block_until_ready", "check_leaks", "checkpoint", "clear_caches", "config", "custom_jvp", "custom_vjp",
    "default_backend", "default_device", "device_count", "device_put", "devices", "disable_jit", "dtypes",
    "eval_shape", "grad", "hessian", "jacfwd", "jacobian", "jacrev", "jit", "jvp", "lax", "linear_transpose",
    "linearize", "local_devices", "make_jaxpr", "named_call", "named_scope", "nn", "numpy", "random", "remat",
    "scipy", "stop_gradient", "tree", "tree_util", "typeof", "value_and_grad", "vjp", "vmap",
]
