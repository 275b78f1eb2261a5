"""Rescaling transformations (`scale`, `scale_by_*`): the per-optimizer update rules that aliases chain."""

from __future__ import annotations

import functools
from typing import Any, Literal, NamedTuple

import numpy as np

import jaxnc.numpy as jnp
from jaxnc import lax, tree_util
from jaxnc_optax._src import base, numerics
from jaxnc_optax._src.numerics import abs_sq
from jaxnc_optax._src.tree_casting import tree_cast, tree_cast_like
from jaxnc_optax._src.tree_math import (
    tree_add_scale,
    tree_bias_correction,
    tree_div,
    tree_full_like,
    tree_mul,
    tree_norm,
    tree_scale,
    tree_sub,
    tree_update_infinity_moment,
    tree_update_moment,
    tree_update_moment_per_elem_norm,
    tree_where,
    tree_zeros_like,
)

ScaleState = base.EmptyState
ScaleByTrustRatioState = base.EmptyState


def _is_none(x: Any) -> bool:
    return x is None


def _reject_complex(params: Any) -> None:
    if any(numerics.is_complex(x) for x in tree_util.tree_leaves(params)):
        raise ValueError("This transformation does not support complex parameters; got a complex leaf.")


def _divide_by_root(mu_hat: Any, nu_hat: Any, eps: Any, eps_root: Any) -> Any:
    # Adam's step direction: m̂ / (sqrt(v̂ + eps_root) + eps), leaf by leaf.
    return tree_util.tree_map(
        lambda m, v: None if m is None else m / (jnp.sqrt(v + eps_root) + eps), mu_hat, nu_hat, is_leaf=_is_none
    )


def _nesterov_mu_hat(mu: Any, updates: Any, b1: Any, count_inc: Any) -> Any:
    # NAdam: b1·m_t/(1-b1^(t+1)) + (1-b1)·g_t/(1-b1^t).
    return tree_util.tree_map(
        lambda m, g: b1 * m + (1 - b1) * g,
        tree_bias_correction(mu, b1, numerics.safe_increment(count_inc)),
        tree_bias_correction(updates, b1, count_inc),
    )


def scale(step_size: Any) -> base.GradientTransformation:
    """Multiply every update by `step_size`.

    Args:
      step_size: the factor.

    Returns:
      A stateless `GradientTransformation`.
    """

    def update_fn(updates, state, params=None):
        del params
        return tree_util.tree_map(lambda g: step_size * g, updates), state

    return base.GradientTransformation(base.init_empty_state, update_fn)


class ScaleByScheduleState(NamedTuple):
    """The step count fed to the schedule."""

    count: Any


def scale_by_schedule(step_size_fn: base.Schedule) -> base.GradientTransformation:
    """Multiply every update by `step_size_fn(step)`.

    Args:
      step_size_fn: a schedule of the step count.

    Returns:
      A `GradientTransformation` with a `ScaleByScheduleState`.
    """

    def init_fn(params):
        del params
        return ScaleByScheduleState(count=jnp.zeros([], jnp.int32))

    def update_fn(updates, state, params=None):
        del params
        step_size = step_size_fn(state.count)
        updates = tree_util.tree_map(lambda g: jnp.array(step_size, dtype=g.dtype) * g, updates)
        return updates, ScaleByScheduleState(count=numerics.safe_increment(state.count))

    return base.GradientTransformation(init_fn, update_fn)


def scale_by_learning_rate(
    learning_rate: base.ScalarOrSchedule | None = None, *, flip_sign: bool = True
) -> base.GradientTransformation:
    """Multiply by the (scheduled) learning rate, negated by default so that updates descend.

    Args:
      learning_rate: a float or a schedule; None gives the identity.
      flip_sign: multiply by `-learning_rate`.

    Returns:
      A `GradientTransformation`.
    """
    if learning_rate is None:
        return base.identity()
    m = -1 if flip_sign else 1
    if callable(learning_rate):
        return scale_by_schedule(lambda count: m * learning_rate(count))
    return scale(m * learning_rate)


class ScaleByRssState(NamedTuple):
    """The running sum of squared gradients."""

    sum_of_squares: base.Updates


def scale_by_rss(initial_accumulator_value: Any = 0.1, eps: Any = 1e-07) -> base.GradientTransformation:
    """Adagrad's rule: divide by the root of the running sum of squared gradients.

    Args:
      initial_accumulator_value: the starting sum.
      eps: added inside the root.

    Returns:
      A `GradientTransformation` with a `ScaleByRssState`.
    """

    def init_fn(params):
        return ScaleByRssState(sum_of_squares=tree_full_like(params, initial_accumulator_value))

    def update_fn(updates, state, params=None):
        del params
        sum_of_squares = tree_util.tree_map(lambda g, t: abs_sq(g) + t, updates, state.sum_of_squares)
        inv_sqrt = tree_util.tree_map(lambda t: jnp.where(t > 0, lax.rsqrt(t + eps), 0.0), sum_of_squares)
        return tree_mul(inv_sqrt, updates), ScaleByRssState(sum_of_squares=sum_of_squares)

    return base.GradientTransformation(init_fn, update_fn)


class ScaleByRmsState(NamedTuple):
    """The moving average of squared gradients."""

    nu: base.Updates


class ScaleByRmsWithCountState(NamedTuple):
    """The step count and the moving average of squared gradients."""

    count: Any
    nu: base.Updates


def _rms_scaling(nu_hat: Any, eps: Any, eps_in_sqrt: bool, mu_hat: Any = None) -> Any:
    # 1/sqrt(v - m² + eps) or 1/(sqrt(v - m²) + eps); m is zero for the uncentered rule.
    def one(n, m=None):
        var = n if m is None else n - abs_sq(m)
        return lax.rsqrt(var + eps) if eps_in_sqrt else 1 / (jnp.sqrt(var) + eps)

    if mu_hat is None:
        return tree_util.tree_map(one, nu_hat)
    return tree_util.tree_map(lambda m, n: one(n, m), mu_hat, nu_hat)


def scale_by_rms(
    decay: Any = 0.9,
    eps: Any = 1e-08,
    initial_scale: Any = 0.0,
    eps_in_sqrt: bool = True,
    bias_correction: bool = False,
) -> base.GradientTransformation:
    """RMSProp's rule: divide by the root of the moving average of squared gradients.

    Args:
      decay: the averaging coefficient.
      eps: the regularizer of the denominator.
      initial_scale: the starting average.
      eps_in_sqrt: put `eps` inside the root.
      bias_correction: bias-correct the average (and keep a step count).

    Returns:
      A `GradientTransformation` with a `ScaleByRmsState` (or `ScaleByRmsWithCountState`).
    """

    def init_fn(params):
        nu = tree_full_like(params, initial_scale)
        if bias_correction:
            return ScaleByRmsWithCountState(count=jnp.zeros([], jnp.int32), nu=nu)
        return ScaleByRmsState(nu=nu)

    def update_fn(updates, state, params=None):
        del params
        nu = tree_update_moment_per_elem_norm(updates, state.nu, decay, 2)
        if bias_correction:
            count_inc = numerics.safe_increment(state.count)
            nu_hat = tree_bias_correction(nu, decay, count_inc)
        else:
            nu_hat = nu
        updates = tree_mul(_rms_scaling(nu_hat, eps, eps_in_sqrt), updates)
        if bias_correction:
            return updates, ScaleByRmsWithCountState(count=count_inc, nu=nu)
        return updates, ScaleByRmsState(nu=nu)

    return base.GradientTransformation(init_fn, update_fn)


class ScaleByRStdDevState(NamedTuple):
    """The moving averages of gradients and squared gradients."""

    mu: base.Updates
    nu: base.Updates


class ScaleByRStdDevWithCountState(NamedTuple):
    """The step count and the moving averages of gradients and squared gradients."""

    count: Any
    mu: base.Updates
    nu: base.Updates


def scale_by_stddev(
    decay: Any = 0.9,
    eps: Any = 1e-08,
    initial_scale: Any = 0.0,
    eps_in_sqrt: bool = True,
    bias_correction: bool = False,
) -> base.GradientTransformation:
    """Centered RMSProp: divide by the root of the moving variance of the gradients.

    Args:
      decay: the averaging coefficient.
      eps: the regularizer of the denominator.
      initial_scale: the starting second moment.
      eps_in_sqrt: put `eps` inside the root.
      bias_correction: bias-correct both moments (and keep a step count).

    Returns:
      A `GradientTransformation` with a `ScaleByRStdDevState` (or `...WithCountState`).
    """

    def init_fn(params):
        mu = tree_zeros_like(params)
        nu = tree_full_like(params, initial_scale)
        if bias_correction:
            return ScaleByRStdDevWithCountState(count=jnp.zeros([], jnp.int32), mu=mu, nu=nu)
        return ScaleByRStdDevState(mu=mu, nu=nu)

    def update_fn(updates, state, params=None):
        del params
        mu = tree_update_moment(updates, state.mu, decay, 1)
        nu = tree_update_moment_per_elem_norm(updates, state.nu, decay, 2)
        if bias_correction:
            count_inc = numerics.safe_increment(state.count)
            mu_hat = tree_bias_correction(mu, decay, count_inc)
            nu_hat = tree_bias_correction(nu, decay, count_inc)
        else:
            mu_hat, nu_hat = mu, nu
        updates = tree_mul(_rms_scaling(nu_hat, eps, eps_in_sqrt, mu_hat=mu_hat), updates)
        if bias_correction:
            return updates, ScaleByRStdDevWithCountState(count=count_inc, mu=mu, nu=nu)
        return updates, ScaleByRStdDevState(mu=mu, nu=nu)

    return base.GradientTransformation(init_fn, update_fn)


class ScaleByAdamState(NamedTuple):
    """The step count and the first and second moments."""

    count: Any
    mu: base.Updates
    nu: base.Updates


def scale_by_adam(
    b1: Any = 0.9,
    b2: Any = 0.999,
    eps: Any = 1e-08,
    eps_root: Any = 0.0,
    mu_dtype: Any | None = None,
    *,
    nesterov: bool = False,
) -> base.GradientTransformation:
    """Adam's rule: bias-corrected first moment over the root of the bias-corrected second moment.

    Args:
      b1: decay of the first moment.
      b2: decay of the second moment.
      eps: added outside the root.
      eps_root: added inside the root.
      mu_dtype: dtype of the first moment; the params' dtype when None.
      nesterov: use Nesterov's momentum (NAdam).

    Returns:
      A `GradientTransformation` with a `ScaleByAdamState`.
    """

    def init_fn(params):
        return ScaleByAdamState(
            count=jnp.zeros([], jnp.int32), mu=tree_zeros_like(params, dtype=mu_dtype), nu=tree_zeros_like(params)
        )

    def update_fn(updates, state, params=None):
        del params
        mu = tree_update_moment(updates, state.mu, b1, 1)
        nu = tree_update_moment_per_elem_norm(updates, state.nu, b2, 2)
        count_inc = numerics.safe_increment(state.count)
        mu_hat = _nesterov_mu_hat(mu, updates, b1, count_inc) if nesterov else tree_bias_correction(mu, b1, count_inc)
        nu_hat = tree_bias_correction(nu, b2, count_inc)
        updates = _divide_by_root(mu_hat, nu_hat, eps, eps_root)
        return updates, ScaleByAdamState(count=count_inc, mu=tree_cast(mu, mu_dtype), nu=tree_cast_like(nu, state.nu))

    return base.GradientTransformation(init_fn, update_fn)


class ScaleByAmsgradState(NamedTuple):
    """The step count, the moments and the running maximum of the second moment."""

    count: Any
    mu: base.Updates
    nu: base.Updates
    nu_max: base.Updates


def scale_by_amsgrad(
    b1: Any = 0.9,
    b2: Any = 0.999,
    eps: Any = 1e-08,
    eps_root: Any = 0.0,
    mu_dtype: Any | None = None,
    bias_correction_mu: bool = True,
    bias_correction_nu: bool = True,
) -> base.GradientTransformation:
    """AMSGrad: Adam with the running maximum of the second moment in the denominator.

    Args:
      b1: decay of the first moment.
      b2: decay of the second moment.
      eps: added outside the root.
      eps_root: added inside the root.
      mu_dtype: dtype of the first moment; the params' dtype when None.
      bias_correction_mu: bias-correct the first moment.
      bias_correction_nu: bias-correct the second moment before the maximum.

    Returns:
      A `GradientTransformation` with a `ScaleByAmsgradState`.
    """

    def init_fn(params):
        return ScaleByAmsgradState(
            count=jnp.zeros([], jnp.int32),
            mu=tree_zeros_like(params, dtype=mu_dtype),
            nu=tree_zeros_like(params),
            nu_max=tree_zeros_like(params),
        )

    def update_fn(updates, state, params=None):
        del params
        mu = tree_update_moment(updates, state.mu, b1, 1)
        nu = tree_update_moment_per_elem_norm(updates, state.nu, b2, 2)
        count_inc = numerics.safe_increment(state.count)
        mu_hat = tree_bias_correction(mu, b1, count_inc) if bias_correction_mu else mu
        nu_eff = tree_bias_correction(nu, b2, count_inc) if bias_correction_nu else nu
        nu_max = tree_util.tree_map(jnp.maximum, state.nu_max, nu_eff)
        updates = _divide_by_root(mu_hat, nu_max, eps, eps_root)
        return updates, ScaleByAmsgradState(count=count_inc, mu=tree_cast(mu, mu_dtype), nu=nu, nu_max=nu_max)

    return base.GradientTransformation(init_fn, update_fn)


def scale_by_adamax(b1: Any = 0.9, b2: Any = 0.999, eps: Any = 1e-08) -> base.GradientTransformation:
    """Adamax: Adam with the infinity norm in place of the second moment.

    Args:
      b1: decay of the first moment.
      b2: decay of the infinity norm.
      eps: added to `|g|`.

    Returns:
      A `GradientTransformation` with a `ScaleByAdamState`.
    """

    def init_fn(params):
        return ScaleByAdamState(count=jnp.zeros([], jnp.int32), mu=tree_zeros_like(params), nu=tree_zeros_like(params))

    def update_fn(updates, state, params=None):
        del params
        count_inc = numerics.safe_increment(state.count)
        mu = tree_update_moment(updates, state.mu, b1, 1)
        nu = tree_update_infinity_moment(updates, state.nu, b2, eps)
        updates = tree_div(tree_bias_correction(mu, b1, count_inc), nu)
        return updates, ScaleByAdamState(count=count_inc, mu=mu, nu=nu)

    return base.GradientTransformation(init_fn, update_fn)


class ScaleByLionState(NamedTuple):
    """The step count and the momentum."""

    count: Any
    mu: base.Updates


def scale_by_lion(
    b1: Any = 0.9,
    b2: Any = 0.99,
    mu_dtype: Any | None = None,
    *,
    mode: Literal["hard", "smooth", "refined"] = "hard",
    smooth_beta: float = 1.0,
) -> base.GradientTransformation:
    """Lion: the sign of an interpolation of the gradient and the momentum.

    Args:
      b1: interpolation weight of the momentum in the emitted direction.
      b2: decay of the momentum.
      mu_dtype: dtype of the momentum; the params' dtype when None.
      mode: `"hard"` (sign), `"smooth"` (tanh) or `"refined"` (identity inside [-1, 1]).
      smooth_beta: the tanh slope for `"smooth"`.

    Returns:
      A `GradientTransformation` with a `ScaleByLionState`.
    """
    if mode not in ("hard", "smooth", "refined"):
        raise ValueError(f"Unknown lion mode {mode!r}; expected 'hard', 'smooth' or 'refined'.")

    def init_fn(params):
        return ScaleByLionState(count=jnp.zeros([], jnp.int32), mu=tree_zeros_like(params, dtype=mu_dtype))

    def update_fn(updates, state, params=None):
        del params

        def direction(g, m):
            x = (1.0 - b1) * g + b1 * m
            if mode == "hard":
                return jnp.sign(x)
            if mode == "smooth":
                return jnp.tanh(smooth_beta * x)
            return jnp.where(jnp.abs(x) < 1.0, x, jnp.sign(x))

        new_updates = tree_util.tree_map(direction, updates, state.mu)
        mu = tree_cast(tree_update_moment(updates, state.mu, b2, 1), mu_dtype)
        return new_updates, ScaleByLionState(count=numerics.safe_increment(state.count), mu=mu)

    return base.GradientTransformation(init_fn, update_fn)


def scale_by_param_block_norm(min_scale: Any = 0.001) -> base.GradientTransformation:
    """Multiply each leaf's updates by its parameter's norm (at least `min_scale`).

    Args:
      min_scale: the smallest factor.

    Returns:
      A stateless `GradientTransformation` (needs `params`).
    """

    def update_fn(updates, state, params):
        if params is None:
            raise ValueError(base.NO_PARAMS_MSG)
        updates = tree_util.tree_map(lambda u, p: u * numerics.safe_norm(p, min_scale), updates, params)
        return updates, state

    return base.GradientTransformation(base.init_empty_state, update_fn)


def scale_by_param_block_rms(min_scale: Any = 0.001) -> base.GradientTransformation:
    """Multiply each leaf's updates by its parameter's RMS (at least `min_scale`).

    Args:
      min_scale: the smallest factor.

    Returns:
      A stateless `GradientTransformation` (needs `params`).
    """

    def update_fn(updates, state, params):
        if params is None:
            raise ValueError(base.NO_PARAMS_MSG)
        updates = tree_util.tree_map(lambda u, p: u * numerics.safe_root_mean_squares(p, min_scale), updates, params)
        return updates, state

    return base.GradientTransformation(base.init_empty_state, update_fn)


class ScaleByAdaDeltaState(NamedTuple):
    """Moving averages of squared gradients and of squared updates."""

    e_g: base.Updates
    e_x: base.Updates


def scale_by_adadelta(rho: Any = 0.9, eps: Any = 1e-06) -> base.GradientTransformation:
    """Adadelta: scale by the ratio of the RMS of past updates to the RMS of gradients.

    Args:
      rho: the averaging coefficient.
      eps: added inside both roots.

    Returns:
      A `GradientTransformation` with a `ScaleByAdaDeltaState`.
    """

    def init_fn(params):
        return ScaleByAdaDeltaState(e_g=tree_zeros_like(params), e_x=tree_zeros_like(params))

    def update_fn(updates, state, params=None):
        del params
        e_g = tree_update_moment(updates, state.e_g, rho, 2)
        updates = tree_util.tree_map(
            lambda g, cur_e_g, prev_e_x: jnp.sqrt(prev_e_x + eps) / jnp.sqrt(cur_e_g + eps) * g,
            updates,
            e_g,
            state.e_x,
        )
        e_x = tree_update_moment(updates, state.e_x, rho, 2)
        return updates, ScaleByAdaDeltaState(e_g=e_g, e_x=e_x)

    return base.GradientTransformation(init_fn, update_fn)


class ScaleByAdanState(NamedTuple):
    """Adan's moments of gradients, gradient differences and squares, the last gradient and the step count."""

    m: base.Updates
    v: base.Updates
    n: base.Updates
    g: base.Updates
    t: Any


def scale_by_adan(
    b1: Any = 0.98, b2: Any = 0.92, b3: Any = 0.99, eps: Any = 1e-08, eps_root: Any = 0.0
) -> base.GradientTransformation:
    """Adan: Nesterov-style adaptive moments of gradients and their differences.

    Args:
      b1: decay of the gradient moment.
      b2: decay of the gradient-difference moment.
      b3: decay of the squared moment.
      eps: added outside the root.
      eps_root: added inside the root.

    Returns:
      A `GradientTransformation` with a `ScaleByAdanState`.
    """

    def init_fn(params):
        zeros = tree_zeros_like(params)
        return ScaleByAdanState(m=zeros, v=zeros, n=zeros, g=zeros, t=jnp.zeros([], jnp.int32))

    def update_fn(updates, state, params=None):
        del params
        g = updates
        diff = tree_where(state.t == 0, tree_zeros_like(g), tree_sub(g, state.g))
        m = tree_update_moment(g, state.m, b1, 1)
        v = tree_update_moment(diff, state.v, b2, 1)
        n = tree_update_moment_per_elem_norm(tree_add_scale(g, 1 - b2, diff), state.n, b3, 2)
        t = numerics.safe_increment(state.t)
        m_hat = tree_bias_correction(m, b1, t)
        v_hat = tree_bias_correction(v, b2, t)
        n_hat = tree_bias_correction(n, b3, t)
        u = tree_add_scale(m_hat, 1 - b2, v_hat)
        denom = tree_util.tree_map(lambda x: jnp.sqrt(x + eps_root) + eps, n_hat)
        return tree_div(u, denom), ScaleByAdanState(m=m, v=v, n=n, g=g, t=t)

    return base.GradientTransformation(init_fn, update_fn)


class ScaleByBeliefState(NamedTuple):
    """The step count, the gradient moment and the moment of the prediction error."""

    count: Any
    mu: base.Updates
    nu: base.Updates


def scale_by_belief(
    b1: Any = 0.9, b2: Any = 0.999, eps: Any = 1e-16, eps_root: Any = 1e-16, *, nesterov: bool = False
) -> base.GradientTransformation:
    """AdaBelief: Adam whose second moment tracks `(g - m)²`, the belief in the gradient.

    Args:
      b1: decay of the first moment.
      b2: decay of the belief moment.
      eps: added outside the root.
      eps_root: added to the belief moment.
      nesterov: use Nesterov's momentum.

    Returns:
      A `GradientTransformation` with a `ScaleByBeliefState`.
    """

    def init_fn(params):
        return ScaleByBeliefState(
            count=jnp.zeros([], jnp.int32), mu=tree_zeros_like(params), nu=tree_zeros_like(params)
        )

    def update_fn(updates, state, params=None):
        del params
        mu = tree_update_moment(updates, state.mu, b1, 1)
        prediction_error = tree_sub(updates, mu)
        nu = tree_update_moment_per_elem_norm(prediction_error, state.nu, b2, 2)
        nu = tree_util.tree_map(lambda v: v + eps_root, nu)
        count_inc = numerics.safe_increment(state.count)
        mu_hat = _nesterov_mu_hat(mu, updates, b1, count_inc) if nesterov else tree_bias_correction(mu, b1, count_inc)
        nu_hat = tree_bias_correction(nu, b2, count_inc)
        updates = _divide_by_root(mu_hat, nu_hat, eps, 0.0)
        return updates, ScaleByBeliefState(count=count_inc, mu=mu, nu=nu)

    return base.GradientTransformation(init_fn, update_fn)


def scale_by_yogi(
    b1: Any = 0.9, b2: Any = 0.999, eps: Any = 0.001, eps_root: Any = 0.0, initial_accumulator_value: Any = 1e-06
) -> base.GradientTransformation:
    """Yogi: Adam whose second moment moves additively, by `sign(v - g²)·g²`.

    Args:
      b1: decay of the first moment.
      b2: rate of the second moment.
      eps: added outside the root.
      eps_root: added inside the root.
      initial_accumulator_value: the starting value of both moments.

    Returns:
      A `GradientTransformation` with a `ScaleByAdamState`.
    """

    def init_fn(params):
        return ScaleByAdamState(
            count=jnp.zeros([], jnp.int32),
            mu=tree_full_like(params, initial_accumulator_value),
            nu=tree_full_like(params, initial_accumulator_value),
        )

    def update_fn(updates, state, params=None):
        del params
        mu = tree_update_moment(updates, state.mu, b1, 1)
        nu = tree_util.tree_map(lambda g, v: v - (1 - b2) * jnp.sign(v - abs_sq(g)) * abs_sq(g), updates, state.nu)
        count_inc = numerics.safe_increment(state.count)
        mu_hat = tree_bias_correction(mu, b1, count_inc)
        nu_hat = tree_bias_correction(nu, b2, count_inc)
        updates = _divide_by_root(mu_hat, nu_hat, eps, eps_root)
        return updates, ScaleByAdamState(count=count_inc, mu=mu, nu=nu)

    return base.GradientTransformation(init_fn, update_fn)


def scale_by_radam(
    b1: Any = 0.9,
    b2: Any = 0.999,
    eps: Any = 1e-08,
    eps_root: Any = 0.0,
    threshold: Any = 5.0,
    *,
    nesterov: bool = False,
) -> base.GradientTransformation:
    """RAdam: Adam with the variance of the adaptive rate rectified; momentum SGD while it is too large.

    Args:
      b1: decay of the first moment.
      b2: decay of the second moment.
      eps: added outside the root.
      eps_root: added inside the root.
      threshold: the length of the approximated SMA above which the adaptive step is used.
      nesterov: use Nesterov's momentum.

    Returns:
      A `GradientTransformation` with a `ScaleByAdamState`.
    """
    ro_inf = 2.0 / (1.0 - b2) - 1.0

    def init_fn(params):
        return ScaleByAdamState(count=jnp.zeros([], jnp.int32), mu=tree_zeros_like(params), nu=tree_zeros_like(params))

    def update_fn(updates, state, params=None):
        del params
        mu = tree_update_moment(updates, state.mu, b1, 1)
        nu = tree_update_moment_per_elem_norm(updates, state.nu, b2, 2)
        count_inc = numerics.safe_increment(state.count)
        b2t = b2**count_inc
        ro = ro_inf - 2 * count_inc * b2t / (1 - b2t)
        mu_hat = _nesterov_mu_hat(mu, updates, b1, count_inc) if nesterov else tree_bias_correction(mu, b1, count_inc)
        nu_hat = tree_bias_correction(nu, b2, count_inc)
        r = jnp.sqrt((ro - 4.0) * (ro - 2.0) * ro_inf / ((ro_inf - 4.0) * (ro_inf - 2.0) * ro))
        rectified = tree_util.tree_map(
            lambda m, v: r.astype(m.dtype) * m / (jnp.sqrt(v + eps_root) + eps), mu_hat, nu_hat
        )
        updates = tree_util.tree_map(lambda t, f: jnp.where(ro >= threshold, t, f), rectified, mu_hat)
        return updates, ScaleByAdamState(count=count_inc, mu=mu, nu=nu)

    return base.GradientTransformation(init_fn, update_fn)


class ScaleByRpropState(NamedTuple):
    """Per-element step sizes and the previous updates."""

    step_sizes: base.Updates
    prev_updates: base.Updates


def scale_by_rprop(
    learning_rate: Any, eta_minus: Any = 0.5, eta_plus: Any = 1.2, min_step_size: Any = 1e-06, max_step_size: Any = 50.0
) -> base.GradientTransformation:
    """Rprop: per-element step sizes that grow while the gradient keeps its sign and shrink when it flips.

    Args:
      learning_rate: the initial step size.
      eta_minus: the shrink factor.
      eta_plus: the growth factor.
      min_step_size: the smallest step size.
      max_step_size: the largest step size.

    Returns:
      A `GradientTransformation` with a `ScaleByRpropState`.
    """

    def init_fn(params):
        return ScaleByRpropState(tree_full_like(params, learning_rate), tree_zeros_like(params))

    def update_fn(updates, state, params=None):
        del params
        sign = tree_util.tree_map(lambda g, prev_g: g * prev_g, updates, state.prev_updates)
        step_sizes = tree_util.tree_map(
            lambda s, step_size: jnp.where(
                s == 0,
                step_size,
                jnp.clip(step_size * jnp.where(s > 0, eta_plus, eta_minus), min_step_size, max_step_size),
            ),
            sign,
            state.step_sizes,
        )
        prev_updates = tree_util.tree_map(
            lambda s, g, step_size: jnp.where(s < 0, jnp.zeros_like(g), step_size * jnp.sign(g)),
            sign,
            updates,
            step_sizes,
        )
        updates = tree_util.tree_map(
            lambda s, g, prev_g: jnp.where(s < 0, jnp.zeros_like(prev_g), prev_g),
            sign,
            prev_updates,
            state.prev_updates,
        )
        return updates, ScaleByRpropState(step_sizes, prev_updates)

    return base.GradientTransformation(init_fn, update_fn)


def scale_by_sign() -> base.GradientTransformation:
    """Replace every update by its sign.

    Returns:
      A stateless `GradientTransformation`.
    """

    def update_fn(updates, state, params=None):
        del params
        return tree_util.tree_map(jnp.sign, updates), state

    return base.GradientTransformation(base.init_empty_state, update_fn)


def scale_by_trust_ratio(
    min_norm: Any = 0.0, trust_coefficient: Any = 1.0, eps: Any = 0.0
) -> base.GradientTransformation:
    """LARS/LAMB's layer-wise trust ratio: scale each leaf by `‖param‖ / ‖update‖`.

    Args:
      min_norm: the smallest norm used for either.
      trust_coefficient: a multiplier of the ratio.
      eps: added to the update norm.

    Returns:
      A stateless `GradientTransformation` (needs `params`).
    """

    def update_fn(updates, state, params):
        if params is None:
            raise ValueError(base.NO_PARAMS_MSG)

        def scale_update(update, param):
            param_norm = numerics.safe_norm(param, min_norm)
            update_norm = numerics.safe_norm(update, min_norm)
            trust_ratio = trust_coefficient * param_norm / (update_norm + eps)
            zero_norm = jnp.logical_or(param_norm == 0.0, update_norm == 0.0)
            return update * jnp.where(zero_norm, jnp.array(1.0, dtype=param.dtype), trust_ratio)

        return tree_util.tree_map(scale_update, updates, params), state

    return base.GradientTransformation(base.init_empty_state, update_fn)


class ApplyEvery(NamedTuple):
    """The mini-step count and the accumulated updates."""

    count: Any
    grad_acc: base.Updates


def apply_every(k: Any = 1) -> base.GradientTransformation:
    """Accumulate updates and emit their sum every `k` steps (zeros in between).

    Args:
      k: emit every k-th step.

    Returns:
      A `GradientTransformation` with an `ApplyEvery` state.
    """

    def init_fn(params):
        return ApplyEvery(count=jnp.zeros([], jnp.int32), grad_acc=tree_zeros_like(params))

    def update_fn(updates, state, params=None):
        del params
        c = state.count % k
        acc = c != 0
        grad_acc = tree_util.tree_map(lambda g, ga: acc * ga + g, updates, state.grad_acc)
        emit = c == k - 1
        updates = tree_util.tree_map(lambda ga: emit * ga, grad_acc)
        return updates, ApplyEvery(count=numerics.safe_increment(state.count) % k, grad_acc=grad_acc)

    return base.GradientTransformation(init_fn, update_fn)


def _subtract_mean(g: Any) -> Any:
    if g.ndim > 1:
        return g - g.mean(tuple(range(1, g.ndim)), keepdims=True)
    return g


def centralize() -> base.GradientTransformation:
    """Gradient centralization: subtract from each matrix-like leaf its mean over all but the first axis.

    Returns:
      A stateless `GradientTransformation`.
    """

    def update_fn(updates, state, params=None):
        del params
        return tree_util.tree_map(_subtract_mean, updates), state

    return base.GradientTransformation(base.init_empty_state, update_fn)


class ScaleBySM3State(NamedTuple):
    """Per-axis accumulators and the momentum."""

    mu: base.Updates
    nu: base.Updates


def _axis_accumulator(p: Any, axis: int) -> Any:
    return jnp.zeros((p.shape[axis],), dtype=p.dtype)


def scale_by_sm3(b1: Any = 0.9, b2: Any = 1.0, eps: Any = 1e-08) -> base.GradientTransformation:
    """SM3: memory-efficient Adagrad with one accumulator per axis, combined by minimum.

    Args:
      b1: the momentum decay.
      b2: the accumulator decay (1 sums, as Adagrad).
      eps: added inside the root.

    Returns:
      A `GradientTransformation` with a `ScaleBySM3State`.
    """

    def init_fn(params):
        _reject_complex(params)
        mu = tree_util.tree_map(lambda p: [_axis_accumulator(p, i) for i in range(p.ndim)], params)
        return ScaleBySM3State(mu, tree_zeros_like(params))

    def expanded_shape(shape, axis):
        return [1] * axis + [shape[axis]] + [1] * (len(shape) - axis - 1)

    def new_accum(g, v):
        coeffs = (1.0 - b2 if b2 != 1.0 else 1.0, b2)
        if g.ndim < 2:
            return coeffs[0] * g**2 + coeffs[1] * v[0]
        return coeffs[0] * g**2 + coeffs[1] * functools.reduce(jnp.minimum, v)

    def new_mu(g, i):
        if g.ndim < 2:
            return g
        return jnp.max(g, axis=tuple(a for a in range(g.ndim) if a != i))

    def update_fn(updates, state, params=None):
        del params
        mu = tree_util.tree_map(
            lambda g, v: [jnp.reshape(v[i], expanded_shape(g.shape, i)) for i in range(g.ndim)], updates, state.mu
        )
        accum = tree_util.tree_map(new_accum, updates, mu)
        accum_inv_sqrt = tree_util.tree_map(lambda t: jnp.where(t > 0, lax.rsqrt(t + eps), 0.0), accum)
        up = tree_util.tree_map(lambda g, a: g * a, updates, accum_inv_sqrt)
        nu = tree_update_moment(up, state.nu, b1, 1)
        mu = tree_util.tree_map(lambda g: [new_mu(g, i) for i in range(g.ndim)], accum)
        return nu, ScaleBySM3State(mu=mu, nu=nu)

    return base.GradientTransformation(init_fn, update_fn)


class ScaleByNovogradState(NamedTuple):
    """The step count, the momentum and the per-leaf second moment of the gradient norm."""

    count: Any
    mu: base.Updates
    nu: base.Updates


def scale_by_novograd(
    b1: Any = 0.9,
    b2: Any = 0.25,
    eps: Any = 1e-08,
    eps_root: Any = 0.0,
    weight_decay: Any = 0.0,
    mu_dtype: Any | None = None,
) -> base.GradientTransformation:
    """NovoGrad: layer-wise second moments of the gradient norm, with weight decay in the momentum.

    Args:
      b1: decay of the momentum.
      b2: decay of the per-leaf second moment.
      eps: added outside the root.
      eps_root: added inside the root.
      weight_decay: the decay added to the normalized gradient.
      mu_dtype: dtype of the momentum; the params' dtype when None.

    Returns:
      A `GradientTransformation` with a `ScaleByNovogradState` (needs `params`).
    """

    def init_fn(params):
        nu = tree_util.tree_map(lambda p: jnp.asarray(0.0, dtype=p.dtype), params)
        return ScaleByNovogradState(count=jnp.zeros([], jnp.int32), mu=tree_zeros_like(params, dtype=mu_dtype), nu=nu)

    def nu_addition(grads):
        return numerics.norm(grads) ** 2

    def mu_addition(grads, params, nu):
        return grads / (jnp.sqrt(nu + eps_root) + eps) + weight_decay * params

    def init_nu(grads, nu):
        return tree_util.tree_map(lambda g, n: nu_addition(g).astype(n.dtype), grads, nu)

    def update_nu(grads, nu):
        return tree_update_moment(tree_util.tree_map(nu_addition, grads), nu, b2, 1)

    def init_mu(grads, params, mu, nu):
        del mu
        return tree_util.tree_map(mu_addition, grads, params, nu)

    def update_mu(grads, params, mu, nu):
        updates = tree_util.tree_map(mu_addition, grads, params, nu)
        return tree_util.tree_map(lambda m, u: None if m is None else b1 * m + u, mu, updates, is_leaf=_is_none)

    def update_fn(updates, state, params):
        if params is None:
            raise ValueError(base.NO_PARAMS_MSG)
        count_inc = numerics.safe_increment(state.count)
        nu = lax.cond(count_inc == 1, init_nu, update_nu, updates, state.nu)
        mu = lax.cond(count_inc == 1, init_mu, update_mu, updates, params, state.mu, nu)
        mu = tree_cast(mu, mu_dtype)
        return mu, ScaleByNovogradState(count=count_inc, mu=mu, nu=nu)

    return base.GradientTransformation(init_fn, update_fn)


class ScaleByOptimisticGradientState(NamedTuple):
    """Whether this is the first step, and the previous gradient."""

    is_initial_step: Any
    previous_gradient: base.Updates


def scale_by_optimistic_gradient(alpha: Any = 1.0, beta: Any = 1.0) -> base.GradientTransformation:
    """Optimistic gradient: `(alpha + beta)·g_t - beta·g_{t-1}`.

    Args:
      alpha: the weight of the current gradient.
      beta: the weight of the optimistic correction.

    Returns:
      A `GradientTransformation` with a `ScaleByOptimisticGradientState`.
    """

    def init_fn(params):
        return ScaleByOptimisticGradientState(
            is_initial_step=jnp.array(True), previous_gradient=tree_zeros_like(params)
        )

    def update_fn(updates, state, params=None):
        del params

        def f(grad, prev_grad):
            prev_grad = jnp.where(state.is_initial_step, grad, prev_grad)
            return (alpha + beta) * grad - beta * prev_grad

        new_updates = tree_util.tree_map(f, updates, state.previous_gradient)
        return new_updates, ScaleByOptimisticGradientState(is_initial_step=jnp.array(False), previous_gradient=updates)

    return base.GradientTransformation(init_fn, update_fn)


def scale_by_polyak(
    f_min: Any = 0.0, max_learning_rate: Any = 1.0, eps: Any = 0.0, variant: str = "sps"
) -> base.GradientTransformationExtraArgs:
    """Polyak's step size `(f - f_min) / ‖g‖²`, capped; needs `update(..., value=loss)`.

    Args:
      f_min: a lower bound of the objective.
      max_learning_rate: the cap of the step size.
      eps: added to the squared gradient norm.
      variant: `"sps"` or `"sps+"` (the gap clipped at zero).

    Returns:
      A stateless `GradientTransformationExtraArgs`.
    """
    if variant not in ("sps", "sps+"):
        raise ValueError(f"Invalid Polyak variant {variant!r}; expected 'sps' or 'sps+'.")

    def update_fn(updates, state, params=None, *, value, **extra_args):
        del params, extra_args
        grad_sq_norm = tree_norm(updates, squared=True)
        gap = jnp.asarray(value - f_min).astype(grad_sq_norm.dtype)
        if variant == "sps+":
            gap = jnp.maximum(gap, 0.0)
        step = jnp.where(
            grad_sq_norm + eps <= np.finfo(np.float64).eps,
            jnp.array(0.0),
            jnp.minimum(gap / (grad_sq_norm + eps), max_learning_rate),
        )
        return tree_scale(step, updates), state

    return base.GradientTransformationExtraArgs(base.init_empty_state, update_fn)


def normalize_by_update_norm(scale_factor: Any = 1.0, eps: Any = 1e-06) -> base.GradientTransformation:
    """Divide all updates by their global norm (plus `eps`), times `scale_factor`.

    Args:
      scale_factor: the norm of the result.
      eps: added to the norm.

    Returns:
      A stateless `GradientTransformation`.
    """

    def update_fn(updates, state, params=None):
        del params
        g_norm = (tree_norm(updates) + eps) / scale_factor
        return tree_util.tree_map(lambda g: g / g_norm, updates), state

    return base.GradientTransformation(base.init_empty_state, update_fn)
