"""jnp.linalg, jnp.fft and jaxnc.scipy against NumPy/SciPy, with gradient checks and jit/vmap."""

import numpy as np
import pytest
import scipy.linalg
import scipy.special
import scipy.stats

import jaxnc
import jaxnc.numpy as jnp
import jaxnc.scipy as jsp
from jaxnc.testing import check_grads

R = np.random.default_rng(2)
A = (R.standard_normal((4, 4)) + 4 * np.eye(4)).astype(np.float32)
SPD = (A @ A.T).astype(np.float32)
B = R.standard_normal((4, 2)).astype(np.float32)
M = R.standard_normal((5, 3)).astype(np.float32)
LA = jnp.linalg

LINALG_ROWS = [
    ("solve", lambda: LA.solve(A, B), lambda: np.linalg.solve(A, B)),
    ("solve_vec", lambda: LA.solve(A, B[:, 0]), lambda: np.linalg.solve(A, B[:, 0])),
    ("inv", lambda: LA.inv(A), lambda: np.linalg.inv(A)),
    ("det", lambda: LA.det(A), lambda: np.linalg.det(A)),
    ("slogdet", lambda: LA.slogdet(A)[1], lambda: np.linalg.slogdet(A)[1]),
    ("slogdet_sign", lambda: LA.slogdet(-A)[0], lambda: np.linalg.slogdet(-A)[0]),
    ("cholesky", lambda: LA.cholesky(SPD), lambda: np.linalg.cholesky(SPD)),
    ("eigvalsh", lambda: LA.eigvalsh(SPD), lambda: np.linalg.eigvalsh(SPD)),
    ("eigvals", lambda: np.sort_complex(np.asarray(LA.eigvals(A))), lambda: np.sort_complex(np.linalg.eigvals(A))),
    ("pinv", lambda: LA.pinv(M), lambda: np.linalg.pinv(M)),
    ("lstsq", lambda: LA.lstsq(M, M[:, 0] + 1)[0], lambda: np.linalg.lstsq(M, M[:, 0] + 1)[0]),
    ("matrix_power", lambda: LA.matrix_power(A, 3), lambda: np.linalg.matrix_power(A, 3)),
    ("matrix_power_neg", lambda: LA.matrix_power(A, -2), lambda: np.linalg.matrix_power(A, -2)),
    ("matrix_rank", lambda: LA.matrix_rank(M @ M.T), lambda: np.linalg.matrix_rank(M @ M.T)),
    ("multi_dot", lambda: LA.multi_dot([M[0], M.T, M, M[0]]), lambda: np.linalg.multi_dot([M[0], M.T, M, M[0]])),
    ("tensorinv", lambda: LA.tensorinv(A.reshape(4, 2, 2), 1), lambda: np.linalg.tensorinv(A.reshape(4, 2, 2), 1)),
    ("tensorsolve", lambda: LA.tensorsolve(A.reshape(2, 2, 4), B[:, 0].reshape(2, 2)),
     lambda: np.linalg.tensorsolve(A.reshape(2, 2, 4), B[:, 0].reshape(2, 2))),
    ("cond", lambda: LA.cond(A), lambda: np.linalg.cond(A)),
    ("cond_fro", lambda: LA.cond(A, "fro"), lambda: np.linalg.cond(A, "fro")),
    ("svdvals", lambda: LA.svdvals(M), lambda: np.linalg.svd(M, compute_uv=False)),
    ("vector_norm", lambda: LA.vector_norm(M, ord=3, axis=0), lambda: np.linalg.norm(M, 3, axis=0)),
    ("matrix_norm_nuc", lambda: LA.matrix_norm(M, ord="nuc"), lambda: np.linalg.norm(M, "nuc")),
    ("trace", lambda: LA.trace(np.stack([A, A])), lambda: np.trace(np.stack([A, A]), axis1=-2, axis2=-1)),
    ("expm", lambda: jsp.linalg.expm(A / 4), lambda: scipy.linalg.expm(A / 4)),
    ("solve_triangular", lambda: jsp.linalg.solve_triangular(np.tril(A), B, lower=True, trans="T"),
     lambda: scipy.linalg.solve_triangular(np.tril(A), B, lower=True, trans="T")),
    ("cho_solve", lambda: jsp.linalg.cho_solve(jsp.linalg.cho_factor(SPD), B),
     lambda: scipy.linalg.cho_solve(scipy.linalg.cho_factor(SPD), B)),
    ("lu_solve", lambda: jsp.linalg.lu_solve(jsp.linalg.lu_factor(A), B), lambda: scipy.linalg.lu_solve(scipy.linalg.lu_factor(A), B)),
    ("lu", lambda: np.asarray(jsp.linalg.lu(A)[1]), lambda: scipy.linalg.lu(A)[1]),
    ("block_diag", lambda: jsp.linalg.block_diag(A[:2, :2], np.ones((1, 3))), lambda: scipy.linalg.block_diag(A[:2, :2], np.ones((1, 3)))),
]


@pytest.mark.parametrize("name,fn,np_fn", LINALG_ROWS, ids=[r[0] for r in LINALG_ROWS])
def test_linalg_against_numpy(name, fn, np_fn):
    np.testing.assert_allclose(np.asarray(fn()), np_fn(), rtol=2e-3, atol=2e-4)


@pytest.mark.parametrize("ord_", [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf])
def test_matrix_norms(ord_):
    np.testing.assert_allclose(LA.norm(M, ord_), np.linalg.norm(M, ord_), rtol=1e-4)


def test_decompositions_reconstruct():
    q, r = LA.qr(M)
    np.testing.assert_allclose(np.asarray(q) @ np.asarray(r), M, atol=1e-5)
    u, s, vh = LA.svd(M, full_matrices=False)
    np.testing.assert_allclose((np.asarray(u) * np.asarray(s)) @ np.asarray(vh), M, atol=1e-5)
    w, v = LA.eigh(SPD)
    np.testing.assert_allclose(np.asarray(v) @ np.diag(np.asarray(w)) @ np.asarray(v).T, SPD, rtol=1e-4, atol=1e-3)
    w, v = LA.eig(A)
    np.testing.assert_allclose(A @ np.asarray(v), np.asarray(v) * np.asarray(w), atol=1e-4)


def test_linalg_grads_and_batching():
    check_grads(lambda x: LA.det(x), (A,), order=1, rtol=5e-2, atol=5e-2)
    check_grads(lambda x: LA.solve(x, B), (A,), order=1, rtol=5e-2, atol=5e-2)
    check_grads(lambda x: LA.inv(x), (A,), order=1, rtol=5e-2, atol=5e-2)
    check_grads(lambda x: LA.slogdet(x)[1], (A,), order=1, rtol=5e-2, atol=5e-2)
    check_grads(lambda x: jnp.real(LA.eigvals(x)).sum(), (A,), modes=("fwd",), order=1, rtol=5e-2, atol=5e-2)
    batched = jaxnc.vmap(LA.det)(np.stack([A, 2 * A]))
    np.testing.assert_allclose(batched, [np.linalg.det(A), np.linalg.det(2 * A)], rtol=1e-3)
    np.testing.assert_allclose(jaxnc.jit(LA.inv)(A), np.linalg.inv(A), rtol=1e-3, atol=1e-4)


FFT_ROWS = [
    ("fft", lambda x: jnp.fft.fft(x), lambda x: np.fft.fft(x)),
    ("fft_n_pad", lambda x: jnp.fft.fft(x, 9, axis=0), lambda x: np.fft.fft(x, 9, axis=0)),
    ("fft_n_crop_ortho", lambda x: jnp.fft.fft(x, 3, norm="ortho"), lambda x: np.fft.fft(x, 3, norm="ortho")),
    ("ifft_forward", lambda x: jnp.fft.ifft(x, norm="forward"), lambda x: np.fft.ifft(x, norm="forward")),
    ("rfft", lambda x: jnp.fft.rfft(x), lambda x: np.fft.rfft(x)),
    ("irfft", lambda x: jnp.fft.irfft(jnp.fft.rfft(x), 5), lambda x: np.fft.irfft(np.fft.rfft(x), 5)),
    ("hfft", lambda x: jnp.fft.hfft(x[0], 7), lambda x: np.fft.hfft(x[0], 7)),
    ("ihfft", lambda x: jnp.fft.ihfft(x[0]), lambda x: np.fft.ihfft(x[0])),
    ("fft2", lambda x: jnp.fft.fft2(x), lambda x: np.fft.fft2(x)),
    ("ifftn_axes", lambda x: jnp.fft.ifftn(x, axes=(0,)), lambda x: np.fft.ifftn(x, axes=(0,))),
    ("rfftn_s", lambda x: jnp.fft.rfftn(x, s=(4, 6)), lambda x: np.fft.rfftn(x, s=(4, 6), axes=(0, 1))),
    ("irfft2", lambda x: jnp.fft.irfft2(jnp.fft.rfft2(x), s=x.shape), lambda x: np.fft.irfft2(np.fft.rfft2(x), s=x.shape)),
    ("fftshift", lambda x: jnp.fft.fftshift(x), lambda x: np.fft.fftshift(x)),
    ("ifftshift", lambda x: jnp.fft.ifftshift(x, axes=1), lambda x: np.fft.ifftshift(x, axes=1)),
    ("fftfreq", lambda x: jnp.fft.fftfreq(7, 0.5), lambda x: np.fft.fftfreq(7, 0.5)),
    ("rfftfreq", lambda x: jnp.fft.rfftfreq(8), lambda x: np.fft.rfftfreq(8)),
]


@pytest.mark.parametrize("name,fn,np_fn", FFT_ROWS, ids=[r[0] for r in FFT_ROWS])
def test_fft_against_numpy(name, fn, np_fn):
    x = R.standard_normal((3, 5)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(fn(x)), np_fn(x), rtol=1e-4, atol=1e-4)


def test_fft_grad_vmap_jit():
    x = R.standard_normal(6).astype(np.float32)
    check_grads(lambda v: jnp.abs(jnp.fft.rfft(v)) ** 2, (x,), order=1, rtol=5e-2, atol=5e-2)
    check_grads(lambda v: jnp.fft.irfft(jnp.fft.rfft(v) * jnp.arange(4.0)), (x,), order=1, rtol=5e-2, atol=5e-2)
    xs = R.standard_normal((2, 6)).astype(np.float32)
    np.testing.assert_allclose(jaxnc.vmap(jnp.fft.fft)(xs), np.fft.fft(xs), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(jaxnc.jit(jnp.fft.fftn)(xs), np.fft.fftn(xs), rtol=1e-4, atol=1e-4)


SPECIAL_ROWS = [
    ("erf", "erf", (-2.0, 2.0)), ("erfc", "erfc", (-2.0, 2.0)), ("erfinv", "erfinv", (-0.9, 0.9)),
    ("gammaln", "gammaln", (0.1, 8.0)), ("digamma", "digamma", (0.2, 8.0)), ("gamma", "gamma", (-3.7, 5.0)),
    ("expit", "expit", (-5.0, 5.0)), ("logit", "logit", (0.05, 0.95)), ("ndtr", "ndtr", (-5.0, 5.0)),
    ("ndtri", "ndtri", (0.05, 0.95)), ("log_ndtr", "log_ndtr", (-30.0, 8.0)), ("i0", "i0", (-6.0, 6.0)),
    ("i0e", "i0e", (-6.0, 6.0)), ("i1", "i1", (-6.0, 6.0)), ("i1e", "i1e", (-6.0, 6.0)), ("entr", "entr", (0.0, 3.0)),
    ("gammasgn", "gammasgn", (-3.7, 5.0)),
]


@pytest.mark.parametrize("name,sp_name,domain", SPECIAL_ROWS, ids=[r[0] for r in SPECIAL_ROWS])
def test_special_unary(name, sp_name, domain):
    x = np.linspace(*domain, 13).astype(np.float32)
    np.testing.assert_allclose(getattr(jsp.special, name)(x), getattr(scipy.special, sp_name)(x), rtol=2e-4, atol=1e-6)


def test_special_binary():
    a = np.array([0.5, 1.0, 2.5, 4.0], np.float32)
    x = np.array([0.3, 1.0, 2.0, 6.0], np.float32)
    for name in ("gammainc", "gammaincc", "xlogy", "xlog1py", "betaln", "beta", "poch", "rel_entr", "kl_div"):
        np.testing.assert_allclose(getattr(jsp.special, name)(a, x), getattr(scipy.special, name)(a, x), rtol=2e-4, err_msg=name)
    np.testing.assert_allclose(jsp.special.betainc(a, x, x / 7), scipy.special.betainc(a, x, x / 7), rtol=2e-4)
    np.testing.assert_allclose(jsp.special.zeta(a + 1.5, x), scipy.special.zeta(a + 1.5, x), rtol=2e-4)
    np.testing.assert_allclose(jsp.special.polygamma(1, x), scipy.special.polygamma(1, x), rtol=2e-4)
    np.testing.assert_allclose(jsp.special.multigammaln(x + 2, 3), scipy.special.multigammaln(x + 2, 3), rtol=2e-4)
    np.testing.assert_allclose(jsp.special.factorial(np.array([0.0, 3.0, 5.0])), [1.0, 6.0, 120.0], rtol=1e-5)
    assert float(jsp.special.xlogy(0.0, 0.0)) == 0.0
    check_grads(jsp.special.log_ndtr, (np.array([-12.0, -2.0, 0.5, 3.0], np.float32),), order=1, rtol=5e-2, atol=5e-2)
    check_grads(lambda v: jsp.special.xlogy(v, v + 2), (x,), order=1, rtol=5e-2, atol=5e-2)


def test_stats():
    x = np.linspace(-3, 3, 7).astype(np.float32)
    for name in ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"):
        np.testing.assert_allclose(getattr(jsp.stats.norm, name)(x, 0.5, 2.0), getattr(scipy.stats.norm, name)(x, 0.5, 2.0),
                                   rtol=1e-4, err_msg=name)  # fmt: skip
    np.testing.assert_allclose(jsp.stats.norm.ppf(np.array([0.1, 0.5]), 1.0, 2.0), scipy.stats.norm.ppf([0.1, 0.5], 1.0, 2.0), rtol=1e-4)
    pts = R.standard_normal((3, 4)).astype(np.float32)
    np.testing.assert_allclose(jsp.stats.multivariate_normal.logpdf(pts, B[:, 0], SPD),
                               scipy.stats.multivariate_normal.logpdf(pts, B[:, 0], SPD), rtol=1e-4)  # fmt: skip
