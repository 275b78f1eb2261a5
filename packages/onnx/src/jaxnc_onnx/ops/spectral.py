"""Spectral ops: DFT and STFT over jnp.fft (complex values as a trailing [real, imag] axis)."""

from __future__ import annotations

import numpy as np

import jaxnc.numpy as jnp

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
