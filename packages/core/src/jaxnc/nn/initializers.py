"""jaxnc.nn.initializers (`jax.nn.initializers`)."""

from jaxnc._src.nn.initializers import *  # noqa: F403
