"""jaxnc.scipy.stats (`jax.scipy.stats`): norm and multivariate_normal."""

from jaxnc._src.scipy.stats import multivariate_normal, norm  # noqa: F401
