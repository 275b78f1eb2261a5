"""Control-flow rows: scan cumsum over 10^6 steps, a 4-state Kalman filter, its gradient, and
associative_scan vs scan for a prefix sum — in iterations (or elements) per second, beside JAX when
importable and a Python loop over NumPy (the reference host loop's natural baseline).

Run alone: `python bench/run.py --only control_flow`, or `python bench/bench_control_flow.py`.
"""

from __future__ import annotations

import numpy as np

from harness import Case

N_CUMSUM = 1_000_000
N_KALMAN = 1_000
N_PREFIX = 100_000
DT = 0.1
F = np.array([[1, 0, DT, 0], [0, 1, 0, DT], [0, 0, 1, 0], [0, 0, 0, 1]], np.float32)
H = np.array([[1, 0, 0, 0], [0, 1, 0, 0]], np.float32)


def _optional(name):
    try:
        return __import__(name)
    except ImportError:
        return None


def _kalman(xnp, lax):
    """A 4-state constant-velocity Kalman filter over 2-D observations; returns the log-likelihood."""

    def filt(log_q, ys):
        q, r = xnp.exp(log_q) * xnp.eye(4, dtype=xnp.float32), 0.05 * xnp.eye(2, dtype=xnp.float32)

        def step(carry, y):
            m, p = carry
            m_pred = F @ m
            p_pred = F @ p @ F.T + q
            s = H @ p_pred @ H.T + r
            det = s[0, 0] * s[1, 1] - s[0, 1] * s[1, 0]
            s_inv = xnp.stack([xnp.stack([s[1, 1], -s[0, 1]]), xnp.stack([-s[1, 0], s[0, 0]])]) / det
            k = p_pred @ H.T @ s_inv
            v = y - H @ m_pred
            ll = -0.5 * (v @ s_inv @ v + xnp.log(det))
            return (m_pred + k @ v, p_pred - k @ s @ k.T), ll

        _, lls = lax.scan(step, (xnp.zeros(4, dtype=xnp.float32), xnp.eye(4, dtype=xnp.float32)), ys)
        return xnp.sum(lls)

    return filt


def _kalman_numpy(log_q, ys):
    q, r = np.exp(log_q) * np.eye(4, dtype=np.float32), 0.05 * np.eye(2, dtype=np.float32)
    m, p, total = np.zeros(4, np.float32), np.eye(4, dtype=np.float32), 0.0
    for y in ys:
        m_pred, p_pred = F @ m, F @ p @ F.T + q
        s = H @ p_pred @ H.T + r
        s_inv = np.linalg.inv(s)
        k = p_pred @ H.T @ s_inv
        v = y - H @ m_pred
        total += -0.5 * (v @ s_inv @ v + np.log(np.linalg.det(s)))
        m, p = m_pred + k @ v, p_pred - k @ s @ k.T
    return total


def _cumsum_loop(xs):
    c = np.zeros((), np.float32)
    out = np.empty_like(xs)
    for i in range(len(xs)):
        c = c + xs[i]
        out[i] = c
    return out


def cases(backends) -> list[Case]:
    import jaxnc
    import jaxnc.numpy as jnp
    from jaxnc import lax

    jax = _optional("jax")
    rng = np.random.default_rng(0)
    out = []

    # scan cumsum over 10^6 steps (scalar carry, scalar y)
    xs_np = rng.standard_normal(N_CUMSUM).astype(np.float32)
    impls = {"numpy": lambda: _cumsum_loop(xs_np)}
    for b in backends:
        xs = jaxnc.device_put(xs_np, jaxnc.devices(b)[0])
        f = jaxnc.jit(lambda xs: lax.scan(lambda c, x: (c + x, c + x), jnp.float32(0), xs))
        impls[f"jaxnc[{b}]"] = lambda f=f, xs=xs: jaxnc.block_until_ready(f(xs))
    if jax:
        xj = jax.numpy.asarray(xs_np)
        fj = jax.jit(lambda xs: jax.lax.scan(lambda c, x: (c + x, c + x), jax.numpy.float32(0), xs))
        impls["jax"] = lambda fj=fj, xj=xj: jax.block_until_ready(fj(xj))  # NB: bind now: names are reused below
    out.append(Case(f"lax.scan cumsum, {N_CUMSUM:.0e} steps", impls, work=N_CUMSUM, unit="it/s",
                    baseline="numpy"))  # fmt: skip

    # 4-state Kalman filter, forward and gradient
    ys_np = rng.standard_normal((N_KALMAN, 2)).astype(np.float32)
    fwd = {"numpy": lambda: _kalman_numpy(np.float32(-1.0), ys_np)}
    grad = {}
    filt = _kalman(jnp, lax)
    for b in backends:
        ys = jaxnc.device_put(ys_np, jaxnc.devices(b)[0])
        f = jaxnc.jit(filt)
        g = jaxnc.jit(jaxnc.grad(filt))
        fwd[f"jaxnc[{b}]"] = lambda f=f, ys=ys: jaxnc.block_until_ready(f(-1.0, ys))
        grad[f"jaxnc[{b}]"] = lambda g=g, ys=ys: jaxnc.block_until_ready(g(-1.0, ys))
    if jax:
        filt_j = _kalman(jax.numpy, jax.lax)
        yj = jax.numpy.asarray(ys_np)
        fj, gj = jax.jit(filt_j), jax.jit(jax.grad(filt_j))
        fwd["jax"] = lambda fj=fj, yj=yj: jax.block_until_ready(fj(-1.0, yj))
        grad["jax"] = lambda gj=gj, yj=yj: jax.block_until_ready(gj(-1.0, yj))
    out.append(Case(f"4-state Kalman filter, {N_KALMAN} steps", fwd, work=N_KALMAN, unit="it/s", baseline="numpy"))
    base = f"jaxnc[{backends[0]}]" if backends else "jax"
    out.append(Case(f"grad through the Kalman filter, {N_KALMAN} steps", grad, work=N_KALMAN, unit="it/s",
                    baseline=base))  # fmt: skip

    # prefix sum: associative_scan vs scan
    x_np = rng.standard_normal(N_PREFIX).astype(np.float32)
    impls = {"numpy": lambda: np.cumsum(x_np)}
    for b in backends:
        x = jaxnc.device_put(x_np, jaxnc.devices(b)[0])
        fs = jaxnc.jit(lambda x: lax.scan(lambda c, v: (c + v, c + v), jnp.float32(0), x)[1])
        fa = jaxnc.jit(lambda x: lax.associative_scan(jnp.add, x))
        impls[f"jaxnc[{b}] scan"] = lambda f=fs, x=x: jaxnc.block_until_ready(f(x))
        impls[f"jaxnc[{b}] associative_scan"] = lambda f=fa, x=x: jaxnc.block_until_ready(f(x))
    if jax:
        xj = jax.numpy.asarray(x_np)
        fsj = jax.jit(lambda x: jax.lax.scan(lambda c, v: (c + v, c + v), jax.numpy.float32(0), x)[1])
        faj = jax.jit(lambda x: jax.lax.associative_scan(jax.numpy.add, x))
        impls["jax scan"] = lambda: jax.block_until_ready(fsj(xj))
        impls["jax associative_scan"] = lambda: jax.block_until_ready(faj(xj))
    out.append(Case(f"prefix sum, {N_PREFIX:.0e} elements", impls, work=N_PREFIX, unit="elements/s", baseline="numpy"))
    return out


if __name__ == "__main__":
    import jaxnc
    from harness import format_table, measure

    for case in cases(list(jaxnc.backends())):
        print(format_table([measure(case, min_time=0.2)]), flush=True)
