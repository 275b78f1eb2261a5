"""jax.scipy.special: special functions on lax's special primitives (gamma family, Bessel, normal CDF, entropy)."""

from __future__ import annotations

import math

import numpy as np

from jaxnc._src.core import get_aval
from jaxnc._src.lax import lax
from jaxnc._src.lax import special as lax_special
from jaxnc._src.nn import functions as _nn
from jaxnc._src.nn.functions import logsumexp  # noqa: F401 - re-exported
from jaxnc._src.numpy import lax_numpy as jnp


def softmax(x, /, *, axis=None):
    """`jax.scipy.special.softmax`: over all axes unless `axis` is given (SciPy's default, unlike `jax.nn`)."""
    return _nn.softmax(x, axis=axis)


def log_softmax(x, /, *, axis=None):
    """`jax.scipy.special.log_softmax`: over all axes unless `axis` is given (SciPy's default)."""
    return _nn.log_softmax(x, axis=axis)


def _float(*xs):
    return [x if hasattr(x, "aval") else jnp.asarray(x) for x in jnp.promote_dtypes_inexact(*xs)]


def erf(x):
    """The error function.

    Example:
      >>> from jaxnc.scipy.special import erf
      >>> round(float(erf(0.5)), 6)
      0.5205
    """
    (x,) = _float(x)
    return lax.erf(x)


def erfc(x):
    """1 - erf(x), accurate for large x."""
    (x,) = _float(x)
    return lax.erfc(x)


def erfinv(x):
    """Inverse of erf on (-1, 1)."""
    (x,) = _float(x)
    return lax.erf_inv(x)


def gammaln(x):
    """log|Gamma(x)|."""
    (x,) = _float(x)
    return lax_special.lgamma(x)


def gammasgn(x):
    """Sign of Gamma(x): 1 for x > 0, alternating between the poles for x < 0, NaN at negative integers and NaN,
    sign(0) at 0."""
    (x,) = _float(x)
    floor_x = jnp.floor(x)
    neg_sign = jnp.where(jnp.equal(jnp.remainder(floor_x, 2), 0), 1.0, -1.0)
    out = jnp.where(jnp.greater(x, 0), 1.0, neg_sign)
    out = jnp.where((jnp.less(x, 0) & jnp.equal(x, floor_x)) | jnp.isnan(x), np.nan, out)
    return jnp.astype(jnp.where(jnp.equal(x, 0), jnp.where(jnp.signbit(x), -1.0, 1.0), out), get_aval(x).dtype)


def gamma(x):
    """The gamma function, sign(Gamma(x)) * exp(log|Gamma(x)|)."""
    (x,) = _float(x)
    return gammasgn(x) * jnp.exp(gammaln(x))


def digamma(x):
    """psi(x), the logarithmic derivative of Gamma."""
    (x,) = _float(x)
    return lax_special.digamma(x)


psi = digamma


def polygamma(n, x):
    """The n-th derivative of digamma."""
    n, x = _float(n, x)
    n, x = jnp.broadcast_arrays(n, x)
    return lax_special.polygamma(n, x)


def zeta(x, q=None):
    """Hurwitz zeta sum_k (q + k)^-x (Riemann zeta when q is None)."""
    if q is None:
        q = 1.0
    x, q = _float(x, q)
    x, q = jnp.broadcast_arrays(x, q)
    return lax_special.zeta(x, q)


def gammainc(a, x):
    """Regularized lower incomplete gamma P(a, x)."""
    a, x = _float(a, x)
    a, x = jnp.broadcast_arrays(a, x)
    return lax_special.igamma(a, x)


def gammaincc(a, x):
    """Regularized upper incomplete gamma Q(a, x)."""
    a, x = _float(a, x)
    a, x = jnp.broadcast_arrays(a, x)
    return lax_special.igammac(a, x)


def betaln(a, b):
    """log|B(a, b)| = lgamma(a) + lgamma(b) - lgamma(a + b)."""
    a, b = _float(a, b)
    return gammaln(a) + gammaln(b) - gammaln(a + b)


def beta(a, b):
    """The beta function B(a, b)."""
    a, b = _float(a, b)
    return gammasgn(a) * gammasgn(b) * gammasgn(a + b) * jnp.exp(betaln(a, b))


def betainc(a, b, x):
    """Regularized incomplete beta I_x(a, b)."""
    a, b, x = _float(a, b, x)
    a, b, x = jnp.broadcast_arrays(a, b, x)
    return lax_special.betainc(a, b, x)


def factorial(n, exact=False):
    """n! as Gamma(n + 1) (0 for negative n); exact=True is not supported."""
    if exact:
        raise NotImplementedError("factorial(exact=True) is not supported; use exact=False")
    (n,) = _float(n)
    return jnp.where(jnp.less(n, 0), 0.0, jnp.exp(gammaln(n + 1)))


def poch(z, m):
    """Pochhammer symbol (z)_m = Gamma(z + m) / Gamma(z)."""
    z, m = _float(z, m)
    return jnp.where(jnp.equal(m, 0), 1.0, gammasgn(z + m) * gammasgn(z) * jnp.exp(gammaln(z + m) - gammaln(z)))


def multigammaln(a, d):
    """Log of the multivariate gamma function of dimension d."""
    (a,) = _float(a)
    d = int(d)
    const = d * (d - 1) / 4 * math.log(math.pi)
    return const + sum(gammaln(a - 0.5 * j) for j in range(d))


def xlogy(x, y):
    """x * log(y), 0 where x == 0."""
    x, y = _float(x, y)
    safe = jnp.where(jnp.equal(x, 0), 1.0, y)
    return jnp.where(jnp.equal(x, 0), 0.0, x * jnp.log(safe))


def xlog1py(x, y):
    """x * log1p(y), 0 where x == 0."""
    x, y = _float(x, y)
    safe = jnp.where(jnp.equal(x, 0), 0.0, y)
    return jnp.where(jnp.equal(x, 0), 0.0, x * jnp.log1p(safe))


def entr(x):
    """Elementwise entropy -x log x (0 at 0, -inf for x < 0)."""
    (x,) = _float(x)
    safe = jnp.where(jnp.greater(x, 0), x, 1.0)
    return jnp.where(jnp.less(x, 0), -np.inf, jnp.where(jnp.equal(x, 0), 0.0, -x * jnp.log(safe)))


def rel_entr(p, q):
    """p log(p / q) with SciPy's conventions at 0 and for negative inputs."""
    p, q = _float(p, q)
    both = jnp.greater(p, 0) & jnp.greater(q, 0)
    safe_p, safe_q = jnp.where(both, p, 1.0), jnp.where(both, q, 1.0)
    out = jnp.where(both, safe_p * jnp.log(safe_p / safe_q), np.inf)
    return jnp.where(jnp.equal(p, 0) & jnp.greater_equal(q, 0), 0.0, out)


def kl_div(p, q):
    """p log(p / q) - p + q with SciPy's conventions."""
    p, q = _float(p, q)
    return jnp.where(jnp.isinf(rel_entr(p, q)), np.inf, rel_entr(p, q) - p + q)


def expit(x):
    """The logistic sigmoid 1 / (1 + exp(-x))."""
    (x,) = _float(x)
    return lax.logistic(x)


def logit(x):
    """log(x / (1 - x)), the inverse of expit."""
    (x,) = _float(x)
    return jnp.log(x / (1 - x))


def ndtr(x):
    """Standard normal CDF."""
    (x,) = _float(x)
    return 0.5 * lax.erfc(-x * lax._const(x, 1 / math.sqrt(2)))


def ndtri(p):
    """Inverse of the standard normal CDF."""
    (p,) = _float(p)
    return lax._const(p, math.sqrt(2)) * lax.erf_inv(2 * p - 1)


def log_ndtr(x, series_order=3):
    """log of the standard normal CDF, accurate in both tails (an asymptotic series below the lower cutoff).

    Example:
      >>> from jaxnc.scipy.special import log_ndtr
      >>> round(float(log_ndtr(-30.0)), 2)
      -454.32
    """
    (x,) = _float(x)
    lower = -20.0 if get_aval(x).dtype == np.float64 else -10.0
    upper = 8.0 if get_aval(x).dtype == np.float64 else 5.0
    # log(ndtr(x)) in the middle, -ndtr(-x) = log1p(-ndtr(-x)) to first order above upper
    mid = jnp.log(ndtr(jnp.clip(x, lower, upper)))
    high = -ndtr(-jnp.maximum(x, upper))
    xl = jnp.minimum(x, lower)
    x2 = xl * xl
    series, term = jnp.ones_like(xl), jnp.ones_like(xl)
    for k in range(1, series_order + 1):
        term = term * (-(2 * k - 1)) / x2
        series = series + term
    low = -0.5 * x2 - jnp.log(-xl) - 0.5 * math.log(2 * math.pi) + jnp.log(series)
    return jnp.where(jnp.greater(x, upper), high, jnp.where(jnp.less(x, lower), low, mid))


def i0e(x):
    """Exponentially scaled modified Bessel function of order 0."""
    (x,) = _float(x)
    return lax_special.bessel_i0e(x)


def i1e(x):
    """Exponentially scaled modified Bessel function of order 1."""
    (x,) = _float(x)
    return lax_special.bessel_i1e(x)


def i0(x):
    """Modified Bessel function of order 0."""
    (x,) = _float(x)
    return jnp.exp(jnp.abs(x)) * i0e(x)


def i1(x):
    """Modified Bessel function of order 1."""
    (x,) = _float(x)
    return jnp.exp(jnp.abs(x)) * i1e(x)

