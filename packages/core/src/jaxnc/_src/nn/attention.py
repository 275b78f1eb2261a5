"""jax.nn.dot_product_attention: scaled dot-product attention with bias, masks, causal masking and GQA."""

from __future__ import annotations

import math

import numpy as np

from jaxnc._src.core import get_aval
from jaxnc._src.nn.functions import softmax
from jaxnc._src.numpy import lax_numpy as jnp
from jaxnc._src.numpy.einsum import einsum


def dot_product_attention(query, key, value, bias=None, mask=None, *, scale=None, is_causal=False,
                          query_seq_lengths=None, key_value_seq_lengths=None, local_window_size=None,
                          implementation=None):  # fmt: skip
    """softmax(q k^T * scale + bias, masked) v over (B, T, N, H) queries and (B, S, K, H) keys/values.

    Args:
      query: (B, T, N, H) or (T, N, H).
      key, value: (B, S, K, H) or (S, K, H); N must be a multiple of K (grouped-query attention).
      bias: added to the logits, broadcastable to (B, N, T, S).
      mask: boolean, broadcastable to (B, N, T, S); False entries are excluded.
      scale: logit scale (default 1 / sqrt(H)).
      is_causal: exclude keys after each query position.
      query_seq_lengths, key_value_seq_lengths: (B,) valid lengths (padding masked out).
      local_window_size: int or (left, right) window around each query position.
      implementation: None or 'xla' (accepted for compatibility).

    Returns:
      The attention output, shaped like query.

    Example:
      >>> import jaxnc.numpy as jnp, jaxnc.nn as nn
      >>> q = jnp.ones((1, 2, 1, 4)); kv = jnp.ones((1, 3, 1, 4))
      >>> nn.dot_product_attention(q, kv, kv).shape
      (1, 2, 1, 4)
    """
    if implementation not in (None, "xla"):
        raise ValueError(f"dot_product_attention: implementation must be None or 'xla', got {implementation!r}")
    q, k, v = (jnp.asarray(t) for t in (query, key, value))
    unbatched = jnp.ndim(q) == 3
    if unbatched:
        q, k, v = q[None], k[None], v[None]
    if jnp.ndim(q) != 4 or jnp.ndim(k) != 4 or jnp.shape(k) != jnp.shape(v):
        raise ValueError(f"dot_product_attention: expected query (B, T, N, H) and key/value (B, S, K, H) of equal "
                         f"shape, got {jnp.shape(q)}, {jnp.shape(k)}, {jnp.shape(v)}")  # fmt: skip
    b, t, n, h = jnp.shape(q)
    s, kh = jnp.shape(k)[1], jnp.shape(k)[2]
    if n % kh:
        raise ValueError(f"dot_product_attention: query heads ({n}) must be a multiple of key/value heads ({kh})")
    g = n // kh
    scale = 1 / math.sqrt(h) if scale is None else scale
    qg = jnp.reshape(q, (b, t, kh, g, h))
    logits = einsum("btkgh,bskh->bkgts", qg, k) * scale
    logits = jnp.reshape(logits, (b, n, t, s))
    if bias is not None:
        logits = logits + (jnp.asarray(bias)[None] if unbatched and jnp.ndim(bias) == 3 else bias)
    keep = jnp.ones((1, 1, t, s), bool)
    if mask is not None:
        m = jnp.asarray(mask)
        keep = keep & (m[None] if unbatched and jnp.ndim(m) == 3 else m)
    qi = np.arange(t)[:, None]
    ki = np.arange(s)[None, :]
    if is_causal:
        keep = keep & jnp.asarray(ki <= qi)
    if local_window_size is not None:
        left, right = (local_window_size, local_window_size) if np.ndim(local_window_size) == 0 else local_window_size
        keep = keep & jnp.asarray((ki >= qi - left) & (ki <= qi + right))
    if query_seq_lengths is not None:
        keep = keep & (jnp.arange(t)[None, None, :, None] < jnp.asarray(query_seq_lengths)[:, None, None, None])
    if key_value_seq_lengths is not None:
        keep = keep & (jnp.arange(s)[None, None, None, :] < jnp.asarray(key_value_seq_lengths)[:, None, None, None])
    dt = get_aval(logits).dtype
    big_neg = jnp.asarray(np.finfo(np.float32).min / 2 if dt != np.float64 else np.finfo(np.float64).min / 2, dt)
    logits = jnp.where(keep, logits, big_neg)
    probs = jnp.astype(softmax(jnp.astype(logits, np.float32) if dt in (np.float16,) else logits, axis=-1), get_aval(v).dtype)
    probs = jnp.reshape(probs, (b, kh, g, t, s))
    out = jnp.reshape(einsum("bkgts,bskh->btkgh", probs, v), (b, t, n, h))
    return out[0] if unbatched else out
