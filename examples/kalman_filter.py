"""Kalman filter + RTS smoother with lax.scan; the noise levels are fit by gradient descent through the scan.

A 2-D constant-velocity model (4 states: position and velocity, 2 observed positions). Data are
simulated with known process and observation noise; starting from wrong guesses, the log noise levels
are fit by maximizing the filter's marginal log-likelihood with `jit(value_and_grad(...))` through the
forward scan. The RTS smoother is a reverse scan over the filter's outputs.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import jaxnc
import jaxnc.numpy as jnp
from jaxnc import lax

DT = 0.1
F = np.array([[1, 0, DT, 0], [0, 1, 0, DT], [0, 0, 1, 0], [0, 0, 0, 1]], np.float32)
H = np.array([[1, 0, 0, 0], [0, 1, 0, 0]], np.float32)
# white-noise acceleration: Q = q * QBASE
QBASE = np.kron(np.array([[DT**3 / 3, DT**2 / 2], [DT**2 / 2, DT]], np.float32), np.eye(2, dtype=np.float32))


def spd_inverse(a):
    """Inverse of a small symmetric positive definite matrix (Gauss-Jordan; pivots are positive)."""
    n = a.shape[0]
    eye = jnp.eye(n, dtype=a.dtype)
    aug = jnp.concatenate([a, eye], axis=1)
    for k in range(n):
        row = aug[k] / aug[k, k]
        aug = aug - jnp.outer(aug[:, k], row) + jnp.outer(eye[k], row)
    return aug[:, n:]


def inverse_2x2(s):
    det = s[0, 0] * s[1, 1] - s[0, 1] * s[1, 0]
    return jnp.array([[s[1, 1], -s[0, 1]], [-s[1, 0], s[0, 0]]]) / det, det


def noise(log_q, log_r):
    return jnp.exp(log_q) * QBASE, jnp.exp(log_r) * jnp.eye(2, dtype=jnp.float32)


def kalman_filter(log_q, log_r, ys, m0, p0):
    """Filtered means/covariances, one-step predictions and the marginal log-likelihood."""
    q, r = noise(log_q, log_r)

    def step(carry, y):
        m, p = carry
        m_pred = F @ m
        p_pred = F @ p @ F.T + q
        s = H @ p_pred @ H.T + r
        s_inv, det = inverse_2x2(s)
        k = p_pred @ H.T @ s_inv
        v = y - H @ m_pred
        m_new = m_pred + k @ v
        p_new = p_pred - k @ s @ k.T
        ll = -0.5 * (v @ s_inv @ v + jnp.log(det) + 2 * np.log(2 * np.pi))
        return (m_new, p_new), (m_new, p_new, m_pred, p_pred, ll)

    _, (ms, ps, m_preds, p_preds, lls) = lax.scan(step, (m0, p0), ys)
    return ms, ps, m_preds, p_preds, jnp.sum(lls)


def rts_smoother(ms, ps, m_preds, p_preds):
    """Rauch-Tung-Striebel smoothing: a reverse scan from the last filtered state."""

    def step(carry, inp):
        m_s, p_s = carry
        m, p, m_pred, p_pred = inp
        g = p @ F.T @ spd_inverse(p_pred)
        m_s = m + g @ (m_s - m_pred)
        p_s = p + g @ (p_s - p_pred) @ g.T
        return (m_s, p_s), (m_s, p_s)

    inputs = (ms[:-1], ps[:-1], m_preds[1:], p_preds[1:])
    _, (m_sm, p_sm) = lax.scan(step, (ms[-1], ps[-1]), inputs, reverse=True)
    return jnp.concatenate([m_sm, ms[-1:]]), jnp.concatenate([p_sm, ps[-1:]])


def simulate(n: int, q: float, r: float, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = np.array([0.0, 0.0, 1.0, 0.5])
    chol_q = np.linalg.cholesky(q * QBASE.astype(np.float64))
    xs, ys = [], []
    for _ in range(n):
        x = F @ x + chol_q @ rng.standard_normal(4)
        xs.append(x)
        ys.append(H @ x + np.sqrt(r) * rng.standard_normal(2))
    return np.array(xs, np.float32), np.array(ys, np.float32)


def fit(ys, steps: int, lr: float, log_q0: float, log_r0: float):
    """Minimize the negative log-likelihood per observation over the log noise levels (Adam steps)."""
    m0, p0 = jnp.zeros(4), jnp.eye(4) * 10.0
    n = ys.shape[0]

    @jaxnc.jit
    def loss_and_grad(theta, ys):
        def loss(theta):
            return -kalman_filter(theta[0], theta[1], ys, m0, p0)[4] / n

        return jaxnc.value_and_grad(loss)(theta)

    theta = jnp.array([log_q0, log_r0])
    mom, vel = jnp.zeros(2), jnp.zeros(2)
    history = []
    for t in range(1, steps + 1):
        value, g = loss_and_grad(theta, ys)
        mom, vel = 0.9 * mom + 0.1 * g, 0.999 * vel + 0.001 * g * g
        theta = theta - lr * (mom / (1 - 0.9**t)) / (jnp.sqrt(vel / (1 - 0.999**t)) + 1e-8)
        history.append(float(value))
    return theta, history


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=60, help="gradient steps")
    parser.add_argument("--length", type=int, default=200, help="time steps simulated")
    parser.add_argument("--lr", type=float, default=0.1)
    args = parser.parse_args(argv)
    true_q, true_r = 0.5, 0.04
    xs, ys = simulate(args.length, true_q, true_r)
    t0 = time.perf_counter()
    theta, history = fit(jnp.asarray(ys), args.steps, args.lr, log_q0=np.log(5.0), log_r0=np.log(1.0))
    elapsed = time.perf_counter() - t0
    q, r = float(jnp.exp(theta[0])), float(jnp.exp(theta[1]))
    ms, ps, m_preds, p_preds, ll = kalman_filter(theta[0], theta[1], jnp.asarray(ys), jnp.zeros(4), jnp.eye(4) * 10.0)
    m_sm, _ = rts_smoother(ms, ps, m_preds, p_preds)
    rmse = lambda est: float(np.sqrt(np.mean((np.asarray(est)[:, :2] - xs[:, :2]) ** 2)))
    raw = float(np.sqrt(np.mean((ys - xs[:, :2]) ** 2)))
    print(f"fit {args.steps} gradient steps through a {args.length}-step scan in {elapsed:.2f} s")
    print(f"negative log-likelihood per step: {history[0]:.4f} -> {history[-1]:.4f}")
    print(f"process noise q: {q:.3f} (true {true_q}); observation noise r: {r:.4f} (true {true_r})")
    print(f"position RMSE: observations {raw:.4f}, filtered {rmse(ms):.4f}, smoothed {rmse(m_sm):.4f}")
    return {"q": q, "r": r, "nll": history, "rmse_obs": raw, "rmse_filtered": rmse(ms), "rmse_smoothed": rmse(m_sm)}


if __name__ == "__main__":
    main()
