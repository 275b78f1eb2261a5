"""jnp breadth against NumPy: one row per function (elementwise, creation, shape, indexing, statistics, calculus)."""

import numpy as np
import pytest

import jaxnc
import jaxnc.numpy as jnp

R = np.random.default_rng(0)
X = R.standard_normal((3, 4)).astype(np.float32)
V = R.standard_normal(6).astype(np.float32)
I = R.integers(-6, 7, (3, 4)).astype(np.int32)  # noqa: E741
P = R.uniform(0.5, 2.0, (3, 4)).astype(np.float32)
NAN = np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, np.nan], [2.0, 0.5, np.nan]], np.float32)

# (id, jaxnc function, NumPy oracle, args)
ROWS = [
    ("fmax", jnp.fmax, np.fmax, (NAN, np.float32(1.5))),
    ("fmin", jnp.fmin, np.fmin, (NAN, np.float32(1.5))),
    ("logaddexp2", jnp.logaddexp2, np.logaddexp2, (X, P)),
    ("sinc", jnp.sinc, np.sinc, (np.array([0.0, 0.5, -1.5, 2.0], np.float32),)),
    ("heaviside", jnp.heaviside, np.heaviside, (np.array([-1.0, 0.0, 2.0], np.float32), np.float32(0.5))),
    ("frexp", lambda x: jnp.frexp(x)[0], lambda x: np.frexp(x)[0], (np.array([8.0, 0.75, -3.0, 0.0, 1e-40], np.float32),)),
    ("frexp_exp", lambda x: jnp.frexp(x)[1], lambda x: np.frexp(x)[1], (np.array([8.0, 0.75, -3.0, 0.0, 1e-40], np.float32),)),
    ("ldexp", jnp.ldexp, np.ldexp, (X, I)),
    ("modf", lambda x: jnp.modf(x)[0], lambda x: np.modf(x)[0], (X * 3,)),
    ("gcd", jnp.gcd, np.gcd, (I, np.int32(12))),
    ("lcm", jnp.lcm, np.lcm, (I, np.int32(4))),
    ("spacing", jnp.spacing, np.spacing, (X,)),
    ("i0", jnp.i0, np.i0, (X * 4,)),
    ("bitwise_count", jnp.bitwise_count, np.bitwise_count, (I,)),
    ("isreal", jnp.isreal, np.isreal, (np.array([1 + 0j, 1j], np.complex64),)),
    ("logspace", lambda: jnp.logspace(0, 2, 5), lambda: np.logspace(0, 2, 5), ()),
    ("geomspace", lambda: jnp.geomspace(1, 1000, 4), lambda: np.geomspace(1, 1000, 4), ()),
    ("vander", lambda x: jnp.vander(x, 4), lambda x: np.vander(x, 4), (V,)),
    ("indices", lambda: jnp.indices((2, 3)), lambda: np.indices((2, 3)), ()),
    ("mgrid", lambda: jnp.mgrid[0:3, 0:1:3j], lambda: np.mgrid[0:3, 0:1:3j], ()),
    ("ogrid", lambda: jnp.ogrid[0:3, 0:2][1], lambda: np.ogrid[0:3, 0:2][1], ()),
    ("r_", lambda: jnp.r_[jnp.array([1, 2]), 0, 3:5], lambda: np.r_[np.array([1, 2]), 0, 3:5], ()),
    ("c_", lambda: jnp.c_[jnp.array([1, 2]), jnp.array([3, 4])], lambda: np.c_[np.array([1, 2]), np.array([3, 4])], ()),
    ("tril_indices", lambda: jnp.tril_indices(3, 1, 4)[1], lambda: np.tril_indices(3, 1, 4)[1], ()),
    ("diagflat", jnp.diagflat, np.diagflat, (X[:2, :2],)),
    ("hanning", lambda: jnp.hanning(5), lambda: np.hanning(5), ()),
    ("kaiser", lambda: jnp.kaiser(6, 3.0), lambda: np.kaiser(6, 3.0), ()),
    ("rot90", lambda x: jnp.rot90(x, 3), lambda x: np.rot90(x, 3), (X,)),
    ("block", lambda x: jnp.block([[x, x], [x, x]]), lambda x: np.block([[x, x], [x, x]]), (X,)),
    ("dstack", lambda x: jnp.dstack([x, x]), lambda x: np.dstack([x, x]), (X,)),
    ("insert", lambda x: jnp.insert(x, 1, 5.0, axis=1), lambda x: np.insert(x, 1, 5.0, axis=1), (X,)),
    ("insert_seq", lambda x: jnp.insert(x, [0, 2, 2], -1.0), lambda x: np.insert(x, [0, 2, 2], -1.0), (V,)),
    ("delete", lambda x: jnp.delete(x, [0, 2], axis=1), lambda x: np.delete(x, [0, 2], axis=1), (X,)),
    ("append", lambda x: jnp.append(x, x, axis=0), lambda x: np.append(x, x, axis=0), (X,)),
    ("resize", lambda x: jnp.resize(x, (5, 3)), lambda x: np.resize(x, (5, 3)), (X,)),
    ("trim_zeros", lambda: jnp.trim_zeros(jnp.array([0, 1, 0, 2, 0])), lambda: np.trim_zeros(np.array([0, 1, 0, 2, 0])), ()),
    ("rollaxis", lambda x: jnp.rollaxis(x[None], 2), lambda x: np.rollaxis(x[None], 2), (X,)),
    ("packbits", lambda x: jnp.packbits(x > 0, axis=1), lambda x: np.packbits(x > 0, axis=1), (X,)),
    ("unpackbits", lambda: jnp.unpackbits(jnp.array([5, 200], jnp.uint8)), lambda: np.unpackbits(np.array([5, 200], np.uint8)), ()),
    ("apply_along_axis", lambda x: jnp.apply_along_axis(lambda v: v[:2] * v[-1], 1, x),
     lambda x: np.apply_along_axis(lambda v: v[:2] * v[-1], 1, x), (X,)),
    ("piecewise", lambda x: jnp.piecewise(x, [x < 0, x >= 0], [lambda v: -v, lambda v: v * 2]),
     lambda x: np.piecewise(x, [x < 0, x >= 0], [lambda v: -v, lambda v: v * 2]), (X,)),
    ("put_along_axis", lambda x: jnp.put_along_axis(x, jnp.array([[0], [2], [1]]), 9.0, 1, inplace=False),
     lambda x: _np_put_along(x), (X,)),
    ("choose", lambda i: jnp.choose(i, [jnp.zeros(4), jnp.ones(4) * 5]), lambda i: np.choose(i, [np.zeros(4), np.ones(4) * 5]),
     (np.array([0, 1, 1, 0]),)),
    ("compress", lambda x: jnp.compress(jnp.array([True, False, True]), x, axis=0),
     lambda x: np.compress([True, False, True], x, axis=0), (X,)),
    ("extract", lambda x: jnp.extract(x > 0, x, size=12, fill_value=-1), lambda x: _pad(np.extract(x > 0, x), 12, -1), (X,)),
    ("place", lambda x: jnp.place(x, x > 0, jnp.array([7.0, 8.0]), inplace=False), lambda x: _np_place(x), (X,)),
    ("unravel_index", lambda: jnp.stack(jnp.unravel_index(jnp.array([5, 11]), (3, 4))),
     lambda: np.stack(np.unravel_index([5, 11], (3, 4))), ()),
    ("ravel_multi_index", lambda: jnp.ravel_multi_index((jnp.array([1, 2]), jnp.array([3, 0])), (3, 4)),
     lambda: np.ravel_multi_index((np.array([1, 2]), np.array([3, 0])), (3, 4)), ()),
    ("fill_diagonal", lambda x: jnp.fill_diagonal(x, 0.0, inplace=False), lambda x: _np_fill(x), (X,)),
    ("flatnonzero", lambda x: jnp.flatnonzero(x > 0), lambda x: np.flatnonzero(x > 0), (X,)),
    ("nansum", lambda x: jnp.nansum(x, axis=1), lambda x: np.nansum(x, axis=1), (NAN,)),
    ("nanmean", lambda x: jnp.nanmean(x, axis=0), lambda x: np.nanmean(x, axis=0), (NAN,)),
    ("nanvar", lambda x: jnp.nanvar(x, axis=1, ddof=1), lambda x: np.nanvar(x, axis=1, ddof=1), (NAN[[0, 2]],)),
    ("nanmax", lambda x: jnp.nanmax(x, axis=1), lambda x: np.nanmax(x, axis=1), (NAN,)),
    ("nanargmin", lambda x: jnp.nanargmin(x, axis=1), lambda x: np.nanargmin(x, axis=1), (NAN[[0, 2]],)),
    ("nancumsum", jnp.nancumsum, np.nancumsum, (NAN,)),
    ("nanprod", jnp.nanprod, np.nanprod, (NAN,)),
    ("ptp", lambda x: jnp.ptp(x, axis=0), lambda x: np.ptp(x, axis=0), (X,)),
    ("average", lambda x: jnp.average(x, axis=1, weights=jnp.arange(1.0, 5.0)),
     lambda x: np.average(x, axis=1, weights=np.arange(1.0, 5.0)), (X,)),
    ("cov", jnp.cov, np.cov, (X,)),
    ("cov_aweights", lambda x: jnp.cov(x, aweights=jnp.arange(1.0, 5.0)), lambda x: np.cov(x, aweights=np.arange(1.0, 5.0)), (X,)),
    ("corrcoef", jnp.corrcoef, np.corrcoef, (X,)),
    ("bincount", lambda: jnp.bincount(jnp.array([0, 1, 1, 5]), jnp.array([1.0, 2.0, 3.0, 4.0]), minlength=7),
     lambda: np.bincount([0, 1, 1, 5], [1.0, 2.0, 3.0, 4.0], minlength=7), ()),
    ("digitize", lambda x: jnp.digitize(x, jnp.array([-1.0, 0.0, 1.0])), lambda x: np.digitize(x, [-1.0, 0.0, 1.0]), (X,)),
    ("digitize_desc", lambda x: jnp.digitize(x, jnp.array([1.0, 0.0, -1.0]), right=True),
     lambda x: np.digitize(x, [1.0, 0.0, -1.0], right=True), (X,)),
    ("histogram", lambda x: jnp.histogram(x, 5)[0], lambda x: np.histogram(x, 5)[0], (X,)),
    ("histogram_density", lambda x: jnp.histogram(x, 4, range=(-1, 1), density=True)[0],
     lambda x: np.histogram(x, 4, range=(-1, 1), density=True)[0], (X,)),
    ("histogram2d", lambda x: jnp.histogram2d(x[0], x[1], 3)[0], lambda x: np.histogram2d(x[0], x[1], 3)[0], (X,)),
    ("diff", lambda x: jnp.diff(x, 2, axis=1, prepend=0.0), lambda x: np.diff(x, 2, axis=1, prepend=0.0), (X,)),
    ("ediff1d", lambda x: jnp.ediff1d(x, to_begin=jnp.array([9.0])), lambda x: np.ediff1d(x, to_begin=[9.0]), (V,)),
    ("gradient", lambda x: jnp.gradient(x)[1], lambda x: np.gradient(x)[1], (X,)),
    ("gradient_coords", lambda x: jnp.gradient(x, jnp.array([0.0, 1.0, 3.0, 3.5]), axis=1),
     lambda x: np.gradient(x, np.array([0.0, 1.0, 3.0, 3.5]), axis=1), (X,)),
    ("trapezoid", lambda x: jnp.trapezoid(x, dx=0.5), lambda x: np.trapezoid(x, dx=0.5), (X,)),
    ("trapezoid_x", lambda x: jnp.trapezoid(x, jnp.array([0.0, 1.0, 3.0, 3.5])), lambda x: np.trapezoid(x, np.array([0.0, 1.0, 3.0, 3.5])), (X,)),
    ("interp", lambda x: jnp.interp(x, jnp.array([-1.0, 0.0, 2.0]), jnp.array([0.0, 1.0, -1.0]), left=-9.0),
     lambda x: np.interp(x, [-1.0, 0.0, 2.0], [0.0, 1.0, -1.0], left=-9.0), (X * 2,)),
    ("interp_period", lambda x: jnp.interp(x, jnp.array([0.0, 1.0, 2.0]), jnp.array([0.0, 1.0, 4.0]), period=3.0),
     lambda x: np.interp(x, [0.0, 1.0, 2.0], [0.0, 1.0, 4.0], period=3.0), (X * 2,)),
    ("unwrap", lambda x: jnp.unwrap(x * 4), lambda x: np.unwrap(x * 4), (X,)),
    ("convolve", lambda x: jnp.convolve(x, jnp.array([1.0, -2.0, 0.5])), lambda x: np.convolve(x, [1.0, -2.0, 0.5]), (V,)),
    ("convolve_same", lambda x: jnp.convolve(jnp.array([1.0, 2.0]), x, "same"), lambda x: np.convolve([1.0, 2.0], x, "same"), (V,)),
    ("correlate", lambda x: jnp.correlate(x, jnp.array([1.0, 2.0]), "full"), lambda x: np.correlate(x, [1.0, 2.0], "full"), (V,)),
    ("correlate_swap", lambda x: jnp.correlate(jnp.array([1.0, 2.0]), x, "full"), lambda x: np.correlate([1.0, 2.0], x, "full"), (V,)),
    ("kron", jnp.kron, np.kron, (X[:2, :2], X[1:, 2:])),
    ("cross", lambda x: jnp.cross(x[:, :3], x[:, 1:]), lambda x: np.cross(x[:, :3], x[:, 1:]), (X,)),
    ("vecdot", lambda x: jnp.vecdot(x, x[0]), lambda x: np.vecdot(x, x[0]), (X,)),
    ("matvec", lambda x: jnp.matvec(x, x[0]), lambda x: x @ x[0], (X,)),
    ("vecmat", lambda x: jnp.vecmat(x[:, 0], x), lambda x: x[:, 0] @ x, (X,)),
    ("einsum_path", lambda a, b, c: jnp.einsum("ij,jk,kl->il", a, b, c, optimize="greedy"),
     lambda a, b, c: np.einsum("ij,jk,kl->il", a, b, c), (X, X.T, X)),
    ("einsum_ellipsis", lambda a, b: jnp.einsum("...ij,...jk->...ik", a, b), lambda a, b: np.einsum("...ij,...jk->...ik", a, b),
     (np.stack([X, X]), X.T)),
    ("einsum_trace", lambda a: jnp.einsum("ii->", a[:, :3]), lambda a: np.einsum("ii->", a[:, :3]), (X,)),
    ("einsum_interleaved", lambda a, b: jnp.einsum(a, [0, 1], b, [1, 2], [0, 2]), lambda a, b: np.einsum(a, [0, 1], b, [1, 2], [0, 2]),
     (X, X.T)),
    ("polyval", lambda x: jnp.polyval(jnp.array([1.0, -2.0, 3.0]), x), lambda x: np.polyval([1.0, -2.0, 3.0], x), (X,)),
    ("polyadd", lambda: jnp.polyadd(jnp.array([1.0, 2.0]), jnp.array([3.0, 4.0, 5.0])), lambda: np.polyadd([1.0, 2.0], [3.0, 4.0, 5.0]), ()),
    ("polymul", lambda: jnp.polymul(jnp.array([1.0, 2.0]), jnp.array([3.0, 4.0, 5.0])), lambda: np.polymul([1.0, 2.0], [3.0, 4.0, 5.0]), ()),
    ("polymul_int", lambda: jnp.polymul(jnp.array([1, 2]), jnp.array([3, 4, 5])), lambda: np.polymul([1, 2], [3, 4, 5]), ()),
    ("polydiv", lambda: jnp.polydiv(jnp.array([1.0, 5.0, 6.0]), jnp.array([1.0, 2.0]))[0], lambda: np.polydiv([1.0, 5.0, 6.0], [1.0, 2.0])[0], ()),
    ("polyder", lambda: jnp.polyder(jnp.array([1.0, 2.0, 3.0, 4.0]), 2), lambda: np.polyder([1.0, 2.0, 3.0, 4.0], 2), ()),
    ("polyint", lambda: jnp.polyint(jnp.array([3.0, 2.0, 1.0]), k=5.0), lambda: np.polyint([3.0, 2.0, 1.0], k=5.0), ()),
    ("poly", lambda: jnp.poly(jnp.array([1.0, 2.0, -3.0])), lambda: np.poly([1.0, 2.0, -3.0]), ()),
    ("polyfit", lambda x: jnp.polyfit(jnp.arange(6.0), x, 2), lambda x: np.polyfit(np.arange(6.0), x, 2), (V,)),
    ("roots", lambda: jnp.sort_complex(jnp.roots(jnp.array([1.0, -6.0, 11.0, -6.0, 0.0]))),
     lambda: np.sort_complex(np.roots([1.0, -6.0, 11.0, -6.0, 0.0])), ()),
    ("array_equiv", lambda x: jnp.array_equiv(x, x[:1]), lambda x: np.array_equiv(x, x[:1]), (X,)),
]


def _pad(v, n, fill):
    return np.concatenate([v, np.full(n - len(v), fill, v.dtype)])


def _np_put_along(x):
    out = x.copy()
    np.put_along_axis(out, np.array([[0], [2], [1]]), 9.0, 1)
    return out


def _np_place(x):
    out = x.copy()
    np.place(out, out > 0, [7.0, 8.0])
    return out


def _np_fill(x):
    out = x.copy()
    np.fill_diagonal(out, 0.0)
    return out


@pytest.mark.parametrize("name,fn,np_fn,args", ROWS, ids=[r[0] for r in ROWS])
def test_against_numpy(name, fn, np_fn, args):
    got = fn(*[jnp.asarray(a) for a in args])
    want = np_fn(*args)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=2e-4, atol=2e-5, equal_nan=True)


PAD_MODES = ["edge", "reflect", "symmetric", "wrap", "linear_ramp", "maximum", "minimum", "mean", "median", "empty"]


@pytest.mark.parametrize("mode", PAD_MODES)
@pytest.mark.parametrize("width", [1, ((2, 7), (5, 0))])
def test_pad_modes(mode, width):
    x = np.arange(1.0, 13.0, dtype=np.float32).reshape(3, 4) ** 1.5
    got = np.asarray(jnp.pad(jnp.asarray(x), width, mode=mode))
    want = np.pad(x, width, mode=mode)
    if mode == "empty":
        assert got.shape == want.shape
        np.testing.assert_allclose(got[tuple(slice(w[0] if np.ndim(width) else width, None) for w in
                                   (width if np.ndim(width) else [width, width]))][: x.shape[0], : x.shape[1]], x)  # fmt: skip
        return
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_pad_options():
    x = np.arange(5.0, dtype=np.float32)
    for kw, mode in [({"reflect_type": "odd"}, "reflect"), ({"reflect_type": "odd"}, "symmetric"),
                     ({"stat_length": 2}, "mean"), ({"end_values": (-3, 9)}, "linear_ramp")]:  # fmt: skip
        np.testing.assert_allclose(jnp.pad(x, (7, 3), mode=mode, **kw), np.pad(x, (7, 3), mode=mode, **kw), rtol=1e-5)
    np.testing.assert_allclose(jnp.pad(x.reshape(1, 5), ((1, 2), (2, 1)), constant_values=((1, 2), (3, 4))),
                               np.pad(x.reshape(1, 5), ((1, 2), (2, 1)), constant_values=((1, 2), (3, 4))))  # fmt: skip

    def fn(v, w, axis, kwargs):
        return v.at[: w[0]].set(-1.0).at[v.shape[0] - w[1] :].set(-2.0)

    np.testing.assert_allclose(jnp.pad(x, 2, mode=fn), [-1, -1, 0, 1, 2, 3, 4, -2, -2])
    with pytest.raises(ValueError, match="unimplemented padding mode"):
        jnp.pad(x, 1, mode="bogus")


def test_pad_grad_and_jit():
    x = np.arange(1.0, 5.0, dtype=np.float32)
    jaxnc.testing.check_grads(lambda v: jnp.pad(v, (3, 2), mode="reflect", reflect_type="odd"), (x,), order=1)
    np.testing.assert_allclose(jaxnc.jit(lambda v: jnp.pad(v, 2, mode="wrap"))(x), np.pad(x, 2, mode="wrap"))


def test_nonzero_size_under_jit_and_vmap():
    x = np.array([[0, 3, 0], [4, 0, 5]], np.int32)
    f = jaxnc.jit(lambda a: jnp.nonzero(a, size=4, fill_value=-1))
    rows, cols = f(x)
    assert rows.tolist() == [0, 1, 1, -1] and cols.tolist() == [1, 0, 2, -1]
    got = jaxnc.vmap(lambda a: jnp.flatnonzero(a, size=2))(x)
    assert got.tolist() == [[1, 0], [0, 2]]
    assert jnp.argwhere(x, size=2).tolist() == [[0, 1], [1, 0]]
    with pytest.raises(ValueError, match="0d arrays"):
        jnp.nonzero(jnp.asarray(1))


def test_at_drops_out_of_bounds_updates():
    assert jnp.zeros(3).at[jnp.array([0, 5, -7])].add(1.0).tolist() == [1.0, 0.0, 0.0]
    assert jnp.bincount(jnp.array([0, 9]), length=3).tolist() == [1, 0, 0]


@pytest.mark.parametrize("bins,rng", [(10, None), (7, None), (4, (0.25, 0.75)), (1, None), (3, (2.0, 2.0))])
def test_equal_width_histogram_matches_numpy_on_the_edges(bins, rng):
    """Equal-width bins index by (a - lo) / width and correct against the edges (NumPy's method): values on
    the edges, outside the range, NaN and inf land where np.histogram puts them (float64 edges, as NumPy's)."""
    a = np.concatenate([np.linspace(0, 1, 1001), np.arange(0, 5) / 4, [-0.5, 2.0]])
    if rng is not None:  # without a range, min/max of NaN or inf give NaN edges (in NumPy an error)
        a = np.concatenate([a, [np.nan, np.inf, -np.inf]])
    jaxnc.config.update("jax_enable_x64", True)
    try:
        got, edges = jnp.histogram(a, bins, range=rng)
        jitted = jaxnc.jit(lambda v: jnp.histogram(v, bins, range=rng)[0])(a)
    finally:
        jaxnc.config.update("jax_enable_x64", False)
    want, want_edges = np.histogram(a, bins, range=rng)
    np.testing.assert_allclose(np.asarray(edges), want_edges, rtol=1e-15)
    np.testing.assert_array_equal(np.asarray(got), want)
    np.testing.assert_array_equal(np.asarray(jitted), want)


def test_vectorize_signature_and_excluded():
    f = jnp.vectorize(lambda a, b: jnp.sum(a * b), signature="(n),(n)->()")
    np.testing.assert_allclose(f(X, X[0]), (X * X[0]).sum(-1), rtol=1e-5)
    g = jnp.vectorize(lambda a, p: a**p, excluded={1})
    np.testing.assert_allclose(g(X, 2), X**2, rtol=1e-6)
    with pytest.raises(ValueError, match="signature"):
        jnp.vectorize(lambda a: a, signature="(n)->")(X)


def test_dtype_helpers():
    assert jnp.isdtype(jnp.int8, "signed integer") and not jnp.isdtype(jnp.uint8, "signed integer")
    assert jnp.isdtype(jnp.complex64, ("real floating", "complex floating"))
    assert jnp.isdtype(jnp.bfloat16, "real floating")
    with pytest.raises(ValueError, match="unrecognized kind"):
        jnp.isdtype(jnp.float32, "floaty")
    assert jnp.iterable([1]) and not jnp.iterable(1)


def test_gcd_lcm_jit_and_int_semantics():
    a = np.array([0, 7, -12, 48, 2**20], np.int32)
    b = np.array([0, 21, 18, -36, 3 * 2**10], np.int32)
    np.testing.assert_array_equal(jaxnc.jit(jnp.gcd)(a, b), np.gcd(a, b))
    np.testing.assert_array_equal(jnp.lcm(a[:4], b[:4]), np.lcm(a[:4], b[:4]))


@pytest.mark.parametrize("fn", [
    lambda x: jnp.sinc(x), lambda x: jnp.nanmean(x), lambda x: jnp.trapezoid(x), lambda x: jnp.interp(x, jnp.arange(4.0), jnp.arange(4.0) ** 2),
    lambda x: jnp.convolve(x, jnp.array([1.0, -2.0, 0.5])), lambda x: jnp.cov(x.reshape(2, 3)), lambda x: jnp.kron(x[:2], x),
    lambda x: jnp.gradient(x), lambda x: jnp.polyval(x, 0.7), lambda x: jnp.average(x, weights=x * x + 1),
], ids=["sinc", "nanmean", "trapezoid", "interp", "convolve", "cov", "kron", "gradient", "polyval", "average"])
def test_grads(fn):
    x = np.array([0.3, -1.2, 0.8, 2.1, 1.4, -0.5], np.float32)
    jaxnc.testing.check_grads(fn, (x,), order=1, atol=3e-2, rtol=3e-2)
