"""Spectral ops: DFT and STFT over jnp.fft (complex values as a trailing [real, imag] axis)."""

from __future__ import annotations

import numpy as np

import jaxnc.numpy as jnp

from ..dtypes import np_dtype
from .registry import op


def _complex(x):
    return x[..., 0].astype(jnp.complex64) if x.shape[-1] == 1 else x[..., 0] + 1j * x[..., 1]


def _pairs(y, dtype):
    return jnp.stack([jnp.real(y), jnp.imag(y)], axis=-1).astype(dtype)


@op("DFT")
def _dft(node, x, dft_length=None, axis=None):
    if node.opset < 20:
        a = node.attr("axis", 1)
    else:
        a = -2 if axis is None else node.ints(axis, "axis")[0]
    a = a + x.ndim if a < 0 else a
    if not 0 < a < x.ndim - 1:
        raise node.fail(f"axis {a} must be a signal axis of the {x.ndim}-D input (not batch or the complex axis)")
    xc = _complex(x)
    inverse, onesided = node.attr("inverse", 0), node.attr("onesided", 0)
    if inverse and onesided:  # half spectrum in, real signal out
        n = 2 * (xc.shape[a] - 1) if dft_length is None else node.ints(dft_length, "dft_length")[0]
        return jnp.fft.irfft(xc, n, axis=a)[..., None].astype(x.dtype)
    n = xc.shape[a] if dft_length is None else node.ints(dft_length, "dft_length")[0]
    y = jnp.fft.ifft(xc, n, axis=a) if inverse else jnp.fft.fft(xc, n, axis=a)
    if onesided:
        y = jnp.take(y, jnp.arange(n // 2 + 1), axis=a)
    return _pairs(y, x.dtype)


@op("STFT")
def _stft(node, signal, frame_step, window=None, frame_length=None):
    step = node.ints(frame_step, "frame_step")[0]
    length = window.shape[0] if frame_length is None else node.ints(frame_length, "frame_length")[0]
    frames = 1 + (signal.shape[1] - length) // step
    index = np.arange(frames)[:, None] * step + np.arange(length)[None, :]
    xc = jnp.take(_complex(signal), jnp.asarray(index), axis=1)  # (batch, frames, length)
    if window is not None:
        xc = xc * window
    y = jnp.fft.fft(xc, length, axis=2)
    if node.attr("onesided", 1):
        y = y[:, :, : length // 2 + 1]
    return _pairs(y, signal.dtype)


@op("MelWeightMatrix", static=True)
def _mel_weight_matrix(node, num_mel_bins, dft_length, sample_rate, lower_edge_hertz, upper_edge_hertz):
    """A host constant: triangular mel filters (num_spectrogram_bins, num_mel_bins), as the reference."""
    bins, n = node.ints(num_mel_bins, "num_mel_bins")[0], node.ints(dft_length, "dft_length")[0]
    rate = node.ints(sample_rate, "sample_rate")[0]
    lo, hi = (float(node.host(v, name).reshape(-1)[0]) for v, name in ((lower_edge_hertz, "lower_edge_hertz"),
                                                                        (upper_edge_hertz, "upper_edge_hertz")))  # fmt: skip
    mel_lo, mel_hi = 2595 * np.log1p(lo / 700) / np.log(10), 2595 * np.log1p(hi / 700) / np.log(10)
    points = np.arange(bins + 2) * ((mel_hi - mel_lo) / (bins + 2)) + mel_lo
    points = (((n + 1) * (700 * np.expm1(points / 2595 * np.log(10)))) // rate).astype(int)
    out = np.zeros((n // 2 + 1, bins))
    for i in range(bins):
        left, center, right = points[i : i + 3]
        if center == left:
            out[center, i] = 1
        else:
            out[left : center + 1, i] = (np.arange(left, center + 1) - left) / (center - left)
        if right > center:
            out[center:right, i] = (right - np.arange(center, right)) / (right - center)
    return out.astype(np_dtype(node.attr("output_datatype", 1)))
