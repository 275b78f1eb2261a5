"""Math expansions: transcendental functions as polynomials over basic ops, for backends without them.

Targets like wasm have no exp, log or sin, and WGSL's are inaccurate; a kernel backend that does not
render an op gets its expansion here (float32, after Cephes: range reduction plus a minimax
polynomial, with NaN, ±inf and ±0 handled by selects). `expand` rewrites a kernel expression until
every node is rendered natively.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from jaxnc._src.lowering import ir

F32 = np.dtype(np.float32)
I32 = np.dtype(np.int32)


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


def _to_float(k: _E) -> _E:
    return _u("convert_element_type", k, new_dtype=F32, weak_type=False)


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
    return _where(x > 1e18, big, y)


def atanh(x: _E) -> _E:
    small = log1p((x + x) / (1.0 - x)) * 0.5
    big = log((1.0 + x) / (1.0 - x)) * 0.5
    return _where(_u("abs", x) < 0.5, small, big)


def pow_(x: _E, y: _E) -> _E:
    ax = _u("abs", x)
    r = exp(y * log(ax))
    y_int = _u("floor", y).eq(y)
    odd = _and(y_int, _u("floor", y * 0.5).ne(y * 0.5))
    r = _where(x < 0.0, _where(y_int, _where(odd, -r, r), math.nan), r)
    return _where(_or(y.eq(0.0), x.eq(1.0)), 1.0, r)


def cbrt(x: _E) -> _E:
    ax = _u("abs", x)
    y = exp(log(ax) * (1.0 / 3.0))
    y = _where(_and(ax > 0.0, ax < math.inf), y - (y * y * y - ax) / (3.0 * y * y), y)  # one Newton step
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


EXPANSIONS: dict[str, Callable] = {
    "exp": exp, "exp2": exp2, "log": log, "log1p": log1p, "expm1": expm1, "sin": sin, "cos": cos, "tan": tan,
    "tanh": tanh, "logistic": logistic, "sinh": sinh, "cosh": cosh, "atan": atan, "atan2": atan2, "asin": asin,
    "acos": acos, "asinh": asinh, "acosh": acosh, "atanh": atanh, "pow": pow_, "cbrt": cbrt, "erf": erf,
    "erfc": erfc,
}  # fmt: skip


def _expansion(node: ir.Expr, args: tuple) -> ir.Expr | None:
    fn = EXPANSIONS.get(node.op)
    if fn is None or node.dtype != F32 or any(a.dtype != F32 for a in args):
        return None
    return fn(*(_E(a) for a in args)).x


def expand(root: ir.Expr, renders: Callable[[str, np.dtype], bool]) -> ir.Expr:
    """`root` with every node the backend does not render replaced by its expansion (repeatedly)."""

    def rule(node, args):
        if node.op in ir.LEAVES or renders(node.op, node.args[0].dtype if node.args else node.dtype):
            return None
        out = _expansion(node, args)
        return None if out is None else expand(out, renders)

    return ir.rewrite(root, rule)


_probe_cache: dict = {}


def expandable(op: str, dtype: np.dtype, params: tuple, renders: Callable) -> bool:
    """Whether `op` on `dtype` expands into nodes the backend renders."""
    if op not in EXPANSIONS or np.dtype(dtype) != F32:
        return False
    nargs = 2 if op in ("atan2", "pow") else 1
    args = tuple(ir.load(k, ir.iconst(0), F32) for k in range(nargs))
    node = ir.make(op, F32, args, params)
    out = expand(node, renders)
    return all(n.op in ir.LEAVES or renders(n.op, n.args[0].dtype if n.args else n.dtype) for n in ir.toposort([out]))
