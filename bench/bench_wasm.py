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


# --- cold start: the first jitted MLP step in a fresh process, with and without the module cache -------

_COLD = """
import time
t0 = time.perf_counter()
import numpy as np, jaxnc, jaxnc.numpy as jnp
rng = np.random.default_rng(0)
x = rng.standard_normal((128, 64)).astype(np.float32)
y = rng.integers(0, 10, 128).astype(np.int32)
p = {"w1": rng.standard_normal((64, 256)).astype(np.float32) * 0.1, "b1": np.zeros(256, np.float32),
     "w2": rng.standard_normal((256, 10)).astype(np.float32) * 0.1, "b2": np.zeros(10, np.float32)}
def loss(p, x, y):
    h = jaxnc.nn.relu(x @ p["w1"] + p["b1"])
    return -jnp.mean(jnp.sum(jaxnc.nn.log_softmax(h @ p["w2"] + p["b2"]) * jaxnc.nn.one_hot(y, 10), -1))
@jaxnc.jit
def step(p, x, y):
    v, g = jaxnc.value_and_grad(loss)(p, x, y)
    return jaxnc.tree.map(lambda a, b: a - 0.01 * b, p, g), v
d = jaxnc.devices("wasm")[0]
p, x, y = jaxnc.device_put(p, d), jaxnc.device_put(x, d), jaxnc.device_put(y, d)
rt = d.backend.runtime
compile_s = [0.0]
inner = rt.compile
def timed(wasm):
    t = time.perf_counter(); m = inner(wasm); compile_s[0] += time.perf_counter() - t; return m
rt.compile = timed
t1 = time.perf_counter()
p, v = step(p, x, y); float(v)
t2 = time.perf_counter()
p, v = step(p, x, y); float(v)
t3 = time.perf_counter()
c = rt.cache
print(t2 - t1, compile_s[0], t3 - t2, t1 - t0, c.hits if c else 0, c.misses if c else 0)
"""


def cold_start(runs: int = 5) -> None:
    """`python bench/bench_wasm.py cold-start [runs]`: first-call time of the MLP step in fresh processes."""
    import os
    import subprocess
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as cache_dir:
        modes = {"no disk cache (JAXNC_WASM_CACHE=0)": {"JAXNC_WASM_CACHE": "0"},
                 "warm disk cache": {"JAXNC_WASM_CACHE_DIR": cache_dir}}  # fmt: skip
        env0 = dict(os.environ, JAXNC_PLATFORMS="wasm,cpu")
        subprocess.run([sys.executable, "-c", _COLD], env=env0 | modes["warm disk cache"], check=True,
                       capture_output=True)  # fills the cache  # fmt: skip
        print(
            f"{'mode':38} {'first call ms':>14} {'of it compile ms':>17} {'2nd call ms':>12} {'import+setup ms':>16}  hits/misses"
        )
        for mode, env in modes.items():
            rows = []
            for _ in range(runs):
                out = subprocess.run([sys.executable, "-c", _COLD], env=env0 | env, check=True, capture_output=True,
                                     text=True).stdout.split()  # fmt: skip
                rows.append([float(v) for v in out])
            first, comp, second, setup, hits, misses = np.median(np.array(rows), axis=0)
            print(f"{mode:38} {first * 1e3:14.1f} {comp * 1e3:17.1f} {second * 1e3:12.2f} {setup * 1e3:16.1f}  "
                  f"{hits:.0f}/{misses:.0f}")  # fmt: skip


if __name__ == "__main__":
    import sys

    if sys.argv[1:2] == ["cold-start"]:
        cold_start(int(sys.argv[2]) if len(sys.argv) > 2 else 5)
