"""Exceptions with JAX's names and messages that say what to do."""

from __future__ import annotations


class JaxncTypeError(TypeError):
    """Base of the errors about traced values used where a concrete one is needed."""


class ConcretizationTypeError(JaxncTypeError):
    def __init__(self, tracer, context: str = "") -> None:
        super().__init__(
            f"Abstract tracer value encountered where concrete value is expected: {tracer}\n"
            f"{context}\n"
            "The problem arose with a traced value used in Python control flow or converted to a Python "
            "value (bool/int/float/index) inside a transformed function. Use lax.cond / lax.select / "
            "jnp.where / lax.while_loop for value-dependent control flow, or mark the argument static "
            "with jit(..., static_argnums=...) / static_argnames."
        )


class TracerBoolConversionError(ConcretizationTypeError):
    pass


class TracerIntegerConversionError(ConcretizationTypeError):
    pass


class TracerArrayConversionError(JaxncTypeError):
    def __init__(self, tracer) -> None:
        super().__init__(
            f"The numpy.ndarray conversion method __array__() was called on traced array {tracer}. "
            "A traced value cannot be converted to a NumPy array inside jit/grad/vmap; use jaxnc.numpy "
            "functions instead of numpy ones, or move the conversion outside the transformation."
        )


class UnexpectedTracerError(Exception):
    def __init__(self, tracer, detail: str = "") -> None:
        super().__init__(
            f"Encountered an unexpected tracer: {tracer}. A function transformed by jit/grad/vmap/... "
            "saved a traced value outside its scope (for example in a global, a list, or an attribute), "
            f"and it was used after the transformation finished. {detail}".rstrip()
        )


class KeyReuseError(RuntimeError):
    pass
