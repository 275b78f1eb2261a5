"""jaxnc.dtypes: dtype utilities under `jax.dtypes`' names (canonicalize_dtype, float0, result_type, ...)."""

from jaxnc._src.dtypes import (  # noqa: F401
    bfloat16,
    canonicalize_dtype,
    finfo,
    float0,
    iinfo,
    issubdtype,
    promote_types,
    result_type,
)


def is_weakly_typed(x) -> bool:
    """Whether `x` (an Array, tracer or Python scalar) has a weak type, as `jax.dtypes.is_weakly_typed`."""
    from jaxnc._src.dtypes import dtype_and_weak

    return dtype_and_weak(x)[1]
