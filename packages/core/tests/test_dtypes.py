"""JAX's promotion lattice with weak types, x64 canonicalization, and the dtype set."""

import ml_dtypes
import numpy as np
import pytest

import jaxnc as jax
import jaxnc.numpy as jnp
from jaxnc._src import dtypes

# (left, right, expected) from JAX's type promotion table (jax.numpy.promote_types / JEP 9407).
PROMOTIONS = [
    (np.uint8, np.int8, np.int16),
    (np.uint8, np.uint16, np.uint16),
    (np.int16, np.uint16, np.int32),
    (np.bool_, np.int8, np.int8),
    (np.float16, ml_dtypes.bfloat16, np.float32),
    (np.int32, np.float16, np.float16),
    (np.uint32, np.float32, np.float32),
    (np.float32, np.complex64, np.complex64),
    (np.uint64, np.int8, np.float64),  # u64 and a signed int meet at the weak float: float64, not canonicalized
]


@pytest.mark.parametrize("a,b,want", PROMOTIONS)
def test_promote_types(a, b, want):
    assert jnp.promote_types(a, b) == np.dtype(want)
    assert jnp.promote_types(b, a) == np.dtype(want)


def test_weak_types_follow_jax():
    x = jnp.ones(3, jnp.float16)
    assert (x * 2).dtype == np.float16 and (x * 2.0).dtype == np.float16
    i8 = jnp.ones(3, jnp.int8)
    assert (i8 + 1).dtype == np.int8
    assert (i8 * 1.5).dtype == np.float32 and (i8 * 1.5).weak_type
    assert jnp.asarray(2.0).weak_type and not jnp.ones(2).weak_type
    assert (jnp.arange(3) + 2.5).dtype == np.float32
    b = jnp.asarray([True, False])
    assert (b + b).dtype == np.bool_ and (b + 1).dtype == np.int32
    assert jnp.result_type(1, 2.0) == np.float32


def test_x64_switch():
    assert jnp.asarray(np.float64(1.0)).dtype == np.float32
    jax.config.update("jax_enable_x64", True)
    try:
        assert jnp.asarray(1.0).dtype == np.float64
        assert jnp.arange(3).dtype == np.int64
        assert (jnp.ones(2, jnp.float32) * 2.0).dtype == np.float32
        f = jax.jit(lambda x: x * 2)
        assert f(1.0).dtype == np.float64
    finally:
        jax.config.update("jax_enable_x64", False)
    assert jnp.asarray(1.0).dtype == np.float32


@pytest.mark.parametrize("dt", dtypes.SUPPORTED)
def test_every_dtype_round_trips(dt):
    x = np.arange(4).astype(dt)
    got = np.asarray(jnp.asarray(x))
    want = x.astype(dtypes.canonicalize_dtype(dt))
    np.testing.assert_array_equal(got, want)
    assert got.dtype == want.dtype


def test_unsupported_dtype_is_named():
    with pytest.raises(TypeError, match="cannot hold strings"):
        jnp.asarray(np.array(["a"]))
    with pytest.raises(TypeError, match="datetime64"):
        dtypes.canonicalize_dtype(np.dtype("datetime64[s]"))


def test_finfo_iinfo():
    assert jnp.finfo(jnp.bfloat16).bits == 16
    assert jnp.iinfo(jnp.int8).max == 127
