"""dtype predicates and NumPy's printing/iteration helpers (isdtype, iterable, printoptions)."""

from __future__ import annotations

import numpy as np

from jaxnc._src import dtypes

_KINDS = {
    "bool": lambda dt: dt == np.bool_,
    "signed integer": lambda dt: dt.kind == "i",
    "unsigned integer": lambda dt: dt.kind == "u",
    "integral": lambda dt: dt.kind in "iu",
    "real floating": dtypes.is_float,
    "complex floating": dtypes.is_complex,
    "numeric": lambda dt: dt != np.bool_,
}


def isdtype(dtype, kind) -> bool:
    """Whether dtype is of `kind`: a dtype, one of the array-API kind names, or a tuple of those.

    Example:
      >>> import jaxnc.numpy as jnp
      >>> jnp.isdtype(jnp.float32, ("integral", "real floating"))
      True
    """
    dt = np.dtype(dtype)
    kinds = kind if isinstance(kind, tuple) else (kind,)
    for k in kinds:
        if isinstance(k, str):
            if k not in _KINDS:
                raise ValueError(f"isdtype: unrecognized kind {k!r}; expected one of {sorted(_KINDS)} or a dtype")
            if _KINDS[k](dt):
                return True
        elif np.dtype(k) == dt:
            return True
    return False


def iterable(y) -> bool:
    """Whether iter(y) works."""
    try:
        iter(y)
    except TypeError:
        return False
    return True


get_printoptions = np.get_printoptions
set_printoptions = np.set_printoptions
printoptions = np.printoptions


def array_str(a, max_line_width=None, precision=None, suppress_small=None):
    """NumPy's str of the array's values."""
    return np.array_str(np.asarray(a), max_line_width, precision, suppress_small)


def array_repr(arr, max_line_width=None, precision=None, suppress_small=None):
    """NumPy's repr of the array's values."""
    return np.array_repr(np.asarray(arr), max_line_width, precision, suppress_small)


def binary_repr(num, width=None) -> str:
    """Binary string of an integer (two's complement when width is given)."""
    return np.binary_repr(int(num), width)


def save(file, arr, allow_pickle=True):
    """Save an array's values to a .npy file (through NumPy)."""
    np.save(file, np.asarray(arr), allow_pickle=allow_pickle)


def savez(file, *args, **kwds):
    """Save arrays' values to a .npz file (through NumPy)."""
    np.savez(file, *[np.asarray(a) for a in args], **{k: np.asarray(v) for k, v in kwds.items()})


def load(file, *args, **kwargs):
    """Load a .npy/.npz file (through NumPy) as jaxnc arrays."""
    from jaxnc._src.numpy import lax_numpy as jnp

    out = np.load(file, *args, **kwargs)
    if isinstance(out, np.ndarray):
        return jnp.asarray(out)
    return {k: jnp.asarray(out[k]) for k in out.files}


# NumPy's alias names for the supported dtypes
bool = np.bool_  # noqa: A001
uint = np.uint64
single, double = np.float32, np.float64
csingle, cdouble = np.complex64, np.complex128
