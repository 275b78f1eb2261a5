"""Sorting, searching, set operations and quantiles against NumPy, including jit (static size=) and vmap."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import jaxnc
import jaxnc.numpy as jnp

R = np.random.default_rng(1)


def test_sort_argsort_stable_descending():
    x = np.array([3, 1, 2, 1, 3, 0], np.int32)
    np.testing.assert_array_equal(jnp.sort(x), np.sort(x))
    np.testing.assert_array_equal(jnp.argsort(x), np.argsort(x, kind="stable"))
    # descending keeps ties in their original order (JAX), which is not NumPy's argsort(-x) for ints with ties
    np.testing.assert_array_equal(jnp.argsort(x, descending=True), [0, 4, 2, 1, 3, 5])
    np.testing.assert_array_equal(jnp.sort(x, descending=True), np.sort(x)[::-1])
    f = np.array([np.nan, 1.0, -np.inf, 0.0, -0.0, np.inf], np.float32)
    np.testing.assert_array_equal(jnp.sort(f), np.sort(f))
    x2 = R.standard_normal((3, 4)).astype(np.float32)
    np.testing.assert_array_equal(jnp.sort(x2, axis=None), np.sort(x2, axis=None))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(-5, 5), min_size=1, max_size=12), st.sampled_from(["left", "right"]))
def test_searchsorted_hypothesis(values, side):
    a = np.sort(np.asarray(values, np.int32))
    v = np.arange(-6, 7, dtype=np.int32)
    np.testing.assert_array_equal(jnp.searchsorted(a, v, side=side), np.searchsorted(a, v, side=side))
    np.testing.assert_array_equal(jnp.searchsorted(a, v, side=side, method="compare_all"), np.searchsorted(a, v, side=side))


def test_searchsorted_nan_and_sorter():
    a = np.array([0.0, 1.0, np.nan], np.float32)
    v = np.array([np.nan, 0.5, 2.0], np.float32)
    np.testing.assert_array_equal(jnp.searchsorted(a, v), np.searchsorted(a, v))
    b = np.array([3.0, 1.0, 2.0], np.float32)
    np.testing.assert_array_equal(jnp.searchsorted(b, v[1:], sorter=np.argsort(b)), np.searchsorted(b, v[1:], sorter=np.argsort(b)))


@pytest.mark.parametrize("dt", [np.float16, np.float32, "bfloat16"])
@pytest.mark.parametrize("side", ["left", "right"])
def test_searchsorted_float_keys_signed_zeros_infs_nans(dt, side):
    """Floats are searched through integer keys in NumPy's order: -0.0 == 0.0, NaNs equal and last."""
    dt = jnp.dtype(dt)
    a = np.array([-np.inf, -1.0, -0.0, 0.0, 0.0, 1.0, np.inf, np.nan, np.nan], np.float32)
    v = np.array([-np.inf, -2.0, -1.0, -0.0, 0.0, 0.5, 1.0, np.inf, np.nan, -np.nan, 3.0, -0.5], np.float32)
    ref = np.searchsorted(a, v, side=side)
    np.testing.assert_array_equal(jnp.searchsorted(a.astype(dt), v.astype(dt), side=side), ref)
    np.testing.assert_array_equal(jaxnc.jit(lambda p, q: jnp.searchsorted(p, q, side=side))(a.astype(dt), v.astype(dt)),
                                  ref)  # fmt: skip


def test_lexsort_sort_complex_partition():
    k1 = np.array([1, 0, 1, 0], np.int32)
    k2 = np.array([0, 0, 1, 1], np.int32)
    np.testing.assert_array_equal(jnp.lexsort((k1, k2)), np.lexsort((k1, k2)))
    z = np.array([1 + 2j, 1 - 1j, -3 + 0j], np.complex64)
    np.testing.assert_array_equal(jnp.sort_complex(z), np.sort_complex(z))
    x = R.standard_normal(9).astype(np.float32)
    p = np.asarray(jnp.partition(x, 4))
    assert np.all(p[:4] <= p[4]) and np.all(p[5:] >= p[4]) and p[4] == np.sort(x)[4]
    ip = np.asarray(jnp.argpartition(x, 2))
    assert x[ip[2]] == np.sort(x)[2]
    with pytest.raises(ValueError, match="out of bounds"):
        jnp.partition(x, 9)


def test_unique_family():
    x = np.array([[3, 1], [3, 2], [1, 1]], np.int32)
    vals, idx, inv, cnt = jnp.unique(x, return_index=True, return_inverse=True, return_counts=True)
    w = np.unique(x, return_index=True, return_inverse=True, return_counts=True)
    for a, b in zip((vals, idx, inv, cnt), w, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(jnp.unique(x, axis=0), np.unique(x, axis=0))
    f = np.array([np.nan, 1.0, np.nan], np.float32)
    np.testing.assert_array_equal(jnp.unique(f), np.unique(f))
    assert jnp.unique_values(np.array([2, 1, 2])).tolist() == [1, 2]
    assert jnp.unique_counts(np.array([2, 1, 2])).counts.tolist() == [1, 2]
    assert jnp.unique_all(np.array([2, 1, 2])).inverse_indices.tolist() == [1, 0, 1]


def test_unique_size_under_jit():
    f = jaxnc.jit(lambda a: jnp.unique(a, size=5, return_counts=True))
    vals, counts = f(np.array([4, 2, 4, 4], np.int32))
    assert vals.tolist() == [2, 4, 2, 2, 2] and counts.tolist() == [1, 3, 0, 0, 0]
    g = jaxnc.jit(lambda a: jnp.unique(a, size=2, fill_value=-1))
    assert g(np.array([5, 5, 5], np.int32)).tolist() == [5, -1]
    with pytest.raises(jaxnc.ConcretizationTypeError):
        jaxnc.jit(jnp.unique)(np.array([1, 2]))


def test_set_operations():
    a = np.array([5, 1, 3, 3, 7], np.int32)
    b = np.array([3, 9, 1, 1], np.int32)
    np.testing.assert_array_equal(jnp.union1d(a, b), np.union1d(a, b))
    np.testing.assert_array_equal(jnp.intersect1d(a, b), np.intersect1d(a, b))
    np.testing.assert_array_equal(jnp.setdiff1d(a, b), np.setdiff1d(a, b))
    np.testing.assert_array_equal(jnp.setxor1d(a, b), np.setxor1d(a, b))
    for got, want in zip(jnp.intersect1d(a, b, return_indices=True), np.intersect1d(a, b, return_indices=True), strict=True):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(jnp.isin(a, b), np.isin(a, b))
    big = np.arange(100, dtype=np.int32) * 3
    np.testing.assert_array_equal(jnp.isin(a, big, invert=True), np.isin(a, big, invert=True))
    f = jaxnc.jit(lambda u, v: jnp.setdiff1d(u, v, size=4, fill_value=0))
    assert f(a, b).tolist() == [5, 7, 0, 0]
    g = jaxnc.jit(lambda u, v: jnp.setxor1d(u, v, size=4, fill_value=-1))
    assert g(a, b).tolist() == [5, 7, 9, -1]


@pytest.mark.parametrize("method", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile_methods(method):
    x = R.standard_normal((4, 7)).astype(np.float32)
    q = np.array([0.0, 0.3, 0.5, 1.0], np.float32)
    np.testing.assert_allclose(jnp.quantile(x, q, axis=1, method=method), np.quantile(x, q, axis=1, method=method), rtol=1e-5)
    np.testing.assert_allclose(jnp.percentile(x, 40.0, axis=(0, 1), method=method, keepdims=True),
                               np.percentile(x, 40.0, axis=(0, 1), method=method, keepdims=True), rtol=1e-5)  # fmt: skip


def test_median_and_nan_quantiles():
    x = R.standard_normal((3, 6)).astype(np.float32)
    np.testing.assert_allclose(jnp.median(x, axis=0), np.median(x, axis=0), rtol=1e-6)
    x[0, 2] = np.nan
    np.testing.assert_allclose(jnp.median(x, axis=1), np.median(x, axis=1), rtol=1e-6)
    np.testing.assert_allclose(jnp.nanmedian(x, axis=1), np.nanmedian(x, axis=1), rtol=1e-6)
    np.testing.assert_allclose(jnp.nanpercentile(x, [10.0, 90.0], axis=1), np.nanpercentile(x, [10.0, 90.0], axis=1), rtol=1e-5)


def test_sorting_transformations():
    x = R.standard_normal((3, 5)).astype(np.float32)
    np.testing.assert_allclose(jaxnc.vmap(jnp.sort)(x), np.sort(x, axis=1))
    np.testing.assert_allclose(jaxnc.jit(lambda a: jnp.quantile(a, 0.25))(x), np.quantile(x, 0.25), rtol=1e-6)
    np.testing.assert_array_equal(jaxnc.vmap(lambda a: jnp.searchsorted(jnp.sort(a), 0.0))(x),
                                  [np.searchsorted(np.sort(r), 0.0) for r in x])  # fmt: skip
    jaxnc.testing.check_grads(lambda a: jnp.sort(a) * jnp.arange(5.0), (x[0],), order=1)
    jaxnc.testing.check_grads(lambda a: jnp.quantile(a, 0.3), (x[0],), order=1)
    jaxnc.testing.check_grads(lambda a: jnp.median(a, axis=0), (x,), order=1)
