"""ai.onnx.preview.training optimizer ops (Adagrad, Adam, Momentum): one update of several tensors."""

from __future__ import annotations

import jaxnc.numpy as jnp

from .registry import op

_DOMAIN = "ai.onnx.preview.training"


def _groups(node, args, n_groups):
    """Split the variadic inputs after (R, T) into n_groups equal lists (X..., G..., state...)."""
    rest = args[2:]
    if len(rest) % n_groups:
        raise node.fail(f"expected {n_groups} equal groups of tensors after R and T, got {len(rest)} tensors")
    k = len(rest) // n_groups
    return args[0], args[1], [rest[i * k : (i + 1) * k] for i in range(n_groups)]


@op("Adagrad", domain=_DOMAIN)
def _adagrad(node, *args):
    r, t, (xs, gs, hs) = _groups(node, args, 3)
    lr = r / (1 + t * node.attr("decay_factor", 0.0))
    eps, norm = node.attr("epsilon", 0.0), node.attr("norm_coefficient", 0.0)
    new_x, new_h = [], []
    for x, g, h in zip(xs, gs, hs, strict=True):
        g = norm * x + g
        h = h + g * g
        new_x.append((x - lr * g / (jnp.sqrt(h) + eps)).astype(x.dtype))
        new_h.append(h.astype(x.dtype))
    return tuple(new_x + new_h)


@op("Adam", domain=_DOMAIN)
def _adam(node, *args):
    r, t, (xs, gs, vs, hs) = _groups(node, args, 4)
    alpha, beta = node.attr("alpha", 0.9), node.attr("beta", 0.999)
    eps, norm, post = (
        node.attr("epsilon", 0.0),
        node.attr("norm_coefficient", 0.0),
        node.attr("norm_coefficient_post", 0.0),
    )
    t = jnp.asarray(t).astype(jnp.float32)
    lr = jnp.where(t > 0, r * jnp.sqrt(1 - beta**t) / (1 - alpha**t), r)
    new_x, new_v, new_h = [], [], []
    for x, g, v, h in zip(xs, gs, vs, hs, strict=True):
        g = norm * x + g
        v = alpha * v + (1 - alpha) * g
        h = beta * h + (1 - beta) * g * g
        new_x.append(((1 - post) * (x - lr * v / (jnp.sqrt(h) + eps))).astype(x.dtype))
        new_v.append(v.astype(x.dtype))
        new_h.append(h.astype(x.dtype))
    return tuple(new_x + new_v + new_h)


@op("Momentum", domain=_DOMAIN)
def _momentum(node, *args):
    r, t, (xs, gs, vs) = _groups(node, args, 3)
    alpha, beta, norm = node.attr("alpha"), node.attr("beta"), node.attr("norm_coefficient")
    nesterov = node.attr("mode") == "nesterov"
    beta_t = jnp.where(jnp.asarray(t) > 0, beta, 1.0)
    new_x, new_v = [], []
    for x, g, v in zip(xs, gs, vs, strict=True):
        g = norm * x + g
        v = alpha * v + beta_t * g
        step = g + alpha * v if nesterov else v
        new_x.append((x - r * step).astype(x.dtype))
        new_v.append(v.astype(x.dtype))
    return tuple(new_x + new_v)
