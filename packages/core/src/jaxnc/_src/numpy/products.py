"""Vector and tensor products beyond dot/matmul: kron, cross, and the array-API vecdot/matvec/vecmat."""

from __future__ import annotations

from jaxnc._src import dtypes
from jaxnc._src.core import get_aval
from jaxnc._src.numpy import lax_numpy as jnp


def _arr(x):
    return x if hasattr(x, "aval") else jnp.asarray(x)


def kron(a, b):
    """Kronecker product: blocks a[i, j] * b.

    Example:
      >>> import jaxnc.numpy as jnp
      >>> jnp.kron(jnp.array([1, 2]), jnp.array([1, 10])).tolist()
      [1, 10, 2, 20]
    """
    a, b = jnp.promote_dtypes(_arr(a), _arr(b))
    a, b = _arr(a), _arr(b)
    nd = max(jnp.ndim(a), jnp.ndim(b))
    a = jnp.reshape(a, (1,) * (nd - jnp.ndim(a)) + jnp.shape(a))
    b = jnp.reshape(b, (1,) * (nd - jnp.ndim(b)) + jnp.shape(b))
    # interleave axes: a on even positions, b on odd ones, then merge pairs
    a_e = jnp.reshape(a, [d for s in jnp.shape(a) for d in (s, 1)])
    b_e = jnp.reshape(b, [d for s in jnp.shape(b) for d in (1, s)])
    return jnp.reshape(a_e * b_e, [x * y for x, y in zip(jnp.shape(a), jnp.shape(b), strict=True)])


def vecdot(x1, x2, /, *, axis=-1, precision=None, preferred_element_type=None):
    """sum(conj(x1) * x2) along axis, with broadcasting of the other axes (array API)."""
    x1, x2 = _arr(x1), _arr(x2)
    if jnp.shape(x1)[axis] != jnp.shape(x2)[axis]:
        raise ValueError(f"vecdot: axes of size {jnp.shape(x1)[axis]} and {jnp.shape(x2)[axis]} do not match "
                         f"(shapes {jnp.shape(x1)} and {jnp.shape(x2)})")  # fmt: skip
    x1 = jnp.moveaxis(x1, axis, -1)
    x2 = jnp.moveaxis(x2, axis, -1)
    if dtypes.is_complex(get_aval(x1).dtype):
        x1 = jnp.conj(x1)
    return jnp.matmul(x1[..., None, :], x2[..., :, None], precision=precision,
                      preferred_element_type=preferred_element_type)[..., 0, 0]  # fmt: skip


def matvec(x1, x2, /):
    """Batched matrix-vector product: (..., m, n) x (..., n) -> (..., m)."""
    x1, x2 = _arr(x1), _arr(x2)
    if jnp.ndim(x1) < 2 or jnp.ndim(x2) < 1:
        raise ValueError(f"matvec: needs a matrix and a vector, got shapes {jnp.shape(x1)} and {jnp.shape(x2)}")
    return jnp.matmul(x1, x2[..., None])[..., 0]


def vecmat(x1, x2, /):
    """Batched vector-matrix product conj(x1) @ x2: (..., m) x (..., m, n) -> (..., n)."""
    x1, x2 = _arr(x1), _arr(x2)
    if jnp.ndim(x1) < 1 or jnp.ndim(x2) < 2:
        raise ValueError(f"vecmat: needs a vector and a matrix, got shapes {jnp.shape(x1)} and {jnp.shape(x2)}")
    if dtypes.is_complex(get_aval(x1).dtype):
        x1 = jnp.conj(x1)
    return jnp.matmul(x1[..., None, :], x2)[..., 0, :]


def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Cross product of 3-vectors (or the z component for 2-vectors) along the given axes.

    Example:
      >>> import jaxnc.numpy as jnp
      >>> jnp.cross(jnp.array([1, 0, 0]), jnp.array([0, 1, 0])).tolist()
      [0, 0, 1]
    """
    if axis is not None:
        axisa = axisb = axisc = axis
    a = jnp.moveaxis(_arr(a), axisa, -1)
    b = jnp.moveaxis(_arr(b), axisb, -1)
    na, nb = jnp.shape(a)[-1], jnp.shape(b)[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError(f"cross: incompatible dimensions for cross product (dimension must be 2 or 3), got {na} and {nb}")
    a, b = jnp.promote_dtypes(a, b)
    a0, a1 = a[..., 0], a[..., 1]
    b0, b1 = b[..., 0], b[..., 1]
    a2 = a[..., 2] if na == 3 else jnp.zeros_like(a0)
    b2 = b[..., 2] if nb == 3 else jnp.zeros_like(b0)
    c2 = a0 * b1 - a1 * b0
    if na == 2 and nb == 2:
        return c2
    c = jnp.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, c2], axis=-1)
    return jnp.moveaxis(c, -1, axisc)

