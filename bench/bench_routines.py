"""Native routines (procedures) against the host NumPy routine they replace, on one kernel backend.

    python bench/bench_routines.py webgpu      # or wasm

Each row times a jitted call plus its readback (best of 5) with the backend's native routines, then
with `runs_procs` off (the primitive's NumPy reference on the host, data copied through it), and
checks the two agree.
"""

from __future__ import annotations

import sys
import time

import numpy as np

import jaxnc
import jaxnc.lax as lax
import jaxnc.numpy as jnp

RNG = np.random.default_rng(0)


def _spd(batch: int, n: int) -> np.ndarray:
    a = RNG.standard_normal((batch, n, n))
    return (a @ np.swapaxes(a, -1, -2) + n * np.eye(n)).astype(np.float32)


CASES = [
    ("cumsum f32[1024,1024] axis 1", lambda x: lax.cumsum(x, axis=1), [RNG.standard_normal((1024, 1024)).astype(np.float32)]),
    ("cumsum f32[64,16384] axis 1", lambda x: lax.cumsum(x, axis=1), [RNG.standard_normal((64, 16384)).astype(np.float32)]),
    ("sort f32[256,1024]", lambda x: jnp.sort(x, axis=1), [RNG.standard_normal((256, 1024)).astype(np.float32)]),
    ("argsort i32[64,4096]", lambda x: jnp.argsort(x, axis=1), [RNG.integers(0, 1000, (64, 4096)).astype(np.int32)]),
    ("scatter_add f32[1M], 100k idx", lambda x, i, v: x.at[i].add(v),
     [np.zeros(1 << 20, np.float32), RNG.integers(0, 1 << 20, 100_000).astype(np.int32),
      RNG.standard_normal(100_000).astype(np.float32)]),
    ("gather f32[100k,16] 50k rows", lambda x, i: x[i],
     [RNG.standard_normal((100_000, 16)).astype(np.float32), RNG.integers(0, 100_000, 50_000).astype(np.int32)]),
    ("cholesky f32[64,32,32]", lax.linalg.cholesky, [_spd(64, 32)]),
    ("|rfft| f32[256,1024]", lambda x: jnp.abs(jnp.fft.rfft(x)), [RNG.standard_normal((256, 1024)).astype(np.float32)]),
]  # fmt: skip


def _best_ms(fn, args, repeat: int = 5) -> tuple[float, np.ndarray]:
    out = np.asarray(fn(*args))
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = np.asarray(fn(*args))
        times.append(time.perf_counter() - t0)
    return min(times) * 1e3, out


def main(platform: str) -> None:
    device = jaxnc.devices(platform)[0]
    backend = device.backend
    print(f"{platform}: {device}")
    for name, fn, arrays in CASES:
        args = [jaxnc.device_put(a, device) for a in arrays]
        native_ms, native = _best_ms(jaxnc.jit(fn), args)
        backend.runs_procs = False
        try:
            host_ms, host = _best_ms(jaxnc.jit(fn), args)
        finally:
            del backend.runs_procs
        ok = np.allclose(native, host, rtol=1e-3, atol=1e-3)
        print(f"{name:32s} native {native_ms:9.2f} ms   host {host_ms:9.2f} ms   agree {ok}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "webgpu")
