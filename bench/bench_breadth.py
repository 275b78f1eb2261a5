"""Breadth rows on `cpu`: matmul, conv2d, sort, einsum, fft and special functions beside NumPy/SciPy (10^6 elements)."""

from __future__ import annotations

import numpy as np

from harness import Case


def _scipy():
    try:
        import scipy.signal
        import scipy.special

        return scipy
    except ImportError:
        return None


def cases(backends):
    import jaxnc
    import jaxnc.numpy as jnp

    sp = _scipy()
    rng = np.random.default_rng(0)
    cpu = jaxnc.devices("cpu")[0]
    out = []

    def both(name, np_fn, jnp_fn, args, work=None, unit="µs", baseline="numpy", extra=None):
        dev_args = [jaxnc.device_put(a, cpu) for a in args]
        f = jaxnc.jit(jnp_fn)
        impls = {baseline: lambda: np_fn(*args), "jaxnc[cpu]": lambda: np.asarray(f(*dev_args))}
        impls.update(extra or {})
        out.append(Case(name, impls, work=work, unit=unit, baseline=baseline))

    a = rng.standard_normal((1024, 1024)).astype(np.float32)
    both("matmul 1024^3 f32", np.matmul, jnp.matmul, [a, a], work=2 * 1024**3 / 1e9, unit="GFLOP/s")
    x = rng.standard_normal(10**6).astype(np.float32)
    both("sort 1e6 f32", np.sort, jnp.sort, [x], work=1e6 / 1e6, unit="Melem/s")
    # jnp.argsort is stable by default (as JAX's), so the NumPy baseline is the stable argsort too
    both("argsort 1e6 f32 (stable)", lambda v: np.argsort(v, kind="stable"), jnp.argsort, [x], work=1, unit="Melem/s")
    z = (rng.standard_normal(2**20) + 1j * rng.standard_normal(2**20)).astype(np.complex64)
    both("fft 2^20 c64", np.fft.fft, jnp.fft.fft, [z], work=2**20 / 1e6, unit="Melem/s")
    b = rng.standard_normal((64, 128, 128)).astype(np.float32)
    both("einsum bij,bjk->bik 64x128^3", lambda p, q: np.einsum("bij,bjk->bik", p, q, optimize=True),
         lambda p, q: jnp.einsum("bij,bjk->bik", p, q), [b, b], work=2 * 64 * 128**3 / 1e9, unit="GFLOP/s")  # fmt: skip
    img = rng.standard_normal((8, 32, 64, 64)).astype(np.float32)
    ker = rng.standard_normal((32, 32, 3, 3)).astype(np.float32)

    def np_conv(i, k):
        # NumPy im2col + matmul, NCHW/OIHW, SAME padding
        p = np.pad(i, ((0, 0), (0, 0), (1, 1), (1, 1)))
        cols = np.lib.stride_tricks.sliding_window_view(p, (3, 3), axis=(2, 3))  # N C H W 3 3
        return np.einsum("nchwij,ocij->nohw", cols, k, optimize=True)

    flops = 2 * 8 * 32 * 32 * 64 * 64 * 9 / 1e9
    both("conv2d 8x32x64x64, 3x3x32", np_conv,
         lambda i, k: jaxnc.lax.conv_general_dilated(i, k, (1, 1), "SAME"), [img, ker], work=flops, unit="GFLOP/s")  # fmt: skip
    if sp is not None:
        pos = np.abs(x) + 0.5
        both("lgamma 1e6 f32", sp.special.gammaln, jaxnc.scipy.special.gammaln, [pos], work=1, unit="Melem/s",
             baseline="scipy")  # fmt: skip
        both("igamma 1e6 f32", lambda s: sp.special.gammainc(s, s), lambda s: jaxnc.scipy.special.gammainc(s, s), [pos],
             work=1, unit="Melem/s", baseline="scipy")  # fmt: skip
    return out
