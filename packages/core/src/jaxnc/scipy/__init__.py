"""jaxnc.scipy: SciPy's API on jaxnc (special, linalg, stats)."""

from jaxnc.scipy import linalg, special, stats  # noqa: F401
