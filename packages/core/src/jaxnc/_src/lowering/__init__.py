"""The kernel lowering toolkit shared by kernel backends (DESIGN §4.1 tier 2); see docs/lowering.md."""

from jaxnc._src.lowering.backend import KernelBackend, KernelBuffer, ProgramExecutable, Storage  # noqa: F401
from jaxnc._src.lowering.kernel import Kernel, Reduce, Routine  # noqa: F401
from jaxnc._src.lowering.lower import lower_jaxpr  # noqa: F401
from jaxnc._src.lowering.program import Program  # noqa: F401
