"""lax.reduce (monoid primitives and the general pairwise tree), reduce_xor, bitwise reduce_and/or and the small
lax compositions (collapse, batch_matmul, index_take, approx_max_k, ...) against NumPy; grads by finite
differences, vmap against a loop, jit against eager."""

import numpy as np
import pytest

import jaxnc
import jaxnc.numpy as jnp
from jaxnc import lax
from jaxnc.testing import check_grads

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4, 5)).astype(np.float32)
XI = RNG.integers(-(2**30), 2**30, (4, 7)).astype(np.int32)


def _add(a, b):  # a lambda is not a known monoid: it takes the general tree path
    return a + b


def _mul(a, b):
    return a * b


# computation, init, NumPy reduction (over a tuple of axes), operand
REDUCE_ROWS = [
    (lax.add, 0.0, np.sum, X),
    (_add, 0.0, np.sum, X),
    (lax.mul, 1.0, np.prod, X),
    (_mul, 1.0, np.prod, X),
    (lax.max, -np.inf, np.max, X),
    (lambda a, b: lax.max(a, b), -np.inf, np.max, X),
    (lambda a, b: lax.min(a, b), np.inf, np.min, X),
    (lax.bitwise_and, -1, np.bitwise_and.reduce, XI),
    (lax.bitwise_or, 0, np.bitwise_or.reduce, XI),
    (lambda a, b: lax.bitwise_and(a, b), -1, np.bitwise_and.reduce, XI),
]


@pytest.mark.parametrize("computation,init,ref,x", REDUCE_ROWS)
@pytest.mark.parametrize("dims", [(0,), (1,), (0, 1), None])
def test_reduce_matches_numpy(computation, init, ref, x, dims):
    dims = tuple(range(x.ndim)) if dims is None else dims
    expected = ref(x, axis=dims)
    got = lax.reduce(x, init, computation, dims)
    np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(jaxnc.jit(lambda v: lax.reduce(v, init, computation, dims))(x)), expected,
                               rtol=1e-5)  # fmt: skip


@pytest.mark.parametrize("computation", [lax.add, _add])
def test_reduce_folds_a_non_identity_init_once(computation):
    np.testing.assert_allclose(np.asarray(lax.reduce(X, 1.5, computation, (1,))), X.sum(1) + 1.5, rtol=1e-5)


def test_reduce_over_an_empty_axis_gives_init():
    np.testing.assert_array_equal(np.asarray(lax.reduce(np.zeros((0, 3), np.float32), 2.0, _add, (0,))), [2.0] * 3)


def _argmax_step(a, b):
    (va, ia), (vb, ib) = a, b
    pick = (va > vb) | ((va == vb) & (ia < ib))
    return lax.select(pick, va, vb), lax.select(pick, ia, ib)


@pytest.mark.parametrize("n", [1, 2, 5, 8, 13])
def test_variadic_reduce_is_argmax(n):
    x = np.round(RNG.standard_normal((6, n)), 1).astype(np.float32)  # rounded: ties, lowest index wins
    idx = np.broadcast_to(np.arange(n, dtype=np.int32), x.shape)
    v, i = lax.reduce((x, idx), (np.float32(-np.inf), np.int32(0)), _argmax_step, (1,))
    np.testing.assert_array_equal(np.asarray(i), x.argmax(1))
    np.testing.assert_array_equal(np.asarray(v), x.max(1))


def test_reduce_tree_keeps_the_order_of_a_non_commutative_computation():
    # 2x2 matrix products are associative, not commutative: the tree must combine left to right
    m = RNG.standard_normal((7, 2, 2))
    parts = [m[:, 0, 0], m[:, 0, 1], m[:, 1, 0], m[:, 1, 1]]

    def matmul(a, b):
        (a00, a01, a10, a11), (b00, b01, b10, b11) = a, b
        return (a00 * b00 + a01 * b10, a00 * b01 + a01 * b11, a10 * b00 + a11 * b10, a10 * b01 + a11 * b11)

    eye = (np.float64(1), np.float64(0), np.float64(0), np.float64(1))
    jaxnc.config.update("jax_enable_x64", True)
    try:
        got = lax.reduce(tuple(parts), eye, matmul, (0,))
    finally:
        jaxnc.config.update("jax_enable_x64", False)
    expected = np.linalg.multi_dot(list(m))
    np.testing.assert_allclose(np.array(got, np.float64).reshape(2, 2), expected, rtol=1e-5)


@pytest.mark.parametrize("computation,init", [(_add, 0.0), (lax.add, 0.0), (_mul, 1.0),
                                              (lambda a, b: lax.max(a, b), -np.inf)])  # fmt: skip
def test_reduce_grads(computation, init):
    x = np.asarray(RNG.standard_normal((3, 5)), np.float64)
    jaxnc.config.update("jax_enable_x64", True)
    try:
        check_grads(lambda v: lax.reduce(v, init, computation, (1,)), (x,), order=2)
    finally:
        jaxnc.config.update("jax_enable_x64", False)


def test_reduce_vmap_matches_a_loop():
    f = lambda v: lax.reduce(v, 0.0, _add, (1,))  # noqa: E731
    np.testing.assert_allclose(np.asarray(jaxnc.vmap(f)(X)), np.stack([np.asarray(f(r)) for r in X]), rtol=1e-6)


def test_reduce_errors():
    with pytest.raises(ValueError, match="distinct axes"):
        lax.reduce(X, 0.0, _add, (0, 0))
    with pytest.raises(ValueError, match="distinct axes"):
        lax.reduce(X, 0.0, _add, (3,))
    with pytest.raises(TypeError, match="tree structure"):
        lax.reduce((X, X), 0.0, _add, (0,))
    with pytest.raises(TypeError, match="one shape"):
        lax.reduce((X, X[0]), (0.0, 0.0), lambda a, b: a, (0,))
    with pytest.raises(TypeError, match="keep the operand dtypes"):
        lax.reduce(X, 0.0, lambda a, b: lax.convert_element_type(a + b, np.int32), (0,))


@pytest.mark.parametrize("dt", [np.int32, np.uint8, np.bool_])
def test_reduce_xor_and_or_are_bitwise(dt):
    x = RNG.integers(0, 2 if dt is np.bool_ else 200, (5, 6)).astype(dt)
    np.testing.assert_array_equal(np.asarray(lax.reduce_xor(x, (1,))), np.bitwise_xor.reduce(x, 1))
    # reduce_and/reduce_or on integers are bitwise (they gave 0/1, as np.all/np.any, before)
    np.testing.assert_array_equal(np.asarray(lax.reduce_and(x, (0,))), np.bitwise_and.reduce(x, 0))
    np.testing.assert_array_equal(np.asarray(lax.reduce_or(x, (0, 1))), np.bitwise_or.reduce(x, (0, 1)))
    with pytest.raises(TypeError, match="boolean or integer"):
        lax.reduce_xor(X, (0,))


def test_shape_helpers():
    assert lax.collapse(X, 1).shape == (3, 20)
    assert lax.collapse(X, 0, 2).shape == (12, 5)
    np.testing.assert_array_equal(np.asarray(lax.collapse(X, 0, 2)), X.reshape(12, 5))
    np.testing.assert_array_equal(np.asarray(lax.broadcast_to_rank(X, 5)), X[None, None])
    assert lax.broadcast_shapes((3, 1), (1, 4), (4,)) == (3, 4)
    with pytest.raises(ValueError, match="incompatible"):
        lax.broadcast_shapes((3,), (4,))
    with pytest.raises(ValueError, match="below the operand's rank"):
        lax.broadcast_to_rank(X, 2)
    np.testing.assert_array_equal(np.asarray(lax.zeros_like_array(XI)), np.zeros_like(XI))
    x, n = lax.optimization_barrier((X, 2.0))
    np.testing.assert_array_equal(np.asarray(x), X)
    assert float(n) == 2.0


def test_batch_matmul():
    y = X.transpose(0, 2, 1)
    np.testing.assert_allclose(np.asarray(lax.batch_matmul(X, y)), X @ y, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="equal batch shapes"):
        lax.batch_matmul(X, y[:2])


def test_dynamic_update_slice_in_dim_and_index_take():
    out = lax.dynamic_update_slice_in_dim(np.zeros((4, 5)), np.ones((4, 2)), 2, 1)
    np.testing.assert_array_equal(np.asarray(out), np.pad(np.ones((4, 2)), ((0, 0), (2, 1))))
    i0, i2 = np.array([0, -1, 2], np.int32), np.array([4, 0, -2], np.int32)
    np.testing.assert_array_equal(np.asarray(lax.index_take(X, (i0, i2), (0, 2))), X[i0, :, i2])
    np.testing.assert_array_equal(np.asarray(lax.index_take(X, (i2,), (2,))), np.moveaxis(X[:, :, i2], 2, 0))


@pytest.mark.parametrize("x", [X, XI], ids=["f32", "i32"])
def test_approx_top_k_is_exact(x):
    v, i = lax.approx_max_k(x, 2, reduction_dimension=1)
    np.testing.assert_array_equal(np.asarray(v), -np.sort(-x, axis=1, kind="stable")[:, :2])
    np.testing.assert_array_equal(np.asarray(i), np.argsort(-x, axis=1, kind="stable")[:, :2])
    v, i = lax.approx_min_k(x, 3)
    np.testing.assert_array_equal(np.asarray(v), np.sort(x, axis=-1)[..., :3])
    np.testing.assert_array_equal(np.asarray(i), np.argsort(x, axis=-1, kind="stable")[..., :3])


def test_max_min_order_signed_zeros_and_keep_nans():
    """XLA's max/min: -0.0 < +0.0 on a tie of zeros (NumPy returns either), NaN propagates."""
    a = np.array([0.0, -0.0, 0.0, -0.0, 1.0, np.nan], np.float32)
    b = np.array([-0.0, 0.0, 0.0, -0.0, np.nan, 2.0], np.float32)
    hi, lo = np.asarray(lax.max(a, b)), np.asarray(lax.min(a, b))
    np.testing.assert_array_equal(np.signbit(hi[:4]), [False, False, False, True])
    np.testing.assert_array_equal(np.signbit(lo[:4]), [True, True, False, True])
    assert np.isnan(hi[4:]).all() and np.isnan(lo[4:]).all()
    np.testing.assert_array_equal(np.asarray(lax.max(a[:4], np.float32(1.0))), [1.0] * 4)
    # a scalar zero operand (relu's, clip's), broadcast under jit: the ties are found from the other operand alone
    z = np.array([0.0, -0.0, 1.0, -0.0], np.float32)
    for f, zero, signs in ((jnp.maximum, -0.0, [False, True, False, True]), (jnp.maximum, 0.0, [False] * 4),
                           (jnp.minimum, 0.0, [False, True, False, True]), (jnp.minimum, -0.0, [True] * 4)):  # fmt: skip
        np.testing.assert_array_equal(np.signbit(np.asarray(jaxnc.jit(lambda v: f(v, zero))(z))), signs)
        np.testing.assert_array_equal(np.signbit(np.asarray(f(zero, z))), signs)


@pytest.mark.parametrize("dt", [np.float16, np.float32, "bfloat16"])
def test_argmax_argmin_pick_the_first_nan_then_the_first_extremum(dt):
    x = np.array([[1.0, np.nan, 3.0, np.nan], [2.0, 5.0, 5.0, -1.0], [-0.0, 0.0, -1.0, -1.0]], np.float32)
    x = x.astype(jnp.dtype(dt))
    np.testing.assert_array_equal(np.asarray(lax.argmax(x, 1, np.int32)), [1, 1, 0])
    np.testing.assert_array_equal(np.asarray(lax.argmin(x, 1, np.int32)), [1, 3, 2])
