"""lax.linalg: cholesky, eigh, lu, qr, svd and triangular_solve as primitives with all of their rules.

Impls use numpy.linalg (and a vectorized partial-pivoting LU, which NumPy lacks), batched over
leading dimensions. JVP rules are the standard matrix-calculus formulas JAX uses; each decomposition
batches by moving the vmapped axis to the front (the impls already batch over leading dims).
"""

from __future__ import annotations

import numpy as np

from jaxnc._src import core, dtypes
from jaxnc._src.core import Primitive, Zero, get_aval, is_undefined_primal
from jaxnc._src.interpreters import ad
from jaxnc._src.interpreters.batching import bdim_at_front, moveaxis
from jaxnc._src.lax import lax

# --- helpers over lax ops --------------------------------------------------------------------------


def _T(x):
    nd = get_aval(x).ndim
    return lax.transpose(x, (*range(nd - 2), nd - 1, nd - 2))


def _H(x):
    x = _T(x)
    return lax.conj(x) if dtypes.is_complex(get_aval(x).dtype) else x


def _matmul(a, b):
    nd = get_aval(a).ndim
    batch = tuple(range(nd - 2))
    return lax.dot_general(a, b, (((nd - 1,), (nd - 2,)), (batch, batch)))


def _tri_mask(shape, k: int, lower: bool):
    rows = lax.broadcasted_iota(dtypes.int32, shape, len(shape) - 2)
    cols = lax.broadcasted_iota(dtypes.int32, shape, len(shape) - 1)
    diff = lax.sub(cols, rows)  # j - i
    return lax.le(diff, lax.full_like(diff, k)) if lower else lax.ge(diff, lax.full_like(diff, k))


def _tril(x, k: int = 0):
    return lax.select(_tri_mask(get_aval(x).shape, k, True), x, lax.full_like(x, 0))


def _triu(x, k: int = 0):
    return lax.select(_tri_mask(get_aval(x).shape, k, False), x, lax.full_like(x, 0))


def _eye_like(x, n: int | None = None):
    a = get_aval(x)
    n = a.shape[-1] if n is None else n
    shape = (*a.shape[:-2], n, n)
    eq = lax.eq(
        lax.broadcasted_iota(dtypes.int32, shape, len(shape) - 2),
        lax.broadcasted_iota(dtypes.int32, shape, len(shape) - 1),
    )
    return lax.convert_element_type(eq, a.dtype)


def _diag(x):
    """The diagonal of (..., n, n) as (..., n)."""
    a = get_aval(x)
    return lax.reduce_sum(lax.mul(x, _eye_like(x)), (a.ndim - 1,))


def _real(x):
    return lax.real(x) if dtypes.is_complex(get_aval(x).dtype) else x


def _to(x, dt):
    return x if get_aval(x).dtype == dt else lax.convert_element_type(x, dt)


def _check_square(name: str, x: core.ShapedArray) -> None:
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"{name} requires a batch of square matrices (..., n, n), got shape {x.shape}")
    if not dtypes.is_inexact(x.dtype):
        raise TypeError(f"{name} requires a floating or complex dtype, got {x.dtype.name}")


def _check_matrix(name: str, x: core.ShapedArray) -> None:
    if x.ndim < 2:
        raise ValueError(f"{name} requires a batch of matrices (..., m, n), got shape {x.shape}")
    if not dtypes.is_inexact(x.dtype):
        raise TypeError(f"{name} requires a floating or complex dtype, got {x.dtype.name}")


def _work(x: np.ndarray):
    """float16/bfloat16 are computed in float32 (numpy.linalg does not take them)."""
    return x.astype(np.float32) if x.dtype in (dtypes.bfloat16, dtypes.float16) else x


def _front_batch(prim: Primitive):
    def rule(size, vals, dims, **params):
        x = moveaxis(vals[0], dims[0], 0)
        outs = prim.bind(x, **params)
        return outs, ([0] * len(outs) if prim.multiple_results else 0)

    prim.def_batch(rule)


# --- cholesky --------------------------------------------------------------------------------------

cholesky_p = Primitive("cholesky")


@cholesky_p.def_impl
def _cholesky_impl(x):
    xw = _work(x)
    flat = xw.reshape(-1, *x.shape[-2:])
    out = np.empty_like(flat)
    for i, m in enumerate(flat):  # NaNs for a matrix that is not positive definite, as in JAX
        try:
            out[i] = np.linalg.cholesky(m)
        except np.linalg.LinAlgError:
            out[i] = np.nan
    return out.reshape(x.shape).astype(x.dtype)


@cholesky_p.def_abstract_eval
def _cholesky_abstract_eval(x):
    _check_square("cholesky", x)
    return x.strip_weak_type()


@cholesky_p.def_jvp
def _cholesky_jvp(primals, tangents):
    # L' = L phi(L^-1 A' L^-H), phi: lower triangle with the diagonal halved (Murray 2016, arXiv:1602.07527)
    (x,), (x_dot,) = primals, tangents
    L = _tril(cholesky_p.bind(x))
    if type(x_dot) is Zero:
        return L, Zero(get_aval(L).to_tangent_aval())
    tmp = triangular_solve(L, x_dot, left_side=False, transpose_a=True, conjugate_a=True, lower=True)
    inner = triangular_solve(L, tmp, left_side=True, transpose_a=False, lower=True)
    half = lax.add(lax.full_like(inner, 1), _eye_like(inner))
    return L, _matmul(L, lax.div(_tril(inner), half))


_front_batch(cholesky_p)


# --- eigh ------------------------------------------------------------------------------------------

eigh_p = Primitive("eigh", multiple_results=True)


@eigh_p.def_impl
def _eigh_impl(x, lower, sort_eigenvalues):
    w, v = np.linalg.eigh(_work(x), UPLO="L" if lower else "U")  # ascending eigenvalues
    return [v.astype(x.dtype), w.astype(_real_dtype(x.dtype))]


def _real_dtype(dt):
    return np.dtype(np.float32 if dt == dtypes.complex64 else np.float64) if dtypes.is_complex(dt) else np.dtype(dt)


@eigh_p.def_abstract_eval
def _eigh_abstract_eval(x, lower, sort_eigenvalues):
    _check_square("eigh", x)
    return [x.strip_weak_type(), core.ShapedArray(x.shape[:-1], _real_dtype(x.dtype))]


@eigh_p.def_jvp
def _eigh_jvp(primals, tangents, lower, sort_eigenvalues):
    # w' = diag(V^H A' V), V' = V (F ∘ V^H A' V) with F_ij = 1 / (w_j - w_i) off the diagonal
    (x,), (x_dot,) = primals, tangents
    v, w = eigh_p.bind(x, lower=lower, sort_eigenvalues=sort_eigenvalues)
    if type(x_dot) is Zero:
        return [v, w], [Zero(get_aval(v).to_tangent_aval()), Zero(get_aval(w).to_tangent_aval())]
    nd = get_aval(w).ndim
    w_c = _to(w, get_aval(x).dtype)
    eye = _eye_like(x)
    diffs = lax.sub(lax.broadcast_in_dim(w_c, get_aval(x).shape, (*range(nd - 1), nd)),
                    lax.broadcast_in_dim(w_c, get_aval(x).shape, tuple(range(nd))))  # fmt: skip
    F = lax.sub(lax.div(lax.full_like(eye, 1), lax.add(eye, diffs)), eye)
    vhav = _matmul(_matmul(_H(v), x_dot), v)
    return [v, w], [_matmul(v, lax.mul(F, vhav)), _real(_diag(vhav))]


_front_batch(eigh_p)


# --- lu ---------------------------------------------------------------------------------------------

lu_p = Primitive("lu", multiple_results=True)


_BLOCK = 64  # panel width of the blocked LU and triangular solves: the trailing updates are BLAS matmuls


@lu_p.def_impl
def _lu_impl(x):
    """Right-looking blocked LU with partial pivoting, vectorised over the batch: each panel of _BLOCK
    columns is eliminated column by column (row swaps applied to whole rows), then U12 = L11^-1 A12 and
    A22 -= L21 U12 update the rest with one solve and one matmul, as LAPACK's getrf does."""
    a = np.array(_work(x), copy=True)
    *batch, m, n = a.shape
    a = a.reshape(-1, m, n)
    b = a.shape[0]
    k = min(m, n)
    perm = np.tile(np.arange(m, dtype=np.int32), (b, 1))
    pivots = np.zeros((b, k), np.int32)
    rows = np.arange(b)
    for j0 in range(0, k, _BLOCK):
        j1 = min(j0 + _BLOCK, k)
        for j in range(j0, j1):  # the panel, unblocked
            p = j + np.argmax(np.abs(a[:, j:, j]), axis=1)
            pivots[:, j] = p
            a[rows, j], a[rows, p] = a[rows, p].copy(), a[rows, j].copy()
            perm[rows, j], perm[rows, p] = perm[rows, p].copy(), perm[rows, j].copy()
            piv = a[:, j, j]
            with np.errstate(all="ignore"):
                scale = np.where(piv[:, None] != 0, a[:, j + 1 :, j] / piv[:, None], 0)
            a[:, j + 1 :, j] = scale
            a[:, j + 1 :, j + 1 : j1] -= scale[:, :, None] * a[:, j, None, j + 1 : j1]
        if j1 < n:
            l11 = np.tril(a[:, j0:j1, j0:j1], -1) + np.eye(j1 - j0, dtype=a.dtype)
            a[:, j0:j1, j1:] = np.linalg.solve(l11, a[:, j0:j1, j1:])  # unit diagonal: never singular
            a[:, j1:, j1:] -= a[:, j1:, j0:j1] @ a[:, j0:j1, j1:]
    return [a.reshape(*batch, m, n).astype(x.dtype), pivots.reshape(*batch, k), perm.reshape(*batch, m)]


@lu_p.def_abstract_eval
def _lu_abstract_eval(x):
    _check_matrix("lu", x)
    *batch, m, n = x.shape
    k = min(m, n)
    return [
        x.strip_weak_type(),
        core.ShapedArray((*batch, k), dtypes.int32),
        core.ShapedArray((*batch, m), dtypes.int32),
    ]


@lu_p.def_jvp
def _lu_jvp(primals, tangents):
    # with P A = L U: L^-1 P A' U^-1 = L^-1 L' + U' U^-1, split into strictly lower and upper parts
    (a,), (a_dot,) = primals, tangents
    lu_, pivots, perm = lu_p.bind(a)
    zeros = [Zero(get_aval(pivots).to_tangent_aval()), Zero(get_aval(perm).to_tangent_aval())]
    if type(a_dot) is Zero:
        return [lu_, pivots, perm], [Zero(get_aval(lu_).to_tangent_aval()), *zeros]
    *batch, m, n = get_aval(a).shape
    k = min(m, n)
    nd = len(batch) + 2
    x = _take_rows(a_dot, perm)
    lk = lax.slice(lu_, (0,) * nd, (*batch, m, k))
    l_mat = lax.add(
        lax.pad(_tril(lk, -1), lax._const(lk, 0), [(0, 0, 0)] * (nd - 1) + [(0, m - k, 0)]), _eye_like(x, m)
    )
    uk = lax.slice(lu_, (0,) * nd, (*batch, k, n))
    u_eye = lax.pad(_eye_like(lu_, n - k), lax._const(lu_, 0), [(0, 0, 0)] * (nd - 2) + [(k, 0, 0), (k, 0, 0)])
    u_mat = lax.add(lax.pad(_triu(uk), lax._const(uk, 0), [(0, 0, 0)] * (nd - 2) + [(0, n - k, 0), (0, 0, 0)]), u_eye)
    la = triangular_solve(l_mat, x, left_side=True, lower=True, unit_diagonal=True)
    lau = triangular_solve(u_mat, la, left_side=False, lower=False)
    lu_dot = lax.add(_matmul(l_mat, _tril(lau, -1)), _matmul(_triu(lau), u_mat))
    return [lu_, pivots, perm], [lu_dot, *zeros]


def _take_rows(x, perm):
    """x[..., perm, :] with perm (..., m) batched like x."""
    from jaxnc._src.lax.sorting import _take_along_axis

    a = get_aval(x)
    idx = lax.broadcast_in_dim(perm, a.shape, tuple(range(a.ndim - 1)))
    return _take_along_axis(x, idx, a.ndim - 2)


_front_batch(lu_p)


# --- qr ---------------------------------------------------------------------------------------------

qr_p = Primitive("qr", multiple_results=True)


@qr_p.def_impl
def _qr_impl(x, full_matrices):
    q, r = np.linalg.qr(_work(x), mode="complete" if full_matrices else "reduced")
    return [q.astype(x.dtype), r.astype(x.dtype)]


@qr_p.def_abstract_eval
def _qr_abstract_eval(x, full_matrices):
    _check_matrix("qr", x)
    *batch, m, n = x.shape
    k = m if full_matrices else min(m, n)
    return [core.ShapedArray((*batch, m, k), x.dtype), core.ShapedArray((*batch, k, n), x.dtype)]


@qr_p.def_jvp
def _qr_jvp(primals, tangents, full_matrices):
    (x,), (dx,) = primals, tangents
    q, r = qr_p.bind(x, full_matrices=full_matrices)
    *_, m, n = get_aval(x).shape
    if type(dx) is Zero:
        return [q, r], [Zero(get_aval(q).to_tangent_aval()), Zero(get_aval(r).to_tangent_aval())]
    if m < n or (full_matrices and m != n):
        raise NotImplementedError(f"qr JVP is only defined for m >= n with reduced matrices, got shape "
                                  f"{get_aval(x).shape}, full_matrices={full_matrices}")  # fmt: skip
    dx_rinv = triangular_solve(r, dx, left_side=False, lower=False)  # dx R^-1
    qt_dx_rinv = _matmul(_H(q), dx_rinv)
    low = _tril(qt_dx_rinv, -1)
    do = lax.sub(low, _H(low))  # skew-Hermitian part
    if dtypes.is_complex(get_aval(x).dtype):
        do = lax.add(do, lax.mul(_eye_like(do), lax.sub(qt_dx_rinv, _to(_real(qt_dx_rinv), get_aval(x).dtype))))
    dq = lax.add(_matmul(q, lax.sub(do, qt_dx_rinv)), dx_rinv)
    dr = _matmul(lax.sub(qt_dx_rinv, do), r)
    return [q, r], [dq, dr]


_front_batch(qr_p)


# --- svd --------------------------------------------------------------------------------------------

svd_p = Primitive("svd", multiple_results=True)


@svd_p.def_impl
def _svd_impl(x, full_matrices, compute_uv):
    xw = _work(x)
    rdt = _real_dtype(x.dtype)
    if not compute_uv:
        return [np.linalg.svd(xw, compute_uv=False).astype(rdt)]
    u, s, vh = np.linalg.svd(xw, full_matrices=full_matrices)
    return [s.astype(rdt), u.astype(x.dtype), vh.astype(x.dtype)]


@svd_p.def_abstract_eval
def _svd_abstract_eval(x, full_matrices, compute_uv):
    _check_matrix("svd", x)
    *batch, m, n = x.shape
    k = min(m, n)
    s = core.ShapedArray((*batch, k), _real_dtype(x.dtype))
    if not compute_uv:
        return [s]
    ku, kv = (m, n) if full_matrices else (k, k)
    return [s, core.ShapedArray((*batch, m, ku), x.dtype), core.ShapedArray((*batch, kv, n), x.dtype)]


@svd_p.def_jvp
def _svd_jvp(primals, tangents, full_matrices, compute_uv):
    (A,), (dA,) = primals, tangents
    dt = get_aval(A).dtype
    outs = svd_p.bind(A, full_matrices=full_matrices, compute_uv=compute_uv)
    if type(dA) is Zero:
        return outs, [Zero(get_aval(o).to_tangent_aval()) for o in outs]
    if compute_uv and full_matrices:
        raise NotImplementedError(
            "svd JVP with full_matrices=True is not implemented (as in JAX); use full_matrices=False"
        )
    s, U, Vt = svd_p.bind(A, full_matrices=False, compute_uv=True)
    Ut, V = _H(U), _H(Vt)
    dS = _matmul(_matmul(Ut, dA), V)
    ds = _real(_diag(dS))
    if not compute_uv:
        return outs, [ds]
    nd = get_aval(s).ndim
    shape = get_aval(dS).shape
    s_row = lax.broadcast_in_dim(s, shape, (*range(nd - 1), nd))  # s_j
    s_col = lax.broadcast_in_dim(s, shape, tuple(range(nd)))  # s_i
    eye = _eye_like(s_row)
    s_diffs = lax.mul(lax.add(s_row, s_col), lax.sub(s_row, s_col))
    F = lax.sub(lax.div(lax.full_like(eye, 1), lax.add(s_diffs, eye)), eye)
    s_zero = lax.convert_element_type(lax.eq(s, lax.full_like(s, 0)), get_aval(s).dtype)
    s_inv = lax.sub(lax.div(lax.full_like(s, 1), lax.add(s, s_zero)), s_zero)
    s_inv_mat = lax.mul(eye, lax.broadcast_in_dim(s_inv, shape, (*range(nd - 1), nd)))
    dSS = lax.mul(_to(s_row, dt), dS)
    SdS = lax.mul(_to(s_col, dt), dS)
    dUdV_diag = lax.mul(lax.mul(lax._const(dS, 0.5), lax.sub(dS, _H(dS))), _to(s_inv_mat, dt))
    dU = _matmul(U, lax.add(lax.mul(_to(F, dt), lax.add(dSS, _H(dSS))), dUdV_diag))
    dV = _matmul(V, lax.mul(_to(F, dt), lax.add(SdS, _H(SdS))))
    m, n = get_aval(A).shape[-2:]
    if m > n:
        dAV = _matmul(dA, V)
        s_b = _to(lax.broadcast_in_dim(s, get_aval(dAV).shape, (*range(nd - 1), nd)), dt)
        dU = lax.add(dU, lax.div(lax.sub(dAV, _matmul(U, _matmul(Ut, dAV))), s_b))
    if n > m:
        dAHU = _matmul(_H(dA), U)
        s_b = _to(lax.broadcast_in_dim(s, get_aval(dAHU).shape, (*range(nd - 1), nd)), dt)
        dV = lax.add(dV, lax.div(lax.sub(dAHU, _matmul(V, _matmul(Vt, dAHU))), s_b))
    return outs, [ds, dU, _H(dV)]


_front_batch(svd_p)


# --- triangular_solve -------------------------------------------------------------------------------

triangular_solve_p = Primitive("triangular_solve")


def _op_a(a, transpose_a, conjugate_a):
    if transpose_a:
        a = np.swapaxes(a, -1, -2)
    return np.conj(a) if conjugate_a else a


@triangular_solve_p.def_impl
def _triangular_solve_impl(a, b, left_side, lower, transpose_a, conjugate_a, unit_diagonal):
    aw, bw = _work(a), _work(b)
    aw = np.tril(aw) if lower else np.triu(aw)
    if unit_diagonal:
        n = aw.shape[-1]
        aw = aw.copy()
        aw[..., np.arange(n), np.arange(n)] = 1
    op = _op_a(aw, transpose_a, conjugate_a)
    op_lower = lower != bool(transpose_a)
    with np.errstate(all="ignore"):
        if left_side:  # op(A) X = B
            out = _solve_or_substitute(op, bw, op_lower)
        else:  # X op(A) = B  <=>  op(A)^T X^T = B^T
            out = np.swapaxes(_solve_or_substitute(np.swapaxes(op, -1, -2), np.swapaxes(bw, -1, -2), not op_lower),
                              -1, -2)  # fmt: skip
    return out.astype(b.dtype)


def _blocked_solve(t, b, lower):
    """Block substitution for triangular t: one small solve per diagonal block, the rest as matmuls (O(n^2 k))."""
    n = t.shape[-1]
    x = np.empty(np.broadcast_shapes(t.shape[:-2], b.shape[:-2]) + b.shape[-2:], np.result_type(t, b))
    starts = range(0, n, _BLOCK) if lower else reversed(range(0, n, _BLOCK))
    for i0 in starts:
        i1 = min(i0 + _BLOCK, n)
        rhs = b[..., i0:i1, :]
        if lower and i0:
            rhs = rhs - t[..., i0:i1, :i0] @ x[..., :i0, :]
        elif not lower and i1 < n:
            rhs = rhs - t[..., i0:i1, i1:] @ x[..., i1:, :]
        x[..., i0:i1, :] = np.linalg.solve(t[..., i0:i1, i0:i1], rhs)
    return x


def _solve_or_substitute(t, b, lower):
    """Solve a triangular system; a zero on the diagonal gives inf/NaN by substitution, as XLA does (no error)."""
    try:
        return _blocked_solve(t, b, lower) if t.shape[-1] > 2 * _BLOCK else np.linalg.solve(t, b)
    except np.linalg.LinAlgError:
        n = t.shape[-1]
        lower = np.allclose(np.triu(t, 1), 0)
        x = np.zeros(np.broadcast_shapes(t.shape[:-2], b.shape[:-2]) + b.shape[-2:], np.result_type(t, b))
        for i in range(n) if lower else range(n - 1, -1, -1):
            x[..., i, :] = (b[..., i, :] - np.einsum("...j,...jk->...k", t[..., i, :], x)) / t[..., i, i, None]
        return x


@triangular_solve_p.def_abstract_eval
def _triangular_solve_abstract_eval(a, b, left_side, lower, transpose_a, conjugate_a, unit_diagonal):
    _check_square("triangular_solve", a)
    if b.ndim != a.ndim or b.shape[:-2] != a.shape[:-2]:
        raise TypeError(
            f"triangular_solve requires a and b with equal batch dimensions, got shapes {a.shape} and {b.shape}"
        )
    m = b.shape[-2] if left_side else b.shape[-1]
    if m != a.shape[-1]:
        raise TypeError(f"triangular_solve: a of shape {a.shape} does not match b of shape {b.shape} "
                        f"(left_side={left_side})")  # fmt: skip
    if a.dtype != b.dtype:
        raise TypeError(f"triangular_solve requires a and b of one dtype, got {a.dtype.name} and {b.dtype.name}")
    return b.strip_weak_type()


def _triangular_solve_jvp_a(g_a, ans, a, b, left_side, lower, transpose_a, conjugate_a, unit_diagonal):
    # d(A^-1 B) = -A^-1 dA A^-1 B, with dA restricted to the triangle the solve reads
    m, n = get_aval(b).shape[-2:]
    k = 1 if unit_diagonal else 0
    g_a = lax.neg(_tril(g_a, -k) if lower else _triu(g_a, k))
    g_a = _T(g_a) if transpose_a else g_a
    g_a = lax.conj(g_a) if conjugate_a and dtypes.is_complex(get_aval(g_a).dtype) else g_a

    def a_inv(rhs):
        return triangular_solve(a, rhs, left_side, lower, transpose_a, conjugate_a, unit_diagonal)

    if left_side:
        return a_inv(_matmul(g_a, ans)) if m > n else _matmul(a_inv(g_a), ans)
    return a_inv(_matmul(ans, g_a)) if m < n else _matmul(ans, a_inv(g_a))


ad.defjvp_ans(
    triangular_solve_p,
    _triangular_solve_jvp_a,
    lambda g_b, ans, a, b, **p: triangular_solve_p.bind(a, g_b, **p),
)


@triangular_solve_p.def_transpose
def _triangular_solve_transpose(ct, a, b, left_side, lower, transpose_a, conjugate_a, unit_diagonal):
    if is_undefined_primal(a):
        raise ValueError("triangular_solve is not linear in its matrix a")
    if type(ct) is Zero:
        return [None, None]
    return [None, triangular_solve(a, ct, left_side, lower, not transpose_a, conjugate_a, unit_diagonal)]


@triangular_solve_p.def_batch
def _triangular_solve_batch(size, vals, dims, **params):
    (a, b), (da, db) = vals, dims
    return triangular_solve_p.bind(bdim_at_front(a, da, size), bdim_at_front(b, db, size), **params), 0


# --- wrappers ----------------------------------------------------------------------------------------


def _symmetrize(x):
    return lax.div(lax.add(x, _H(x)), lax._const(x, 2))


def cholesky(x, *, symmetrize_input: bool = True):
    """Lower Cholesky factor of a Hermitian positive-definite batch; NaNs where the matrix is not PD.

    Args:
      x: a (..., n, n) array.
      symmetrize_input: use (x + x^H) / 2, which also makes the gradient symmetric (as JAX).

    Returns:
      L with x = L L^H.
    """
    _check_square("cholesky", get_aval(x))
    if symmetrize_input:
        x = _symmetrize(x)
    return _tril(cholesky_p.bind(x))


def eigh(x, *, lower: bool = True, symmetrize_input: bool = True, sort_eigenvalues: bool = True, subset_by_index=None):
    """Eigendecomposition of a Hermitian batch: `(v, w)` with ascending eigenvalues w and columns v.

    Args:
      x: a (..., n, n) array.
      lower: read the lower (True) or upper triangle when not symmetrizing.
      symmetrize_input: use (x + x^H) / 2.
      sort_eigenvalues: eigenvalues are always ascending here.
      subset_by_index: not supported (must be None).

    Returns:
      `(v, w)`: eigenvectors (..., n, n) and eigenvalues (..., n).
    """
    if subset_by_index is not None:
        raise NotImplementedError(f"eigh subset_by_index={subset_by_index} is not supported; pass None")
    _check_square("eigh", get_aval(x))
    if symmetrize_input:
        x = _symmetrize(x)
    v, w = eigh_p.bind(x, lower=bool(lower), sort_eigenvalues=bool(sort_eigenvalues))
    return v, w


def lu(x):
    """LU decomposition with partial pivoting: `(lu, pivots, permutation)` with `x[perm] = L @ U`.

    Args:
      x: a (..., m, n) array.

    Returns:
      `lu` (L strictly below the diagonal with unit diagonal implied, U on and above), `pivots`
      (..., min(m, n)) int32 row swaps, and `permutation` (..., m) int32.
    """
    lu_, pivots, perm = lu_p.bind(x)
    return lu_, pivots, perm


def qr(x, *, full_matrices: bool = True, pivoting: bool = False):
    """QR decomposition `(q, r)` of a batch of matrices.

    Args:
      x: a (..., m, n) array.
      full_matrices: q is (m, m) and r (m, n) if True, else (m, k) and (k, n) with k = min(m, n).
      pivoting: not supported (must be False).

    Returns:
      `(q, r)`.
    """
    if pivoting:
        raise NotImplementedError("qr(pivoting=True) is not supported")
    q, r = qr_p.bind(x, full_matrices=bool(full_matrices))
    return q, r


def svd(x, *, full_matrices: bool = True, compute_uv: bool = True, subset_by_index=None, algorithm=None):
    """Singular value decomposition: `(u, s, vh)`, or `s` alone when compute_uv is False.

    Args:
      x: a (..., m, n) array.
      full_matrices: u is (m, m) and vh (n, n) if True, else (m, k) and (k, n).
      compute_uv: whether to return u and vh.
      subset_by_index: not supported (must be None).
      algorithm: accepted for compatibility.

    Returns:
      `(u, s, vh)` or `s`, singular values descending.
    """
    if subset_by_index is not None:
        raise NotImplementedError(f"svd subset_by_index={subset_by_index} is not supported; pass None")
    outs = svd_p.bind(x, full_matrices=bool(full_matrices), compute_uv=bool(compute_uv))
    if not compute_uv:
        return outs[0]
    s, u, vh = outs
    return u, s, vh


def triangular_solve(a, b, left_side: bool = False, lower: bool = False, transpose_a: bool = False,
                     conjugate_a: bool = False, unit_diagonal: bool = False):  # fmt: skip
    """Solve op(a) x = b (left_side) or x op(a) = b for triangular a, as `jax.lax.linalg.triangular_solve`.

    Args:
      a: a (..., m, m) triangular array (only the `lower`/upper triangle is read).
      b: a (..., m, n) array if left_side, else (..., n, m).
      left_side: which side a is on.
      lower: whether a is lower triangular.
      transpose_a: use a^T.
      conjugate_a: use conj(a).
      unit_diagonal: assume ones on a's diagonal.

    Returns:
      x, shaped like b.
    """
    return triangular_solve_p.bind(a, b, left_side=bool(left_side), lower=bool(lower), transpose_a=bool(transpose_a),
                                   conjugate_a=bool(conjugate_a), unit_diagonal=bool(unit_diagonal))  # fmt: skip
