"""Clipping updates: elementwise, by the global norm, by block RMS, and adaptively against the params."""

from __future__ import annotations

from typing import Any

import jaxnc.numpy as jnp
from jaxnc import lax, tree_util
from jaxnc_optax._src import base, numerics
from jaxnc_optax._src.tree_math import tree_clip, tree_norm

ClipState = base.EmptyState
ClipByGlobalNormState = base.EmptyState
AdaptiveGradClipState = base.EmptyState


def clip(max_delta: Any) -> base.GradientTransformation:
    """Clip every update element to `[-max_delta, max_delta]`.

    Args:
      max_delta: the largest magnitude allowed.

    Returns:
      A stateless `GradientTransformation`.
    """

    def update_fn(updates, state, params=None):
        del params
        return tree_clip(updates, -max_delta, max_delta), state

    return base.GradientTransformation(base.init_empty_state, update_fn)


def clip_by_block_rms(threshold: Any) -> base.GradientTransformation:
    """Scale each leaf down so that its root mean square is at most `threshold`.

    Args:
      threshold: the largest RMS allowed per leaf.

    Returns:
      A stateless `GradientTransformation`.
    """

    def update_fn(updates, state, params=None):
        del params

        def clip_fn(u):
            return u / jnp.maximum(1.0, jnp.sqrt(jnp.mean(numerics.abs_sq(u))) / threshold)

        return tree_util.tree_map(clip_fn, updates), state

    return base.GradientTransformation(base.init_empty_state, update_fn)


def clip_by_global_norm(max_norm: Any) -> base.GradientTransformation:
    """Scale all updates down together so that their global norm is at most `max_norm`.

    Args:
      max_norm: the largest global norm allowed.

    Returns:
      A stateless `GradientTransformation`.
    """

    def update_fn(updates, state, params=None):
        del params
        g_norm = tree_norm(updates)
        trigger = jnp.squeeze(g_norm < max_norm)
        if jnp.ndim(trigger) != 0:
            raise ValueError(f"clip_by_global_norm needs a scalar norm, got shape {jnp.shape(trigger)}.")

        def clip_fn(t):
            return lax.select(trigger, t, t / g_norm.astype(t.dtype) * max_norm)

        return tree_util.tree_map(clip_fn, updates), state

    return base.GradientTransformation(base.init_empty_state, update_fn)


def unitwise_norm(x: Any, axis: int | tuple[int, ...] | None = None) -> Any:
    """Per-unit L2 norms (rows of dense kernels, output channels of convolutions), broadcast to `x`'s shape.

    Args:
      x: a parameter or update array of rank 1 to 5.
      axis: the axes to reduce; chosen from the rank when None.

    Returns:
      An array shaped like `x`.
    """
    if axis is not None:
        reduce_axes = axis
    elif jnp.squeeze(x).ndim <= 1:
        reduce_axes = None
    elif x.ndim in (2, 3):
        reduce_axes = 0
    elif x.ndim in (4, 5):
        reduce_axes = tuple(range(x.ndim - 1))
    else:
        raise ValueError(
            f"unitwise_norm expects a parameter of rank 1 to 5, got shape {x.shape}; pass `axis` for other ranks."
        )
    squared_norm = jnp.sum(numerics.abs_sq(x), axis=reduce_axes, keepdims=True)
    return jnp.broadcast_to(jnp.sqrt(squared_norm), x.shape)


def unitwise_clip(g_norm: Any, max_norm: Any, grad: Any, div_eps: Any = 1e-06) -> Any:
    """`grad` where its unit norm is below `max_norm`, else `grad` rescaled to norm `max_norm`.

    Args:
      g_norm: the unit norms of `grad` (same shape).
      max_norm: the allowed norms (same shape).
      grad: the updates.
      div_eps: guards the division.

    Returns:
      The clipped `grad`.
    """
    if not jnp.shape(g_norm) == jnp.shape(max_norm) == jnp.shape(grad):
        raise ValueError(
            f"unitwise_clip needs equal shapes, got g_norm {jnp.shape(g_norm)}, max_norm {jnp.shape(max_norm)} "
            f"and grad {jnp.shape(grad)}."
        )
    clipped_grad = grad * (max_norm / jnp.maximum(g_norm, div_eps))
    return jnp.where(g_norm < max_norm, grad, clipped_grad)


def adaptive_grad_clip(
    clipping: Any, eps: Any = 0.001, axis: int | tuple[int, ...] | None = None
) -> base.GradientTransformation:
    """Adaptive gradient clipping (NFNets): clip each unit to `clipping * max(|param unit|, eps)`.

    Args:
      clipping: the ratio of update norm to parameter norm allowed.
      eps: the smallest parameter norm assumed.
      axis: the unit axes (see `unitwise_norm`).

    Returns:
      A stateless `GradientTransformation` (needs `params`).
    """

    def update_fn(updates, state, params):
        if params is None:
            raise ValueError(base.NO_PARAMS_MSG)
        g_norm, p_norm = tree_util.tree_map(lambda x: unitwise_norm(x, axis=axis), (updates, params))
        max_norm = tree_util.tree_map(lambda x: clipping * jnp.maximum(x, eps), p_norm)
        return tree_util.tree_map(unitwise_clip, g_norm, max_norm, updates), state

    return base.GradientTransformation(base.init_empty_state, update_fn)
