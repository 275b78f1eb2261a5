"""jaxnc.numpy: the NumPy API on jaxnc arrays (`import jaxnc.numpy as jnp`)."""

from jaxnc._src import array_methods as _array_methods
from jaxnc._src.numpy import lax_numpy as _lnp
from jaxnc._src.numpy.lax_numpy import *  # noqa: F403
from jaxnc._src.numpy.lax_numpy import (  # noqa: F401 - names with leading underscores or shadowing builtins
    _IndexUpdateHelper,
    _rewriting_take,
    abs,
    all,
    any,
    divmod,
    max,
    min,
    pow,
    round,
    sum,
)

_array_methods._np.__dict__.update({k: v for k, v in vars(_lnp).items() if not k.startswith("__")})
