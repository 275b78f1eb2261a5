"""jaxnc.lax: primitive-level operations (`from jaxnc import lax`)."""

from jaxnc._src.lax.lax import (  # noqa: F401
    abs, acos, acosh, add, argmax, argmin, asin, asinh, atan, atan2, atanh, bitcast_convert_type, bitwise_and,
    bitwise_not, bitwise_or, bitwise_xor, broadcast, broadcast_in_dim, broadcasted_iota, cbrt, ceil, clamp, clz,
    complex_ as complex, concatenate, conj, convert_element_type, cos, cosh, cumlogsumexp, cummax, cummin, cumprod,
    cumsum, div, dot, dot_general, eq, erf, erf_inv, erfc, exp, exp2, expand_dims, expm1, floor, full, full_like, ge,
    gt, imag, index_in_dim, integer_pow, iota, is_finite, le, log, log1p, logistic, lt, max, min, mul, ne, neg,
    nextafter, pad, population_count, pow, real, reduce_and, reduce_max, reduce_min, reduce_or, reduce_precision,
    reduce_prod, reduce_sum, rem, reshape, rev, round, rsqrt, select, select_n, shift_left, shift_right_arithmetic,
    shift_right_logical, sign, sin, sinh, slice, slice_in_dim, sqrt, square, squeeze, stop_gradient, sub, tan, tanh,
    transpose, zeros_like_array, broadcast_to_rank, collapse, batch_matmul, optimization_barrier, broadcast_shapes,
)
from jaxnc._src.lax.slicing import (  # noqa: F401
    GatherDimensionNumbers, GatherScatterMode, ScatterDimensionNumbers, dynamic_index_in_dim, dynamic_slice,
    dynamic_slice_in_dim, dynamic_update_index_in_dim, dynamic_update_slice, dynamic_update_slice_in_dim, gather,
    index_take, scatter, scatter_add, scatter_max, scatter_min, scatter_mul,
)

from jaxnc._src.lax.lax import Precision, RoundingMethod  # noqa: F401, E402
from jaxnc._src.lax.sorting import approx_max_k, approx_min_k, sort, sort_key_val, top_k  # noqa: F401
from jaxnc._src.lax.reductions import reduce, reduce_xor  # noqa: F401
from jaxnc._src.lax.convolution import (  # noqa: F401
    ConvDimensionNumbers, conv, conv_dimension_numbers, conv_general_dilated, conv_general_dilated_patches, conv_transpose,
    conv_with_general_padding,
)
from jaxnc._src.lax.windowed import reduce_window, reduce_window_max, reduce_window_min, reduce_window_sum  # noqa: F401
from jaxnc._src.lax.control_flow import (
    associative_scan, cond, fori_loop, map, scan, switch, while_loop,
)
from jaxnc.lax import linalg  # noqa: F401
from jaxnc._src.lax.fft import FftType, fft  # noqa: F401
from jaxnc._src.lax.special import (  # noqa: F401
    bessel_i0e, bessel_i1e, betainc, digamma, igamma, igamma_grad_a, igammac, lgamma, polygamma, random_gamma_grad, zeta,
)
