"""jnp.ufunc methods against NumPy's ufunc methods, through fast paths and the generic scan fallbacks."""

import functools
import pickle

import numpy as np
import pytest

import jaxnc
import jaxnc.numpy as jnp

# One row per ufunc: (name, dtype of the test data). Fast paths: add, multiply, maximum, minimum,
# logical_and/or; the others use the generic lax.scan fallbacks.
UFUNCS = [
    ("add", np.float32),
    ("multiply", np.float32),
    ("maximum", np.float32),
    ("minimum", np.float32),
    ("subtract", np.float32),
    ("logical_and", np.bool_),
    ("logical_or", np.bool_),
    ("logical_xor", np.bool_),
    ("bitwise_and", np.int32),
    ("bitwise_or", np.int32),
    ("bitwise_xor", np.int32),
]
REDUCE_KW = [
    dict(),
    dict(axis=1),
    dict(axis=None),
    dict(axis=(0, 2)),
    dict(axis=-1, keepdims=True),
    dict(axis=None, keepdims=True),
    dict(axis=0, initial=3),
]


def _data(dtype, shape=(2, 3, 4), seed=0):
    rng = np.random.default_rng(seed)
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    if np.issubdtype(dtype, np.integer):
        return rng.integers(0, 16, shape).astype(dtype)
    return rng.uniform(0.5, 1.5, shape).astype(dtype)


def _check(got, want):
    np.testing.assert_allclose(np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64), rtol=1e-5)


def _commutative(name):
    return name != "subtract"


@pytest.mark.parametrize("name,dtype", UFUNCS)
@pytest.mark.parametrize("kw", REDUCE_KW, ids=str)
def test_reduce(name, dtype, kw):
    if (kw.get("axis", 0) is None or isinstance(kw.get("axis"), tuple)) and not _commutative(name):
        pytest.skip("NumPy refuses a tuple of axes for a non-reorderable ufunc")
    if "initial" in kw and dtype == np.bool_:
        kw = dict(kw, initial=True)
    x = _data(dtype)
    _check(getattr(jnp, name).reduce(x, **kw), getattr(np, name).reduce(x, **kw))


@pytest.mark.parametrize("name,dtype", UFUNCS)
def test_reduce_where(name, dtype):
    x, mask = _data(dtype), _data(np.bool_, (3, 4), seed=1)
    initial = True if dtype == np.bool_ else 2
    want = getattr(np, name).reduce(x, axis=1, initial=initial, where=mask)
    _check(getattr(jnp, name).reduce(x, axis=1, initial=initial, where=mask), want)


@pytest.mark.parametrize("name", ["maximum", "subtract"])
def test_reduce_where_needs_initial_without_identity(name):
    with pytest.raises(ValueError, match="does not have an identity"):
        getattr(jnp, name).reduce(np.ones(3), where=np.array([True, False, True]))


@pytest.mark.parametrize("name,dtype", [u for u in UFUNCS if not u[0].startswith("logical")])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_accumulate(name, dtype, axis):
    x = _data(dtype)
    _check(getattr(jnp, name).accumulate(x, axis=axis), getattr(np, name).accumulate(x, axis=axis))


@pytest.mark.parametrize("name,dtype", UFUNCS)
def test_outer(name, dtype):
    a, b = _data(dtype, (2, 3)), _data(dtype, (4,), seed=1)
    out = getattr(jnp, name).outer(a, b)
    assert out.shape == (2, 3, 4)
    _check(out, getattr(np, name).outer(a, b))


@pytest.mark.parametrize("name,dtype", [u for u in UFUNCS if not u[0].startswith("logical")])
@pytest.mark.parametrize(
    "indices,value",
    [
        (np.array([0, 1, 1, 4, 1]), np.array([1, 2, 3, 4, 5])),  # repeated indices apply repeatedly
        (np.array([2, 2]), 3),
        (3, 7),
        ((np.array([0, 0]), np.array([1, 1])), 2),
    ],
    ids=["repeated", "scalar-value", "scalar-index", "tuple"],
)
def test_at(name, dtype, indices, value):
    a = _data(dtype, (5, 3) if isinstance(indices, tuple) else (5,))
    want = a.copy()
    getattr(np, name).at(want, indices, np.asarray(value).astype(dtype))
    got = getattr(jnp, name).at(a, indices, np.asarray(value).astype(dtype), inplace=False)
    _check(got, want)


def test_at_inplace_raises_as_in_jax():
    with pytest.raises(NotImplementedError, match="inplace=False"):
        jnp.add.at(jnp.zeros(3), 0, 1.0)


@pytest.mark.parametrize("name,dtype", [u for u in UFUNCS if not u[0].startswith("logical")])
@pytest.mark.parametrize("indices", [[0, 4, 1, 5], [0, 3, 3, 6], [2], [5, 1]], ids=str)
def test_reduceat(name, dtype, indices):
    x = _data(dtype, (7, 2))
    _check(getattr(jnp, name).reduceat(x, np.array(indices)), getattr(np, name).reduceat(x, indices))
    y = x.T
    _check(getattr(jnp, name).reduceat(y, np.array(indices), axis=1), getattr(np, name).reduceat(y, indices, axis=1))


def test_frompyfunc_of_jaxnc_ops():
    f = jnp.frompyfunc(lambda a, b: jnp.sqrt(a * a + b * b), 2, 1)
    x, y = _data(np.float32, (3, 4)), _data(np.float32, (4,), seed=1)
    assert (f.nin, f.nout, f.nargs, f.identity) == (2, 1, 2, None)
    _check(f(x, y), np.hypot(x, y))
    _check(f.reduce(x, axis=1), np.hypot.reduce(x, axis=1))
    _check(f.accumulate(x, axis=0), np.hypot.accumulate(x, axis=0))
    _check(f.outer(x[0], y), np.hypot.outer(x[0], y))
    _check(f.at(x[0], np.array([0, 0, 2]), 1.0, inplace=False), _np_at(np.hypot, x[0], [0, 0, 2], 1.0))
    _check(f.reduceat(x[0], np.array([0, 2])), np.hypot.reduceat(x[0], [0, 2]))
    g = jnp.frompyfunc(lambda a, b: a + b, 2, 1, identity=0)
    _check(g.reduce(x, axis=None, where=x > 1), np.sum(x, where=x > 1))


def _np_at(uf, a, indices, b):
    a = a.copy()
    uf.at(a, indices, b)
    return a


def test_unary_frompyfunc_and_arity_errors():
    sq = jnp.frompyfunc(lambda a: a * a, 1, 1)
    _check(sq(np.arange(3.0)), np.arange(3.0) ** 2)
    with pytest.raises(ValueError, match="binary"):
        sq.reduce(np.arange(3.0))
    with pytest.raises(TypeError, match="positional"):
        jnp.add(1.0)
    with pytest.raises(NotImplementedError, match="out argument"):
        jnp.add.reduce(np.ones(3), out=np.ones(()))


def test_jit_and_grad_through_add_reduce_and_accumulate():
    x = _data(np.float32, (3, 4))
    _check(jaxnc.jit(lambda v: jnp.add.reduce(v, axis=1))(x), x.sum(1))
    _check(jaxnc.jit(lambda v: jnp.add.accumulate(v, axis=1))(x), np.cumsum(x, 1))
    _check(jaxnc.grad(lambda v: jnp.add.reduce(v, axis=None))(x), np.ones_like(x))
    # d/dx_j sum_i cumsum(x)_i = n - j
    _check(jaxnc.grad(lambda v: jnp.add.reduce(jnp.add.accumulate(v)))(x[0]), [4, 3, 2, 1])
    # the generic scan path: d/dx (x0 - x1 - x2) = (1, -1, -1); jit matches eager
    v = x[0, :3]
    _check(jaxnc.grad(lambda v: jnp.subtract.reduce(v))(v), [1, -1, -1])
    _check(jaxnc.jit(jnp.subtract.accumulate)(v), np.subtract.accumulate(v))


def test_ufuncs_still_behave_like_functions():
    assert isinstance(jnp.add, jnp.ufunc) and jnp.add.__name__ == "add" and repr(jnp.add) == "<jnp.ufunc 'add'>"
    assert (jnp.add.nin, jnp.add.nout, jnp.add.nargs) == (2, 1, 2)
    assert (jnp.add.identity, jnp.multiply.identity, jnp.maximum.identity) == (0, 1, None)
    assert jnp.divide is jnp.true_divide
    x = _data(np.float32, (3,))
    _check(jaxnc.vmap(jnp.multiply)(x, x), x * x)
    assert pickle.loads(pickle.dumps(functools.partial(jnp.add, 1.0)))(2.0) == 3.0
    with pytest.raises(TypeError, match="cannot pickle"):
        pickle.dumps(jnp.frompyfunc(lambda a, b: a, 2, 1))
