"""jnp.fft: NumPy's FFT API (any axes, lengths and norm) over lax.fft, one axis at a time."""

from __future__ import annotations

import math

import numpy as np

from jaxnc._src import dtypes
from jaxnc._src.core import get_aval
from jaxnc._src.lax import fft as lax_fft
from jaxnc._src.lax import lax
from jaxnc._src.numpy import lax_numpy as jnp

_NORMS = (None, "backward", "ortho", "forward")


def _fit(a, axis, n):
    """Crop or zero-pad axis of a to length n."""
    m = jnp.shape(a)[axis]
    if n < 1:
        raise ValueError(f"fft: invalid number of data points ({n}) specified")
    if m > n:
        return lax.slice_in_dim(a, 0, n, axis=axis)
    if m < n:
        cfg = [(0, 0)] * jnp.ndim(a)
        cfg[axis] = (0, n - m)
        return jnp.pad(a, cfg)
    return a


def _one_axis(a, kind, axis, n):
    """One lax.fft over `axis` (moved last and back)."""
    a = jnp.moveaxis(a, axis, -1)
    out = lax_fft.fft(a, kind, (n,))
    return jnp.moveaxis(out, -1, axis)


def _scale(out, norm, total, inverse):
    if norm not in _NORMS:
        raise ValueError(f"fft: invalid norm {norm!r}; expected one of 'backward', 'ortho', 'forward'")
    if norm in (None, "backward"):
        return out
    if norm == "ortho":
        f = math.sqrt(total) if inverse else 1 / math.sqrt(total)
    else:  # "forward": the forward transform divides, the inverse does not
        f = total if inverse else 1 / total
    return lax.mul(out, lax._const(out, f))


def _prep(a, s, axes, name):
    a = jnp.asarray(a) if not hasattr(a, "aval") else a
    nd = jnp.ndim(a)
    if s is not None:
        s = (int(s),) if np.ndim(s) == 0 else tuple(int(v) for v in s)
        if axes is None:
            axes = tuple(range(nd - len(s), nd))
    if axes is None:
        axes = tuple(range(nd))
    axes = tuple(int(ax) % nd if nd else int(ax) for ax in ((axes,) if np.ndim(axes) == 0 else axes))
    if len(set(axes)) != len(axes):
        raise ValueError(f"{name}: repeated axes are not supported, got axes={axes}")
    if s is not None and len(s) != len(axes):
        raise ValueError(f"{name}: s and axes must have the same length, got s={s} and axes={axes}")
    return a, s, axes


def _complex(a):
    dt = get_aval(a).dtype
    return jnp.astype(a, dtypes.promote_types(dt if dtypes.is_inexact(dt) else dtypes.default_float_dtype(), np.complex64))


def _c2c(a, s, axes, norm, inverse, name):
    a, s, axes = _prep(a, s, axes, name)
    a = _complex(a)
    ns = s if s is not None else tuple(jnp.shape(a)[ax] for ax in axes)
    for ax, n in zip(axes, ns, strict=True):
        a = _one_axis(_fit(a, ax, n), "IFFT" if inverse else "FFT", ax, n)
    return _scale(a, norm, math.prod(ns), inverse)


def _r2c(a, s, axes, norm, name):
    a, s, axes = _prep(a, s, axes, name)
    if dtypes.is_complex(get_aval(a).dtype):
        raise TypeError(f"{name} requires real input, got dtype {get_aval(a).dtype}")
    (a,) = jnp.promote_dtypes_inexact(a)
    ns = s if s is not None else tuple(jnp.shape(a)[ax] for ax in axes)
    a = _one_axis(_fit(a, axes[-1], ns[-1]), "RFFT", axes[-1], ns[-1])
    for ax, n in zip(axes[:-1], ns[:-1], strict=True):
        a = _one_axis(_fit(a, ax, n), "FFT", ax, n)
    return _scale(a, norm, math.prod(ns), False)


def _c2r(a, s, axes, norm, name):
    a, s, axes = _prep(a, s, axes, name)
    a = _complex(a)
    ns = s if s is not None else tuple(jnp.shape(a)[ax] for ax in axes[:-1]) + (2 * (jnp.shape(a)[axes[-1]] - 1),)
    for ax, n in zip(axes[:-1], ns[:-1], strict=True):
        a = _one_axis(_fit(a, ax, n), "IFFT", ax, n)
    last = ns[-1]
    a = _one_axis(_fit(a, axes[-1], last // 2 + 1), "IRFFT", axes[-1], last)
    return _scale(a, norm, math.prod(ns), True)


def fft(a, n=None, axis=-1, norm=None):
    """1-d discrete Fourier transform (any length).

    Example:
      >>> import jaxnc.numpy as jnp
      >>> jnp.fft.fft(jnp.array([1.0, 0.0, 0.0])).real.tolist()
      [1.0, 1.0, 1.0]
    """
    return _c2c(a, None if n is None else (n,), (axis,), norm, False, "fft")


def ifft(a, n=None, axis=-1, norm=None):
    """1-d inverse DFT."""
    return _c2c(a, None if n is None else (n,), (axis,), norm, True, "ifft")


def rfft(a, n=None, axis=-1, norm=None):
    """1-d DFT of real input: the n//2 + 1 non-negative frequencies."""
    return _r2c(a, None if n is None else (n,), (axis,), norm, "rfft")


def irfft(a, n=None, axis=-1, norm=None):
    """Inverse of rfft: a real signal of length n (default 2 * (m - 1))."""
    return _c2r(a, None if n is None else (n,), (axis,), norm, "irfft")


_SWAP = {None: "forward", "backward": "forward", "forward": "backward", "ortho": "ortho"}


def hfft(a, n=None, axis=-1, norm=None):
    """DFT of a signal with Hermitian symmetry (given by its first half): a real spectrum."""
    return irfft(jnp.conj(_complex(jnp.asarray(a))), n, axis, _SWAP[norm])


def ihfft(a, n=None, axis=-1, norm=None):
    """Inverse of hfft: the first half of the Hermitian-symmetric signal of a real spectrum."""
    return jnp.conj(rfft(a, n, axis, _SWAP[norm]))


def fftn(a, s=None, axes=None, norm=None):
    """N-d DFT over axes (default all, or the last len(s))."""
    return _c2c(a, s, axes, norm, False, "fftn")


def ifftn(a, s=None, axes=None, norm=None):
    """N-d inverse DFT."""
    return _c2c(a, s, axes, norm, True, "ifftn")


def rfftn(a, s=None, axes=None, norm=None):
    """N-d DFT of real input (the last axis halved)."""
    return _r2c(a, s, axes, norm, "rfftn")


def irfftn(a, s=None, axes=None, norm=None):
    """Inverse of rfftn."""
    return _c2r(a, s, axes, norm, "irfftn")


def fft2(a, s=None, axes=(-2, -1), norm=None):
    """2-d DFT over axes."""
    return fftn(a, s, axes, norm)


def ifft2(a, s=None, axes=(-2, -1), norm=None):
    """2-d inverse DFT."""
    return ifftn(a, s, axes, norm)


def rfft2(a, s=None, axes=(-2, -1), norm=None):
    """2-d DFT of real input."""
    return rfftn(a, s, axes, norm)


def irfft2(a, s=None, axes=(-2, -1), norm=None):
    """Inverse of rfft2."""
    return irfftn(a, s, axes, norm)


def fftfreq(n, d=1.0, *, dtype=None, device=None):
    """Sample frequencies of an n-point DFT: [0, 1, ..., n/2-1, -n/2, ..., -1] / (d n)."""
    n = int(n)
    dt = dtypes.canonicalize_dtype(dtype) if dtype is not None else dtypes.default_float_dtype()
    k = np.concatenate([np.arange(0, (n - 1) // 2 + 1), np.arange(-(n // 2), 0)])
    return jnp.asarray(k, dtype=dt) / jnp.asarray(d * n, dtype=dt)


def rfftfreq(n, d=1.0, *, dtype=None, device=None):
    """Sample frequencies of rfft: [0, 1, ..., n//2] / (d n)."""
    n = int(n)
    dt = dtypes.canonicalize_dtype(dtype) if dtype is not None else dtypes.default_float_dtype()
    return jnp.asarray(np.arange(0, n // 2 + 1), dtype=dt) / jnp.asarray(d * n, dtype=dt)


def fftshift(x, axes=None):
    """Move the zero frequency to the center."""
    x = jnp.asarray(x) if not hasattr(x, "aval") else x
    axes = tuple(range(jnp.ndim(x))) if axes is None else ((axes,) if np.ndim(axes) == 0 else tuple(axes))
    return jnp.roll(x, [jnp.shape(x)[ax] // 2 for ax in axes], axes)


def ifftshift(x, axes=None):
    """Inverse of fftshift."""
    x = jnp.asarray(x) if not hasattr(x, "aval") else x
    axes = tuple(range(jnp.ndim(x))) if axes is None else ((axes,) if np.ndim(axes) == 0 else tuple(axes))
    return jnp.roll(x, [-(jnp.shape(x)[ax] // 2) for ax in axes], axes)
