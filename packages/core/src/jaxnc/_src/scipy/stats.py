"""jax.scipy.stats: the normal and multivariate normal distributions' densities and CDFs."""

from __future__ import annotations

import math
from types import SimpleNamespace

from jaxnc._src.numpy import lax_numpy as jnp
from jaxnc._src.numpy import linalg as jnp_linalg
from jaxnc._src.scipy import special


def _norm_args(x, loc, scale):
    return [v if hasattr(v, "aval") else jnp.asarray(v) for v in jnp.promote_dtypes_inexact(x, loc, scale)]


def norm_logpdf(x, loc=0, scale=1):
    """log N(x; loc, scale^2)."""
    x, loc, scale = _norm_args(x, loc, scale)
    z = (x - loc) / scale
    return -0.5 * z * z - jnp.log(scale) - 0.5 * math.log(2 * math.pi)


def norm_pdf(x, loc=0, scale=1):
    """N(x; loc, scale^2)."""
    return jnp.exp(norm_logpdf(x, loc, scale))


def norm_cdf(x, loc=0, scale=1):
    """P(X <= x) for X ~ N(loc, scale^2)."""
    x, loc, scale = _norm_args(x, loc, scale)
    return special.ndtr((x - loc) / scale)


def norm_logcdf(x, loc=0, scale=1):
    """log P(X <= x)."""
    x, loc, scale = _norm_args(x, loc, scale)
    return special.log_ndtr((x - loc) / scale)


def norm_sf(x, loc=0, scale=1):
    """P(X > x)."""
    x, loc, scale = _norm_args(x, loc, scale)
    return special.ndtr(-(x - loc) / scale)


def norm_logsf(x, loc=0, scale=1):
    """log P(X > x)."""
    x, loc, scale = _norm_args(x, loc, scale)
    return special.log_ndtr(-(x - loc) / scale)


def norm_ppf(q, loc=0, scale=1):
    """The quantile function."""
    q, loc, scale = _norm_args(q, loc, scale)
    return loc + scale * special.ndtri(q)


def mvn_logpdf(x, mean, cov, allow_singular=None):
    """log density of a multivariate normal with full covariance (Cholesky based)."""
    x, mean, cov = _norm_args(x, mean, cov)
    if jnp.ndim(cov) < 2:
        cov = jnp.diag(jnp.broadcast_to(cov, jnp.shape(mean)[-1:])) if jnp.ndim(cov) == 1 else cov * jnp.eye(jnp.shape(mean)[-1])
    n = jnp.shape(cov)[-1]
    chol = jnp_linalg.cholesky(cov)
    from jaxnc._src.scipy.linalg import solve_triangular

    y = solve_triangular(chol, jnp.moveaxis(x - mean, -1, 0) if jnp.ndim(x) > 1 else x - mean, lower=True)
    y = jnp.moveaxis(y, 0, -1) if jnp.ndim(x) > 1 else y
    half_logdet = jnp.sum(jnp.log(jnp.diagonal(chol, axis1=-2, axis2=-1)), axis=-1)
    return -0.5 * jnp.sum(y * y, axis=-1) - half_logdet - 0.5 * n * math.log(2 * math.pi)


def mvn_pdf(x, mean, cov):
    """density of a multivariate normal."""
    return jnp.exp(mvn_logpdf(x, mean, cov))


norm = SimpleNamespace(logpdf=norm_logpdf, pdf=norm_pdf, cdf=norm_cdf, logcdf=norm_logcdf, sf=norm_sf, logsf=norm_logsf,
                       ppf=norm_ppf)  # fmt: skip
multivariate_normal = SimpleNamespace(logpdf=mvn_logpdf, pdf=mvn_pdf)
