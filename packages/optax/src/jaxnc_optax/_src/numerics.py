"""Numerically safe scalar helpers: squared magnitudes, norms that avoid 0/0, saturating counters."""

from __future__ import annotations

from typing import Any

import numpy as np

import jaxnc.numpy as jnp


def is_complex(x: Any) -> bool:
    """Whether `x` has a complex dtype (decided from the static dtype, so it works under jit)."""
    dtype = x.dtype if hasattr(x, "dtype") else np.asarray(x).dtype
    return np.issubdtype(np.dtype(dtype), np.complexfloating)


def abs_sq(x: Any) -> Any:
    """The squared magnitude `|x|²` elementwise, real for complex inputs.

    Args:
      x: an array.

    Returns:
      `x * x` for real `x`, `(conj(x) * x).real` for complex `x`.
    """
    if not hasattr(x, "shape"):
        raise ValueError(f"`abs_sq` accepts only arrays, got {type(x).__name__}: {x!r}.")
    if is_complex(x):
        return jnp.real(jnp.conj(x) * x)
    return x * x


def _l2_norm(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    # sqrt(Σ|x|²): jnp.linalg.norm's default for vectors and the Frobenius norm for matrices.
    return jnp.sqrt(jnp.sum(abs_sq(x), axis=axis, keepdims=keepdims))


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    """`jnp.linalg.norm` for the 2-norm (computed here) and other orders (delegated).

    Args:
      x: an array.
      ord: `None` for the 2-norm over `axis` (Frobenius for whole matrices); anything else goes to
        `jnp.linalg.norm`.
      axis: axes to reduce; `None` for all.
      keepdims: keep reduced axes with size one.

    Returns:
      The norm.
    """
    if ord is None:
        return _l2_norm(x, axis=axis, keepdims=keepdims)
    return jnp.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)


def safe_norm(x: Any, min_norm: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    """`max(norm(x), min_norm)` whose gradient is zero, not NaN, where the norm is below `min_norm`.

    Args:
      x: an array.
      min_norm: the lower bound of the returned norm.
      ord: the norm order (see `norm`).
      axis: axes to reduce; `None` for all.
      keepdims: keep reduced axes with size one.

    Returns:
      The clipped norm.
    """
    full = norm(x, ord=ord, axis=axis, keepdims=True)
    x = jnp.where(full <= min_norm, jnp.ones_like(x), x)
    small = full if keepdims else (jnp.squeeze(full, axis=axis) if axis is not None else jnp.reshape(full, ()))
    masked_norm = norm(x, ord=ord, axis=axis, keepdims=keepdims)
    return jnp.where(small <= min_norm, min_norm, masked_norm)


def safe_root_mean_squares(x: Any, min_rms: Any) -> Any:
    """`max(rms(x), min_rms)` whose gradient is zero, not NaN, where the rms is below `min_rms`.

    Args:
      x: an array.
      min_rms: the lower bound of the returned root mean square.

    Returns:
      The clipped root mean square.
    """
    rms = jnp.sqrt(jnp.mean(abs_sq(x)))
    x = jnp.where(rms <= min_rms, jnp.ones_like(x), x)
    return jnp.where(rms <= min_rms, min_rms, jnp.sqrt(jnp.mean(abs_sq(x))))


def safe_increment(count: Any) -> Any:
    """`count + 1` that saturates at its dtype's maximum instead of overflowing.

    Args:
      count: an integer or floating array.

    Returns:
      The incremented count, same dtype.
    """
    count = jnp.asarray(count)
    dtype = np.dtype(count.dtype)
    if np.issubdtype(dtype, np.integer):
        max_value = np.iinfo(dtype).max
    elif np.issubdtype(dtype, np.floating):
        max_value = np.finfo(dtype).max
    else:
        raise ValueError(f"Cannot safely increment a count of dtype {dtype}; expected an integer or floating dtype.")
    max_value = jnp.array(max_value, dtype)
    return jnp.where(count < max_value, count + jnp.array(1, dtype), max_value)


safe_int32_increment = safe_increment
