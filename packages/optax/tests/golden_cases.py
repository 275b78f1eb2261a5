"""The differential scenarios shared by the golden generator and the tests: one row per optimizer.

Each row builds a transformation from an optax-like module `o` (real `optax` or `jaxnc_optax`),
so `tools/make_optax_golden.py` and `tests/test_golden.py` run exactly the same code on both.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

STEPS = 60
# NB: "1e-4 relative" is relative to the scale of the parameters at that step (max |p|), not to each
# element: an element crossing zero has no meaningful elementwise relative error.
GOLDEN_RTOL = 1e-4


class Row(NamedTuple):
    """One optimizer scenario: how to build it and how to drive it."""

    make: Callable[[Any], Any]
    nan_steps: tuple[int, ...] = ()  # steps whose gradient is multiplied by NaN
    pass_value: bool = False  # update(..., value=loss) for transforms that need the loss


def _half(o: Any) -> dict:
    return {"w": "adam", "b": "sgd"}


# NB: hyperparameters are chosen so that the float32 dynamics stay contractive. Scale-invariant rules
# (RMSProp with a tiny eps, Adafactor with a large step, ...) divide float32 rounding noise of
# near-zero gradients by its own magnitude and turn it into chaos: two correct implementations whose
# matmuls sum in different orders then drift apart exponentially (seen here: 1e-7 -> 1e-1 in 15 steps).
ROWS: dict[str, Row] = {
    # -- aliases (issue 7 list, then the extra ones optax ships) --------------------------
    "sgd": Row(lambda o: o.sgd(0.05)),
    "sgd_momentum": Row(lambda o: o.sgd(0.05, momentum=0.9)),
    "sgd_nesterov": Row(lambda o: o.sgd(0.05, momentum=0.9, nesterov=True)),
    "adam": Row(lambda o: o.adam(0.05)),
    "adam_nesterov_eps_root": Row(lambda o: o.adam(0.05, eps_root=1e-8, nesterov=True)),
    "adamw": Row(lambda o: o.adamw(0.05, weight_decay=0.1)),
    "adamw_masked": Row(lambda o: o.adamw(0.05, weight_decay=0.1, mask={"w": True, "b": False})),
    "nadam": Row(lambda o: o.nadam(0.05)),
    "nadamw": Row(lambda o: o.nadamw(0.05, weight_decay=0.1)),
    "adamax": Row(lambda o: o.adamax(0.05)),
    "adamaxw": Row(lambda o: o.adamaxw(0.05, weight_decay=0.1)),
    "amsgrad": Row(lambda o: o.amsgrad(0.05)),
    "radam": Row(lambda o: o.radam(0.05)),
    "rmsprop": Row(lambda o: o.rmsprop(0.01)),
    # NB: eps=1e-3: with the default 1e-8 this row was on the edge of chaos (optax 0.2.8 itself on two
    # machines differed by 6e-5 of max |p| at step 60, most of the 1e-4 budget); with 1e-3, ~4e-7.
    "rmsprop_centered_momentum": Row(lambda o: o.rmsprop(0.01, eps=1e-3, centered=True, momentum=0.5, nesterov=True)),
    "rmsprop_bias_correction": Row(lambda o: o.rmsprop(0.01, eps=0.1, bias_correction=True, eps_in_sqrt=False)),
    "adagrad": Row(lambda o: o.adagrad(0.1)),
    "adadelta": Row(lambda o: o.adadelta(1.0, weight_decay=0.01)),
    "adafactor": Row(lambda o: o.adafactor(0.02)),
    "adafactor_factored": Row(
        lambda o: o.adafactor(0.05, min_dim_size_to_factor=2, momentum=0.9, weight_decay_rate=0.01)
    ),
    "adabelief": Row(lambda o: o.adabelief(0.05)),
    "adan": Row(lambda o: o.adan(0.05, weight_decay=0.01)),
    "lamb": Row(lambda o: o.lamb(0.05, weight_decay=0.01)),
    "lars": Row(lambda o: o.lars(1.0, weight_decay=0.01)),
    "lion": Row(lambda o: o.lion(0.01)),
    "novograd": Row(lambda o: o.novograd(0.05, weight_decay=0.01)),
    "yogi": Row(lambda o: o.yogi(0.05)),
    "sm3": Row(lambda o: o.sm3(0.1)),
    "noisy_sgd": Row(lambda o: o.noisy_sgd(0.05, key=0)),
    "fromage": Row(lambda o: o.fromage(0.05)),
    "fromage_schedule": Row(lambda o: o.fromage(o.linear_schedule(0.05, 0.01, 40))),
    "rprop": Row(lambda o: o.rprop(0.01)),
    "sign_sgd": Row(lambda o: o.sign_sgd(0.01)),
    "signum": Row(lambda o: o.signum(0.01)),
    "optimistic_gradient_descent": Row(lambda o: o.optimistic_gradient_descent(0.05)),
    "polyak_sgd": Row(lambda o: o.polyak_sgd(max_learning_rate=0.5), pass_value=True),
    "optimistic_adam_v2": Row(lambda o: o.optimistic_adam_v2(0.05)),
    # -- the acceptance chain --------------------------------------------------------------
    "clip_adam": Row(lambda o: o.chain(o.clip_by_global_norm(1.0), o.adam(o.cosine_decay_schedule(0.1, 60)))),
    # -- single transforms, each made a descent by a final negative scale -----------------
    "clip_sgd": Row(lambda o: o.chain(o.clip(0.1), o.sgd(0.1))),
    "clip_by_block_rms": Row(lambda o: o.chain(o.clip_by_block_rms(0.1), o.sgd(0.1))),
    "adaptive_grad_clip": Row(lambda o: o.chain(o.adaptive_grad_clip(0.1), o.sgd(0.1))),
    "scale_by_stddev": Row(lambda o: o.chain(o.scale_by_stddev(), o.scale(-0.01))),
    "scale_by_stddev_bias": Row(lambda o: o.chain(o.scale_by_stddev(eps=0.1, bias_correction=True), o.scale(-0.01))),
    "scale_by_rms_initial": Row(lambda o: o.chain(o.scale_by_rms(initial_scale=1.0), o.scale(-0.05))),
    "trace_schedule": Row(
        lambda o: o.chain(o.trace(0.5), o.scale_by_schedule(o.exponential_decay(-0.05, 10, 0.5, staircase=True)))
    ),
    "ema": Row(lambda o: o.chain(o.ema(0.9), o.scale(-0.1))),
    "ema_no_debias": Row(lambda o: o.chain(o.ema(0.9, debias=False), o.scale(-0.1))),
    "trust_ratio": Row(lambda o: o.chain(o.scale_by_trust_ratio(min_norm=1e-3, trust_coefficient=0.1), o.sgd(0.5))),
    "param_block_rms": Row(lambda o: o.chain(o.scale_by_param_block_rms(), o.sgd(0.5))),
    "param_block_norm": Row(lambda o: o.chain(o.scale_by_param_block_norm(), o.sgd(0.2))),
    "decayed_weights_schedule": Row(
        lambda o: o.chain(o.add_decayed_weights(o.linear_schedule(0.1, 0.0, 30)), o.sgd(0.05))
    ),
    "add_noise": Row(lambda o: o.chain(o.add_noise(0.01, 0.55, key=1), o.sgd(0.05))),
    "centralize": Row(lambda o: o.chain(o.centralize(), o.sgd(0.05))),
    "apply_every": Row(lambda o: o.chain(o.apply_every(3), o.sgd(0.05))),
    "keep_params_nonnegative": Row(lambda o: o.chain(o.sgd(0.05), o.keep_params_nonnegative())),
    "normalize_by_update_norm": Row(lambda o: o.chain(o.normalize_by_update_norm(), o.sgd(0.02))),
    "stateless": Row(lambda o: o.stateless(lambda u, p: o.tree_utils.tree_scale(-0.05, u))),
    "stateless_with_tree_map": Row(lambda o: o.stateless_with_tree_map(lambda u, p: -0.05 * u - 0.01 * p)),
    "scale_by_learning_rate_no_flip": Row(
        lambda o: o.chain(o.scale(-1.0), o.scale_by_learning_rate(0.05, flip_sign=False))
    ),
    # -- combinators ----------------------------------------------------------------------
    "masked": Row(lambda o: o.chain(o.masked(o.scale_by_adam(), {"w": True, "b": False}), o.scale(-0.05))),
    "masked_callable": Row(
        lambda o: o.chain(o.masked(o.scale_by_adam(), lambda p: {k: k == "w" for k in p}), o.scale(-0.05))
    ),
    "multi_transform": Row(lambda o: o.multi_transform({"adam": o.adam(0.05), "sgd": o.sgd(0.1)}, _half(o))),
    "multi_transform_frozen": Row(
        lambda o: o.multi_transform(
            {"trained": o.adam(0.05), "frozen": o.set_to_zero()}, {"w": "trained", "b": "frozen"}
        )
    ),
    "partition_callable": Row(lambda o: o.partition({"adam": o.adam(0.05), "sgd": o.sgd(0.1)}, _half)),
    "named_chain": Row(lambda o: o.named_chain(("clip", o.clip(0.5)), ("adam", o.adam(0.05)))),
    "multi_steps": Row(lambda o: o.MultiSteps(o.adam(0.05), every_k_schedule=3)),
    "multi_steps_sum_skip": Row(
        lambda o: o.MultiSteps(o.sgd(0.02), 2, use_grad_mean=False, should_skip_update_fn=o.skip_not_finite),
        nan_steps=(7, 15),
    ),
    "inject_hyperparams_schedule": Row(
        lambda o: o.inject_hyperparams(o.adam)(learning_rate=o.linear_schedule(0.1, 0.01, 40), b1=0.8)
    ),
    "multi_steps_skip_large": Row(
        lambda o: o.MultiSteps(
            o.sgd(0.05), 2, should_skip_update_fn=functools.partial(o.skip_large_updates, max_squared_norm=1e6)
        ),
        nan_steps=(3, 9),
    ),
    "inject_stateful_hyperparams": Row(
        lambda o: o.inject_stateful_hyperparams(o.rmsprop)(
            learning_rate=o.exponential_decay(0.02, 10, 0.8), decay=0.8, eps=0.01
        )
    ),
    "inject_hyperparams_static": Row(
        lambda o: o.inject_hyperparams(o.sgd, static_args="nesterov")(learning_rate=0.05, momentum=0.9, nesterov=True)
    ),
    "apply_if_finite": Row(lambda o: o.apply_if_finite(o.adam(0.05), 2), nan_steps=(10, 20, 21)),
    "zero_nans": Row(lambda o: o.chain(o.zero_nans(), o.adam(0.05)), nan_steps=(5,)),
    "conditionally_mask": Row(
        lambda o: o.chain(o.conditionally_mask(o.scale_by_adam(), lambda step: step % 3 != 1), o.scale(-0.05))
    ),
    "conditionally_transform": Row(
        lambda o: o.chain(o.conditionally_transform(o.scale_by_adam(), lambda step: step >= 5), o.scale(-0.05))
    ),
    "flatten": Row(lambda o: o.flatten(o.adam(0.05))),
    "freeze": Row(lambda o: o.chain(o.freeze({"w": False, "b": True}), o.sgd(0.05))),
    "selective_transform": Row(lambda o: o.selective_transform(o.adam(0.05), freeze_mask={"w": True, "b": False})),
}

# NB: rows whose update draws random numbers; they match optax only if jaxnc.random is bit-equal to jax.random.
RANDOM_ROWS = ("noisy_sgd", "add_noise")


SCHEDULES: dict[str, Callable[[Any], Callable]] = {
    "constant": lambda o: o.constant_schedule(0.3),
    "linear": lambda o: o.linear_schedule(0.1, 0.01, 50, transition_begin=10),
    "polynomial": lambda o: o.polynomial_schedule(1.0, 0.1, 2.5, 70, transition_begin=5),
    "exponential_decay": lambda o: o.exponential_decay(0.5, 15, 0.7, transition_begin=4),
    "exponential_decay_staircase_end": lambda o: o.exponential_decay(0.5, 10, 0.5, staircase=True, end_value=0.05),
    "exponential_growth_end": lambda o: o.exponential_decay(0.01, 10, 1.5, end_value=0.1),
    "cosine_decay": lambda o: o.cosine_decay_schedule(0.1, 80, alpha=0.1),
    "cosine_decay_exponent": lambda o: o.cosine_decay_schedule(0.2, 60, alpha=0.05, exponent=2.0),
    "warmup_cosine_decay": lambda o: o.warmup_cosine_decay_schedule(0.0, 1.0, 10, 90, end_value=0.01),
    "warmup_exponential_decay": lambda o: o.warmup_exponential_decay_schedule(0.0, 0.5, 12, 20, 0.6),
    "warmup_constant": lambda o: o.warmup_constant_schedule(0.0, 0.4, 25),
    "piecewise_constant": lambda o: o.piecewise_constant_schedule(1.0, {10: 0.5, 40: 0.1, 70: 2.0}),
    "piecewise_interpolate_linear": lambda o: o.piecewise_interpolate_schedule("linear", 2.0, {10: 0.5, 50: 0.2}),
    "piecewise_interpolate_cosine": lambda o: o.piecewise_interpolate_schedule("cosine", 2.0, {15: 0.5, 60: 0.1}),
    "join_schedules": lambda o: o.join_schedules(
        [o.constant_schedule(0.1), o.linear_schedule(0.1, 0.5, 30), o.cosine_decay_schedule(0.5, 40)], [20, 60]
    ),
    "linear_onecycle": lambda o: o.linear_onecycle_schedule(100, 0.8),
    "cosine_onecycle": lambda o: o.cosine_onecycle_schedule(90, 0.8, pct_start=0.25),
    "sgdr": lambda o: o.sgdr_schedule(
        [
            {"init_value": 0.0, "peak_value": 1.0, "warmup_steps": 5, "decay_steps": 40},
            {"init_value": 0.1, "peak_value": 0.5, "warmup_steps": 10, "decay_steps": 50, "end_value": 0.01},
        ]
    ),
}

SCHEDULE_STEPS = np.arange(0, 130, dtype=np.int32)


def problem() -> dict[str, np.ndarray]:
    """The fixed least-squares data and initial parameters (float32), the same on every machine."""
    rng = np.random.default_rng(20240607)
    x = rng.normal(size=(16, 5)).astype(np.float32)
    w_true = rng.normal(size=(5, 3)).astype(np.float32)
    y = (x @ w_true + 0.3 + 0.05 * rng.normal(size=(16, 3))).astype(np.float32)
    w0 = (0.1 * rng.normal(size=(5, 3))).astype(np.float32)
    b0 = (0.1 * rng.normal(size=(3,))).astype(np.float32)
    return {"x": x, "y": y, "w0": w0, "b0": b0}


def loss_fn(jnp: Any) -> Callable:
    """Half the mean squared residual of `x @ w + b` against `y`, written against a jnp module."""

    def loss(params, x, y):
        residual = x @ params["w"] + params["b"] - y
        return 0.5 * jnp.mean(jnp.sum(residual * residual, axis=1))

    return loss


def flat(params: dict) -> np.ndarray:
    """The parameters as one float32 vector (b, then w row-major) for storage and comparison."""
    return np.concatenate([np.asarray(params["b"]).ravel(), np.asarray(params["w"]).ravel()]).astype(np.float32)


def run_row(o: Any, jax: Any, row: Row, steps: int = STEPS) -> np.ndarray:
    """Drive one row for `steps` jitted steps; returns the parameters before and after each step."""
    jnp = jax.numpy
    data = problem()
    x, y = jnp.asarray(data["x"]), jnp.asarray(data["y"])
    loss = loss_fn(jnp)
    opt = row.make(o)
    params = {"w": jnp.asarray(data["w0"]), "b": jnp.asarray(data["b0"])}
    state = opt.init(params)

    def step(params, state, poison):
        value, grads = jax.value_and_grad(loss)(params, x, y)
        grads = jax.tree_util.tree_map(lambda g: g * poison, grads)
        extra = {"value": value} if row.pass_value else {}
        updates, state = opt.update(grads, state, params, **extra)
        return o.apply_updates(params, updates), state

    step = jax.jit(step)
    one, nan = np.float32(1.0), np.float32(np.nan)
    trajectory = [flat(params)]
    for i in range(steps):
        params, state = step(params, state, nan if i in row.nan_steps else one)
        trajectory.append(flat(params))
    return np.stack(trajectory)


def loss_inputs() -> dict[str, np.ndarray]:
    """Fixed float32 inputs for the loss table."""
    rng = np.random.default_rng(7)
    logits = rng.normal(size=(6, 5)).astype(np.float32) * 2
    probs = rng.dirichlet(np.ones(5), size=6).astype(np.float32)
    return {
        "pred": rng.normal(size=(6, 5)).astype(np.float32),
        "target": rng.normal(size=(6, 5)).astype(np.float32),
        "logits": logits,
        "probs": probs,
        "probs_with_zero": np.where(probs < 0.1, 0.0, probs).astype(np.float32),
        "int_labels": rng.integers(0, 5, size=(6,)).astype(np.int32),
        "binary": (rng.random(size=(6, 5)) > 0.5).astype(np.float32),
        "signs": np.where(rng.random(size=(6, 5)) > 0.5, 1.0, -1.0).astype(np.float32),
        "where": rng.random(size=(6, 5)) > 0.2,
        "log_probs": np.log(probs),
        "log_probs_reversed": np.log(probs[::-1]).copy(),
    }


LOSSES: dict[str, Callable[[Any, dict], Any]] = {
    "l2_loss": lambda o, d: o.l2_loss(d["pred"], d["target"]),
    "l2_loss_single": lambda o, d: o.l2_loss(d["pred"]),
    "squared_error": lambda o, d: o.squared_error(d["pred"], d["target"]),
    "huber_loss": lambda o, d: o.huber_loss(d["pred"], d["target"], delta=0.7),
    "log_cosh": lambda o, d: o.log_cosh(d["pred"], d["target"]),
    "softmax_cross_entropy": lambda o, d: o.softmax_cross_entropy(d["logits"], d["probs"]),
    "softmax_cross_entropy_where": lambda o, d: o.softmax_cross_entropy(d["logits"], d["probs"], where=d["where"]),
    "softmax_cross_entropy_int": lambda o, d: o.softmax_cross_entropy_with_integer_labels(d["logits"], d["int_labels"]),
    "softmax_cross_entropy_int_axis0": lambda o, d: o.softmax_cross_entropy_with_integer_labels(
        d["logits"].T, d["int_labels"], axis=0
    ),
    "safe_softmax_cross_entropy": lambda o, d: o.safe_softmax_cross_entropy(d["logits"], d["probs_with_zero"]),
    "sigmoid_binary_cross_entropy": lambda o, d: o.sigmoid_binary_cross_entropy(d["logits"], d["binary"]),
    "sigmoid_focal_loss": lambda o, d: o.sigmoid_focal_loss(d["logits"], d["binary"], alpha=0.25),
    "hinge_loss": lambda o, d: o.hinge_loss(d["pred"], d["signs"]),
    "cosine_similarity": lambda o, d: o.cosine_similarity(d["pred"], d["target"]),
    "cosine_distance": lambda o, d: o.cosine_distance(d["pred"], d["target"], epsilon=0.1),
    "kl_divergence": lambda o, d: o.kl_divergence(d["log_probs"], d["probs_with_zero"]),
    "kl_divergence_with_log_targets": lambda o, d: o.losses.kl_divergence_with_log_targets(
        d["log_probs"], d["log_probs_reversed"]
    ),
    "generalized_kl_divergence": lambda o, d: o.generalized_kl_divergence(d["log_probs"], d["probs_with_zero"]),
    "poly_loss_cross_entropy": lambda o, d: o.losses.poly_loss_cross_entropy(d["logits"], d["probs"], epsilon=1.5),
    "smooth_labels": lambda o, d: o.smooth_labels(d["probs"], 0.1),
    "multiclass_hinge_loss": lambda o, d: o.losses.multiclass_hinge_loss(d["logits"], d["int_labels"]),
    "multiclass_perceptron_loss": lambda o, d: o.losses.multiclass_perceptron_loss(d["logits"], d["int_labels"]),
    "perceptron_loss": lambda o, d: o.losses.perceptron_loss(d["pred"], d["signs"]),
}
