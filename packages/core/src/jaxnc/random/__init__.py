"""jaxnc.random: counter-based PRNG with JAX's key API and numbers."""

from jaxnc._src.random import (  # noqa: F401
    PRNGKey, bernoulli, bits, categorical, exponential, fold_in, gumbel, key, key_data, laplace, normal, randint,
    split, truncated_normal, uniform, wrap_key_data,
)
from jaxnc._src.random_distributions import (  # noqa: F401
    ball, beta, binomial, cauchy, clone, chisquare, choice, dirichlet, double_sided_maxwell, f, gamma, generalized_normal,
    geometric, key_impl, loggamma, logistic, lognormal, maxwell, multinomial, multivariate_normal, orthogonal, pareto,
    permutation, poisson, rademacher, rayleigh, shuffle, t, triangular, wald, weibull_min,
)
