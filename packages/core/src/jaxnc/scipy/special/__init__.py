"""jaxnc.scipy.special (the breadth issue completes it)."""

from jaxnc._src.lax.lax import erf, erf_inv as erfinv, erfc  # noqa: F401
from jaxnc._src.nn.functions import logsumexp  # noqa: F401
from jaxnc._src.nn.functions import sigmoid as expit  # noqa: F401
