"""The native linalg and fft routines (lowering/routines/linalg.py, fft.py) on the reference kernel
backend, whose procs run through the interpreter: against the cpu backend's results (the primitives'
NumPy impls), by reconstruction, and on edge cases; every case asserts the routine ran as procs.
"""

from __future__ import annotations

import numpy as np
import pytest

import jaxnc
from jaxnc._src.lax import fft as lax_fft
from jaxnc._src.lax import linalg
from jaxnc._src.lowering import proc
from jaxnc._src.lowering.kernel import primitive_routine
from jaxnc._src.lowering.reference import reference_kernel_backend, run_function

RNG = np.random.default_rng(0)
F32 = np.float32
TOL = dict(rtol=2e-5, atol=2e-5)  # float32 against the impl's float64 LAPACK
# what every kernel renderer (wasm, WGSL) renders: procs may use nothing else
BASIC_OPS = {"add", "sub", "mul", "div", "rem", "sqrt", "abs", "neg", "max", "min", "eq", "ne", "lt", "le", "gt",
             "ge", "select_n", "and", "or", "not", "convert_element_type", "load", "const", "var", "local"}  # fmt: skip


@pytest.fixture
def x64():
    old = jaxnc.config.jax_enable_x64
    jaxnc.config.update("jax_enable_x64", True)
    yield
    jaxnc.config.update("jax_enable_x64", old)


def run_native(f, *args, launches: int | None = 1, **attrs):
    """Run `f` on a reference kernel backend with native routines; the outputs, after checking that
    `launches` procs ran (None: any number)."""
    backend = reference_kernel_backend(procs=True)
    for k, v in attrs.items():
        setattr(backend, k, v)
    values, _ = run_function(backend, f, *args)
    if launches is not None:
        assert backend.proc_launches == launches
    return values


def cpu(f, *args):
    out = f(*args)
    return [np.asarray(o) for o in (out if isinstance(out, (list, tuple)) else [out])]


def spd(n: int, batch=(2,), dt=F32):
    a = RNG.standard_normal((*batch, n, n))
    return (a @ np.swapaxes(a, -1, -2) + n * np.eye(n)).astype(dt)


def assert_columns_up_to_sign(got, want, **tol):
    """got[..., :, j] = ±want[..., :, j] for every column j (the sign chosen per column)."""
    signs = np.where(np.sum(got * want, axis=-2, keepdims=True) < 0, -1, 1)
    np.testing.assert_allclose(got * signs, want, **tol)


def assert_orthonormal_columns(q, **tol):
    eye = np.eye(q.shape[-1])
    np.testing.assert_allclose(np.swapaxes(q, -1, -2) @ q, np.broadcast_to(eye, (*q.shape[:-2], *eye.shape)), **tol)


# --- which ops the procs use ---------------------------------------------------------------------------


def _routine(prim, params, *in_avals):
    return primitive_routine(prim, params, in_avals, prim.out_avals(list(in_avals), params))


SOLVE = dict(left_side=True, lower=True, transpose_a=False, conjugate_a=False, unit_diagonal=False)
ROUTINES = [
    (linalg.cholesky_p, {}, [(2, 3, 3)]),
    (linalg.triangular_solve_p, SOLVE, [(3, 3), (3, 2)]),
    (linalg.lu_p, {}, [(3, 2)]),
    (linalg.qr_p, dict(full_matrices=True), [(4, 2)]),
    (linalg.eigh_p, dict(lower=True, sort_eigenvalues=True), [(3, 3)]),
    (linalg.svd_p, dict(full_matrices=True, compute_uv=True), [(2, 4)]),
]


@pytest.mark.parametrize("prim, params, shapes", ROUTINES, ids=lambda r: getattr(r, "name", ""))
def test_procs_use_only_basic_ops(prim, params, shapes):
    from jaxnc._src.core import ShapedArray

    routine = _routine(prim, params, *[ShapedArray(s, np.dtype(F32)) for s in shapes])
    program = proc.build_native(routine, reference_kernel_backend(procs=True))
    assert program is not None
    used = {op for p in program.procs for op, _ in p.ops()}
    assert used <= BASIC_OPS, used - BASIC_OPS
    # other dtypes keep the NumPy reference
    for dt in (np.float16, np.complex64):
        other = _routine(prim, params, *[ShapedArray(s, np.dtype(dt)) for s in shapes])
        assert proc.build_native(other, reference_kernel_backend(procs=True)) is None


# --- cholesky --------------------------------------------------------------------------------------------


def chol(x):
    return linalg.cholesky_p.bind(x)


def test_cholesky_matches_cpu_and_reconstructs():
    a = spd(3)
    a[:, 0, 2] = 100.0  # the upper triangle is not read
    (low,) = run_native(chol, a)
    np.testing.assert_allclose(low, cpu(chol, a)[0], **TOL)
    sym = np.tril(a) + np.swapaxes(np.tril(a, -1), -1, -2)
    np.testing.assert_allclose(low @ np.swapaxes(low, -1, -2), sym, rtol=1e-5, atol=1e-5)
    assert np.all(np.triu(low, 1) == 0)


def test_cholesky_not_positive_definite_is_nan_per_matrix():
    a = np.stack([spd(3, ()), np.diag([1.0, -1.0, 2.0]).astype(F32), np.zeros((3, 3), F32)])
    (low,) = run_native(chol, a)
    want = cpu(chol, a)[0]
    np.testing.assert_allclose(low, want, **TOL)  # NaNs in the same places
    assert np.isnan(low[1:]).all() and not np.isnan(low[0]).any()
    (one,) = run_native(chol, np.full((1, 1), 4.0, F32))
    assert one[0, 0] == 2.0


# --- triangular_solve --------------------------------------------------------------------------------------


@pytest.mark.parametrize("left_side", [True, False])
@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("transpose_a", [True, False])
@pytest.mark.parametrize("conjugate_a", [True, False])
@pytest.mark.parametrize("unit_diagonal", [True, False])
def test_triangular_solve_all_flags(left_side, lower, transpose_a, conjugate_a, unit_diagonal):
    a = spd(3)
    b = RNG.standard_normal((2, 3, 2) if left_side else (2, 2, 3)).astype(F32)

    def f(a, b):
        return linalg.triangular_solve(a, b, left_side, lower, transpose_a, conjugate_a, unit_diagonal)

    (x,) = run_native(f, a, b)
    np.testing.assert_allclose(x, cpu(f, a, b)[0], rtol=1e-5, atol=1e-5)
    t = np.tril(a) if lower else np.triu(a)
    if unit_diagonal:
        t[..., range(3), range(3)] = 1
    t = np.swapaxes(t, -1, -2) if transpose_a else t
    np.testing.assert_allclose(t @ x if left_side else x @ t, b, rtol=1e-5, atol=1e-5)


def test_triangular_solve_singular_gives_the_same_inf_nan():
    a = np.array([[2, 0, 0], [1, 0, 0], [3, 1, 4]], F32)
    b = np.ones((3, 2), F32)
    for lower, t in ((True, a), (False, a.T.copy())):
        f = lambda a, b, lower=lower: linalg.triangular_solve(a, b, left_side=True, lower=lower)  # noqa: E731
        (x,) = run_native(f, t, b)
        np.testing.assert_array_equal(x, cpu(f, t, b)[0])


# --- lu ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(2, 3, 3), (2, 4), (4, 2), (1, 1)])
def test_lu_matches_cpu_exactly(shape):
    x = RNG.standard_normal(shape).astype(F32)
    lu, piv, perm = run_native(linalg.lu_p.bind, x)
    want = cpu(linalg.lu_p.bind, x)
    np.testing.assert_allclose(lu, want[0], rtol=1e-6, atol=1e-6)  # the same float32 algorithm
    np.testing.assert_array_equal(piv, want[1])
    np.testing.assert_array_equal(perm, want[2])
    m, n = shape[-2:]
    k = min(m, n)
    low = np.tril(lu[..., :, :k], -1) + np.eye(m, k, dtype=F32)
    up = np.triu(lu[..., :k, :])
    np.testing.assert_allclose(low @ up, np.take_along_axis(x, perm[..., None], axis=-2), rtol=1e-5, atol=1e-5)


def test_lu_singular_and_zero():
    x = np.stack([np.array([[0, 1, 2], [0, 3, 4], [0, 5, 7]], F32), np.zeros((3, 3), F32),
                  np.array([[1, 2, 3], [2, 4, 6], [1, 1, 1]], F32)])  # fmt: skip
    got = run_native(linalg.lu_p.bind, x)
    for g, w in zip(got, cpu(linalg.lu_p.bind, x), strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-6)


# --- qr ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(2, 4, 2), (2, 2, 4), (3, 3), (1, 1)])
@pytest.mark.parametrize("full_matrices", [True, False])
def test_qr_matches_cpu_with_signs(shape, full_matrices):
    x = RNG.standard_normal(shape).astype(F32)

    def f(x):
        return linalg.qr_p.bind(x, full_matrices=full_matrices)

    q, r = run_native(f, x)
    wq, wr = cpu(f, x)
    np.testing.assert_allclose(q, wq, **TOL)
    np.testing.assert_allclose(r, wr, **TOL)
    np.testing.assert_allclose(q @ r, x, rtol=1e-5, atol=1e-5)
    assert_orthonormal_columns(q, atol=1e-6)
    assert np.all(np.tril(r, -1) == 0)


def test_qr_zero_column_and_zero_matrix():
    x = np.stack([np.array([[0, 1], [0, 2], [0, 3]], F32), np.zeros((3, 2), F32)])
    for full in (True, False):
        got = run_native(lambda x, full=full: linalg.qr_p.bind(x, full_matrices=full), x)
        for g, w in zip(got, cpu(lambda x, full=full: linalg.qr_p.bind(x, full_matrices=full), x), strict=True):
            np.testing.assert_allclose(g, w, **TOL)


# --- eigh --------------------------------------------------------------------------------------------------


def eigh(lower=True):
    return lambda x: linalg.eigh_p.bind(x, lower=lower, sort_eigenvalues=True)


@pytest.mark.parametrize("lower", [True, False])
def test_eigh_matches_cpu_up_to_sign(lower):
    x = spd(3) - 3.0
    x[:, 0, 2] += 1.0  # not symmetric: only the `lower` (upper) triangle is read
    v, w = run_native(eigh(lower), x)
    wv, ww = cpu(eigh(lower), x)
    np.testing.assert_allclose(w, ww, **TOL)
    assert np.all(np.diff(w, axis=-1) >= 0)
    assert_columns_up_to_sign(v, wv, **TOL)
    tri = np.tril(x) if lower else np.triu(x)
    sym = tri + np.swapaxes(tri, -1, -2) - x * np.eye(3)
    np.testing.assert_allclose(v @ (w[..., None] * np.swapaxes(v, -1, -2)), sym, rtol=1e-5, atol=2e-5)
    assert_orthonormal_columns(v, atol=1e-6)


def test_eigh_repeated_zero_and_one_by_one():
    x = np.stack([np.diag([2.0, 2.0, 5.0]), np.zeros((3, 3)), np.ones((3, 3))]).astype(F32)
    v, w = run_native(eigh(), x)
    np.testing.assert_allclose(w, cpu(eigh(), x)[1], **TOL)
    np.testing.assert_allclose(v @ (w[..., None] * np.swapaxes(v, -1, -2)), x, atol=2e-6)
    assert_orthonormal_columns(v, atol=1e-6)
    v1, w1 = run_native(eigh(), np.full((1, 1), -3.0, F32))
    assert v1[0, 0] == 1 and w1[0] == -3


def test_eigh_float64(x64):
    x = spd(4, (), np.float64)
    v, w = run_native(eigh(), x)
    wv, ww = cpu(eigh(), x)
    np.testing.assert_allclose(w, ww, rtol=1e-13)
    assert_columns_up_to_sign(v, wv, atol=1e-12)


# --- svd ---------------------------------------------------------------------------------------------------


def svd(full_matrices=True, compute_uv=True):
    return lambda x: linalg.svd_p.bind(x, full_matrices=full_matrices, compute_uv=compute_uv)


def _check_svd(x, s, u, vh):
    k = min(x.shape[-2:])
    np.testing.assert_allclose((u[..., :, :k] * s[..., None, :]) @ vh[..., :k, :], x, rtol=1e-5, atol=2e-5)
    assert_orthonormal_columns(u, atol=1e-5)
    assert_orthonormal_columns(np.swapaxes(vh, -1, -2), atol=1e-5)
    assert np.all(np.diff(s, axis=-1) <= 0)


@pytest.mark.parametrize("shape", [(2, 4, 2), (2, 2, 4), (3, 3), (1, 1)])
@pytest.mark.parametrize("full_matrices", [True, False])
def test_svd_matches_cpu_up_to_sign(shape, full_matrices):
    x = RNG.standard_normal(shape).astype(F32)
    s, u, vh = run_native(svd(full_matrices), x)
    ws, wu, wvh = cpu(svd(full_matrices), x)
    np.testing.assert_allclose(s, ws, **TOL)
    _check_svd(x, s, u, vh)
    k = min(shape[-2:])
    # each (u_j, v_j) pair is unique up to one sign
    signs = np.where(np.sum(u[..., :, :k] * wu[..., :, :k], axis=-2) < 0, -1, 1)
    np.testing.assert_allclose(u[..., :, :k] * signs[..., None, :], wu[..., :, :k], **TOL)
    np.testing.assert_allclose(vh[..., :k, :] * signs[..., :, None], wvh[..., :k, :], **TOL)
    (sv,) = run_native(svd(full_matrices, compute_uv=False), x)
    np.testing.assert_allclose(sv, ws, **TOL)


@pytest.mark.parametrize("shape", [(3, 2), (2, 3)])
def test_svd_rank_deficient_and_zero(shape):
    rank1 = np.outer(np.arange(1.0, shape[0] + 1), np.arange(2.0, shape[1] + 2))
    x = np.stack([rank1, np.zeros(shape)]).astype(F32)
    for full in (True, False):
        s, u, vh = run_native(svd(full), x)
        np.testing.assert_allclose(s, cpu(svd(full), x)[0], **TOL)
        _check_svd(x, s, u, vh)


# --- fallbacks ---------------------------------------------------------------------------------------------


def test_half_precision_keeps_the_reference():
    x = spd(3, ()).astype(np.float16)
    (low,) = run_native(chol, x, launches=0)
    np.testing.assert_allclose(low, cpu(chol, x)[0], rtol=1e-3)


# --- fft: only for a backend whose procs may see complex storage as (re, im) pairs (see routines/fft.py) --


def _fft_operand(kind: str, n: int, dt=np.complex64):
    m = n // 2 + 1 if kind == "IRFFT" else n
    x = RNG.standard_normal((2, m)) + 1j * RNG.standard_normal((2, m))
    return x.real.astype(np.finfo(dt).dtype) if kind == "RFFT" else x.astype(dt)


def fft(kind: str, n: int):
    return lambda x: lax_fft.fft_p.bind(x, fft_type=kind, fft_lengths=(n,))


@pytest.mark.parametrize("kind", ["FFT", "IFFT", "RFFT", "IRFFT"])
@pytest.mark.parametrize("n", [1, 5, 6, 8])
def test_fft_matches_cpu(kind, n):
    x = _fft_operand(kind, n)
    (got,) = run_native(fft(kind, n), x, complex_as_pairs=True)
    (want,) = cpu(fft(kind, n), x)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_fft_float64(x64):
    for kind in ("FFT", "IRFFT"):
        x = _fft_operand(kind, 16, np.complex128)
        (got,) = run_native(fft(kind, 16), x, complex_as_pairs=True)
        np.testing.assert_allclose(got, cpu(fft(kind, 16), x)[0], rtol=1e-12, atol=1e-12)


def test_fft_needs_the_backend_to_opt_in_and_one_axis():
    x = _fft_operand("FFT", 4)
    (got,) = run_native(fft("FFT", 4), x, launches=0)
    np.testing.assert_allclose(got, np.fft.fft(x), rtol=1e-5, atol=1e-5)
    x2 = np.ones((2, 4), np.complex64)
    f2 = lambda x: lax_fft.fft_p.bind(x, fft_type="FFT", fft_lengths=(2, 4))  # noqa: E731
    (got,) = run_native(f2, x2, launches=0, complex_as_pairs=True)
    np.testing.assert_allclose(got, np.fft.fft2(x2), atol=1e-6)


@pytest.mark.parametrize("n", [6, 8])
def test_fft_procs_use_only_basic_ops(n):
    from jaxnc._src.core import ShapedArray

    routine = _routine(lax_fft.fft_p, dict(fft_type="RFFT", fft_lengths=(n,)), ShapedArray((2, n), np.dtype(F32)))
    backend = reference_kernel_backend(procs=True)
    backend.complex_as_pairs = True
    program = proc.build_native(routine, backend)
    assert program is not None and {op for p in program.procs for op, _ in p.ops()} <= BASIC_OPS
