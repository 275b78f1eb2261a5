"""Adding terms to the updates: decoupled weight decay and annealed Gaussian noise."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jaxnc
import jaxnc.numpy as jnp
from jaxnc import tree_util
from jaxnc_optax._src import base, numerics
from jaxnc_optax._src.masking import masked
from jaxnc_optax._src.tree_math import tree_add_scale
from jaxnc_optax._src.tree_random import canonicalize_key, tree_random_like


class WeightDecaySchedule(NamedTuple):
    """The step count, kept when the weight decay is a schedule."""

    count: Any


AddDecayedWeightsState = base.EmptyState


def add_decayed_weights(
    weight_decay: base.ScalarOrSchedule = 0.0, mask: Any | Callable[[base.Params], Any] | None = None
) -> base.GradientTransformation:
    """Add `weight_decay * params` to the updates (decoupled weight decay, as in AdamW).

    Args:
      weight_decay: the coefficient, or a schedule of the step count.
      mask: a boolean tree (or a function of the params returning one) selecting the decayed leaves.

    Returns:
      A `GradientTransformation`.
    """

    def init_fn(params):
        del params
        return WeightDecaySchedule(count=jnp.zeros([], jnp.int32)) if callable(weight_decay) else base.EmptyState()

    def update_fn(updates, state, params):
        if params is None:
            raise ValueError(base.NO_PARAMS_MSG)
        new_state = WeightDecaySchedule(numerics.safe_increment(state.count)) if callable(weight_decay) else state
        if isinstance(weight_decay, (int, float)) and weight_decay == 0.0:
            return updates, new_state
        s = weight_decay(state.count) if callable(weight_decay) else weight_decay
        updates = tree_util.tree_map(
            lambda g, p: None if g is None else g + s * p, updates, params, is_leaf=lambda x: x is None
        )
        return updates, new_state

    tx = base.GradientTransformation(init_fn, update_fn)
    return tx if mask is None else masked(tx, mask)


class AddNoiseState(NamedTuple):
    """The step count and the PRNG key."""

    count: Any
    rng_key: Any


def add_noise(eta: Any, gamma: Any, key: Any = None, *, seed: int | None = None) -> base.GradientTransformation:
    """Add Gaussian noise of variance `eta / (1 + t)**gamma` to the updates.

    Args:
      eta: the initial variance.
      gamma: the annealing exponent.
      key: a PRNG key or an integer seed (0 when neither `key` nor `seed` is given).
      seed: deprecated spelling of an integer `key`.

    Returns:
      A `GradientTransformation` with an `AddNoiseState`.
    """
    if seed is not None:
        if key is not None:
            raise ValueError(f"add_noise takes one of key and seed, got key={key!r} and seed={seed!r}.")
        key = seed
    key = 0 if key is None else key

    def init_fn(params):
        del params
        return AddNoiseState(count=jnp.zeros([], jnp.int32), rng_key=canonicalize_key(key))

    def update_fn(updates, state, params=None):
        del params
        count_inc = numerics.safe_increment(state.count)
        standard_deviation = jnp.sqrt(eta / count_inc**gamma)
        rng_key, sample_key = jaxnc.random.split(state.rng_key)
        noise = tree_random_like(sample_key, updates, sampler=jaxnc.random.normal)
        updates = tree_add_scale(updates, standard_deviation, noise)
        return updates, AddNoiseState(count=count_inc, rng_key=rng_key)

    return base.GradientTransformation(init_fn, update_fn)
