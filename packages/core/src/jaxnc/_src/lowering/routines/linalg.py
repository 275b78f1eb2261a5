"""cholesky, triangular_solve, lu, qr, eigh, svd as procedures: one matrix per grid point.

Each algorithm follows the primitive's NumPy impl (lax/linalg.py) closely enough to agree with it to
float32 rounding: the same pivot choices (lu), the same Householder convention as LAPACK's dgeqrf and
dorgqr (R's diagonal is -sign(alpha)·norm, so qr matches numpy.linalg.qr with signs), NaNs for a
matrix that is not positive definite (cholesky), inf/NaN by substitution for a singular triangle.
Only float32/float64 and the basic ops every renderer has (add/sub/mul/div/sqrt/abs/neg, compares,
select_n); other dtypes and matrices larger than `MAX_DIM` keep the NumPy reference.

NB: eigenvectors (eigh, cyclic Jacobi) and singular vectors (svd, one-sided Jacobi) are unique only
up to the sign of each vector (of each u/v pair), and LAPACK, which the impl calls, fixes no sign.
These routines make the entry of largest magnitude of each eigenvector (of each left singular vector)
positive, so they equal the reference up to a per-vector sign; eigenvalues and singular values agree
to rounding. For repeated eigenvalues (singular values) the basis of the eigenspace differs too.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from jaxnc._src.lowering import ir
from jaxnc._src.lowering.proc import ProcBuilder, RoutineProgram, native

MAX_DIM = 512  # larger matrices make one grid point's sequential work too long
MAX_SWEEPS = 40  # Jacobi sweeps; convergence is quadratic, so ~10 suffice in practice
_DTYPES = {np.dtype(np.float32), np.dtype(np.float64)}
I32 = ir.INDEX


def _supported(*avals) -> bool:
    return all(a.dtype in _DTYPES and a.ndim >= 2 and max(a.shape[-2:]) <= MAX_DIM for a in avals)


def _batch(aval) -> int:
    return math.prod(aval.shape[:-2])


# --- expression helpers -------------------------------------------------------------------------------


def _i(v) -> ir.Expr:
    return v if isinstance(v, ir.Expr) else ir.iconst(int(v))


# thin names for the ops the algorithms use, so they read like the math
_sub, _neg, _abs, _sqrt = (functools.partial(ir.apply, op) for op in ("sub", "neg", "abs", "sqrt"))
_lt, _gt, _ne, _eq = (functools.partial(ir.apply, op) for op in ("lt", "gt", "ne", "eq"))
_or, _and, _not = (functools.partial(ir.apply, op) for op in ("or", "and", "not"))


class _Mat:
    """A row-major `rows` × `cols` matrix in buffer `buf`, one per grid point (at `g0·rows·cols`)."""

    def __init__(self, b: ProcBuilder, buf: int, rows: int, cols: int, base=None) -> None:
        self.b, self.buf, self.rows, self.cols = b, buf, rows, cols
        self.dtype = b.buffers[buf]
        self.base = ir.mul(b.grid(0), ir.iconst(rows * cols)) if base is None else base

    def at(self, i, j) -> ir.Expr:
        return ir.add(self.base, ir.add(ir.mul(_i(i), ir.iconst(self.cols)), _i(j)))

    def __getitem__(self, ij) -> ir.Expr:
        return self.b.load(self.buf, self.at(*ij))

    def set(self, i, j, value) -> None:
        self.b.store(self.buf, self.at(i, j), value)

    def c(self, v) -> ir.Expr:
        """A constant of this matrix's dtype."""
        return ir.const(v, self.dtype)


def _sum(b: ProcBuilder, name: str, start, stop, term, dtype) -> ir.Expr:
    """Local `name` = Σ_{k=start}^{stop-1} term(k), summed in order."""
    acc = b.let(name, ir.const(0, dtype))
    with b.loop(f"{name}_k", start, stop) as k:
        b.set(name, ir.add(acc, term(k)))
    return acc


def _swap(b: ProcBuilder, mat: _Mat, i1, j1, i2, j2) -> None:
    tmp = b.let(f"swap_{mat.dtype.name}", mat[i1, j1])
    mat.set(i1, j1, mat[i2, j2])
    mat.set(i2, j2, tmp)


def _copy(b: ProcBuilder, src: _Mat, dst: _Mat) -> None:
    with b.loop("copy_e", 0, src.rows * src.cols) as e:
        b.store(dst.buf, ir.add(dst.base, e), b.load(src.buf, ir.add(src.base, e)))


def _identity(b: ProcBuilder, mat: _Mat) -> None:
    with b.loop("eye_i", 0, mat.rows) as i, b.loop("eye_j", 0, mat.cols) as j:
        mat.set(i, j, ir.where(_eq(i, j), mat.c(1), mat.c(0)))


def _jacobi_tangent(zeta: ir.Expr) -> ir.Expr:
    """The smaller root t of t² + 2ζt - 1 = 0: sign(ζ) / (|ζ| + sqrt(ζ² + 1)); 1/(2ζ) when ζ² overflows."""
    dt = zeta.dtype
    one = ir.const(1, dt)
    az = _abs(zeta)
    sign = ir.where(_lt(zeta, ir.const(0, dt)), ir.const(-1, dt), one)
    big = ir.const(1e15, dt)
    small_t = ir.div(sign, ir.add(az, _sqrt(ir.add(ir.mul(az, az), one))))
    return ir.where(_gt(az, big), ir.div(ir.const(0.5, dt), zeta), small_t)


def _rotate_columns(b: ProcBuilder, mat: _Mat, p, q, c, s) -> None:
    """Columns p, q of `mat` ← (c·x_p - s·x_q, s·x_p + c·x_q)."""
    with b.loop("rot_r", 0, mat.rows) as r:
        xp = b.let("rot_xp", mat[r, p])
        xq = b.let("rot_xq", mat[r, q])
        mat.set(r, p, _sub(ir.mul(c, xp), ir.mul(s, xq)))
        mat.set(r, q, ir.add(ir.mul(s, xp), ir.mul(c, xq)))


def _sort_columns(b: ProcBuilder, vals: _Mat, n: int, mats: list[_Mat], descending: bool) -> None:
    """Selection sort of the vector `vals` (1 × n), swapping the columns of `mats` alike (stable)."""
    better = _gt if descending else _lt
    with b.loop("sort_i", 0, n) as i:
        best = b.let("sort_best", vals[0, i])
        at = b.let("sort_at", i)
        with b.loop("sort_j", ir.add(i, ir.iconst(1)), n) as j:
            v = b.let("sort_v", vals[0, j])
            with b.if_(better(v, best)):
                b.set("sort_best", v)
                b.set("sort_at", j)
        with b.if_(_ne(at, i)):
            _swap(b, vals, 0, i, 0, at)
            for mat in mats:
                with b.loop("sort_r", 0, mat.rows) as r:
                    _swap(b, mat, r, i, r, at)


def _fix_signs(b: ProcBuilder, ref: _Mat, ncols, mats: list[_Mat]) -> None:
    """Negate column j of every mat in `mats` where ref's entry of largest magnitude in column j is < 0."""
    with b.loop("sgn_j", 0, ncols) as j:
        big = b.let("sgn_big", _abs(ref[0, j]))
        val = b.let("sgn_val", ref[0, j])
        with b.loop("sgn_r", 1, ref.rows) as r:
            v = b.let("sgn_v", ref[r, j])
            with b.if_(_gt(_abs(v), big)):
                b.set("sgn_big", _abs(v))
                b.set("sgn_val", v)
        with b.if_(_lt(val, ref.c(0))):
            for mat in mats:
                with b.loop("sgn_i", 0, mat.rows) as i:
                    mat.set(i, j, _neg(mat[i, j]))


# --- cholesky -------------------------------------------------------------------------------------------


@native("cholesky")
def cholesky(routine, caps) -> RoutineProgram | None:
    """Cholesky–Crout by columns from the lower triangle; a pivot that is not > 0 (or NaN) makes the
    whole matrix NaN, as the impl does when numpy.linalg.cholesky raises."""
    (x,) = routine.in_avals
    if not _supported(x):
        return None
    n, dt = x.shape[-1], x.dtype
    b = ProcBuilder("cholesky", (_batch(x),), [dt, dt])
    a, low = _Mat(b, 0, n, n), _Mat(b, 1, n, n)
    bad = b.let("bad", 0)
    with b.loop("j", 0, n) as j:
        sq = _sum(b, "sq", 0, j, lambda k: ir.mul(low[j, k], low[j, k]), dt)
        d = b.let("d", _sub(a[j, j], sq))
        with b.if_(_not(_gt(d, a.c(0)))):
            b.set("bad", 1)
        ljj = b.let("ljj", _sqrt(d))
        low.set(j, j, ljj)
        with b.loop("i", 0, j) as i:
            low.set(i, j, a.c(0))
        with b.loop("i", ir.add(j, ir.iconst(1)), n) as i:
            dot = _sum(b, "dot", 0, j, lambda k: ir.mul(low[i, k], low[j, k]), dt)
            low.set(i, j, ir.div(_sub(a[i, j], dot), ljj))
    with b.if_(_ne(bad, ir.iconst(0))), b.loop("e", 0, n * n) as e:
        b.store(1, ir.add(low.base, e), a.c(np.nan))
    return RoutineProgram((b.build(),), n_in=1, n_out=1)


# --- triangular_solve -----------------------------------------------------------------------------------


@native("triangular_solve")
def triangular_solve(routine, caps) -> RoutineProgram | None:
    """Substitution, one right-hand side per grid point (batch, rhs).

    op(A) X = B (left) or X op(A) = B, i.e. op(A)ᵀ Xᵀ = Bᵀ: either way S y = c for one column (row)
    y of X, with S = op(A) or op(A)ᵀ, lower or upper; conjugation is the identity on real dtypes."""
    a, rhs = routine.in_avals
    if not _supported(a, rhs) or a.dtype != rhs.dtype:
        return None
    p = routine.params
    m, (rows, cols), dt = a.shape[-1], rhs.shape[-2:], a.dtype
    left = p["left_side"]
    flip = p["transpose_a"] != (not left)  # S[i, j] = A[j, i]
    s_lower = p["lower"] != flip
    b = ProcBuilder("triangular_solve", (_batch(a), cols if left else rows), [dt, dt, dt])
    g, col = b.grid(0), b.grid(1)
    mat = _Mat(b, 0, m, m)

    def s(i, j):
        return mat[j, i] if flip else mat[i, j]

    def at(i):
        row, column = (i, col) if left else (col, i)
        return ir.add(ir.mul(g, ir.iconst(rows * cols)), ir.add(ir.mul(row, ir.iconst(cols)), column))

    with b.loop("t", 0, m) as t:
        i = t if s_lower else _sub(ir.iconst(m - 1), t)
        lo, hi = (ir.iconst(0), i) if s_lower else (ir.add(i, ir.iconst(1)), ir.iconst(m))
        acc = b.let("acc", b.load(1, at(i)))
        with b.loop("j", lo, hi) as j:
            b.set("acc", _sub(acc, ir.mul(s(i, j), b.load(2, at(j)))))
        b.store(2, at(i), acc if p["unit_diagonal"] else ir.div(acc, s(i, i)))
    return RoutineProgram((b.build(),), n_in=2, n_out=1)


# --- lu ------------------------------------------------------------------------------------------------


@native("lu")
def lu(routine, caps) -> RoutineProgram | None:
    """Partial pivoting exactly as the impl: the first row of largest |a| (NaN counts as largest, as
    argmax), whole-row swaps, multipliers 0 under a zero pivot."""
    (x,) = routine.in_avals
    if not _supported(x):
        return None
    m, n = x.shape[-2:]
    k, dt = min(m, n), x.dtype
    b = ProcBuilder("lu", (_batch(x),), [dt, dt, I32, I32])
    a = _Mat(b, 1, m, n)
    pivots, perm = _Mat(b, 2, 1, k), _Mat(b, 3, 1, m)
    _copy(b, _Mat(b, 0, m, n), a)
    with b.loop("r", 0, m) as r:
        perm.set(0, r, r)
    with b.loop("j", 0, k) as j:
        at = b.let("at", j)
        best = b.let("best", _abs(a[j, j]))
        with b.loop("i", ir.add(j, ir.iconst(1)), m) as i:
            v = b.let("v", _abs(a[i, j]))
            with b.if_(_or(_gt(v, best), _and(_ne(v, v), _eq(best, best)))):
                b.set("at", i)
                b.set("best", v)
        pivots.set(0, j, at)
        with b.if_(_ne(at, j)):
            with b.loop("c", 0, n) as c:
                _swap(b, a, j, c, at, c)
            _swap(b, perm, 0, j, 0, at)
        piv = b.let("piv", a[j, j])
        nonzero = _ne(piv, a.c(0))
        denom = b.let("denom", ir.where(nonzero, piv, a.c(1)))
        with b.loop("i", ir.add(j, ir.iconst(1)), m) as i:
            scale = b.let("scale", ir.where(nonzero, ir.div(a[i, j], denom), a.c(0)))
            a.set(i, j, scale)
            with b.loop("c", ir.add(j, ir.iconst(1)), n) as c:
                a.set(i, c, _sub(a[i, c], ir.mul(scale, a[j, c])))
    return RoutineProgram((b.build(),), n_in=1, n_out=3)


# --- qr ------------------------------------------------------------------------------------------------


def _apply_reflector(b: ProcBuilder, w: _Mat, j, tau, mat: _Mat, c0) -> None:
    """mat[j:, c] ← (I - τ v vᵀ) mat[j:, c] for columns c ≥ c0, v = (1, w[j+1:, j])."""
    with b.loop("hc", c0, mat.cols) as c:
        dot = _sum(b, "hdot", ir.add(j, ir.iconst(1)), w.rows, lambda i: ir.mul(w[i, j], mat[i, c]), w.dtype)
        s = b.let("hs", ir.mul(tau, ir.add(mat[j, c], dot)))
        mat.set(j, c, _sub(mat[j, c], s))
        with b.loop("hi", ir.add(j, ir.iconst(1)), w.rows) as i:
            mat.set(i, c, _sub(mat[i, c], ir.mul(s, w[i, j])))


@native("qr")
def qr(routine, caps) -> RoutineProgram | None:
    """Householder QR as LAPACK's dgeqr2 (dlarfg: β = -sign(α)·‖(α, x)‖, τ = (β - α)/β, v = x/(α - β);
    no reflection when x = 0) and dorg2r (Q = H₀ H₁ … applied to the identity's columns)."""
    (x,) = routine.in_avals
    if not _supported(x):
        return None
    m, n = x.shape[-2:]
    k, dt = min(m, n), x.dtype
    kq = m if routine.params["full_matrices"] else k
    batch = _batch(x)
    b = ProcBuilder("qr", (batch,), [dt, dt, dt, dt, dt])
    q, r = _Mat(b, 1, m, kq), _Mat(b, 2, kq, n)
    w, taus = _Mat(b, 3, m, n), _Mat(b, 4, 1, k)
    _copy(b, _Mat(b, 0, m, n), w)
    zero = w.c(0)
    with b.loop("j", 0, k) as j:
        alpha = b.let("alpha", w[j, j])
        below = ir.add(j, ir.iconst(1))
        xnorm2 = _sum(b, "xnorm2", below, m, lambda i: ir.mul(w[i, j], w[i, j]), dt)
        tau = b.let("tau", zero)
        with b.if_(_ne(xnorm2, zero)):
            norm = _sqrt(ir.add(ir.mul(alpha, alpha), xnorm2))
            beta = b.let("beta", ir.where(ir.apply("ge", alpha, zero), _neg(norm), norm))
            b.set("tau", ir.div(_sub(beta, alpha), beta))
            scal = b.let("scal", ir.div(w.c(1), _sub(alpha, beta)))
            with b.loop("i", below, m) as i:
                w.set(i, j, ir.mul(w[i, j], scal))
            w.set(j, j, beta)
        taus.set(0, j, tau)
        with b.if_(_ne(tau, zero)):
            _apply_reflector(b, w, j, tau, w, below)
    with b.loop("i", 0, kq) as i, b.loop("c", 0, n) as c:
        r.set(i, c, ir.where(ir.apply("le", i, c), w[i, c], zero))
    _identity(b, q)
    with b.loop("jj", 0, k) as jj:
        j = _sub(ir.iconst(k - 1), jj)
        tau = b.let("tau", taus[0, j])
        with b.if_(_ne(tau, zero)):
            _apply_reflector(b, w, j, tau, q, j)
    return RoutineProgram((b.build(),), n_in=1, n_out=2, scratch=((dt, batch * m * n), (dt, batch * k)))


# --- eigh ----------------------------------------------------------------------------------------------


@native("eigh")
def eigh(routine, caps) -> RoutineProgram | None:
    """Cyclic Jacobi on the symmetric matrix read from the `lower` (or upper) triangle; eigenvalues
    ascending. A pair (p, q) is rotated while |a_pq| > ε·sqrt(|a_pp·a_qq|) and |a_pq| is not
    negligible against ‖A‖ (so that each eigenvalue is found to high relative accuracy)."""
    (x,) = routine.in_avals
    if not _supported(x):
        return None
    n, dt = x.shape[-1], x.dtype
    batch = _batch(x)
    eps = float(np.finfo(dt).eps)
    b = ProcBuilder("eigh", (batch,), [dt, dt, dt, dt])
    src, v, w, a = _Mat(b, 0, n, n), _Mat(b, 1, n, n), _Mat(b, 2, 1, n), _Mat(b, 3, n, n)
    lower = routine.params["lower"]
    with b.loop("i", 0, n) as i, b.loop("j", 0, n) as j:
        hi, lo = ir.where(_gt(i, j), i, j), ir.where(_gt(i, j), j, i)
        a.set(i, j, src[hi, lo] if lower else src[lo, hi])
    _identity(b, v)
    fro2 = _sum(b, "fro2", 0, n * n, lambda e: ir.mul(b.load(3, ir.add(a.base, e)), b.load(3, ir.add(a.base, e))), dt)
    floor2 = b.let("floor2", ir.mul(fro2, a.c((eps * 1e-2 / n) ** 2)))
    rotated = b.let("rotated", 1)
    sweep = b.let("sweep", 0)
    with b.while_(_and(_ne(rotated, ir.iconst(0)), _lt(sweep, ir.iconst(MAX_SWEEPS)))):
        b.set("rotated", 0)
        with b.loop("p", 0, n - 1) as p, b.loop("q", ir.add(p, ir.iconst(1)), n) as q:
            apq = b.let("apq", a[p, q])
            app = b.let("app", a[p, p])
            aqq = b.let("aqq", a[q, q])
            apq2 = ir.mul(apq, apq)
            relative = _gt(apq2, ir.mul(a.c(eps * eps), _abs(ir.mul(app, aqq))))
            with b.if_(_and(relative, _gt(apq2, floor2))):
                b.set("rotated", 1)
                t = b.let("t", _jacobi_tangent(ir.div(_sub(aqq, app), ir.mul(a.c(2), apq))))
                c = b.let("c", ir.div(a.c(1), _sqrt(ir.add(ir.mul(t, t), a.c(1)))))
                s = b.let("s", ir.mul(t, c))
                a.set(p, p, _sub(app, ir.mul(t, apq)))
                a.set(q, q, ir.add(aqq, ir.mul(t, apq)))
                a.set(p, q, a.c(0))
                a.set(q, p, a.c(0))
                with b.loop("r", 0, n) as r, b.if_(_and(_ne(r, p), _ne(r, q))):
                    arp = b.let("arp", a[r, p])
                    arq = b.let("arq", a[r, q])
                    nrp = b.let("nrp", _sub(ir.mul(c, arp), ir.mul(s, arq)))
                    nrq = b.let("nrq", ir.add(ir.mul(s, arp), ir.mul(c, arq)))
                    a.set(r, p, nrp)
                    a.set(p, r, nrp)
                    a.set(r, q, nrq)
                    a.set(q, r, nrq)
                _rotate_columns(b, v, p, q, c, s)
        b.set("sweep", ir.add(sweep, ir.iconst(1)))
    with b.loop("i", 0, n) as i:
        w.set(0, i, a[i, i])
    _sort_columns(b, w, n, [v], descending=False)
    _fix_signs(b, v, n, [v])
    return RoutineProgram((b.build(),), n_in=1, n_out=2, scratch=((dt, batch * n * n),))


# --- svd -----------------------------------------------------------------------------------------------


def _complete_column(b: ProcBuilder, u: _Mat, j) -> None:
    """Column j of u ← a unit vector orthogonal to columns 0..j-1 (orthonormal): the first e_i whose
    residual has ‖·‖² ≥ (M - j) / 2M (one exists: the residuals' squared norms sum to M - j)."""
    rows, dt = u.rows, u.dtype
    found = b.let("cc_found", 0)
    cand = b.let("cc_cand", 0)
    threshold = ir.mul(ir.cast(_sub(ir.iconst(rows), j), dt), u.c(0.5 / rows))
    with b.while_(_and(_eq(found, ir.iconst(0)), _lt(cand, ir.iconst(rows)))):
        with b.loop("cc_r", 0, rows) as r:
            u.set(r, j, ir.where(_eq(r, cand), u.c(1), u.c(0)))
        for _ in range(2):  # Gram–Schmidt twice is enough
            with b.loop("cc_l", 0, j) as col:
                d = _sum(b, "cc_d", 0, rows, lambda i: ir.mul(u[i, col], u[i, j]), dt)
                with b.loop("cc_r", 0, rows) as r:
                    u.set(r, j, _sub(u[r, j], ir.mul(d, u[r, col])))
        norm2 = _sum(b, "cc_n2", 0, rows, lambda i: ir.mul(u[i, j], u[i, j]), dt)
        with b.if_(ir.apply("ge", norm2, threshold)):
            inv = b.let("cc_inv", ir.div(u.c(1), _sqrt(norm2)))
            with b.loop("cc_r", 0, rows) as r:
                u.set(r, j, ir.mul(u[r, j], inv))
            b.set("cc_found", 1)
        b.set("cc_cand", ir.add(cand, ir.iconst(1)))


@native("svd")
def svd(routine, caps) -> RoutineProgram | None:
    """One-sided Jacobi (Hestenes) on G = A (m ≥ n) or Aᵀ: rotate column pairs until all are orthogonal
    to ε·sqrt(M); σ_j = ‖g_j‖, u_j = g_j / σ_j, V the product of the rotations; sorted descending;
    left vectors for σ = 0 and the extra columns of full matrices completed by Gram–Schmidt."""
    (x,) = routine.in_avals
    if not _supported(x):
        return None
    full, uv = routine.params["full_matrices"], routine.params["compute_uv"]
    m, n = x.shape[-2:]
    tall, big, k, dt = m >= n, max(m, n), min(m, n), x.dtype
    ku = big if full else k
    batch = _batch(x)
    tol = float(np.finfo(dt).eps) * math.sqrt(big)
    n_out = 3 if uv else 1
    scratch = [(dt, batch * big * k)] + ([(dt, batch * k * k), (dt, batch * big * ku)] if uv else [])
    b = ProcBuilder("svd", (batch,), [dt] * (1 + n_out + len(scratch)))
    src, s = _Mat(b, 0, m, n), _Mat(b, 1, 1, k)
    g = _Mat(b, 1 + n_out, big, k)
    vs = _Mat(b, 2 + n_out, k, k) if uv else None
    with b.loop("i", 0, big) as i, b.loop("j", 0, k) as j:
        g.set(i, j, src[i, j] if tall else src[j, i])
    if uv:
        _identity(b, vs)
    rotated = b.let("rotated", 1)
    sweep = b.let("sweep", 0)
    with b.while_(_and(_ne(rotated, ir.iconst(0)), _lt(sweep, ir.iconst(MAX_SWEEPS)))):
        b.set("rotated", 0)
        with b.loop("p", 0, k - 1) as p, b.loop("q", ir.add(p, ir.iconst(1)), k) as q:
            alpha = b.let("alpha", g.c(0))
            beta = b.let("beta", g.c(0))
            gamma = b.let("gamma", g.c(0))
            with b.loop("i", 0, big) as i:
                gp = b.let("gp", g[i, p])
                gq = b.let("gq", g[i, q])
                b.set("alpha", ir.add(alpha, ir.mul(gp, gp)))
                b.set("beta", ir.add(beta, ir.mul(gq, gq)))
                b.set("gamma", ir.add(gamma, ir.mul(gp, gq)))
            with b.if_(_gt(_abs(gamma), ir.mul(g.c(tol), ir.mul(_sqrt(alpha), _sqrt(beta))))):
                b.set("rotated", 1)
                t = b.let("t", _jacobi_tangent(ir.div(_sub(beta, alpha), ir.mul(g.c(2), gamma))))
                c = b.let("c", ir.div(g.c(1), _sqrt(ir.add(ir.mul(t, t), g.c(1)))))
                sn = b.let("sn", ir.mul(t, c))
                _rotate_columns(b, g, p, q, c, sn)
                if uv:
                    _rotate_columns(b, vs, p, q, c, sn)
        b.set("sweep", ir.add(sweep, ir.iconst(1)))
    with b.loop("j", 0, k) as j:
        s.set(0, j, _sqrt(_sum(b, "n2", 0, big, lambda i: ir.mul(g[i, j], g[i, j]), dt)))
    _sort_columns(b, s, k, [g, vs] if uv else [g], descending=True)
    if not uv:
        return RoutineProgram((b.build(),), n_in=1, n_out=1, scratch=tuple(scratch))
    uc = _Mat(b, 3 + n_out, big, ku)
    with b.loop("j", 0, ku) as j:
        sj = b.let("sj", g.c(0))
        with b.if_(_lt(j, ir.iconst(k))):
            b.set("sj", s[0, j])
        with b.if_(_gt(sj, g.c(0))):
            inv = b.let("inv", ir.div(g.c(1), sj))
            with b.loop("i", 0, big) as i:
                uc.set(i, j, ir.mul(g[i, j], inv))
        with b.else_():
            _complete_column(b, uc, j)
    _fix_signs(b, uc, k, [uc, vs])
    u, vh = _Mat(b, 2, m, ku if tall else m), _Mat(b, 3, k if not full else n, n)
    left, right = (uc, vs) if tall else (vs, uc)  # A = left Σ rightᵀ
    with b.loop("i", 0, u.rows) as i, b.loop("j", 0, u.cols) as j:
        u.set(i, j, left[i, j])
    with b.loop("i", 0, vh.rows) as i, b.loop("j", 0, vh.cols) as j:
        vh.set(i, j, right[j, i])
    return RoutineProgram((b.build(),), n_in=1, n_out=3, scratch=tuple(scratch))
