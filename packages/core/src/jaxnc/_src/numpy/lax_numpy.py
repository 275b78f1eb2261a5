"""jaxnc.numpy: NumPy's API over lax (broadcasting, promotion, reductions, shape ops, indexing)."""

from __future__ import annotations

import builtins
import math

import numpy as np

from jaxnc._src import core, dtypes
from jaxnc._src.array import Array, device_put_numpy
from jaxnc._src.array import ArrayType as _ArrayType
from jaxnc._src.core import get_aval
from jaxnc._src.custom_derivatives import custom_jvp
from jaxnc._src.lax import lax, slicing

# dtype names, as jax.numpy exports them
bool_ = np.bool_
int8, int16, int32, int64 = np.int8, np.int16, np.int32, np.int64
uint8, uint16, uint32, uint64 = np.uint8, np.uint16, np.uint32, np.uint64
float16, float32, float64 = np.float16, np.float32, np.float64
bfloat16 = dtypes.bfloat16.type
complex64, complex128 = np.complex64, np.complex128
float_ = float64
int_ = int64
complex_ = complex128
dtype = np.dtype
inexact, floating, integer, signedinteger, unsignedinteger = np.inexact, np.floating, np.integer, np.signedinteger, np.unsignedinteger
number, complexfloating, generic = np.number, np.complexfloating, np.generic
pi, e, inf, nan, euler_gamma = np.pi, np.e, np.inf, np.nan, np.euler_gamma
newaxis = None
ndarray = _ArrayType

result_type = dtypes.result_type
promote_types = dtypes.promote_types
issubdtype = dtypes.issubdtype
finfo = dtypes.finfo
iinfo = dtypes.iinfo
can_cast = np.can_cast


def _is_scalar(x) -> bool:
    return isinstance(x, (builtins.bool, builtins.int, builtins.float, builtins.complex, np.generic))


# --- array creation ------------------------------------------------------------------------------------


def asarray(a, dtype=None, order=None, *, copy=None, device=None):
    """An Array from an array-like (lists, NumPy arrays, scalars, Arrays); Arrays are not copied."""
    if isinstance(a, core.Tracer) or type(a) is Array:
        return a if dtype is None else astype(a, dtype)
    if isinstance(a, (list, tuple)) and builtins.any(isinstance(x, core.Tracer) or type(x) is Array for x in _flat_seq(a)):
        return stack([asarray(x) for x in a]) if dtype is None else astype(stack([asarray(x) for x in a]), dtype)
    if dtype is not None:
        dt = dtypes.canonicalize_dtype(dtype)
        return device_put_numpy(np.asarray(a, dtype=dt), device)
    if _is_scalar(a) and not isinstance(a, np.generic):
        dt, weak = dtypes.dtype_and_weak(a)
        return device_put_numpy(np.asarray(a, dtype=dt), device, weak_type=weak)
    value = np.asarray(a)
    if value.dtype == object:
        raise TypeError(f"jaxnc.numpy.asarray: cannot convert {type(a).__name__} of mixed/object values to an array")
    if value.dtype.kind in "US":
        raise TypeError(f"jaxnc.numpy arrays cannot hold strings; got dtype {value.dtype}")
    if isinstance(a, (list, tuple)) and value.dtype == np.float64 and not dtypes.x64_enabled():
        value = value.astype(np.float32)
    if isinstance(a, (list, tuple)) and value.dtype == np.int64 and not dtypes.x64_enabled():
        value = value.astype(np.int32)
    return device_put_numpy(value, device)


def _flat_seq(a):
    for x in a:
        if isinstance(x, (list, tuple)):
            yield from _flat_seq(x)
        else:
            yield x


def array(object, dtype=None, copy=True, order="K", ndmin=0, *, device=None):  # noqa: A002
    out = asarray(object, dtype=dtype, device=device)
    if type(out) is Array and copy and type(object) is Array:
        out = device_put_numpy(np.asarray(object), device or object.device, object.weak_type)
    if ndmin > ndim(out):
        out = reshape(out, (1,) * (ndmin - ndim(out)) + shape(out))
    return out


def _shape_tuple(shape) -> tuple[int, ...]:
    if isinstance(shape, (builtins.int, np.integer)):
        return (int(shape),)
    return tuple(int(s) for s in shape)


def _dtype_or_default(dtype, default=None):
    return dtypes.canonicalize_dtype(dtype) if dtype is not None else (default or dtypes.default_float_dtype())


def full(shape, fill_value, dtype=None, *, device=None):
    if dtype is None:
        dt, weak = dtypes.dtype_and_weak(fill_value)  # jnp.full(s, 7) is weakly typed, as in JAX
    else:
        dt, weak = dtypes.canonicalize_dtype(dtype), False
    if np.ndim(fill_value) if not hasattr(fill_value, "aval") else get_aval(fill_value).ndim:
        return broadcast_to(asarray(fill_value, dtype=dt), _shape_tuple(shape))
    return lax.full(_shape_tuple(shape), fill_value, dt, weak)


def zeros(shape, dtype=None, *, device=None):
    return lax.full(_shape_tuple(shape), 0, _dtype_or_default(dtype))


def ones(shape, dtype=None, *, device=None):
    return lax.full(_shape_tuple(shape), 1, _dtype_or_default(dtype))


def empty(shape, dtype=None, *, device=None):
    return zeros(shape, dtype)


def _like(a, value, dtype, shape_):
    a_aval = get_aval(a)
    dt = dtypes.canonicalize_dtype(dtype) if dtype is not None else a_aval.dtype
    return lax.full(a_aval.shape if shape_ is None else _shape_tuple(shape_), value, dt, a_aval.weak_type and dtype is None)


def zeros_like(a, dtype=None, shape=None, *, device=None):
    return _like(a, 0, dtype, shape)


def ones_like(a, dtype=None, shape=None, *, device=None):
    return _like(a, 1, dtype, shape)


def empty_like(a, dtype=None, shape=None, *, device=None):
    return _like(a, 0, dtype, shape)


def full_like(a, fill_value, dtype=None, shape=None, *, device=None):
    return _like(a, fill_value, dtype, shape)


def arange(start, stop=None, step=None, dtype=None, *, device=None):
    for v in (start, stop, step):
        if isinstance(v, core.Tracer):
            core.concrete_or_error(v, "It arose in jnp.arange argument; arange needs concrete start/stop/step.")
    if stop is None and step is None and dtype is None and isinstance(start, (builtins.int, np.integer)):
        return lax.iota(dtypes.default_int_dtype(), int(start))
    args = [np.asarray(v) for v in (start, stop, step) if v is not None]
    if dtype is None:
        dtype = dtypes.result_type(*[v.item() if v.ndim == 0 else v for v in args])
    return asarray(np.arange(start, stop, step, dtype=dtypes.canonicalize_dtype(dtype)))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *, device=None):
    dt = dtypes.canonicalize_dtype(dtype) if dtype is not None else dtypes.to_inexact_dtype(result_type(start, stop))
    num = int(num)
    start, stop = asarray(start, dtype=dt), asarray(stop, dtype=dt)
    div = (num - 1) if endpoint else num
    steps = lax.iota(dt, num)
    if div > 0:
        step = (stop - start) / div
        out = start + steps * step
        if endpoint and num > 1:
            out = out.at[-1].set(stop)
    else:
        step = nan
        out = start + steps * 0
    out = astype(out, dt)
    return (out, step) if retstep else out


def eye(N, M=None, k=0, dtype=None, *, device=None):  # noqa: N803
    M = N if M is None else M  # noqa: N806
    dt = _dtype_or_default(dtype)
    rows = lax.broadcasted_iota(np.int32, (N, M), 0)
    cols = lax.broadcasted_iota(np.int32, (N, M), 1)
    return lax.convert_element_type(lax.eq(lax.add(rows, np.int32(k)), cols), dt)


def identity(n, dtype=None):
    return eye(n, dtype=dtype)


def tri(N, M=None, k=0, dtype=None):  # noqa: N803
    M = N if M is None else M  # noqa: N806
    rows = lax.broadcasted_iota(np.int32, (N, M), 0)
    cols = lax.broadcasted_iota(np.int32, (N, M), 1)
    return lax.convert_element_type(lax.ge(lax.add(rows, np.int32(k)), cols), _dtype_or_default(dtype))


def tril(m, k=0):
    a = get_aval(m)
    mask = tri(*a.shape[-2:], k=k, dtype=bool)
    return where(mask, m, zeros_like(m))


def triu(m, k=0):
    a = get_aval(m)
    mask = tri(*a.shape[-2:], k=k - 1, dtype=bool)
    return where(mask, zeros_like(m), m)


# --- metadata ---------------------------------------------------------------------------------------------


def shape(a) -> tuple[int, ...]:
    return get_aval(a).shape


def ndim(a) -> int:
    return get_aval(a).ndim


def size(a, axis=None) -> int:
    s = get_aval(a).shape
    return math.prod(s) if axis is None else s[axis]


def isscalar(x) -> bool:
    return _is_scalar(x) or (hasattr(x, "aval") and get_aval(x).ndim == 0)


# --- promotion and broadcasting -------------------------------------------------------------------------


def _to_dtype(x, dt, weak):
    if _is_scalar(x):
        return np.array(x, dtype=dt)[()] if not isinstance(x, builtins.complex) or dtypes.is_complex(dt) else x
    if not hasattr(x, "aval"):
        x = asarray(x)
    return lax.convert_element_type(x, dt, weak)


def promote_dtypes(*args):
    """Convert arguments to their common dtype (JAX's lattice, weak types respected)."""
    dt, weak = dtypes.result_type_weak(*args)
    return [_to_dtype(a, dt, weak) for a in args]


def promote_dtypes_inexact(*args):
    dt, weak = dtypes.result_type_weak(*args)
    dt = dtypes.to_inexact_dtype(dt)
    return [_to_dtype(a, dt, weak) for a in args]


def _broadcast_shapes_or_error(name, shapes):
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        raise ValueError(f"{name}: incompatible shapes for broadcasting: shapes={list(shapes)}") from None


def broadcast_shapes(*shapes):
    return _broadcast_shapes_or_error("broadcast_shapes", [tuple(s) for s in shapes])


def _broadcast_to_shape(x, target):
    if _is_scalar(x):
        return lax.full(target, x, get_aval(x).dtype, get_aval(x).weak_type) if target else x
    a = get_aval(x)
    if a.shape == tuple(target):
        return x
    nd = len(target)
    dims = tuple(range(nd - a.ndim, nd))
    squeeze_dims = [i for i, (s, t) in enumerate(zip(a.shape, target[nd - a.ndim :], strict=True)) if s == 1 and t != 1]
    if squeeze_dims:
        x = lax.reshape(x, [s for i, s in enumerate(a.shape) if i not in squeeze_dims])
        dims = tuple(d for i, d in enumerate(dims) if i not in squeeze_dims)
    return lax.broadcast_in_dim(x, target, dims)


def _promote_and_broadcast(name, args, inexact=False):
    """Promote to the common dtype (weak types respected) and broadcast to the common shape.

    Scalars become one `full` of the target shape; arrays are converted and broadcast."""
    args = [a if _is_scalar(a) or hasattr(a, "aval") else asarray(a) for a in args]
    dt, weak = dtypes.result_type_weak(*args)
    if inexact:
        dt = dtypes.to_inexact_dtype(dt)
    shapes = [() if _is_scalar(a) else get_aval(a).shape for a in args]
    target = shapes[0] if builtins.all(s == shapes[0] for s in shapes) else _broadcast_shapes_or_error(name, shapes)
    out = []
    for a in args:
        if _is_scalar(a) and not target and len(args) > 1 and not builtins.all(_is_scalar(b) for b in args):
            out.append(_scalar_literal(a, dt, weak))  # lax broadcasts it against the other operand
        elif _is_scalar(a):
            out.append(lax.full(target, a, dt, weak))
        else:
            out.append(_broadcast_to_shape(lax.convert_element_type(a, dt, weak), target))
    return out


def _scalar_literal(x, dt, weak):
    """A scalar operand as a literal of dtype `dt`: a Python scalar keeps its weak type when its default
    dtype is `dt`; otherwise a NumPy scalar (or a weak 0-d array if weakness must be kept)."""
    if weak and type(x) in (builtins.int, builtins.float, builtins.complex) and dtypes.dtype_and_weak(x) == (dt, True):
        return x
    if type(x) is builtins.int and dtypes.is_integer(dt):
        x = np.array(x).astype(dt)  # NB: an out-of-range Python int wraps to `dt` as in JAX (int8(3) + 300 == 47)
    if weak:
        return lax.full((), x, dt, True)
    return np.array(x, dtype=dt)[()]


def broadcast_to(array, shape):  # noqa: A002
    x = asarray(array) if not hasattr(array, "aval") else array
    target = _shape_tuple(shape)
    a = get_aval(x)
    if len(target) < a.ndim or builtins.any(s not in (1, t) for s, t in zip(a.shape, target[len(target) - a.ndim :], strict=True)):
        raise ValueError(f"Incompatible shapes for broadcasting: {a.shape} and requested shape {target}")
    return _broadcast_to_shape(x, target)


def broadcast_arrays(*args):
    shapes = [shape(a) for a in args]
    target = _broadcast_shapes_or_error("broadcast_arrays", shapes)
    return [broadcast_to(a, target) for a in args]


# --- elementwise functions --------------------------------------------------------------------------------


def _one_to_one_unop(name, lax_fn, inexact=False, kinds=None):
    def f(x, /):
        if not hasattr(x, "aval"):
            x = asarray(x)
        if inexact:
            (x,) = promote_dtypes_inexact(x)
        return lax_fn(x)

    f.__name__ = name
    f.__doc__ = f"Elementwise `{name}` with NumPy semantics (`jnp.{name}`)."
    return f


def _one_to_one_binop(name, lax_fn, inexact=False):
    def f(x1, x2, /):
        a1, a2 = getattr(x1, "aval", None), getattr(x2, "aval", None)
        if a1 is None or a2 is None or a1 != a2 or (inexact and not dtypes.is_inexact(a1.dtype)):
            x1, x2 = _promote_and_broadcast(name, (x1, x2), inexact)
        return lax_fn(x1, x2)

    f.__name__ = name
    f.__doc__ = f"Elementwise `{name}` with NumPy broadcasting and JAX's type promotion (`jnp.{name}`)."
    return f


negative = _one_to_one_unop("negative", lambda x: lax.neg(x) if x.dtype != np.bool_ else _bool_neg_error())


def _bool_neg_error():
    raise TypeError("The numpy boolean negative, the `-` operator, is not supported, use the `~` operator or the "
                    "logical_not function instead.")


def positive(x, /):
    return asarray(x)


sign = _one_to_one_unop("sign", lax.sign)
floor = _one_to_one_unop("floor", lambda x: lax.floor(x) if dtypes.is_float(x.dtype) else x)
ceil = _one_to_one_unop("ceil", lambda x: lax.ceil(x) if dtypes.is_float(x.dtype) else x)
exp = _one_to_one_unop("exp", lax.exp, True)
exp2 = _one_to_one_unop("exp2", lax.exp2, True)
log = _one_to_one_unop("log", lax.log, True)
log1p = _one_to_one_unop("log1p", lax.log1p, True)
expm1 = _one_to_one_unop("expm1", lax.expm1, True)
tanh = _one_to_one_unop("tanh", lax.tanh, True)
sin = _one_to_one_unop("sin", lax.sin, True)
cos = _one_to_one_unop("cos", lax.cos, True)
tan = _one_to_one_unop("tan", lax.tan, True)
arcsin = _one_to_one_unop("arcsin", lax.asin, True)
arccos = _one_to_one_unop("arccos", lax.acos, True)
arctan = _one_to_one_unop("arctan", lax.atan, True)
sinh = _one_to_one_unop("sinh", lax.sinh, True)
cosh = _one_to_one_unop("cosh", lax.cosh, True)
arcsinh = _one_to_one_unop("arcsinh", lax.asinh, True)
arccosh = _one_to_one_unop("arccosh", lax.acosh, True)
arctanh = _one_to_one_unop("arctanh", lax.atanh, True)
asin, acos, atan, asinh, acosh, atanh = arcsin, arccos, arctan, arcsinh, arccosh, arctanh
sqrt = _one_to_one_unop("sqrt", lax.sqrt, True)
cbrt = _one_to_one_unop("cbrt", lax.cbrt, True)
square = _one_to_one_unop("square", lambda x: lax.mul(x, x))
conjugate = _one_to_one_unop("conjugate", lambda x: lax.conj(x) if dtypes.is_complex(x.dtype) else x)
conj = conjugate
real = _one_to_one_unop("real", lambda x: lax.real(x) if dtypes.is_complex(x.dtype) else x)
imag = _one_to_one_unop("imag", lambda x: lax.imag(x) if dtypes.is_complex(x.dtype) else lax.full_like(x, 0))
invert = _one_to_one_unop("invert", lax.bitwise_not)
bitwise_not = bitwise_invert = invert
logical_not = _one_to_one_unop("logical_not", lambda x: lax.bitwise_not(_to_bool(x)))


def _to_bool(x):
    return x if get_aval(x).dtype == np.bool_ else lax.ne(x, lax.full_like(x, 0))


def absolute(x, /):
    x = asarray(x) if not hasattr(x, "aval") else x
    dt = get_aval(x).dtype
    if dt == np.bool_ or dtypes.is_unsigned(dt):
        return x
    return lax.abs(x)


abs = absolute  # noqa: A001


def fabs(x, /):
    (x,) = promote_dtypes_inexact(x)
    return lax.abs(x)


def log2(x, /):
    (x,) = promote_dtypes_inexact(x)
    return lax.div(lax.log(x), lax._const(x, math.log(2)))


def log10(x, /):
    (x,) = promote_dtypes_inexact(x)
    return lax.div(lax.log(x), lax._const(x, math.log(10)))


def isfinite(x, /):
    x = asarray(x) if not hasattr(x, "aval") else x
    dt = get_aval(x).dtype
    if dtypes.is_float(dt):
        return lax.is_finite(x)
    if dtypes.is_complex(dt):
        return logical_and(lax.is_finite(lax.real(x)), lax.is_finite(lax.imag(x)))
    return lax.full(get_aval(x).shape, True, np.bool_)


def isnan(x, /):
    x = asarray(x) if not hasattr(x, "aval") else x
    if not dtypes.is_inexact(get_aval(x).dtype):
        return lax.full(get_aval(x).shape, False, np.bool_)
    return lax.ne(x, x)


def isinf(x, /):
    x = asarray(x) if not hasattr(x, "aval") else x
    dt = get_aval(x).dtype
    if not dtypes.is_inexact(dt):
        return lax.full(get_aval(x).shape, False, np.bool_)
    if dtypes.is_complex(dt):
        return logical_or(isinf(lax.real(x)), isinf(lax.imag(x)))
    return lax.eq(lax.abs(x), lax._const(x, np.inf))


def isposinf(x, /):
    return logical_and(isinf(x), greater(x, 0))


def isneginf(x, /):
    return logical_and(isinf(x), less(x, 0))


def signbit(x, /):
    x = asarray(x) if not hasattr(x, "aval") else x
    dt = get_aval(x).dtype
    if dtypes.is_integer(dt):
        return lax.lt(x, lax.full_like(x, 0))
    bits = lax.bitcast_convert_type(x, np.dtype(f"int{dt.itemsize * 8}"))
    return lax.lt(bits, lax.full_like(bits, 0))


def trunc(x, /):
    x = asarray(x) if not hasattr(x, "aval") else x
    if not dtypes.is_float(get_aval(x).dtype):
        return x
    return where(lax.lt(x, lax.full_like(x, 0)), lax.ceil(x), lax.floor(x))


fix = trunc


def rint(x, /):
    x = asarray(x) if not hasattr(x, "aval") else x
    if not dtypes.is_float(get_aval(x).dtype):
        return x
    return lax.round(x, 1)


def round(a, decimals=0, out=None):  # noqa: A001
    a = asarray(a) if not hasattr(a, "aval") else a
    dt = get_aval(a).dtype
    if not dtypes.is_inexact(dt):
        if decimals < 0:
            f = 10 ** (-decimals)
            return lax.mul(lax.div(lax.add(a, lax._const(a, f // 2)), lax._const(a, f)), lax._const(a, f))
        return a
    if decimals == 0:
        return lax.round(a, 1)
    factor = lax._const(a, 10.0**decimals)
    return lax.div(lax.round(lax.mul(a, factor), 1), factor)


around = round


def reciprocal(x, /):
    (x,) = promote_dtypes_inexact(x)
    return lax.div(lax.full_like(x, 1), x)


def _add(x, y):
    return lax.bitwise_or(x, y) if get_aval(x).dtype == np.bool_ else lax.add(x, y)


def _sub(x, y):
    if get_aval(x).dtype == np.bool_:
        raise TypeError("numpy boolean subtract, the `-` operator, is not supported, use the bitwise_xor, the `^` "
                        "operator, or the logical_xor function instead.")
    return lax.sub(x, y)


add = _one_to_one_binop("add", _add)
subtract = _one_to_one_binop("subtract", _sub)
multiply = _one_to_one_binop("multiply", lax.mul)
true_divide = _one_to_one_binop("true_divide", lax.div, inexact=True)
divide = true_divide
maximum = _one_to_one_binop("maximum", lax.max)
minimum = _one_to_one_binop("minimum", lax.min)
arctan2 = _one_to_one_binop("arctan2", lax.atan2, inexact=True)
atan2 = arctan2
nextafter = _one_to_one_binop("nextafter", lax.nextafter, inexact=True)
equal = _one_to_one_binop("equal", lax.eq)
not_equal = _one_to_one_binop("not_equal", lax.ne)
less = _one_to_one_binop("less", lax.lt)
less_equal = _one_to_one_binop("less_equal", lax.le)
greater = _one_to_one_binop("greater", lax.gt)
greater_equal = _one_to_one_binop("greater_equal", lax.ge)
bitwise_and = _one_to_one_binop("bitwise_and", lax.bitwise_and)
bitwise_or = _one_to_one_binop("bitwise_or", lax.bitwise_or)
bitwise_xor = _one_to_one_binop("bitwise_xor", lax.bitwise_xor)
logical_and = _one_to_one_binop("logical_and", lambda x, y: lax.bitwise_and(_to_bool(x), _to_bool(y)))
logical_or = _one_to_one_binop("logical_or", lambda x, y: lax.bitwise_or(_to_bool(x), _to_bool(y)))
logical_xor = _one_to_one_binop("logical_xor", lambda x, y: lax.bitwise_xor(_to_bool(x), _to_bool(y)))
left_shift = _one_to_one_binop("left_shift", lax.shift_left)
bitwise_left_shift = left_shift


def _right_shift(x, y):
    return lax.shift_right_logical(x, y) if dtypes.is_unsigned(get_aval(x).dtype) else lax.shift_right_arithmetic(x, y)


right_shift = _one_to_one_binop("right_shift", _right_shift)
bitwise_right_shift = right_shift


def hypot(x1, x2, /):
    x1, x2 = _promote_and_broadcast("hypot", (x1, x2), inexact=True)
    x1, x2 = lax.abs(x1), lax.abs(x2)
    big, small = lax.max(x1, x2), lax.min(x1, x2)
    safe = where(lax.eq(big, lax.full_like(big, 0)), lax.full_like(big, 1), big)
    r = lax.div(small, safe)
    out = where(lax.eq(big, lax.full_like(big, 0)), big, lax.mul(big, lax.sqrt(lax.add(lax.full_like(r, 1), lax.mul(r, r)))))
    return where(logical_or(isposinf(x1), isposinf(x2)), lax.full_like(out, np.inf), out)  # inf even with a NaN


def copysign(x1, x2, /):
    x1, x2 = _promote_and_broadcast("copysign", (x1, x2), inexact=True)
    return where(signbit(x2), lax.neg(lax.abs(x1)), lax.abs(x1))


def logaddexp(x1, x2, /):
    x1, x2 = _promote_and_broadcast("logaddexp", (x1, x2), inexact=True)
    return _logaddexp(x1, x2)


@custom_jvp
def _logaddexp(x1, x2):
    amax = lax.max(x1, x2)
    delta = lax.sub(x1, x2)
    nan_delta = lax.ne(delta, delta)  # both infinite with the same sign: x1 + x2 is the answer
    safe = where(nan_delta, lax.full_like(delta, 0), delta)
    return where(nan_delta, lax.add(x1, x2), lax.add(amax, lax.log1p(lax.exp(lax.neg(lax.abs(safe))))))


def _logaddexp_jvp(primals, tangents):
    """d out = x1_dot * exp(x1 - out) + x2_dot * exp(x2 - out): 1/2 each at a tie, as JAX (not abs's kink)."""
    x1, x2 = primals
    out = _logaddexp(x1, x2)
    w1, w2 = (where(isnan(out), out, lax.exp(lax.sub(x, out))) for x in (x1, x2))
    return out, lax.add(lax.mul(tangents[0], w1), lax.mul(tangents[1], w2))


_logaddexp.defjvp(_logaddexp_jvp)


def _float_divmod(x1, x2):
    mod = lax.rem(x1, x2)
    div = lax.div(where(lax.eq(x2, lax.full_like(x2, 0)), x1, lax.sub(x1, mod)), x2)  # x / 0 is +-inf, as in JAX
    ind = lax.bitwise_and(lax.ne(mod, lax.full_like(mod, 0)), lax.ne(lax.sign(x2), lax.sign(mod)))
    mod = lax.select(ind, lax.add(mod, x2), mod)
    div = lax.select(ind, lax.sub(div, lax.full_like(div, 1)), div)
    return lax.round(div), mod


def floor_divide(x1, x2, /):
    x1, x2 = _promote_and_broadcast("floor_divide", (x1, x2))
    dt = get_aval(x1).dtype
    if dtypes.is_unsigned(dt) or dt == np.bool_:
        return lax.div(x1, x2)
    if dtypes.is_integer(dt):
        # NB: JAX compares signs (so x // 0 for x > 0 is XLA's -1 minus 1); kept for equal numbers
        select = lax.bitwise_and(lax.ne(lax.sign(x1), lax.sign(x2)), lax.ne(lax.rem(x1, x2), lax.full_like(x1, 0)))
        return lax.select(select, lax.sub(lax.div(x1, x2), lax.full_like(x1, 1)), lax.div(x1, x2))
    return _float_divmod(x1, x2)[0]


def remainder(x1, x2, /):
    x1, x2 = _promote_and_broadcast("remainder", (x1, x2))
    dt = get_aval(x1).dtype
    x2 = _int_divisor_nonzero(x2)
    if dtypes.is_unsigned(dt):
        return lax.rem(x1, x2)
    if dtypes.is_integer(dt):
        zero = lax.full_like(x1, 0)
        trunc_mod = lax.rem(x1, x2)
        fix = lax.bitwise_and(lax.ne(trunc_mod, zero), lax.ne(lax.lt(trunc_mod, zero), lax.lt(x2, zero)))
        return lax.select(fix, lax.add(trunc_mod, x2), trunc_mod)
    return _float_divmod(x1, x2)[1]


mod = remainder


def _int_divisor_nonzero(x2):
    """Integer remainders by 0 are 0 in JAX: it divides by 1 instead (floats keep x % 0 = NaN)."""
    if not dtypes.is_integer(get_aval(x2).dtype):
        return x2
    return where(lax.eq(x2, lax.full_like(x2, 0)), lax.full_like(x2, 1), x2)


def fmod(x1, x2, /):
    x1, x2 = _promote_and_broadcast("fmod", (x1, x2))
    return lax.rem(x1, _int_divisor_nonzero(x2))


def divmod(x1, x2, /):  # noqa: A001
    return floor_divide(x1, x2), remainder(x1, x2)


def power(x1, x2, /):
    """`x1 ** x2`: integer exponents that are Python ints use exact repeated multiplication."""
    if isinstance(x2, (builtins.int, np.integer)) and not isinstance(x2, builtins.bool):
        x1 = asarray(x1) if not hasattr(x1, "aval") else x1
        (x1,) = promote_dtypes(x1, x2) if _is_scalar(x1) else [x1]
        if get_aval(x1).dtype == np.bool_:  # bools power as int32 (JAX's to_numeric_dtype, also with x64 on)
            x1 = astype(x1, dtypes.int32)
        if dtypes.is_integer(get_aval(x1).dtype) and x2 < 0:
            raise ValueError("Integers cannot be raised to negative powers.")
        return lax.integer_pow(x1, int(x2))
    x1, x2 = _promote_and_broadcast("power", (x1, x2))
    dt = get_aval(x1).dtype
    if dtypes.is_integer(dt) or dt == np.bool_:
        return _int_power(x1, x2)
    return lax.pow(x1, x2)


pow = power  # noqa: A001


def _int_power(x, y):
    """Integer power by square-and-multiply over the exponent's low 6 bits, as JAX (more overflows anyway)."""
    zero, one = lax.full_like(y, 0), lax.full_like(y, 1)
    # 0 ** y is 0 for y != 0 (negative y included) and 1 for y == 0
    acc = lax.select(lax.bitwise_and(lax.eq(x, lax.full_like(x, 0)), lax.ne(y, zero)), lax.full_like(x, 0),
                     lax.full_like(x, 1))
    for _ in range(6):
        acc = lax.select(lax.ne(lax.bitwise_and(y, one), zero), lax.mul(acc, x), acc)
        x = lax.mul(x, x)
        y = lax.shift_right_logical(y, one)
    return acc


float_power = lambda x1, x2: power(*promote_dtypes_inexact(x1, x2))  # noqa: E731


def deg2rad(x, /):
    (x,) = promote_dtypes_inexact(x)
    return lax.mul(x, lax._const(x, np.pi / 180))


def rad2deg(x, /):
    (x,) = promote_dtypes_inexact(x)
    return lax.mul(x, lax._const(x, 180 / np.pi))


radians, degrees = deg2rad, rad2deg


def angle(z, deg=False):
    z = asarray(z) if not hasattr(z, "aval") else z
    if dtypes.is_complex(get_aval(z).dtype):
        out = lax.atan2(lax.imag(z), lax.real(z))
    else:
        (z,) = promote_dtypes_inexact(z)
        out = lax.atan2(lax.full_like(z, 0), z)  # pi for negative numbers and -0.0, NaN for NaN
    return rad2deg(out) if deg else out


def where(condition, x=None, y=None, /, *, size=None, fill_value=None):
    """`jnp.where`: three-argument select with broadcasting; one-argument form is `nonzero`."""
    if x is None and y is None:
        return nonzero(condition, size=size, fill_value=fill_value)
    if x is None or y is None:
        raise ValueError("Either both or neither of the x and y arguments should be provided to jnp.where")
    dt, weak = dtypes.result_type_weak(x, y)
    x, y = promote_dtypes(x, y)
    cond, x, y = _promote_and_broadcast_keep("where", condition, x, y)
    out = lax.select(_to_bool(cond), x, y)
    # two weak operands (e.g. Python scalars) give a weakly-typed result, as in JAX
    return lax.convert_element_type(out, dt, True) if weak and not get_aval(out).weak_type else out


def _promote_and_broadcast_keep(name, cond, x, y):
    cond = asarray(cond) if not hasattr(cond, "aval") else cond
    shapes = [get_aval(cond).shape, np.shape(x) if _is_scalar(x) else get_aval(x).shape,
              np.shape(y) if _is_scalar(y) else get_aval(y).shape]  # fmt: skip
    target = _broadcast_shapes_or_error(name, shapes)
    x = _broadcast_to_shape(x, target) if not _is_scalar(x) or target else lax.full((), x, get_aval(x).dtype, get_aval(x).weak_type)
    y = _broadcast_to_shape(y, target) if not _is_scalar(y) or target else lax.full((), y, get_aval(y).dtype, get_aval(y).weak_type)
    return _broadcast_to_shape(cond, target), x, y


def select(condlist, choicelist, default=0):
    if len(condlist) != len(choicelist):
        raise ValueError(f"condlist must have length equal to choicelist ({len(condlist)} vs {len(choicelist)})")
    out = default
    for cond, choice in reversed(list(zip(condlist, choicelist, strict=True))):
        out = where(cond, choice, out)
    return asarray(out)


def clip(arr=None, /, min=None, max=None, *, a=None, a_min=None, a_max=None):  # noqa: A002
    """`jnp.clip`: elementwise min(max(arr, min), max); None bounds are open."""
    arr = a if arr is None else arr
    min = a_min if min is None else min  # noqa: A001
    max = a_max if max is None else max  # noqa: A001
    arr = asarray(arr) if not hasattr(arr, "aval") else arr
    if min is not None:
        arr = maximum(min, arr)
    if max is not None:
        arr = minimum(max, arr)
    return arr


def astype(x, dtype, /, *, copy=False, device=None):
    x = asarray(x) if not hasattr(x, "aval") else x
    dt = dtypes.canonicalize_dtype(dtype)
    if dtypes.is_complex(get_aval(x).dtype) and not dtypes.is_complex(dt):
        x = lax.real(x)
    return lax.convert_element_type(x, dt)


def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    x = asarray(x) if not hasattr(x, "aval") else x
    dt = get_aval(x).dtype
    if not dtypes.is_inexact(dt):
        return x
    info = finfo(dt)
    posinf = info.max if posinf is None else posinf
    neginf = info.min if neginf is None else neginf
    out = where(isnan(x), lax._const(x, nan), x)
    out = where(isposinf(out), lax._const(x, posinf), out)
    return where(isneginf(out), lax._const(x, neginf), out)


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    a, b = promote_dtypes_inexact(a, b)
    a, b = _promote_and_broadcast("isclose", (a, b))
    in_range = less_equal(absolute(subtract(a, b)), add(atol, multiply(rtol, absolute(b))))
    out = logical_or(equal(a, b), logical_and(isfinite(b), in_range))  # an infinite b matches only itself
    return logical_or(out, logical_and(isnan(a), isnan(b))) if equal_nan else out


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    return all(isclose(a, b, rtol, atol, equal_nan))


def array_equal(a1, a2, equal_nan=False) -> Array:
    if shape(a1) != shape(a2):
        return asarray(False)
    eq = equal(a1, a2)
    if equal_nan:
        eq = logical_or(eq, logical_and(isnan(a1), isnan(a2)))
    return all(eq)


# --- reductions ---------------------------------------------------------------------------------------------


def _canonical_axes(axis, nd: int, name: str) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(nd))
    axes = (axis,) if isinstance(axis, (builtins.int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        a = int(a)
        if not -nd <= a < nd:
            raise ValueError(f"{name}: axis {a} is out of bounds for array of dimension {nd}")
        out.append(a % nd)
    if len(set(out)) != len(out):
        raise ValueError(f"{name}: duplicate value in 'axis': {axis}")
    return tuple(out)


def _keepdims(out, in_shape, axes):
    return lax.reshape(out, [1 if i in axes else d for i, d in enumerate(in_shape)])


def _sum_dtype(dt):
    if dt == np.bool_ or (dtypes.is_integer(dt) and dt.itemsize < dtypes.default_int_dtype().itemsize):
        return dtypes.default_uint_dtype() if dtypes.is_unsigned(dt) else dtypes.default_int_dtype()
    return dt


def _reduction(a, name, lax_reduce, identity, axis, dtype, keepdims, initial, where_, upcast_ints=False, combine=None):
    a = asarray(a) if not hasattr(a, "aval") else a
    aval = get_aval(a)
    axes = _canonical_axes(axis, aval.ndim, name)
    if dtype is not None:
        a = astype(a, dtype)
    elif upcast_ints:
        a = astype(a, _sum_dtype(aval.dtype)) if _sum_dtype(aval.dtype) != aval.dtype else a
    if where_ is not None:
        if identity is None:
            if initial is None:
                raise ValueError(f"reduction operation '{name}' does not have an identity, so to use a where mask "
                                 "one has to specify 'initial'.")
        a = where(where_, a, full_like(a, identity if identity is not None else initial))
    if identity is None and initial is None and builtins.any(aval.shape[i] == 0 for i in axes):
        raise ValueError(f"zero-size array to reduction operation {name} which has no identity")
    work = a
    if initial is not None and builtins.any(aval.shape[i] == 0 for i in axes):
        # NB: max/min have no identity to start an empty reduction from; its value is `initial`
        shape = [d for i, d in enumerate(get_aval(work).shape) if i not in axes]
        out = lax.full(shape, initial, get_aval(work).dtype)
    else:
        out = lax_reduce(work, axes)
        if initial is not None:
            out = combine(out, lax.full_like(out, initial))
    if keepdims:
        out = _keepdims(out, aval.shape, axes)
    if get_aval(out).weak_type:  # reductions give strongly-typed results in JAX, even of weak inputs
        out = lax.convert_element_type(out, get_aval(out).dtype, False)
    return out


def sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None, promote_integers=True):  # noqa: A001
    """`jnp.sum`; small integers and bools accumulate in the default integer type, as in JAX."""
    a = asarray(a) if not hasattr(a, "aval") else a
    if get_aval(a).dtype == np.bool_ and dtype is None:
        a = astype(a, dtypes.default_int_dtype())
    return _reduction(a, "sum", lax.reduce_sum, 0, axis, dtype, keepdims, initial, where, upcast_ints=promote_integers,
                      combine=lax.add)  # fmt: skip


def prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None, promote_integers=True):
    a = asarray(a) if not hasattr(a, "aval") else a
    if get_aval(a).dtype == np.bool_ and dtype is None:
        a = astype(a, dtypes.default_int_dtype())
    return _reduction(a, "prod", lax.reduce_prod, 1, axis, dtype, keepdims, initial, where, upcast_ints=promote_integers,
                      combine=lax.mul)  # fmt: skip


def max(a, axis=None, out=None, keepdims=False, initial=None, where=None):  # noqa: A001
    return _reduction(a, "max", lax.reduce_max, None, axis, None, keepdims, initial, where, combine=lax.max)


def min(a, axis=None, out=None, keepdims=False, initial=None, where=None):  # noqa: A001
    return _reduction(a, "min", lax.reduce_min, None, axis, None, keepdims, initial, where, combine=lax.min)


amax, amin = max, min


def all(a, axis=None, out=None, keepdims=False, *, where=None):  # noqa: A001
    a = asarray(a) if not hasattr(a, "aval") else a
    return _reduction(_to_bool(a), "all", lax.reduce_and, True, axis, None, keepdims, None, where)


def any(a, axis=None, out=None, keepdims=False, *, where=None):  # noqa: A001
    a = asarray(a) if not hasattr(a, "aval") else a
    return _reduction(_to_bool(a), "any", lax.reduce_or, False, axis, None, keepdims, None, where)


def count_nonzero(a, axis=None, keepdims=False):
    return sum(_to_bool(asarray(a)), axis=axis, keepdims=keepdims)


def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
    a = asarray(a) if not hasattr(a, "aval") else a
    aval = get_aval(a)
    axes = _canonical_axes(axis, aval.ndim, "mean")
    if dtype is None:
        dtype = dtypes.to_inexact_dtype(aval.dtype)
    if where is None:
        n = math.prod(aval.shape[i] for i in axes)
        total = sum(a, axis=axes, dtype=dtype, keepdims=keepdims)
        return lax.div(total, lax._const(total, n))
    total = sum(a, axis=axes, dtype=dtype, keepdims=keepdims, where=where)
    n = sum(broadcast_to(where, aval.shape), axis=axes, dtype=dtype, keepdims=keepdims)
    return lax.div(total, n)


def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None, correction=None):
    if correction is not None:
        ddof = correction
    a = asarray(a) if not hasattr(a, "aval") else a
    aval = get_aval(a)
    axes = _canonical_axes(axis, aval.ndim, "var")
    dt = dtypes.canonicalize_dtype(dtype) if dtype is not None else dtypes.to_inexact_dtype(aval.dtype)
    a = astype(a, dt)
    centered = subtract(a, mean(a, axes, keepdims=True, where=where))
    sq = real(multiply(centered, conjugate(centered))) if dtypes.is_complex(dt) else multiply(centered, centered)
    total = sum(sq, axis=axes, keepdims=keepdims, where=where)
    if where is None:
        n = lax._const(total, math.prod(aval.shape[i] for i in axes) - ddof)
    else:
        n = subtract(sum(broadcast_to(where, aval.shape), axis=axes, dtype=get_aval(total).dtype, keepdims=keepdims),
                     ddof)
    return _nan_unless_positive(n, lax.div(total, n))


def _nan_unless_positive(n, value):
    """NaN where no degrees of freedom are left (n <= 0), as in JAX (a nonzero sum over 0 would be inf)."""
    return where(greater(n, 0), value, np.nan)


def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None, correction=None):
    return sqrt(var(a, axis, dtype, out, ddof, keepdims, where=where, correction=correction))


def _arg_reduce(a, axis, keepdims, lax_fn, name):
    a = asarray(a) if not hasattr(a, "aval") else a
    aval = get_aval(a)
    if axis is None:
        flat = lax.reshape(a, (aval.size,))
        out = lax_fn(flat, 0, dtypes.default_int_dtype())
        return lax.reshape(out, (1,) * aval.ndim) if keepdims else out
    (ax,) = _canonical_axes(axis, aval.ndim, name)
    out = lax_fn(a, ax, dtypes.default_int_dtype())
    return _keepdims(out, aval.shape, (ax,)) if keepdims else out


def argmax(a, axis=None, out=None, keepdims=False):
    return _arg_reduce(a, axis, keepdims, lax.argmax, "argmax")


def argmin(a, axis=None, out=None, keepdims=False):
    return _arg_reduce(a, axis, keepdims, lax.argmin, "argmin")


def _cumulative(name, lax_fn):
    def f(a, axis=None, dtype=None, out=None):
        a = asarray(a) if not hasattr(a, "aval") else a
        if axis is None:
            a = ravel(a)
            axis = 0
        (axis,) = _canonical_axes(axis, get_aval(a).ndim, name)
        if dtype is not None:
            a = astype(a, dtype)
        elif get_aval(a).dtype == np.bool_:  # JAX keeps integer dtypes (no NumPy-style upcast); bools count
            a = astype(a, dtypes.default_int_dtype())
        return lax_fn(a, axis)

    f.__name__ = name
    return f


cumsum = _cumulative("cumsum", lax.cumsum)
cumprod = _cumulative("cumprod", lax.cumprod)


def _cumulative_array_api(name, cumulative, identity):
    def f(x, /, *, axis=None, dtype=None, include_initial=False):
        x = asarray(x) if not hasattr(x, "aval") else x
        ndim = get_aval(x).ndim
        if axis is None:
            if ndim > 1:
                raise ValueError(f"jnp.{name}: axis must be given for arrays of more than one dimension, got ndim {ndim}")
            axis = 0
        out = cumulative(x, axis=axis, dtype=dtype)
        if include_initial:
            (axis,) = _canonical_axes(axis, builtins.max(ndim, 1), name)
            widths = [(1, 0, 0) if i == axis else (0, 0, 0) for i in range(get_aval(out).ndim)]
            out = lax.pad(out, lax.convert_element_type(identity, get_aval(out).dtype), widths)
        return out

    f.__name__ = name
    return f


cumulative_sum = _cumulative_array_api("cumulative_sum", cumsum, 0)
cumulative_prod = _cumulative_array_api("cumulative_prod", cumprod, 1)


# --- shape manipulation ----------------------------------------------------------------------------------


def reshape(a, shape=None, order="C", *, newshape=None, copy=None):  # noqa: A002
    if shape is None:
        shape = newshape
    a = asarray(a) if not hasattr(a, "aval") else a
    if order != "C":
        raise NotImplementedError(f"jnp.reshape supports only order='C', got order={order!r}")
    aval = get_aval(a)
    shape = _shape_tuple(shape)
    if shape.count(-1) > 1:
        raise ValueError(f"can only specify one unknown dimension, got shape {shape}")
    if -1 in shape:
        known = math.prod(d for d in shape if d != -1)
        if known == 0 or aval.size % known:
            raise TypeError(f"cannot reshape array of shape {aval.shape} (size {aval.size}) into shape {shape}")
        shape = tuple(aval.size // known if d == -1 else d for d in shape)
    if math.prod(shape) != aval.size:
        raise TypeError(f"cannot reshape array of shape {aval.shape} (size {aval.size}) into shape {shape} "
                        f"(size {math.prod(shape)})")
    return lax.reshape(a, shape)


def ravel(a, order="C"):
    return reshape(a, (-1,), order)


def transpose(a, axes=None):
    a = asarray(a) if not hasattr(a, "aval") else a
    nd = get_aval(a).ndim
    if axes is None:
        axes = tuple(range(nd - 1, -1, -1))
    axes = tuple(int(ax) % nd if nd else int(ax) for ax in axes)
    if sorted(axes) != list(range(nd)):
        raise ValueError(f"axes {axes} don't match array of dimension {nd}")
    return lax.transpose(a, axes)


def permute_dims(a, /, axes):
    return transpose(a, axes)


def matrix_transpose(x, /):
    nd = ndim(x)
    if nd < 2:
        raise ValueError(f"matrix_transpose requires at least 2 dimensions; got x.ndim={nd}")
    return transpose(x, (*range(nd - 2), nd - 1, nd - 2))


def moveaxis(a, source, destination):
    a = asarray(a) if not hasattr(a, "aval") else a
    nd = get_aval(a).ndim
    src = _canonical_axes(source, nd, "moveaxis")
    dst = _canonical_axes(destination, nd, "moveaxis")
    if len(src) != len(dst):
        raise ValueError("Inconsistent number of elements in source and destination")
    perm = [i for i in range(nd) if i not in src]
    for d, s in sorted(zip(dst, src, strict=True)):
        perm.insert(d, s)
    return lax.transpose(a, perm)


def swapaxes(a, axis1, axis2):
    nd = ndim(a)
    perm = list(range(nd))
    a1, a2 = axis1 % nd, axis2 % nd
    perm[a1], perm[a2] = perm[a2], perm[a1]
    return transpose(a, perm)


def expand_dims(a, axis):
    a = asarray(a) if not hasattr(a, "aval") else a
    axes = (axis,) if isinstance(axis, (builtins.int, np.integer)) else tuple(axis)
    return lax.expand_dims(a, axes)


def squeeze(a, axis=None):
    a = asarray(a) if not hasattr(a, "aval") else a
    aval = get_aval(a)
    if axis is None:
        axes = tuple(i for i, d in enumerate(aval.shape) if d == 1)
    else:
        axes = _canonical_axes(axis, aval.ndim, "squeeze")
    return lax.squeeze(a, axes)


def atleast_1d(*arys):
    out = [reshape(a, (1,)) if ndim(a) == 0 else asarray(a) for a in arys]
    return out[0] if len(out) == 1 else out


def atleast_2d(*arys):
    out = []
    for a in arys:
        a = asarray(a)
        out.append(reshape(a, (1,) * (2 - ndim(a)) + shape(a)) if ndim(a) < 2 else a)
    return out[0] if len(out) == 1 else out


def concatenate(arrays, axis=0, dtype=None):
    arrays = [asarray(a) if not hasattr(a, "aval") else a for a in arrays]
    if not arrays:
        raise ValueError("Need at least one array to concatenate.")
    if axis is None:
        arrays = [ravel(a) for a in arrays]
        axis = 0
    if ndim(arrays[0]) == 0:
        raise ValueError("Zero-dimensional arrays cannot be concatenated.")
    arrays = promote_dtypes(*arrays) if dtype is None else [astype(a, dtype) for a in arrays]
    (axis,) = _canonical_axes(axis, ndim(arrays[0]), "concatenate")
    return lax.concatenate(arrays, axis)


concat = concatenate


def stack(arrays, axis=0, dtype=None):
    arrays = [asarray(a) if not hasattr(a, "aval") else a for a in arrays]
    if not arrays:
        raise ValueError("Need at least one array to stack.")
    shapes = {shape(a) for a in arrays}
    if len(shapes) != 1:
        raise ValueError(f"All input arrays must have the same shape, got {sorted(shapes)}")
    nd = ndim(arrays[0]) + 1
    axis = axis % nd
    return concatenate([expand_dims(a, axis) for a in arrays], axis, dtype)


def hstack(tup, dtype=None):
    arrs = atleast_1d(*tup) if len(tup) > 1 else [atleast_1d(*tup)]
    return concatenate(arrs, 0 if ndim(arrs[0]) == 1 else 1, dtype)


def vstack(tup, dtype=None):
    arrs = atleast_2d(*tup) if len(tup) > 1 else [atleast_2d(*tup)]
    return concatenate(arrs, 0, dtype)


def column_stack(tup):
    return concatenate([reshape(a, (-1, 1)) if ndim(a) < 2 else asarray(a) for a in tup], 1)


def split(ary, indices_or_sections, axis=0):
    ary = asarray(ary) if not hasattr(ary, "aval") else ary
    (axis,) = _canonical_axes(axis, ndim(ary), "split")
    n = shape(ary)[axis]
    if isinstance(indices_or_sections, (builtins.int, np.integer)):
        sections = int(indices_or_sections)
        if n % sections:
            raise ValueError(f"array split does not result in an equal division: {n} into {sections}")
        bounds = [i * (n // sections) for i in range(sections + 1)]
    else:
        bounds = [0, *[int(i) for i in indices_or_sections], n]
    out = []
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        lo, hi = builtins.min(builtins.max(lo, 0), n), builtins.min(builtins.max(hi, 0), n)
        out.append(lax.slice_in_dim(ary, lo, builtins.max(lo, hi), axis=axis))
    return out


def array_split(ary, indices_or_sections, axis=0):
    if isinstance(indices_or_sections, (builtins.int, np.integer)):
        n = shape(ary)[axis]
        k = int(indices_or_sections)
        sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
        return split(ary, np.cumsum(sizes)[:-1].tolist(), axis)
    return split(ary, indices_or_sections, axis)


def hsplit(ary, indices_or_sections):
    return split(ary, indices_or_sections, 1 if ndim(ary) > 1 else 0)


def vsplit(ary, indices_or_sections):
    return split(ary, indices_or_sections, 0)


def flip(m, axis=None):
    m = asarray(m) if not hasattr(m, "aval") else m
    return lax.rev(m, _canonical_axes(axis, ndim(m), "flip"))


def fliplr(m):
    return flip(m, 1)


def flipud(m):
    return flip(m, 0)


def tile(A, reps):  # noqa: N803
    A = asarray(A) if not hasattr(A, "aval") else A  # noqa: N806
    reps = (int(reps),) if isinstance(reps, (builtins.int, np.integer)) else tuple(int(r) for r in reps)
    nd = builtins.max(len(reps), ndim(A))
    reps = (1,) * (nd - len(reps)) + reps
    A = reshape(A, (1,) * (nd - ndim(A)) + shape(A))  # noqa: N806
    s = shape(A)
    # broadcast to (r0, s0, r1, s1, ...) then merge pairs
    expanded = lax.broadcast_in_dim(A, [d for pair in zip(reps, s, strict=True) for d in pair], tuple(range(1, 2 * nd, 2)))
    return lax.reshape(expanded, [r * d for r, d in zip(reps, s, strict=True)])


def repeat(a, repeats, axis=None, *, total_repeat_length=None):
    a = asarray(a) if not hasattr(a, "aval") else a
    if axis is None:
        a = ravel(a)
        axis = 0
    (axis,) = _canonical_axes(axis, ndim(a), "repeat")
    if isinstance(repeats, (builtins.int, np.integer)):
        r = int(repeats)
        s = shape(a)
        b = lax.broadcast_in_dim(a, (*s[: axis + 1], r, *s[axis + 1 :]), tuple(i if i <= axis else i + 1 for i in range(len(s))))
        return lax.reshape(b, (*s[:axis], s[axis] * r, *s[axis + 1 :]))
    reps = core.concrete_or_error(repeats, "jnp.repeat needs concrete repeats (or total_repeat_length)").astype(np.int64)
    idx = np.repeat(np.arange(shape(a)[axis]), reps)
    return take(a, idx, axis=axis)


def roll(a, shift, axis=None):
    a = asarray(a) if not hasattr(a, "aval") else a
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), shape(a))
    shifts = (shift,) if isinstance(shift, (builtins.int, np.integer)) else tuple(shift)
    axes = (axis,) if isinstance(axis, (builtins.int, np.integer)) else tuple(axis)
    for s, ax in zip(shifts, axes, strict=True):
        ax = ax % ndim(a)
        n = shape(a)[ax]
        if n == 0:
            continue
        s = int(s) % n
        if s:
            a = lax.concatenate([lax.slice_in_dim(a, n - s, n, axis=ax), lax.slice_in_dim(a, 0, n - s, axis=ax)], ax)
    return a


def pad(array, pad_width, mode="constant", **kwargs):  # noqa: A002
    """Pad an array (NumPy's `pad`): every mode, per-axis widths and values, or a callable.

    Args:
      array: the input.
      pad_width: an int, a (before, after) pair, or one pair per axis.
      mode: 'constant' (default), 'edge', 'reflect', 'symmetric', 'wrap', 'linear_ramp', 'maximum',
        'minimum', 'mean', 'median', 'empty', or a callable `f(vector, (before, after), axis, kwargs)`
        returning the padded vector.
      **kwargs: constant_values, stat_length, end_values, reflect_type as in NumPy.

    Returns:
      The padded array.

    Example:
      >>> import jaxnc.numpy as jnp
      >>> jnp.pad(jnp.array([1, 2, 3]), 2, mode="reflect").tolist()
      [3, 2, 1, 2, 3, 2, 1]
    """
    from jaxnc._src.numpy import padding

    array = asarray(array) if not hasattr(array, "aval") else array  # noqa: A001
    nd = ndim(array)
    pw = padding.pairs(core.concrete_or_error(pad_width, "jnp.pad needs a static pad_width"), nd, "pad_width")
    if pw.size and (pw.min() < 0 or not np.issubdtype(pw.dtype, np.integer)):
        raise ValueError(f"jnp.pad: pad_width must be non-negative integers, got {np.asarray(pad_width).tolist()}")
    if mode != "constant":
        if not callable(mode) and mode not in padding.MODES:
            raise ValueError(f"jnp.pad: unimplemented padding mode {mode!r}; expected one of {padding.MODES} or a callable")
        return padding.pad_nonconstant(array, pw, mode, **kwargs)
    unknown = set(kwargs) - {"constant_values"}
    if unknown:
        raise ValueError(f"jnp.pad: unsupported keyword arguments for mode='constant': {sorted(unknown)}")
    cv = kwargs.get("constant_values", 0)
    dt = get_aval(array).dtype
    if hasattr(cv, "aval") and ndim(cv) == 0:
        return lax.pad(array, astype(cv, dt), [(int(lo), int(hi), 0) for lo, hi in pw])
    cvs = padding.pairs(cv, nd, "constant_values") if np.ndim(cv) else None
    if cvs is None or (cvs == cvs.flat[0]).all():
        value = np.asarray(cv if cvs is None else cvs.flat[0]).astype(dt)[()] if nd else np.asarray(cv).astype(dt)[()]
        return lax.pad(array, value, [(int(lo), int(hi), 0) for lo, hi in pw])
    out = array
    for axis, ((lo, hi), (vlo, vhi)) in enumerate(zip(pw, cvs, strict=True)):
        cfg = [(0, 0, 0)] * nd
        cfg[axis] = (int(lo), 0, 0)
        out = lax.pad(out, np.asarray(vlo).astype(dt)[()], cfg)
        cfg[axis] = (0, int(hi), 0)
        out = lax.pad(out, np.asarray(vhi).astype(dt)[()], cfg)
    return out


# --- linear algebra products -----------------------------------------------------------------------------


def dot(a, b, *, precision=None, preferred_element_type=None):
    a, b = promote_dtypes(a, b)
    a = asarray(a) if not hasattr(a, "aval") else a
    b = asarray(b) if not hasattr(b, "aval") else b
    na, nb = ndim(a), ndim(b)
    if na == 0 or nb == 0:
        return multiply(a, b)
    contract_b = 0 if nb == 1 else nb - 2
    if shape(a)[-1] != shape(b)[contract_b]:
        raise TypeError(f"dot: incompatible shapes {shape(a)} and {shape(b)} (contracting {shape(a)[-1]} with "
                        f"{shape(b)[contract_b]})")
    return lax.dot_general(a, b, (((na - 1,), (contract_b,)), ((), ())), precision, preferred_element_type)


def matmul(a, b, *, precision=None, preferred_element_type=None):
    """`a @ b` with NumPy's rules: batch dims broadcast, 1-d operands are promoted and squeezed."""
    a, b = promote_dtypes(a, b)
    a = asarray(a) if not hasattr(a, "aval") else a
    b = asarray(b) if not hasattr(b, "aval") else b
    na, nb = ndim(a), ndim(b)
    if na == 0 or nb == 0:
        raise ValueError(f"matmul: inputs must be at least 1-dimensional, got shapes {shape(a)} and {shape(b)}")
    a2 = reshape(a, (1, shape(a)[0])) if na == 1 else a
    b2 = reshape(b, (shape(b)[0], 1)) if nb == 1 else b
    sa, sb = shape(a2), shape(b2)
    if sa[-1] != sb[-2]:
        raise ValueError(f"matmul: Input operand 1 has a mismatch in its core dimension 0, with gufunc signature "
                         f"(n?,k),(k,m?)->(n?,m?) (size {sb[-2]} is different from {sa[-1]}); shapes {shape(a)} "
                         f"and {shape(b)}")
    batch = _broadcast_shapes_or_error("matmul", [sa[:-2], sb[:-2]])
    a2 = broadcast_to(a2, (*batch, *sa[-2:]))
    b2 = broadcast_to(b2, (*batch, *sb[-2:]))
    nbatch = len(batch)
    bd = tuple(range(nbatch))
    out = lax.dot_general(a2, b2, (((nbatch + 1,), (nbatch,)), (bd, bd)), precision, preferred_element_type)
    if na == 1:
        out = lax.squeeze(out, (ndim(out) - 2,))
    if nb == 1:
        out = lax.squeeze(out, (ndim(out) - 1,))
    return out


def vdot(a, b):
    a, b = ravel(a), ravel(b)
    if dtypes.is_complex(get_aval(a).dtype):
        a = conjugate(a)
    return dot(a, b)


def inner(a, b):
    if ndim(a) == 0 or ndim(b) == 0:
        return multiply(a, b)
    return tensordot(a, b, ((ndim(a) - 1,), (ndim(b) - 1,)))


def outer(a, b):
    return multiply(reshape(a, (-1, 1)), reshape(b, (1, -1)))


def tensordot(a, b, axes=2):
    a, b = promote_dtypes(a, b)
    a = asarray(a) if not hasattr(a, "aval") else a
    b = asarray(b) if not hasattr(b, "aval") else b
    if isinstance(axes, (builtins.int, np.integer)):
        ax_a = tuple(range(ndim(a) - axes, ndim(a)))
        ax_b = tuple(range(axes))
    else:
        ax_a, ax_b = axes
        ax_a = (ax_a,) if isinstance(ax_a, (builtins.int, np.integer)) else tuple(ax_a)
        ax_b = (ax_b,) if isinstance(ax_b, (builtins.int, np.integer)) else tuple(ax_b)
    ax_a = tuple(x % ndim(a) for x in ax_a)
    ax_b = tuple(x % ndim(b) for x in ax_b)
    return lax.dot_general(a, b, ((ax_a, ax_b), ((), ())))


def trace(a, offset=0, axis1=0, axis2=1, dtype=None):
    return sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)


def diagonal(a, offset=0, axis1=0, axis2=1):
    a = asarray(a) if not hasattr(a, "aval") else a
    nd = ndim(a)
    a = moveaxis(a, (axis1 % nd, axis2 % nd), (nd - 2, nd - 1))
    n, m = shape(a)[-2:]
    rows = np.arange(builtins.max(0, -offset), builtins.min(n, m - offset)) if m - offset > 0 else np.arange(0)
    cols = rows + offset
    return a[..., rows, cols]


def diag(v, k=0):
    v = asarray(v) if not hasattr(v, "aval") else v
    if ndim(v) == 1:
        n = shape(v)[0] + builtins.abs(k)
        out = zeros((n, n), get_aval(v).dtype)
        i = np.arange(shape(v)[0])
        return out.at[i + builtins.max(-k, 0), i + builtins.max(k, 0)].set(v)
    if ndim(v) == 2:
        return diagonal(v, k)
    raise ValueError("diag input must be 1d or 2d")


# --- indexing ------------------------------------------------------------------------------------------------


def _is_basic_index(i) -> bool:
    return i is None or i is Ellipsis or (isinstance(i, (builtins.slice, builtins.int, np.integer)) and not isinstance(i, builtins.bool))


def _expand_ellipsis(idx: tuple, nd: int) -> tuple:
    n_ell = builtins.sum(1 for i in idx if i is Ellipsis)
    if n_ell > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = builtins.sum(1 for i in idx if i is not None and i is not Ellipsis and not _is_bool_mask(i)) + builtins.sum(
        ndim(i) for i in idx if _is_bool_mask(i))
    if used > nd:
        raise IndexError(f"Too many indices for array: {used} non-None/Ellipsis indices for dim {nd}.")
    if n_ell:
        k = idx.index(Ellipsis)
        return idx[:k] + (builtins.slice(None),) * (nd - used) + idx[k + 1 :]
    return idx + (builtins.slice(None),) * (nd - used)


def _is_bool_mask(i) -> bool:
    if isinstance(i, (list, np.ndarray)):
        return np.asarray(i).dtype == np.bool_ and np.ndim(i) > 0
    if hasattr(i, "aval"):
        return get_aval(i).dtype == np.bool_
    return False


def _static_basic(x, idx: tuple):
    """Ints, slices and None: lax.slice / rev / reshape only."""
    shape_ = get_aval(x).shape
    starts, limits, strides, rev_dims, out_shape = [], [], [], [], []
    axis = 0
    for i in idx:
        if i is None:
            out_shape.append(1)
            continue
        n = shape_[axis]
        if isinstance(i, builtins.slice):
            start, stop, step = i.indices(n)
            if step > 0:
                count = builtins.max(0, (stop - start + step - 1) // step)
                starts.append(start)
                limits.append(start + (count - 1) * step + 1 if count else start)
                strides.append(step)
            else:
                count = builtins.max(0, (start - stop - step - 1) // (-step))
                lo = start + (count - 1) * step if count else start
                # reversed: take [lo, start] with stride -step, then flip
                starts.append(lo if count else 0)
                limits.append(start + 1 if count else 0)
                strides.append(-step)
                rev_dims.append(axis)
            out_shape.append(count)
        else:
            k = int(i)
            if not -n <= k < n:
                raise IndexError(f"index {k} is out of bounds for axis {axis} with size {n}")
            k %= n
            starts.append(k)
            limits.append(k + 1)
            strides.append(1)
        axis += 1
    out = lax.slice(x, starts, limits, strides)
    if rev_dims:
        out = lax.rev(out, rev_dims)
    return lax.reshape(out, out_shape)


def _concrete_index(i):
    """A NumPy integer array for an index, if it is concrete (not traced)."""
    if isinstance(i, core.Tracer):
        v = i.to_concrete_value()
        return None if v is None else np.asarray(v)
    if type(i) is Array:
        return np.asarray(i)
    return np.asarray(i)


def _flat_positions(x_shape, idx: tuple, for_update: bool):
    """Flat element positions selected by a general NumPy index (static NumPy ints when possible)."""
    nd = len(x_shape)
    ids_np = np.arange(math.prod(x_shape), dtype=np.int64).reshape(x_shape)
    conv = []
    traced = False
    for i in idx:
        if i is None or i is Ellipsis or isinstance(i, builtins.slice):
            conv.append(i)
            continue
        v = _concrete_index(i) if not isinstance(i, core.Tracer) or i.to_concrete_value() is not None else None
        if v is None:
            traced = True
            conv.append(i)
        else:
            if not (np.issubdtype(v.dtype, np.integer)):
                raise IndexError(f"Indexer must have integer or boolean type, got indexer with type {v.dtype}")
            conv.append(v)
    if not traced:
        if for_update:
            return _update_positions(x_shape, conv)
        try:
            return ids_np[tuple(conv)]
        except IndexError as e:
            raise IndexError(f"{e} (array shape {tuple(x_shape)})") from None
    # traced integer indices: gather from the position table (out of range -> fill/clamp)
    ids = asarray(ids_np.astype(np.int32 if ids_np.size < 2**31 else np.int64))
    mode = "fill" if for_update else "clip"
    return _gather_general(ids, tuple(conv), nd, mode, fill_value=ids_np.size)


def _update_positions(x_shape, conv: list):
    """Flat positions for a concrete update index; out-of-bounds integer indices give `size` (a dropped
    update, as JAX's scatter) instead of an IndexError."""
    conv = _expand_ellipsis(tuple(conv), len(x_shape))
    size_ = math.prod(x_shape)
    ext = np.full([d + 1 for d in x_shape], size_, np.int64)
    ext[tuple(builtins.slice(0, d) for d in x_shape)] = np.arange(size_, dtype=np.int64).reshape(x_shape)
    out, axis = [], 0
    for i in conv:
        if i is None:
            out.append(None)
            continue
        if isinstance(i, builtins.slice):
            start, stop, step = i.indices(x_shape[axis])
            out.append(builtins.slice(start, None if stop < 0 else stop, step))
            axis += 1
            continue
        v = np.asarray(i)
        if v.dtype == np.bool_:
            out.extend(np.nonzero(v))
            axis += v.ndim
            continue
        d = x_shape[axis]
        out.append(np.where((v < -d) | (v >= d), d, v % builtins.max(d, 1)))
        axis += 1
    return ext[tuple(out)]


def _gather_general(x, idx: tuple, nd: int, mode: str, fill_value=None):
    """NumPy advanced indexing through lax.gather (integer array indices, possibly traced)."""
    idx = _expand_ellipsis(idx, nd)
    # basic slicing/None first (static), keeping array indices for the gather
    basic, arrays = [], []
    for i in idx:
        if i is None or isinstance(i, builtins.slice):
            basic.append(i)
        else:
            basic.append(builtins.slice(None))
    x = _static_basic(x, tuple(basic))
    # positions of array indices in x after basic indexing (None inserts dims)
    pos, axis = [], 0
    for i in idx:
        if i is None:
            axis += 1
            continue
        if not isinstance(i, builtins.slice):
            pos.append(axis)
            arrays.append(i)
        axis += 1
    shape_ = get_aval(x).shape
    arrays = [asarray(a) if not hasattr(a, "aval") else a for a in arrays]
    arrays = [astype(a, np.int32) for a in arrays]
    b_shape = _broadcast_shapes_or_error("indexing", [shape(a) for a in arrays])
    arrays = [broadcast_to(a, b_shape) for a in arrays]
    arrays = [where(lax.lt(a, lax.full_like(a, 0)), lax.add(a, lax.full_like(a, shape_[p])), a) for a, p in zip(arrays, pos, strict=True)]
    rest = [d for d in range(len(shape_)) if d not in pos]
    xt = lax.transpose(x, (*pos, *rest))
    indices = stack(arrays, axis=-1) if arrays else zeros((0,), np.int32)
    nb = len(b_shape)
    dn = slicing.GatherDimensionNumbers(tuple(range(nb, nb + len(rest))), tuple(range(len(pos))), tuple(range(len(pos))))
    out = slicing.gather(xt, indices, dn, (1,) * len(pos) + tuple(shape_[d] for d in rest), mode=mode, fill_value=fill_value)
    adjacent = pos == list(range(pos[0], pos[0] + len(pos))) if pos else True
    if adjacent and pos and pos[0] > 0:
        out = moveaxis(out, tuple(range(nb)), tuple(range(pos[0], pos[0] + nb)))
    return out


def _normalize_index(idx) -> tuple:
    """A tuple index with lists as arrays and boolean masks expanded to their (concrete) nonzero indices."""
    if not isinstance(idx, tuple):
        idx = (idx,)
    out = []
    for i in idx:
        if isinstance(i, list):
            i = np.asarray(i)
        if isinstance(i, np.ndarray) and i.dtype == np.bool_ and i.ndim == 0:
            i = builtins.bool(i)
        if _is_bool_mask(i):
            v = _concrete_index(i)
            if v is None:
                raise IndexError("Array boolean indices must be concrete; got a traced boolean index. Use "
                                 "jnp.where(mask, x, fill) or jnp.nonzero(mask, size=...) instead.")
            out.extend(np.nonzero(v))
            continue
        out.append(i)
    return tuple(out)


def _rewriting_take(x, idx, mode=None, fill_value=None):
    """`x[idx]` with NumPy semantics: static basic indexing becomes slices, the rest a gather."""
    idx = _normalize_index(idx)
    nd = get_aval(x).ndim
    if builtins.any(isinstance(i, builtins.bool) for i in idx):
        raise NotImplementedError("scalar boolean indices are not supported; use jnp.where")
    if mode == "fill":  # out-of-bounds integers give fill_value instead of an error
        idx = tuple(np.asarray(i) if isinstance(i, (builtins.int, np.integer)) else i for i in idx)
        return _gather_general(x, idx, nd, "fill", fill_value)
    if builtins.all(_is_basic_index(i) for i in idx):
        return _static_basic(x, _expand_ellipsis(idx, nd))
    return _gather_general(x, idx, nd, mode or "clip", fill_value)


def take(a, indices, axis=None, mode=None, unique_indices=False, indices_are_sorted=False, fill_value=None):
    a = asarray(a) if not hasattr(a, "aval") else a
    if axis is None:
        a = ravel(a)
        axis = 0
    (axis,) = _canonical_axes(axis, ndim(a), "take")
    idx = (builtins.slice(None),) * axis + (indices,)
    return _gather_general(a, idx, ndim(a), mode or "fill", fill_value)


def take_along_axis(arr, indices, axis, mode=None, fill_value=None):
    arr = asarray(arr) if not hasattr(arr, "aval") else arr
    if axis is None:
        return take(ravel(arr), ravel(indices), 0, mode=mode)
    (axis,) = _canonical_axes(axis, ndim(arr), "take_along_axis")
    idx_shape = shape(indices)
    grids = []
    for d in range(ndim(arr)):
        if d == axis:
            grids.append(indices)
        else:
            s = [1] * ndim(arr)
            s[d] = idx_shape[d]
            grids.append(reshape(arange(idx_shape[d]), s))
    return _gather_general(arr, tuple(grids), ndim(arr), mode or "fill", fill_value)


def nonzero(a, *, size=None, fill_value=None):
    """Indices of nonzero elements, one array per dimension.

    Without `size` the input must be concrete (the output shape depends on its values). With `size`
    the result is padded with `fill_value` (default 0; a scalar or one value per dimension) or
    truncated to `size` entries, which works under jit.

    Example:
      >>> import jaxnc.numpy as jnp
      >>> jnp.nonzero(jnp.array([0, 2, 0, 3]), size=3, fill_value=-1)[0].tolist()
      [1, 3, -1]
    """
    a = asarray(a) if not hasattr(a, "aval") else a
    nd = ndim(a)
    if nd == 0:
        raise ValueError("Calling nonzero on 0d arrays is not allowed. Use jnp.atleast_1d(scalar).nonzero() instead.")
    if size is None:
        v = core.concrete_or_error(a, "jnp.nonzero needs a concrete array or a static size=: the output shape depends "
                                      "on values.")  # fmt: skip
        return tuple(asarray(i.astype(dtypes.default_int_dtype())) for i in np.nonzero(v))
    size = int(core.concrete_or_error(size, "The size argument of jnp.nonzero must be static"))
    mask = ravel(_to_bool(a))
    n = get_aval(mask).size
    count = sum(mask)
    # the k-th nonzero flat position goes to output slot k (slots >= size are dropped)
    slot = subtract(cumsum(mask), 1)
    slot = where(mask, slot, size)
    dn = slicing.ScatterDimensionNumbers((), (0,), (0,))
    flat = slicing.scatter(zeros((size,), dtypes.default_int_dtype()), reshape(astype(slot, np.int32), (n, 1)),
                           arange(n, dtype=dtypes.default_int_dtype()), dn, mode="fill")  # fmt: skip
    coords, rest = [], flat
    for d in reversed(shape(a)):
        coords.append(remainder(rest, d) if d else rest)
        rest = floor_divide(rest, d) if d else rest
    coords.reverse()
    fills = (0,) * nd if fill_value is None else tuple(np.broadcast_to(np.asarray(fill_value), (nd,)).tolist()) \
        if np.ndim(fill_value) <= 1 and not hasattr(fill_value, "aval") else tuple(fill_value)  # fmt: skip
    if len(fills) != nd:
        raise ValueError(f"nonzero: fill_value must be a scalar or have one entry per dimension ({nd}), got {fill_value}")
    valid = less(arange(size), count)
    return tuple(where(valid, c, astype(f, get_aval(c).dtype)) for c, f in zip(coords, fills, strict=True))


def argwhere(a, *, size=None, fill_value=None):
    return stack(nonzero(a, size=size, fill_value=fill_value), axis=1) if ndim(a) else zeros((0, 0), int)


class _IndexUpdateHelper:
    """`x.at[idx]`: functional updates (`set`, `add`, `multiply`, `min`, `max`, `get`, `apply`)."""

    __slots__ = ("array",)

    def __init__(self, array) -> None:
        self.array = array

    def __getitem__(self, idx):
        return _IndexUpdateRef(self.array, idx)


class _IndexUpdateRef:
    __slots__ = ("array", "index")

    def __init__(self, array, index) -> None:
        self.array = array
        self.index = index

    def get(self, *, indices_are_sorted=False, unique_indices=False, mode=None, fill_value=None):
        return _rewriting_take(self.array, self.index, mode=None if mode in (None, "clip", "promise_in_bounds") else "fill",
                               fill_value=fill_value)  # fmt: skip

    def _scatter(self, prim, values, mode=None):
        x = self.array
        aval = get_aval(x)
        pos = _flat_positions(aval.shape, _normalize_index(self.index), for_update=True)
        pos = asarray(pos) if not hasattr(pos, "aval") else pos
        values = asarray(values) if not hasattr(values, "aval") else values
        if get_aval(values).dtype != aval.dtype:
            values = lax.convert_element_type(values, aval.dtype)
        values = broadcast_to(values, shape(pos))
        dn = slicing.ScatterDimensionNumbers((), (0,), (0,))
        flat = lax.reshape(x, (aval.size,))
        n = get_aval(pos).size
        out = prim.bind(flat, lax.reshape(astype(pos, np.int32), (n, 1)), lax.reshape(values, (n,)), dimension_numbers=dn,
                        mode="clip" if mode == "clip" else "fill", indices_are_sorted=False, unique_indices=False)  # fmt: skip
        return lax.reshape(out, aval.shape)

    def set(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return self._scatter(slicing.scatter_p, values, mode)

    def add(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return self._scatter(slicing.scatter_add_p, values, mode)

    def subtract(self, values, **kw):
        return self.add(negative(values), **kw)

    def multiply(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return self._scatter(slicing.scatter_mul_p, values, mode)

    mul = multiply

    def divide(self, values, **kw):
        return self.multiply(reciprocal(values), **kw)

    def power(self, values, **kw):
        return self.set(power(self.get(), values), **kw)

    def min(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return self._scatter(slicing.scatter_min_p, values, mode)

    def max(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return self._scatter(slicing.scatter_max_p, values, mode)

    def apply(self, func, **kw):
        return self.set(func(self.get()), **kw)


# --- misc ------------------------------------------------------------------------------------------------------


def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    xi = [ravel(asarray(x)) for x in xi]
    n = len(xi)
    shapes = [shape(x)[0] for x in xi]
    if indexing == "xy" and n > 1:
        shapes[0], shapes[1] = shapes[1], shapes[0]
    out = []
    for i, x in enumerate(xi):
        d = i
        if indexing == "xy" and n > 1 and i < 2:
            d = 1 - i
        s = [1] * n
        s[d] = shape(x)[0]
        x = reshape(x, s)
        out.append(x if sparse else broadcast_to(x, shapes))
    return out


def outer_product(a, b):
    return outer(a, b)


def iscomplexobj(x) -> builtins.bool:
    return dtypes.is_complex(get_aval(x).dtype) if hasattr(x, "aval") else np.iscomplexobj(x)


def copy(a, order=None):
    return array(a, copy=True)
