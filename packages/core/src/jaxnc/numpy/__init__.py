"""jaxnc.numpy: the NumPy API on jaxnc arrays (`import jaxnc.numpy as jnp`)."""

from jaxnc._src import array_methods as _array_methods
from jaxnc._src.numpy import lax_numpy as _lnp
from jaxnc._src.numpy.lax_numpy import *  # noqa: F403
from jaxnc._src.numpy.lax_numpy import (  # noqa: F401 - names with leading underscores or shadowing builtins
    _IndexUpdateHelper,
    _rewriting_take,
    abs,
    all,
    any,
    divmod,
    max,
    min,
    round,
    sum,
)
from jaxnc._src.numpy.calculus import (  # noqa: F401
    convolve, correlate, diff, ediff1d, gradient, interp, trapezoid, unwrap,
)
from jaxnc._src.numpy.creation import (  # noqa: F401
    bartlett, blackman, c_, diag_indices, diag_indices_from, diagflat, frombuffer, fromfunction, fromiter, fromstring,
    geomspace, hamming, hanning, index_exp, indices, ix_, kaiser, logspace, mask_indices, mgrid, ogrid, r_, s_,
    tril_indices, tril_indices_from, triu_indices, triu_indices_from, vander,
)
from jaxnc._src.numpy.dtype_functions import (  # noqa: F401
    array_repr, array_str, binary_repr, bool, cdouble, csingle, double, get_printoptions, isdtype, iterable, load,
    printoptions, save, savez, set_printoptions, single, uint,
)
from jaxnc._src.numpy.einsum import einsum, einsum_path  # noqa: F401
from jaxnc._src.numpy.elementwise import (  # noqa: F401
    bitwise_count, fmax, fmin, frexp, gcd, heaviside, i0, iscomplex, isreal, isrealobj, lcm, ldexp, logaddexp2, modf,
    sinc, spacing,
)
from jaxnc._src.numpy.indexing_helpers import (  # noqa: F401
    choose, compress, extract, fill_diagonal, flatnonzero, place, put, put_along_axis, ravel_multi_index,
    unravel_index,
)
from jaxnc._src.numpy.manipulation import (  # noqa: F401
    append, apply_along_axis, apply_over_axes, array_equiv, atleast_3d, block, delete, dsplit, dstack, insert,
    packbits, piecewise, resize, rollaxis, rot90, row_stack, trim_zeros, unpackbits, unstack,
)
from jaxnc._src.numpy.polynomial import (  # noqa: F401
    poly, polyadd, polyder, polydiv, polyfit, polyint, polymul, polysub, polyval, roots,
)
from jaxnc._src.numpy.products import cross, kron, matvec, vecdot, vecmat  # noqa: F401
from jaxnc._src.numpy.setops import (  # noqa: F401
    in1d, intersect1d, isin, setdiff1d, setxor1d, union1d, unique, unique_all, unique_counts, unique_inverse,
    unique_values,
)
from jaxnc._src.numpy.sorting import (  # noqa: F401
    argpartition, argsort, lexsort, partition, searchsorted, sort, sort_complex,
)
from jaxnc._src.numpy.statistics import (  # noqa: F401
    average, bincount, corrcoef, cov, digitize, histogram, histogram2d, histogram_bin_edges, histogramdd, median,
    nanargmax, nanargmin, nancumprod, nancumsum, nanmax, nanmean, nanmedian, nanmin, nanpercentile, nanprod,
    nanquantile, nanstd, nansum, nanvar, percentile, ptp, quantile,
)
from jaxnc._src.numpy.vectorize import vectorize  # noqa: F401

round_ = round

from jaxnc.numpy import fft, linalg  # noqa: E402, F401

# Array methods (x.sort(), x.nonzero(), ...) forward to this namespace.
_array_methods._np.__dict__.update({k: v for k, v in globals().items() if not k.startswith("__")})
_array_methods._np.__dict__.update({k: v for k, v in vars(_lnp).items() if k.startswith("_") and not k.startswith("__")})

# NB: bound after the array methods took the plain functions, so `x + y` skips the ufunc's call layer.
from jaxnc._src.numpy.ufunc import frompyfunc, ufunc  # noqa: E402, F401
from jaxnc._src.numpy.ufunc import _make_ufuncs  # noqa: E402

_ufuncs = _make_ufuncs()
add, subtract, multiply, maximum, minimum = (_ufuncs[k] for k in ("add", "subtract", "multiply", "maximum", "minimum"))
logical_and, logical_or, logical_xor = _ufuncs["logical_and"], _ufuncs["logical_or"], _ufuncs["logical_xor"]
bitwise_and, bitwise_or, bitwise_xor = _ufuncs["bitwise_and"], _ufuncs["bitwise_or"], _ufuncs["bitwise_xor"]
true_divide = divide = _ufuncs["true_divide"]
arctan2 = atan2 = _ufuncs["arctan2"]
power = pow = _ufuncs["power"]  # noqa: A001
del _ufuncs
