"""Differential tests against NumPy over random shapes, broadcasting and dtypes (hypothesis).

Where JAX's semantics differ from NumPy's the comparison follows JAX and says so: results keep
jaxnc's (JAX's) dtype — e.g. int8 + Python int stays int8, float32 never widens to float64 — so the
NumPy result is cast to that dtype before comparing."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import jaxnc.numpy as jnp

SETTINGS = settings(max_examples=20, deadline=None, derandomize=True)
FLOAT_DTYPES = [np.float32]
INT_DTYPES = [np.int8, np.int32, np.uint8]

UNARY = [
    ("sin", "float"), ("cos", "float"), ("tanh", "float"), ("exp", "float"), ("log1p", "positive"),
    ("sqrt", "positive"), ("arctan", "float"), ("floor", "float"), ("abs", "any"), ("negative", "signed"),
    ("square", "any"), ("sign", "any"), ("isnan", "float"), ("log", "positive"), ("expm1", "float"),
]  # fmt: skip
BINARY = ["add", "subtract", "multiply", "maximum", "minimum", "less", "equal", "arctan2", "hypot", "logaddexp"]
REDUCTIONS = ["sum", "max", "min", "mean", "prod", "any", "all", "argmax", "argmin"]


def _values(draw_dtype, shape, domain="float"):
    if np.dtype(draw_dtype).kind == "f":
        lo = 0.125 if domain == "positive" else -3.0
        return hnp.arrays(draw_dtype, shape, elements=st.floats(lo, 3.0, width=32))
    info = np.iinfo(draw_dtype)
    return hnp.arrays(draw_dtype, shape, elements=st.integers(max(info.min, -20), min(info.max, 20)))


def _close(got, want):
    got = np.asarray(got)
    want = np.asarray(want).astype(got.dtype)  # JAX's result dtype decides
    if got.dtype.kind == "f":
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=1e-6, equal_nan=True)
    else:
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name,domain", UNARY)
@SETTINGS
@given(data=st.data())
def test_unary_matches_numpy(name, domain, data):
    dtypes_ = FLOAT_DTYPES if domain in ("float", "positive") else FLOAT_DTYPES + INT_DTYPES
    if domain == "signed":
        dtypes_ = [np.float32, np.int8, np.int32]
    dt = data.draw(st.sampled_from(dtypes_))
    x = data.draw(_values(dt, hnp.array_shapes(min_dims=0, max_dims=3, max_side=4), domain))
    _close(getattr(jnp, name)(x), getattr(np, name)(x))


@pytest.mark.parametrize("name", BINARY)
@SETTINGS
@given(data=st.data())
def test_binary_broadcasting_matches_numpy(name, data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=4))
    float_only = name in ("arctan2", "hypot", "logaddexp")
    dt = data.draw(st.sampled_from(FLOAT_DTYPES if float_only else FLOAT_DTYPES + [np.int32]))
    a = data.draw(_values(dt, shapes.input_shapes[0]))
    b = data.draw(_values(dt, shapes.input_shapes[1]))
    _close(getattr(jnp, name)(a, b), getattr(np, name)(a, b))


@pytest.mark.parametrize("name", REDUCTIONS)
@SETTINGS
@given(data=st.data())
def test_reductions_with_axis_and_keepdims_match_numpy(name, data):
    x = data.draw(_values(np.float32, hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)))
    axis = data.draw(st.none() | st.integers(-x.ndim, x.ndim - 1))
    kwargs = {} if name in ("argmax", "argmin") else {"keepdims": data.draw(st.booleans())}
    if name in ("argmax", "argmin") and axis is None:
        _close(getattr(jnp, name)(x), getattr(np, name)(x))
        return
    _close(getattr(jnp, name)(x, axis=axis, **kwargs), getattr(np, name)(x, axis=axis, **kwargs))


@SETTINGS
@given(data=st.data())
def test_python_scalars_are_weak_like_jax(data):
    # JAX (unlike NumPy 1 value-based casting) keeps the array's dtype for Python scalars of the same kind
    dt = data.draw(st.sampled_from([np.int8, np.uint8, np.int16, np.float16, np.float32]))
    x = data.draw(_values(dt, hnp.array_shapes(max_dims=2, max_side=3)))
    scalar = 3 if np.dtype(dt).kind in "iu" else 1.5
    out = jnp.asarray(x) * scalar
    assert out.dtype == np.dtype(dt)
    _close(out, x.astype(np.float64) * scalar)
