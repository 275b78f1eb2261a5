"""Polynomials as coefficient arrays (highest power first): evaluation, arithmetic, calculus, fitting, roots."""

from __future__ import annotations

import numpy as np

from jaxnc._src import core, dtypes
from jaxnc._src.core import get_aval
from jaxnc._src.numpy import lax_numpy as jnp


def _arr(x):
    return x if hasattr(x, "aval") else jnp.asarray(x)


def _1d(p, name):
    p = jnp.atleast_1d(_arr(p))
    if jnp.ndim(p) != 1:
        raise ValueError(f"{name}: polynomial coefficients must be 1-d, got shape {jnp.shape(p)}")
    return p


def polyval(p, x, *, unroll=16):
    """p[0] * x**(n-1) + ... + p[n-1] by Horner's rule.

    Example:
      >>> import jaxnc.numpy as jnp
      >>> jnp.polyval(jnp.array([1, 0, -1]), jnp.array([2, 3])).tolist()
      [3, 8]
    """
    p = _1d(p, "polyval")
    p, x = jnp.promote_dtypes(p, _arr(x))
    y = jnp.zeros_like(x)
    for i in range(jnp.shape(p)[0]):
        y = y * x + p[i]
    return y


def _align(a1, a2):
    a1, a2 = jnp.promote_dtypes(a1, a2)
    n1, n2 = jnp.shape(a1)[0], jnp.shape(a2)[0]
    if n1 < n2:
        a1 = jnp.pad(a1, (n2 - n1, 0))
    elif n2 < n1:
        a2 = jnp.pad(a2, (n1 - n2, 0))
    return a1, a2


def polyadd(a1, a2):
    """Sum of two polynomials."""
    a1, a2 = _align(_1d(a1, "polyadd"), _1d(a2, "polyadd"))
    return a1 + a2


def polysub(a1, a2):
    """Difference of two polynomials."""
    a1, a2 = _align(_1d(a1, "polysub"), _1d(a2, "polysub"))
    return a1 - a2


def polymul(a1, a2, *, trim_leading_zeros=False):
    """Product of two polynomials (the full convolution of their coefficients)."""
    from jaxnc._src.numpy.calculus import convolve

    a1, a2 = _1d(a1, "polymul"), _1d(a2, "polymul")
    if trim_leading_zeros:
        from jaxnc._src.numpy.manipulation import trim_zeros

        a1, a2 = trim_zeros(a1, "f"), trim_zeros(a2, "f")
    a1, a2 = jnp.promote_dtypes(a1, a2)
    if not dtypes.is_inexact(get_aval(a1).dtype):
        # integer coefficients: exact outer-product accumulation (convolve works in floating point)
        n1, n2 = jnp.shape(a1)[0], jnp.shape(a2)[0]
        out = jnp.zeros((n1 + n2 - 1,), get_aval(a1).dtype)
        idx = (np.arange(n1)[:, None] + np.arange(n2)[None, :]).ravel()
        return out.at[idx].add(jnp.ravel(jnp.outer(a1, a2)))
    return convolve(a1, a2)


def polydiv(u, v, *, trim_leading_zeros=False):
    """Quotient and remainder of polynomial division u / v (floating point)."""
    u, v = jnp.promote_dtypes_inexact(_1d(u, "polydiv"), _1d(v, "polydiv"))
    m, n = jnp.shape(u)[0] - 1, jnp.shape(v)[0] - 1
    scale = 1.0 / v[0]
    q = jnp.zeros((max(m - n + 1, 1),), get_aval(u).dtype)
    r = u
    for k in range(m - n + 1):
        d = scale * r[k]
        q = q.at[k].set(d)
        r = r.at[k : k + n + 1].add(-d * v)
    if trim_leading_zeros:
        from jaxnc._src.numpy.manipulation import trim_zeros

        r = trim_zeros(r, "f")
    return q, r


def polyder(p, m=1):
    """The m-th derivative of p."""
    p = _1d(p, "polyder")
    if m < 0:
        raise ValueError(f"polyder: order of derivative must be positive, got m={m}")
    for _ in range(int(m)):
        n = jnp.shape(p)[0]
        if n <= 1:
            return jnp.zeros((0,), get_aval(p).dtype) if n == 0 else p[:0]
        p = p[:-1] * jnp.arange(n - 1, 0, -1, dtype=get_aval(p).dtype)
    return p


def polyint(p, m=1, k=None):
    """The m-th antiderivative of p with integration constants k (default 0)."""
    p = _1d(p, "polyint")
    m = int(m)
    if m < 0:
        raise ValueError(f"polyint: order of integral must be non-negative, got m={m}")
    (p,) = jnp.promote_dtypes_inexact(p)
    ks = jnp.zeros((m,), get_aval(p).dtype) if k is None else jnp.ravel(jnp.asarray(k, dtype=get_aval(p).dtype))
    if jnp.shape(ks)[0] == 1 and m > 1:
        ks = jnp.broadcast_to(ks, (m,))
    if jnp.shape(ks)[0] != m:
        raise ValueError(f"polyint: k must be a scalar or have m={m} entries, got {jnp.shape(ks)[0]}")
    for i in range(m):
        n = jnp.shape(p)[0]
        p = jnp.concatenate([p / jnp.arange(n, 0, -1, dtype=get_aval(p).dtype), ks[i : i + 1]])
    return p


def poly(seq_of_zeros):
    """Coefficients of the monic polynomial with the given roots (or a square matrix's characteristic polynomial)."""
    from jaxnc._src.numpy.calculus import convolve

    z = _arr(seq_of_zeros)
    if jnp.ndim(z) == 2:
        if jnp.shape(z)[0] != jnp.shape(z)[1]:
            raise ValueError(f"poly: a 2-d input must be square, got shape {jnp.shape(z)}")
        from jaxnc._src.numpy.linalg import eigvals

        z = eigvals(z)
    elif jnp.ndim(z) != 1:
        raise ValueError(f"poly: input must be 1-d or a square 2-d array, got shape {jnp.shape(z)}")
    (z,) = jnp.promote_dtypes_inexact(z)
    a = jnp.ones((1,), get_aval(z).dtype)
    for i in range(jnp.shape(z)[0]):
        a = convolve(a, jnp.stack([jnp.ones((), get_aval(z).dtype), -z[i]]), mode="full")
    if dtypes.is_complex(get_aval(a).dtype):
        zc = core.concrete_or_error(z, "") if not isinstance(z, core.Tracer) else None
        if zc is not None and np.all(np.sort_complex(zc) == np.sort_complex(np.conj(zc))):
            a = jnp.real(a)
    return a


def polyfit(x, y, deg, rcond=None, full=False, w=None, cov=False):
    """Least-squares polynomial fit of degree `deg` (returns coefficients, highest power first).

    Example:
      >>> import jaxnc.numpy as jnp
      >>> jnp.polyfit(jnp.array([0.0, 1.0, 2.0]), jnp.array([1.0, 3.0, 5.0]), 1).round(4).tolist()
      [2.0, 1.0]
    """
    from jaxnc._src.numpy import linalg

    x, y = jnp.promote_dtypes_inexact(_arr(x), _arr(y))
    deg = int(deg)
    if deg < 0:
        raise ValueError(f"polyfit: expected deg >= 0, got {deg}")
    if jnp.ndim(x) != 1 or jnp.shape(x)[0] == 0:
        raise TypeError(f"polyfit: expected a nonempty 1-d x, got shape {jnp.shape(x)}")
    if jnp.ndim(y) not in (1, 2) or jnp.shape(y)[0] != jnp.shape(x)[0]:
        raise TypeError(f"polyfit: expected y of shape ({jnp.shape(x)[0]},) or ({jnp.shape(x)[0]}, k), got {jnp.shape(y)}")
    from jaxnc._src.numpy.creation import vander

    lhs = vander(x, deg + 1)
    rhs = y
    if w is not None:
        w = _arr(w)
        lhs = lhs * w[:, None]
        rhs = rhs * (w if jnp.ndim(rhs) == 1 else w[:, None])
    scale = jnp.sqrt(jnp.sum(lhs * lhs, axis=0))
    c, resids, rank, s = linalg.lstsq(lhs / scale, rhs, rcond)
    c = (c.T / scale).T
    if full:
        return c, resids, rank, s, rcond
    if cov:
        raise NotImplementedError("polyfit(cov=True) is not implemented yet")
    return c


def roots(p, *, strip_zeros=True):
    """Roots of the polynomial p: eigenvalues of its companion matrix (complex)."""
    from jaxnc._src.numpy.linalg import eigvals

    p = _1d(p, "roots")
    (p,) = jnp.promote_dtypes_inexact(p)
    trailing = 0
    if strip_zeros:
        v = core.concrete_or_error(p, "jnp.roots(strip_zeros=True) needs concrete coefficients; pass strip_zeros=False "
                                      "under jit")  # fmt: skip
        nz = np.flatnonzero(v)
        if nz.size == 0:
            return jnp.zeros((0,), dtypes.promote_types(get_aval(p).dtype, np.complex64))
        trailing = len(v) - nz[-1] - 1
        p = p[nz[0] : nz[-1] + 1]
    n = jnp.shape(p)[0] - 1
    if n < 1:
        r = jnp.zeros((0,), dtypes.promote_types(get_aval(p).dtype, np.complex64))
    else:
        companion = jnp.eye(n, k=-1, dtype=get_aval(p).dtype)
        companion = companion.at[0, :].set(-p[1:] / p[0])
        r = eigvals(companion)
    return jnp.concatenate([r, jnp.zeros((trailing,), get_aval(r).dtype)]) if trailing else r
