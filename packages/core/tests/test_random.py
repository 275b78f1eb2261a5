"""jaxnc.random samplers: shapes/dtypes, distribution moments, determinism, jit/vmap equality, gamma gradients."""

import numpy as np
import pytest

import jaxnc
import jaxnc.numpy as jnp
import jaxnc.random as random

KEY = random.PRNGKey(0)
N = 4000


def _moments(x):
    x = np.asarray(x, np.float64)
    return x.mean(), x.var()


# (name, sampler(key, shape), mean, variance)
MOMENTS = [
    ("gamma", lambda k, s: random.gamma(k, 2.5, s), 2.5, 2.5),
    ("gamma_small", lambda k, s: random.gamma(k, 0.4, s), 0.4, 0.4),
    ("beta", lambda k, s: random.beta(k, 2.0, 3.0, s), 0.4, 0.04),
    ("chisquare", lambda k, s: random.chisquare(k, 3.0, s), 3.0, 6.0),
    ("poisson_small", lambda k, s: random.poisson(k, 3.0, s), 3.0, 3.0),
    ("poisson_large", lambda k, s: random.poisson(k, 40.0, s), 40.0, 40.0),
    ("binomial", lambda k, s: random.binomial(k, 20.0, 0.3, s), 6.0, 4.2),
    ("binomial_high_p", lambda k, s: random.binomial(k, 10.0, 0.8, s), 8.0, 1.6),
    ("geometric", lambda k, s: random.geometric(k, 0.25, s), 4.0, 12.0),
    ("exponential", lambda k, s: random.exponential(k, s), 1.0, 1.0),
    ("laplace", lambda k, s: random.laplace(k, s), 0.0, 2.0),
    ("logistic", lambda k, s: random.logistic(k, s), 0.0, np.pi**2 / 3),
    ("rayleigh", lambda k, s: random.rayleigh(k, 2.0, s), 2.0 * np.sqrt(np.pi / 2), (4 - np.pi) / 2 * 4),
    ("maxwell", lambda k, s: random.maxwell(k, s), 2 * np.sqrt(2 / np.pi), 3 - 8 / np.pi),
    ("lognormal", lambda k, s: random.lognormal(k, 0.5, s), np.exp(0.125), (np.exp(0.25) - 1) * np.exp(0.25)),
    ("weibull_min", lambda k, s: random.weibull_min(k, 1.0, 2.0, s), 0.886226925, 0.214601837),
    ("triangular", lambda k, s: random.triangular(k, 0.0, 0.25, 1.0, s), 1.25 / 3, (1 + 0.0625 - 0.25) / 18),
    ("wald", lambda k, s: random.wald(k, 1.5, s), 1.5, 1.5**3),
    ("t", lambda k, s: random.t(k, 6.0, s), 0.0, 1.5),
    ("f", lambda k, s: random.f(k, 5.0, 20.0, s), 20 / 18, 2 * 400 * 23 / (5 * 324 * 16)),
    ("pareto", lambda k, s: random.pareto(k, 5.0, s), 1.25, 5 / (16 * 3)),
    ("rademacher", lambda k, s: random.rademacher(k, s), 0.0, 1.0),
    ("generalized_normal", lambda k, s: random.generalized_normal(k, 2.0, s), 0.0, 0.5),
    ("double_sided_maxwell", lambda k, s: random.double_sided_maxwell(k, 0.0, 1.0, s), 0.0, 3.0),
    ("loggamma", lambda k, s: jnp.exp(random.loggamma(k, 3.0, s)), 3.0, 3.0),
]


@pytest.mark.parametrize("name,sampler,mean,var", MOMENTS, ids=[m[0] for m in MOMENTS])
def test_moments(name, sampler, mean, var):
    x = sampler(KEY, (N,))
    assert x.shape == (N,)
    m, v = _moments(x)
    assert abs(m - mean) < 5 * np.sqrt(var / N) + 1e-3, (m, mean)
    assert abs(v - var) < 0.15 * var + 1e-3, (v, var)
    np.testing.assert_array_equal(np.asarray(sampler(KEY, (N,))), np.asarray(x))  # deterministic in the key


@pytest.mark.parametrize("name", ["gamma", "poisson_small", "binomial", "beta", "t"])
def test_jit_and_vmap_match_eager(name):
    sampler = dict((m[0], m[1]) for m in MOMENTS)[name]
    eager = sampler(KEY, (5,))
    np.testing.assert_array_equal(jaxnc.jit(lambda k: sampler(k, (5,)))(KEY), eager)
    keys = random.split(KEY, 3)
    batched = jaxnc.vmap(lambda k: sampler(k, (5,)))(keys)
    np.testing.assert_array_equal(batched, np.stack([np.asarray(sampler(k, (5,))) for k in keys]))


def test_permutation_shuffle_choice():
    p = random.permutation(KEY, 20)
    assert sorted(p.tolist()) == list(range(20)) and p.tolist() != list(range(20))
    x = jnp.arange(12).reshape(3, 4)
    rows = random.permutation(KEY, x, axis=0)
    assert sorted(map(tuple, rows.tolist())) == sorted(map(tuple, x.tolist()))
    ind = random.permutation(KEY, x, axis=1, independent=True)
    assert all(sorted(r) == sorted(o) for r, o in zip(ind.tolist(), x.tolist(), strict=True))
    s = random.shuffle(KEY, jnp.arange(10))
    assert sorted(s.tolist()) == list(range(10))
    c = random.choice(KEY, 10, (6,), replace=False)
    assert len(set(c.tolist())) == 6
    c = random.choice(KEY, jnp.arange(5) * 10, (2, 3))
    assert c.shape == (2, 3) and all(v % 10 == 0 for v in c.ravel().tolist())
    p = jnp.array([0.0, 0.0, 1.0, 0.0])
    assert random.choice(KEY, 4, (5,), p=p).tolist() == [2] * 5
    w = random.choice(KEY, 4, (2,), replace=False, p=jnp.array([0.5, 0.5, 0.0, 0.0]))
    assert sorted(w.tolist()) == [0, 1]
    with pytest.raises(ValueError, match="larger sample"):
        random.choice(KEY, 3, (4,), replace=False)
    counts = np.bincount(np.asarray(random.choice(KEY, 3, (3000,), p=jnp.array([0.2, 0.3, 0.5]))), minlength=3) / 3000
    np.testing.assert_allclose(counts, [0.2, 0.3, 0.5], atol=0.04)


def test_shuffle_matches_sort_by_random_bits():
    """permutation is one round of sort_key_val by 32-bit random bits from split(key)[1] (JAX's construction)."""
    from jaxnc._src.random import _random_bits

    _, sub = random.split(KEY)
    bits = np.asarray(_random_bits(sub, 32, (10,)))
    np.testing.assert_array_equal(random.permutation(KEY, 10), np.argsort(bits, kind="stable"))


def test_dirichlet_multinomial_multivariate_normal():
    d = random.dirichlet(KEY, jnp.array([1.0, 2.0, 3.0]), (N,))
    np.testing.assert_allclose(np.asarray(d).sum(-1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(d).mean(0), [1 / 6, 2 / 6, 3 / 6], atol=0.02)
    m = random.multinomial(KEY, 10.0, jnp.array([0.2, 0.3, 0.5]), shape=(N,))
    assert np.all(np.asarray(m).sum(-1) == 10)
    np.testing.assert_allclose(np.asarray(m).mean(0), [2.0, 3.0, 5.0], atol=0.15)
    cov = np.array([[2.0, 0.6], [0.6, 1.0]], np.float32)
    for method in ("cholesky", "eigh", "svd"):
        s = np.asarray(random.multivariate_normal(KEY, jnp.array([1.0, -1.0]), cov, (N,), method=method))
        np.testing.assert_allclose(s.mean(0), [1.0, -1.0], atol=0.1)
        np.testing.assert_allclose(np.cov(s.T), cov, atol=0.15)


def test_orthogonal_ball_cauchy():
    q = np.asarray(random.orthogonal(KEY, 4, (2,)))
    np.testing.assert_allclose(q @ np.swapaxes(q, -1, -2), np.broadcast_to(np.eye(4), (2, 4, 4)), atol=1e-5)
    b = np.asarray(random.ball(KEY, 3, shape=(500,)))
    assert np.all(np.linalg.norm(b, axis=-1) <= 1.0 + 1e-6)
    c = np.asarray(random.cauchy(KEY, (N,)))
    assert abs(np.median(c)) < 0.1 and abs(np.median(np.abs(c)) - 1) < 0.1


def test_gamma_gradient_matches_finite_difference():
    """d sample / d alpha is the implicit reparameterization gradient: same key, nearby alpha."""
    a, eps = 2.0, 1e-3
    g = jaxnc.grad(lambda al: random.gamma(KEY, al, (8,)).sum())(a)
    fd = (np.asarray(random.gamma(KEY, a + eps, (8,)), np.float64).sum() - np.asarray(random.gamma(KEY, a - eps, (8,)), np.float64).sum()) / (2 * eps)
    np.testing.assert_allclose(float(g), fd, rtol=2e-2)
    gb = jaxnc.grad(lambda al: random.beta(KEY, al, 2.0, (8,)).sum())(1.5)
    assert np.isfinite(float(gb))


def test_errors():
    with pytest.raises(TypeError, match="PRNG key"):
        random.gamma(jnp.zeros(3), 1.0)
    with pytest.raises(ValueError, match="broadcast"):
        random.gamma(KEY, jnp.ones(3), (2,))
    with pytest.raises(ValueError, match="method"):
        random.multivariate_normal(KEY, jnp.zeros(2), jnp.eye(2), method="qr")
    assert random.key_impl(KEY) == "threefry2x32"
    np.testing.assert_array_equal(random.clone(KEY), KEY)
