"""Elementwise jnp functions beyond the lax one-liners: NaN-aware min/max, float decomposition, gcd/lcm."""

from __future__ import annotations

import numpy as np

from jaxnc._src import dtypes
from jaxnc._src.core import get_aval
from jaxnc._src.lax import lax
from jaxnc._src.numpy import lax_numpy as jnp


def _arr(x):
    return x if hasattr(x, "aval") else jnp.asarray(x)


def fmax(x1, x2, /):
    """Elementwise maximum that ignores NaNs (a NaN loses unless both are NaN).

    Example:
      >>> import jaxnc.numpy as jnp
      >>> jnp.fmax(jnp.array([1.0, jnp.nan]), 0.5).tolist()
      [1.0, 0.5]
    """
    x1, x2 = jnp._promote_and_broadcast("fmax", (x1, x2))
    return jnp.where(jnp.greater(x1, x2) | jnp.isnan(x2), x1, x2)


def fmin(x1, x2, /):
    """Elementwise minimum that ignores NaNs (a NaN loses unless both are NaN)."""
    x1, x2 = jnp._promote_and_broadcast("fmin", (x1, x2))
    return jnp.where(jnp.less(x1, x2) | jnp.isnan(x2), x1, x2)


def logaddexp2(x1, x2, /):
    """log2(2**x1 + 2**x2), computed without overflow."""
    x1, x2 = jnp._promote_and_broadcast("logaddexp2", (x1, x2), inexact=True)
    ln2 = lax._const(x1, np.log(2))
    return lax.div(jnp.logaddexp(lax.mul(x1, ln2), lax.mul(x2, ln2)), ln2)


def sinc(x, /):
    """sin(pi x) / (pi x), equal to 1 at 0.

    Example:
      >>> import jaxnc.numpy as jnp
      >>> [round(v, 4) for v in jnp.sinc(jnp.array([0.0, 0.5])).tolist()]
      [1.0, 0.6366]
    """
    (x,) = jnp.promote_dtypes_inexact(x)
    zero = jnp.equal(x, 0)
    pi_x = lax.mul(lax._const(x, np.pi), jnp.where(zero, lax._const(x, 1), x))
    return jnp.where(zero, lax._const(x, 1), lax.div(lax.sin(pi_x), pi_x))


def heaviside(x1, x2, /):
    """The step function: 0 for x1 < 0, x2 at 0, 1 for x1 > 0."""
    x1, x2 = jnp._promote_and_broadcast("heaviside", (x1, x2), inexact=True)
    zero, one = lax.full_like(x1, 0), lax.full_like(x1, 1)
    return jnp.where(jnp.less(x1, 0), zero, jnp.where(jnp.greater(x1, 0), one, jnp.where(jnp.isnan(x1), x1, x2)))


def _int_type(dt):
    return np.dtype(f"int{np.dtype(dt).itemsize * 8}")


def frexp(x, /):
    """Mantissa in [0.5, 1) and integer exponent with x == mantissa * 2**exponent.

    Example:
      >>> import jaxnc.numpy as jnp
      >>> m, e = jnp.frexp(jnp.array([8.0, 0.75]))
      >>> m.tolist(), e.tolist()
      ([0.5, 0.75], [4, 0])
    """
    (x,) = jnp.promote_dtypes_inexact(x)
    dt = get_aval(x).dtype
    if dtypes.is_complex(dt):
        raise TypeError(f"frexp does not support complex input, got dtype {dt}")
    info = dtypes.finfo(dt)
    it = _int_type(dt)
    subnormal = jnp.less(jnp.abs(x), lax._const(x, info.tiny))
    x1 = jnp.where(subnormal, lax.mul(x, lax._const(x, 2.0**info.nmant)), x)
    bits = lax.bitcast_convert_type(x1, it)
    exp_mask, bias = (1 << info.nexp) - 1, 1 - info.minexp
    shifted = lax.shift_right_logical(bits, lax.full_like(bits, info.nmant))
    e = lax.sub(lax.bitwise_and(shifted, lax.full_like(bits, exp_mask)), lax.full_like(bits, bias - 1))
    e = lax.add(e, jnp.where(subnormal, lax.full_like(bits, -info.nmant), lax.full_like(bits, 0)))
    clear = lax.bitwise_and(bits, lax.full_like(bits, ~(exp_mask << info.nmant)))
    mant = lax.bitcast_convert_type(lax.bitwise_or(clear, lax.full_like(bits, (bias - 1) << info.nmant)), dt)
    special = jnp.isinf(x) | jnp.isnan(x) | jnp.equal(x, 0)
    return jnp.where(special, x, mant), jnp.astype(jnp.where(special, lax.full_like(e, 0), e), np.int32)


def ldexp(x1, x2, /):
    """x1 * 2**x2 for integer x2 (split in two factors so large exponents do not overflow early)."""
    x2 = _arr(x2)
    if not dtypes.is_integer(get_aval(x2).dtype):
        raise TypeError(f"ldexp: the exponent must be an integer array, got dtype {get_aval(x2).dtype}")
    (x1,) = jnp.promote_dtypes_inexact(x1)
    x1, x2 = jnp.broadcast_arrays(x1, x2)
    half = jnp.floor_divide(x2, 2)
    f1 = jnp.exp2(jnp.astype(half, get_aval(x1).dtype))
    f2 = jnp.exp2(jnp.astype(jnp.subtract(x2, half), get_aval(x1).dtype))
    return lax.mul(lax.mul(x1, f1), f2)


def modf(x, /):
    """Fractional and integral parts, both with the sign of x."""
    (x,) = jnp.promote_dtypes_inexact(x)
    whole = jnp.trunc(x)
    return lax.sub(x, whole), whole


def gcd(x1, x2, /):
    """Greatest common divisor of integers (|result|; gcd(0, 0) == 0).

    Example:
      >>> import jaxnc.numpy as jnp
      >>> jnp.gcd(jnp.array([12, 7, 0]), jnp.array([18, 5, 0])).tolist()
      [6, 1, 0]
    """
    x1, x2 = jnp._promote_and_broadcast("gcd", (x1, x2))
    dt = get_aval(x1).dtype
    if not dtypes.is_integer(dt):
        raise TypeError(f"gcd requires integer arguments, got dtype {dt}")
    a, b = jnp.abs(x1), jnp.abs(x2)
    # NB: Euclid finishes within 1.5 * bits steps (Fibonacci worst case), so a fixed unroll is exact.
    for _ in range(int(1.5 * dt.itemsize * 8) + 2):
        nz = jnp.not_equal(b, 0)
        safe = jnp.where(nz, b, lax.full_like(b, 1))
        a, b = jnp.where(nz, b, a), jnp.where(nz, lax.rem(a, safe), b)
    return a


def lcm(x1, x2, /):
    """Least common multiple of integers (0 when either is 0)."""
    x1, x2 = jnp._promote_and_broadcast("lcm", (x1, x2))
    x1, x2 = jnp.abs(x1), jnp.abs(x2)
    g = gcd(x1, x2)
    safe = jnp.where(jnp.equal(g, 0), lax.full_like(g, 1), g)
    # NB: |x1| * (|x2| // g) as JAX computes it, so an overflow wraps to the same number
    return jnp.where(jnp.equal(g, 0), g, lax.mul(x1, lax.div(x2, safe)))


def spacing(x, /):
    """Distance from x to the next representable number away from zero."""
    (x,) = jnp.promote_dtypes_inexact(x)
    away = jnp.where(jnp.signbit(x), lax._const(x, -np.inf), lax._const(x, np.inf))
    return lax.sub(lax.nextafter(x, away), x)


def isreal(x, /):
    """True where the imaginary part is zero."""
    x = _arr(x)
    if not dtypes.is_complex(get_aval(x).dtype):
        return lax.full(get_aval(x).shape, True, np.bool_)
    return jnp.equal(lax.imag(x), 0)


def iscomplex(x, /):
    """True where the imaginary part is nonzero."""
    return jnp.logical_not(isreal(x))


def isrealobj(x) -> bool:
    """Whether x has a non-complex dtype."""
    return not jnp.iscomplexobj(x)


def bitwise_count(x, /):
    """Number of set bits in |x|, as uint8 (NumPy's definition)."""
    x = _arr(x)
    if not dtypes.is_integer(get_aval(x).dtype):
        raise TypeError(f"bitwise_count requires an integer array, got dtype {get_aval(x).dtype}")
    return lax.convert_element_type(lax.population_count(jnp.abs(x)), np.uint8)




def i0(x):
    """Modified Bessel function of the first kind, order 0: exp(|x|) * bessel_i0e(x).

    Example:
      >>> import jaxnc.numpy as jnp
      >>> round(float(jnp.i0(1.0)), 5)
      1.26607
    """
    from jaxnc._src.lax import special

    (x,) = jnp.promote_dtypes_inexact(x)
    if dtypes.is_complex(get_aval(x).dtype):
        raise TypeError(f"i0 does not support complex input, got dtype {get_aval(x).dtype}")
    return lax.mul(lax.exp(lax.abs(x)), special.bessel_i0e(x))
