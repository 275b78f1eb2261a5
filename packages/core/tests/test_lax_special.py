"""lax special functions against SciPy (a test-only oracle) within the bounds docs/lax.md states,
derivatives against finite differences (float64), vmap and jit."""

import numpy as np
import pytest
import scipy.special as sc

import jaxnc
from jaxnc import lax
from jaxnc.testing import check_grads


@pytest.fixture(autouse=True)
def x64():
    old = jaxnc.config.jax_enable_x64
    jaxnc.config.update("jax_enable_x64", True)
    yield
    jaxnc.config.update("jax_enable_x64", old)


RNG = np.random.default_rng(0)
X = np.concatenate([RNG.uniform(-10, 10, 400), RNG.uniform(0, 3, 200), RNG.uniform(10, 200, 100), [-2.5, 0.5, 1e-8]])
XP = np.abs(X) + 0.01
A = np.exp(RNG.uniform(-3, 5, 500))
AX = A * np.exp(RNG.uniform(-2, 2, 500))


@pytest.mark.parametrize("name,fn,ref,args,rtol,atol", [
    ("lgamma", lax.lgamma, sc.gammaln, (X,), 1e-13, 1e-13),
    ("digamma", lax.digamma, sc.digamma, (X[np.abs(X - np.round(X)) > 1e-3],), 1e-12, 1e-13),
    ("polygamma", lax.polygamma, sc.polygamma, (np.full_like(XP, 3.0), XP), 1e-13, 0),
    ("zeta", lax.zeta, sc.zeta, (RNG.uniform(1.01, 20, 500), RNG.uniform(0.01, 30, 500)), 1e-13, 0),
    ("igamma", lax.igamma, sc.gammainc, (A, AX), 1e-12, 1e-14),
    ("igammac", lax.igammac, sc.gammaincc, (A, AX), 1e-12, 1e-14),
    ("bessel_i0e", lax.bessel_i0e, sc.i0e, (3 * X,), 1e-13, 0),
    ("bessel_i1e", lax.bessel_i1e, sc.i1e, (3 * X,), 1e-13, 0),
    ("betainc", lax.betainc, sc.betainc, (np.exp(RNG.uniform(-2, 3, 300)), np.exp(RNG.uniform(-2, 3, 300)),
                                          RNG.uniform(0, 1, 300)), 1e-12, 1e-14),
])  # fmt: skip
def test_matches_scipy(name, fn, ref, args, rtol, atol):
    np.testing.assert_allclose(np.asarray(fn(*args)), ref(*args), rtol=rtol, atol=atol, err_msg=name)


def test_edge_values():
    np.testing.assert_array_equal(
        np.asarray(lax.lgamma(np.array([0.0, -1.0, 1.0, 2.0, np.inf]))), [np.inf] * 2 + [0, 0, np.inf]
    )
    assert np.isnan(np.asarray(lax.digamma(np.array([0.0, -2.0])))).all()
    assert np.asarray(lax.zeta(np.array(1.0), np.array(2.0))) == np.inf
    np.testing.assert_array_equal(np.asarray(lax.igamma(np.array([1.0, 1.0]), np.array([0.0, np.inf]))), [0, 1])
    assert np.isnan(np.asarray(lax.igamma(np.array(-1.0), np.array(1.0))))
    assert np.asarray(lax.bessel_i0e(np.array(np.inf))) == 0


def test_float32_rounds_the_float64_reference():
    jaxnc.config.update("jax_enable_x64", False)
    x = np.linspace(0.1, 9, 50, dtype=np.float32)
    out = lax.lgamma(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(
        np.asarray(out), sc.gammaln(x.astype(np.float64)).astype(np.float32), rtol=1e-6, atol=1e-7
    )


def test_random_gamma_grad_is_the_implicit_derivative():
    u = RNG.uniform(0.05, 0.95, 200)
    a = np.exp(RNG.uniform(-1, 3, 200))
    x = sc.gammaincinv(a, u)
    h = 1e-6 * a
    numeric = (sc.gammaincinv(a + h, u) - sc.gammaincinv(a - h, u)) / (2 * h)
    np.testing.assert_allclose(np.asarray(lax.random_gamma_grad(a, x)), numeric, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(lax.igamma_grad_a(a, x)),
                               (sc.gammainc(a + h, x) - sc.gammainc(a - h, x)) / (2 * h), rtol=1e-5, atol=1e-9)  # fmt: skip


@pytest.mark.parametrize("fn,args", [
    (lax.lgamma, (np.array([0.3, 2.5, 7.0, -1.5]),)),
    (lax.digamma, (np.array([0.3, 2.5, 7.0, -1.5]),)),
    (lambda x: lax.polygamma(np.full_like(x, 2.0), x), (np.array([0.3, 2.5, 7.0]),)),
    (lambda q: lax.zeta(np.full_like(q, 3.0), q), (np.array([0.5, 2.0, 9.0]),)),
    (lax.igamma, (np.array([0.5, 2.0, 5.0]), np.array([0.7, 3.0, 2.0]))),
    (lax.igammac, (np.array([0.5, 2.0, 5.0]), np.array([0.7, 3.0, 2.0]))),
    (lax.bessel_i0e, (np.array([-3.0, 0.2, 20.0]),)),
    (lax.bessel_i1e, (np.array([-3.0, 0.2, 20.0]),)),
    (lambda x: lax.betainc(np.full_like(x, 2.0), np.full_like(x, 3.0), x), (np.array([0.2, 0.5, 0.9]),)),
])  # fmt: skip
def test_derivatives(fn, args):
    # igamma's derivative in a is itself a finite difference (~1e-8): first order only there
    order = 1 if fn in (lax.igamma, lax.igammac) else 2
    check_grads(fn, args, order=order, rtol=1e-5 if order == 2 else 1e-6, eps=1e-4)


def test_no_derivative_is_named():
    with pytest.raises(NotImplementedError, match="betainc.*with respect to a"):
        jaxnc.grad(lambda a: lax.betainc(a, 2.0, 0.5))(1.5)


def test_vmap_and_jit():
    a, x = A[:6].reshape(2, 3), AX[:6].reshape(3, 2).T
    got = jaxnc.vmap(lax.igamma, in_axes=(0, 1))(a, x.T)
    np.testing.assert_allclose(np.asarray(got), sc.gammainc(a, x), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(jaxnc.jit(lax.digamma)(XP)), sc.digamma(XP), rtol=1e-12)


def test_round_away_from_zero_is_exact_where_adding_half_rounds():
    """lax.round's default (XLA's round-nearest-afz): 0.49999997 -> 0 and odd 2**23 + 1 stay put."""
    x = np.array([np.nextafter(np.float32(0.5), np.float32(0)), 2.0**23 + 1, -(2.0**23 + 1), 2.5, -2.5, -0.4],
                 np.float32)  # fmt: skip
    got = np.asarray(lax.round(x))
    np.testing.assert_array_equal(got, np.array([0.0, 2.0**23 + 1, -(2.0**23 + 1), 3.0, -3.0, -0.0], np.float32))
    assert np.signbit(got[-1])


def test_erf_erfc_float64_accuracy_and_special_values():
    """Cephes' rational erf/erfc (vectorised; was a per-element math.erf loop) against SciPy in float64."""
    x = np.concatenate([RNG.uniform(-6, 6, 2000), RNG.uniform(-26, 26, 1000), RNG.uniform(-1e-3, 1e-3, 100),
                        [1.0, -1.0, 8.0, -8.0, 1e-300, 26.5]])  # fmt: skip
    np.testing.assert_allclose(np.asarray(lax.erf(x)), sc.erf(x), rtol=1e-15, atol=1e-300)
    np.testing.assert_allclose(np.asarray(lax.erfc(x)), sc.erfc(x), rtol=1e-13, atol=1e-300)
    special = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 40.0, -40.0])
    np.testing.assert_array_equal(np.asarray(lax.erf(special)), [1, -1, np.nan, 0, -0.0, 1, -1])
    np.testing.assert_array_equal(np.asarray(lax.erfc(special)), [0, 2, np.nan, 1, 1, 0, 2])
    assert np.signbit(np.asarray(lax.erf(np.array(-0.0))))
