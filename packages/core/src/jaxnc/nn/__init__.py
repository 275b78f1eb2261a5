"""jaxnc.nn: activation functions and friends (`jax.nn`)."""

from jaxnc._src.nn.functions import (  # noqa: F401
    celu, elu, gelu, glu, hard_sigmoid, hard_tanh, leaky_relu, log_sigmoid, log_softmax, logsumexp, one_hot, relu,
    relu6, selu, sigmoid, silu, softmax, softplus, standardize, swish,
)
from jaxnc.nn import initializers  # noqa: F401, E402
