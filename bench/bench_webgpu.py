"""WebGPU backend rows: matmul GFLOP/s (f32, f16), fused elementwise and copy GB/s, reductions, small-call
latency, an MLP training step and conv2d.

Each row puts jaxnc[webgpu] beside NumPy, jaxnc[cpu] and, where PyTorch sees a CUDA GPU, torch[cuda]
(fp32 matmul with TF32 off). Every call waits for its result (`block_until_ready` or a read back).
Sizes are for a real GPU; `JAXNC_BENCH_SMALL=1` shrinks them for a software adapter.
Run: `JAXNC_PLATFORMS=webgpu,cpu python bench/run.py --only webgpu --backends webgpu cpu`.
"""

from __future__ import annotations

import os

import numpy as np

from harness import Case

SMALL = os.environ.get("JAXNC_BENCH_SMALL", "") not in ("", "0")


def _devices(backends):
    import jaxnc

    return {b: jaxnc.devices(b)[0] for b in backends if b in ("webgpu", "cpu")}


def _torch():
    try:
        import torch
    except ImportError:
        return None
    if not torch.cuda.is_available():
        return None
    torch.backends.cuda.matmul.allow_tf32 = False
    return torch


def _jaxnc_impls(devices, fn, arrays, read=False) -> dict:
    import jaxnc

    impls = {}
    for b, d in devices.items():
        xs = [jaxnc.device_put(a, d) for a in arrays]
        f = jaxnc.jit(fn)
        if read:
            impls[f"jaxnc[{b}]"] = lambda f=f, xs=xs: np.asarray(f(*xs))
        else:
            impls[f"jaxnc[{b}]"] = lambda f=f, xs=xs: f(*xs).block_until_ready()
    return impls


def _torch_impl(torch, fn, arrays, read=False):
    ts = [torch.from_numpy(a).cuda() for a in arrays]

    def run():
        out = fn(*ts)
        if read:
            return out.cpu().numpy()
        torch.cuda.synchronize()
        return out

    return run


def cases(backends) -> list[Case]:
    import jaxnc.numpy as jnp

    devices = _devices(backends)
    if "webgpu" not in devices:
        return []
    if SMALL:  # the CPU cost of big shapes on lavapipe
        devices.pop("cpu", None)
    torch = _torch()
    rng = np.random.default_rng(0)
    out: list[Case] = []

    # f32 and f16 matmul through jit(jnp.matmul)
    sizes = (256,) if SMALL else (1024, 4096)
    for n in sizes:
        for dt in (np.float32, np.float16):
            a_np = rng.standard_normal((n, n)).astype(dt)
            b_np = rng.standard_normal((n, n)).astype(dt)
            impls = {"numpy": lambda a=a_np, b=b_np: a @ b} if dt == np.float32 and n <= 1024 else {}
            impls.update(_jaxnc_impls({"webgpu": devices["webgpu"]} if dt == np.float16 or n > 1024 else devices,
                                      jnp.matmul, [a_np, b_np]))  # fmt: skip
            if torch is not None:
                impls["torch[cuda]"] = _torch_impl(torch, torch.matmul, [a_np, b_np])
            name = f"matmul {n}^3 {np.dtype(dt).name}"
            out.append(Case(name, impls, work=2 * n**3 / 1e9, unit="GFLOP/s", baseline="jaxnc[webgpu]"))

    # fused hypot: 2 arrays in, 1 out
    n = (1 << 20) if SMALL else (1 << 26)
    x_np = rng.standard_normal(n).astype(np.float32)
    y_np = rng.standard_normal(n).astype(np.float32)
    impls = {"numpy": lambda: np.hypot(x_np, y_np)}
    impls.update(_jaxnc_impls(devices, jnp.hypot, [x_np, y_np]))
    if torch is not None:
        impls["torch[cuda]"] = _torch_impl(torch, torch.hypot, [x_np, y_np])
    out.append(Case(f"fused hypot, 2x{n >> 20}M f32", impls, work=3 * 4 * n / 1e9, unit="GB/s"))
    # the device's copy bandwidth (read + write), the yardstick of the hypot goal: torch's clone, and
    # the cheapest one-in one-out kernel of each backend
    impls = {}
    impls.update(_jaxnc_impls({"webgpu": devices["webgpu"]}, jnp.negative, [x_np]))
    if torch is not None:
        impls["torch[cuda]"] = _torch_impl(torch, torch.neg, [x_np])
        impls["torch[cuda] clone"] = _torch_impl(torch, torch.clone, [x_np])
    out.append(Case(f"copy (negate), {n >> 20}M f32", impls, work=2 * 4 * n / 1e9, unit="GB/s",
                    baseline="jaxnc[webgpu]"))  # fmt: skip

    # reductions: full sum (read back) and row sums
    impls = {"numpy": lambda: float(x_np.sum())}
    impls.update(_jaxnc_impls(devices, jnp.sum, [x_np], read=True))
    if torch is not None:
        impls["torch[cuda]"] = _torch_impl(torch, torch.sum, [x_np], read=True)
    out.append(Case(f"sum, {n >> 20}M f32", impls, work=4 * n / 1e9, unit="GB/s"))
    m_np = x_np.reshape(-1, 4096 if not SMALL else 1024)
    impls = {"numpy": lambda: m_np.sum(axis=1)}
    impls.update(_jaxnc_impls(devices, lambda a: jnp.sum(a, axis=1), [m_np]))
    if torch is not None:
        impls["torch[cuda]"] = _torch_impl(torch, lambda a: a.sum(1), [m_np])
    out.append(Case(f"row sums {m_np.shape[0]}x{m_np.shape[1]} f32", impls, work=4 * n / 1e9, unit="GB/s"))

    # latency: a small jitted program read back, and an eager op read back
    s_np = np.ones(16, np.float32)
    impls = {"numpy": lambda: np.asarray(s_np * 2.0 + s_np)}
    impls.update(_jaxnc_impls(devices, lambda s: s * 2.0 + s, [s_np], read=True))
    if torch is not None:
        impls["torch[cuda]"] = _torch_impl(torch, lambda s: s * 2.0 + s, [s_np], read=True)
    out.append(Case("jitted small call + read, 16 f32", impls))
    import jaxnc

    impls = {"numpy": lambda: np.asarray(s_np + s_np)}
    for b, d in devices.items():
        s = jaxnc.device_put(s_np, d)
        impls[f"jaxnc[{b}]"] = lambda s=s: np.asarray(s + s)
    out.append(Case("eager add + read, 16 f32", impls))
    out.append(_mlp_case(devices, torch, rng))
    out.append(_conv_case(devices, torch, rng))
    return out


def _mlp_case(devices, torch, rng) -> Case:
    """One jitted training step (forward, backward, SGD update) of a 2-layer MLP, loss read back."""
    import jaxnc
    import jaxnc.numpy as jnp

    batch, d_in, hidden, d_out = (64, 64, 128, 10) if SMALL else (4096, 1024, 4096, 10)
    x_np = rng.standard_normal((batch, d_in)).astype(np.float32)
    y_np = rng.integers(0, d_out, batch).astype(np.int32)
    p_np = {"w1": (rng.standard_normal((d_in, hidden)) / np.sqrt(d_in)).astype(np.float32),
            "b1": np.zeros(hidden, np.float32),
            "w2": (rng.standard_normal((hidden, d_out)) / np.sqrt(hidden)).astype(np.float32),
            "b2": np.zeros(d_out, np.float32)}  # fmt: skip

    def loss(p, x, y):
        logits = jaxnc.nn.relu(x @ p["w1"] + p["b1"]) @ p["w2"] + p["b2"]
        return -jnp.mean(jnp.sum(jaxnc.nn.log_softmax(logits) * jaxnc.nn.one_hot(y, d_out), -1))

    @jaxnc.jit
    def step(p, x, y):
        v, g = jaxnc.value_and_grad(loss)(p, x, y)
        return jaxnc.tree.map(lambda a, b: a - 0.01 * b, p, g), v

    impls = {}
    for b, d in devices.items():
        state = {"p": jaxnc.device_put(p_np, d)}
        xd, yd = jaxnc.device_put(x_np, d), jaxnc.device_put(y_np, d)

        def run(state=state, xd=xd, yd=yd):
            state["p"], v = step(state["p"], xd, yd)
            return float(v)

        impls[f"jaxnc[{b}]"] = run
    if torch is not None:
        tp = {k: torch.from_numpy(v).cuda().requires_grad_() for k, v in p_np.items()}
        tx, ty = torch.from_numpy(x_np).cuda(), torch.from_numpy(y_np).long().cuda()

        def run_torch():
            logits = torch.relu(tx @ tp["w1"] + tp["b1"]) @ tp["w2"] + tp["b2"]
            v = torch.nn.functional.cross_entropy(logits, ty)
            grads = torch.autograd.grad(v, list(tp.values()))
            with torch.no_grad():
                for t, g in zip(tp.values(), grads, strict=True):
                    t -= 0.01 * g
            return float(v)

        impls["torch[cuda]"] = run_torch
    flops = 6 * batch * (d_in * hidden + hidden * d_out) / 1e9  # forward 2, backward 4 per weight and row
    return Case(f"MLP step {batch}x{d_in}-{hidden}-{d_out} (jit, SGD)", impls, work=flops, unit="GFLOP/s",
                baseline="jaxnc[webgpu]")  # fmt: skip


def _conv_case(devices, torch, rng) -> Case:
    """conv2d NCHW/OIHW, 3x3, stride 1, SAME padding, through jit(lax.conv_general_dilated)."""
    import jaxnc

    n, c, hw, k = (2, 8, 16, 8) if SMALL else (32, 64, 56, 64)
    x_np = rng.standard_normal((n, c, hw, hw)).astype(np.float32)
    w_np = (rng.standard_normal((k, c, 3, 3)) / np.sqrt(9 * c)).astype(np.float32)
    impls = _jaxnc_impls(devices, lambda x, w: jaxnc.lax.conv_general_dilated(x, w, (1, 1), "SAME"), [x_np, w_np])
    if torch is not None:
        torch.backends.cudnn.allow_tf32 = False
        conv = torch.nn.functional.conv2d
        impls["torch[cuda]"] = _torch_impl(torch, lambda x, w: conv(x, w, padding=1), [x_np, w_np])
    flops = 2 * n * k * hw * hw * c * 9 / 1e9
    name = f"conv2d {n}x{c}x{hw}x{hw} * {k}x{c}x3x3 f32"
    return Case(name, impls, work=flops, unit="GFLOP/s", baseline="jaxnc[webgpu]")


SWEEP = ((128, 128, 8, 8, 8), (128, 128, 8, 8, 8, "single"), (128, 128, 16, 8, 8), (128, 128, 16, 8, 8, "single"),
         (128, 64, 8, 8, 4), (64, 128, 8, 4, 8), (64, 64, 8, 4, 4), (64, 64, 16, 4, 4))


def sweep_tiles(n: int = 4096, tiles=SWEEP, trusted=(False, True)) -> None:
    """Print f32 matmul GFLOP/s of each tile (BM, BN, BK, TM, TN, flags) on the default webgpu device,
    with naga's bounds checks and without them (`runtime.trusted_matmul`)."""
    import time

    import jaxnc
    import jaxnc.numpy as jnp

    d = jaxnc.devices("webgpu")[0]
    rng = np.random.default_rng(0)
    a_np, b_np = rng.standard_normal((2, n, n)).astype(np.float32)
    a, b = jaxnc.device_put(a_np, d), jaxnc.device_put(b_np, d)
    want = (a_np[:64].astype(np.float64) @ b_np.astype(np.float64)).astype(np.float32)
    print(f"adapter: {d.backend.adapter}; workgroup storage {d.backend.runtime.limits['max-compute-workgroup-storage-size']}")
    rt = d.backend.runtime
    for trust in trusted:
        rt.trusted_matmul = trust
        for tile in tiles:
            rt.matmul_tiles = (tile,)
            d.backend.clear_caches()
            d.backend.runtime._pipelines.clear()
            f = jaxnc.jit(lambda x, y: jnp.matmul(x, y))  # a new function: nothing cached from the last tile
            t0 = time.perf_counter()
            out = f(a, b)
            out.block_until_ready()
            first = time.perf_counter() - t0
            err = float(np.abs(np.asarray(out)[:64] - want).max())
            best = float("inf")
            for _ in range(3):
                t0 = time.perf_counter()
                for _ in range(5):
                    out = f(a, b)
                out.block_until_ready()
                best = min(best, (time.perf_counter() - t0) / 5)
            (kernel,) = [k for k in d.backend._kernels.values()]
            print(f"tile {tile} trusted={trust} {kernel.strategy}: {2 * n**3 / best / 1e9:.0f} GFLOP/s "
                  f"(first call {first * 1e3:.0f} ms, max err {err:.2e})", flush=True)  # fmt: skip


if __name__ == "__main__":
    sweep_tiles()
