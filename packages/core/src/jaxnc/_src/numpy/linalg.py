"""jnp.linalg: solves, inverses, determinants, norms and decompositions on lax.linalg's primitives (plus eig)."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from jaxnc._src import core, dtypes
from jaxnc._src.core import Primitive, get_aval
from jaxnc._src.interpreters.batching import bdim_at_front
from jaxnc._src.lax import linalg as lax_linalg
from jaxnc._src.numpy import lax_numpy as jnp


def _arr(x):
    return x if hasattr(x, "aval") else jnp.asarray(x)


def _inexact(*xs):
    out = jnp.promote_dtypes_inexact(*[_arr(x) for x in xs])
    return [_arr(o) for o in out]


def _square(name, a):
    s = jnp.shape(a)
    if len(s) < 2 or s[-1] != s[-2]:
        raise ValueError(f"{name}: expected a square matrix (or a batch of them) with shape (..., n, n), got {s}")


def _H(x):  # noqa: N802
    return jnp.conj(jnp.swapaxes(x, -1, -2))


# --- eig: general (non-Hermitian) eigendecomposition, a primitive of this module ------------------

eig_p = Primitive("eig", multiple_results=True)


def _complex_of(dt):
    return np.dtype(np.complex128) if np.dtype(dt) in (np.float64, np.complex128) else np.dtype(np.complex64)


@eig_p.def_impl
def _eig_impl(x, compute_eigenvectors):
    w, v = np.linalg.eig(x)
    dt = _complex_of(x.dtype)
    return [w.astype(dt), v.astype(dt)] if compute_eigenvectors else [w.astype(dt)]


@eig_p.def_abstract_eval
def _eig_abstract_eval(x, compute_eigenvectors):
    dt = _complex_of(x.dtype)
    w = core.ShapedArray(x.shape[:-1], dt)
    return [w, core.ShapedArray(x.shape, dt)] if compute_eigenvectors else [w]


@eig_p.def_jvp
def _eig_jvp(primals, tangents, compute_eigenvectors):
    # dw = diag(V^-1 dA V) (JAX defines only the eigenvalue derivative)
    (x,), (t,) = primals, tangents
    w, v = eig_p.bind(x, compute_eigenvectors=True)
    if type(t) is core.Zero:
        t = jnp.zeros_like(x)
    t = jnp.astype(t, get_aval(v).dtype)
    dw = jnp.diagonal(jnp.matmul(solve(v, t), v), axis1=-2, axis2=-1)
    if compute_eigenvectors:
        raise NotImplementedError("the derivative of eig's eigenvectors is not implemented (as in JAX); use eigvals")
    return [w], [dw]


@eig_p.def_batch
def _eig_batch(size, vals, dims, compute_eigenvectors):
    x = bdim_at_front(vals[0], dims[0], size)
    outs = eig_p.bind(x, compute_eigenvectors=compute_eigenvectors)
    return outs, [0] * len(outs)


def eig(a):
    """Eigenvalues and right eigenvectors of a general square matrix (complex results).

    Example:
      >>> import jaxnc.numpy as jnp
      >>> w, v = jnp.linalg.eig(jnp.array([[2.0, 0.0], [0.0, 3.0]]))
      >>> w.real.tolist()
      [2.0, 3.0]
    """
    (a,) = _inexact(a)
    _square("eig", a)
    w, v = eig_p.bind(a, compute_eigenvectors=True)
    return EigResult(w, v)


def eigvals(a):
    """Eigenvalues of a general square matrix (complex)."""
    (a,) = _inexact(a)
    _square("eigvals", a)
    return eig_p.bind(a, compute_eigenvectors=False)[0]


# --- results -------------------------------------------------------------------------------------


class EigResult(NamedTuple):
    eigenvalues: object
    eigenvectors: object


class EighResult(NamedTuple):
    eigenvalues: object
    eigenvectors: object


class QRResult(NamedTuple):
    Q: object  # noqa: N815
    R: object  # noqa: N815


class SlogdetResult(NamedTuple):
    sign: object
    logabsdet: object


class SVDResult(NamedTuple):
    U: object  # noqa: N815
    S: object  # noqa: N815
    Vh: object  # noqa: N815


# --- factorizations ------------------------------------------------------------------------------


def cholesky(a, *, upper=False, symmetrize_input=True):
    """Cholesky factor L (lower; U = L^H when upper=True) of a Hermitian positive-definite matrix."""
    (a,) = _inexact(a)
    _square("cholesky", a)
    lo = lax_linalg.cholesky(a, symmetrize_input=symmetrize_input)
    return _H(lo) if upper else lo


def eigh(a, UPLO=None, symmetrize_input=True):  # noqa: N803
    """Eigenvalues (ascending) and eigenvectors of a Hermitian matrix.

    Example:
      >>> import jaxnc.numpy as jnp
      >>> w, v = jnp.linalg.eigh(jnp.array([[2.0, 1.0], [1.0, 2.0]]))
      >>> w.round(5).tolist()
      [1.0, 3.0]
    """
    (a,) = _inexact(a)
    _square("eigh", a)
    if UPLO not in (None, "L", "U"):
        raise ValueError(f"eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    v, w = lax_linalg.eigh(a, lower=UPLO != "U", symmetrize_input=symmetrize_input)
    return EighResult(w, v)


def eigvalsh(a, UPLO="L", *, symmetrize_input=True):  # noqa: N803
    """Eigenvalues (ascending) of a Hermitian matrix."""
    return eigh(a, UPLO, symmetrize_input).eigenvalues


def qr(a, mode="reduced"):
    """QR decomposition; mode 'reduced', 'complete' or 'r'."""
    (a,) = _inexact(a)
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"qr: mode must be 'reduced', 'complete' or 'r' ('raw' is not supported), got {mode!r}")
    q, r = lax_linalg.qr(a, full_matrices=mode == "complete")
    return r if mode == "r" else QRResult(q, r)


def svd(a, full_matrices=True, compute_uv=True, hermitian=False, subset_by_index=None):
    """Singular value decomposition a = U @ diag(S) @ Vh (S descending)."""
    (a,) = _inexact(a)
    if not compute_uv:
        return lax_linalg.svd(a, full_matrices=full_matrices, compute_uv=False, subset_by_index=subset_by_index)
    u, s, vh = lax_linalg.svd(a, full_matrices=full_matrices, compute_uv=True, subset_by_index=subset_by_index)
    return SVDResult(u, s, vh)


def svdvals(x, /):
    """Singular values, descending."""
    return svd(x, compute_uv=False)


# --- solves and inverses -----------------------------------------------------------------------------


def _lu_solve(lu_, perm, b, trans=0):
    """Solve A x = b from A's LU factors (b: (..., n, k))."""
    if trans == 0:
        b = jnp.take_along_axis(b, jnp.broadcast_to(perm[..., :, None], jnp.shape(b)), axis=-2)
        y = lax_linalg.triangular_solve(lu_, b, left_side=True, lower=True, unit_diagonal=True)
        return lax_linalg.triangular_solve(lu_, y, left_side=True, lower=False)
    conj = trans == 2
    y = lax_linalg.triangular_solve(lu_, b, left_side=True, lower=False, transpose_a=True, conjugate_a=conj)
    x = lax_linalg.triangular_solve(lu_, y, left_side=True, lower=True, transpose_a=True, conjugate_a=conj,
                                    unit_diagonal=True)  # fmt: skip
    inv_perm = jnp.argsort(perm, axis=-1)
    return jnp.take_along_axis(x, jnp.broadcast_to(inv_perm[..., :, None], jnp.shape(x)), axis=-2)


def solve(a, b):
    """Solve a @ x = b for square a (b a vector (..., n) or matrix (..., n, k)).

    Example:
      >>> import jaxnc.numpy as jnp
      >>> jnp.linalg.solve(jnp.array([[2.0, 0.0], [0.0, 4.0]]), jnp.array([2.0, 2.0])).tolist()
      [1.0, 0.5]
    """
    a, b = _inexact(a, b)
    _square("solve", a)
    n = jnp.shape(a)[-1]
    vector = jnp.ndim(b) == 1 or (jnp.ndim(b) == jnp.ndim(a) - 1 and jnp.shape(b)[-1] == n)
    bb = b[..., None] if vector else b
    if jnp.shape(bb)[-2] != n:
        raise ValueError(f"solve: b has shape {jnp.shape(b)}, incompatible with a of shape {jnp.shape(a)}")
    batch = jnp.broadcast_shapes(jnp.shape(a)[:-2], jnp.shape(bb)[:-2])
    a = jnp.broadcast_to(a, batch + jnp.shape(a)[-2:])
    bb = jnp.broadcast_to(bb, batch + jnp.shape(bb)[-2:])
    lu_, _, perm = lax_linalg.lu(a)
    x = _lu_solve(lu_, perm, bb)
    return x[..., 0] if vector else x


def inv(a):
    """Inverse of a square matrix."""
    (a,) = _inexact(a)
    _square("inv", a)
    n = jnp.shape(a)[-1]
    return solve(a, jnp.broadcast_to(jnp.eye(n, dtype=get_aval(a).dtype), jnp.shape(a)))


def slogdet(a, *, method=None):
    """Sign and log|det| of a square matrix (from its LU factors)."""
    (a,) = _inexact(a)
    _square("slogdet", a)
    n = jnp.shape(a)[-1]
    if n == 0:
        return SlogdetResult(jnp.ones(jnp.shape(a)[:-2], get_aval(a).dtype), jnp.zeros(jnp.shape(a)[:-2],
                             dtypes.to_inexact_dtype(get_aval(jnp.abs(a)).dtype)))  # fmt: skip
    lu_, pivots, _ = lax_linalg.lu(a)
    diag = jnp.diagonal(lu_, axis1=-2, axis2=-1)
    swaps = jnp.sum(jnp.not_equal(pivots, jnp.arange(n, dtype=get_aval(pivots).dtype)), axis=-1)
    parity = jnp.where(jnp.equal(jnp.remainder(swaps, 2), 1), -1, 1)
    absd = jnp.abs(diag)
    logdet = jnp.sum(jnp.log(absd), axis=-1)
    if dtypes.is_complex(get_aval(a).dtype):
        sign = jnp.prod(diag / jnp.astype(jnp.where(jnp.equal(absd, 0), 1, absd), get_aval(a).dtype), axis=-1)
        sign = sign * jnp.astype(parity, get_aval(a).dtype)
    else:
        sign = jnp.prod(jnp.sign(diag), axis=-1) * jnp.astype(parity, get_aval(a).dtype)
    zero = jnp.any(jnp.equal(diag, 0), axis=-1)
    sign = jnp.where(zero, jnp.zeros_like(sign), sign)
    logdet = jnp.where(zero, jnp.full_like(logdet, -np.inf), logdet)
    return SlogdetResult(sign, logdet)


def det(a):
    """Determinant of a square matrix (from its LU factors).

    Example:
      >>> import jaxnc.numpy as jnp
      >>> round(float(jnp.linalg.det(jnp.array([[1.0, 2.0], [3.0, 4.0]]))), 4)
      -2.0
    """
    (a,) = _inexact(a)
    _square("det", a)
    n = jnp.shape(a)[-1]
    if n == 0:
        return jnp.ones(jnp.shape(a)[:-2], get_aval(a).dtype)
    lu_, pivots, _ = lax_linalg.lu(a)
    diag = jnp.diagonal(lu_, axis1=-2, axis2=-1)
    swaps = jnp.sum(jnp.not_equal(pivots, jnp.arange(n, dtype=get_aval(pivots).dtype)), axis=-1)
    parity = jnp.astype(jnp.where(jnp.equal(jnp.remainder(swaps, 2), 1), -1, 1), get_aval(a).dtype)
    return jnp.prod(diag, axis=-1) * parity


def pinv(a, rtol=None, hermitian=False, *, rcond=None):
    """Moore-Penrose pseudo-inverse via the SVD (singular values below rtol * max(s) are dropped)."""
    (a,) = _inexact(a)
    m, n = jnp.shape(a)[-2:]
    if rcond is not None:
        rtol = rcond
    if rtol is None:
        rtol = 10 * max(m, n) * float(dtypes.finfo(get_aval(jnp.real(a)).dtype).eps)
    u, s, vh = svd(a, full_matrices=False)
    cutoff = jnp.asarray(rtol, dtype=get_aval(s).dtype)[..., None] * s[..., :1]
    sinv = jnp.where(jnp.greater(s, cutoff), 1 / jnp.where(jnp.greater(s, cutoff), s, 1), 0)
    return jnp.matmul(_H(vh) * jnp.astype(sinv, get_aval(u).dtype)[..., None, :], _H(u))


def lstsq(a, b, rcond=None, *, numpy_resid=False):
    """Least-squares solution of a @ x = b via the SVD: (x, residuals, rank, singular values)."""
    a, b = _inexact(a, b)
    if jnp.ndim(a) != 2:
        raise TypeError(f"lstsq: a must be 2-d, got shape {jnp.shape(a)}")
    vector = jnp.ndim(b) == 1
    bb = b[:, None] if vector else b
    if jnp.shape(bb)[0] != jnp.shape(a)[0]:
        raise TypeError(f"lstsq: leading dimensions of a {jnp.shape(a)} and b {jnp.shape(b)} differ")
    m, n = jnp.shape(a)
    dt = get_aval(jnp.real(a)).dtype
    if rcond is None:
        rcond = float(dtypes.finfo(dt).eps) * max(m, n)
    u, s, vh = svd(a, full_matrices=False)
    mask = jnp.greater_equal(s, jnp.asarray(rcond, dtype=dt) * s[0]) if jnp.shape(s)[0] else jnp.zeros((0,), bool)
    rank = jnp.sum(mask)
    safe_s = jnp.where(mask, s, 1)
    uTb = jnp.matmul(_H(u), bb)  # noqa: N806
    x = jnp.matmul(_H(vh), jnp.where(mask[:, None], uTb / jnp.astype(safe_s, get_aval(uTb).dtype)[:, None], 0))
    resid = jnp.sum(jnp.abs(jnp.matmul(a, x) - bb) ** 2, axis=0)
    if numpy_resid:
        resid = jnp.where(jnp.equal(rank, n) & (m > n), resid, jnp.zeros_like(resid)) if m > n else resid[:0]
    if vector:
        x = x[:, 0]
        resid = resid[0] if jnp.ndim(resid) and jnp.shape(resid)[0] else resid
    return x, resid, rank, s


def tensorinv(a, ind=2):
    """Inverse of an N-d array regarded as a linear map over its first `ind` axes."""
    a = _arr(a)
    s = jnp.shape(a)
    inv_shape = s[ind:] + s[:ind]
    prod_out = math.prod(s[ind:])
    if math.prod(s[:ind]) != prod_out:
        raise ValueError(f"tensorinv: the first {ind} axes and the rest must have equal total size, got shape {s}")
    return jnp.reshape(inv(jnp.reshape(a, (math.prod(s[:ind]), prod_out))), inv_shape)


def tensorsolve(a, b, axes=None):
    """Solve tensordot(a, x, axes=x.ndim) = b for x."""
    a, b = _inexact(a, b)
    if axes is not None:
        allaxes = [i for i in range(jnp.ndim(a)) if i not in axes]
        a = jnp.transpose(a, allaxes + list(axes))
    out_shape = jnp.shape(a)[jnp.ndim(b) :]
    n = math.prod(out_shape)
    return jnp.reshape(solve(jnp.reshape(a, (-1, n)), jnp.ravel(b)), out_shape)


def matrix_power(a, n):
    """a raised to the integer power n (negative n: of the inverse) by repeated squaring."""
    a = _arr(a)
    _square("matrix_power", a)
    n = int(n)
    if n == 0:
        return jnp.broadcast_to(jnp.eye(jnp.shape(a)[-1], dtype=get_aval(a).dtype), jnp.shape(a))
    if n < 0:
        a, n = inv(a), -n
    result = None
    base = a
    while n:
        if n & 1:
            result = base if result is None else jnp.matmul(result, base)
        n >>= 1
        if n:
            base = jnp.matmul(base, base)
    return result


def matrix_rank(M, rtol=None, *, tol=None):  # noqa: N803
    """Number of singular values above tol (default: max(s) * max(m, n) * eps)."""
    (M,) = _inexact(M)  # noqa: N806
    if jnp.ndim(M) < 2:
        return jnp.astype(jnp.any(jnp.not_equal(M, 0)), np.int32)
    s = svdvals(M)
    if tol is None:
        r = rtol if rtol is not None else max(jnp.shape(M)[-2:]) * float(dtypes.finfo(get_aval(s).dtype).eps)
        tol = jnp.asarray(r, dtype=get_aval(s).dtype)[..., None] * jnp.max(s, axis=-1, keepdims=True)
    else:
        tol = jnp.asarray(tol, dtype=get_aval(s).dtype)[..., None]
    return jnp.sum(jnp.greater(s, tol), axis=-1)


def multi_dot(arrays, *, precision=None):
    """Chained matrix product with the cheapest association (1-d ends act as row/column vectors)."""
    from jaxnc._src.numpy.einsum import einsum

    arrays = [_arr(x) for x in arrays]
    if len(arrays) < 2:
        raise ValueError(f"multi_dot: expecting at least two arrays, got {len(arrays)}")
    import opt_einsum

    n = len(arrays)
    labels = [opt_einsum.get_symbol(i) for i in range(n + 1)]
    specs = [labels[i] + labels[i + 1] for i in range(n)]
    first, last = labels[0], labels[n]
    if jnp.ndim(arrays[0]) == 1:
        specs[0], first = specs[0][1:], ""
    if jnp.ndim(arrays[-1]) == 1:
        specs[-1], last = specs[-1][:-1], ""
    for i, x in enumerate(arrays):
        if jnp.ndim(x) != len(specs[i]):
            raise ValueError(f"multi_dot: array {i} has shape {jnp.shape(x)}; inner arrays must be 2-d, the ends 1-d or 2-d")
    return einsum(",".join(specs) + "->" + first + last, *arrays, optimize="optimal", precision=precision)


# --- norms ---------------------------------------------------------------------------------------


def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):  # noqa: A002
    """Vector p-norm over axis (None: all elements), including inf, -inf and 0."""
    (x,) = _inexact(x)
    ax = jnp.abs(x)
    if ord == 2:
        return jnp.sqrt(jnp.sum(jnp.real(x * jnp.conj(x)), axis=axis, keepdims=keepdims))
    if ord == np.inf:
        return jnp.max(ax, axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return jnp.min(ax, axis=axis, keepdims=keepdims)
    if ord == 0:
        return jnp.sum(jnp.astype(jnp.not_equal(x, 0), get_aval(ax).dtype), axis=axis, keepdims=keepdims)
    if ord == 1:
        return jnp.sum(ax, axis=axis, keepdims=keepdims)
    p = jnp.asarray(ord, dtype=get_aval(ax).dtype)
    return jnp.power(jnp.sum(jnp.power(ax, p), axis=axis, keepdims=keepdims), 1 / p)


def matrix_norm(x, /, *, keepdims=False, ord="fro"):  # noqa: A002
    """Matrix norm over the last two axes: 'fro', 'nuc', 1, -1, 2, -2, inf, -inf."""
    return norm(x, ord, axis=(-2, -1), keepdims=keepdims)


def norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002
    """Vector or matrix norm, as numpy.linalg.norm.

    Example:
      >>> import jaxnc.numpy as jnp
      >>> float(jnp.linalg.norm(jnp.array([3.0, 4.0])))
      5.0
    """
    (x,) = _inexact(x)
    nd = jnp.ndim(x)
    if axis is None:
        if ord is None:
            return vector_norm(jnp.ravel(x), keepdims=False) if not keepdims else \
                jnp.reshape(vector_norm(jnp.ravel(x)), (1,) * nd)  # fmt: skip
        axis = tuple(range(nd))
    axes = jnp._canonical_axes(axis, nd, "norm")
    if len(axes) == 1:
        return vector_norm(x, axis=axes, keepdims=keepdims, ord=2 if ord is None else ord)
    if len(axes) != 2:
        raise ValueError(f"norm: improper number of axes for a norm: {axis}")
    r, c = axes
    if ord in (None, "fro", "f"):
        return jnp.sqrt(jnp.sum(jnp.real(x * jnp.conj(x)), axis=axes, keepdims=keepdims))
    ax = jnp.abs(x)
    if ord in (1, -1):
        red = jnp.max if ord == 1 else jnp.min
        out = red(jnp.sum(ax, axis=r, keepdims=True), axis=c, keepdims=True)
    elif ord in (np.inf, -np.inf):
        red = jnp.max if ord == np.inf else jnp.min
        out = red(jnp.sum(ax, axis=c, keepdims=True), axis=r, keepdims=True)
    elif ord in (2, -2, "nuc"):
        y = jnp.moveaxis(x, (r, c), (-2, -1))
        s = svdvals(y)
        out = jnp.max(s, -1) if ord == 2 else jnp.min(s, -1) if ord == -2 else jnp.sum(s, -1)
        if keepdims:
            out = jnp.expand_dims(out, (r, c) if r < c else (c, r))
        return out
    else:
        raise ValueError(f"norm: invalid norm order {ord!r} for matrices")
    return out if keepdims else jnp.squeeze(out, axes)


def cond(x, p=None):
    """Condition number of a matrix in norm p (default 2: ratio of extreme singular values)."""
    (x,) = _inexact(x)
    if p is None or p == 2:
        s = svdvals(x)
        return s[..., 0] / s[..., -1]
    if p == -2:
        s = svdvals(x)
        return s[..., -1] / s[..., 0]
    return norm(x, p, axis=(-2, -1)) * norm(inv(x), p, axis=(-2, -1))


# --- array-API helpers -----------------------------------------------------------------------------


def cross(x1, x2, /, *, axis=-1):
    """Cross product of 3-vectors along axis (array API)."""
    from jaxnc._src.numpy.products import cross as _cross

    if jnp.shape(x1)[axis] != 3 or jnp.shape(x2)[axis] != 3:
        raise ValueError(f"linalg.cross: both inputs must have size 3 along axis {axis}, got {jnp.shape(x1)} and "
                         f"{jnp.shape(x2)}")  # fmt: skip
    return _cross(x1, x2, axis=axis)


def outer(x1, x2, /):
    """Outer product of two 1-d arrays (array API)."""
    if jnp.ndim(x1) != 1 or jnp.ndim(x2) != 1:
        raise ValueError(f"linalg.outer: inputs must be 1-d, got shapes {jnp.shape(x1)} and {jnp.shape(x2)}")
    return jnp.outer(x1, x2)


def trace(x, /, *, offset=0, dtype=None):
    """Sum of the diagonal over the last two axes (array API)."""
    return jnp.trace(x, offset, -2, -1, dtype)


def diagonal(x, /, *, offset=0):
    """Diagonal over the last two axes (array API)."""
    return jnp.diagonal(x, offset, -2, -1)


def matmul(x1, x2, /, *, precision=None, preferred_element_type=None):
    """Matrix product (array API alias of jnp.matmul)."""
    return jnp.matmul(x1, x2, precision=precision, preferred_element_type=preferred_element_type)


def matrix_transpose(x, /):
    """Swap the last two axes (array API)."""
    return jnp.matrix_transpose(x)


def tensordot(x1, x2, /, *, axes=2, precision=None, preferred_element_type=None):
    """Tensor contraction (array API alias of jnp.tensordot)."""
    return jnp.tensordot(x1, x2, axes)


def vecdot(x1, x2, /, *, axis=-1, precision=None, preferred_element_type=None):
    """Conjugated dot product along axis (array API)."""
    from jaxnc._src.numpy.products import vecdot as _vecdot

    return _vecdot(x1, x2, axis=axis, precision=precision, preferred_element_type=preferred_element_type)

