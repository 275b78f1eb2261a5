"""Math expansions: transcendental functions as polynomials over basic ops, for backends without them.

Targets like wasm have no exp, log or sin, and WGSL's are inaccurate; a kernel backend that does not
render an op gets its expansion here (after Cephes: range reduction plus a minimax polynomial or
rational function, with NaN, ±inf and ±0 handled by selects): float32 for the whole list below,
float64 for exp, log, sin, cos, tanh and erf (`EXPANSIONS_F64`). `expand` rewrites a kernel
expression until every node is rendered natively.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from jaxnc._src.lowering import ir

F32 = np.dtype(np.float32)
F64 = np.dtype(np.float64)
I32 = np.dtype(np.int32)
I64 = np.dtype(np.int64)


class _E:
    """Operator sugar over ir nodes of one float dtype, so formulas read like the math."""

    __slots__ = ("x",)

    def __init__(self, x: ir.Expr) -> None:
        self.x = x

    @staticmethod
    def of(v, like: _E) -> _E:
        return v if isinstance(v, _E) else _E(ir.const(v, like.x.dtype))

    def _bin(self, op, other, swap=False):
        o = _E.of(other, self)
        a, b = (o, self) if swap else (self, o)
        return _E(ir.apply(op, a.x, b.x))

    __add__ = lambda self, o: self._bin("add", o)  # noqa: E731
    __radd__ = lambda self, o: self._bin("add", o, True)  # noqa: E731
    __sub__ = lambda self, o: self._bin("sub", o)  # noqa: E731
    __rsub__ = lambda self, o: self._bin("sub", o, True)  # noqa: E731
    __mul__ = lambda self, o: self._bin("mul", o)  # noqa: E731
    __rmul__ = lambda self, o: self._bin("mul", o, True)  # noqa: E731
    __truediv__ = lambda self, o: self._bin("div", o)  # noqa: E731
    __rtruediv__ = lambda self, o: self._bin("div", o, True)  # noqa: E731
    __lt__ = lambda self, o: self._bin("lt", o)  # noqa: E731
    __le__ = lambda self, o: self._bin("le", o)  # noqa: E731
    __gt__ = lambda self, o: self._bin("gt", o)  # noqa: E731
    __ge__ = lambda self, o: self._bin("ge", o)  # noqa: E731

    def __neg__(self):
        return _E(ir.apply("neg", self.x))

    def eq(self, o):
        return self._bin("eq", o)

    def ne(self, o):
        return self._bin("ne", o)


def _u(op: str, *xs: _E, **params) -> _E:
    return _E(ir.apply(op, *(x.x for x in xs), **params))


def _where(c: _E, a, b) -> _E:
    a = _E.of(a, b) if not isinstance(a, _E) else a
    b = _E.of(b, a)
    return _E(ir.where(c.x, a.x, b.x))


def _or(a: _E, b: _E) -> _E:
    return _E(ir.apply("or", a.x, b.x))


def _and(a: _E, b: _E) -> _E:
    return _E(ir.apply("and", a.x, b.x))


def _poly(x: _E, coefs) -> _E:
    """Horner: coefs[0] * x**(n-1) + ... + coefs[-1]."""
    acc = _E.of(coefs[0], x)
    for c in coefs[1:]:
        acc = acc * x + c
    return acc


def _to_int(x: _E) -> _E:
    return _u("convert_element_type", x, new_dtype=I32, weak_type=False)


def _to_float(k: _E, dtype=F32) -> _E:
    return _u("convert_element_type", k, new_dtype=dtype, weak_type=False)


def _int(v: int) -> _E:
    return _E(ir.const(v, I32))


def _pow2(k: _E) -> _E:
    """2**k for integer k in [-126, 127], as float32 bits."""
    return _u("bitcast_convert_type", _E(ir.apply("shift_left", (k + _int(127)).x, _int(23).x)), new_dtype=F32)


def _scale(y: _E, k: _E) -> _E:
    """y * 2**k for k in [-252, 254], in two steps so overflow and gradual underflow come out right."""
    half = _E(ir.apply("shift_right_arithmetic", k.x, _int(1).x))
    return y * _pow2(half) * _pow2(k - half)


def _signbit(x: _E) -> _E:
    return _u("bitcast_convert_type", x, new_dtype=I32) < _int(0)


def exp(x: _E) -> _E:
    x = _u("min", _u("max", x, _E.of(-104.0, x)), _E.of(89.0, x))
    k = _u("floor", x * 1.44269504088896341 + 0.5)
    r = x - k * 0.693359375 - k * -2.12194440e-4
    p = _poly(r, [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1])
    y = p * (r * r) + r + 1.0
    return _scale(y, _to_int(k))


def exp2(x: _E) -> _E:
    x = _u("min", _u("max", x, _E.of(-151.0, x)), _E.of(129.0, x))
    k = _u("floor", x + 0.5)
    f = x - k
    p = _poly(f, [1.535336188319500e-4, 1.339887440266574e-3, 9.618437357674640e-3, 5.550332471162809e-2,
                  2.402264791363012e-1, 6.931472028550421e-1, 1.0])  # fmt: skip
    return _scale(p, _to_int(k))


def log(x: _E) -> _E:
    tiny = x < 1.1754943508222875e-38
    xs = _where(tiny, x * 8388608.0, x)  # denormals: scale by 2**23 first
    bits = _u("bitcast_convert_type", xs, new_dtype=I32)
    e = _E(ir.apply("shift_right_arithmetic", bits.x, _int(23).x)) - _int(126) - _where(tiny, _int(23), _int(0))
    m = _u("bitcast_convert_type", _E(ir.apply("or", ir.apply("and", bits.x, _int(0x007FFFFF).x), _int(0x3F000000).x)),
           new_dtype=F32)  # fmt: skip
    low = m < 0.707106781186547524
    ef = _to_float(e) - _where(low, _E.of(1.0, x), 0.0)
    m = _where(low, m + m - 1.0, m - 1.0)
    z = m * m
    y = m * z * _poly(m, [7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1,
                          -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1])  # fmt: skip
    y = y + ef * -2.12194440e-4 - z * 0.5
    r = m + y + ef * 0.693359375
    r = _where(x.eq(math.inf), math.inf, r)
    r = _where(x.eq(0.0), -math.inf, r)
    return _where(_or(x < 0.0, x.ne(x)), math.nan, r)


def log1p(x: _E) -> _E:
    u = x + 1.0
    small = u.eq(1.0)
    r = log(u) * (x / _where(small, _E.of(1.0, x), u - 1.0))  # Goldberg: exact-ish log(1+x) from log(u)
    r = _where(small, x, r)
    return _where(x.eq(math.inf), math.inf, r)


def expm1(x: _E) -> _E:
    small = _u("abs", x) < 0.25
    taylor = x * _poly(x, [1 / 5040, 1 / 720, 1 / 120, 1 / 24, 1 / 6, 0.5, 1.0])
    return _where(small, taylor, exp(x) - 1.0)


_DP = (0.78515625, 2.4187564849853515625e-4, 3.77489497744594108e-8)
_FOPI = 1.27323954473516


def _reduce_quarter_pi(x: _E):
    """|x| = j * pi/4 + z with j even (as Cephes); returns (z, j & 7)."""
    ax = _u("abs", x)
    j = _to_int(ax * _FOPI)
    j = j + _E(ir.apply("and", j.x, _int(1).x))
    y = _to_float(j)
    z = ((ax - y * _DP[0]) - y * _DP[1]) - y * _DP[2]
    return z, _E(ir.apply("and", j.x, _int(7).x))


def _sin_poly(z: _E, zz: _E) -> _E:
    return _poly(zz, [-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1]) * zz * z + z


def _cos_poly(zz: _E) -> _E:
    return _poly(zz, [2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2]) * zz * zz - zz * 0.5 + 1.0


def sin(x: _E) -> _E:
    z, j = _reduce_quarter_pi(x)
    zz = z * z
    flip = j > _int(3)
    j = _where(flip, j - _int(4), j)
    y = _where(_or(j.eq(_int(1)), j.eq(_int(2))), _cos_poly(zz), _sin_poly(z, zz))
    negative = _E(ir.apply("xor", flip.x, (x < 0.0).x))
    return _where(negative, -y, y)


def cos(x: _E) -> _E:
    z, j = _reduce_quarter_pi(x)
    zz = z * z
    flip = j > _int(3)
    j = _where(flip, j - _int(4), j)
    negative = _E(ir.apply("xor", flip.x, (j > _int(1)).x))
    y = _where(_or(j.eq(_int(1)), j.eq(_int(2))), _sin_poly(z, zz), _cos_poly(zz))
    return _where(negative, -y, y)


def tan(x: _E) -> _E:
    z, j = _reduce_quarter_pi(x)
    zz = z * z
    y = _poly(zz, [9.38540185543e-3, 3.11992232697e-3, 2.44301354525e-2, 5.34112807005e-2, 1.33387994085e-1,
                   3.33331568548e-1]) * zz * z + z  # fmt: skip
    y = _where(_E(ir.apply("and", j.x, _int(2).x)).ne(_int(0)), -1.0 / y, y)
    y = _where(_u("abs", x).eq(math.inf), math.nan, y)
    return _where(x < 0.0, -y, y)


def tanh(x: _E) -> _E:
    ax = _u("abs", x)
    z = x * x
    small = _poly(z, [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1,
                      -3.33332819422e-1]) * z * x + x  # fmt: skip
    big = 1.0 - 2.0 / (exp(ax + ax) + 1.0)
    big = _where(x < 0.0, -big, big)
    return _where(ax < 0.625, small, big)


def logistic(x: _E) -> _E:
    return 1.0 / (1.0 + exp(-x))


def sinh(x: _E) -> _E:
    ax = _u("abs", x)
    em1 = expm1(ax)
    small = (em1 + em1 / (em1 + 1.0)) * 0.5
    e = _half_exp(ax)
    big = e - 0.25 / e
    y = _where(ax < 1.0, small, big)
    return _where(x < 0.0, -y, y)


def _half_exp(ax: _E) -> _E:
    """e**ax / 2, finite up to ax = 89.4 (beyond exp's own overflow at 88.7)."""
    return _where(ax < 88.0, exp(ax) * 0.5, exp(ax - 0.693147180559945309))


def cosh(x: _E) -> _E:
    e = _half_exp(_u("abs", x))
    return e + 0.25 / e


def atan(x: _E) -> _E:
    ax = _u("abs", x)
    big = ax > 2.414213562373095
    mid = ax > 0.4142135623730950
    t = _where(big, -1.0 / ax, _where(mid, (ax - 1.0) / (ax + 1.0), ax))
    base = _where(big, _E.of(math.pi / 2, x), _where(mid, _E.of(math.pi / 4, x), 0.0))
    z = t * t
    y = base + _poly(z, [8.05374449538e-2, -1.38776856032e-1, 1.99777106478e-1, -3.33329491539e-1]) * z * t + t
    return _where(x < 0.0, -y, y)


def atan2(y: _E, x: _E) -> _E:
    ax, ay = _u("abs", x), _u("abs", y)
    hi, lo = _u("max", ax, ay), _u("min", ax, ay)
    both_inf = _and(ax.eq(math.inf), ay.eq(math.inf))
    t = _where(both_inf, _E.of(1.0, x), _where(hi.eq(0.0), _E.of(0.0, x), lo / hi))
    a = atan(t)
    a = _where(ay > ax, math.pi / 2 - a, a)
    a = _where(_signbit(x), math.pi - a, a)
    a = _where(_or(x.ne(x), y.ne(y)), math.nan, a)
    return _where(_signbit(y), -a, a)


def _asin_core(ax: _E):
    flag = ax > 0.5
    z = _where(flag, (1.0 - ax) * 0.5, ax * ax)
    s = _where(flag, _u("sqrt", z), ax)
    p = _poly(z, [4.2163199048e-2, 2.4181311049e-2, 4.5470025998e-2, 7.4953002686e-2, 1.6666752422e-1]) * z * s + s
    return _where(flag, math.pi / 2 - (p + p), p)


def asin(x: _E) -> _E:
    y = _asin_core(_u("abs", x))
    y = _where(_u("abs", x) > 1.0, math.nan, y)
    return _where(x < 0.0, -y, y)


def acos(x: _E) -> _E:
    ax = _u("abs", x)
    y = _asin_core(_u("sqrt", (1.0 - ax) * 0.5))
    r = _where(x < -0.5, math.pi - (y + y), _where(x > 0.5, y + y, math.pi / 2 - asin(x)))
    return _where(ax > 1.0, math.nan, r)


def asinh(x: _E) -> _E:
    ax = _u("abs", x)
    z = ax * ax
    small = log1p(ax + z / (1.0 + _u("sqrt", z + 1.0)))
    big = log(ax) + 0.693147180559945309
    y = _where(ax > 1e18, big, small)
    return _where(x < 0.0, -y, y)


def acosh(x: _E) -> _E:
    big = log(x) + 0.693147180559945309
    t = x - 1.0  # exact near 1, where x*x - 1 would cancel
    y = log1p(t + _u("sqrt", t * t + t + t))
    return _where(x < 1.0, math.nan, _where(x > 1e18, big, y))  # x < 1 (-inf too) is outside the domain


def atanh(x: _E) -> _E:
    small = log1p((x + x) / (1.0 - x)) * 0.5
    big = log((1.0 + x) / (1.0 - x)) * 0.5
    return _where(_u("abs", x) < 0.5, small, big)


def pow_(x: _E, y: _E) -> _E:
    return _pow_signs(x, y, exp(y * log(_u("abs", x))))


def pow_via_f64(x: _E, y: _E) -> _E:
    """float32 pow through the float64 exp/log, for backends that render float64: y·log|x| multiplies
    log's error by up to ~100, so `pow_` in float32 alone is off by up to ~100 ULP."""

    def f64(v: _E) -> _E:
        return _u("convert_element_type", v, new_dtype=F64, weak_type=False)

    r = exp_f64(f64(y) * log_f64(f64(_u("abs", x))))
    return _pow_signs(x, y, _u("convert_element_type", r, new_dtype=F32, weak_type=False))


def _pow_signs(x: _E, y: _E, r: _E) -> _E:
    """|x|**y = `r` with the signs and special cases of C's pow: a negative x (-0 and -inf too) keeps
    its sign for odd integer y; finite x < 0 with non-integer y is NaN; (-1)**±inf, x**0 and 1**y are 1."""
    y_int = _u("floor", y).eq(y)
    odd = _and(y_int, _u("floor", y * 0.5).ne(y * 0.5))
    r = _where(_and(_signbit(x), odd), -r, r)
    r = _where(_and(_and(x < 0.0, x > -math.inf), _u("not", y_int)), math.nan, r)
    one = _or(_or(y.eq(0.0), x.eq(1.0)), _and(x.eq(-1.0), _u("abs", y).eq(math.inf)))
    return _where(one, 1.0, r)


def cbrt(x: _E) -> _E:
    ax = _u("abs", x)
    tiny = ax < 1.1754943508222875e-38  # subnormals: cbrt(x * 2**24) / 2**8, so y**3 in the Newton step is normal
    ax = _where(tiny, ax * 16777216.0, ax)
    y = exp(log(ax) * (1.0 / 3.0))
    y = _where(_and(ax > 0.0, ax < math.inf), y - (y * y * y - ax) / (3.0 * y * y), y)  # one Newton step
    y = _where(tiny, y * 0.00390625, y)
    return _where(x < 0.0, -y, y)


def erf(x: _E) -> _E:
    ax = _u("abs", x)
    z = x * x
    small = x * _poly(z, [7.853861353153693e-5, -8.010193625184903e-4, 5.188327685732524e-3, -2.685381193529856e-2,
                          1.128358514861418e-1, -3.761262582423300e-1, 1.128379165726710])  # fmt: skip
    big = 1.0 - _erfc_tail(ax)
    big = _where(x < 0.0, -big, big)
    return _where(ax < 1.0, small, big)


def _erfc_tail(ax: _E) -> _E:
    """erfc(|x|) for |x| >= 1 (Cephes erfcf)."""
    hi = _u("floor", ax * 256.0) * (1.0 / 256.0)  # 12 significant bits: hi*hi is exact
    lo = ax - hi
    z = exp(-(hi * hi)) * exp(-((hi + hi + lo) * lo))  # exp(-x*x) without the rounding of x*x
    q = 1.0 / ax
    y = q * q
    p = _where(ax < 2.0,
               _poly(y, [2.326819970068386e-2, -1.387039388740657e-1, 3.687424674597105e-1, -5.824733027278666e-1,
                         6.210004621745983e-1, -4.944515323274145e-1, 3.404879937665872e-1, -2.741127028184656e-1,
                         5.638259427386472e-1]),
               _poly(y, [-1.047766399936249e1, 1.297719955372516e1, -7.495518717768503, 2.921019019210786,
                         -1.015265279202700, 4.218463358204948e-1, -2.820767439740514e-1, 5.641895067754075e-1]))  # fmt: skip
    return _where(ax > 9.2, 0.0, z * q * p)


def erfc(x: _E) -> _E:
    ax = _u("abs", x)
    tail = _erfc_tail(ax)
    big = _where(x < 0.0, 2.0 - tail, tail)
    return _where(ax < 1.0, 1.0 - erf(x), big)


# --- float64 (Cephes double-precision: exp.c, log.c, sin.c, tanh.c, ndtr.c) -------------------------


def _p1(x: _E, coefs) -> _E:
    """Horner with an implicit leading 1 (Cephes p1evl)."""
    return _poly(x, [1.0, *coefs])


def _pow2_64(k: _E) -> _E:
    """2**k for int32 k in [-1022, 1023], as float64 bits."""
    k64 = _u("convert_element_type", k + _int(1023), new_dtype=I64, weak_type=False)
    return _u("bitcast_convert_type", _E(ir.apply("shift_left", k64.x, ir.const(52, I64))), new_dtype=F64)


def _scale_64(y: _E, k: _E) -> _E:
    """y * 2**k for k in [-2044, 2046], in two steps (overflow and gradual underflow come out right)."""
    half = _E(ir.apply("shift_right_arithmetic", k.x, _int(1).x))
    return y * _pow2_64(half) * _pow2_64(k - half)


def exp_f64(x: _E) -> _E:
    c = _u("min", _u("max", x, _E.of(-746.0, x)), _E.of(710.0, x))
    k = _u("floor", c * 1.4426950408889634073599 + 0.5)
    r = c - k * 6.93145751953125e-1 - k * 1.42860682030941723212e-6
    rr = r * r
    px = r * _poly(rr, [1.26177193074810590878e-4, 3.02994407707441961300e-2, 9.99999999999999999910e-1])
    q = _poly(rr, [3.00198505138664455042e-6, 2.52448340349684104192e-3, 2.27265548208155028766e-1, 2.0])
    y = px / (q - px)
    return _scale_64(y + y + 1.0, _to_int(k))


def log_f64(x: _E) -> _E:
    tiny = x < 2.2250738585072014e-308
    xs = _where(tiny, x * 4503599627370496.0, x)  # denormals: scale by 2**52 first
    bits = _u("bitcast_convert_type", xs, new_dtype=I64)
    e64 = _E(ir.apply("shift_right_arithmetic", bits.x, ir.const(52, I64)))
    e = _u("convert_element_type", e64, new_dtype=I32, weak_type=False) - _int(1022) - _where(tiny, _int(52), _int(0))
    mbits = ir.apply(
        "or", ir.apply("and", bits.x, ir.const(0x000FFFFFFFFFFFFF, I64)), ir.const(0x3FE0000000000000, I64)
    )
    m = _u("bitcast_convert_type", _E(mbits), new_dtype=F64)  # in [0.5, 1)
    low = m < 0.70710678118654752440
    ef = _to_float(e, F64) - _where(low, _E.of(1.0, x), 0.0)
    m = _where(low, m + m - 1.0, m - 1.0)
    z = m * m
    y = m * (z * _poly(m, [1.01875663804580931796e-4, 4.97494994976747001425e-1, 4.70579119878881725854e0,
                           1.44989225341610930846e1, 1.79368678507819816313e1, 7.70838733755885391666e0])
             / _p1(m, [1.12873587189167450590e1, 4.52279145837532221105e1, 8.29875266912776603211e1,
                       7.11544750618563894466e1, 2.31251620126765340583e1]))  # fmt: skip
    y = y - ef * 2.121944400546905827679e-4 - z * 0.5
    r = m + y + ef * 0.693359375
    r = _where(x.eq(math.inf), math.inf, r)
    r = _where(x.eq(0.0), -math.inf, r)
    return _where(_or(x < 0.0, x.ne(x)), math.nan, r)


_DP64 = (7.85398125648498535156e-1, 3.77489470793079817668e-8, 2.69515142907905952645e-15)


def _reduce_quarter_pi_64(x: _E):
    ax = _u("abs", x)
    y = _u("floor", ax * 1.27323954473516268615)
    j = _u("convert_element_type", y, new_dtype=I64, weak_type=False)
    odd = _E(ir.apply("and", j.x, ir.const(1, I64))).ne(_E(ir.const(0, I64)))
    y = _where(odd, y + 1.0, y)
    z = ((ax - y * _DP64[0]) - y * _DP64[1]) - y * _DP64[2]
    j = _u("convert_element_type", _E(ir.apply("and", (j + _E(ir.const(1, I64))).x, ir.const(6, I64))), new_dtype=I32,
           weak_type=False)  # fmt: skip
    return z, j  # j in {0, 2, 4, 6}: the octant rounded to even


def _sin_poly_64(z: _E, zz: _E) -> _E:
    return z + z * zz * _poly(zz, [1.58962301576546568060e-10, -2.50507477628578072866e-8, 2.75573136213857245213e-6,
                                   -1.98412698295895385996e-4, 8.33333333332211858878e-3, -1.66666666666666307295e-1])  # fmt: skip


def _cos_poly_64(zz: _E) -> _E:
    return 1.0 - zz * 0.5 + zz * zz * _poly(zz, [-1.13585365213876817300e-11, 2.08757008419747316778e-9,
                                                 -2.75573141792967388112e-7, 2.48015872888517045348e-5,
                                                 -1.38888888888730564116e-3, 4.16666666666665929218e-2])  # fmt: skip


def _sincos_64(x: _E, cosine: bool) -> _E:
    z, j = _reduce_quarter_pi_64(x)
    zz = z * z
    if cosine:
        j = j + _int(2)
    use_cos = _E(ir.apply("and", j.x, _int(2).x)).ne(_int(0))
    y = _where(use_cos, _cos_poly_64(zz), _sin_poly_64(z, zz))
    negative = _E(ir.apply("and", j.x, _int(4).x)).ne(_int(0))
    if not cosine:
        negative = _E(ir.apply("xor", negative.x, (x < 0.0).x))
    y = _where(negative, -y, y)
    return _where(_u("abs", x).eq(math.inf), math.nan, y)


def sin_f64(x: _E) -> _E:
    return _sincos_64(x, False)


def cos_f64(x: _E) -> _E:
    return _sincos_64(x, True)


def tanh_f64(x: _E) -> _E:
    ax = _u("abs", x)
    s = x * x
    small = x + x * s * (_poly(s, [-9.64399179425052238628e-1, -9.92877231001918586564e1, -1.61468768441708447952e3])
                         / _p1(s, [1.12811678491632931402e2, 2.23548839060100448583e3, 4.84406305325125486048e3]))  # fmt: skip
    big = 1.0 - 2.0 / (exp_f64(ax + ax) + 1.0)
    big = _where(x < 0.0, -big, big)
    return _where(ax < 0.625, small, big)


def erf_f64(x: _E) -> _E:
    ax = _u("abs", x)
    z = x * x
    small = x * _poly(z, [9.60497373987051638749e0, 9.00260197203842689217e1, 2.23200534594684319226e3,
                          7.00332514112805075473e3, 5.55923013010394962768e4]) / _p1(
        z, [3.35617141647503099647e1, 5.21357949780152679795e2, 4.59432382970980127987e3, 2.26290000613890934246e4,
            4.92673942608635921086e4])  # fmt: skip
    hi = _u("floor", ax * 1048576.0) * (1.0 / 1048576.0)  # |x| < 6: hi*hi is exact
    lo = ax - hi
    e = exp_f64(-(hi * hi)) * exp_f64(-((hi + hi + lo) * lo))  # exp(-x*x) without the rounding of x*x
    p = _poly(ax, [2.46196981473530512524e-10, 5.64189564831068821977e-1, 7.46321056442269912687e0,
                   4.86371970985681366614e1, 1.96520832956077098242e2, 5.26445194995477358631e2,
                   9.34528527171957607540e2, 1.02755188689515710272e3, 5.57535335369399327526e2])  # fmt: skip
    q = _p1(ax, [1.32281951154744992508e1, 8.67072140885989742329e1, 3.54937778887819891062e2,
                 9.75708501743205489753e2, 1.82390916687909736289e3, 2.24633760818710981792e3,
                 1.65666309194161350182e3, 5.57535340817727675546e2])  # fmt: skip
    big = 1.0 - _where(ax > 6.0, _E.of(0.0, x), e * p / q)
    big = _where(x < 0.0, -big, big)
    return _where(ax < 1.0, small, big)


EXPANSIONS_F64: dict[str, Callable] = {
    "exp": exp_f64, "log": log_f64, "sin": sin_f64, "cos": cos_f64, "tanh": tanh_f64, "erf": erf_f64,
}  # fmt: skip

EXPANSIONS: dict[str, Callable] = {
    "exp": exp, "exp2": exp2, "log": log, "log1p": log1p, "expm1": expm1, "sin": sin, "cos": cos, "tan": tan,
    "tanh": tanh, "logistic": logistic, "sinh": sinh, "cosh": cosh, "atan": atan, "atan2": atan2, "asin": asin,
    "acos": acos, "asinh": asinh, "acosh": acosh, "atanh": atanh, "pow": pow_, "cbrt": cbrt, "erf": erf,
    "erfc": erfc,
}  # fmt: skip


_TABLES = {F32: EXPANSIONS, F64: EXPANSIONS_F64}


# odd functions whose NumPy value at -0 is -0: their expansion returns x itself at ±0
_SIGNED_ZERO = frozenset(
    {"sin", "tan", "tanh", "sinh", "asinh", "atan", "asin", "atanh", "cbrt", "log1p", "expm1", "erf"}
)


def _renders_f64(renders: Callable[[str, np.dtype], bool]) -> bool:
    return renders("mul", F64) and renders("convert_element_type", F64) and renders("convert_element_type", F32)


def _expansion(node: ir.Expr, args: tuple, renders: Callable[[str, np.dtype], bool] | None = None) -> ir.Expr | None:
    fn = _TABLES.get(node.dtype, {}).get(node.op)
    if fn is None or any(a.dtype != node.dtype for a in args):
        return None
    if fn is pow_ and renders is not None and _renders_f64(renders):
        fn = pow_via_f64
    out = fn(*(_E(a) for a in args))
    if node.op in _SIGNED_ZERO:
        (x,) = args
        out = _where(_E(x).eq(0.0), _E(x), out)
    return out.x


def expand(root: ir.Expr, renders: Callable[[str, np.dtype], bool]) -> ir.Expr:
    """`root` with every node the backend does not render replaced by its expansion (repeatedly)."""

    def rule(node, args):
        if node.op in ir.LEAVES or renders(node.op, node.args[0].dtype if node.args else node.dtype):
            return None
        out = _expansion(node, args, renders)
        return None if out is None else expand(out, renders)

    return ir.rewrite(root, rule)


_probe_cache: dict = {}


def expandable(op: str, dtype: np.dtype, params: tuple, renders: Callable) -> bool:
    """Whether `op` on `dtype` expands into nodes the backend renders."""
    dtype = np.dtype(dtype)
    if op not in _TABLES.get(dtype, {}):
        return False
    nargs = 2 if op in ("atan2", "pow") else 1
    args = tuple(ir.load(k, ir.iconst(0), dtype) for k in range(nargs))
    node = ir.make(op, dtype, args, params)
    out = expand(node, renders)
    return all(n.op in ir.LEAVES or renders(n.op, n.args[0].dtype if n.args else n.dtype) for n in ir.toposort([out]))
