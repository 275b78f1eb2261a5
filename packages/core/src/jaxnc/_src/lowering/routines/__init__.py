"""Native routine algorithms, written once as procedures (`../proc.py`) for every kernel backend.

Each module registers builders with `@proc.native("<primitive>")`; a builder returns a
`RoutineProgram` for the routine's avals and params, or None to keep the NumPy reference.
"""

from jaxnc._src.lowering.routines import cumulative  # noqa: F401
from jaxnc._src.lowering.routines import fft  # noqa: F401
from jaxnc._src.lowering.routines import gather  # noqa: F401
from jaxnc._src.lowering.routines import linalg  # noqa: F401
from jaxnc._src.lowering.routines import scatter  # noqa: F401
from jaxnc._src.lowering.routines import sort  # noqa: F401
