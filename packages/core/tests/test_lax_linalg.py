"""lax.linalg against numpy.linalg, reconstruction identities, finite differences (float64), vmap, jit."""

import numpy as np
import pytest

import jaxnc
from jaxnc.lax import linalg
from jaxnc.testing import check_grads


@pytest.fixture(autouse=True)
def x64():
    old = jaxnc.config.jax_enable_x64
    jaxnc.config.update("jax_enable_x64", True)
    yield
    jaxnc.config.update("jax_enable_x64", old)


def _spd(rng, batch=(3,), n=4):
    a = rng.standard_normal((*batch, n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def test_cholesky():
    rng = np.random.default_rng(0)
    spd = _spd(rng)
    np.testing.assert_allclose(np.asarray(linalg.cholesky(spd)), np.linalg.cholesky(spd), rtol=1e-12)
    out = np.asarray(linalg.cholesky(np.stack([spd[0], -spd[1]])))
    assert np.isfinite(out[0]).all() and np.isnan(out[1][np.tril_indices(4)]).all()  # not PD: NaNs, as in JAX
    check_grads(linalg.cholesky, (spd,), order=2)


def test_eigh():
    spd = _spd(np.random.default_rng(1))
    v, w = linalg.eigh(spd)
    np.testing.assert_allclose(np.asarray(w), np.linalg.eigvalsh(spd), rtol=1e-12)
    v, w = np.asarray(v), np.asarray(w)
    np.testing.assert_allclose(v @ (w[..., None] * np.swapaxes(v, -1, -2)), spd, atol=1e-10)
    check_grads(lambda x: linalg.eigh(x)[1], (spd,), order=2)
    # eigenvectors are defined up to sign: fix it before differentiating
    check_grads(lambda x: (lambda v: v * jaxnc.numpy.sign(v[..., :1, :]))(linalg.eigh(x)[0]), (spd,), order=1)


def _checked_lu(x, atol):
    """linalg.lu(x) with P x = L U and |L| <= 1 (partial pivoting) checked; returns (piv, perm, m, k)."""
    lu, piv, perm = (np.asarray(o) for o in linalg.lu(x))
    m, n = x.shape[-2:]
    k = min(m, n)
    lower = np.tril(lu[..., :, :k], -1) + np.eye(m, k)
    np.testing.assert_allclose(np.take_along_axis(x, perm[..., None], -2), lower @ np.triu(lu[..., :k, :]), atol=atol)
    assert np.all(np.abs(lower) <= 1 + 1e-12)
    return piv, perm, m, k


@pytest.mark.parametrize("shape", [(4, 4), (2, 5, 3), (2, 3, 5)])
def test_lu(shape):
    x = np.random.default_rng(2).standard_normal(shape)
    piv, perm, m, k = _checked_lu(x, 1e-12)
    assert piv.dtype == perm.dtype == np.int32 and piv.shape == (*shape[:-2], k)
    # pivots replay into the permutation (LAPACK's convention)
    p = np.broadcast_to(np.arange(m), (*shape[:-2], m)).copy().reshape(-1, m)
    for b, row in enumerate(piv.reshape(-1, k)):
        for j, q in enumerate(row):
            p[b, [j, q]] = p[b, [q, j]]
    np.testing.assert_array_equal(p.reshape(perm.shape), perm)
    check_grads(lambda x: linalg.lu(x)[0], (x,), order=2)


@pytest.mark.parametrize("shape", [(5, 3), (2, 4, 4), (3, 5)])
def test_qr(shape):
    x = np.random.default_rng(3).standard_normal(shape)
    for full in (True, False):
        q, r = (np.asarray(o) for o in linalg.qr(x, full_matrices=full))
        qn, rn = np.linalg.qr(x, mode="complete" if full else "reduced")
        np.testing.assert_allclose(np.abs(q), np.abs(qn), atol=1e-12)
        np.testing.assert_allclose(q @ r, x, atol=1e-12)
    if shape[-2] >= shape[-1]:
        check_grads(lambda x: linalg.qr(x, full_matrices=False), (x,), order=2)
    else:
        with pytest.raises(NotImplementedError, match="m >= n"):
            jaxnc.jvp(lambda x: linalg.qr(x, full_matrices=False), (x,), (x,))


@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 5), (4, 4)])
def test_svd(shape):
    x = np.random.default_rng(4).standard_normal(shape)
    u, s, vh = (np.asarray(o) for o in linalg.svd(x, full_matrices=False))
    np.testing.assert_allclose(s, np.linalg.svd(x, compute_uv=False), rtol=1e-12)
    np.testing.assert_allclose((u * s[..., None, :]) @ vh, x, atol=1e-12)
    assert linalg.svd(x, full_matrices=True)[0].shape[-1] == shape[-2]
    check_grads(lambda x: linalg.svd(x, compute_uv=False), (x,), order=2)
    # u and vh are defined up to paired signs: differentiate sign-free combinations
    check_grads(lambda x: (lambda u, s, vh: (u @ vh, s))(*linalg.svd(x, full_matrices=False)), (x,), order=1)


@pytest.mark.parametrize("left_side,lower,transpose_a,unit_diagonal", [(True, True, False, False), (True, False, True, False),
                                                                       (False, True, False, True), (False, False, True, False)])  # fmt: skip
def test_triangular_solve(left_side, lower, transpose_a, unit_diagonal):
    rng = np.random.default_rng(5)
    a = rng.standard_normal((2, 4, 4)) + 4 * np.eye(4)
    b = rng.standard_normal((2, 4, 3) if left_side else (2, 3, 4))
    x = np.asarray(linalg.triangular_solve(a, b, left_side, lower, transpose_a, False, unit_diagonal))
    t = np.tril(a) if lower else np.triu(a)
    if unit_diagonal:
        t[..., range(4), range(4)] = 1
    op = np.swapaxes(t, -1, -2) if transpose_a else t
    np.testing.assert_allclose(op @ x if left_side else x @ op, b, atol=1e-12)
    check_grads(lambda a, b: linalg.triangular_solve(a, b, left_side, lower, transpose_a, False, unit_diagonal), (a, b),
                order=2)  # fmt: skip


@pytest.mark.parametrize("shape", [(2, 150, 200), (200, 130), (140, 140)])
def test_blocked_lu_over_several_panels(shape):
    """LU in 64-column panels (trailing updates by matmul) still factors P A = L U with partial pivoting."""
    _checked_lu(np.random.default_rng(7).standard_normal(shape), 1e-11)


@pytest.mark.parametrize("left_side", [True, False])
@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("transpose_a", [False, True])
def test_blocked_triangular_solve(left_side, lower, transpose_a):
    """n > 128 goes through block substitution; a zero on the diagonal still gives inf/NaN, not an error."""
    rng = np.random.default_rng(8)
    n = 150
    a = rng.standard_normal((2, n, n)) + 8 * np.eye(n)
    b = rng.standard_normal((2, n, 5) if left_side else (2, 5, n))
    x = np.asarray(linalg.triangular_solve(a, b, left_side, lower, transpose_a, False, False))
    t = np.tril(a) if lower else np.triu(a)
    op = np.swapaxes(t, -1, -2) if transpose_a else t
    np.testing.assert_allclose(op @ x if left_side else x @ op, b, atol=1e-10)
    a[:, 100, 100] = 0
    x = np.asarray(linalg.triangular_solve(a, b, left_side, lower, transpose_a, False, False))
    assert not np.isfinite(x).all()


def test_linalg_vmap_matches_loop():
    rng = np.random.default_rng(6)
    xs = rng.standard_normal((4, 3, 5))  # batch on axis 2
    spd = _spd(rng, (3,))
    cases = [
        (lambda x: linalg.svd(x, compute_uv=False), xs, 2),
        (lambda x: linalg.qr(x.T, full_matrices=False)[1], xs, 2),
        (lambda x: linalg.lu(x)[0], xs, 2),
        (lambda x: linalg.eigh(x)[1], spd, 0),
        (linalg.cholesky, spd, 0),
    ]
    for f, x, ax in cases:
        got = np.asarray(jaxnc.vmap(f, in_axes=ax)(x))
        want = np.stack([np.asarray(f(np.take(x, i, ax))) for i in range(x.shape[ax])])
        np.testing.assert_allclose(got, want, atol=1e-12)
    t = np.tril(rng.standard_normal((4, 4))) + 4 * np.eye(4)
    got = jaxnc.vmap(lambda b: linalg.triangular_solve(t, b, left_side=True, lower=True))(
        xs[..., :4].transpose(2, 0, 1)
    )
    want = [np.asarray(linalg.triangular_solve(t, xs[..., i], left_side=True, lower=True)) for i in range(4)]
    np.testing.assert_allclose(np.asarray(got), np.stack(want), atol=1e-12)


def test_linalg_jit_matches_eager():
    spd = _spd(np.random.default_rng(7), ())

    def f(x):
        return linalg.cholesky(x), linalg.eigh(x)[1], linalg.lu(x)[0], linalg.qr(x)[1], linalg.svd(x, compute_uv=False)

    for a, b in zip(jaxnc.tree.leaves(jaxnc.jit(f)(spd)), jaxnc.tree.leaves(f(spd)), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-12)


def test_linalg_errors_name_the_problem():
    with pytest.raises(ValueError, match="square"):
        linalg.cholesky(np.zeros((3, 4)))
    with pytest.raises(TypeError, match="floating"):
        linalg.qr(np.zeros((3, 4), np.int32))
    with pytest.raises(TypeError, match="does not match"):
        linalg.triangular_solve(np.eye(3), np.zeros((4, 2)), left_side=True)
