"""lax primitives, each with all of its rules in one place, and their thin wrapper functions.

Every primitive here has: a NumPy reference impl, an abstract eval (shape/dtype rule), a JVP rule,
a batching rule and, for linear primitives, a transpose rule. lax functions require matching dtypes
(Python scalars are converted to the other operand's dtype), as in JAX.
"""

from __future__ import annotations

import builtins
import enum
import math
from collections.abc import Sequence

import numpy as np

from jaxnc._src import core, dtypes
from jaxnc._src.core import Primitive, Zero, get_aval, is_undefined_primal
from jaxnc._src.interpreters import ad
from jaxnc._src.interpreters.batching import batch_elementwise, bdim_at_front, moveaxis, not_mapped

# --- helpers -------------------------------------------------------------------------------------


def _aval(x) -> core.ShapedArray:
    return get_aval(x)


def _const(like, value):
    """A Python/NumPy scalar of `like`'s dtype (a literal when staged)."""
    return np.array(value, dtype=_aval(like).dtype)[()]


def _weak(*avals) -> bool:
    return all(a.weak_type for a in avals)


def _check_same(name: str, avals: Sequence[core.ShapedArray]) -> None:
    shapes = [a.shape for a in avals]
    if any(s != shapes[0] for s in shapes):
        raise TypeError(f"{name} got incompatible shapes for broadcasting: {', '.join(map(str, shapes))}.")
    dts = [a.dtype for a in avals]
    if any(d != dts[0] for d in dts):
        raise TypeError(f"lax.{name} requires arguments to have the same dtypes, got {', '.join(d.name for d in dts)}.")


_KIND_CHECKS = {
    "float": (dtypes.is_inexact, "floating-point or complex"),
    "real_float": (dtypes.is_float, "floating-point"),
    "int": (lambda d: dtypes.is_integer(d), "integer"),
    "int_or_bool": (lambda d: dtypes.is_integer(d) or dtypes.is_bool(d), "integer or boolean"),
    "number": (lambda d: not dtypes.is_bool(d), "numeric"),
    "any": (lambda d: True, "any"),
}


def _check_kind(name: str, kind: str, dt: np.dtype) -> None:
    ok, what = _KIND_CHECKS[kind]
    if not ok(dt):
        raise TypeError(f"{name} does not accept dtype {dt.name}. Accepted dtypes are subtypes of {what}.")


# --- elementwise primitives ---------------------------------------------------------------------


def unop(name: str, impl, kind: str = "float", out_dtype=None) -> Primitive:
    """An elementwise unary primitive with its impl, shape rule and batching rule."""
    p = Primitive(name)
    p.def_impl(impl)

    def abstract_eval(x, **params):
        _check_kind(name, kind, x.dtype)
        dt = out_dtype(x.dtype) if out_dtype else x.dtype
        return core.ShapedArray(x.shape, dt, x.weak_type and out_dtype is None)

    p.def_abstract_eval(abstract_eval)
    batch_elementwise(p)
    return p


def binop(name: str, impl, kind: str = "number", out_dtype=None) -> Primitive:
    """An elementwise binary (or n-ary) primitive: operands of equal shape and dtype."""
    p = Primitive(name)
    p.def_impl(impl)

    def abstract_eval(*avals, **params):
        _check_same(name, avals)
        _check_kind(name, kind, avals[0].dtype)
        dt = out_dtype(avals[0].dtype) if out_dtype else avals[0].dtype
        return core.ShapedArray(avals[0].shape, dt, _weak(*avals) and out_dtype is None)

    p.def_abstract_eval(abstract_eval)
    batch_elementwise(p)
    return p


def _np_float(f):
    """Run a NumPy ufunc on a float array, computing bfloat16/float16 in float32 (as XLA does)."""

    def impl(x):
        if x.dtype in (dtypes.bfloat16, dtypes.float16):
            return f(x.astype(np.float32)).astype(x.dtype)
        return f(x)

    return impl


def _quiet(f):
    def impl(*args, **params):
        with np.errstate(all="ignore"):
            return f(*args, **params)

    return impl


neg_p = unop("neg", np.negative, "number")
ad.deflinear(neg_p, lambda ct, x: [neg(ct)])

def _sign_impl(x):
    # NB: XLA's sign keeps the sign of a zero and is x / |x| for complex x (NaN at complex infinities)
    if dtypes.is_complex(x.dtype):
        mag = np.abs(x)
        with np.errstate(all="ignore"):
            return np.where(mag == 0, x.dtype.type(0), x / mag).astype(x.dtype)
    return np.where(x == 0, x, np.sign(x))


sign_p = unop("sign", _sign_impl, "number")
ad.defjvp_zero(sign_p)

floor_p = unop("floor", np.floor, "real_float")
ad.defjvp_zero(floor_p)
ceil_p = unop("ceil", np.ceil, "real_float")
ad.defjvp_zero(ceil_p)


def _round_impl(x, rounding_method=0):
    if rounding_method == 0:  # away from zero, as lax.round's default; exact (floor(|x| + 0.5) is not:
        t = np.trunc(x)  # the addition rounds at 0.49999997 and at odd values past 2**23 in float32)
        with np.errstate(invalid="ignore"):
            return np.where(np.abs(x - t) >= 0.5, t + np.copysign(x.dtype.type(1), x), t).astype(x.dtype)
    return np.round(x)


round_p = unop("round", _round_impl, "real_float")
ad.defjvp_zero(round_p)

is_finite_p = unop("is_finite", np.isfinite, "real_float", out_dtype=lambda _: dtypes.bool_)
ad.defjvp_zero(is_finite_p)

exp_p = unop("exp", _quiet(_np_float(np.exp)))
ad.defjvp_ans(exp_p, lambda t, ans, x: mul(t, ans))
exp2_p = unop("exp2", _quiet(_np_float(np.exp2)))
ad.defjvp_ans(exp2_p, lambda t, ans, x: mul(t, mul(ans, _const(x, math.log(2)))))
log_p = unop("log", _quiet(_np_float(np.log)))
ad.defjvp(log_p, lambda t, x: div(t, x))
log1p_p = unop("log1p", _quiet(_np_float(np.log1p)))
ad.defjvp(log1p_p, lambda t, x: div(t, add(x, _const(x, 1))))
expm1_p = unop("expm1", _quiet(_np_float(np.expm1)))
ad.defjvp_ans(expm1_p, lambda t, ans, x: mul(t, add(ans, _const(x, 1))))
tanh_p = unop("tanh", _quiet(_np_float(np.tanh)))
ad.defjvp_ans(tanh_p, lambda t, ans, x: mul(t, sub(_const(x, 1), mul(ans, ans))))


def _logistic_impl(x):
    xf = x.astype(np.float32) if x.dtype in (dtypes.bfloat16, dtypes.float16) else x
    with np.errstate(all="ignore"):
        out = np.where(xf >= 0, 1 / (1 + np.exp(-xf)), np.exp(xf) / (1 + np.exp(xf)))
    return out.astype(x.dtype)


logistic_p = unop("logistic", _logistic_impl)
ad.defjvp_ans(logistic_p, lambda t, ans, x: mul(t, mul(ans, sub(_const(x, 1), ans))))
sin_p = unop("sin", _quiet(_np_float(np.sin)))
ad.defjvp(sin_p, lambda t, x: mul(t, cos(x)))
cos_p = unop("cos", _quiet(_np_float(np.cos)))
ad.defjvp(cos_p, lambda t, x: neg(mul(t, sin(x))))
tan_p = unop("tan", _quiet(_np_float(np.tan)))
ad.defjvp_ans(tan_p, lambda t, ans, x: mul(t, add(_const(x, 1), mul(ans, ans))))
asin_p = unop("asin", _quiet(_np_float(np.arcsin)))
ad.defjvp(asin_p, lambda t, x: mul(t, rsqrt(sub(_const(x, 1), mul(x, x)))))
acos_p = unop("acos", _quiet(_np_float(np.arccos)))
ad.defjvp(acos_p, lambda t, x: neg(mul(t, rsqrt(sub(_const(x, 1), mul(x, x))))))
atan_p = unop("atan", _quiet(_np_float(np.arctan)))
ad.defjvp(atan_p, lambda t, x: div(t, add(_const(x, 1), mul(x, x))))
sinh_p = unop("sinh", _quiet(_np_float(np.sinh)))
ad.defjvp(sinh_p, lambda t, x: mul(t, cosh(x)))
cosh_p = unop("cosh", _quiet(_np_float(np.cosh)))
ad.defjvp(cosh_p, lambda t, x: mul(t, sinh(x)))
asinh_p = unop("asinh", _quiet(_np_float(np.arcsinh)))
ad.defjvp(asinh_p, lambda t, x: mul(t, rsqrt(add(mul(x, x), _const(x, 1)))))
acosh_p = unop("acosh", _quiet(_np_float(np.arccosh)))
ad.defjvp(acosh_p, lambda t, x: mul(t, rsqrt(mul(sub(x, _const(x, 1)), add(x, _const(x, 1))))))
atanh_p = unop("atanh", _quiet(_np_float(np.arctanh)))
ad.defjvp(atanh_p, lambda t, x: div(t, sub(_const(x, 1), mul(x, x))))
sqrt_p = unop("sqrt", _quiet(_np_float(np.sqrt)))
ad.defjvp_ans(sqrt_p, lambda t, ans, x: div(t, mul(_const(x, 2), ans)))
rsqrt_p = unop("rsqrt", _quiet(_np_float(lambda x: 1 / np.sqrt(x))))
ad.defjvp_ans(rsqrt_p, lambda t, ans, x: mul(t, mul(_const(x, -0.5), div(ans, x))))
cbrt_p = unop("cbrt", _quiet(_np_float(np.cbrt)), "real_float")
ad.defjvp_ans(cbrt_p, lambda t, ans, x: mul(t, mul(_const(x, 1 / 3), integer_pow(ans, -2))))
square_p = unop("square", np.square, "number")
ad.defjvp(square_p, lambda t, x: mul(t, mul(_const(x, 2), x)))


def _abs_out(dt):
    return np.dtype(np.float32 if dt == dtypes.complex64 else np.float64) if dtypes.is_complex(dt) else dt


abs_p = unop("abs", np.abs, "number", out_dtype=_abs_out)
abs_p.def_abstract_eval(lambda x: core.ShapedArray(x.shape, _abs_out(x.dtype), x.weak_type))


def _abs_jvp(t, x):
    if dtypes.is_complex(_aval(x).dtype):
        return div(real(mul(conj(x), t)), abs(x))
    return select(ge(x, _const(x, 0)), t, neg(t))  # slope 1 at 0 and -0.0, as JAX


ad.defjvp(abs_p, _abs_jvp)


# Cephes' rational approximations (Moshier's ndtr.c, as XLA's and SciPy's erf/erfc), evaluated in float64:
# erf = x T(x^2) / U(x^2) for |x| <= 1; erfc = exp(-x^2) P(|x|) / Q(|x|) below 8, R / S above.
_ERF_T = (9.60497373987051638749e0, 9.00260197203842689217e1, 2.23200534594684319226e3, 7.00332514112805075473e3,
          5.55923013010394962768e4)  # fmt: skip
_ERF_U = (1.0, 3.35617141647503099647e1, 5.21357949780152679795e2, 4.59432382970980127987e3, 2.26290000613890934246e4,
          4.92673942608635921086e4)  # fmt: skip
_ERFC_P = (2.46196981473530512524e-10, 5.64189564831068821977e-1, 7.46321056442269912687e0, 4.86371970985681366614e1,
           1.96520832956077098242e2, 5.26445194995477358631e2, 9.34528527171957607540e2, 1.02755188689515710272e3,
           5.57535335369399327526e2)  # fmt: skip
_ERFC_Q = (1.0, 1.32281951154744992508e1, 8.67072140885989742329e1, 3.54937778887819891062e2, 9.75708501743205489753e2,
           1.82390916687909736289e3, 2.24633760818710981792e3, 1.65666309194161350182e3, 5.57535340817727675546e2)  # fmt: skip
_ERFC_R = (5.64189583547755073984e-1, 1.27536670759978104416e0, 5.01905042251180477414e0, 6.16021097993053585195e0,
           7.40974269950448939160e0, 2.97886665372100240670e0)  # fmt: skip
_ERFC_S = (1.0, 2.26052863220117276590e0, 9.39603524938001434673e0, 1.20489539808096656605e1, 1.70814450747565897222e1,
           9.60896809063285878198e0, 3.36907645100081516050e0)  # fmt: skip


def _polyval(coeffs, x):
    out = np.full_like(x, coeffs[0])
    for c in coeffs[1:]:
        out *= x
        out += c
    return out


def _erf_small(x):  # |x| <= 1
    z = x * x
    return x * _polyval(_ERF_T, z) / _polyval(_ERF_U, z)


def _erfc_large(ax):  # erfc(|x|) for |x| >= 1 (0 once exp(-x^2) underflows, also at inf; NaN stays NaN)
    def part(a, p, q):
        z = np.exp(-a * a)
        return np.where(z == 0, 0.0, z * _polyval(p, a) / _polyval(q, a))

    near = ax < 8
    if near.all():
        return part(ax, _ERFC_P, _ERFC_Q)
    out = np.empty_like(ax)
    out[near] = part(ax[near], _ERFC_P, _ERFC_Q)
    out[~near] = part(ax[~near], _ERFC_R, _ERFC_S)
    return out


def _erf_parts(x):
    """(x, |x| <= 1 mask, erf there, x elsewhere, erfc(|x|) there): each formula only where it applies."""
    x = np.asarray(x, np.float64)
    small = np.abs(x) <= 1  # NaN goes to the erfc side, where it propagates
    with np.errstate(all="ignore"):
        xb = x[~small]
        return x, small, _erf_small(x[small]), xb, _erfc_large(np.abs(xb))


def _erf64(x):
    x, small, inner, xb, tail = _erf_parts(x)
    out = np.empty_like(x)
    out[small] = inner
    out[~small] = np.copysign(1 - tail, xb)
    return out


def _erfc64(x):
    x, small, inner, xb, tail = _erf_parts(x)
    out = np.empty_like(x)
    out[small] = 1 - inner
    out[~small] = np.where(xb < 0, 2 - tail, tail)
    return out


def _erf_impl(x):
    return _erf64(x).astype(x.dtype)


erf_p = unop("erf", _erf_impl, "real_float")
ad.defjvp(erf_p, lambda t, x: mul(t, mul(_const(x, 2 / math.sqrt(math.pi)), exp(neg(mul(x, x))))))
erfc_p = unop("erfc", lambda x: _erfc64(x).astype(x.dtype), "real_float")
ad.defjvp(erfc_p, lambda t, x: mul(t, mul(_const(x, -2 / math.sqrt(math.pi)), exp(neg(mul(x, x))))))


def _erf_inv_f32(x):
    """Giles' single-precision erfinv polynomial (the one XLA uses for float32)."""
    x = x.astype(np.float32)
    with np.errstate(all="ignore"):
        w = -np.log((np.float32(1) - x) * (np.float32(1) + x))
        small = w < 5
        ws = w - np.float32(2.5)
        p1 = np.float32(2.81022636e-08)
        for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
                  -0.00417768164, 0.246640727, 1.50140941):  # fmt: skip
            p1 = np.float32(c) + p1 * ws
        wl = np.sqrt(w) - np.float32(3)
        p2 = np.float32(-0.000200214257)
        for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
                  0.00943887047, 1.00167406, 2.83297682):  # fmt: skip
            p2 = np.float32(c) + p2 * wl
        out = np.where(small, p1, p2) * x
        out = np.where(np.abs(x) == 1, np.copysign(np.float32(np.inf), x), out)
    return out


def _erf_inv_impl(x):
    if x.dtype != np.float64:
        return _erf_inv_f32(x).astype(x.dtype)
    y = _erf_inv_f32(x).astype(np.float64)
    erf = _erf64
    with np.errstate(all="ignore"):
        for _ in range(2):  # Newton steps to double precision
            finite = np.isfinite(y)
            step = (erf(np.where(finite, y, 0)) - x) / (2 / math.sqrt(math.pi) * np.exp(-np.where(finite, y, 0) ** 2))
            y = np.where(finite, y - step, y)
    return y


erf_inv_p = unop("erf_inv", _erf_inv_impl, "real_float")
ad.defjvp_ans(erf_inv_p, lambda t, ans, x: mul(t, mul(_const(x, math.sqrt(math.pi) / 2), exp(mul(ans, ans)))))


def _complex_part(dt):
    return dtypes.float32 if dt == dtypes.complex64 else dtypes.float64


real_p = unop("real", np.real, "float", out_dtype=lambda dt: _complex_part(dt) if dtypes.is_complex(dt) else dt)
ad.deflinear(real_p, lambda ct, x: [complex_(ct, full_like(ct, 0))])
imag_p = unop("imag", np.imag, "float", out_dtype=lambda dt: _complex_part(dt) if dtypes.is_complex(dt) else dt)
ad.deflinear(imag_p, lambda ct, x: [complex_(full_like(ct, 0), neg(ct))])
conj_p = unop("conj", np.conjugate, "float")
ad.deflinear(conj_p, lambda ct, x: [conj(ct)])


def _integer_pow_impl(x, y):
    if dtypes.is_integer(x.dtype) and y < 0:
        raise ValueError(f"Integers cannot be raised to negative powers, got integer_pow(x, {y})")
    with np.errstate(all="ignore"):
        return np.power(x, x.dtype.type(y)) if y >= 0 else np.reciprocal(np.power(x, x.dtype.type(-y)))


integer_pow_p = unop("integer_pow", _integer_pow_impl, "number")


def _integer_pow_jvp(t, x, y):
    if y == 0:
        return full_like(t, 0)
    if y == 1:
        return t
    return mul(t, mul(_const(x, y), x if y == 2 else integer_pow(x, y - 1)))


ad.defjvp(integer_pow_p, _integer_pow_jvp)


not_p = unop("not", lambda x: np.logical_not(x) if x.dtype == np.bool_ else np.invert(x), "int_or_bool")
ad.defjvp_zero(not_p)
population_count_p = unop(  # counts the two's-complement bits of negative numbers, as XLA
    "population_count", lambda x: np.bitwise_count(x.view(np.dtype(f"u{x.dtype.itemsize}"))).astype(x.dtype), "int")
ad.defjvp_zero(population_count_p)


def _clz_impl(x):
    bits = x.dtype.itemsize * 8
    u = x.view(np.dtype(f"u{x.dtype.itemsize}")).astype(np.uint64)
    out = np.full(x.shape, bits, dtype=np.int64)
    for i in range(bits):
        out = np.where((out == bits) & ((u >> np.uint64(bits - 1 - i)) & np.uint64(1) == 1), i, out)
    return out.astype(x.dtype)


clz_p = unop("clz", _clz_impl, "int")
ad.defjvp_zero(clz_p)

add_p = binop("add", np.add)
ad.deflinear(add_p, lambda ct, x, y: [ct, ct])
sub_p = binop("sub", np.subtract)
ad.deflinear(sub_p, lambda ct, x, y: [ct, neg(ct)])
mul_p = binop("mul", lambda x, y: np.logical_and(x, y) if x.dtype == np.bool_ else np.multiply(x, y), "any")
ad.defjvp(mul_p, lambda t, x, y: mul(t, y), lambda t, x, y: mul(x, t))


def _mul_transpose(ct, x, y):
    if type(ct) is Zero:
        return [None, None]
    if is_undefined_primal(x):
        return [mul(ct, y), None]
    return [None, mul(x, ct)]


mul_p.def_transpose(_mul_transpose)


def _div_impl(x, y):
    if dtypes.is_integer(x.dtype):  # lax.div rounds toward zero; division by zero gives -1 (XLA)
        with np.errstate(all="ignore"):
            safe = np.where(y == 0, 1, y).astype(x.dtype)
            q = np.floor_divide(x, safe)  # NB: no abs(): abs(INT_MIN) overflows; INT_MIN // -1 wraps as in XLA
            if x.dtype.kind == "i":
                q = q + ((np.remainder(x, safe) != 0) & ((x < 0) != (safe < 0))).astype(x.dtype)
            return np.where(y == 0, x.dtype.type(-1) if x.dtype.kind == "i" else np.iinfo(x.dtype).max, q).astype(x.dtype)
    with np.errstate(all="ignore"):
        return np.true_divide(x, y)


div_p = binop("div", _div_impl)
ad.defjvp(div_p, lambda t, x, y: div(t, y), lambda t, x, y: mul(neg(t), div(x, mul(y, y))))


def _div_transpose(ct, x, y):
    if type(ct) is Zero:
        return [None, None]
    if is_undefined_primal(y):
        raise ValueError("div is not linear in its divisor")
    return [div(ct, y), None]


div_p.def_transpose(_div_transpose)


def _rem_impl(x, y):
    with np.errstate(all="ignore"):
        if dtypes.is_integer(x.dtype):
            safe = np.where(y == 0, 1, y)
            r = np.fmod(x, safe)
            return np.where(y == 0, x, r).astype(x.dtype)
        return np.fmod(x, y)


rem_p = binop("rem", _rem_impl)
ad.defjvp(rem_p, lambda t, x, y: t, lambda t, x, y: mul(neg(t), round(div(sub(x, rem(x, y)), y))))


def _zero_ties(x, y, out):
    """Where x and y are both zeros (a bool mask of out's shape), or None when nowhere."""
    for a, b in ((x, y), (y, x)):
        if a.size and not any(a.strides):  # a broadcast scalar (relu's 0, clip's bounds): one test
            if a.flat[0] != 0:
                return None
            tie = np.broadcast_to(b == 0, out.shape)
            return tie if tie.any() else None
    if not (out == 0).any():  # a tie of zeros can only give a zero
        return None
    tie = (x == 0) & (y == 0)
    return tie if tie.any() else None


def _ordered_zeros(f, pick_on_tie):
    """max/min that order -0.0 below +0.0, as XLA does (NumPy returns either zero of a tie)."""

    def impl(x, y):
        out = f(x, y)
        # fix just the ties of zeros, found cheaply (np.signbit in pick_on_tie costs ~10x np.maximum)
        if dtypes.is_float(x.dtype):
            out = np.asarray(out)
            tie = _zero_ties(x, y, out)
            if tie is not None:
                xb, yb = np.broadcast_to(x, out.shape), np.broadcast_to(y, out.shape)
                out[tie] = pick_on_tie(xb[tie], yb[tie])
        return out

    return impl


max_p = binop("max", _ordered_zeros(np.maximum, lambda x, y: np.where(np.signbit(x), y, x)), "any")
min_p = binop("min", _ordered_zeros(np.minimum, lambda x, y: np.where(np.signbit(x), x, y)), "any")


def _balanced_eq(x, z, y):
    """1 where x is the chosen one, 0.5 where x and y tie, else 0 (JAX's rule for max/min)."""
    one, half, zero = _const(x, 1), _const(x, 0.5), _const(x, 0)
    return select(eq(x, z), select(eq(y, z), full_like(x, half), full_like(x, one)), full_like(x, zero))


ad.defjvp_ans(max_p, lambda t, ans, x, y: mul(t, _balanced_eq(x, ans, y)), lambda t, ans, x, y: mul(t, _balanced_eq(y, ans, x)))
ad.defjvp_ans(min_p, lambda t, ans, x, y: mul(t, _balanced_eq(x, ans, y)), lambda t, ans, x, y: mul(t, _balanced_eq(y, ans, x)))


def _pow_impl(x, y):
    # NB: NumPy's power takes a sqrt shortcut for a scalar or stride-0 exponent of 0.5, which gives
    # pow(-0, 0.5) = -0 and pow(-inf, 0.5) = NaN; a materialized 1-d exponent takes C's pow, as XLA does.
    shape = x.shape
    x, y = np.ravel(x), np.array(np.broadcast_to(y, shape)).ravel()
    with np.errstate(all="ignore"):
        if x.dtype in (dtypes.bfloat16, dtypes.float16):
            return np.power(x.astype(np.float32), y.astype(np.float32)).astype(x.dtype).reshape(shape)
        return np.power(x, y).reshape(shape)


pow_p = binop("pow", _pow_impl, "float")


def _pow_jvp_x(t, x, y):
    jac = select(eq(y, full_like(y, 0)), full_like(x, 0), mul(y, pow(x, sub(y, full_like(y, 1)))))
    return mul(t, jac)


def _pow_jvp_y(t, x, y):
    safe_x = select(eq(x, full_like(x, 0)), full_like(x, 1), x)
    return mul(t, mul(log(safe_x), pow(x, y)))


ad.defjvp(pow_p, _pow_jvp_x, _pow_jvp_y)

atan2_p = binop("atan2", _quiet(lambda x, y: np.arctan2(x, y)), "real_float")
ad.defjvp(
    atan2_p,
    lambda t, x, y: mul(t, div(y, add(mul(x, x), mul(y, y)))),
    lambda t, x, y: mul(t, div(neg(x), add(mul(x, x), mul(y, y)))),
)
nextafter_p = binop("nextafter", np.nextafter, "real_float")
ad.defjvp_zero(nextafter_p)

complex_p = binop("complex", lambda x, y: (x + 1j * y).astype(np.complex64 if x.dtype == np.float32 else np.complex128),
                  "real_float", out_dtype=lambda dt: dtypes.complex64 if dt == dtypes.float32 else dtypes.complex128)  # fmt: skip
ad.deflinear(complex_p, lambda ct, x, y: [real(ct), neg(imag(ct))])


def _bitwise(npf, logical):
    return lambda x, y: logical(x, y) if x.dtype == np.bool_ else npf(x, y)


and_p = binop("and", _bitwise(np.bitwise_and, np.logical_and), "int_or_bool")
or_p = binop("or", _bitwise(np.bitwise_or, np.logical_or), "int_or_bool")
xor_p = binop("xor", _bitwise(np.bitwise_xor, np.logical_xor), "int_or_bool")


def _shift_impl(kind):
    def impl(x, y):
        bits = x.dtype.itemsize * 8
        unsigned = np.dtype(f"u{x.dtype.itemsize}")
        if y.size and y.dtype == x.dtype and 0 <= int(np.min(y)) and int(np.max(y)) < bits:
            # every shift in range (the common case): no out-of-range masking, no int64 copies
            if kind == "left":
                return np.left_shift(x, y)
            if kind == "right_logical":
                return np.right_shift(x.view(unsigned), y.view(unsigned)).view(x.dtype)
            signed = np.dtype(f"i{x.dtype.itemsize}")
            return np.right_shift(x.view(signed), y.view(signed)).view(x.dtype)
        oob = (y.astype(np.int64) < 0) | (y.astype(np.int64) >= bits)
        ys = np.where(oob, 0, y).astype(x.dtype)
        if kind == "left":
            out = np.left_shift(x, ys)
            return np.where(oob, 0, out).astype(x.dtype)
        if kind == "right_logical":
            out = np.right_shift(x.view(unsigned), ys.view(unsigned)).view(x.dtype)
            return np.where(oob, 0, out).astype(x.dtype)
        # NB: an arithmetic shift reads the bits as signed, also for unsigned types (XLA: 255u8 >> 1 == 255)
        xs = x.view(np.dtype(f"i{x.dtype.itemsize}"))
        out = np.right_shift(xs, ys.view(xs.dtype))
        return np.where(oob, np.where(xs < 0, -1, 0), out).astype(xs.dtype).view(x.dtype)

    return impl


shift_left_p = binop("shift_left", _shift_impl("left"), "int")
shift_right_logical_p = binop("shift_right_logical", _shift_impl("right_logical"), "int")
shift_right_arithmetic_p = binop("shift_right_arithmetic", _shift_impl("right_arithmetic"), "int")
for _p in (and_p, or_p, xor_p, shift_left_p, shift_right_logical_p, shift_right_arithmetic_p):
    ad.defjvp_zero(_p)


def _compare(name, npf):
    p = binop(name, npf, "any", out_dtype=lambda _: dtypes.bool_)
    ad.defjvp_zero(p)
    return p


eq_p = _compare("eq", np.equal)
ne_p = _compare("ne", np.not_equal)
lt_p = _compare("lt", np.less)
le_p = _compare("le", np.less_equal)
gt_p = _compare("gt", np.greater)
ge_p = _compare("ge", np.greater_equal)


# select_n(which, *cases): which is bool (2 cases) or int32; all operands have one shape
select_n_p = Primitive("select_n")


@select_n_p.def_impl
def _select_n_impl(which, *cases):
    if len(cases) == 1:
        return cases[0]
    if which.dtype == np.bool_:
        return np.where(which, cases[1], cases[0])
    return np.choose(which.astype(np.int64), cases, mode="clip")


@select_n_p.def_abstract_eval
def _select_n_abstract_eval(which, *cases):
    if not cases:
        raise TypeError("select_n must have at least one case")
    _check_same("select_n", cases)
    if which.shape and which.shape != cases[0].shape:
        raise TypeError(f"select_n `which` must be scalar or have the same shape as cases, got `which` shape "
                        f"{which.shape} but case shape {cases[0].shape}")
    if not (dtypes.is_bool(which.dtype) or dtypes.is_integer(which.dtype)):
        raise TypeError(f"select_n `which` must be boolean or integer type, got {which.dtype}")
    if dtypes.is_bool(which.dtype) and len(cases) > 2:
        raise TypeError("select_n with boolean `which` cannot have more than 2 cases")
    return cases[0].update(weak_type=_weak(*cases))


@select_n_p.def_jvp
def _select_n_jvp(primals, tangents):
    which, *cases = primals
    out = select_n(which, *cases)
    if all(type(t) is Zero for t in tangents[1:]):
        return out, Zero(_aval(out).to_tangent_aval())
    ts = [ad.instantiate(t, _aval(c).to_tangent_aval()) for c, t in zip(cases, tangents[1:], strict=True)]
    return out, select_n(which, *ts)


@select_n_p.def_transpose
def _select_n_transpose(ct, which, *cases):
    if is_undefined_primal(which):
        raise ValueError("select_n is not linear in its predicate")
    if type(ct) is Zero:
        return [None] * (len(cases) + 1)
    zeros = full_like(ct, 0)
    out = [None]
    for i, c in enumerate(cases):
        if is_undefined_primal(c):
            out.append(select_n(which, *[ct if j == i else zeros for j in range(len(cases))]))
        else:
            out.append(None)
    return out


@select_n_p.def_batch
def _select_n_batch(size, vals, dims):
    which, *cases = vals
    wd, *cds = dims
    if _aval(which).ndim == 0 and wd is not_mapped:
        cases = [bdim_at_front(c, d, size) for c, d in zip(cases, cds, strict=True)]
        return select_n(which, *cases), 0
    case_shape = next((_aval(c).shape if d is not_mapped else tuple(s for i, s in enumerate(_aval(c).shape) if i != d))
                      for c, d in zip(cases, cds, strict=True))  # fmt: skip
    if _aval(which).ndim == 0 or (wd is not not_mapped and _aval(which).ndim == 1):
        which = bdim_at_front(which, wd, size)
        which = broadcast_in_dim(which, (size, *case_shape), (0,))
    else:
        which = bdim_at_front(which, wd, size)
    cases = [bdim_at_front(c, d, size) for c, d in zip(cases, cds, strict=True)]
    return select_n(which, *cases), 0


# convert_element_type(x, new_dtype, weak_type)
convert_element_type_p = Primitive("convert_element_type")


@convert_element_type_p.def_impl
def _convert_impl(x, new_dtype, weak_type=False):
    new_dtype = np.dtype(new_dtype)
    if dtypes.is_integer(new_dtype) and dtypes.is_float(x.dtype):
        # NaN -> 0 and saturation at the integer range, as XLA converts
        info = np.iinfo(new_dtype)
        with np.errstate(all="ignore"):
            xf = np.trunc(np.nan_to_num(x.astype(np.float64), nan=0.0))
            # NB: float(info.max) of a 64-bit type rounds up to 2**63 (2**64), so saturate by comparison
            high, low = xf >= float(info.max), xf <= float(info.min)
            inside = np.where(high | low, 0, xf).astype(new_dtype)
            return np.where(high, info.max, np.where(low, info.min, inside)).astype(new_dtype)
    if dtypes.is_complex(x.dtype) and not dtypes.is_complex(new_dtype):
        x = np.real(x)
    if new_dtype == np.bool_:
        return x != 0
    with np.errstate(all="ignore"):
        return x.astype(new_dtype)


@convert_element_type_p.def_abstract_eval
def _convert_abstract_eval(x, new_dtype, weak_type=False):
    return core.ShapedArray(x.shape, new_dtype, weak_type)


@convert_element_type_p.def_jvp
def _convert_jvp(primals, tangents, new_dtype, weak_type=False):
    (x,), (t,) = primals, tangents
    out = convert_element_type_p.bind(x, new_dtype=new_dtype, weak_type=weak_type)
    if type(t) is Zero or not (dtypes.is_inexact(new_dtype) and dtypes.is_inexact(_aval(x).dtype)):
        return out, Zero(_aval(out).to_tangent_aval())
    return out, convert_element_type_p.bind(t, new_dtype=new_dtype, weak_type=weak_type)


@convert_element_type_p.def_transpose
def _convert_transpose(ct, x, new_dtype, weak_type=False):
    if type(ct) is Zero:
        return [None]
    return [convert_element_type_p.bind(ct, new_dtype=x.aval.dtype, weak_type=x.aval.weak_type)]


convert_element_type_p.linear = True
batch_elementwise(convert_element_type_p)

# bitcast_convert_type(x, new_dtype): same itemsize only
bitcast_convert_type_p = unop("bitcast_convert_type", lambda x, new_dtype: x.view(new_dtype), "any")


@bitcast_convert_type_p.def_abstract_eval
def _bitcast_abstract_eval(x, new_dtype):
    if np.dtype(new_dtype).itemsize != x.dtype.itemsize:
        raise TypeError(f"bitcast_convert_type from {x.dtype} to {new_dtype} needs equal bit widths "
                        f"({x.dtype.itemsize * 8} vs {np.dtype(new_dtype).itemsize * 8})")
    return core.ShapedArray(x.shape, new_dtype)


ad.defjvp_zero(bitcast_convert_type_p)


def _reduce_precision_impl(x, exponent_bits, mantissa_bits):
    target = {(8, 7): dtypes.bfloat16, (5, 10): dtypes.float16, (8, 23): dtypes.float32, (11, 52): dtypes.float64}
    dt = target.get((exponent_bits, mantissa_bits))
    if dt is None:
        raise NotImplementedError(f"reduce_precision to e{exponent_bits}m{mantissa_bits} is not supported by the "
                                  "reference backend (bfloat16, float16, float32, float64 are)")
    return x.astype(dt).astype(x.dtype)


reduce_precision_p = unop("reduce_precision", _reduce_precision_impl, "real_float")
ad.deflinear(reduce_precision_p, lambda ct, x, **p: [ct])


# threefry2x32(k0, k1, x0, x1) -> (y0, y1): the counter-based PRNG of jax.random
threefry2x32_p = Primitive("threefry2x32", multiple_results=True)


def _rotl(v, d):
    return (v << np.uint32(d)) | (v >> np.uint32(32 - d))


@threefry2x32_p.def_impl
def _threefry_impl(k0, k1, x0, x1):
    k0, k1, x0, x1 = np.broadcast_arrays(*(np.asarray(a, np.uint32) for a in (k0, k1, x0, x1)))
    ks = [k0, k1, k0 ^ k1 ^ np.uint32(0x1BD11BDA)]
    rot = [(13, 15, 26, 6), (17, 29, 16, 24)]
    with np.errstate(over="ignore"):
        x = [x0 + ks[0], x1 + ks[1]]
        for i in range(5):
            for r in rot[i % 2]:
                x[0] = x[0] + x[1]
                x[1] = _rotl(x[1], r) ^ x[0]
            x[0] = x[0] + ks[(i + 1) % 3]
            x[1] = x[1] + ks[(i + 2) % 3] + np.uint32(i + 1)
    return [x[0], x[1]]


@threefry2x32_p.def_abstract_eval
def _threefry_abstract_eval(k0, k1, x0, x1):
    for a in (k0, k1, x0, x1):
        if a.dtype != dtypes.uint32:
            raise TypeError(f"threefry2x32 requires uint32 arguments, got {a.dtype}")
    shape = np.broadcast_shapes(*(a.shape for a in (k0, k1, x0, x1)))
    return [core.ShapedArray(shape, dtypes.uint32)] * 2


ad.defjvp_zero(threefry2x32_p)
batch_elementwise(threefry2x32_p)


# --- structural primitives ----------------------------------------------------------------------

broadcast_in_dim_p = Primitive("broadcast_in_dim")


@broadcast_in_dim_p.def_impl
def _broadcast_in_dim_impl(x, shape, broadcast_dimensions):
    expanded = [1] * len(shape)
    for i, d in enumerate(broadcast_dimensions):
        expanded[d] = x.shape[i]
    return np.broadcast_to(x.reshape(expanded), shape)


@broadcast_in_dim_p.def_abstract_eval
def _broadcast_in_dim_abstract_eval(x, shape, broadcast_dimensions):
    if len(broadcast_dimensions) != x.ndim:
        raise TypeError(f"broadcast_in_dim broadcast_dimensions must have length equal to operand ndim; got "
                        f"broadcast_dimensions {broadcast_dimensions} for operand ndim {x.ndim}.")
    for i, d in enumerate(broadcast_dimensions):
        if not 0 <= d < len(shape) or x.shape[i] not in (1, shape[d]):
            raise TypeError(f"broadcast_in_dim operand dimension sizes must either be 1, or be equal to their "
                            f"corresponding dimensions in the target broadcast shape; got operand of shape "
                            f"{x.shape}, target broadcast shape {shape}, broadcast_dimensions {broadcast_dimensions}")
    if list(broadcast_dimensions) != sorted(broadcast_dimensions):
        raise TypeError(f"broadcast_in_dim broadcast_dimensions must be strictly increasing; got {broadcast_dimensions}")
    return core.ShapedArray(shape, x.dtype, x.weak_type)


def _broadcast_in_dim_transpose(ct, x, shape, broadcast_dimensions):
    if type(ct) is Zero:
        return [None]
    in_shape = x.aval.shape
    new_dims = tuple(d for d in range(len(shape)) if d not in broadcast_dimensions)
    expanded = tuple(d for i, d in enumerate(broadcast_dimensions) if in_shape[i] == 1 and shape[d] != 1)
    summed = reduce_sum(ct, tuple(sorted(new_dims + expanded)))
    return [reshape(summed, in_shape)]


ad.deflinear(broadcast_in_dim_p, _broadcast_in_dim_transpose)


@broadcast_in_dim_p.def_batch
def _broadcast_in_dim_batch(size, vals, dims, shape, broadcast_dimensions):
    (x,), (d,) = vals, dims
    x = moveaxis(x, d, 0)
    return broadcast_in_dim(x, (size, *shape), (0, *(b + 1 for b in broadcast_dimensions))), 0


reshape_p = Primitive("reshape")
reshape_p.def_impl(lambda x, new_sizes: np.reshape(x, new_sizes))


@reshape_p.def_abstract_eval
def _reshape_abstract_eval(x, new_sizes):
    if math.prod(new_sizes) != x.size:
        raise TypeError(f"reshape total size must be unchanged, got new_sizes {tuple(new_sizes)} for shape {x.shape}.")
    return core.ShapedArray(new_sizes, x.dtype, x.weak_type)


ad.deflinear(reshape_p, lambda ct, x, new_sizes: [reshape(ct, x.aval.shape)] if type(ct) is not Zero else [None])


@reshape_p.def_batch
def _reshape_batch(size, vals, dims, new_sizes):
    x = moveaxis(vals[0], dims[0], 0)
    return reshape(x, (size, *new_sizes)), 0


transpose_p = Primitive("transpose")
transpose_p.def_impl(lambda x, permutation: np.transpose(x, permutation))


@transpose_p.def_abstract_eval
def _transpose_abstract_eval(x, permutation):
    if sorted(permutation) != list(range(x.ndim)):
        raise TypeError(f"transpose permutation isn't a permutation of operand dimensions, got permutation "
                        f"{permutation} for operand shape {x.shape}.")
    return core.ShapedArray([x.shape[p] for p in permutation], x.dtype, x.weak_type)


ad.deflinear(transpose_p, lambda ct, x, permutation: [transpose(ct, tuple(np.argsort(permutation)))] if type(ct) is not Zero else [None])


@transpose_p.def_batch
def _transpose_batch(size, vals, dims, permutation):
    x = moveaxis(vals[0], dims[0], 0)
    return transpose(x, (0, *(p + 1 for p in permutation))), 0


rev_p = Primitive("rev")
rev_p.def_impl(lambda x, dimensions: np.flip(x, dimensions) if dimensions else x)
rev_p.def_abstract_eval(lambda x, dimensions: x)
ad.deflinear(rev_p, lambda ct, x, dimensions: [rev(ct, dimensions)] if type(ct) is not Zero else [None])


@rev_p.def_batch
def _rev_batch(size, vals, dims, dimensions):
    x = moveaxis(vals[0], dims[0], 0)
    return rev(x, tuple(d + 1 for d in dimensions)), 0


slice_p = Primitive("slice")


@slice_p.def_impl
def _slice_impl(x, start_indices, limit_indices, strides):
    strides = strides or (1,) * x.ndim
    return x[tuple(builtins.slice(s, l, st) for s, l, st in zip(start_indices, limit_indices, strides, strict=True))]


@slice_p.def_abstract_eval
def _slice_abstract_eval(x, start_indices, limit_indices, strides):
    strides = strides or (1,) * x.ndim
    if not (len(start_indices) == len(limit_indices) == len(strides) == x.ndim):
        raise TypeError(f"slice start_indices {start_indices}, limit_indices {limit_indices} and strides "
                        f"{strides} must each have one entry per operand dimension (shape {x.shape})")
    for s, l, d in zip(start_indices, limit_indices, x.shape, strict=True):
        if not 0 <= s <= l <= d:
            raise TypeError(f"slice indices out of bounds or decreasing: start {start_indices}, limit "
                            f"{limit_indices} for operand shape {x.shape}")
    shape = [(l - s + st - 1) // st for s, l, st in zip(start_indices, limit_indices, strides, strict=True)]
    return core.ShapedArray(shape, x.dtype, x.weak_type)


def _slice_transpose(ct, x, start_indices, limit_indices, strides):
    if type(ct) is Zero:
        return [None]
    shape = x.aval.shape
    strides = strides or (1,) * len(shape)
    out_shape = _aval(ct).shape
    config = []
    for s, st, n, d in zip(start_indices, strides, out_shape, shape, strict=True):
        hi = d - (s + (n - 1) * st + 1) if n else d - s
        config.append((s, hi, st - 1 if n else 0))
    return [pad(ct, _const(ct, 0), config)]


ad.deflinear(slice_p, _slice_transpose)


@slice_p.def_batch
def _slice_batch(size, vals, dims, start_indices, limit_indices, strides):
    x = moveaxis(vals[0], dims[0], 0)
    strides = (1, *(strides or (1,) * len(start_indices)))
    return slice(x, (0, *start_indices), (size, *limit_indices), strides), 0


pad_p = Primitive("pad")


@pad_p.def_impl
def _pad_impl(x, padding_value, padding_config):
    shape = [lo + hi + d + builtins.max(d - 1, 0) * it for d, (lo, hi, it) in zip(x.shape, padding_config, strict=True)]
    big = [builtins.max(lo, 0) + builtins.max(hi, 0) + d + builtins.max(d - 1, 0) * it for d, (lo, hi, it) in zip(x.shape, padding_config, strict=True)]
    out = np.full(big, padding_value, dtype=x.dtype)
    idx = tuple(builtins.slice(builtins.max(lo, 0), builtins.max(lo, 0) + d + builtins.max(d - 1, 0) * it, it + 1)
                for d, (lo, hi, it) in zip(x.shape, padding_config, strict=True))  # fmt: skip
    out[idx] = x
    crop = tuple(builtins.slice(builtins.max(-lo, 0), builtins.max(-lo, 0) + n) for (lo, _, _), n in zip(padding_config, shape, strict=True))
    return out[crop]


@pad_p.def_abstract_eval
def _pad_abstract_eval(x, padding_value, padding_config):
    if padding_value.shape != () or padding_value.dtype != x.dtype:
        raise TypeError(f"pad padding_value must be a scalar of the operand's dtype {x.dtype}, got "
                        f"{padding_value.str_short()}")
    if len(padding_config) != x.ndim:
        raise TypeError(f"pad padding_config has {len(padding_config)} entries for an operand of rank {x.ndim}")
    shape = []
    for d, (lo, hi, it) in zip(x.shape, padding_config, strict=True):
        if it < 0:
            raise TypeError(f"pad interior padding must be non-negative, got {padding_config}")
        n = lo + hi + d + builtins.max(d - 1, 0) * it
        if n < 0:
            raise TypeError(f"pad gives a negative dimension size {n} for operand shape {x.shape} and config {padding_config}")
        shape.append(n)
    return core.ShapedArray(shape, x.dtype, x.weak_type)


def _pad_transpose(ct, x, padding_value, padding_config):
    if type(ct) is Zero:
        return [None, None]
    out = []
    if is_undefined_primal(x):
        # undo lo/hi padding (negative padding re-pads with zeros), then pick every (interior+1)th element
        unpadded = pad(ct, _const(ct, 0), [(-lo, -hi, 0) for lo, hi, _ in padding_config])
        t_x = slice(unpadded, (0,) * len(padding_config), _aval(unpadded).shape, tuple(it + 1 for _, _, it in padding_config))
        out.append(t_x)
    else:
        out.append(None)
    if is_undefined_primal(padding_value):
        total = reduce_sum(ct, tuple(range(_aval(ct).ndim)))
        inner = out[0] if out[0] is not None else None
        if inner is None:
            unpadded = pad(ct, _const(ct, 0), [(-lo, -hi, 0) for lo, hi, _ in padding_config])
            inner = slice(unpadded, (0,) * len(padding_config), _aval(unpadded).shape, tuple(it + 1 for _, _, it in padding_config))
        out.append(sub(total, reduce_sum(inner, tuple(range(_aval(inner).ndim)))))
    else:
        out.append(None)
    return out


ad.deflinear(pad_p, _pad_transpose)


@pad_p.def_batch
def _pad_batch(size, vals, dims, padding_config):
    (x, pv), (dx, dpv) = vals, dims
    if dpv is not not_mapped:
        # a batched padding value: pad with zeros, then select the padding positions per batch element
        x = bdim_at_front(x, dx, size)
        mask = pad(full(_aval(x).shape[1:], True, dtypes.bool_), np.bool_(False), padding_config)
        padded = pad(x, _const(x, 0), [(0, 0, 0), *padding_config])
        pv = broadcast_in_dim(moveaxis(pv, dpv, 0), _aval(padded).shape, (0,))
        mask = broadcast_in_dim(mask, _aval(padded).shape, tuple(range(1, _aval(padded).ndim)))
        return select(mask, padded, pv), 0
    x = moveaxis(x, dx, 0)
    return pad(x, pv, [(0, 0, 0), *padding_config]), 0


concatenate_p = Primitive("concatenate")
concatenate_p.def_impl(lambda *xs, dimension: np.concatenate(xs, axis=dimension))


@concatenate_p.def_abstract_eval
def _concatenate_abstract_eval(*xs, dimension):
    if not xs:
        raise TypeError("concatenate requires at least one operand")
    nd = xs[0].ndim
    if not 0 <= dimension < nd:
        raise TypeError(f"concatenate dimension out of bounds: dimension {dimension} for shapes {[x.shape for x in xs]}")
    for x in xs:
        if x.ndim != nd or any(a != b for i, (a, b) in enumerate(zip(x.shape, xs[0].shape, strict=True)) if i != dimension):
            raise TypeError(f"Cannot concatenate arrays with shapes that differ in dimensions other than the one "
                            f"being concatenated: concatenating along dimension {dimension} for shapes "
                            f"{', '.join(str(x.shape) for x in xs)}.")
        if x.dtype != xs[0].dtype:
            raise TypeError(f"lax.concatenate requires arguments to have the same dtypes, got "
                            f"{', '.join(x.dtype.name for x in xs)}.")
    shape = list(xs[0].shape)
    shape[dimension] = sum(x.shape[dimension] for x in xs)
    return core.ShapedArray(shape, xs[0].dtype, _weak(*xs))


def _concatenate_transpose(ct, *xs, dimension):
    if type(ct) is Zero:
        return [None] * len(xs)
    out, start = [], 0
    shape = _aval(ct).shape
    for x in xs:
        n = x.aval.shape[dimension] if is_undefined_primal(x) else _aval(x).shape[dimension]
        if is_undefined_primal(x):
            lo = [0] * len(shape)
            hi = list(shape)
            lo[dimension], hi[dimension] = start, start + n
            out.append(slice(ct, tuple(lo), tuple(hi)))
        else:
            out.append(None)
        start += n
    return out


ad.deflinear(concatenate_p, _concatenate_transpose)


@concatenate_p.def_batch
def _concatenate_batch(size, vals, dims, dimension):
    xs = [bdim_at_front(x, d, size) for x, d in zip(vals, dims, strict=True)]
    return concatenate(xs, dimension + 1), 0


iota_p = Primitive("iota")


@iota_p.def_impl
def _iota_impl(dtype, shape, dimension):
    r = np.arange(shape[dimension], dtype=dtype)
    return np.broadcast_to(r.reshape([-1 if i == dimension else 1 for i in range(len(shape))]), shape)


iota_p.def_abstract_eval(lambda dtype, shape, dimension: core.ShapedArray(shape, dtype))
ad.defjvp_zero(iota_p)
iota_p.def_batch(lambda size, vals, dims, **p: (iota_p.bind(**p), not_mapped))


# --- reductions -----------------------------------------------------------------------------------


def _reduce_abstract_eval(name, kind, out_dtype=None):
    def rule(x, axes):
        _check_kind(name, kind, x.dtype)
        for a in axes:
            if not 0 <= a < x.ndim:
                raise TypeError(f"{name}: axis {a} is out of bounds for operand of shape {x.shape}")
        shape = [d for i, d in enumerate(x.shape) if i not in axes]
        return core.ShapedArray(shape, out_dtype or x.dtype, x.weak_type and out_dtype is None)

    return rule


def _reduce_batch(prim):
    def rule(size, vals, dims, axes, **params):
        x = moveaxis(vals[0], dims[0], 0)
        return prim.bind(x, axes=tuple(a + 1 for a in axes), **params), 0

    prim.def_batch(rule)


def reduction(name: str, impl, kind: str = "any", out_dtype=None) -> Primitive:
    p = Primitive(name)
    p.def_impl(lambda x, axes: impl(x, axis=tuple(axes)))
    p.def_abstract_eval(_reduce_abstract_eval(name, kind, out_dtype))
    _reduce_batch(p)
    return p


def _sum_impl(x, axis):
    if x.dtype == np.bool_:
        return np.any(x, axis=axis)
    return np.sum(x, axis=axis, dtype=x.dtype)


reduce_sum_p = reduction("reduce_sum", _sum_impl, "number")


def _reduce_sum_transpose(ct, x, axes):
    if type(ct) is Zero:
        return [None]
    shape = x.aval.shape
    kept = tuple(i for i in range(len(shape)) if i not in axes)
    return [broadcast_in_dim(ct, shape, kept)]


ad.deflinear(reduce_sum_p, _reduce_sum_transpose)
reduce_max_p = reduction("reduce_max", lambda x, axis: np.max(x, axis=axis))
reduce_min_p = reduction("reduce_min", lambda x, axis: np.min(x, axis=axis))


def _chooser_jvp(prim):
    """Tangent of max/min reductions: the mean of the tangents at the locations of the extremum."""

    def rule(primals, tangents, axes):
        (x,), (t,) = primals, tangents
        ans = prim.bind(x, axes=axes)
        if type(t) is Zero:
            return ans, Zero(_aval(ans).to_tangent_aval())
        shape = _aval(x).shape
        kept = tuple(i for i in range(len(shape)) if i not in axes)
        loc = convert_element_type(eq(x, broadcast_in_dim(ans, shape, kept)), _aval(t).dtype)
        counts = reduce_sum(loc, axes)
        return ans, div(reduce_sum(mul(t, loc), axes), counts)

    prim.def_jvp(rule)


_chooser_jvp(reduce_max_p)
_chooser_jvp(reduce_min_p)


def _prod_impl(x, axis):
    return np.prod(x, axis=axis, dtype=x.dtype)


reduce_prod_p = reduction("reduce_prod", _prod_impl, "number")


@reduce_prod_p.def_jvp
def _reduce_prod_jvp(primals, tangents, axes):
    """d prod = sum_i t_i * prod_{j != i} x_j, with exclusive prefix/suffix products (exact at zeros)."""
    (x,), (t,) = primals, tangents
    ans = reduce_prod(x, axes)
    if type(t) is Zero:
        return ans, Zero(_aval(ans).to_tangent_aval())
    shape = _aval(x).shape
    kept = [i for i in range(len(shape)) if i not in axes]
    perm = (*kept, *axes)
    n = math.prod(shape[a] for a in axes)
    flat_shape = (*[shape[i] for i in kept], n)
    xf = reshape(transpose(x, perm), flat_shape)
    tf = reshape(transpose(t, perm), flat_shape)
    last = len(flat_shape) - 1
    one = _const(x, 1)
    left = pad(slice_in_dim(cumprod(xf, last), 0, n - 1, axis=last), one, [(0, 0, 0)] * last + [(1, 0, 0)])
    right = pad(slice_in_dim(cumprod(xf, last, reverse=True), 1, n, axis=last), one, [(0, 0, 0)] * last + [(0, 1, 0)])
    return ans, reduce_sum(mul(tf, mul(left, right)), (last,))


def _bitwise_reduce(logical, bitwise):
    """Logical on booleans, bitwise on integers (XLA's and/or reductions; np.all would give 0/1 on ints)."""

    def impl(x, axis):
        return logical(x, axis=axis) if x.dtype == np.bool_ else bitwise.reduce(x, axis=axis, dtype=x.dtype)

    return impl


reduce_and_p = reduction("reduce_and", _bitwise_reduce(np.all, np.bitwise_and), "int_or_bool")
reduce_or_p = reduction("reduce_or", _bitwise_reduce(np.any, np.bitwise_or), "int_or_bool")
for _p in (reduce_and_p, reduce_or_p):
    ad.defjvp_zero(_p)


def _arg_reduce(name, npf):
    p = Primitive(name)

    def impl(x, axes, index_dtype):
        (axis,) = axes
        # NB: NumPy's argmax/argmin already give the first NaN when there is one (XLA's answer), for
        # float16/32/64 and ml_dtypes' bfloat16 alike; ties give the first index, -0.0 == 0.0
        return npf(x, axis=axis).astype(index_dtype)

    p.def_impl(impl)

    def abstract_eval(x, axes, index_dtype):
        if len(axes) != 1 or not 0 <= axes[0] < x.ndim:
            raise TypeError(f"{name} needs exactly one valid axis, got axes={axes} for shape {x.shape}")
        if x.shape[axes[0]] == 0:
            raise ValueError(f"{name} of an empty axis (shape {x.shape}, axis {axes[0]})")
        return core.ShapedArray([d for i, d in enumerate(x.shape) if i != axes[0]], index_dtype)

    p.def_abstract_eval(abstract_eval)
    ad.defjvp_zero(p)
    _reduce_batch(p)
    return p


argmax_p = _arg_reduce("argmax", np.argmax)
argmin_p = _arg_reduce("argmin", np.argmin)


# --- cumulative reductions -------------------------------------------------------------------------


def _cumulative(name: str, np_accumulate, combine):
    """A cumulative primitive: a NumPy impl, and rules derived from a log-depth prefix scan of `combine`."""
    p = Primitive(name)

    def impl(x, axis, reverse):
        if reverse:
            x = np.flip(x, axis)
        with np.errstate(all="ignore"):
            out = np_accumulate(x, axis)
        return np.flip(out, axis) if reverse else out

    p.def_impl(impl)

    def abstract_eval(x, axis, reverse):
        if not 0 <= axis < x.ndim:
            raise TypeError(f"{name}: axis {axis} out of bounds for shape {x.shape}")
        return x

    p.def_abstract_eval(abstract_eval)

    def jvp(primals, tangents, axis, reverse):
        # the primal comes from the fast primitive; the tangent from differentiating the ladder
        out = p.bind(*primals, axis=axis, reverse=reverse)
        _, (t_out,) = ad.jvp_flat(lambda x: [prefix_scan(combine, x, axis, reverse)], primals, tangents, False)
        return out, t_out

    p.def_jvp(jvp)

    def batch(size, vals, dims, axis, reverse):
        x = moveaxis(vals[0], dims[0], 0)
        return p.bind(x, axis=axis + 1, reverse=reverse), 0

    p.def_batch(batch)
    return p


def prefix_scan(combine, x, axis: int, reverse: bool = False):
    """Inclusive scan with a log-depth (Hillis-Steele) ladder of shifted combines over primitives."""
    if reverse:
        x = rev(x, (axis,))
    n = _aval(x).shape[axis]
    shift = 1
    while shift < n:
        shifted = slice_in_dim(x, 0, n - shift, axis=axis)
        head = slice_in_dim(x, 0, shift, axis=axis)
        x = concatenate([head, combine(slice_in_dim(x, shift, n, axis=axis), shifted)], axis)
        shift *= 2
    return rev(x, (axis,)) if reverse else x


def _np_cumsum(x, axis):
    return np.cumsum(x, axis=axis, dtype=x.dtype)


cumsum_p = Primitive("cumsum")
cumsum_p.def_impl(lambda x, axis, reverse: np.flip(_np_cumsum(np.flip(x, axis), axis), axis) if reverse else _np_cumsum(x, axis))
cumsum_p.def_abstract_eval(lambda x, axis, reverse: x)
ad.deflinear(cumsum_p, lambda ct, x, axis, reverse: [cumsum(ct, axis, not reverse)] if type(ct) is not Zero else [None])
cumsum_p.def_batch(lambda size, vals, dims, axis, reverse: (cumsum(moveaxis(vals[0], dims[0], 0), axis + 1, reverse), 0))


def _logaddexp(x, y):
    m = max(x, y)
    safe = select(is_finite(m), m, full_like(m, 0))
    return add(safe, log(add(exp(sub(x, safe)), exp(sub(y, safe)))))


cumprod_p = _cumulative("cumprod", lambda x, axis: np.cumprod(x, axis=axis, dtype=x.dtype), lambda a, b: mul(a, b))
cummax_p = _cumulative("cummax", lambda x, axis: np.maximum.accumulate(x, axis=axis), lambda a, b: max(a, b))
cummin_p = _cumulative("cummin", lambda x, axis: np.minimum.accumulate(x, axis=axis), lambda a, b: min(a, b))
cumlogsumexp_p = _cumulative("cumlogsumexp", lambda x, axis: np.logaddexp.accumulate(x, axis=axis), _logaddexp)


# --- dot_general ------------------------------------------------------------------------------------


def _ranges_like(*xs):
    start = 0
    for x in xs:
        yield tuple(range(start, start + len(x)))
        start += len(x)


def _remaining(original, *removed_lists):
    removed = set().union(*removed_lists)
    return [i for i in original if i not in removed]


dot_general_p = Primitive("dot_general")


@dot_general_p.def_impl
def _dot_general_impl(lhs, rhs, dimension_numbers, precision=None, preferred_element_type=None):
    (lc, rc), (lb, rb) = dimension_numbers
    if not lb and lc == (lhs.ndim - 1,) and rc == (0,) and lhs.ndim <= 2 and rhs.ndim <= 2 and lhs.dtype.kind in "fc":
        # the common matrix/vector products: straight to BLAS (np.dot), no transposes or reshapes
        if lhs.dtype not in (dtypes.bfloat16, dtypes.float16):
            out = np.dot(lhs, rhs)
            return out if preferred_element_type is None else out.astype(preferred_element_type)
    lf = _remaining(range(lhs.ndim), lc, lb)
    rf = _remaining(range(rhs.ndim), rc, rb)
    out_dtype = np.dtype(preferred_element_type) if preferred_element_type is not None else lhs.dtype
    work = lhs.dtype if lhs.dtype not in (dtypes.bfloat16, dtypes.float16) else np.float32
    l3 = np.transpose(lhs, (*lb, *lf, *lc)).astype(work, copy=False)
    r3 = np.transpose(rhs, (*rb, *rc, *rf)).astype(work, copy=False)
    bshape = [lhs.shape[i] for i in lb]
    m = math.prod(lhs.shape[i] for i in lf)
    n = math.prod(rhs.shape[i] for i in rf)
    k = math.prod(lhs.shape[i] for i in lc)
    b = math.prod(bshape)
    if lhs.dtype == np.bool_:
        out = np.matmul(l3.reshape(b, m, k).astype(np.int32), r3.reshape(b, k, n).astype(np.int32)) > 0
    else:
        out = np.matmul(l3.reshape(b, m, k), r3.reshape(b, k, n))
    out_shape = (*bshape, *[lhs.shape[i] for i in lf], *[rhs.shape[i] for i in rf])
    return out.reshape(out_shape).astype(out_dtype, copy=False)


@dot_general_p.def_abstract_eval
def _dot_general_abstract_eval(lhs, rhs, dimension_numbers, precision=None, preferred_element_type=None):
    (lc, rc), (lb, rb) = dimension_numbers
    if len(lc) != len(rc) or len(lb) != len(rb):
        raise TypeError(f"dot_general requires equal numbers of lhs and rhs contracting and batch dimensions, got "
                        f"dimension_numbers {dimension_numbers}")
    for a, b in zip(lc, rc, strict=True):
        if lhs.shape[a] != rhs.shape[b]:
            raise TypeError(f"dot_general requires contracting dimensions to have the same shape, got "
                            f"{[lhs.shape[i] for i in lc]} and {[rhs.shape[i] for i in rc]} "
                            f"(lhs shape {lhs.shape}, rhs shape {rhs.shape}).")
    for a, b in zip(lb, rb, strict=True):
        if lhs.shape[a] != rhs.shape[b]:
            raise TypeError(f"dot_general requires lhs batch dimensions and rhs batch dimensions to have the same "
                            f"shape, got {[lhs.shape[i] for i in lb]} and {[rhs.shape[i] for i in rb]}.")
    if lhs.dtype != rhs.dtype:
        raise TypeError(f"lax.dot_general requires arguments to have the same dtypes, got {lhs.dtype.name}, "
                        f"{rhs.dtype.name}.")
    lf = _remaining(range(lhs.ndim), lc, lb)
    rf = _remaining(range(rhs.ndim), rc, rb)
    shape = [lhs.shape[i] for i in lb] + [lhs.shape[i] for i in lf] + [rhs.shape[i] for i in rf]
    dt = np.dtype(preferred_element_type) if preferred_element_type is not None else lhs.dtype
    return core.ShapedArray(shape, dt, lhs.weak_type and rhs.weak_type)


def _dot_transpose_lhs(ct, x_aval, y, dimension_numbers, preferred_element_type=None, swap_ans=False, precision=None):
    (x_contract, y_contract), (x_batch, y_batch) = dimension_numbers
    x_ndim = x_aval.ndim
    y_ndim = _aval(y).ndim
    x_kept = _remaining(range(x_ndim), x_contract, x_batch)
    y_kept = _remaining(range(y_ndim), y_contract, y_batch)
    if swap_ans:
        ans_batch, ans_y, _ = _ranges_like(x_batch, y_kept, x_kept)
    else:
        ans_batch, _, ans_y = _ranges_like(x_batch, x_kept, y_kept)
    dims = ((ans_y, tuple(y_kept)), (ans_batch, tuple(y_batch)))
    x_contract_sorted_by_y = [x_contract[i] for i in np.argsort(y_contract)]
    out_axes = np.argsort([*x_batch, *x_kept, *x_contract_sorted_by_y])
    ct = convert_element_type(ct, _aval(y).dtype) if _aval(ct).dtype != _aval(y).dtype else ct
    x_bar = transpose(dot_general(ct, y, dims), tuple(int(i) for i in out_axes))
    if _aval(x_bar).dtype != x_aval.dtype:
        x_bar = convert_element_type(x_bar, x_aval.dtype)
    return x_bar


@dot_general_p.def_transpose
def _dot_general_transpose(ct, lhs, rhs, dimension_numbers, precision=None, preferred_element_type=None):
    if type(ct) is Zero:
        return [None, None]
    (lc, rc), (lb, rb) = dimension_numbers
    if is_undefined_primal(lhs) and is_undefined_primal(rhs):
        raise ValueError("dot_general is not linear in both operands at once")
    if is_undefined_primal(lhs):
        return [_dot_transpose_lhs(ct, lhs.aval, rhs, dimension_numbers), None]
    swapped = ((rc, lc), (rb, lb))
    return [None, _dot_transpose_lhs(ct, rhs.aval, lhs, swapped, swap_ans=True)]


ad.defjvp(
    dot_general_p,
    lambda t, lhs, rhs, **p: dot_general_p.bind(t, rhs, **p),
    lambda t, lhs, rhs, **p: dot_general_p.bind(lhs, t, **p),
)


@dot_general_p.def_batch
def _dot_general_batch(size, vals, dims, dimension_numbers, precision=None, preferred_element_type=None):
    (lhs, rhs), (ld, rd) = vals, dims
    (lc, rc), (lb, rb) = dimension_numbers

    def shift(ds):
        return tuple(d + 1 for d in ds)

    params = dict(precision=precision, preferred_element_type=preferred_element_type)
    if ld is not not_mapped and rd is not not_mapped:
        lhs, rhs = moveaxis(lhs, ld, 0), moveaxis(rhs, rd, 0)
        dn = ((shift(lc), shift(rc)), ((0, *shift(lb)), (0, *shift(rb))))
        return dot_general(lhs, rhs, dn, **params), 0
    if ld is not not_mapped:
        lhs = moveaxis(lhs, ld, 0)
        dn = ((shift(lc), rc), (shift(lb), rb))
        return dot_general(lhs, rhs, dn, **params), len(lb)
    rhs = moveaxis(rhs, rd, 0)
    dn = ((lc, shift(rc)), (lb, shift(rb)))
    lhs_free = _aval(lhs).ndim - len(lc) - len(lb)
    return dot_general(lhs, rhs, dn, **params), len(lb) + lhs_free


# --- stop_gradient ---------------------------------------------------------------------------------

stop_gradient_p = Primitive("stop_gradient")
stop_gradient_p.def_impl(lambda x: x)
stop_gradient_p.def_abstract_eval(lambda x: x)
ad.defjvp_zero(stop_gradient_p)
batch_elementwise(stop_gradient_p)


# --- wrappers ------------------------------------------------------------------------------------


def _match(x, y):
    """Convert a Python/NumPy scalar operand to the other operand's dtype (and shape), as lax does.

    Against a scalar operand it stays a literal: a Python scalar when it already has the right dtype
    (so it stays weakly typed), else a NumPy scalar of that dtype."""
    if isinstance(y, (int, float, complex, bool, np.generic)) and not isinstance(x, (int, float, complex, bool, np.generic)):
        a = _aval(x)
        if a.shape:
            return full(a.shape, y, a.dtype)
        if type(y) in (int, float, complex) and dtypes.dtype_and_weak(y)[0] == a.dtype:
            return y
        return np.array(y, a.dtype)[()]
    return y


def _bin(p):
    def f(x, y):
        x, y = _match(y, x), _match(x, y)
        return p.bind(x, y)

    f.__name__ = p.name
    return f


add, sub, mul, div, rem, pow = map(_bin, (add_p, sub_p, mul_p, div_p, rem_p, pow_p))  # noqa: A001
max, min, atan2, nextafter = map(_bin, (max_p, min_p, atan2_p, nextafter_p))  # noqa: A001
bitwise_and, bitwise_or, bitwise_xor = map(_bin, (and_p, or_p, xor_p))
shift_left, shift_right_logical, shift_right_arithmetic = map(_bin, (shift_left_p, shift_right_logical_p, shift_right_arithmetic_p))
eq, ne, lt, le, gt, ge = map(_bin, (eq_p, ne_p, lt_p, le_p, gt_p, ge_p))
complex_ = _bin(complex_p)


def _un(p):
    def f(x):
        return p.bind(x)

    f.__name__ = p.name
    return f


neg, sign, floor, ceil, is_finite = map(_un, (neg_p, sign_p, floor_p, ceil_p, is_finite_p))
exp, exp2, log, log1p, expm1, tanh, logistic = map(_un, (exp_p, exp2_p, log_p, log1p_p, expm1_p, tanh_p, logistic_p))
sin, cos, tan, asin, acos, atan = map(_un, (sin_p, cos_p, tan_p, asin_p, acos_p, atan_p))
sinh, cosh, asinh, acosh, atanh = map(_un, (sinh_p, cosh_p, asinh_p, acosh_p, atanh_p))
sqrt, rsqrt, cbrt, square, abs = map(_un, (sqrt_p, rsqrt_p, cbrt_p, square_p, abs_p))  # noqa: A001
erf, erfc, erf_inv, real, imag, conj = map(_un, (erf_p, erfc_p, erf_inv_p, real_p, imag_p, conj_p))
bitwise_not, population_count, clz = map(_un, (not_p, population_count_p, clz_p))
stop_gradient_prim = _un(stop_gradient_p)


class RoundingMethod(enum.IntEnum):
    """`lax.round`'s tie-breaking rule."""

    AWAY_FROM_ZERO = 0
    TO_NEAREST_EVEN = 1


def round(x, rounding_method=RoundingMethod.AWAY_FROM_ZERO):  # noqa: A001
    return round_p.bind(x, rounding_method=int(rounding_method))


def integer_pow(x, y: int):
    return integer_pow_p.bind(x, y=int(y))


def convert_element_type(x, new_dtype, weak_type: bool = False):
    new_dtype = dtypes.canonicalize_dtype(new_dtype)
    a = _aval(x)
    if a.dtype == new_dtype and a.weak_type == weak_type and not isinstance(x, (int, float, complex, bool, np.generic)):
        return x
    if isinstance(x, (int, float, complex, bool)):
        x = np.array(x, dtype=new_dtype)[()]
    return convert_element_type_p.bind(x, new_dtype=new_dtype, weak_type=bool(weak_type))


def bitcast_convert_type(x, new_dtype):
    return bitcast_convert_type_p.bind(x, new_dtype=dtypes.canonicalize_dtype(new_dtype))


def reduce_precision(x, exponent_bits: int, mantissa_bits: int):
    return reduce_precision_p.bind(x, exponent_bits=int(exponent_bits), mantissa_bits=int(mantissa_bits))


def select_n(which, *cases):
    return select_n_p.bind(which, *cases)


def select(pred, on_true, on_false):
    """`lax.select(pred, on_true, on_false)`."""
    return select_n_p.bind(pred, on_false, on_true)


def clamp(min, x, max):  # noqa: A002
    """`lax.clamp(min, x, max)`: elementwise min(max(x, min), max)."""
    return min_(max_(x, min), max)


max_, min_ = max, min


def broadcast_in_dim(x, shape, broadcast_dimensions):
    shape = tuple(int(d) for d in shape)
    broadcast_dimensions = tuple(int(d) for d in broadcast_dimensions)
    a = _aval(x)
    if a.shape == shape and broadcast_dimensions == tuple(range(len(shape))) and not isinstance(x, (int, float, complex, bool, np.generic)):
        return x
    return broadcast_in_dim_p.bind(x, shape=shape, broadcast_dimensions=broadcast_dimensions)


def broadcast(x, sizes):
    a = _aval(x)
    return broadcast_in_dim(x, (*sizes, *a.shape), tuple(range(len(sizes), len(sizes) + a.ndim)))


def reshape(x, new_sizes, dimensions=None):
    new_sizes = tuple(int(d) for d in new_sizes)
    if dimensions is not None:
        x = transpose(x, dimensions)
    if _aval(x).shape == new_sizes and not isinstance(x, (int, float, complex, bool, np.generic)):
        return x
    return reshape_p.bind(x, new_sizes=new_sizes)


def transpose(x, permutation):
    permutation = tuple(int(p) for p in permutation)
    if permutation == tuple(range(len(permutation))) and not isinstance(x, (int, float, complex, bool, np.generic)):
        return x
    return transpose_p.bind(x, permutation=permutation)


def rev(x, dimensions):
    return rev_p.bind(x, dimensions=tuple(int(d) for d in dimensions))


def slice(x, start_indices, limit_indices, strides=None):  # noqa: A001
    strides = None if strides is None or all(s == 1 for s in strides) else tuple(int(s) for s in strides)
    return slice_p.bind(x, start_indices=tuple(int(i) for i in start_indices),
                        limit_indices=tuple(int(i) for i in limit_indices), strides=strides)  # fmt: skip


def slice_in_dim(x, start_index, limit_index, stride=1, axis=0):
    shape = _aval(x).shape
    starts = [0] * len(shape)
    limits = list(shape)
    strides = [1] * len(shape)
    starts[axis], limits[axis], strides[axis] = start_index, limit_index, stride
    return slice(x, starts, limits, strides)


def index_in_dim(x, index, axis=0, keepdims=True):
    out = slice_in_dim(x, index, index + 1, 1, axis)
    if keepdims:
        return out
    shape = list(_aval(out).shape)
    del shape[axis]
    return reshape(out, shape)


def pad(x, padding_value, padding_config):
    config = tuple((int(lo), int(hi), int(it)) for lo, hi, it in padding_config)
    if isinstance(padding_value, (int, float, complex, bool, np.generic, np.ndarray)):
        padding_value = np.array(padding_value, dtype=_aval(x).dtype)[()]
    return pad_p.bind(x, padding_value, padding_config=config)


def concatenate(operands, dimension):
    operands = list(operands)
    if len(operands) == 1:
        return operands[0]
    return concatenate_p.bind(*operands, dimension=int(dimension))


def iota(dtype, size: int):
    return iota_p.bind(dtype=dtypes.canonicalize_dtype(dtype), shape=(int(size),), dimension=0)


def broadcasted_iota(dtype, shape, dimension):
    return iota_p.bind(dtype=dtypes.canonicalize_dtype(dtype), shape=tuple(int(s) for s in shape), dimension=int(dimension))


def full(shape, fill_value, dtype=None, weak_type: bool = False):
    """An array of `shape` filled with a scalar (possibly traced) value."""
    shape = tuple(int(d) for d in shape)
    if dtype is None:
        dtype, weak_type = dtypes.dtype_and_weak(fill_value)
    dtype = dtypes.canonicalize_dtype(dtype)
    if isinstance(fill_value, core.Tracer) or hasattr(fill_value, "aval"):
        if _aval(fill_value).shape != ():
            raise TypeError(f"full must be called with scalar fill_value, got fill_value.shape {_aval(fill_value).shape}.")
        v = convert_element_type(fill_value, dtype, weak_type)
    else:
        v = np.array(fill_value, dtype=dtype)
        if v.shape != ():
            raise TypeError(f"full must be called with scalar fill_value, got fill_value.shape {v.shape}.")
        v = v[()]
        if weak_type and type(fill_value) in (int, float, complex) and dtypes.dtype_and_weak(fill_value) == (dtype, True):
            v = fill_value  # a weak Python scalar literal of exactly this dtype: no extra conversion
    out = broadcast_in_dim_p.bind(v, shape=shape, broadcast_dimensions=())
    if weak_type and not _aval(out).weak_type:
        out = convert_element_type_p.bind(out, new_dtype=dtype, weak_type=True)
    return out


def full_like(x, fill_value, dtype=None, shape=None):
    a = _aval(x)
    return full(a.shape if shape is None else shape, fill_value, dtype or a.dtype, a.weak_type and dtype is None)


def zeros_like_array(x):
    return full_like(x, 0)


def reduce_sum(x, axes):
    return reduce_sum_p.bind(x, axes=tuple(sorted(int(a) for a in axes)))


def reduce_max(x, axes):
    return reduce_max_p.bind(x, axes=tuple(sorted(int(a) for a in axes)))


def reduce_min(x, axes):
    return reduce_min_p.bind(x, axes=tuple(sorted(int(a) for a in axes)))


def reduce_prod(x, axes):
    return reduce_prod_p.bind(x, axes=tuple(sorted(int(a) for a in axes)))


def reduce_and(x, axes):
    return reduce_and_p.bind(x, axes=tuple(sorted(int(a) for a in axes)))


def reduce_or(x, axes):
    return reduce_or_p.bind(x, axes=tuple(sorted(int(a) for a in axes)))


def argmax(x, axis: int, index_dtype):
    return argmax_p.bind(x, axes=(int(axis),), index_dtype=dtypes.canonicalize_dtype(index_dtype))


def argmin(x, axis: int, index_dtype):
    return argmin_p.bind(x, axes=(int(axis),), index_dtype=dtypes.canonicalize_dtype(index_dtype))


def cumsum(x, axis: int = 0, reverse: bool = False):
    return cumsum_p.bind(x, axis=int(axis), reverse=bool(reverse))


def cumprod(x, axis: int = 0, reverse: bool = False):
    return cumprod_p.bind(x, axis=int(axis), reverse=bool(reverse))


def cummax(x, axis: int = 0, reverse: bool = False):
    return cummax_p.bind(x, axis=int(axis), reverse=bool(reverse))


def cummin(x, axis: int = 0, reverse: bool = False):
    return cummin_p.bind(x, axis=int(axis), reverse=bool(reverse))


def cumlogsumexp(x, axis: int = 0, reverse: bool = False):
    return cumlogsumexp_p.bind(x, axis=int(axis), reverse=bool(reverse))


def dot_general(lhs, rhs, dimension_numbers, precision=None, preferred_element_type=None):
    (lc, rc), (lb, rb) = dimension_numbers
    dn = ((tuple(int(i) for i in lc), tuple(int(i) for i in rc)), (tuple(int(i) for i in lb), tuple(int(i) for i in rb)))
    pet = None if preferred_element_type is None else dtypes.canonicalize_dtype(preferred_element_type)
    return dot_general_p.bind(lhs, rhs, dimension_numbers=dn, precision=None, preferred_element_type=pet)


def dot(lhs, rhs, precision=None, preferred_element_type=None):
    """`lax.dot`: vector/matrix products contracting lhs's last and rhs's first (or only) axis."""
    la, ra = _aval(lhs), _aval(rhs)
    if la.ndim not in (1, 2) or ra.ndim not in (1, 2):
        raise TypeError(f"dot requires rank 1 or 2 operands, got shapes {la.shape} and {ra.shape}")
    return dot_general(lhs, rhs, (((la.ndim - 1,), (0,)), ((), ())), precision, preferred_element_type)


def stop_gradient(x):
    """Identity whose derivative is zero; applies leafwise to pytrees, as JAX's."""
    from jaxnc._src.tree_util import tree_map

    def leaf(v):
        if isinstance(v, (int, float, complex, bool)):
            return v
        return stop_gradient_p.bind(v)

    return tree_map(leaf, x)


def expand_dims(x, dimensions):
    a = _aval(x)
    nd = a.ndim + len(dimensions)
    dims = sorted(d % nd for d in dimensions)
    shape = list(a.shape)
    for d in dims:
        shape.insert(d, 1)
    return reshape(x, shape)


def squeeze(x, dimensions):
    a = _aval(x)
    dims = {d % a.ndim for d in dimensions}
    for d in dims:
        if a.shape[d] != 1:
            raise ValueError(f"cannot select an axis to squeeze out which has size not equal to one, got shape="
                             f"{a.shape} and dimensions={tuple(dimensions)}")
    return reshape(x, [s for i, s in enumerate(a.shape) if i not in dims])


def broadcast_to_rank(x, rank: int):
    """`lax.broadcast_to_rank`: add leading unit dimensions up to rank `rank`."""
    nd = _aval(x).ndim
    if rank < nd:
        raise ValueError(f"broadcast_to_rank: rank {rank} is below the operand's rank {nd}")
    return broadcast(x, (1,) * (rank - nd))


def collapse(operand, start_dimension: int, stop_dimension: int | None = None):
    """`lax.collapse`: merge dimensions [start_dimension, stop_dimension) into one."""
    shape = _aval(operand).shape
    lo = start_dimension % len(shape) if shape else 0
    hi = len(shape) if stop_dimension is None else stop_dimension % (len(shape) + 1)
    if not 0 <= lo <= hi <= len(shape):
        raise ValueError(f"collapse: invalid dimension range [{start_dimension}, {stop_dimension}) for shape {shape}")
    return reshape(operand, (*shape[:lo], math.prod(shape[lo:hi]), *shape[hi:]))


def batch_matmul(lhs, rhs, precision=None):
    """`lax.batch_matmul`: matmul over the last two axes, the leading axes being batch axes of equal sizes."""
    la, ra = _aval(lhs), _aval(rhs)
    if la.ndim < 2 or la.ndim != ra.ndim or la.shape[:-2] != ra.shape[:-2]:
        raise ValueError(f"batch_matmul needs operands of equal rank >= 2 and equal batch shapes, got {la.shape} and "
                         f"{ra.shape}")  # fmt: skip
    batch = tuple(range(la.ndim - 2))
    return dot_general(lhs, rhs, (((la.ndim - 1,), (ra.ndim - 2,)), (batch, batch)), precision)


def optimization_barrier(operand):
    """`lax.optimization_barrier`: the identity on a pytree of arrays; XLA's scheduling fence has no meaning
    here since jaxnc's lowering does no cross-barrier rematerialisation or CSE that it would prevent."""
    from jaxnc._src.tree_util import tree_map

    return tree_map(lambda v: v if isinstance(v, core.Tracer) or hasattr(v, "aval") else np.asarray(v), operand)


def broadcast_shapes(*shapes):
    """`lax.broadcast_shapes`: the NumPy broadcast of `shapes` (a ValueError names incompatible ones)."""
    from jaxnc._src.numpy import lax_numpy

    return lax_numpy.broadcast_shapes(*shapes)



class Precision(enum.Enum):
    """Accepted for compatibility: the reference backend always computes at full precision."""

    DEFAULT = 0
    HIGH = 1
    HIGHEST = 2
