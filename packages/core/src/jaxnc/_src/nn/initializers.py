"""jaxnc.nn.initializers: JAX's parameter initializers (variance scaling family)."""

from __future__ import annotations

import math

import numpy as np

from jaxnc._src import dtypes
from jaxnc._src import random as jrandom
from jaxnc._src.numpy import lax_numpy as jnp


def zeros(key, shape, dtype=None):
    return jnp.zeros(shape, dtype or dtypes.default_float_dtype())


def ones(key, shape, dtype=None):
    return jnp.ones(shape, dtype or dtypes.default_float_dtype())


def constant(value, dtype=None):
    def init(key, shape, dtype=dtype):
        return jnp.full(shape, value, dtype or dtypes.default_float_dtype())

    return init


def normal(stddev=1e-2, dtype=None):
    def init(key, shape, dtype=dtype):
        return jrandom.normal(key, shape, dtype or dtypes.default_float_dtype()) * stddev

    return init


def uniform(scale=1e-2, dtype=None):
    def init(key, shape, dtype=dtype):
        return jrandom.uniform(key, shape, dtype or dtypes.default_float_dtype()) * scale

    return init


def _compute_fans(shape, in_axis=-2, out_axis=-1, batch_axis=()):
    if len(shape) <= 1:
        raise ValueError(f"Can't compute input and output sizes of a {len(shape)}-dimensional weights tensor. Must be at least 2D.")
    receptive = math.prod(s for i, s in enumerate(shape) if i not in {in_axis % len(shape), out_axis % len(shape)})
    return shape[in_axis] * receptive, shape[out_axis] * receptive


def variance_scaling(scale, mode: str, distribution: str, in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
    """JAX's variance_scaling: fan_in/fan_out/fan_avg with truncated_normal, normal or uniform."""

    def init(key, shape, dtype=dtype):
        dtype = dtype or dtypes.default_float_dtype()
        fan_in, fan_out = _compute_fans(tuple(shape), in_axis, out_axis, batch_axis)
        denom = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}.get(mode)
        if denom is None:
            raise ValueError(f"invalid mode for variance scaling initializer: {mode}")
        variance = scale / denom
        if distribution == "truncated_normal":
            stddev = np.sqrt(variance) / np.array(0.87962566103423978, dtype)
            return jrandom.truncated_normal(key, -2, 2, shape, dtype) * stddev
        if distribution == "normal":
            return jrandom.normal(key, shape, dtype) * np.sqrt(variance)
        if distribution == "uniform":
            return jrandom.uniform(key, shape, dtype, -1, 1) * np.sqrt(3 * variance)
        raise ValueError(f"invalid distribution for variance scaling initializer: {distribution}")

    return init


def glorot_uniform(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
    return variance_scaling(1.0, "fan_avg", "uniform", in_axis, out_axis, batch_axis, dtype)


def glorot_normal(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
    return variance_scaling(1.0, "fan_avg", "truncated_normal", in_axis, out_axis, batch_axis, dtype)


def lecun_uniform(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
    return variance_scaling(1.0, "fan_in", "uniform", in_axis, out_axis, batch_axis, dtype)


def lecun_normal(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
    return variance_scaling(1.0, "fan_in", "truncated_normal", in_axis, out_axis, batch_axis, dtype)


def he_uniform(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
    return variance_scaling(2.0, "fan_in", "uniform", in_axis, out_axis, batch_axis, dtype)


def he_normal(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
    return variance_scaling(2.0, "fan_in", "truncated_normal", in_axis, out_axis, batch_axis, dtype)


xavier_uniform, xavier_normal = glorot_uniform, glorot_normal
kaiming_uniform, kaiming_normal = he_uniform, he_normal


def truncated_normal(stddev=1e-2, dtype=None, lower=-2.0, upper=2.0):
    """Normal(0, stddev^2) samples truncated to [lower, upper] standard deviations."""

    def init(key, shape, dtype=dtype):
        dtype = dtype or dtypes.default_float_dtype()
        return jrandom.truncated_normal(key, lower, upper, shape, dtype) * np.asarray(stddev, dtype)

    return init


def orthogonal(scale=1.0, column_axis=-1, dtype=None):
    """A uniformly random orthogonal matrix (QR of a Gaussian matrix with R's diagonal signs fixed), as JAX."""
    from jaxnc._src.numpy import linalg

    def init(key, shape, dtype=dtype):
        dtype = dtype or dtypes.default_float_dtype()
        shape = tuple(shape)
        if len(shape) < 2:
            raise ValueError(f"orthogonal initializer requires at least a 2D shape, got {shape}")
        n_cols = shape[column_axis]
        n_rows = math.prod(shape) // n_cols
        matrix_shape = (n_cols, n_rows) if n_rows < n_cols else (n_rows, n_cols)
        q, r = linalg.qr(jrandom.normal(key, matrix_shape, dtype))
        q = q * jnp.sign(jnp.diagonal(r))[None, :]
        if n_rows < n_cols:
            q = q.T
        q = jnp.reshape(q, tuple(np.delete(np.asarray(shape), column_axis % len(shape))) + (n_cols,))
        return jnp.moveaxis(q, -1, column_axis) * np.asarray(scale, dtype)

    return init


def delta_orthogonal(scale=1.0, column_axis=-1, dtype=None):
    """Orthogonal in the channel dims at the spatial center of a 3-5 dimensional conv kernel, zero elsewhere."""

    def init(key, shape, dtype=dtype):
        dtype = dtype or dtypes.default_float_dtype()
        shape = tuple(shape)
        if len(shape) not in (3, 4, 5):
            raise ValueError(f"delta_orthogonal initializer requires a 3D, 4D or 5D shape, got {shape}")
        if shape[-1] < shape[-2]:
            raise ValueError(f"delta_orthogonal: `fan_in` ({shape[-2]}) must be <= `fan_out` ({shape[-1]})")
        ortho = orthogonal(scale, column_axis, dtype)(key, shape[-2:], dtype)
        center = tuple(s // 2 for s in shape[:-2])
        return jnp.zeros(shape, dtype).at[center].set(ortho)

    return init
