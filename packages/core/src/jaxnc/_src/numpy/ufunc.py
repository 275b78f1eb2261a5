"""jnp.ufunc: NumPy's ufunc objects (reduce, accumulate, at, reduceat, outer) over jaxnc functions.

Each method takes a fast path when the ufunc was built with one (`jnp.add.reduce` is `jnp.sum`) and otherwise
falls back to a `lax.scan` over the reduced axis, as JAX does, so any binary ufunc can be reduced, jitted and
differentiated.
"""

from __future__ import annotations

import importlib
import math
import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from jaxnc._src.core import get_aval
from jaxnc._src.lax import control_flow, lax
from jaxnc._src.numpy import lax_numpy as jnp
from jaxnc._src.numpy.vectorize import vectorize

_AT_INPLACE_MSG = (
    "Because JAX arrays are immutable, jnp.ufunc.at() cannot operate inplace like np.ufunc.at(). Instead, you can "
    "pass inplace=False and capture the result; e.g.\n>>> arr = jnp.add.at(arr, ind, val, inplace=False)"
)


def _arr(x):
    return x if hasattr(x, "aval") else jnp.asarray(x)


def _lookup(module: str, name: str):
    return getattr(importlib.import_module(module), name)


class ufunc:  # noqa: N801 - NumPy's and JAX's name
    """Universal functions which operate element-by-element on arrays (`jax.numpy.ufunc`).

    Args:
      func: the elementwise function; it is vectorized with `jnp.vectorize` unless `call` is given.
      nin: number of positional inputs.
      nout: number of outputs.
      name: the ufunc's name (defaults to `func.__name__`).
      nargs: number of arguments (defaults to `nin`).
      identity: the value that leaves the other input unchanged, or None.
      call, reduce, accumulate, at, reduceat: optional fast implementations of each method.

    Example:
        >>> import jaxnc.numpy as jnp
        >>> x = jnp.array([1, 2, 3, 4])
        >>> jnp.add.reduce(x), jnp.add.identity
        (Array(10, dtype=int32), 0)
        >>> jnp.multiply.outer(x[:2], x)
        Array([[1, 2, 3, 4],
               [2, 4, 6, 8]], dtype=int32)
    """

    def __init__(self, func: Callable, /, nin: int, nout: int, *, name: str | None = None, nargs: int | None = None,
                 identity: Any = None, call: Callable | None = None, reduce: Callable | None = None,
                 accumulate: Callable | None = None, at: Callable | None = None,
                 reduceat: Callable | None = None) -> None:  # fmt: skip
        self.__doc__ = getattr(func, "__doc__", None)
        self.__name__ = self.__qualname__ = name or getattr(func, "__name__", repr(func))
        self._func = func
        self._nin = operator.index(nin)
        self._nout = operator.index(nout)
        self._nargs = operator.index(nargs or nin)
        self._identity = identity
        self._call = call or vectorize(func)
        self._reduce = reduce
        self._accumulate = accumulate
        self._at = at
        self._reduceat = reduceat

    nin = property(lambda self: self._nin)
    nout = property(lambda self: self._nout)
    nargs = property(lambda self: self._nargs)
    identity = property(lambda self: self._identity)

    def __repr__(self) -> str:
        return f"<jnp.ufunc '{self.__name__}'>"

    def __reduce__(self):
        # NB: the predefined ufuncs pickle by name, like functions, so partial(jnp.add, 1) still pickles.
        module = self.__dict__.get("__module__")
        if module is not None and getattr(importlib.import_module(module), self.__name__, None) is self:
            return _lookup, (module, self.__name__)
        raise TypeError(f"cannot pickle {self!r}: only the ufuncs defined in jaxnc.numpy can be pickled")

    def __call__(self, *args, out=None, where=None):
        if out is not None:
            raise NotImplementedError(f"out argument of {self}")
        if where is not None:
            raise NotImplementedError(f"where argument of {self}")
        if len(args) != self._nin:
            raise TypeError(f"{self.__name__}() takes {self._nin} positional argument(s) but {len(args)} were given")
        return self._call(*args)

    def _check_binary(self, method: str) -> None:
        if self._nin != 2:
            raise ValueError(f"{self.__name__}.{method}: only supported for binary ufuncs, got nin={self._nin}")
        if self._nout != 1:
            raise ValueError(f"{self.__name__}.{method}: only supported for functions returning a single value, "
                             f"got nout={self._nout}")  # fmt: skip

    def _result_dtype(self, *dts):
        """dtype of `self` applied to scalars of `dts`."""
        return get_aval(self(*(jnp.zeros((), dt) for dt in dts))).dtype

    def _step(self, x, y, dtype):
        return jnp.astype(self(x, y), dtype)

    def reduce(self, a, axis: Any = 0, dtype=None, out=None, keepdims: bool = False, initial=None, where=None):
        """Reduce `a` along `axis` (an int, a tuple, or None for all axes) by repeated application of the ufunc."""
        self._check_binary("reduce")
        if out is not None:
            raise NotImplementedError(f"out argument of {self.__name__}.reduce()")
        if where is not None and initial is None and self._identity is None:
            raise ValueError(f"reduction operation {self.__name__!r} does not have an identity, so to use a where "
                             "mask one has to specify 'initial'.")  # fmt: skip
        if self._reduce is not None:
            return self._reduce(a, axis=axis, dtype=dtype, keepdims=keepdims, initial=initial, where=where)
        return self._reduce_via_scan(a, axis, dtype, keepdims, initial, where)

    def _reduce_via_scan(self, a, axis, dtype, keepdims, initial, where):
        a = _arr(a)
        shape = get_aval(a).shape
        axes = jnp._canonical_axes(axis, len(shape), f"{self.__name__}.reduce")
        dtype = dtype or self._result_dtype(a.dtype, a.dtype)
        kept = [d for i, d in enumerate(shape) if i not in axes]
        n = math.prod(shape[i] for i in axes)
        # NB: the reduced axes move to the front and flatten to one, so a tuple reduces like NumPy's for any
        # commutative ufunc.
        arr = jnp.reshape(jnp.moveaxis(a, axes, tuple(range(len(axes)))), (n, *kept))
        mask = None if where is None else jnp.reshape(
            jnp.moveaxis(jnp.broadcast_to(where, shape), axes, tuple(range(len(axes)))), (n, *kept))  # fmt: skip
        start = initial if initial is not None else self._identity
        if where is None and initial is None and n > 0:
            init, xs, mask_xs = jnp.astype(arr[0], dtype), arr[1:], None
        elif start is None:
            raise ValueError(f"zero-size array to reduction operation {self.__name__} which has no identity")
        else:
            init = jnp.broadcast_to(jnp.astype(jnp.asarray(start), dtype), tuple(kept))
            xs, mask_xs = arr, mask

        def body(carry, x):
            if mask_xs is None:
                return self._step(carry, jnp.astype(x, dtype), dtype), None
            x, w = x
            return jnp.where(w, self._step(carry, jnp.astype(x, dtype), dtype), carry), None

        if get_aval(xs).shape[0] == 0:
            result = init
        else:
            result, _ = control_flow.scan(body, init, xs if mask_xs is None else (xs, mask_xs))
        if keepdims:
            result = jnp._keepdims(result, shape, axes)
        return result

    def accumulate(self, a, axis: int = 0, dtype=None, out=None):
        """Running application of the ufunc along `axis` (`jnp.add.accumulate` is `jnp.cumsum`)."""
        self._check_binary("accumulate")
        if out is not None:
            raise NotImplementedError(f"out argument of {self.__name__}.accumulate()")
        if axis is None or isinstance(axis, tuple):
            raise ValueError(f"{self.__name__}.accumulate: accumulate does not allow multiple axes, got axis={axis}")
        a = _arr(a)
        (axis,) = jnp._canonical_axes(axis, get_aval(a).ndim, f"{self.__name__}.accumulate")
        if self._accumulate is not None:
            return self._accumulate(a, axis=axis, dtype=dtype)
        dtype = dtype or self._result_dtype(a.dtype, a.dtype)
        arr = jnp.astype(jnp.moveaxis(a, axis, 0), dtype)
        if get_aval(arr).shape[0] <= 1:
            return jnp.moveaxis(arr, 0, axis)

        def body(carry, x):
            y = self._step(carry, x, dtype)
            return y, y

        _, rest = control_flow.scan(body, arr[0], arr[1:])
        return jnp.moveaxis(jnp.concatenate([arr[:1], rest]), 0, axis)

    def at(self, a, indices, b=None, /, *, inplace: bool = True):
        """`a` with the ufunc applied at `indices` (repeated indices apply repeatedly); needs `inplace=False`."""
        if inplace:
            raise NotImplementedError(_AT_INPLACE_MSG)
        args = () if b is None else (b,)
        if len(args) + 1 != self._nin:
            raise TypeError(f"{self.__name__}.at: takes {self._nin - 1} value argument(s), got {len(args)}")
        if self._at is not None:
            return self._at(a, indices, *args)
        return self._at_via_scan(a, indices, *args)

    def _at_via_scan(self, a, indices, *args):
        a = _arr(a)
        dtype = self._result_dtype(a.dtype, *(_arr(x).dtype for x in args))
        a = jnp.astype(a, dtype)
        idx = indices if isinstance(indices, tuple) else (indices,)
        idx = tuple(i if isinstance(i, slice) or i is None or i is Ellipsis else _arr(i) for i in idx)
        arrays = [i for i in idx if hasattr(i, "aval")]
        shape = np.broadcast_shapes(*(get_aval(i).shape for i in arrays)) if arrays else ()
        if not shape:
            return a.at[idx].set(self(a[idx], *args))
        count = math.prod(shape)
        flat = tuple(jnp.ravel(jnp.broadcast_to(i, shape)) if hasattr(i, "aval") else i for i in idx)

        def pick(i):
            return tuple(x[i] if hasattr(x, "aval") else x for x in flat)

        rest = get_aval(a[pick(0)]).shape
        xs = [jnp.arange(count)]
        if args:
            xs.append(jnp.reshape(jnp.broadcast_to(jnp.astype(_arr(args[0]), dtype), (*shape, *rest)), (count, *rest)))

        def body(carry, x):
            where_ = pick(x[0])
            return carry.at[where_].set(self._step(carry[where_], *x[1:], dtype)), None

        out, _ = control_flow.scan(body, a, tuple(xs))
        return out

    def reduceat(self, a, indices, axis: int = 0, dtype=None, out=None):
        """Reduce over the slices `a[indices[i]:indices[i+1]]` along `axis` (a single element where not increasing)."""
        self._check_binary("reduceat")
        if out is not None:
            raise NotImplementedError(f"out argument of {self.__name__}.reduceat()")
        if self._reduceat is not None:
            return self._reduceat(a, indices, axis=axis, dtype=dtype)
        a = _arr(a)
        if dtype is not None:
            a = jnp.astype(a, dtype)
        indices = _arr(indices)
        if get_aval(a).ndim == 0:
            raise ValueError(f"{self.__name__}.reduceat: a must have 1 or more dimension, got shape {a.shape}")
        if get_aval(indices).ndim != 1:
            raise ValueError(f"{self.__name__}.reduceat: indices must be one-dimensional, got shape {indices.shape}")
        (axis,) = jnp._canonical_axes(axis, get_aval(a).ndim, f"{self.__name__}.reduceat")
        size = get_aval(a).shape[axis]
        indices = jnp.where(indices < 0, indices + size, indices)
        result = jnp.take(a, indices, axis=axis)
        if get_aval(indices).shape[0] == 0 or size == 0:
            return result
        ends = jnp.concatenate([indices[1:], jnp.full((1,), size, indices.dtype)])
        bcast = [1] * get_aval(a).ndim
        bcast[axis] = get_aval(indices).shape[0]
        starts, ends = jnp.reshape(indices, bcast), jnp.reshape(ends, bcast)
        out_dtype = get_aval(result).dtype

        def body(carry, i):
            row = lax.expand_dims(jnp.take(a, i, axis=axis), (axis,))
            inside = jnp.logical_and(i > starts, i < ends)
            return jnp.where(inside, self._step(carry, row, out_dtype), carry), None

        result, _ = control_flow.scan(body, result, jnp.arange(size))
        return result

    def outer(self, A, B, /):  # noqa: N803 - NumPy's names
        """The ufunc applied to every pair of elements: the result has shape `A.shape + B.shape`."""
        self._check_binary("outer")
        A, B = _arr(A), _arr(B)
        nb = get_aval(B).ndim
        return self(jnp.reshape(A, (*get_aval(A).shape, *(1,) * nb)), B)


def frompyfunc(func: Callable, /, nin: int, nout: int, *, identity: Any = None) -> ufunc:
    """A `jnp.ufunc` from an elementwise function of jaxnc values (vectorized with `jnp.vectorize`).

    Example:
        >>> import jaxnc.numpy as jnp
        >>> hypot = jnp.frompyfunc(lambda x, y: jnp.sqrt(x * x + y * y), 2, 1)
        >>> hypot.accumulate(jnp.array([3.0, 4.0, 12.0]))
        Array([ 3.,  5., 13.], dtype=float32)
    """
    return ufunc(func, nin, nout, identity=identity)


def _with_initial(reducer, op):
    """A reduction with no `initial` argument, taking one by combining it with the result."""

    def reduce(a, axis=0, dtype=None, keepdims=False, initial=None, where=None):
        out = reducer(a, axis=axis, keepdims=keepdims, where=where)
        out = out if initial is None else op(out, initial)
        return out if dtype is None else jnp.astype(out, dtype)

    return reduce


def _no_dtype(reducer):
    def reduce(a, axis=0, dtype=None, keepdims=False, initial=None, where=None):
        a = _arr(a) if dtype is None else jnp.astype(_arr(a), dtype)
        return reducer(a, axis=axis, keepdims=keepdims, initial=initial, where=where)

    return reduce


def _cumulative(lax_fn):
    def accumulate(a, axis=0, dtype=None):
        return lax_fn(_arr(a) if dtype is None else jnp.astype(_arr(a), dtype), axis)

    return accumulate


def _make_ufuncs() -> dict[str, ufunc]:
    """The binary functions of jaxnc.numpy as ufuncs (call is the original function), with fast methods."""
    specs = {
        "add": dict(identity=0, reduce=jnp.sum, accumulate=jnp.cumsum, at=lambda a, i, b: _arr(a).at[i].add(b)),
        "multiply": dict(identity=1, reduce=jnp.prod, accumulate=jnp.cumprod,
                         at=lambda a, i, b: _arr(a).at[i].multiply(b)),
        "maximum": dict(reduce=_no_dtype(jnp.max), accumulate=_cumulative(lax.cummax),
                        at=lambda a, i, b: _arr(a).at[i].max(b)),
        "minimum": dict(reduce=_no_dtype(jnp.min), accumulate=_cumulative(lax.cummin),
                        at=lambda a, i, b: _arr(a).at[i].min(b)),
        "logical_and": dict(identity=True, reduce=_with_initial(jnp.all, jnp.logical_and)),
        "logical_or": dict(identity=False, reduce=_with_initial(jnp.any, jnp.logical_or)),
        "logical_xor": dict(identity=False),
        "bitwise_and": dict(identity=-1),
        "bitwise_or": dict(identity=0),
        "bitwise_xor": dict(identity=0),
        "subtract": dict(),
        "true_divide": dict(),
        "arctan2": dict(),
        "power": dict(),
    }  # fmt: skip
    out = {}
    for name, kw in specs.items():
        fn = getattr(jnp, name)
        out[name] = u = ufunc(fn, 2, 1, name=name, call=fn, **kw)
        u.__module__ = "jaxnc.numpy"
    return out
