"""jaxnc.nn: activations against NumPy formulas, gradients, attention against a NumPy reference, initializers."""

import numpy as np
import pytest

import jaxnc
import jaxnc.nn as nn
import jaxnc.numpy as jnp
import jaxnc.random as random
from jaxnc.testing import check_grads

X = np.linspace(-3.0, 3.0, 13).astype(np.float32)


def _softplus(x):
    return np.logaddexp(x, 0)


ACTIVATIONS = [
    ("relu", nn.relu, lambda x: np.maximum(x, 0)),
    ("relu6", nn.relu6, lambda x: np.clip(x, 0, 6)),
    ("sigmoid", nn.sigmoid, lambda x: 1 / (1 + np.exp(-x))),
    ("log_sigmoid", nn.log_sigmoid, lambda x: -_softplus(-x)),
    ("softplus", nn.softplus, _softplus),
    ("silu", nn.silu, lambda x: x / (1 + np.exp(-x))),
    ("swish", nn.swish, lambda x: x / (1 + np.exp(-x))),
    ("gelu_tanh", nn.gelu, lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))),
    ("elu", nn.elu, lambda x: np.where(x > 0, x, np.expm1(x))),
    ("celu", nn.celu, lambda x: np.maximum(x, 0) + np.expm1(np.minimum(x, 0))),
    ("selu", nn.selu, lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x))),
    ("leaky_relu", nn.leaky_relu, lambda x: np.where(x >= 0, x, 0.01 * x)),
    ("hard_tanh", nn.hard_tanh, lambda x: np.clip(x, -1, 1)),
    ("hard_sigmoid", nn.hard_sigmoid, lambda x: np.clip(x + 3, 0, 6) / 6),
    ("hard_silu", nn.hard_silu, lambda x: x * np.clip(x + 3, 0, 6) / 6),
    ("hard_swish", nn.hard_swish, lambda x: x * np.clip(x + 3, 0, 6) / 6),
    ("mish", nn.mish, lambda x: x * np.tanh(_softplus(x))),
    ("soft_sign", nn.soft_sign, lambda x: x / (np.abs(x) + 1)),
    ("squareplus", nn.squareplus, lambda x: (x + np.sqrt(x * x + 4)) / 2),
    ("sparse_plus", nn.sparse_plus, lambda x: np.where(x <= -1, 0, np.where(x >= 1, x, (x + 1) ** 2 / 4))),
    ("sparse_sigmoid", nn.sparse_sigmoid, lambda x: np.clip((x + 1) / 2, 0, 1)),
    ("tanh", nn.tanh, np.tanh),
    ("identity", nn.identity, lambda x: x),
]


@pytest.mark.parametrize("name,fn,ref", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation(name, fn, ref):
    np.testing.assert_allclose(fn(X), ref(X), rtol=1e-5, atol=1e-6)
    x = np.array([-2.3, -0.4, 0.6, 1.7], np.float32)  # away from kinks
    check_grads(fn, (x,), order=1, rtol=3e-2, atol=3e-2)
    np.testing.assert_allclose(jaxnc.vmap(fn)(X.reshape(13, 1)), np.asarray(fn(X)).reshape(13, 1), rtol=1e-6)


def test_gelu_exact_and_glu():
    import math

    np.testing.assert_allclose(nn.gelu(X, approximate=False), [0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in X], rtol=1e-5, atol=1e-6)
    y = X[:12].reshape(2, 6)
    np.testing.assert_allclose(nn.glu(y), y[:, :3] / (1 + np.exp(-y[:, 3:])), rtol=1e-5)


def test_relu_grad_at_zero_is_zero():
    assert float(jaxnc.grad(nn.relu)(0.0)) == 0.0


def _attention_ref(q, k, v, bias=None, mask=None, causal=False):
    n, kh = q.shape[2], k.shape[2]
    k = np.repeat(k, n // kh, axis=2)
    v = np.repeat(v, n // kh, axis=2)
    logits = np.einsum("btnh,bsnh->bnts", q, k) / np.sqrt(q.shape[-1])
    if bias is not None:
        logits = logits + bias
    keep = np.ones(logits.shape, bool)
    if mask is not None:
        keep &= mask
    if causal:
        keep &= np.tril(np.ones(logits.shape[-2:], bool))
    logits = np.where(keep, logits, -1e30)
    p = np.exp(logits - logits.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    return np.einsum("bnts,bsnh->btnh", p, v)


def test_dot_product_attention():
    r = np.random.default_rng(0)
    q = r.standard_normal((2, 3, 4, 8)).astype(np.float32)
    k = r.standard_normal((2, 3, 2, 8)).astype(np.float32)
    v = r.standard_normal((2, 3, 2, 8)).astype(np.float32)
    bias = r.standard_normal((1, 4, 3, 3)).astype(np.float32)
    mask = r.random((2, 1, 3, 3)) > 0.3
    mask[..., 0] = True
    np.testing.assert_allclose(nn.dot_product_attention(q, k, v), _attention_ref(q, k, v), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(nn.dot_product_attention(q, k, v, bias, mask, is_causal=True),
                               _attention_ref(q, k, v, bias, mask, True), rtol=1e-4, atol=1e-5)  # fmt: skip
    np.testing.assert_allclose(nn.dot_product_attention(q[0], k[0], v[0]), _attention_ref(q, k, v)[0], rtol=1e-4, atol=1e-5)
    lens = nn.dot_product_attention(q, k, v, key_value_seq_lengths=np.array([1, 3]))
    np.testing.assert_allclose(lens[0], np.broadcast_to(np.repeat(v[0, :1], 2, axis=1), (3, 4, 8)), rtol=1e-5)
    check_grads(lambda qq: nn.dot_product_attention(qq, k, v, is_causal=True), (q,), order=1, rtol=5e-2, atol=5e-2)
    with pytest.raises(ValueError, match="multiple"):
        nn.dot_product_attention(q[:, :, :3], k, v)


def test_initializers():
    key = random.key(0)
    w = nn.initializers.orthogonal()(key, (6, 4))
    np.testing.assert_allclose(np.asarray(w).T @ np.asarray(w), np.eye(4), atol=1e-5)
    w = nn.initializers.orthogonal(column_axis=0)(key, (3, 5))
    np.testing.assert_allclose(np.asarray(w) @ np.asarray(w).T, np.eye(3), atol=1e-5)
    d = np.asarray(nn.initializers.delta_orthogonal()(key, (3, 3, 4, 4)))
    np.testing.assert_allclose(d[1, 1].T @ d[1, 1], np.eye(4), atol=1e-5)
    assert np.abs(d).sum() == pytest.approx(np.abs(d[1, 1]).sum())
    t = np.asarray(nn.initializers.truncated_normal(0.5)(key, (1000,)))
    assert np.abs(t).max() <= 1.0 + 1e-6 and 0.3 < t.std() < 0.5
    for name in ("glorot_normal", "glorot_uniform", "he_normal", "he_uniform", "lecun_normal", "lecun_uniform",
                 "xavier_normal", "kaiming_uniform"):  # fmt: skip
        assert getattr(nn.initializers, name)()(key, (8, 16)).shape == (8, 16)
    assert jnp.all(nn.initializers.constant(3.0)(key, (2,)) == 3.0)
