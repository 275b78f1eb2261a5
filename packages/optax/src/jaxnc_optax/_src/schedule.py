"""Schedules: functions from the step count to a hyperparameter value (constant, decays, warmups, cycles)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import jaxnc.numpy as jnp
from jaxnc_optax._src import base


def constant_schedule(value: Any) -> base.Schedule:
    """A schedule that always returns `value`.

    Args:
      value: the value.

    Returns:
      The schedule.
    """
    return lambda count: value


def polynomial_schedule(
    init_value: Any, end_value: Any, power: Any, transition_steps: int, transition_begin: int = 0
) -> base.Schedule:
    """`(init - end)·(1 - t/T)^power + end` for `t` from `transition_begin` over `transition_steps`.

    Args:
      init_value: the value before the transition.
      end_value: the value after it.
      power: the polynomial's power.
      transition_steps: the transition's length `T` (non-positive: constant `init_value`).
      transition_begin: the step at which the transition starts (negative: 0).

    Returns:
      The schedule.

    Example:
      >>> import jaxnc_optax as optax
      >>> float(optax.polynomial_schedule(1.0, 0.0, 2, 10)(5))
      0.25
    """
    if transition_steps <= 0:
        return lambda count: init_value
    transition_begin = max(transition_begin, 0)

    def schedule(count):
        count = jnp.clip(count - transition_begin, 0, transition_steps)
        frac = 1 - count / transition_steps
        return (init_value - end_value) * (frac**power) + end_value

    return schedule


def linear_schedule(init_value: Any, end_value: Any, transition_steps: int, transition_begin: int = 0) -> base.Schedule:
    """Linear interpolation from `init_value` to `end_value` (`polynomial_schedule` with power 1).

    Args:
      init_value: the value before the transition.
      end_value: the value after it.
      transition_steps: the transition's length.
      transition_begin: the step at which the transition starts.

    Returns:
      The schedule.
    """
    return polynomial_schedule(init_value, end_value, 1, transition_steps, transition_begin)


def piecewise_constant_schedule(
    init_value: Any, boundaries_and_scales: dict[int, float] | None = None
) -> base.Schedule:
    """`init_value`, multiplied by `scale` from each boundary step on.

    Args:
      init_value: the starting value.
      boundaries_and_scales: step -> non-negative factor.

    Returns:
      The schedule.
    """
    if boundaries_and_scales is not None and not all(s >= 0.0 for s in boundaries_and_scales.values()):
        raise ValueError(f"piecewise_constant_schedule expects non-negative scales, got {boundaries_and_scales}.")

    def schedule(count):
        v = init_value
        for threshold, scale in sorted((boundaries_and_scales or {}).items()):
            indicator = jnp.maximum(0.0, jnp.sign(threshold - count))
            v = v * indicator + (1 - indicator) * scale * v
        return v

    return schedule


def exponential_decay(
    init_value: Any,
    transition_steps: int,
    decay_rate: float,
    transition_begin: int = 0,
    staircase: bool = False,
    end_value: Any | None = None,
) -> base.Schedule:
    """`init_value · decay_rate^((t - begin) / transition_steps)`, optionally stepwise and bounded.

    Args:
      init_value: the starting value.
      transition_steps: the steps per factor of `decay_rate` (non-positive: constant).
      decay_rate: the factor (0: constant; above 1: growth).
      transition_begin: the step at which decay starts (negative: 0).
      staircase: decay in whole steps of `transition_steps`.
      end_value: a floor (for decay) or ceiling (for growth).

    Returns:
      The schedule.
    """
    if transition_steps <= 0 or decay_rate == 0:
        return lambda count: init_value
    transition_begin = max(transition_begin, 0)
    clip_fn = jnp.maximum if decay_rate < 1.0 else jnp.minimum

    def schedule(count):
        decreased_count = count - transition_begin
        p = decreased_count / transition_steps
        if staircase:
            p = jnp.floor(p)
        decayed_value = jnp.where(decreased_count <= 0, init_value, init_value * jnp.power(decay_rate, p))
        if end_value is not None:
            decayed_value = clip_fn(decayed_value, end_value)
        return decayed_value

    return schedule


def cosine_decay_schedule(init_value: Any, decay_steps: int, alpha: Any = 0.0, exponent: Any = 1.0) -> base.Schedule:
    """Cosine decay from `init_value` to `alpha · init_value` over `decay_steps`.

    Args:
      init_value: the starting value.
      decay_steps: the decay's length (positive).
      alpha: the final value as a fraction of `init_value`.
      exponent: the power of the cosine factor.

    Returns:
      The schedule.
    """
    if not decay_steps > 0:
        raise ValueError(f"cosine_decay_schedule requires positive decay_steps, got decay_steps={decay_steps!r}.")
    decay_steps = float(decay_steps)

    def schedule(count):
        count = jnp.minimum(float(count) if isinstance(count, int) else count, decay_steps)
        cosine_decay = 0.5 * (1 + jnp.cos(math.pi * count / decay_steps))
        decayed = (1 - alpha) * cosine_decay**exponent + alpha
        return init_value * decayed

    return schedule


def _linear_interpolate(start: Any, end: Any, pct: Any) -> Any:
    return (end - start) * pct + start


def _cosine_interpolate(start: Any, end: Any, pct: Any) -> Any:
    return end + (start - end) / 2.0 * (jnp.cos(math.pi * pct) + 1)


def piecewise_interpolate_schedule(
    interpolate_type: str, init_value: Any, boundaries_and_scales: dict[int, float] | None = None
) -> base.Schedule:
    """Interpolate (linearly or by cosine) between values that change by `scale` at each boundary.

    Args:
      interpolate_type: `"linear"` or `"cosine"`.
      init_value: the value at step 0.
      boundaries_and_scales: step -> non-negative factor reached at that step.

    Returns:
      The schedule.
    """
    interpolators = {"linear": _linear_interpolate, "cosine": _cosine_interpolate}
    if interpolate_type not in interpolators:
        raise ValueError(f"interpolate_type must be 'cosine' or 'linear', got {interpolate_type!r}.")
    interpolate_fn = interpolators[interpolate_type]
    if boundaries_and_scales:
        boundaries, scales = zip(*sorted(boundaries_and_scales.items()), strict=True)
        if not all(scale >= 0.0 for scale in scales):
            raise ValueError(
                f"piecewise_interpolate_schedule expects non-negative scales, got {boundaries_and_scales}."
            )
    else:
        boundaries, scales = (), ()

    def schedule(count):
        bounds = jnp.stack([jnp.asarray(b) for b in (0, *boundaries)])
        values = jnp.cumprod(jnp.stack([jnp.asarray(v) for v in (init_value, *scales)]))
        interval_sizes = jnp.maximum(bounds[1:] - bounds[:-1], 1)
        indicator = jnp.logical_and(bounds[:-1] <= count, count < bounds[1:])
        pct = (count - bounds[:-1]) / interval_sizes
        interp_vals = interpolate_fn(values[:-1], values[1:], pct)
        return jnp.sum(indicator * interp_vals) + (bounds[-1] <= count) * values[-1]

    return schedule


def linear_onecycle_schedule(
    transition_steps: int,
    peak_value: Any,
    pct_start: float = 0.3,
    pct_final: float = 0.85,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
) -> base.Schedule:
    """The one-cycle policy with linear pieces: up to `peak_value`, back down, then to almost zero.

    Args:
      transition_steps: the cycle's length.
      peak_value: the largest value.
      pct_start: the fraction of the cycle spent increasing.
      pct_final: the fraction at which the value is back at the start.
      div_factor: the start is `peak_value / div_factor`.
      final_div_factor: the end is the start divided by this.

    Returns:
      The schedule.
    """
    if transition_steps <= 0:
        raise ValueError(f"linear_onecycle_schedule needs positive transition_steps, got {transition_steps}.")
    return piecewise_interpolate_schedule(
        "linear",
        peak_value / div_factor,
        {
            int(pct_start * transition_steps): div_factor,
            int(pct_final * transition_steps): 1.0 / div_factor,
            transition_steps: 1.0 / final_div_factor,
        },
    )


def cosine_onecycle_schedule(
    transition_steps: int,
    peak_value: Any,
    pct_start: float = 0.3,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
) -> base.Schedule:
    """The one-cycle policy with cosine pieces: up to `peak_value`, then down to almost zero.

    Args:
      transition_steps: the cycle's length.
      peak_value: the largest value.
      pct_start: the fraction of the cycle spent increasing.
      div_factor: the start is `peak_value / div_factor`.
      final_div_factor: the end is the start divided by this.

    Returns:
      The schedule.
    """
    if transition_steps <= 0:
        raise ValueError(f"cosine_onecycle_schedule needs positive transition_steps, got {transition_steps}.")
    return piecewise_interpolate_schedule(
        "cosine",
        peak_value / div_factor,
        {int(pct_start * transition_steps): div_factor, int(transition_steps): 1.0 / (div_factor * final_div_factor)},
    )


def join_schedules(schedules: Sequence[base.Schedule], boundaries: Sequence[int]) -> base.Schedule:
    """Run `schedules[i]` from `boundaries[i-1]` on, each restarted at its boundary.

    Args:
      schedules: the schedules, in order.
      boundaries: the steps at which the next schedule takes over (one fewer than `schedules`).

    Returns:
      The schedule.
    """
    if len(boundaries) != len(schedules) - 1:
        raise ValueError(
            f"join_schedules needs one boundary fewer than schedules, got {len(schedules)} schedules "
            f"and {len(boundaries)} boundaries."
        )

    def schedule(step):
        output = schedules[0](step)
        for boundary, next_schedule in zip(boundaries, schedules[1:], strict=True):
            output = jnp.where(step < boundary, output, next_schedule(step - boundary))
        return output

    return schedule


def warmup_constant_schedule(init_value: Any, peak_value: Any, warmup_steps: int) -> base.Schedule:
    """Linear warmup to `peak_value`, then constant.

    Args:
      init_value: the starting value.
      peak_value: the value after the warmup.
      warmup_steps: the warmup's length.

    Returns:
      The schedule.
    """
    return linear_schedule(init_value=init_value, end_value=peak_value, transition_steps=warmup_steps)


def warmup_cosine_decay_schedule(
    init_value: Any, peak_value: Any, warmup_steps: int, decay_steps: int, end_value: Any = 0.0, exponent: Any = 1.0
) -> base.Schedule:
    """Linear warmup to `peak_value`, then cosine decay to `end_value` at step `decay_steps`.

    Args:
      init_value: the starting value.
      peak_value: the value at the end of the warmup.
      warmup_steps: the warmup's length.
      decay_steps: the total length, warmup included.
      end_value: the final value.
      exponent: the power of the cosine factor.

    Returns:
      The schedule.
    """
    alpha = 0.0 if peak_value == 0.0 else end_value / peak_value
    return join_schedules(
        [
            linear_schedule(init_value=init_value, end_value=peak_value, transition_steps=warmup_steps),
            cosine_decay_schedule(
                init_value=peak_value, decay_steps=decay_steps - warmup_steps, alpha=alpha, exponent=exponent
            ),
        ],
        [warmup_steps],
    )


def warmup_exponential_decay_schedule(
    init_value: Any,
    peak_value: Any,
    warmup_steps: int,
    transition_steps: int,
    decay_rate: Any,
    transition_begin: int = 0,
    staircase: bool = False,
    end_value: Any | None = None,
) -> base.Schedule:
    """Linear warmup to `peak_value`, then `exponential_decay`.

    Args:
      init_value: the starting value.
      peak_value: the value at the end of the warmup.
      warmup_steps: the warmup's length.
      transition_steps: the decay's steps per factor.
      decay_rate: the decay factor.
      transition_begin: the decay's delay after the warmup.
      staircase: decay in whole steps.
      end_value: the decay's floor.

    Returns:
      The schedule.
    """
    return join_schedules(
        [
            linear_schedule(init_value=init_value, end_value=peak_value, transition_steps=warmup_steps),
            exponential_decay(
                init_value=peak_value,
                transition_steps=transition_steps,
                decay_rate=decay_rate,
                transition_begin=transition_begin,
                staircase=staircase,
                end_value=end_value,
            ),
        ],
        [warmup_steps],
    )


def sgdr_schedule(cosine_kwargs: Iterable[dict[str, Any]]) -> base.Schedule:
    """SGDR: warm restarts, a `warmup_cosine_decay_schedule` per cycle.

    Args:
      cosine_kwargs: one dict of `warmup_cosine_decay_schedule` arguments per cycle.

    Returns:
      The schedule.
    """
    boundaries, schedules, step = [], [], 0
    for kwargs in cosine_kwargs:
        schedules.append(warmup_cosine_decay_schedule(**kwargs))
        step += kwargs["decay_steps"]
        boundaries.append(step)
    return join_schedules(schedules, boundaries[:-1])
