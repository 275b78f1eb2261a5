"""Constraining updates: keeping parameters non-negative, and zeroing NaNs."""

from __future__ import annotations

from typing import Any, NamedTuple

import jaxnc.numpy as jnp
from jaxnc import tree_util
from jaxnc_optax._src import base

NonNegativeParamsState = base.EmptyState


def keep_params_nonnegative() -> base.GradientTransformation:
    """Modify updates so that `params + updates` stays non-negative (clipped at zero).

    Returns:
      A stateless `GradientTransformation` (needs `params`).
    """

    def update_fn(updates, state, params):
        if params is None:
            raise ValueError(base.NO_PARAMS_MSG)
        updates = tree_util.tree_map(
            lambda p, u: None if p is None else jnp.where(p + u < 0.0, -p, u),
            params,
            updates,
            is_leaf=lambda x: x is None,
        )
        return updates, state

    return base.GradientTransformation(base.init_empty_state, update_fn)


class ZeroNansState(NamedTuple):
    """Per leaf, whether the last updates contained a NaN."""

    found_nan: Any


def zero_nans() -> base.GradientTransformation:
    """Replace NaN updates by zero and record, per leaf, whether there were any.

    Returns:
      A `GradientTransformation` with a `ZeroNansState`.
    """

    def init_fn(params):
        return ZeroNansState(found_nan=tree_util.tree_map(lambda p: jnp.array(False, dtype=jnp.bool_), params))

    def update_fn(updates, state, params=None):
        del params, state
        found_nan = tree_util.tree_map(lambda u: jnp.any(jnp.isnan(u)), updates)
        updates = tree_util.tree_map(lambda u: jnp.where(jnp.isnan(u), jnp.zeros_like(u), u), updates)
        return updates, ZeroNansState(found_nan=found_nan)

    return base.GradientTransformation(init_fn, update_fn)
