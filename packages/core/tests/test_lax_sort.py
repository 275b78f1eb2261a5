"""lax.sort / sort_key_val / top_k and the argsort helper: NumPy oracles, gradients, vmap, jit."""

import numpy as np
import pytest

import jaxnc
from jaxnc import lax
from jaxnc._src.lax.sorting import argsort
from jaxnc.testing import check_grads


def _with_nans(rng, shape):
    x = rng.integers(-3, 4, shape).astype(np.float32)  # many ties
    x[rng.random(shape) < 0.15] = np.nan
    x[rng.random(shape) < 0.1] = -0.0
    x[rng.random(shape) < 0.05] = -np.inf
    return x


@pytest.mark.parametrize("shape,dim", [((7,), 0), ((4, 5), 0), ((4, 5), 1), ((2, 3, 4), 1), ((2, 3, 4), -1)])
def test_sort_matches_numpy_nan_order(shape, dim):
    x = _with_nans(np.random.default_rng(0), shape)
    np.testing.assert_array_equal(np.asarray(lax.sort(x, dimension=dim)), np.sort(x, axis=dim))


@pytest.mark.parametrize("dtype", [np.int32, np.uint8, np.bool_, np.float16])
def test_sort_dtypes(dtype):
    x = np.random.default_rng(1).integers(0, 5, (3, 6)).astype(dtype)
    np.testing.assert_array_equal(np.asarray(lax.sort(x)), np.sort(x, axis=-1))


def test_sort_multi_operand_num_keys():
    rng = np.random.default_rng(2)
    k0, k1 = (
        rng.integers(0, 3, (2, 9)).astype(np.int32),
        rng.integers(0, 3, (2, 9)).astype(np.float32),
    )
    v = rng.standard_normal((2, 9)).astype(np.float32)
    perm = np.lexsort((k1, k0), axis=-1)  # k0 primary, k1 secondary; stable
    out = lax.sort((k0, k1, v), num_keys=2)
    for got, x in zip(out, (k0, k1, v), strict=True):
        np.testing.assert_array_equal(np.asarray(got), np.take_along_axis(x, perm, -1))
    # num_keys=1: values ride along, ties keep their order (stable)
    _, sv = lax.sort_key_val(k0, v)
    perm1 = np.argsort(k0, axis=-1, kind="stable")
    np.testing.assert_array_equal(np.asarray(sv), np.take_along_axis(v, perm1, -1))


@pytest.mark.parametrize("descending", [False, True])
def test_argsort_stable(descending):
    x = _with_nans(np.random.default_rng(3), (3, 10))
    got = np.asarray(argsort(x, descending=descending))
    if descending:
        # JAX: descending order, ties in original order, NaNs first
        want = np.flip(np.argsort(np.flip(x, -1), axis=-1, kind="stable"), -1)
        want = x.shape[-1] - 1 - want
    else:
        want = np.argsort(x, axis=-1, kind="stable")
    np.testing.assert_array_equal(got, want)


def test_top_k_matches_numpy():
    rng = np.random.default_rng(4)
    x = rng.integers(0, 4, (3, 8)).astype(np.float32)
    v, i = lax.top_k(x, 3)
    want_i = np.argsort(-x, axis=-1, kind="stable")[:, :3]  # ties: lower index first
    np.testing.assert_array_equal(np.asarray(i), want_i)
    np.testing.assert_array_equal(np.asarray(v), np.take_along_axis(x, want_i, -1))
    assert np.asarray(i).dtype == np.int32
    vn, _ = lax.top_k(np.array([1.0, np.nan, 3.0], np.float32), 2)
    assert np.isnan(np.asarray(vn)[0]) and np.asarray(vn)[1] == 3.0  # NaN ranks above +inf, as in XLA


def test_sort_errors_name_the_problem():
    with pytest.raises(TypeError, match="same shape"):
        lax.sort((np.zeros(3), np.zeros(4)))
    with pytest.raises(TypeError, match="num_keys"):
        lax.sort((np.zeros(3),), num_keys=2)
    with pytest.raises(ValueError, match="k=5"):
        lax.top_k(np.zeros(3), 5)


def test_sort_grads():
    x = np.random.default_rng(5).permutation(12).astype(np.float32).reshape(3, 4) / 3
    check_grads(lambda x: lax.sort(x, dimension=0), (x,), order=2)
    check_grads(lambda x, v: lax.sort_key_val(x, v)[1], (x, x * 2 + 1), order=1)
    check_grads(lambda x: lax.top_k(x, 2)[0], (x,), order=2)


def test_sort_vmap_matches_loop():
    rng = np.random.default_rng(6)
    k, v = (
        rng.integers(0, 3, (4, 2, 5)).astype(np.float32),
        rng.standard_normal((4, 2, 5)).astype(np.float32),
    )

    def f(k, v):
        return lax.sort((k, v), dimension=0, num_keys=1)

    got = jaxnc.vmap(f, in_axes=(2, None))(k, v[..., 0])
    for b in range(5):
        want = f(k[..., b], v[..., 0])
        for g, w in zip(got, want, strict=True):
            np.testing.assert_array_equal(np.asarray(g)[b], np.asarray(w))
    gv, gi = jaxnc.vmap(lambda x: lax.top_k(x, 2), in_axes=2)(k)
    for b in range(5):
        wv, wi = lax.top_k(k[..., b], 2)
        np.testing.assert_array_equal(np.asarray(gi)[b], np.asarray(wi))
        np.testing.assert_array_equal(np.asarray(gv)[b], np.asarray(wv))


def test_sort_jit_matches_eager():
    x = _with_nans(np.random.default_rng(7), (3, 6))

    def f(x):
        return lax.sort(x, 0), argsort(x, 1, descending=True), lax.top_k(x, 3)

    for a, b in zip(jaxnc.tree.leaves(jaxnc.jit(f)(x)), jaxnc.tree.leaves(f(x)), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
