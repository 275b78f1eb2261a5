"""Breadth rows on `cpu`: matmul, conv2d, sort, einsum, fft and special functions beside NumPy/SciPy (10^6 elements),
then a sweep of common jnp/scipy functions at 10^6 elements for the "no function over 3x slower" goal."""

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
    _sweep(both, rng, jaxnc, jnp, sp)
    return out


def _sweep(both, rng, jaxnc, jnp, sp) -> None:
    """Add (through `both`) one row per function at 10^6 float32 elements (1000 x 1000 for matrix ones), baseline NumPy or SciPy."""
    n = 10**6
    x = rng.standard_normal(n).astype(np.float32)
    y = rng.standard_normal(n).astype(np.float32)
    pos = np.abs(x) + 0.5
    m = rng.standard_normal((1000, 1000)).astype(np.float32)
    spd = (m @ m.T / 1000 + np.eye(1000)).astype(np.float32)
    idx = rng.integers(0, n, n).astype(np.int32)
    ints = rng.integers(0, 1000, n).astype(np.int32)
    srt = np.sort(x)
    rows = [
        ("exp", np.exp, jnp.exp, [x]), ("log", np.log, jnp.log, [pos]), ("sin", np.sin, jnp.sin, [x]),
        ("tanh", np.tanh, jnp.tanh, [x]), ("sqrt", np.sqrt, jnp.sqrt, [pos]), ("add", np.add, jnp.add, [x, y]),
        ("power", np.power, jnp.power, [pos, y]), ("arctan2", np.arctan2, jnp.arctan2, [x, y]),
        ("where", lambda a, b: np.where(a > 0, a, b), lambda a, b: jnp.where(a > 0, a, b), [x, y]),
        ("clip", lambda a: np.clip(a, -1, 1), lambda a: jnp.clip(a, -1, 1), [x]),
        ("sum", np.sum, jnp.sum, [x]), ("mean", np.mean, jnp.mean, [x]), ("max", np.max, jnp.max, [x]),
        ("std", np.std, jnp.std, [x]), ("argmax", np.argmax, jnp.argmax, [x]), ("cumsum", np.cumsum, jnp.cumsum, [x]),
        ("nansum", np.nansum, jnp.nansum, [x]), ("median", np.median, jnp.median, [x]),
        ("percentile 90", lambda a: np.percentile(a, 90), lambda a: jnp.percentile(a, 90), [x]),
        ("searchsorted", np.searchsorted, jnp.searchsorted, [srt, y]), ("unique", np.unique, lambda a: jnp.unique(a, size=1000), [ints]),
        ("take", lambda a, i: np.take(a, i), lambda a, i: jnp.take(a, i), [x, idx]),
        ("concatenate", lambda a, b: np.concatenate([a, b]), lambda a, b: jnp.concatenate([a, b]), [x, y]),
        ("pad 1000^2", lambda a: np.pad(a, 8), lambda a: jnp.pad(a, 8), [m]),
        ("roll", lambda a: np.roll(a, 7), lambda a: jnp.roll(a, 7), [x]), ("diff", np.diff, jnp.diff, [x]),
        ("bincount", lambda a: np.bincount(a, minlength=1000), lambda a: jnp.bincount(a, length=1000), [ints]),
        ("histogram 50", lambda a: np.histogram(a, 50)[0], lambda a: jnp.histogram(a, 50)[0], [x]),
        ("interp", lambda a: np.interp(a, srt[::1000], srt[::1000] ** 2),
         lambda a: jnp.interp(a, srt[::1000], srt[::1000] ** 2), [x]),
        ("convolve 16 taps", lambda a: np.convolve(a, np.ones(16, np.float32)),
         lambda a: jnp.convolve(a, np.ones(16, np.float32)), [x]),
        ("solve 1000^2", np.linalg.solve, jnp.linalg.solve, [spd, m]),
        ("inv 1000^2", np.linalg.inv, jnp.linalg.inv, [spd]), ("cholesky 1000^2", np.linalg.cholesky,
                                                                jnp.linalg.cholesky, [spd]),
        ("eigh 1000^2", lambda a: np.linalg.eigh(a)[1], lambda a: jnp.linalg.eigh(a)[1], [spd]), ("rfft 1e6", np.fft.rfft, jnp.fft.rfft, [x]),
        ("relu", lambda a: np.maximum(a, 0), jaxnc.nn.relu, [x]),
    ]  # fmt: skip
    for name, np_fn, jnp_fn, args in rows:
        both(f"sweep {name}", np_fn, jnp_fn, args)
    if sp is not None:
        special = sp.special
        rows = [
            ("erf", special.erf, jaxnc.scipy.special.erf, [x]), ("digamma", special.digamma,
                                                                  jaxnc.scipy.special.digamma, [pos]),
            ("i0e", special.i0e, jaxnc.scipy.special.i0e, [x]), ("expit", special.expit, jaxnc.scipy.special.expit,
                                                                 [x]),
            ("logsumexp", special.logsumexp, jaxnc.scipy.special.logsumexp, [x]),
            ("softmax 1000^2 rows", lambda a: special.softmax(a, axis=-1), lambda a: jaxnc.nn.softmax(a, axis=-1), [m]),
            ("ndtri", special.ndtri, jaxnc.scipy.special.ndtri, [np.clip(np.abs(x) / 5, 1e-3, 0.999)]),
        ]  # fmt: skip
        for name, sp_fn, jnp_fn, args in rows:
            both(f"sweep {name}", sp_fn, jnp_fn, args, baseline="scipy")
