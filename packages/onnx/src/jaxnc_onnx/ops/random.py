"""Random ops (and training-mode Dropout) through jaxnc.random, keyed by the node's `seed` attribute (0 when absent)."""

from __future__ import annotations

import numpy as np

import jaxnc.numpy as jnp
import jaxnc.random as jrandom

from ..dtypes import device_dtype, np_dtype
from .registry import op


def _key(node):
    return jrandom.PRNGKey(int(node.attr("seed", 0.0)))


def _like_dtype(node, like):
    return device_dtype(np_dtype(node.attr("dtype"))) if node.has_attr("dtype") else like.dtype


@op("RandomNormal", "RandomNormalLike")
def _random_normal(node, like=None):
    shape = tuple(node.attr("shape")) if like is None else tuple(like.shape)
    dt = device_dtype(np_dtype(node.attr("dtype", 1))) if like is None else _like_dtype(node, like)
    z = jrandom.normal(_key(node), shape, jnp.float32)
    return (z * node.attr("scale", 1.0) + node.attr("mean", 0.0)).astype(dt)


@op("RandomUniform", "RandomUniformLike")
def _random_uniform(node, like=None):
    shape = tuple(node.attr("shape")) if like is None else tuple(like.shape)
    dt = device_dtype(np_dtype(node.attr("dtype", 1))) if like is None else _like_dtype(node, like)
    u = jrandom.uniform(_key(node), shape, jnp.float32, node.attr("low", 0.0), node.attr("high", 1.0))
    return u.astype(dt)


@op("Bernoulli")
def _bernoulli(node, p):
    dt = _like_dtype(node, p)
    return (jrandom.uniform(_key(node), tuple(p.shape), jnp.float32) < p).astype(dt)


@op("Multinomial")
def _multinomial(node, logits):
    n = node.attr("sample_size", 1)
    dt = device_dtype(np_dtype(node.attr("dtype", 6)))
    s = jrandom.categorical(_key(node), logits[:, None, :], axis=-1, shape=(logits.shape[0], n))
    return s.astype(dt) if np.dtype(dt) != s.dtype else s


@op("Dropout", static=True)
def _dropout(node, x, ratio=None, training_mode=None):
    """The identity (mask all true) unless `training_mode` (opset 12+) is true: then each value is kept
    with probability 1 - ratio and scaled by 1 / (1 - ratio), the mask drawn from jaxnc.random."""
    if training_mode is None or not bool(node.host(training_mode, "training_mode")):
        return x, node.xp.ones(x.shape, dtype=bool)
    x = node.dev(x)
    r = jnp.float32(0.5) if ratio is None else node.dev(ratio).astype(jnp.float32)
    mask = jrandom.uniform(_key(node), tuple(x.shape), jnp.float32) >= r
    return jnp.where(mask, x * (1 / (1 - r)), 0).astype(x.dtype), mask
