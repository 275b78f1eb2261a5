"""jaxnc.nn: activations, softmax family, one_hot and friends (JAX's definitions)."""

from __future__ import annotations

import math

import numpy as np

from jaxnc._src import dtypes
from jaxnc._src.core import get_aval
from jaxnc._src.custom_derivatives import custom_jvp
from jaxnc._src.lax import lax
from jaxnc._src.numpy import lax_numpy as jnp


@custom_jvp
def relu(x):
    """max(x, 0), with gradient 0 at 0 (as JAX defines it)."""
    return jnp.maximum(x, 0)


relu.defjvps(lambda g, ans, x: jnp.where(x > 0, g, jnp.zeros_like(g)))


@custom_jvp
def relu6(x):
    """min(max(x, 0), 6), with gradient 0 at both kinks (as JAX defines it)."""
    return jnp.minimum(jnp.maximum(x, 0), 6.0)


relu6.defjvps(lambda g, ans, x: jnp.where((x > 0) & (x < 6), g, jnp.zeros_like(g)))


def sigmoid(x):
    (x,) = jnp.promote_dtypes_inexact(x)
    return lax.logistic(x)


def log_sigmoid(x):
    return -softplus(-x)


def softplus(x):
    return jnp.logaddexp(x, 0)


def silu(x):
    return x * sigmoid(x)


swish = silu


def gelu(x, approximate: bool = True):
    (x,) = jnp.promote_dtypes_inexact(x)
    if approximate:
        c = np.sqrt(2 / np.pi).astype(get_aval(x).dtype)
        return 0.5 * x * (1 + jnp.tanh(c * (x + 0.044715 * x**3)))
    return 0.5 * x * (1 + lax.erf(x / lax._const(x, math.sqrt(2))))


def elu(x, alpha=1.0):
    safe = jnp.where(x > 0, 0.0, x)
    return jnp.where(x > 0, x, alpha * jnp.expm1(safe))


def celu(x, alpha=1.0):
    return jnp.maximum(x, 0.0) + alpha * jnp.expm1(jnp.minimum(x, 0.0) / alpha)


def selu(x):
    alpha = 1.6732632423543772848170429916717
    scale = 1.0507009873554804934193349852946
    return scale * elu(x, alpha)


def leaky_relu(x, negative_slope=1e-2):
    return jnp.where(x >= 0, x, negative_slope * x)


def hard_tanh(x):
    return jnp.clip(x, -1.0, 1.0)


def hard_sigmoid(x):
    return relu6(x + 3.0) / 6.0


def glu(x, axis=-1):
    a, b = jnp.split(x, 2, axis)
    return a * sigmoid(b)


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False, where=None):
    """log(sum(b * exp(a))) computed stably; the max is a constant for differentiation (as in JAX)."""
    (a,) = jnp.promote_dtypes_inexact(a)
    amax = jnp.max(a, axis=axis, keepdims=True, where=where, initial=-np.inf if where is not None else None)
    amax = lax.stop_gradient(jnp.where(jnp.isfinite(amax), amax, jnp.zeros_like(amax)))
    e = jnp.exp(a - amax)
    if b is not None:
        e = e * b
    s = jnp.sum(e, axis=axis, keepdims=True, where=where)
    sign = jnp.sign(s)
    out = jnp.log(jnp.abs(s)) + amax
    if not keepdims:
        axes = jnp._canonical_axes(axis, jnp.ndim(a), "logsumexp")
        out = lax.squeeze(out, axes)
        sign = lax.squeeze(sign, axes)
    if return_sign:
        return out, sign
    if b is not None:
        out = jnp.where(sign < 0, np.nan, out)
    return out


def softmax(x, axis=-1, where=None, initial=None):
    (x,) = jnp.promote_dtypes_inexact(x)
    x_max = jnp.max(x, axis, keepdims=True, where=where, initial=-np.inf if where is not None else None)
    unnormalized = jnp.exp(x - lax.stop_gradient(x_max))
    if where is None:
        return unnormalized / jnp.sum(unnormalized, axis, keepdims=True)
    unnormalized = jnp.where(where, unnormalized, 0.0)
    out = unnormalized / jnp.sum(unnormalized, axis, keepdims=True, where=where)
    return jnp.where(where, out, 0.0)  # a fully masked row is 0, not 0/0, as in JAX


def log_softmax(x, axis=-1, where=None, initial=None):
    (x,) = jnp.promote_dtypes_inexact(x)
    x_max = jnp.max(x, axis, keepdims=True, where=where, initial=-np.inf if where is not None else None)
    shifted = x - lax.stop_gradient(x_max)
    exp_shifted = jnp.exp(shifted)
    if where is not None:
        exp_shifted = jnp.where(where, exp_shifted, 0.0)
    out = shifted - jnp.log(jnp.sum(exp_shifted, axis, keepdims=True, where=where))
    return out if where is None else jnp.where(where, out, -np.inf)  # masked entries are -inf, as in JAX


def standardize(x, axis=-1, mean=None, variance=None, epsilon=1e-5, where=None):
    if mean is None:
        mean = jnp.mean(x, axis, keepdims=True, where=where)
    if variance is None:
        variance = jnp.mean(jnp.square(x), axis, keepdims=True, where=where) - jnp.square(mean)
    return (x - mean) * lax.rsqrt(variance + epsilon)


def one_hot(x, num_classes: int, *, dtype=None, axis=-1):
    """One-hot encode integer labels; out-of-range labels give all zeros (as JAX)."""
    dt = dtypes.canonicalize_dtype(dtype) if dtype is not None else dtypes.default_float_dtype()
    x = jnp.asarray(x)
    nd = jnp.ndim(x) + 1
    axis = axis % nd
    shape = list(jnp.shape(x))
    shape.insert(axis, num_classes)
    classes = lax.broadcasted_iota(get_aval(x).dtype, shape, axis)
    return lax.convert_element_type(jnp.equal(jnp.expand_dims(x, axis), classes), dt)


def identity(x):
    """The identity activation."""
    return jnp.asarray(x)


def tanh(x):
    """Hyperbolic tangent (`jax.nn.tanh`)."""
    return jnp.tanh(x)


def soft_sign(x):
    """x / (|x| + 1)."""
    (x,) = jnp.promote_dtypes_inexact(x)
    return x / (jnp.abs(x) + 1)


def hard_silu(x):
    """x * hard_sigmoid(x) (also called hard_swish)."""
    return x * hard_sigmoid(x)


hard_swish = hard_silu


def mish(x):
    """x * tanh(softplus(x))."""
    (x,) = jnp.promote_dtypes_inexact(x)
    return x * jnp.tanh(softplus(x))


def squareplus(x, b=4):
    """(x + sqrt(x^2 + b)) / 2, a smooth ReLU."""
    (x,) = jnp.promote_dtypes_inexact(x)
    return (x + jnp.sqrt(x * x + b)) / 2


def sparse_plus(x):
    """0 for x <= -1, (x + 1)^2 / 4 on (-1, 1), x for x >= 1."""
    (x,) = jnp.promote_dtypes_inexact(x)
    return jnp.where(x <= -1, 0.0, jnp.where(x >= 1, x, (x + 1) ** 2 / 4))


def sparse_sigmoid(x):
    """0 for x <= -1, (x + 1) / 2 on (-1, 1), 1 for x >= 1 (the derivative of sparse_plus)."""
    (x,) = jnp.promote_dtypes_inexact(x)
    return jnp.where(x <= -1, 0.0, jnp.where(x >= 1, 1.0, (x + 1) / 2))
