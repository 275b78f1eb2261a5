"""jaxnc.random: counter-based PRNG with JAX's key API and numbers."""

from jaxnc._src.random import (  # noqa: F401
    PRNGKey, bernoulli, bits, categorical, exponential, fold_in, gumbel, key, key_data, laplace, normal, randint,
    split, truncated_normal, uniform, wrap_key_data,
)
