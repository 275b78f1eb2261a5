"""Pytree helpers with short names (`optax.tree.norm`), as `optax.tree`."""

from jaxnc_optax._src.tree_casting import tree_cast as cast
from jaxnc_optax._src.tree_casting import tree_cast_like as cast_like
from jaxnc_optax._src.tree_casting import tree_dtype as dtype
from jaxnc_optax._src.tree_math import tree_add as add
from jaxnc_optax._src.tree_math import tree_add_scale as add_scale
from jaxnc_optax._src.tree_math import tree_allclose as allclose
from jaxnc_optax._src.tree_math import tree_batch_shape as batch_shape
from jaxnc_optax._src.tree_math import tree_bias_correction as bias_correction
from jaxnc_optax._src.tree_math import tree_clip as clip
from jaxnc_optax._src.tree_math import tree_conj as conj
from jaxnc_optax._src.tree_math import tree_div as div
from jaxnc_optax._src.tree_math import tree_full_like as full_like
from jaxnc_optax._src.tree_math import tree_max as max
from jaxnc_optax._src.tree_math import tree_min as min
from jaxnc_optax._src.tree_math import tree_mul as mul
from jaxnc_optax._src.tree_math import tree_norm as norm
from jaxnc_optax._src.tree_math import tree_ones_like as ones_like
from jaxnc_optax._src.tree_math import tree_real as real
from jaxnc_optax._src.tree_math import tree_scale as scale
from jaxnc_optax._src.tree_math import tree_size as size
from jaxnc_optax._src.tree_math import tree_sub as sub
from jaxnc_optax._src.tree_math import tree_sum as sum
from jaxnc_optax._src.tree_math import (
    tree_update_infinity_moment as update_infinity_moment,
)
from jaxnc_optax._src.tree_math import tree_update_moment as update_moment
from jaxnc_optax._src.tree_math import (
    tree_update_moment_per_elem_norm as update_moment_per_elem_norm,
)
from jaxnc_optax._src.tree_math import tree_vdot as vdot
from jaxnc_optax._src.tree_math import tree_where as where
from jaxnc_optax._src.tree_math import tree_zeros_like as zeros_like
from jaxnc_optax._src.tree_params import tree_map_params as map_params
from jaxnc_optax._src.tree_random import tree_random_like as random_like
from jaxnc_optax._src.tree_random import tree_split_key_like as split_key_like

__all__ = [
    "add",
    "add_scale",
    "allclose",
    "batch_shape",
    "bias_correction",
    "cast",
    "cast_like",
    "clip",
    "conj",
    "div",
    "dtype",
    "full_like",
    "map_params",
    "max",
    "min",
    "mul",
    "norm",
    "ones_like",
    "random_like",
    "real",
    "scale",
    "size",
    "split_key_like",
    "sub",
    "sum",
    "update_infinity_moment",
    "update_moment",
    "update_moment_per_elem_norm",
    "vdot",
    "where",
    "zeros_like",
]
