"""jaxnc.extend: what third-party backends and primitives build on (hooks, protocol, IR)."""

from jaxnc._src.backends.base import Backend, Buffer, Device, Executable, PrimitiveBackend  # noqa: F401
from jaxnc._src.backends.interpret import eval_jaxpr_impl  # noqa: F401
from jaxnc._src.backends.registry import ENTRY_POINT_GROUP, BackendSpec, hookimpl, hookspec  # noqa: F401
from jaxnc._src.core import (  # noqa: F401
    PRIMITIVES,
    ClosedJaxpr,
    Jaxpr,
    JaxprEqn,
    Literal,
    Primitive,
    ShapedArray,
    Var,
    eval_jaxpr,
)
