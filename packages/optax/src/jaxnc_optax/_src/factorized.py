"""Adafactor's factored second moments (`scale_by_factored_rms`): row and column statistics per matrix."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

import jaxnc.numpy as jnp
from jaxnc import tree_util
from jaxnc_optax._src import base, numerics


def _decay_rate_pow(i: Any, exponent: Any = 0.8) -> Any:
    """Adafactor's second-moment decay `1 - (i + 1)^(-exponent)`."""
    t = jnp.array(i + 1, jnp.float32)
    return 1.0 - t ** (-exponent)


def _factored_dims(shape: tuple[int, ...], factored: bool, min_dim_size_to_factor: int) -> tuple[int, int] | None:
    # The two largest axes, if the second largest is big enough to be worth factoring.
    if not factored or len(shape) < 2:
        return None
    sorted_dims = np.argsort(shape)
    if shape[sorted_dims[-2]] < min_dim_size_to_factor:
        return None
    return int(sorted_dims[-2]), int(sorted_dims[-1])


@dataclasses.dataclass
class _UpdateResult:
    """One leaf's update and new moments; a plain class, so a pytree leaf."""

    update: Any
    v_row: Any
    v_col: Any
    v: Any


class FactoredState(NamedTuple):
    """The step count, the row and column moments of factored leaves, and the full moments of the rest."""

    count: Any
    v_row: base.ArrayTree
    v_col: base.ArrayTree
    v: base.ArrayTree


def _to_state(count: Any, results: Any) -> FactoredState:
    def field(name):
        return tree_util.tree_map(lambda r: getattr(r, name), results)

    return FactoredState(count=count, v_row=field("v_row"), v_col=field("v_col"), v=field("v"))


def scale_by_factored_rms(
    factored: bool = True,
    decay_rate: Any = 0.8,
    step_offset: Any = 0,
    min_dim_size_to_factor: int = 128,
    epsilon: Any = 1e-30,
    decay_rate_fn: Callable[[Any, Any], Any] = _decay_rate_pow,
) -> base.GradientTransformation:
    """Adafactor's rule: divide by the root of a second moment that is factored into rows and columns.

    Args:
      factored: factor the moments of large enough matrices.
      decay_rate: the exponent of the step-dependent decay.
      step_offset: subtracted from the step before computing the decay.
      min_dim_size_to_factor: the smallest second-largest dimension that gets factored.
      epsilon: added to the squared gradients.
      decay_rate_fn: `fn(step, decay_rate) -> decay`.

    Returns:
      A `GradientTransformation` with a `FactoredState` (needs `params`).
    """

    def init_fn(params):
        def init_one(param):
            shape, dtype = param.shape, param.dtype
            one = jnp.zeros((1,), dtype=dtype)
            dims = _factored_dims(shape, factored, min_dim_size_to_factor)
            if dims is not None:
                d1, d0 = dims
                v_row = jnp.zeros(tuple(s for i, s in enumerate(shape) if i != d0), dtype=dtype)
                v_col = jnp.zeros(tuple(s for i, s in enumerate(shape) if i != d1), dtype=dtype)
                return _UpdateResult(update=one, v_row=v_row, v_col=v_col, v=one)
            return _UpdateResult(update=one, v_row=one, v_col=one, v=jnp.zeros_like(param))

        return _to_state(jnp.zeros([], jnp.int32), tree_util.tree_map(init_one, params))

    def update_fn(grads, state, params):
        if params is None:
            raise ValueError(base.NO_PARAMS_MSG)

        def update_one(grad, v_row, v_col, v, param):
            shape, dtype = param.shape, param.dtype
            decay_rate_t = decay_rate_fn(state.count - step_offset, decay_rate)
            new_v_row = jnp.zeros((1,), dtype=dtype)
            new_v_col = jnp.zeros((1,), dtype=dtype)
            new_v = jnp.zeros((1,), dtype=dtype)
            grad_sqr = numerics.abs_sq(grad) + epsilon
            dims = _factored_dims(shape, factored, min_dim_size_to_factor)
            if dims is not None:
                d1, d0 = dims
                new_v_row = (decay_rate_t * v_row + (1.0 - decay_rate_t) * jnp.mean(grad_sqr, axis=d0)).astype(dtype)
                new_v_col = (decay_rate_t * v_col + (1.0 - decay_rate_t) * jnp.mean(grad_sqr, axis=d1)).astype(dtype)
                reduced_d1 = d1 - 1 if d1 > d0 else d1
                row_col_mean = jnp.mean(new_v_row, axis=reduced_d1, keepdims=True)
                row_factor = (new_v_row / row_col_mean) ** (-0.5)
                col_factor = new_v_col ** (-0.5)
                update = grad * jnp.expand_dims(row_factor, axis=d0) * jnp.expand_dims(col_factor, axis=d1)
            else:
                new_v = (decay_rate_t * v + (1.0 - decay_rate_t) * grad_sqr).astype(dtype)
                update = grad * new_v ** (-0.5)
            return _UpdateResult(update, new_v_row, new_v_col, new_v)

        output = tree_util.tree_map(update_one, grads, state.v_row, state.v_col, state.v, params)
        updates = tree_util.tree_map(lambda r: r.update, output)
        return updates, _to_state(numerics.safe_increment(state.count), output)

    return base.GradientTransformation(init_fn, update_fn)
