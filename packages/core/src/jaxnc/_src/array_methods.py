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

    all = _method("all")
    any = _method("any")
    argmax = _method("argmax")
    argmin = _method("argmin")
    argsort = _method("argsort")
    clip = _method("clip")
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
    ravel = _method("ravel")
    repeat = _method("repeat")
    round = _method("round")
    sort = _method("sort")
    squeeze = _method("squeeze")
    std = _method("std")
    sum = _method("sum")
    swapaxes = _method("swapaxes")
    take = _method("take")
    trace = _method("trace")
    var = _method("var")
    view = _method("view")
