"""Hyperparameters as optimizer state (`inject_hyperparams`), so schedules and manual changes need no re-jit."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import numpy as np

import jaxnc
import jaxnc.numpy as jnp
from jaxnc_optax._src import base, numerics
from jaxnc_optax._src.tree_casting import tree_dtype


def _convert_floats(x: Any, dtype: Any) -> Any:
    # Python and weakly typed floats take the params' dtype; strongly typed arrays keep theirs.
    if isinstance(x, jaxnc.Array) and not getattr(x, "weak_type", False):
        return x
    current_dtype = x.dtype if hasattr(x, "dtype") else np.dtype(type(x))
    if np.issubdtype(current_dtype, np.floating):
        return jnp.asarray(x, dtype=dtype)
    return x


class InjectHyperparamsState(NamedTuple):
    """The step count, the current hyperparameters and the inner state."""

    count: Any
    hyperparams: dict[str, Any]
    inner_state: base.OptState


class InjectStatefulHyperparamsState(NamedTuple):
    """The step count, the current hyperparameters, the schedules' states and the inner state."""

    count: Any
    hyperparams: dict[str, Any]
    hyperparams_states: dict[str, base.ScheduleState]
    inner_state: base.OptState


class WrappedScheduleState(NamedTuple):
    """The step count of a stateless schedule."""

    count: Any


class WrappedSchedule:
    """A plain schedule `fn(count)` seen as a `StatefulSchedule`."""

    def __init__(self, schedule_fn: base.Schedule):
        """Wraps `schedule_fn`.

        Args:
          schedule_fn: a function of the step count.
        """
        self.schedule_fn = schedule_fn

    def init(self) -> WrappedScheduleState:
        """Starts at step 0."""
        return WrappedScheduleState(count=jnp.zeros([], jnp.int32))

    def update(self, state: WrappedScheduleState, **extra_args: Any) -> WrappedScheduleState:
        """Advances one step."""
        del extra_args
        return WrappedScheduleState(count=numerics.safe_increment(state.count))

    def __call__(self, state: WrappedScheduleState, **extra_args: Any) -> Any:
        """The schedule's value at the current step."""
        del extra_args
        return self.schedule_fn(state.count)


def inject_hyperparams(
    inner_factory: Callable[..., base.GradientTransformation],
    static_args: str | Iterable[str] = (),
    hyperparam_dtype: Any | None = None,
) -> Callable[..., base.GradientTransformationExtraArgs]:
    """Wrap an optimizer factory so that its numeric hyperparameters live in the state.

    Numbers become arrays in `state.hyperparams` (change them between steps without re-tracing);
    callables are schedules evaluated each step. Booleans and `static_args` stay Python values.

    Args:
      inner_factory: e.g. `optax.adam`.
      static_args: names of arguments kept static.
      hyperparam_dtype: dtype of the hyperparameters; the params' highest dtype when None.

    Returns:
      A factory with `inner_factory`'s signature returning a `GradientTransformationExtraArgs`
      whose state is an `InjectStatefulHyperparamsState`.

    Example:
      >>> import jaxnc.numpy as jnp
      >>> import jaxnc_optax as optax
      >>> opt = optax.inject_hyperparams(optax.sgd)(learning_rate=0.1)
      >>> state = opt.init(jnp.zeros(2))
      >>> round(float(state.hyperparams["learning_rate"]), 6)
      0.1
    """
    static_args = {static_args} if isinstance(static_args, str) else set(static_args)
    inner_signature = inspect.signature(inner_factory)
    if not static_args.issubset(inner_signature.parameters):
        raise ValueError(
            f"static_args must name parameters of inner_factory; got {sorted(static_args)}, "
            f"parameters are {list(inner_signature.parameters)}."
        )

    @functools.wraps(inner_factory)
    def wrapped_transform(*args: Any, **kwargs: Any) -> base.GradientTransformationExtraArgs:
        bound_arguments = inner_signature.bind(*args, **kwargs)
        bound_arguments.apply_defaults()
        sched_hps, numeric_hps, other_hps = {}, {}, {}
        for name, value in bound_arguments.arguments.items():
            if name in static_args or isinstance(value, bool):
                other_hps[name] = value
            elif isinstance(value, base.StatefulSchedule):
                sched_hps[name] = value
            elif callable(value):
                sched_hps[name] = WrappedSchedule(value)
            elif isinstance(value, (int, float, np.ndarray, jaxnc.Array)):
                numeric_hps[name] = value
            else:
                other_hps[name] = value

        def dtype_for(params):
            return tree_dtype(params, "highest") if hyperparam_dtype is None else hyperparam_dtype

        def init_fn(params):
            dtype = dtype_for(params)
            hparams = {k: jnp.asarray(_convert_floats(v, dtype)) for k, v in numeric_hps.items()}
            hparams_states = {k: f.init() for k, f in sched_hps.items()}
            hparams.update({k: _convert_floats(f(hparams_states[k]), dtype) for k, f in sched_hps.items()})
            return InjectStatefulHyperparamsState(
                count=jnp.zeros([], jnp.int32),
                hyperparams=hparams,
                hyperparams_states=hparams_states,
                inner_state=inner_factory(**other_hps, **hparams).init(params),
            )

        def update_fn(updates, state, params=None, **extra_args):
            dtype = dtype_for(params)
            hparams = {k: _convert_floats(v, dtype) for k, v in state.hyperparams.items()}
            hparams.update(
                {k: _convert_floats(f(state.hyperparams_states[k], **extra_args), dtype) for k, f in sched_hps.items()}
            )
            hyperparams_states = {k: f.update(state.hyperparams_states[k], **extra_args) for k, f in sched_hps.items()}
            inner = base.with_extra_args_support(inner_factory(**other_hps, **hparams))
            updates, inner_state = inner.update(updates, state.inner_state, params, **extra_args)
            return updates, InjectStatefulHyperparamsState(
                count=numerics.safe_increment(state.count),
                hyperparams=hparams,
                hyperparams_states=hyperparams_states,
                inner_state=inner_state,
            )

        return base.GradientTransformationExtraArgs(init_fn, update_fn)

    return wrapped_transform


def inject_stateful_hyperparams(
    inner_factory: Callable[..., base.GradientTransformation],
    static_args: str | Iterable[str] = (),
    hyperparam_dtype: Any | None = None,
) -> Callable[..., base.GradientTransformationExtraArgs]:
    """Deprecated alias of `inject_hyperparams` (which handles stateful schedules too).

    Args:
      inner_factory: the optimizer factory.
      static_args: names of arguments kept static.
      hyperparam_dtype: dtype of the hyperparameters.

    Returns:
      The wrapped factory.
    """
    return inject_hyperparams(inner_factory, static_args, hyperparam_dtype)
