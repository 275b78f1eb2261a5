"""Applying updates to parameters: `apply_updates`, and the incremental and periodic target updates."""

from __future__ import annotations

from typing import Any

import jaxnc.numpy as jnp
from jaxnc import tree_util
from jaxnc.lax import cond
from jaxnc_optax._src import base


def _is_none(x: Any) -> bool:
    return x is None


def apply_updates(params: base.Params, updates: base.Updates) -> base.Params:
    """`params + updates`, leafwise, keeping each parameter's dtype.

    Args:
      params: a pytree of parameters (`None` leaves stay `None`).
      updates: a pytree of updates with the same structure.

    Returns:
      The new parameters; the inputs are not consumed.

    Example:
      >>> import jaxnc.numpy as jnp
      >>> import jaxnc_optax as optax
      >>> optax.apply_updates({"w": jnp.ones(2)}, {"w": jnp.full(2, 0.5)})["w"].tolist()
      [1.5, 1.5]
    """
    return tree_util.tree_map(
        lambda p, u: None if p is None else jnp.asarray(p + u).astype(jnp.asarray(p).dtype),
        params,
        updates,
        is_leaf=_is_none,
    )


def incremental_update(new_tensors: base.Params, old_tensors: base.Params, step_size: Any) -> base.Params:
    """Polyak averaging: `step_size * new + (1 - step_size) * old`, leafwise.

    Args:
      new_tensors: the latest values.
      old_tensors: the running values.
      step_size: the weight of the new values, in [0, 1].

    Returns:
      The averaged tree.
    """
    return tree_util.tree_map(
        lambda new, old: None if new is None else step_size * new + (1.0 - step_size) * old,
        new_tensors,
        old_tensors,
        is_leaf=_is_none,
    )


def periodic_update(new_tensors: base.Params, old_tensors: base.Params, steps: Any, update_period: Any) -> base.Params:
    """`new_tensors` every `update_period` steps, else `old_tensors` (a target network update).

    Args:
      new_tensors: the latest values.
      old_tensors: the current target values.
      steps: the current step.
      update_period: how many steps between copies.

    Returns:
      One of the two trees.
    """
    return cond(jnp.mod(steps, update_period) == 0, lambda _: new_tensors, lambda _: old_tensors, None)
