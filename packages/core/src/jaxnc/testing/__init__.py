"""jaxnc.testing: gradient checks, the backend conformance suite and the leak check."""

from jaxnc._src.ownership import LeakError, check_leaks
from jaxnc.testing.conformance import OP_CASES, BackendConformance, OpCase
from jaxnc.testing.grads import check_grads, check_jvp, check_vjp
