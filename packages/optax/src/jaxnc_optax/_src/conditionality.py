"""Running an inner transformation only when a condition holds (step-based, or finite updates)."""

from __future__ import annotations

import functools
from typing import Any, NamedTuple, Protocol

import jaxnc.numpy as jnp
from jaxnc import tree_util
from jaxnc.lax import cond
from jaxnc_optax._src import base, numerics
from jaxnc_optax._src.tree_math import tree_zeros_like


class ConditionFn(Protocol):
    """`fn(step, **extra_args) -> bool scalar`."""

    def __call__(self, step: Any, **extra_args: Any) -> Any:
        """Whether to run the inner transformation at `step`."""


class ConditionallyTransformState(NamedTuple):
    """The inner state and the step count."""

    inner_state: Any
    step: Any


class ConditionallyMaskState(NamedTuple):
    """The step count and the inner state."""

    step: Any
    inner_state: base.OptState


def _run_if(
    condition: Any,
    inner: base.GradientTransformationExtraArgs,
    rejected_updates: Any,
    updates,
    state,
    params,
    extra_args,
):
    # Both branches are traced; the rejected branch keeps the inner state unchanged.
    return cond(
        condition,
        lambda _: inner.update(updates, state, params, **extra_args),
        lambda _: (rejected_updates, state),
        None,
    )


def conditionally_transform(
    inner: base.GradientTransformation, should_transform_fn: ConditionFn, forward_extra_args: bool = False
) -> base.GradientTransformationExtraArgs:
    """Run `inner` at steps where `should_transform_fn(step)` holds; elsewhere pass updates through.

    Args:
      inner: the transformation.
      should_transform_fn: a function of the step count (and the extras, if forwarded).
      forward_extra_args: pass the update's keyword extras to `should_transform_fn`.

    Returns:
      A `GradientTransformationExtraArgs` with a `ConditionallyTransformState`.
    """
    inner = base.with_extra_args_support(inner)

    def init_fn(params):
        return ConditionallyTransformState(inner_state=inner.init(params), step=jnp.zeros([], dtype=jnp.int32))

    def update_fn(updates, state, params=None, **extra_args):
        condition = should_transform_fn(state.step, **(extra_args if forward_extra_args else {}))
        updates, inner_state = _run_if(condition, inner, updates, updates, state.inner_state, params, extra_args)
        return updates, ConditionallyTransformState(inner_state, numerics.safe_increment(state.step))

    return base.GradientTransformationExtraArgs(init_fn, update_fn)


def conditionally_mask(
    inner: base.GradientTransformation, should_transform_fn: ConditionFn, forward_extra_args: bool = False
) -> base.GradientTransformationExtraArgs:
    """Run `inner` at steps where `should_transform_fn(step)` holds; elsewhere emit zero updates.

    Args:
      inner: the transformation.
      should_transform_fn: a function of the step count (and the extras, if forwarded).
      forward_extra_args: pass the update's keyword extras to `should_transform_fn`.

    Returns:
      A `GradientTransformationExtraArgs` with a `ConditionallyMaskState`.
    """
    inner = base.with_extra_args_support(inner)

    def init_fn(params):
        return ConditionallyMaskState(step=jnp.zeros([], jnp.int32), inner_state=inner.init(params))

    def update_fn(updates, state, params=None, **extra_args):
        condition = should_transform_fn(state.step, **(extra_args if forward_extra_args else {}))
        zeros = tree_zeros_like(updates)
        updates, inner_state = _run_if(condition, inner, zeros, updates, state.inner_state, params, extra_args)
        return updates, ConditionallyMaskState(step=numerics.safe_increment(state.step), inner_state=inner_state)

    return base.GradientTransformationExtraArgs(init_fn, update_fn)


class ApplyIfFiniteState(NamedTuple):
    """Consecutive and total non-finite steps, whether the last one was finite, and the inner state."""

    notfinite_count: Any
    last_finite: Any
    total_notfinite: Any
    inner_state: Any


def apply_if_finite(inner: base.GradientTransformation, max_consecutive_errors: int) -> base.GradientTransformation:
    """Skip (zero) updates that contain NaN or Inf, unless there have been more than `max_consecutive_errors` in a row.

    Args:
      inner: the transformation to protect.
      max_consecutive_errors: after this many non-finite steps in a row, updates go through anyway.

    Returns:
      A `GradientTransformationExtraArgs` with an `ApplyIfFiniteState`.
    """
    inner = base.with_extra_args_support(inner)

    def init_fn(params):
        return ApplyIfFiniteState(
            notfinite_count=jnp.zeros([], jnp.int32),
            last_finite=jnp.array(True, jnp.bool_),
            total_notfinite=jnp.zeros([], jnp.int32),
            inner_state=inner.init(params),
        )

    def update_fn(updates, state, params=None, **extra_args):
        leaves_finite = [jnp.all(jnp.isfinite(p)) for p in tree_util.tree_leaves(updates)]
        isfinite = functools.reduce(jnp.logical_and, leaves_finite, jnp.array(True))
        notfinite_count = jnp.where(isfinite, jnp.zeros([], jnp.int32), numerics.safe_increment(state.notfinite_count))
        condition = jnp.logical_or(isfinite, notfinite_count > max_consecutive_errors)
        zeros = tree_zeros_like(updates)
        updates, inner_state = _run_if(condition, inner, zeros, updates, state.inner_state, params, extra_args)
        return updates, ApplyIfFiniteState(
            notfinite_count=notfinite_count,
            last_finite=isfinite,
            total_notfinite=jnp.where(isfinite, state.total_notfinite, numerics.safe_increment(state.total_notfinite)),
            inner_state=inner_state,
        )

    return base.GradientTransformationExtraArgs(init_fn, update_fn)
