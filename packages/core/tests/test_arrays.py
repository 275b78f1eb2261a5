"""Array behaviour against NumPy: operators, indexing, .at updates, methods, reading."""

import numpy as np
import pytest

import jaxnc as jax
import jaxnc.numpy as jnp

X = np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 7.5


@pytest.mark.parametrize(
    "op",
    ["__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__", "__rtruediv__",
     "__floordiv__", "__mod__", "__pow__", "__lt__", "__ge__", "__eq__", "__ne__"],
)  # fmt: skip
def test_operators_match_numpy(op):
    a = jnp.asarray(X)
    other = 3.0 if "pow" not in op else 2
    got = getattr(a, op)(other)
    want = getattr(X, op)(np.float32(other))
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6)


def test_matmul_unary_and_bitwise_operators():
    a = jnp.asarray(X[0])
    np.testing.assert_allclose(a @ a.T, X[0] @ X[0].T)
    np.testing.assert_allclose(X[0] @ a.T, X[0] @ X[0].T)
    np.testing.assert_allclose(-a, -X[0])
    np.testing.assert_allclose(abs(a), np.abs(X[0]))
    i = jnp.arange(6)
    np.testing.assert_array_equal((i & 3) | (i ^ 1), (np.arange(6) & 3) | (np.arange(6) ^ 1))
    np.testing.assert_array_equal(~i, ~np.arange(6))
    np.testing.assert_array_equal(i << 2, np.arange(6) << 2)


@pytest.mark.parametrize(
    "idx",
    [
        0, -1, (1, 2), (slice(None), 1), (Ellipsis, 0), (None, 0), (slice(None, None, -1),), (1, slice(0, 3, 2)),
        (slice(None), slice(None), slice(3, 0, -2)), np.array([1, 0, 1]), (0, np.array([2, 0])),
        (np.array([1, 0]), slice(None), np.array([3, 1])), (slice(None), np.array([[0, 1], [2, 2]])),
        X > 0, (0, X[0] > 0), (Ellipsis, np.array([0, 3])),
    ],
)  # fmt: skip
def test_indexing_matches_numpy(idx):
    np.testing.assert_array_equal(np.asarray(jnp.asarray(X)[idx]), X[idx])


def test_traced_integer_index_and_jit():
    a = jnp.asarray(X)
    f = jax.jit(lambda x, i: x[i, :, i])
    np.testing.assert_array_equal(f(a, 1), X[1, :, 1])
    g = jax.jit(lambda x, i: x[:, i])
    np.testing.assert_array_equal(g(a, jnp.asarray([2, 0])), X[:, [2, 0]])


@pytest.mark.parametrize("method", ["set", "add", "multiply", "min", "max"])
def test_at_updates_match_numpy(method):
    base = np.arange(10, dtype=np.float32)
    idx = np.array([1, 3, 3, 7])
    vals = np.array([5.0, -2.0, 4.0, 9.0], np.float32)
    got = getattr(jnp.asarray(base).at[idx], method)(vals)
    want = base.copy()
    ufunc = {"add": np.add, "multiply": np.multiply, "min": np.minimum, "max": np.maximum}.get(method)
    if ufunc is None:
        want[idx] = vals
    else:
        ufunc.at(want, idx, vals)
    if method == "set":  # duplicate index 3: any of its updates may win (as in JAX)
        assert float(got[3]) in (-2.0, 4.0)
        got, want = np.delete(np.asarray(got), 3), np.delete(want, 3)
    np.testing.assert_array_equal(np.asarray(got), want)


def test_at_slices_get_and_grad():
    a = jnp.zeros((3, 4))
    b = a.at[1:, ::2].set(1.0)
    want = np.zeros((3, 4), np.float32)
    want[1:, ::2] = 1.0
    np.testing.assert_array_equal(b, want)
    np.testing.assert_array_equal(a, np.zeros((3, 4)))  # inputs are never modified
    assert float(jnp.arange(5.0).at[10].get(mode="fill", fill_value=-1.0)) == -1.0
    g = jax.grad(lambda v: jnp.sum(jnp.zeros(5).at[jnp.array([0, 2, 2])].add(v) ** 2))(jnp.ones(3))
    np.testing.assert_allclose(g, [2.0, 4.0, 4.0])


def test_metadata_methods_and_reading():
    a = jnp.asarray(X)
    assert a.shape == (2, 3, 4) and a.ndim == 3 and a.size == 24 and a.dtype == np.float32
    np.testing.assert_array_equal(a.T, X.T)
    np.testing.assert_array_equal(a.mT, np.swapaxes(X, -1, -2))
    np.testing.assert_allclose(a.sum(axis=1), X.sum(axis=1))
    np.testing.assert_allclose(a.mean(), X.mean())
    np.testing.assert_array_equal(a.reshape(4, 6), X.reshape(4, 6))
    np.testing.assert_array_equal(a.astype(jnp.int32), X.astype(np.int32))
    np.testing.assert_array_equal(a.clip(-1, 1), X.clip(-1, 1))
    assert a.tolist() == X.tolist() and jnp.asarray(3.5).item() == 3.5
    assert a.device == jax.devices()[0] and a.block_until_ready() is a
    np.testing.assert_array_equal(np.from_dlpack(a), X)
    assert repr(jnp.asarray([1.0, 2.0])) == "Array([1., 2.], dtype=float32)"
    assert repr(jnp.asarray(2.0)) == "Array(2., dtype=float32, weak_type=True)"
    assert [float(r.sum()) for r in a] == [float(r.sum()) for r in X]
    with pytest.raises(ValueError, match="ambiguous"):
        bool(a)
    assert np.asarray(a).flags.writeable is False


def test_dot_of_vectors_is_a_scalar():
    # regression: dot_general with an empty output shape crashed in the NumPy impl
    a = np.arange(3, dtype=np.float32)
    assert float(jnp.dot(jnp.asarray(a), jnp.asarray(a))) == float(a @ a)
    assert jnp.dot(jnp.asarray(a), jnp.asarray(a)).shape == ()


def test_jaxnc_array_isinstance_covers_tracers():
    seen = []
    jax.jit(lambda y: seen.append(isinstance(y, jax.Array)) or y)(jnp.ones(2))
    assert seen == [True] and isinstance(jnp.ones(2), jax.Array) and not isinstance(np.ones(2), jax.Array)
    with pytest.raises(TypeError, match="device_put"):
        jax.Array()


def test_lax_div_rounds_toward_zero_including_int_min():
    # regression: the reference impl took abs() of INT_MIN, which overflows
    x = np.array([-7, 7, -7, 7, -(2**31), -(2**31), 5], np.int32)
    y = np.array([2, -2, -2, 2, -1, 3, 0], np.int32)
    got = np.asarray(jax.lax.div(jnp.asarray(x), jnp.asarray(y)))
    np.testing.assert_array_equal(got, [-3, -3, 3, 3, -(2**31), -715827882, -1])


VIEW_DTYPES = [np.float32, np.int8, np.uint8, np.int16, np.float16, np.uint32, np.bool_, np.int32]


@pytest.mark.parametrize("src", VIEW_DTYPES)
def test_view_matches_numpy_bits(src):
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((2, 8)) * 100).astype(src)
    for dst in VIEW_DTYPES:
        if dst == np.bool_ and src != np.bool_:
            continue  # NumPy's bool view of arbitrary bytes is not a valid bool array
        want = x.view(dst)
        for got in (jnp.asarray(x).view(dst), jax.jit(lambda v, dst=dst: v.view(dst))(jnp.asarray(x))):
            assert got.dtype == want.dtype and got.shape == want.shape
            np.testing.assert_array_equal(np.asarray(got).view(np.uint8), want.view(np.uint8))
    with pytest.raises(ValueError, match=r"multiple of 4; shape \(3,\)"):
        jnp.ones(3, jnp.uint8).view(jnp.float32)
    with pytest.raises(NotImplementedError, match="`type` argument"):
        jnp.ones(3).view(jnp.int32, type=np.ndarray)


def test_numpy_methods_and_zero_size_repr():
    x = np.arange(12, dtype=np.float32).reshape(3, 4)[::-1]
    a = jnp.asarray(x)
    np.testing.assert_array_equal(a.copy(), x)
    np.testing.assert_array_equal(a.ptp(axis=1), np.ptp(x, axis=1))
    np.testing.assert_array_equal(a[0].searchsorted(9.5), np.sort(x[0]).searchsorted(9.5))
    np.testing.assert_array_equal(a.compress([True, False, True], axis=0), x.compress([True, False, True], axis=0))
    np.testing.assert_array_equal(jnp.asarray([0, 1, 0]).choose([a[0, :3], a[1, :3]]), np.choose([0, 1, 0], [x[0, :3], x[1, :3]]))
    part = np.asarray(a.argpartition(1, axis=1))
    np.testing.assert_array_equal(np.take_along_axis(x, part, 1)[:, 1], np.sort(x, 1)[:, 1])
    assert a.tobytes() == x.tobytes() and a.to_device(jax.devices("cpu")[0]).device == jax.devices("cpu")[0]
    # as JAX prints them: the shape is named when there are no elements
    assert repr(jnp.zeros((0, 3))) == "Array([], shape=(0, 3), dtype=float32)"
    assert repr(jnp.zeros(0, jnp.int32)) == "Array([], shape=(0,), dtype=int32)"
