"""Native loops: scan/while bodies made of kernels run as one wasm call; values match cpu."""

from __future__ import annotations

import numpy as np
import pytest

import jaxnc
import jaxnc.lax as lax
import jaxnc.numpy as jnp
from jaxnc._src.lax.control_flow import record_loop_paths

DT = 0.1
F = np.array([[1, 0, DT, 0], [0, 1, 0, DT], [0, 0, 1, 0], [0, 0, 0, 1]], np.float32)
H = np.array([[1, 0, 0, 0], [0, 1, 0, 0]], np.float32)


def _on(platform, *args):
    return [jaxnc.device_put(a, jaxnc.devices(platform)[0]) for a in args]


def _native(f, *args, kind="scan"):
    """f under jit on wasm (requiring every loop to run natively) and on cpu."""
    with record_loop_paths() as paths:
        got = jaxnc.tree_util.tree_map(np.asarray, jaxnc.jit(f)(*_on("wasm", *args)))
    assert paths and all(p == (kind, "native", "wasm") for p in paths), paths
    want = jaxnc.tree_util.tree_map(np.asarray, jaxnc.jit(f)(*_on("cpu", *args)))
    return got, want


def _close(got, want, **tol):
    for g, w in zip(jaxnc.tree_util.tree_leaves(got), jaxnc.tree_util.tree_leaves(want), strict=True):
        np.testing.assert_allclose(g, w, **tol)


@pytest.mark.parametrize("reverse", [False, True])
def test_cumsum(reverse):
    xs = np.random.default_rng(0).standard_normal(1000).astype(np.float32)
    got, want = _native(lambda xs: lax.scan(lambda c, x: (c + x, c + x), jnp.float32(0), xs, reverse=reverse), xs)
    _close(got, want, rtol=1e-5, atol=1e-5)


def test_carry_permutations_and_passthrough():
    xs = np.arange(12, dtype=np.float32).reshape(6, 2)

    def body(c, x):
        a, b, k = c
        return (b, a + x, k), (a, x, k)  # swapped carries, an unchanged carry, ys that are inputs

    f = lambda xs: lax.scan(body, (jnp.zeros(2), jnp.ones(2), jnp.float32(3)), xs)  # noqa: E731
    got, want = _native(f, xs)
    _close(got, want)


def _kalman(log_q, ys):
    q, r = jnp.exp(log_q) * jnp.eye(4, dtype=jnp.float32), 0.05 * jnp.eye(2, dtype=jnp.float32)

    def step(carry, y):
        m, p = carry
        m_pred = F @ m
        p_pred = F @ p @ F.T + q
        s = H @ p_pred @ H.T + r
        det = s[0, 0] * s[1, 1] - s[0, 1] * s[1, 0]
        s_inv = jnp.stack([jnp.stack([s[1, 1], -s[0, 1]]), jnp.stack([-s[1, 0], s[0, 0]])]) / det
        k = p_pred @ H.T @ s_inv
        v = y - H @ m_pred
        ll = -0.5 * (v @ s_inv @ v + jnp.log(det))
        return (m_pred + k @ v, p_pred - k @ s @ k.T), ll

    _, lls = lax.scan(step, (jnp.zeros(4, dtype=jnp.float32), jnp.eye(4, dtype=jnp.float32)), ys)
    return jnp.sum(lls)


def test_kalman_filter():
    ys = np.random.default_rng(1).standard_normal((50, 2)).astype(np.float32)
    got, want = _native(_kalman, np.float32(-1.0), ys)
    _close(got, want, rtol=1e-4)


def test_grad_through_scan():
    ys = np.random.default_rng(2).standard_normal((20, 2)).astype(np.float32)
    got, want = _native(jaxnc.grad(_kalman), np.float32(-1.0), ys)  # the forward and the transposed scan
    _close(got, want, rtol=1e-3)


def test_while_counter():
    def f(n):
        return lax.while_loop(lambda c: c[0] < n, lambda c: (c[0] + 1, c[1] * 2.0 + 1.0), (0, jnp.float32(1)))

    got, want = _native(f, np.int32(10), kind="while")
    _close(got, want)
    assert int(got[0]) == 10
    got, want = _native(f, np.int32(-3), kind="while")  # zero trips
    _close(got, want)


def test_fori_loop_with_arrays():
    x = np.random.default_rng(3).standard_normal((8, 8)).astype(np.float32)
    f = lambda x: lax.fori_loop(0, 5, lambda i, a: jnp.tanh(a @ a.T * 0.1) + a, x)  # noqa: E731
    got, want = _native(f, x)
    _close(got, want, rtol=1e-4, atol=1e-5)


def test_zero_length_scan():
    xs = np.zeros((0, 3), np.float32)
    got, want = _native(lambda xs: lax.scan(lambda c, x: (c + x, c * 2), jnp.ones(3), xs), xs)
    _close(got, want)
    assert got[1].shape == (0, 3)


def test_body_with_a_routine_keeps_the_host_loop():
    xs = np.arange(12, dtype=np.float32).reshape(4, 3)
    f = jaxnc.jit(lambda xs: lax.scan(lambda c, x: (c + jnp.sort(x), jnp.cumsum(x)), jnp.zeros(3), xs))
    with record_loop_paths() as paths:
        got = np.asarray(f(*_on("wasm", xs))[0])
    assert paths == [("scan", "host", "cpu")]
    np.testing.assert_allclose(got, np.sort(xs, axis=1).sum(0))
