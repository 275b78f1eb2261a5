"""Ready-made optimizers (`adam`, `sgd`, ...), each a `chain` of transformations exactly as optax builds it."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from jaxnc_optax._src import base, transform
from jaxnc_optax._src.accumulation import ema, trace
from jaxnc_optax._src.adding import add_decayed_weights, add_noise
from jaxnc_optax._src.clipping import clip_by_block_rms
from jaxnc_optax._src.combining import chain
from jaxnc_optax._src.factorized import scale_by_factored_rms
from jaxnc_optax._src.masking import masked

MaskOrFn = Any | Callable[[base.Params], Any] | None


def adabelief(
    learning_rate: base.ScalarOrSchedule,
    b1: Any = 0.9,
    b2: Any = 0.999,
    eps: Any = 1e-16,
    eps_root: Any = 1e-16,
    *,
    nesterov: bool = False,
) -> base.GradientTransformationExtraArgs:
    """AdaBelief: `scale_by_belief` then the learning rate.

    Args:
      learning_rate: a float or a schedule.
      b1: decay of the first moment.
      b2: decay of the belief moment.
      eps: added outside the root.
      eps_root: added to the belief moment.
      nesterov: use Nesterov's momentum.

    Returns:
      The optimizer.
    """
    return chain(
        transform.scale_by_belief(b1=b1, b2=b2, eps=eps, eps_root=eps_root, nesterov=nesterov),
        transform.scale_by_learning_rate(learning_rate),
    )


def adadelta(
    learning_rate: base.ScalarOrSchedule | None = None,
    rho: Any = 0.9,
    eps: Any = 1e-06,
    weight_decay: base.ScalarOrSchedule = 0.0,
    weight_decay_mask: MaskOrFn = None,
) -> base.GradientTransformationExtraArgs:
    """Adadelta: weight decay, `scale_by_adadelta`, then the learning rate.

    Args:
      learning_rate: a float or a schedule (None: no scaling, and no sign flip).
      rho: the averaging coefficient.
      eps: added inside both roots.
      weight_decay: the decoupled weight decay.
      weight_decay_mask: which parameters are decayed.

    Returns:
      The optimizer.
    """
    return chain(
        add_decayed_weights(weight_decay, mask=weight_decay_mask),
        transform.scale_by_adadelta(rho=rho, eps=eps),
        transform.scale_by_learning_rate(learning_rate),
    )


def adafactor(
    learning_rate: base.ScalarOrSchedule | None = None,
    min_dim_size_to_factor: int = 128,
    decay_rate: Any = 0.8,
    decay_offset: Any = 0,
    multiply_by_parameter_scale: bool = True,
    clipping_threshold: Any | None = 1.0,
    momentum: Any | None = None,
    dtype_momentum: Any = np.float32,
    weight_decay_rate: base.ScalarOrSchedule | None = None,
    eps: Any = 1e-30,
    factored: bool = True,
    weight_decay_mask: MaskOrFn = None,
) -> base.GradientTransformationExtraArgs:
    """Adafactor: factored second moments, block-RMS clipping, relative step sizes, optional momentum.

    Args:
      learning_rate: a float or a schedule (None: no scaling).
      min_dim_size_to_factor: the smallest second-largest dimension that gets factored.
      decay_rate: the exponent of the second-moment decay.
      decay_offset: the step offset of the decay.
      multiply_by_parameter_scale: scale by the parameters' RMS.
      clipping_threshold: the block-RMS clip (None: no clipping).
      momentum: the momentum decay (None: no momentum).
      dtype_momentum: dtype of the momentum.
      weight_decay_rate: the decoupled weight decay (None: none).
      eps: added to the squared gradients.
      factored: factor the moments of large matrices.
      weight_decay_mask: which parameters are decayed.

    Returns:
      The optimizer.
    """
    tx = [scale_by_factored_rms(factored, decay_rate, decay_offset, min_dim_size_to_factor, eps)]
    if clipping_threshold is not None:
        tx.append(clip_by_block_rms(clipping_threshold))
    if learning_rate is not None:
        tx.append(transform.scale_by_learning_rate(learning_rate, flip_sign=False))
    if multiply_by_parameter_scale:
        tx.append(transform.scale_by_param_block_rms())
    if momentum is not None:
        tx.append(ema(momentum, debias=False, accumulator_dtype=dtype_momentum))
    if weight_decay_rate is not None:
        tx.append(add_decayed_weights(weight_decay_rate, mask=weight_decay_mask))
    tx.append(transform.scale(-1))
    return chain(*tx)


def adagrad(
    learning_rate: base.ScalarOrSchedule, initial_accumulator_value: Any = 0.1, eps: Any = 1e-07
) -> base.GradientTransformationExtraArgs:
    """Adagrad: `scale_by_rss` then the learning rate.

    Args:
      learning_rate: a float or a schedule.
      initial_accumulator_value: the starting sum of squares.
      eps: added inside the root.

    Returns:
      The optimizer.
    """
    return chain(
        transform.scale_by_rss(initial_accumulator_value=initial_accumulator_value, eps=eps),
        transform.scale_by_learning_rate(learning_rate),
    )


def adam(
    learning_rate: base.ScalarOrSchedule,
    b1: Any = 0.9,
    b2: Any = 0.999,
    eps: Any = 1e-08,
    eps_root: Any = 0.0,
    mu_dtype: Any | None = None,
    *,
    nesterov: bool = False,
) -> base.GradientTransformationExtraArgs:
    """Adam: `scale_by_adam` then the learning rate.

    Args:
      learning_rate: a float or a schedule.
      b1: decay of the first moment.
      b2: decay of the second moment.
      eps: added outside the root.
      eps_root: added inside the root.
      mu_dtype: dtype of the first moment.
      nesterov: use Nesterov's momentum (NAdam).

    Returns:
      The optimizer.

    Example:
      >>> import jaxnc.numpy as jnp
      >>> import jaxnc_optax as optax
      >>> opt = optax.adam(0.1)
      >>> params = jnp.array([1.0, -2.0])
      >>> updates, state = opt.update(jnp.array([0.5, -0.5]), opt.init(params))
      >>> [round(u, 4) for u in updates.tolist()]
      [-0.1, 0.1]
    """
    return chain(
        transform.scale_by_adam(b1=b1, b2=b2, eps=eps, eps_root=eps_root, mu_dtype=mu_dtype, nesterov=nesterov),
        transform.scale_by_learning_rate(learning_rate),
    )


nadam = functools.partial(adam, nesterov=True)
nadam.__doc__ = "NAdam: `adam(..., nesterov=True)`."


def adamw(
    learning_rate: base.ScalarOrSchedule,
    b1: Any = 0.9,
    b2: Any = 0.999,
    eps: Any = 1e-08,
    eps_root: Any = 0.0,
    mu_dtype: Any | None = None,
    weight_decay: base.ScalarOrSchedule = 0.0001,
    mask: MaskOrFn = None,
    *,
    nesterov: bool = False,
) -> base.GradientTransformationExtraArgs:
    """AdamW: `scale_by_adam`, decoupled weight decay, then the learning rate.

    Args:
      learning_rate: a float or a schedule.
      b1: decay of the first moment.
      b2: decay of the second moment.
      eps: added outside the root.
      eps_root: added inside the root.
      mu_dtype: dtype of the first moment.
      weight_decay: the decoupled weight decay (multiplied by the learning rate).
      mask: which parameters are decayed.
      nesterov: use Nesterov's momentum (NAdamW).

    Returns:
      The optimizer.
    """
    return chain(
        transform.scale_by_adam(b1=b1, b2=b2, eps=eps, eps_root=eps_root, mu_dtype=mu_dtype, nesterov=nesterov),
        add_decayed_weights(weight_decay, mask),
        transform.scale_by_learning_rate(learning_rate),
    )


nadamw = functools.partial(adamw, nesterov=True)
nadamw.__doc__ = "NAdamW: `adamw(..., nesterov=True)`."


def adan(
    learning_rate: base.ScalarOrSchedule,
    b1: Any = 0.98,
    b2: Any = 0.92,
    b3: Any = 0.99,
    eps: Any = 1e-08,
    eps_root: Any = 1e-08,
    weight_decay: base.ScalarOrSchedule = 0.0,
    mask: MaskOrFn = None,
) -> base.GradientTransformationExtraArgs:
    """Adan: `scale_by_adan`, decoupled weight decay, then the learning rate.

    Args:
      learning_rate: a float or a schedule.
      b1: decay of the gradient moment.
      b2: decay of the gradient-difference moment.
      b3: decay of the squared moment.
      eps: added outside the root.
      eps_root: added inside the root.
      weight_decay: the decoupled weight decay.
      mask: which parameters are decayed.

    Returns:
      The optimizer.
    """
    return chain(
        transform.scale_by_adan(b1=b1, b2=b2, b3=b3, eps=eps, eps_root=eps_root),
        add_decayed_weights(weight_decay, mask),
        transform.scale_by_learning_rate(learning_rate),
    )


def lion(
    learning_rate: base.ScalarOrSchedule,
    b1: Any = 0.9,
    b2: Any = 0.99,
    mu_dtype: Any | None = None,
    weight_decay: base.ScalarOrSchedule = 0.001,
    mask: MaskOrFn = None,
) -> base.GradientTransformationExtraArgs:
    """Lion: `scale_by_lion`, decoupled weight decay, then the learning rate.

    Args:
      learning_rate: a float or a schedule.
      b1: interpolation weight of the momentum.
      b2: decay of the momentum.
      mu_dtype: dtype of the momentum.
      weight_decay: the decoupled weight decay.
      mask: which parameters are decayed.

    Returns:
      The optimizer.
    """
    return chain(
        transform.scale_by_lion(b1=b1, b2=b2, mu_dtype=mu_dtype),
        add_decayed_weights(weight_decay, mask),
        transform.scale_by_learning_rate(learning_rate),
    )


def amsgrad(
    learning_rate: base.ScalarOrSchedule,
    b1: Any = 0.9,
    b2: Any = 0.999,
    eps: Any = 1e-08,
    eps_root: Any = 0.0,
    mu_dtype: Any | None = None,
    bias_correction_mu: bool = True,
    bias_correction_nu: bool = True,
) -> base.GradientTransformationExtraArgs:
    """AMSGrad: `scale_by_amsgrad` then the learning rate.

    Args:
      learning_rate: a float or a schedule.
      b1: decay of the first moment.
      b2: decay of the second moment.
      eps: added outside the root.
      eps_root: added inside the root.
      mu_dtype: dtype of the first moment.
      bias_correction_mu: bias-correct the first moment.
      bias_correction_nu: bias-correct the second moment.

    Returns:
      The optimizer.
    """
    return chain(
        transform.scale_by_amsgrad(
            b1=b1,
            b2=b2,
            eps=eps,
            eps_root=eps_root,
            mu_dtype=mu_dtype,
            bias_correction_mu=bias_correction_mu,
            bias_correction_nu=bias_correction_nu,
        ),
        transform.scale_by_learning_rate(learning_rate),
    )


def fromage(learning_rate: base.ScalarOrSchedule, min_norm: Any = 1e-06) -> base.GradientTransformationExtraArgs:
    """Fromage: trust-ratio steps with a shrinkage `1/sqrt(1 + lr²)` of the parameters.

    Args:
      learning_rate: a float or a schedule.
      min_norm: the smallest norm in the trust ratio.

    Returns:
      The optimizer.
    """
    if not callable(learning_rate):
        mult = 1 / (1 + learning_rate**2) ** 0.5
        return chain(
            transform.scale_by_trust_ratio(min_norm),
            transform.scale_by_learning_rate(learning_rate * mult),
            add_decayed_weights(mult - 1),
        )

    def mult_lr(count):
        return 1 / (1 + learning_rate(count) ** 2) ** 0.5

    return chain(
        transform.scale_by_trust_ratio(min_norm),
        transform.scale_by_learning_rate(lambda c: mult_lr(c) * learning_rate(c)),
        add_decayed_weights(lambda c: mult_lr(c) - 1),
    )


def lars(
    learning_rate: base.ScalarOrSchedule,
    weight_decay: base.ScalarOrSchedule = 0.0,
    weight_decay_mask: MaskOrFn = True,
    trust_coefficient: Any = 0.001,
    eps: Any = 0.0,
    trust_ratio_mask: MaskOrFn = True,
    momentum: Any = 0.9,
    nesterov: bool = False,
) -> base.GradientTransformationExtraArgs:
    """LARS: weight decay, a masked trust ratio, the learning rate, then momentum.

    Args:
      learning_rate: a float or a schedule.
      weight_decay: the weight decay.
      weight_decay_mask: which parameters are decayed.
      trust_coefficient: the trust-ratio multiplier.
      eps: added to the update norm.
      trust_ratio_mask: which parameters get the trust ratio.
      momentum: the momentum decay.
      nesterov: use Nesterov momentum.

    Returns:
      The optimizer.
    """
    return chain(
        add_decayed_weights(weight_decay, mask=weight_decay_mask),
        masked(
            inner=transform.scale_by_trust_ratio(trust_coefficient=trust_coefficient, eps=eps), mask=trust_ratio_mask
        ),
        transform.scale_by_learning_rate(learning_rate),
        trace(decay=momentum, nesterov=nesterov),
    )


def lamb(
    learning_rate: base.ScalarOrSchedule,
    b1: Any = 0.9,
    b2: Any = 0.999,
    eps: Any = 1e-06,
    eps_root: Any = 0.0,
    weight_decay: base.ScalarOrSchedule = 0.0,
    mask: MaskOrFn = None,
) -> base.GradientTransformationExtraArgs:
    """LAMB: Adam, weight decay, the trust ratio, then the learning rate.

    Args:
      learning_rate: a float or a schedule.
      b1: decay of the first moment.
      b2: decay of the second moment.
      eps: added outside the root.
      eps_root: added inside the root.
      weight_decay: the decoupled weight decay.
      mask: which parameters are decayed.

    Returns:
      The optimizer.
    """
    return chain(
        transform.scale_by_adam(b1=b1, b2=b2, eps=eps, eps_root=eps_root),
        add_decayed_weights(weight_decay=weight_decay, mask=mask),
        transform.scale_by_trust_ratio(),
        transform.scale_by_learning_rate(learning_rate),
    )


def noisy_sgd(
    learning_rate: base.ScalarOrSchedule,
    eta: Any = 0.01,
    gamma: Any = 0.55,
    key: Any = None,
    *,
    seed: int | None = None,
) -> base.GradientTransformationExtraArgs:
    """SGD with annealed Gaussian gradient noise: `add_noise` then the learning rate.

    Args:
      learning_rate: a float or a schedule.
      eta: the initial noise variance.
      gamma: the annealing exponent.
      key: a PRNG key or an integer seed.
      seed: deprecated spelling of an integer `key`.

    Returns:
      The optimizer.
    """
    return chain(add_noise(eta, gamma, key, seed=seed), transform.scale_by_learning_rate(learning_rate))


def sign_sgd(learning_rate: base.ScalarOrSchedule) -> base.GradientTransformationExtraArgs:
    """signSGD: the sign of the gradient, then the learning rate.

    Args:
      learning_rate: a float or a schedule.

    Returns:
      The optimizer.
    """
    return chain(transform.scale_by_sign(), transform.scale_by_learning_rate(learning_rate))


def signum(
    learning_rate: base.ScalarOrSchedule, beta: Any = 0.9, accumulator_dtype: Any | None = None
) -> base.GradientTransformationExtraArgs:
    """Signum: the sign of an (undebiased) moving average of the gradient, then the learning rate.

    Args:
      learning_rate: a float or a schedule.
      beta: the averaging coefficient.
      accumulator_dtype: dtype of the average.

    Returns:
      The optimizer.
    """
    return chain(
        ema(beta, debias=False, accumulator_dtype=accumulator_dtype),
        transform.scale_by_sign(),
        transform.scale_by_learning_rate(learning_rate),
    )


def novograd(
    learning_rate: base.ScalarOrSchedule,
    b1: Any = 0.9,
    b2: Any = 0.25,
    eps: Any = 1e-06,
    eps_root: Any = 0.0,
    weight_decay: base.ScalarOrSchedule = 0.0,
) -> base.GradientTransformationExtraArgs:
    """NovoGrad: `scale_by_novograd` then the learning rate.

    Args:
      learning_rate: a float or a schedule.
      b1: decay of the momentum.
      b2: decay of the per-leaf second moment.
      eps: added outside the root.
      eps_root: added inside the root.
      weight_decay: the weight decay inside the momentum.

    Returns:
      The optimizer.
    """
    return chain(
        transform.scale_by_novograd(b1=b1, b2=b2, eps=eps, eps_root=eps_root, weight_decay=weight_decay),
        transform.scale_by_learning_rate(learning_rate),
    )


def optimistic_gradient_descent(
    learning_rate: base.ScalarOrSchedule, alpha: base.ScalarOrSchedule = 1.0, beta: base.ScalarOrSchedule = 1.0
) -> base.GradientTransformationExtraArgs:
    """Optimistic gradient descent: `scale_by_optimistic_gradient` then the learning rate.

    Args:
      learning_rate: a float or a schedule.
      alpha: the weight of the current gradient.
      beta: the weight of the optimistic correction.

    Returns:
      The optimizer.
    """
    return chain(
        transform.scale_by_optimistic_gradient(alpha=alpha, beta=beta), transform.scale_by_learning_rate(learning_rate)
    )


def optimistic_adam_v2(
    learning_rate: base.ScalarOrSchedule,
    *,
    alpha: Any = 1.0,
    beta: Any = 1.0,
    b1: Any = 0.9,
    b2: Any = 0.999,
    eps: Any = 1e-08,
    eps_root: Any = 0.0,
    mu_dtype: Any | None = None,
    nesterov: bool = True,
) -> base.GradientTransformationExtraArgs:
    """Optimistic Adam: Adam's direction made optimistic, then the learning rate.

    Args:
      learning_rate: a float or a schedule.
      alpha: the weight of the current direction.
      beta: the weight of the optimistic correction.
      b1: decay of the first moment.
      b2: decay of the second moment.
      eps: added outside the root.
      eps_root: added inside the root.
      mu_dtype: dtype of the first moment.
      nesterov: use Nesterov's momentum.

    Returns:
      The optimizer.
    """
    return chain(
        transform.scale_by_adam(b1=b1, b2=b2, eps=eps, eps_root=eps_root, mu_dtype=mu_dtype, nesterov=nesterov),
        transform.scale_by_optimistic_gradient(alpha=alpha, beta=beta),
        transform.scale_by_learning_rate(learning_rate),
    )


def radam(
    learning_rate: base.ScalarOrSchedule,
    b1: Any = 0.9,
    b2: Any = 0.999,
    eps: Any = 1e-08,
    eps_root: Any = 0.0,
    threshold: Any = 5.0,
    *,
    nesterov: bool = False,
) -> base.GradientTransformationExtraArgs:
    """RAdam: `scale_by_radam` then the learning rate.

    Args:
      learning_rate: a float or a schedule.
      b1: decay of the first moment.
      b2: decay of the second moment.
      eps: added outside the root.
      eps_root: added inside the root.
      threshold: the SMA length above which the adaptive step is used.
      nesterov: use Nesterov's momentum.

    Returns:
      The optimizer.
    """
    return chain(
        transform.scale_by_radam(b1=b1, b2=b2, eps=eps, eps_root=eps_root, threshold=threshold, nesterov=nesterov),
        transform.scale_by_learning_rate(learning_rate),
    )


def rmsprop(
    learning_rate: base.ScalarOrSchedule,
    decay: Any = 0.9,
    eps: Any = 1e-08,
    initial_scale: Any = 0.0,
    eps_in_sqrt: bool = True,
    centered: bool = False,
    momentum: Any | None = None,
    nesterov: bool = False,
    bias_correction: bool = False,
) -> base.GradientTransformationExtraArgs:
    """RMSProp (optionally centered, with momentum): `scale_by_rms`/`scale_by_stddev`, learning rate, `trace`.

    Args:
      learning_rate: a float or a schedule.
      decay: the averaging coefficient.
      eps: the regularizer of the denominator.
      initial_scale: the starting second moment.
      eps_in_sqrt: put `eps` inside the root.
      centered: divide by the standard deviation instead of the RMS.
      momentum: the momentum decay (None: no momentum).
      nesterov: use Nesterov momentum.
      bias_correction: bias-correct the moments.

    Returns:
      The optimizer.
    """
    scaler = transform.scale_by_stddev if centered else transform.scale_by_rms
    return chain(
        scaler(
            decay=decay, eps=eps, initial_scale=initial_scale, eps_in_sqrt=eps_in_sqrt, bias_correction=bias_correction
        ),
        transform.scale_by_learning_rate(learning_rate),
        trace(decay=momentum, nesterov=nesterov) if momentum is not None else base.identity(),
    )


def sgd(
    learning_rate: base.ScalarOrSchedule,
    momentum: Any | None = None,
    nesterov: bool = False,
    accumulator_dtype: Any | None = None,
) -> base.GradientTransformationExtraArgs:
    """Stochastic gradient descent, optionally with (Nesterov) momentum.

    Args:
      learning_rate: a float or a schedule.
      momentum: the momentum decay (None: plain SGD).
      nesterov: use Nesterov momentum.
      accumulator_dtype: dtype of the momentum buffer.

    Returns:
      The optimizer.

    Example:
      >>> import jaxnc.numpy as jnp
      >>> import jaxnc_optax as optax
      >>> opt = optax.sgd(0.1)
      >>> updates, _ = opt.update(jnp.array([1.0, 2.0]), opt.init(jnp.zeros(2)))
      >>> [round(u, 6) for u in updates.tolist()]
      [-0.1, -0.2]
    """
    if momentum is not None:
        opt = trace(decay=momentum, nesterov=nesterov, accumulator_dtype=accumulator_dtype)
    else:
        opt = base.identity()
    return chain(opt, transform.scale_by_learning_rate(learning_rate))


def sm3(learning_rate: Any, momentum: Any = 0.9) -> base.GradientTransformationExtraArgs:
    """SM3: `scale_by_sm3` then `scale(-learning_rate)` (a constant rate only, as in optax).

    Args:
      learning_rate: a float.
      momentum: the momentum decay.

    Returns:
      The optimizer.
    """
    return chain(transform.scale_by_sm3(momentum), transform.scale(-learning_rate))


def yogi(
    learning_rate: base.ScalarOrSchedule, b1: Any = 0.9, b2: Any = 0.999, eps: Any = 0.001
) -> base.GradientTransformationExtraArgs:
    """Yogi: `scale_by_yogi` then the learning rate.

    Args:
      learning_rate: a float or a schedule.
      b1: decay of the first moment.
      b2: rate of the second moment.
      eps: added outside the root.

    Returns:
      The optimizer.
    """
    return chain(transform.scale_by_yogi(b1=b1, b2=b2, eps=eps), transform.scale_by_learning_rate(learning_rate))


def adamax(
    learning_rate: base.ScalarOrSchedule, b1: Any = 0.9, b2: Any = 0.999, eps: Any = 1e-08
) -> base.GradientTransformationExtraArgs:
    """Adamax: `scale_by_adamax` then the learning rate.

    Args:
      learning_rate: a float or a schedule.
      b1: decay of the first moment.
      b2: decay of the infinity norm.
      eps: added to `|g|`.

    Returns:
      The optimizer.
    """
    return chain(transform.scale_by_adamax(b1=b1, b2=b2, eps=eps), transform.scale_by_learning_rate(learning_rate))


def adamaxw(
    learning_rate: base.ScalarOrSchedule,
    b1: Any = 0.9,
    b2: Any = 0.999,
    eps: Any = 1e-08,
    weight_decay: base.ScalarOrSchedule = 0.0001,
    mask: MaskOrFn = None,
) -> base.GradientTransformationExtraArgs:
    """AdamaxW: `scale_by_adamax`, decoupled weight decay, then the learning rate.

    Args:
      learning_rate: a float or a schedule.
      b1: decay of the first moment.
      b2: decay of the infinity norm.
      eps: added to `|g|`.
      weight_decay: the decoupled weight decay.
      mask: which parameters are decayed.

    Returns:
      The optimizer.
    """
    return chain(
        transform.scale_by_adamax(b1=b1, b2=b2, eps=eps),
        add_decayed_weights(weight_decay, mask),
        transform.scale_by_learning_rate(learning_rate),
    )


def rprop(
    learning_rate: Any,
    eta_minus: Any = 0.5,
    eta_plus: Any = 1.2,
    min_step_size: Any = 1e-06,
    max_step_size: Any = 50.0,
) -> base.GradientTransformationExtraArgs:
    """Rprop: `scale_by_rprop` then `scale(-1)`.

    Args:
      learning_rate: the initial step size.
      eta_minus: the shrink factor.
      eta_plus: the growth factor.
      min_step_size: the smallest step size.
      max_step_size: the largest step size.

    Returns:
      The optimizer.
    """
    return chain(
        transform.scale_by_rprop(
            learning_rate=learning_rate,
            eta_minus=eta_minus,
            eta_plus=eta_plus,
            min_step_size=min_step_size,
            max_step_size=max_step_size,
        ),
        transform.scale(-1.0),
    )


def polyak_sgd(
    max_learning_rate: Any = 1.0,
    scaling: base.ScalarOrSchedule = 1.0,
    f_min: Any = 0.0,
    eps: Any = 0.0,
    variant: str = "sps",
) -> base.GradientTransformationExtraArgs:
    """SGD with Polyak step sizes; call `update(..., value=loss)`.

    Args:
      max_learning_rate: the cap of the step size.
      scaling: a float or schedule multiplying the step.
      f_min: a lower bound of the objective.
      eps: added to the squared gradient norm.
      variant: `"sps"` or `"sps+"`.

    Returns:
      The optimizer.
    """
    return chain(
        sgd(learning_rate=scaling),
        transform.scale_by_polyak(max_learning_rate=max_learning_rate, f_min=f_min, eps=eps, variant=variant),
    )
