"""lax.fft against numpy.fft, gradients through real-valued wrappers (which exercise every transpose), vmap, jit."""

import numpy as np
import pytest

import jaxnc
from jaxnc import lax
from jaxnc.testing import check_grads


@pytest.fixture(autouse=True)
def x64():
    old = jaxnc.config.jax_enable_x64
    jaxnc.config.update("jax_enable_x64", True)
    yield
    jaxnc.config.update("jax_enable_x64", old)


def _c(rng, shape, dt=np.complex128):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dt)


@pytest.mark.parametrize("lengths", [(7,), (4, 6), (3, 5, 2)])
def test_fft_matches_numpy(lengths):
    rng = np.random.default_rng(0)
    axes = tuple(range(-len(lengths), 0))
    x = _c(rng, (2, *lengths))
    np.testing.assert_allclose(np.asarray(lax.fft(x, "FFT", lengths)), np.fft.fftn(x, axes=axes), atol=1e-12)
    np.testing.assert_allclose(
        np.asarray(lax.fft(x, lax.FftType.IFFT, lengths)), np.fft.ifftn(x, axes=axes), atol=1e-12
    )
    r = rng.standard_normal((2, *lengths))
    y = lax.fft(r, "RFFT", lengths)
    np.testing.assert_allclose(np.asarray(y), np.fft.rfftn(r, axes=axes), atol=1e-12)
    np.testing.assert_allclose(np.asarray(lax.fft(y, "IRFFT", lengths)), r, atol=1e-12)


def test_fft_dtypes_and_errors():
    jaxnc.config.update("jax_enable_x64", False)
    x = _c(np.random.default_rng(1), (8,), np.complex64)
    assert lax.fft(x, "FFT", (8,)).dtype == np.complex64
    assert lax.fft(x.real.copy(), "RFFT", (8,)).dtype == np.complex64
    assert lax.fft(x[:5], "IRFFT", (8,)).dtype == np.float32
    with pytest.raises(TypeError, match="complex operand"):
        lax.fft(x.real.copy(), "FFT", (8,))
    with pytest.raises(ValueError, match="trailing dimensions"):
        lax.fft(x, "FFT", (4,))
    with pytest.raises(ValueError, match="fft_type"):
        lax.fft(x, "DCT", (8,))


@pytest.mark.parametrize("lengths", [(6,), (5,), (3, 4)])
def test_fft_grads_through_real_wrappers(lengths):
    rng = np.random.default_rng(2)
    re, im = rng.standard_normal((2, *lengths)), rng.standard_normal((2, *lengths))
    for kind in ("FFT", "IFFT"):

        def f(re, im, kind=kind):
            y = lax.fft(lax.complex(re, im), kind, lengths)
            return lax.real(y), lax.imag(y)

        check_grads(f, (re, im), order=2)

    def rfft(x):
        y = lax.fft(x, "RFFT", lengths)
        return lax.real(y), lax.imag(y)

    check_grads(rfft, (re,), order=2)
    half = (*lengths[:-1], lengths[-1] // 2 + 1)
    a, b = rng.standard_normal((2, *half)), rng.standard_normal((2, *half))
    check_grads(lambda a, b: lax.fft(lax.complex(a, b), "IRFFT", lengths), (a, b), order=2)


def test_fft_vmap_and_jit():
    rng = np.random.default_rng(3)
    x = _c(rng, (3, 4, 5))  # vmapped over the last axis, which the FFT would otherwise read
    got = np.asarray(jaxnc.vmap(lambda x: lax.fft(x, "FFT", (4,)), in_axes=2)(x))
    np.testing.assert_allclose(
        got, np.stack([np.asarray(lax.fft(x[..., i], "FFT", (4,))) for i in range(5)]), atol=1e-12
    )
    r = rng.standard_normal((3, 6))
    np.testing.assert_allclose(np.asarray(jaxnc.jit(lambda r: lax.fft(r, "RFFT", (6,)))(r)), np.fft.rfft(r), atol=1e-12)
