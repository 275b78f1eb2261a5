"""Accumulating updates over steps: momentum (`trace`), moving averages (`ema`), gradient accumulation (`MultiSteps`)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple, Protocol

import numpy as np

import jaxnc
import jaxnc.numpy as jnp
from jaxnc import tree_util
from jaxnc.lax import cond
from jaxnc_optax._src import base, numerics
from jaxnc_optax._src.tree_casting import tree_cast, tree_cast_like
from jaxnc_optax._src.tree_math import (
    tree_bias_correction,
    tree_update_moment,
    tree_zeros_like,
)


class TraceState(NamedTuple):
    """The momentum buffer."""

    trace: base.Params


def trace(decay: Any, nesterov: bool = False, accumulator_dtype: Any | None = None) -> base.GradientTransformation:
    """Momentum: `t ← g + decay·t`, emitting `t` (or `g + decay·t` again with Nesterov).

    Args:
      decay: the momentum coefficient.
      nesterov: use Nesterov momentum.
      accumulator_dtype: dtype of the buffer; the params' dtype when None.

    Returns:
      A `GradientTransformation` with a `TraceState`.
    """

    def init_fn(params):
        return TraceState(trace=tree_zeros_like(params, dtype=accumulator_dtype))

    def update_fn(updates, state, params=None):
        del params

        def f(g, t):
            return g + decay * t

        new_trace = tree_util.tree_map(
            lambda g, t: None if g is None else f(g, t), updates, state.trace, is_leaf=lambda g: g is None
        )
        updates = tree_util.tree_map(f, updates, new_trace) if nesterov else new_trace
        return updates, TraceState(trace=tree_cast(new_trace, accumulator_dtype))

    return base.GradientTransformation(init_fn, update_fn)


class EmaState(NamedTuple):
    """The step count and the moving average."""

    count: Any
    ema: base.Params


def ema(decay: Any, debias: bool = True, accumulator_dtype: Any | None = None) -> base.GradientTransformation:
    """Exponential moving average of the updates, optionally bias-corrected.

    Args:
      decay: the averaging coefficient.
      debias: divide by `1 - decay**t`.
      accumulator_dtype: dtype of the average; the params' dtype when None.

    Returns:
      A `GradientTransformation` with an `EmaState`.
    """

    def init_fn(params):
        return EmaState(count=jnp.zeros([], jnp.int32), ema=tree_zeros_like(params, dtype=accumulator_dtype))

    def update_fn(updates, state, params=None):
        del params
        updates = new_ema = tree_update_moment(updates, state.ema, decay, order=1)
        count_inc = numerics.safe_increment(state.count)
        if debias:
            updates = tree_bias_correction(new_ema, decay, count_inc)
        return updates, EmaState(count=count_inc, ema=tree_cast(new_ema, accumulator_dtype))

    return base.GradientTransformation(init_fn, update_fn)


class ShouldSkipUpdateFunction(Protocol):
    """`fn(updates, gradient_step, params) -> (should_skip: bool scalar, state to record)`."""

    def __call__(self, updates: base.Updates, gradient_step: Any, params: base.Params | None) -> tuple[Any, Any]:
        """Decides whether `MultiSteps` drops this mini-step's updates."""


def skip_not_finite(updates: base.Updates, gradient_step: Any, params: base.Params | None) -> tuple[Any, Any]:
    """Skip when any update is NaN or infinite (a `ShouldSkipUpdateFunction`).

    Args:
      updates: the mini-step's updates.
      gradient_step: ignored.
      params: ignored.

    Returns:
      `(should_skip, {"should_skip", "num_not_finite"})`.
    """
    del gradient_step, params
    counts = [jnp.sum(jnp.logical_not(jnp.isfinite(p))) for p in tree_util.tree_leaves(updates)]
    num_not_finite = functools.reduce(lambda a, b: a + b, counts, jnp.zeros([], jnp.int32))
    should_skip = num_not_finite > 0
    return should_skip, {"should_skip": should_skip, "num_not_finite": num_not_finite}


def skip_large_updates(
    updates: base.Updates, gradient_step: Any, params: base.Params | None, max_squared_norm: Any
) -> tuple[Any, Any]:
    """Skip when the squared norm of the updates reaches `max_squared_norm` (bind it with a partial).

    Args:
      updates: the mini-step's updates.
      gradient_step: ignored.
      params: ignored.
      max_squared_norm: the threshold.

    Returns:
      `(should_skip, {"should_skip", "norm_squared"})`.
    """
    del gradient_step, params
    norm_sq = functools.reduce(lambda a, b: a + b, [jnp.sum(p**2) for p in tree_util.tree_leaves(updates)])
    should_skip = jnp.logical_not(norm_sq < max_squared_norm)
    return should_skip, {"should_skip": should_skip, "norm_squared": norm_sq}


class MultiStepsState(NamedTuple):
    """Mini-step and gradient-step counters, the inner state, the accumulated gradients and the skip record."""

    mini_step: Any
    gradient_step: Any
    inner_opt_state: Any
    acc_grads: Any
    skip_state: base.ArrayTree = ()


def _never_skip(*unused_args: Any, **unused_kwargs: Any) -> tuple[Any, Any]:
    return jnp.array(False, dtype=jnp.bool_), ()


class MultiSteps:
    """Gradient accumulation: apply the inner optimizer once every `k` mini-steps, to the mean (or sum).

    Between applications the emitted updates are zero. `init`/`update` make it usable wherever a
    `GradientTransformation` is; `gradient_transformation()` returns one.
    """

    def __init__(
        self,
        opt: base.GradientTransformation,
        every_k_schedule: int | Callable[[Any], Any],
        use_grad_mean: bool = True,
        should_skip_update_fn: ShouldSkipUpdateFunction | None = None,
        accumulator_dtype: Any = np.float32,
    ):
        """Wraps `opt`.

        Args:
          opt: the inner transformation.
          every_k_schedule: `k`, or a function of the gradient step returning `k`.
          use_grad_mean: average the accumulated gradients (else sum them).
          should_skip_update_fn: decides per mini-step whether to drop it (see `skip_not_finite`).
          accumulator_dtype: dtype of the accumulated gradients.
        """
        self._opt = base.with_extra_args_support(opt)
        if isinstance(every_k_schedule, int):
            self._every_k_schedule = lambda step: every_k_schedule
        else:
            self._every_k_schedule = every_k_schedule
        self._use_grad_mean = use_grad_mean
        self._accumulator_dtype = accumulator_dtype
        self._should_skip_update_fn = _never_skip if should_skip_update_fn is None else should_skip_update_fn

    @property
    def inner_opt(self) -> base.GradientTransformationExtraArgs:
        """The wrapped transformation."""
        return self._opt

    def _acc_update(self, grad: Any, acc: Any, n_acc: Any) -> Any:
        if self._use_grad_mean:
            return acc + (grad - acc) / (n_acc + 1)
        return grad + acc

    def init(self, params: Any) -> MultiStepsState:
        """Builds the initial state for `params`."""
        gradient_step = jnp.zeros([], dtype=jnp.int32)
        _, skip_state = self._should_skip_update_fn(tree_zeros_like(params), gradient_step, params)
        return MultiStepsState(
            mini_step=jnp.zeros([], dtype=jnp.int32),
            gradient_step=gradient_step,
            inner_opt_state=self._opt.init(params),
            acc_grads=tree_zeros_like(params, dtype=self._accumulator_dtype),
            skip_state=skip_state,
        )

    def update(
        self, updates: base.Updates, state: MultiStepsState, params: base.Params | None = None, **extra_args: Any
    ) -> tuple[base.Updates, MultiStepsState]:
        """Accumulates `updates`; every k-th mini-step runs the inner optimizer and emits its updates."""
        k_steps = self._every_k_schedule(state.gradient_step)
        should_skip, skip_state = self._should_skip_update_fn(updates, state.gradient_step, params)
        if (np.dtype(should_skip.dtype), tuple(should_skip.shape)) != (np.dtype(np.bool_), ()):
            raise ValueError(
                "should_skip_update_fn must return a boolean scalar array, but it returned dtype "
                f"{should_skip.dtype} and shape {should_skip.shape}."
            )

        def do_update(updates, state, params):
            acc_grads = tree_util.tree_map(
                lambda upd, acc: self._acc_update(upd, acc, n_acc=state.mini_step), updates, state.acc_grads
            )
            final_updates, new_inner_state = self._opt.update(
                tree_cast_like(acc_grads, updates), state.inner_opt_state, params=params, **extra_args
            )
            emit = state.mini_step == k_steps - 1
            new_state = MultiStepsState(
                mini_step=numerics.safe_increment(state.mini_step) % k_steps,
                gradient_step=emit * numerics.safe_increment(state.gradient_step) + (1 - emit) * state.gradient_step,
                inner_opt_state=tree_util.tree_map(
                    lambda st, nst: jnp.where(emit, nst, st).astype(st.dtype), state.inner_opt_state, new_inner_state
                ),
                acc_grads=tree_util.tree_map(lambda ga: ((1 - emit) * ga).astype(self._accumulator_dtype), acc_grads),
                skip_state=skip_state,
            )
            return tree_util.tree_map(lambda u: emit * u, final_updates), new_state

        def skip_update(updates, state, params):
            static_args = {k: v for k, v in extra_args.items() if not isinstance(v, jaxnc.Array)}
            dyn_args = {k: v for k, v in extra_args.items() if isinstance(v, jaxnc.Array)}
            update_fn = functools.partial(self._opt.update, **static_args)
            shapes, _ = jaxnc.eval_shape(
                update_fn, tree_cast_like(state.acc_grads, updates), state.inner_opt_state, params=params, **dyn_args
            )
            zero_updates = tree_util.tree_map(lambda s: jnp.zeros(s.shape, s.dtype), shapes)
            return zero_updates, state._replace(skip_state=skip_state)

        return cond(should_skip, skip_update, do_update, updates, state, params)

    def has_updated(self, state: MultiStepsState | base.ArrayTree) -> Any:
        """Whether the last `update` ran the inner optimizer."""
        return jnp.logical_and(state.mini_step == 0, state.gradient_step > 0)

    def gradient_transformation(self) -> base.GradientTransformation:
        """This accumulator as a plain `GradientTransformation`."""
        return base.GradientTransformation(init=self.init, update=self.update)
