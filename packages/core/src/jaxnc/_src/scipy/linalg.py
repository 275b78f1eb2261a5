"""jax.scipy.linalg: SciPy's linear-algebra API over lax.linalg and jnp.linalg."""

from __future__ import annotations

import numpy as np

from jaxnc._src.core import get_aval
from jaxnc._src.lax import linalg as lax_linalg
from jaxnc._src.numpy import lax_numpy as jnp
from jaxnc._src.numpy import linalg as jnp_linalg


def _arr(x):
    return x if hasattr(x, "aval") else jnp.asarray(x)


def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False, debug=None, check_finite=True):
    """Solve op(a) x = b for triangular a (trans 0/'N', 1/'T' or 2/'C').

    Example:
      >>> import jaxnc.numpy as jnp
      >>> from jaxnc.scipy.linalg import solve_triangular
      >>> solve_triangular(jnp.array([[2.0, 0.0], [1.0, 1.0]]), jnp.array([2.0, 3.0]), lower=True).tolist()
      [1.0, 2.0]
    """
    a, b = (_arr(v) for v in jnp.promote_dtypes_inexact(a, b))
    t = {0: 0, 1: 1, 2: 2, "N": 0, "T": 1, "C": 2}.get(trans)
    if t is None:
        raise ValueError(f"solve_triangular: trans must be 0, 1, 2, 'N', 'T' or 'C', got {trans!r}")
    vector = jnp.ndim(b) == jnp.ndim(a) - 1
    bb = b[..., None] if vector else b
    x = lax_linalg.triangular_solve(a, bb, left_side=True, lower=lower, transpose_a=t > 0, conjugate_a=t == 2,
                                    unit_diagonal=unit_diagonal)  # fmt: skip
    return x[..., 0] if vector else x


def cholesky(a, lower=False, overwrite_a=False, check_finite=True):
    """Cholesky factor (upper by default, as SciPy)."""
    return jnp_linalg.cholesky(a, upper=not lower)


def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    """(factor, lower) for cho_solve."""
    return cholesky(a, lower=lower), lower


def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    """Solve a x = b from cho_factor's output."""
    c, lower = c_and_lower
    if lower:
        y = solve_triangular(c, b, lower=True)
        return solve_triangular(c, y, trans="C", lower=True)
    y = solve_triangular(c, b, trans="C", lower=False)
    return solve_triangular(c, y, lower=False)


def lu_factor(a, overwrite_a=False, check_finite=True):
    """(lu, piv) with LAPACK-style row-swap pivots."""
    (a,) = jnp.promote_dtypes_inexact(a)
    lu_, pivots, _ = lax_linalg.lu(_arr(a))
    return lu_, pivots


def lu_solve(lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
    """Solve a x = b from lu_factor's output."""
    lu_, piv = lu_and_piv
    n = jnp.shape(lu_)[-1]
    perm = np.arange(n)
    piv_v = np.asarray(piv)
    for i, p in enumerate(piv_v):
        perm[[i, p]] = perm[[p, i]]
    b = _arr(b)
    vector = jnp.ndim(b) == 1
    bb = b[:, None] if vector else b
    x = jnp_linalg._lu_solve(lu_, jnp.asarray(perm.astype(np.int32)), jnp.astype(bb, get_aval(lu_).dtype), trans)
    return x[:, 0] if vector else x


def lu(a, permute_l=False, overwrite_a=False, check_finite=True):
    """p, l, u with a = p @ l @ u (or pl, u when permute_l)."""
    (a,) = jnp.promote_dtypes_inexact(a)
    a = _arr(a)
    lu_, _, perm = lax_linalg.lu(a)
    m, n = jnp.shape(a)[-2:]
    k = min(m, n)
    l_ = jnp.tril(lu_[..., :, :k], -1) + jnp.eye(m, k, dtype=get_aval(a).dtype)
    u = jnp.triu(lu_[..., :k, :])
    p = jnp.astype(jnp.equal(jnp.arange(m)[:, None], perm[..., None, :]), get_aval(a).dtype)
    if permute_l:
        return jnp.matmul(p, l_), u
    return p, l_, u


def qr(a, overwrite_a=False, lwork=None, mode="full", pivoting=False, check_finite=True):
    """QR decomposition; mode 'full', 'economic' or 'r'."""
    if mode not in ("full", "economic", "r"):
        raise ValueError(f"scipy.linalg.qr: mode must be 'full', 'economic' or 'r', got {mode!r}")
    (a,) = jnp.promote_dtypes_inexact(a)
    q, r = lax_linalg.qr(_arr(a), full_matrices=mode == "full", pivoting=pivoting)
    return (r,) if mode == "r" else (q, r)


def svd(a, full_matrices=True, compute_uv=True, overwrite_a=False, check_finite=True, lapack_driver="gesdd"):
    """Singular value decomposition (u, s, vh), or s."""
    return jnp_linalg.svd(a, full_matrices, compute_uv)


def eigh(a, b=None, lower=True, eigvals_only=False, overwrite_a=False, overwrite_b=False, turbo=True, eigvals=None,
         type=1, check_finite=True):  # noqa: A002  # fmt: skip
    """Eigenvalues (and eigenvectors) of a Hermitian matrix; the generalized problem (b) is not supported."""
    if b is not None:
        raise NotImplementedError("scipy.linalg.eigh with b (generalized problem) is not supported")
    w, v = jnp_linalg.eigh(a, "L" if lower else "U")
    return w if eigvals_only else (w, v)


def solve(a, b, lower=False, overwrite_a=False, overwrite_b=False, debug=False, check_finite=True, assume_a="gen"):
    """Solve a x = b ('gen' through LU; 'pos' through Cholesky)."""
    if assume_a == "pos":
        return cho_solve(cho_factor(a, lower=lower), b)
    return jnp_linalg.solve(a, b)


def inv(a, overwrite_a=False, check_finite=True):
    """Matrix inverse."""
    return jnp_linalg.inv(a)


def det(a, overwrite_a=False, check_finite=True):
    """Determinant."""
    return jnp_linalg.det(a)


def block_diag(*arrs):
    """Block-diagonal matrix from 2-d (or smaller) blocks."""
    if not arrs:
        return jnp.zeros((1, 0))
    arrs = [jnp.atleast_2d(_arr(a)) for a in arrs]
    arrs = [_arr(a) for a in jnp.promote_dtypes(*arrs)]
    rows = sum(jnp.shape(a)[0] for a in arrs)
    cols = sum(jnp.shape(a)[1] for a in arrs)
    out = jnp.zeros((rows, cols), get_aval(arrs[0]).dtype)
    r = c = 0
    for a in arrs:
        h, w = jnp.shape(a)
        out = out.at[r : r + h, c : c + w].set(a)
        r, c = r + h, c + w
    return out


def expm(A, *, upper_triangular=False, max_squarings=16):  # noqa: N803
    """Matrix exponential by scaling and squaring with a degree-13 Pade approximant."""
    (A,) = jnp.promote_dtypes_inexact(A)  # noqa: N806
    A = _arr(A)  # noqa: N806
    n = jnp.shape(A)[-1]
    b = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0, 129060195264000.0,
         10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0, 40840800.0, 960960.0, 16380.0, 182.0, 1.0)  # fmt: skip
    norm1 = jnp.max(jnp.sum(jnp.abs(A), axis=-2), axis=-1)
    s = jnp.maximum(0, jnp.ceil(jnp.log2(jnp.maximum(norm1, 1e-30) / 5.371920351148152)))
    s = jnp.minimum(s, max_squarings)
    A = A / jnp.astype(jnp.power(2.0, s), get_aval(A).dtype)[..., None, None]  # noqa: N806
    ident = jnp.broadcast_to(jnp.eye(n, dtype=get_aval(A).dtype), jnp.shape(A))
    A2 = A @ A  # noqa: N806
    A4 = A2 @ A2  # noqa: N806
    A6 = A4 @ A2  # noqa: N806
    u = A @ (A6 @ (b[13] * A6 + b[11] * A4 + b[9] * A2) + b[7] * A6 + b[5] * A4 + b[3] * A2 + b[1] * ident)
    v = A6 @ (b[12] * A6 + b[10] * A4 + b[8] * A2) + b[6] * A6 + b[4] * A4 + b[2] * A2 + b[0] * ident
    r = jnp_linalg.solve(v - u, v + u)
    # square s times (s is data-dependent: square max_squarings times, keeping r once the count is reached)
    for i in range(max_squarings):
        r = jnp.where(jnp.less(i, s)[..., None, None], r @ r, r)
    return r
