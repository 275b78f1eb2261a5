"""jaxnc.lax.linalg: matrix decompositions and triangular solves (`from jaxnc.lax import linalg`)."""

from jaxnc._src.lax.linalg import cholesky, eigh, lu, qr, svd, triangular_solve  # noqa: F401
