"""lax.fft: FFT, IFFT, RFFT and IRFFT over the trailing axes, a linear primitive with its transpose.

The impl is numpy.fft (pocketfft: any length, not only powers of two). Transposes follow JAX: the
DFT matrix is symmetric, so FFT and IFFT transpose to themselves; RFFT transposes as the naive
"real -> complex, FFT, keep the first n//2+1" composition; IRFFT as a scaled, conjugated RFFT.
"""

from __future__ import annotations

import enum
import math

import numpy as np

from jaxnc._src import core, dtypes
from jaxnc._src.core import Primitive, Zero, get_aval
from jaxnc._src.interpreters import ad
from jaxnc._src.interpreters.batching import moveaxis
from jaxnc._src.lax import lax


class FftType(enum.IntEnum):
    """The kinds of transform, numbered as `jax.lax.FftType`."""

    FFT = 0
    IFFT = 1
    RFFT = 2
    IRFFT = 3


def _complex_dtype(dt):
    return np.dtype(np.complex128 if np.dtype(dt) in (np.float64, np.complex128) else np.complex64)


def _real_dtype(dt):
    return np.dtype(np.float64 if np.dtype(dt) in (np.float64, np.complex128) else np.float32)


fft_p = Primitive("fft")


@fft_p.def_impl
def _fft_impl(x, fft_type, fft_lengths):
    axes = tuple(range(x.ndim - len(fft_lengths), x.ndim))
    if fft_type == "FFT":
        return np.fft.fftn(x, s=fft_lengths, axes=axes).astype(x.dtype)
    if fft_type == "IFFT":
        return np.fft.ifftn(x, s=fft_lengths, axes=axes).astype(x.dtype)
    if fft_type == "RFFT":
        xw = x.astype(np.float32) if x.dtype in (dtypes.bfloat16, dtypes.float16) else x
        return np.fft.rfftn(xw, s=fft_lengths, axes=axes).astype(_complex_dtype(xw.dtype))
    return np.fft.irfftn(x, s=fft_lengths, axes=axes).astype(_real_dtype(x.dtype))


@fft_p.def_abstract_eval
def _fft_abstract_eval(x, fft_type, fft_lengths):
    k = len(fft_lengths)
    if not 1 <= k <= x.ndim or k > 3:
        raise ValueError(f"fft: fft_lengths {fft_lengths} must name 1 to 3 trailing axes of operand shape {x.shape}")
    trailing = x.shape[x.ndim - k :]
    if fft_type == "RFFT":
        if not dtypes.is_float(x.dtype):
            raise TypeError(f"fft RFFT requires a real floating operand, got {x.dtype.name}")
        if trailing != tuple(fft_lengths):
            raise ValueError(
                f"fft RFFT: trailing dimensions {trailing} of operand must equal fft_lengths {fft_lengths}"
            )
        shape = (*x.shape[:-1], fft_lengths[-1] // 2 + 1)
        return core.ShapedArray(shape, _complex_dtype(x.dtype))
    if not dtypes.is_complex(x.dtype):
        raise TypeError(f"fft {fft_type} requires a complex operand, got {x.dtype.name}")
    if fft_type == "IRFFT":
        want = (*fft_lengths[:-1], fft_lengths[-1] // 2 + 1)
        if trailing != want:
            raise ValueError(f"fft IRFFT: trailing dimensions {trailing} of operand must be {want} for fft_lengths "
                             f"{fft_lengths}")  # fmt: skip
        return core.ShapedArray((*x.shape[:-1], fft_lengths[-1]), _real_dtype(x.dtype))
    if trailing != tuple(fft_lengths):
        raise ValueError(
            f"fft {fft_type}: trailing dimensions {trailing} of operand must equal fft_lengths {fft_lengths}"
        )
    return x.strip_weak_type()


def _fft_transpose(ct, x, fft_type, fft_lengths):
    if type(ct) is Zero:
        return [None]
    if fft_type in ("FFT", "IFFT"):
        return [fft_p.bind(ct, fft_type=fft_type, fft_lengths=fft_lengths)]
    nd = get_aval(ct).ndim
    if fft_type == "RFFT":
        n = fft_lengths[-1]
        full = lax.pad(ct, lax._const(ct, 0), [(0, 0, 0)] * (nd - 1) + [(0, n - (n // 2 + 1), 0)])
        return [lax.real(fft_p.bind(full, fft_type="FFT", fft_lengths=fft_lengths))]
    y = fft_p.bind(ct, fft_type="RFFT", fft_lengths=fft_lengths)
    m = get_aval(y).shape[-1]
    odd = fft_lengths[-1] % 2
    weights = np.concatenate([[1.0], np.full(m - 2 + odd, 2.0), np.ones(1 - odd)]) / math.prod(fft_lengths)
    w = lax.broadcast_in_dim(np.asarray(weights, get_aval(y).dtype), get_aval(y).shape, (nd - 1,))
    return [lax.conj(lax.mul(y, w))]  # JAX's convention for complex cotangents


ad.deflinear(fft_p, _fft_transpose)


@fft_p.def_batch
def _fft_batch(size, vals, dims, fft_type, fft_lengths):
    x = moveaxis(vals[0], dims[0], 0)
    return fft_p.bind(x, fft_type=fft_type, fft_lengths=fft_lengths), 0


def fft(x, fft_type, fft_lengths):
    """A DFT over the trailing `len(fft_lengths)` axes, as `jax.lax.fft`.

    Args:
      x: a complex array (FFT, IFFT, IRFFT) or a real one (RFFT).
      fft_type: a FftType or its name ('FFT', 'IFFT', 'RFFT', 'IRFFT'; also 'fft', 'jax.lax.FftType.FFT').
      fft_lengths: the transform's length per trailing axis (1 to 3 of them).

    Returns:
      The transform; RFFT halves the last axis to n//2+1, IRFFT restores it to fft_lengths[-1].

    Example:
      >>> import numpy as np
      >>> from jaxnc import lax
      >>> np.asarray(lax.fft(np.array([1, 0, 0, 0], np.complex64), "FFT", (4,))).real.tolist()
      [1.0, 1.0, 1.0, 1.0]
    """
    if isinstance(fft_type, FftType):
        name = fft_type.name
    elif isinstance(fft_type, int):
        name = FftType(fft_type).name
    else:
        name = str(fft_type).rsplit(".", 1)[-1].upper()
    if name not in FftType.__members__:
        raise ValueError(f"fft_type must be one of FFT, IFFT, RFFT, IRFFT, got {fft_type!r}")
    lengths = (int(fft_lengths),) if isinstance(fft_lengths, (int, np.integer)) else tuple(int(n) for n in fft_lengths)
    return fft_p.bind(x, fft_type=name, fft_lengths=lengths)
