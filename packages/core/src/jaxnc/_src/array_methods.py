"""Operators and methods shared by concrete Arrays and Tracers; they forward to jaxnc.numpy."""

from __future__ import annotations

from types import SimpleNamespace

# Filled in by jaxnc.numpy at import (it needs this module's classes first).
_np = SimpleNamespace()


def _bin(name: str, reflected: bool = False):
    if reflected:

        def op(self, other):
            fn = getattr(_np, name)
            return fn(other, self)

    else:

        def op(self, other):
            fn = getattr(_np, name)
            return fn(self, other)

    op.__name__ = name
    return op


def _method(name: str):
    def method(self, *args, **kwargs):
        return getattr(_np, name)(self, *args, **kwargs)

    method.__name__ = name
    return method


class ArrayMethods:
    """Mixin: arithmetic, comparison, indexing and NumPy-style methods."""

    __slots__ = ()
    __array_priority__ = 100

    __add__, __radd__ = _bin("add"), _bin("add", True)
    __sub__, __rsub__ = _bin("subtract"), _bin("subtract", True)
    __mul__, __rmul__ = _bin("multiply"), _bin("multiply", True)
    __truediv__, __rtruediv__ = _bin("true_divide"), _bin("true_divide", True)
    __floordiv__, __rfloordiv__ = _bin("floor_divide"), _bin("floor_divide", True)
    __mod__, __rmod__ = _bin("remainder"), _bin("remainder", True)
    __pow__, __rpow__ = _bin("power"), _bin("power", True)
    __matmul__, __rmatmul__ = _bin("matmul"), _bin("matmul", True)
    __and__, __rand__ = _bin("bitwise_and"), _bin("bitwise_and", True)
    __or__, __ror__ = _bin("bitwise_or"), _bin("bitwise_or", True)
    __xor__, __rxor__ = _bin("bitwise_xor"), _bin("bitwise_xor", True)
    __lshift__, __rlshift__ = _bin("left_shift"), _bin("left_shift", True)
    __rshift__, __rrshift__ = _bin("right_shift"), _bin("right_shift", True)
    __divmod__, __rdivmod__ = _bin("divmod"), _bin("divmod", True)
    __lt__, __le__ = _bin("less"), _bin("less_equal")
    __gt__, __ge__ = _bin("greater"), _bin("greater_equal")
    __eq__, __ne__ = _bin("equal"), _bin("not_equal")

    def __neg__(self):
        return _np.negative(self)

    def __pos__(self):
        return _np.positive(self)

    def __abs__(self):
        return _np.abs(self)

    def __invert__(self):
        return _np.invert(self)

    def __getitem__(self, idx):
        return _np._rewriting_take(self, idx)

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self.shape[0]))

    def __round__(self, ndigits=None):
        return _np.round(self, ndigits or 0)

    @property
    def at(self):
        return _np._IndexUpdateHelper(self)

    @property
    def T(self):
        return _np.transpose(self)

    @property
    def mT(self):
        return _np.matrix_transpose(self)

    @property
    def real(self):
        return _np.real(self)

    @property
    def imag(self):
        return _np.imag(self)

    def astype(self, dtype, copy: bool = False):
        return _np.astype(self, dtype)

    def reshape(self, *shape, order="C"):
        if len(shape) == 1 and not isinstance(shape[0], int):
            shape = shape[0]
        return _np.reshape(self, shape, order=order)

    def transpose(self, *axes):
        if len(axes) == 1 and not isinstance(axes[0], int):
            axes = axes[0]
        return _np.transpose(self, axes or None)

    def conj(self):
        return _np.conjugate(self)

    conjugate = conj

    def compress(self, condition, axis=None, **kwargs):
        return _np.compress(condition, self, axis, **kwargs)

    def choose(self, choices, mode="raise"):
        return _np.choose(self, choices, mode=mode)

    def view(self, dtype=None, type=None):  # noqa: A002 - NumPy's name
        """The same bits as `dtype` (as `np.ndarray.view`); a narrower dtype grows the last axis."""
        if type is not None:
            raise NotImplementedError("`type` argument of array.view() is not supported.")
        return _view(self, dtype)

    all = _method("all")
    any = _method("any")
    argmax = _method("argmax")
    argmin = _method("argmin")
    argpartition = _method("argpartition")
    argsort = _method("argsort")
    clip = _method("clip")
    copy = _method("copy")
    cumprod = _method("cumprod")
    cumsum = _method("cumsum")
    diagonal = _method("diagonal")
    dot = _method("dot")
    flatten = _method("ravel")
    max = _method("max")
    mean = _method("mean")
    min = _method("min")
    nonzero = _method("nonzero")
    prod = _method("prod")
    ptp = _method("ptp")
    ravel = _method("ravel")
    repeat = _method("repeat")
    round = _method("round")
    searchsorted = _method("searchsorted")
    sort = _method("sort")
    squeeze = _method("squeeze")
    std = _method("std")
    sum = _method("sum")
    swapaxes = _method("swapaxes")
    take = _method("take")
    trace = _method("trace")
    var = _method("var")


_UINT = {1: "uint8", 2: "uint16", 4: "uint32", 8: "uint64"}


def _view(x, dtype):
    """Reinterpret bits. Equal widths are one bitcast; otherwise the bytes are regrouped through
    unsigned integers, little-endian as NumPy on the hosts jaxnc runs on."""
    import numpy as np

    from jaxnc._src import dtypes
    from jaxnc._src.lax.lax import bitcast_convert_type

    if dtype is None:
        return x
    dtype = dtypes.canonicalize_dtype(dtype)
    if dtype == x.dtype:
        return x
    if x.dtype == np.bool_:
        x = x.astype(np.uint8)
    n_in, n_out = x.dtype.itemsize, dtype.itemsize
    if n_in == n_out:
        if dtype == np.bool_:
            return bitcast_convert_type(x, np.uint8).astype(np.bool_)
        return bitcast_convert_type(x, dtype)
    if x.ndim == 0 or (x.shape[-1] * n_in) % n_out:
        raise ValueError(f"view from {x.dtype} to {dtype} needs a last axis whose size in bytes "
                         f"({x.shape[-1:] and x.shape[-1] * n_in}) is a multiple of {n_out}; shape {x.shape}")  # fmt: skip
    u_in, u_out = np.dtype(_UINT[n_in]), np.dtype(_UINT[n_out])
    u = bitcast_convert_type(x, u_in)
    if n_out < n_in:  # split each item into n_in // n_out pieces, lowest bits first
        k = n_in // n_out
        mask = _np.asarray((1 << 8 * n_out) - 1, u_in)
        parts = [((u >> _np.asarray(8 * n_out * i, u_in)) & mask).astype(u_out) for i in range(k)]
        u = _np.stack(parts, axis=-1).reshape(*x.shape[:-1], x.shape[-1] * k)
    else:  # join groups of n_out // n_in items
        k = n_out // n_in
        g = u.reshape(*x.shape[:-1], x.shape[-1] // k, k).astype(u_out)
        u = g[..., 0]
        for i in range(1, k):
            u = u | (g[..., i] << _np.asarray(8 * n_in * i, u_out))
    if dtype == np.bool_:
        return u.astype(np.bool_)
    return bitcast_convert_type(u, dtype)
