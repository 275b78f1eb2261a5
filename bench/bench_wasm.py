"""WebAssembly backend rows: fused elementwise, matmul, reductions, exp, eager and jit call latency.

Each row puts jaxnc[wasm] beside NumPy and jaxnc[cpu] (the NumPy reference backend). Results are
read back to the host (`block_until_ready` for big outputs), so every number includes the whole
trip. Run: `python bench/run.py --only wasm`.
"""

from __future__ import annotations

import numpy as np

from harness import Case

N = 1 << 24  # 16M float32 = 64 MiB per array


def _devices(backends):
    import jaxnc

    return {b: jaxnc.devices(b)[0] for b in backends if b in ("wasm", "cpu")}


def cases(backends) -> list[Case]:
    import jaxnc
    import jaxnc.numpy as jnp

    devices = _devices(backends)
    if "wasm" not in devices:
        return []
    rng = np.random.default_rng(0)
    out: list[Case] = []

    # a fused 5-op chain: NumPy makes five passes over memory, a fused kernel one
    x_np = rng.standard_normal(N).astype(np.float32)
    y_np = rng.standard_normal(N).astype(np.float32)

    def chain(x, y):
        return jnp.sqrt(jnp.abs(x * y + 1.0)) * 0.5 - y

    impls = {"numpy": lambda: np.sqrt(np.abs(x_np * y_np + 1.0)) * 0.5 - y_np}
    for b, d in devices.items():
        x, y, f = jaxnc.device_put(x_np, d), jaxnc.device_put(y_np, d), jaxnc.jit(chain)
        impls[f"jaxnc[{b}]"] = lambda f=f, x=x, y=y: f(x, y).block_until_ready()
    out.append(Case("fused 5-op chain, 16M f32 (3 arrays moved)", impls, work=3 * 4 * N / 1e9, unit="GB/s"))

    # exp over 16M
    impls = {"numpy": lambda: np.exp(x_np)}
    for b, d in devices.items():
        x, f = jaxnc.device_put(x_np, d), jaxnc.jit(jnp.exp)
        impls[f"jaxnc[{b}]"] = lambda f=f, x=x: f(x).block_until_ready()
    out.append(Case("exp, 16M f32", impls, work=N / 1e9, unit="Gelem/s"))

    # full sum reduction
    impls = {"numpy": lambda: float(x_np.sum())}
    for b, d in devices.items():
        x, f = jaxnc.device_put(x_np, d), jaxnc.jit(jnp.sum)
        impls[f"jaxnc[{b}]"] = lambda f=f, x=x: float(f(x))
    out.append(Case("sum, 16M f32", impls, work=4 * N / 1e9, unit="GB/s"))

    # row sums of a matrix (reduction over the contiguous axis)
    m_np = x_np.reshape(4096, 4096)
    impls = {"numpy": lambda: m_np.sum(axis=1)}
    for b, d in devices.items():
        m, f = jaxnc.device_put(m_np, d), jaxnc.jit(lambda a: jnp.sum(a, axis=1))
        impls[f"jaxnc[{b}]"] = lambda f=f, m=m: f(m).block_until_ready()
    out.append(Case("row sums 4096x4096 f32", impls, work=4 * N / 1e9, unit="GB/s"))

    # matmul
    for n in (256, 1024):
        a_np = rng.standard_normal((n, n)).astype(np.float32)
        b_np = rng.standard_normal((n, n)).astype(np.float32)
        impls = {"numpy": lambda a=a_np, b=b_np: a @ b}
        for b, d in devices.items():
            a, bb, f = jaxnc.device_put(a_np, d), jaxnc.device_put(b_np, d), jaxnc.jit(jnp.matmul)
            impls[f"jaxnc[{b}]"] = lambda f=f, a=a, bb=bb: f(a, bb).block_until_ready()
        out.append(Case(f"matmul {n}^3 f32", impls, work=2 * n**3 / 1e9, unit="GFLOP/s"))

    # latency: an eager op and a small jitted program, read back
    s_np = np.ones(16, np.float32)
    impls = {"numpy": lambda: np.asarray(s_np + s_np)}
    for b, d in devices.items():
        s = jaxnc.device_put(s_np, d)
        impls[f"jaxnc[{b}]"] = lambda s=s: np.asarray(s + s)
    out.append(Case("eager small add (+ read)", impls))

    impls = {"numpy": lambda: np.asarray(np.tanh(s_np) * 2 + 1)}
    for b, d in devices.items():
        s, f = jaxnc.device_put(s_np, d), jaxnc.jit(lambda v: jnp.tanh(v) * 2 + 1)
        impls[f"jaxnc[{b}]"] = lambda f=f, s=s: np.asarray(f(s))
    out.append(Case("jitted small call (+ read)", impls))
    return out
