"""Loss functions: regression (squared, Huber, log-cosh, cosine), classification (cross-entropies, hinge) and divergences."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

import jaxnc.numpy as jnp
from jaxnc import nn


def _dtype_of(x: Any) -> np.dtype:
    return np.dtype(x.dtype if hasattr(x, "dtype") else np.asarray(x).dtype)


def _check_subdtype(x: Any, kind: type, name: str) -> None:
    if not np.issubdtype(_dtype_of(x), kind):
        raise TypeError(f"Expected {name} to have a {kind.__name__} dtype, got {_dtype_of(x)}.")


def _check_shapes_equal(a: Any, b: Any) -> None:
    if jnp.shape(a) != jnp.shape(b):
        raise ValueError(f"Shape mismatch: got {jnp.shape(a)} and {jnp.shape(b)}.")


def _canonicalize_axis(axis: int, ndim: int) -> int:
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of bounds for an array of dimension {ndim}.")
    return axis % ndim


def squared_error(predictions: Any, targets: Any | None = None) -> Any:
    """Elementwise `(predictions - targets)²`.

    Args:
      predictions: floating predictions.
      targets: same shape; zero when None.

    Returns:
      The elementwise loss.
    """
    _check_subdtype(predictions, np.floating, "predictions")
    if targets is not None:
        _check_shapes_equal(predictions, targets)
    errors = predictions - targets if targets is not None else predictions
    return errors**2


def l2_loss(predictions: Any, targets: Any | None = None) -> Any:
    """Elementwise `0.5 · (predictions - targets)²`.

    Args:
      predictions: floating predictions.
      targets: same shape; zero when None.

    Returns:
      The elementwise loss.

    Example:
      >>> import jaxnc.numpy as jnp
      >>> import jaxnc_optax as optax
      >>> optax.l2_loss(jnp.array([1.0, 3.0]), jnp.array([0.0, 1.0])).tolist()
      [0.5, 2.0]
    """
    return 0.5 * squared_error(jnp.asarray(predictions), targets)


def huber_loss(predictions: Any, targets: Any | None = None, *, delta: Any = 1.0) -> Any:
    """Elementwise Huber loss: quadratic within `delta` of the target, linear beyond.

    Args:
      predictions: floating predictions.
      targets: same shape; zero when None.
      delta: the switch point.

    Returns:
      The elementwise loss.
    """
    _check_subdtype(predictions, np.floating, "predictions")
    errors = predictions - targets if targets is not None else predictions
    abs_errors = jnp.abs(errors)
    quadratic = jnp.minimum(abs_errors, delta)
    linear = abs_errors - quadratic
    return 0.5 * quadratic**2 + delta * linear


def log_cosh(predictions: Any, targets: Any | None = None) -> Any:
    """Elementwise `log(cosh(predictions - targets))`, computed without overflow.

    Args:
      predictions: floating predictions.
      targets: same shape; zero when None.

    Returns:
      The elementwise loss.
    """
    _check_subdtype(predictions, np.floating, "predictions")
    errors = predictions - targets if targets is not None else predictions
    return jnp.logaddexp(errors, -errors) - jnp.log(2.0).astype(errors.dtype)


def cosine_similarity(
    predictions: Any, targets: Any, *, epsilon: Any = 0.0, axis: Any = -1, where: Any | None = None
) -> Any:
    """The cosine of the angle between `predictions` and `targets` along `axis`.

    Args:
      predictions: floating vectors.
      targets: floating vectors, same shape.
      epsilon: a floor for the squared norms.
      axis: the vector axis (or axes).
      where: elements to include.

    Returns:
      The similarities, with `axis` reduced.
    """
    _check_subdtype(predictions, np.floating, "predictions")
    _check_subdtype(targets, np.floating, "targets")
    a_norm = jnp.sqrt(jnp.clip(jnp.sum(jnp.square(predictions), axis=axis, where=where, keepdims=True), epsilon))
    b_norm = jnp.sqrt(jnp.clip(jnp.sum(jnp.square(targets), axis=axis, where=where, keepdims=True), epsilon))
    return jnp.sum((predictions / a_norm) * (targets / b_norm), axis=axis, where=where)


def cosine_distance(
    predictions: Any, targets: Any, *, epsilon: Any = 0.0, axis: Any = -1, where: Any | None = None
) -> Any:
    """`1 - cosine_similarity(predictions, targets)`.

    Args:
      predictions: floating vectors.
      targets: floating vectors, same shape.
      epsilon: a floor for the squared norms.
      axis: the vector axis (or axes).
      where: elements to include.

    Returns:
      The distances, with `axis` reduced.
    """
    return 1.0 - cosine_similarity(predictions, targets, epsilon=epsilon, axis=axis, where=where)


def sigmoid_binary_cross_entropy(logits: Any, labels: Any) -> Any:
    """Elementwise binary cross-entropy of `sigmoid(logits)` against `labels` in [0, 1].

    Args:
      logits: floating logits.
      labels: the probabilities of the positive class, same shape.

    Returns:
      The elementwise loss.
    """
    _check_subdtype(logits, np.floating, "logits")
    labels = jnp.asarray(labels).astype(logits.dtype)
    return -labels * nn.log_sigmoid(logits) - (1.0 - labels) * nn.log_sigmoid(-logits)


def sigmoid_focal_loss(logits: Any, labels: Any, *, alpha: Any | None = None, gamma: Any = 2.0) -> Any:
    """Elementwise focal loss: binary cross-entropy down-weighted by `(1 - p_t)^gamma`.

    Args:
      logits: floating logits.
      labels: the probabilities of the positive class, same shape.
      alpha: the weight of the positive class (None: unweighted).
      gamma: the focusing exponent.

    Returns:
      The elementwise loss.
    """
    _check_subdtype(logits, np.floating, "logits")
    labels = jnp.asarray(labels).astype(logits.dtype)
    # 1 - p_t written as p·(1-y) + q·y with q = sigmoid(-x): no cancellation when p_t is near 1.
    one_minus_p_t = nn.sigmoid(logits) * (1.0 - labels) + nn.sigmoid(-logits) * labels
    loss = sigmoid_binary_cross_entropy(logits, labels) * one_minus_p_t**gamma
    if alpha is None:
        return loss
    return (alpha * labels + (1.0 - alpha) * (1.0 - labels)) * loss


def hinge_loss(predictor_outputs: Any, targets: Any) -> Any:
    """Elementwise `max(0, 1 - outputs · targets)` for targets in {-1, 1}.

    Args:
      predictor_outputs: the scores.
      targets: the signs of the true class.

    Returns:
      The elementwise loss.
    """
    return jnp.maximum(0, 1 - predictor_outputs * targets)


def perceptron_loss(predictor_outputs: Any, targets: Any) -> Any:
    """Elementwise `max(0, -outputs · targets)` for targets in {-1, 1}.

    Args:
      predictor_outputs: the scores.
      targets: the signs of the true class, same shape.

    Returns:
      The elementwise loss.
    """
    _check_shapes_equal(predictor_outputs, targets)
    return jnp.maximum(0, -predictor_outputs * targets)


def softmax_cross_entropy(logits: Any, labels: Any, axis: Any = -1, where: Any | None = None) -> Any:
    """Cross-entropy of `softmax(logits)` against label distributions along `axis`.

    Args:
      logits: floating logits.
      labels: probabilities, same shape.
      axis: the class axis (or axes).
      where: classes to include.

    Returns:
      The losses, with `axis` reduced.
    """
    _check_subdtype(logits, np.floating, "logits")
    if where is not None and jnp.ndim(where) != jnp.ndim(logits):
        where = jnp.expand_dims(where, axis)
    log_probs = nn.log_softmax(logits, axis, where=where)
    return -jnp.sum(labels * log_probs, axis=axis, where=where)


def safe_softmax_cross_entropy(logits: Any, labels: Any) -> Any:
    """`softmax_cross_entropy` over the last axis that gives 0, not NaN, for `-inf` logits of zero-probability classes.

    Args:
      logits: floating logits.
      labels: probabilities, same shape.

    Returns:
      The losses, with the last axis reduced.
    """
    _check_subdtype(logits, np.floating, "logits")
    log_probs = nn.log_softmax(logits, axis=-1)
    weighted = jnp.where(labels != 0.0, labels * log_probs, jnp.zeros_like(log_probs))
    return -jnp.sum(weighted, axis=-1)


def softmax_cross_entropy_with_integer_labels(
    logits: Any, labels: Any, axis: Any = -1, where: Any | None = None
) -> Any:
    """Cross-entropy of `softmax(logits)` against integer class labels.

    Args:
      logits: floating logits.
      labels: integer classes, `logits`' shape without `axis`.
      axis: the class axis (an int or a tuple of axes, flattened together).
      where: classes to include.

    Returns:
      The losses, shaped like `labels`.
    """
    _check_subdtype(logits, np.floating, "logits")
    _check_subdtype(labels, np.integer, "labels")
    if where is not None and jnp.ndim(where) != jnp.ndim(logits):
        where = jnp.expand_dims(where, axis)
    if isinstance(axis, int):
        axis = _canonicalize_axis(axis, logits.ndim)
    elif isinstance(axis, tuple):
        logit_axis = tuple(_canonicalize_axis(a, logits.ndim) for a in axis)
        batch_axis = tuple(a for a in range(logits.ndim) if a not in logit_axis)
        axis = len(batch_axis)
        logits = jnp.transpose(logits, batch_axis + logit_axis)
        logits = jnp.reshape(logits, logits.shape[: len(batch_axis)] + (-1,))
        if where is not None:
            where = jnp.transpose(where, batch_axis + logit_axis)
            where = jnp.reshape(where, where.shape[: len(batch_axis)] + (-1,))
    else:
        raise TypeError(f"axis must be an int or a tuple of ints, got {type(axis).__name__}.")
    label_logits = jnp.squeeze(jnp.take_along_axis(logits, jnp.expand_dims(labels, axis), axis=axis), axis=axis)
    out = nn.logsumexp(logits, axis=axis, where=where) - label_logits
    if where is not None:
        out = jnp.where(jnp.any(where, axis=axis), out, 0.0)
    return out


def multiclass_hinge_loss(scores: Any, labels: Any) -> Any:
    """Multiclass hinge loss `max_k(scores_k + 1[k≠y]) - scores_y`.

    Args:
      scores: class scores, last axis the classes.
      labels: integer classes.

    Returns:
      The losses, shaped like `labels`.
    """
    one_hot_labels = nn.one_hot(labels, scores.shape[-1])
    return jnp.max(scores + 1.0 - one_hot_labels, axis=-1) - jnp.sum(scores * one_hot_labels, axis=-1)


def multiclass_perceptron_loss(scores: Any, labels: Any) -> Any:
    """Multiclass perceptron loss `max_k scores_k - scores_y`.

    Args:
      scores: class scores, last axis the classes.
      labels: integer classes.

    Returns:
      The losses, shaped like `labels`.
    """
    one_hot_labels = nn.one_hot(labels, scores.shape[-1])
    return jnp.max(scores, axis=-1) - jnp.sum(scores * one_hot_labels, axis=-1)


def poly_loss_cross_entropy(
    logits: Any, labels: Any, *, epsilon: Any = 2.0, axis: Any = -1, where: Any | None = None
) -> Any:
    """PolyLoss: cross-entropy plus `epsilon · (1 - p_t)`.

    Args:
      logits: floating logits.
      labels: probabilities, same shape.
      epsilon: the weight of the polynomial term.
      axis: the class axis (or axes).
      where: classes to include.

    Returns:
      The losses, with `axis` reduced.
    """
    _check_subdtype(logits, np.floating, "logits")
    _check_subdtype(labels, np.floating, "labels")
    p = nn.softmax(logits, axis=axis, where=where)
    one_minus_pt = jnp.sum(labels * (1 - p), axis=axis, where=where)
    return softmax_cross_entropy(logits=logits, labels=labels, axis=axis, where=where) + epsilon * one_minus_pt


def kl_divergence(log_predictions: Any, targets: Any, axis: Any = -1, where: Any | None = None) -> Any:
    """KL divergence `Σ targets · (log targets - log_predictions)` (0·log 0 taken as 0).

    Args:
      log_predictions: log-probabilities.
      targets: probabilities, same shape.
      axis: the distribution axis (or axes).
      where: elements to include.

    Returns:
      The divergences, with `axis` reduced.
    """
    _check_subdtype(log_predictions, np.floating, "log_predictions")
    _check_subdtype(targets, np.floating, "targets")
    loss = targets * (jnp.where(targets == 0, 0, jnp.log(targets)) - log_predictions)
    return jnp.sum(loss, axis=axis, where=where)


def kl_divergence_with_log_targets(
    log_predictions: Any, log_targets: Any, axis: Any = -1, where: Any | None = None
) -> Any:
    """KL divergence with both distributions given as log-probabilities.

    Args:
      log_predictions: log-probabilities.
      log_targets: log-probabilities, same shape.
      axis: the distribution axis (or axes).
      where: elements to include.

    Returns:
      The divergences, with `axis` reduced.
    """
    _check_subdtype(log_predictions, np.floating, "log_predictions")
    _check_subdtype(log_targets, np.floating, "log_targets")
    loss = jnp.exp(log_targets) * (log_targets - log_predictions)
    return jnp.sum(loss, axis=axis, where=where)


def generalized_kl_divergence(log_predictions: Any, targets: Any, axis: Any = -1, where: Any | None = None) -> Any:
    """KL divergence for unnormalized measures: `kl_divergence + Σ (exp(log_predictions) - targets)`.

    Args:
      log_predictions: log-measures.
      targets: measures, same shape.
      axis: the distribution axis (or axes).
      where: elements to include.

    Returns:
      The divergences, with `axis` reduced.
    """
    x = kl_divergence(log_predictions, targets, axis=axis, where=where)
    return x + jnp.sum(jnp.exp(log_predictions) - targets, axis=axis, where=where)


def smooth_labels(labels: Any, alpha: Any, *, axis: Any = -1, where: Any | None = None) -> Any:
    """Label smoothing: `(1 - alpha) · labels + alpha / num_classes`.

    Args:
      labels: one-hot (or probability) labels, floating.
      alpha: the smoothing factor.
      axis: the class axis.
      where: classes to count.

    Returns:
      The smoothed labels.
    """
    _check_subdtype(labels, np.floating, "labels")
    num_categories = jnp.shape(labels)[axis] if where is None else jnp.sum(where, axis, keepdims=True)
    return (1.0 - alpha) * labels + alpha / num_categories
