"""lax.reduce_window (sum/max/min), avg pooling: a direct-loop NumPy oracle, gradients, vmap, jit."""

import itertools

import numpy as np
import pytest

import jaxnc
from jaxnc import lax
from jaxnc._src.lax.windowed import avg_pool
from jaxnc.testing import check_grads

REDUCERS = {"sum": (lax.reduce_window_sum, np.sum, 0.0), "max": (lax.reduce_window_max, np.max, -np.inf),
            "min": (lax.reduce_window_min, np.min, np.inf)}  # fmt: skip


def _ref(x, kind, wd, ws, pads, bd, wdil):
    """XLA's definition, one output element at a time: dilate and pad with the identity, reduce each window."""
    _, red, init = REDUCERS[kind]
    big = np.full([(n - 1) * b + 1 for n, b in zip(x.shape, bd, strict=True)], init)
    big[tuple(slice(None, None, b) for b in bd)] = x
    big = np.pad(big, [(max(lo, 0), max(hi, 0)) for lo, hi in pads], constant_values=init)
    big = big[tuple(slice(max(-lo, 0), n - max(-hi, 0)) for (lo, hi), n in zip(pads, big.shape, strict=True))]
    eff = [(w - 1) * d + 1 for w, d in zip(wd, wdil, strict=True)]
    out_shape = [max(0, (n - e) // s + 1) for n, e, s in zip(big.shape, eff, ws, strict=True)]
    out = np.zeros(out_shape)
    for pos in itertools.product(*map(range, out_shape)):
        window = big[tuple(slice(p * s, p * s + e, d) for p, s, e, d in zip(pos, ws, eff, wdil, strict=True))]
        out[pos] = red(window)
    return out


CASES = [  # window, strides, padding, base dilation, window dilation
    ((2, 2), (2, 2), ((0, 0), (0, 0)), (1, 1), (1, 1)),
    ((3, 2), (1, 2), ((1, 1), (0, 1)), (1, 1), (1, 1)),
    ((2, 3), (2, 1), ((1, 2), (0, -1)), (2, 1), (1, 2)),
    ((1, 3, 2), (1, 2, 1), ((0, 0), (2, 0), (1, 1)), (1, 1, 2), (1, 2, 1)),
]


@pytest.mark.parametrize("kind", ["sum", "max", "min"])
@pytest.mark.parametrize("case", CASES, ids=[f"c{i}" for i in range(len(CASES))])
def test_reduce_window_matches_definition(kind, case):
    wd, ws, pads, bd, wdil = case
    shape = (5, 6) if len(wd) == 2 else (2, 5, 4)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    got = REDUCERS[kind][0](x, wd, ws, pads, bd, wdil)
    np.testing.assert_allclose(np.asarray(got), _ref(x, kind, wd, ws, pads, bd, wdil), rtol=1e-5, atol=1e-6)


def test_reduce_window_generic_and_padding_strings():
    x = np.arange(12.0, dtype=np.float32).reshape(3, 4)
    got = lax.reduce_window(x, -np.inf, lax.max, (2, 2), (1, 1), "SAME")
    np.testing.assert_array_equal(np.asarray(got), _ref(x, "max", (2, 2), (1, 1), ((0, 1), (0, 1)), (1, 1), (1, 1)))
    # a non-identity init value seeds every window and fills the padding, as in XLA
    got = lax.reduce_window(np.arange(5.0, dtype=np.float32), 1.0, lax.add, (2,), (1,), ((1, 1),))
    np.testing.assert_array_equal(np.asarray(got), [2, 2, 4, 6, 8, 6])
    got = lax.reduce_window(x, 5.0, lax.max, (2, 2), (2, 2), "VALID")
    np.testing.assert_array_equal(
        np.asarray(got), np.maximum(_ref(x, "max", (2, 2), (2, 2), ((0, 0),) * 2, (1, 1), (1, 1)), 5)
    )
    xi = np.arange(12, dtype=np.int32).reshape(3, 4)
    got = lax.reduce_window(xi, 0, lax.add, (1, 2), (1, 2), "VALID")
    assert got.dtype == np.int32
    np.testing.assert_array_equal(np.asarray(got), xi.reshape(3, 2, 2).sum(-1))
    with pytest.raises(NotImplementedError, match="computation"):
        lax.reduce_window(x, 1.0, lax.mul, (2, 2), (1, 1), "VALID")
    with pytest.raises(ValueError, match="window_strides"):
        lax.reduce_window_sum(x, (2, 2), (1,), "VALID")


def test_avg_pool():
    x = np.random.default_rng(1).standard_normal((4, 5)).astype(np.float32)
    got = avg_pool(x, (2, 2), (1, 1), "SAME", count_include_pad=False)
    counts = _ref(np.ones_like(x), "sum", (2, 2), (1, 1), ((0, 1), (0, 1)), (1, 1), (1, 1))
    np.testing.assert_allclose(np.asarray(got), _ref(x, "sum", (2, 2), (1, 1), ((0, 1), (0, 1)), (1, 1), (1, 1)) / counts,
                               rtol=1e-5, atol=1e-6)  # fmt: skip
    got = avg_pool(x, (2, 2), (2, 2), "VALID")
    np.testing.assert_allclose(np.asarray(got), x[:, :4].reshape(2, 2, 2, 2).mean((1, 3)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", ["sum", "max", "min"])
@pytest.mark.parametrize("case", [CASES[1], CASES[3]], ids=["c1", "c3"])
def test_reduce_window_grads(kind, case):
    # (windows made only of padding give +-inf for max/min: finite differences are NaN there, so not c2)
    wd, ws, pads, bd, wdil = case
    shape = (5, 6) if len(wd) == 2 else (2, 5, 4)
    x = (np.random.default_rng(2).permutation(np.prod(shape)).reshape(shape) / 7).astype(np.float32)  # no ties
    check_grads(lambda x: REDUCERS[kind][0](x, wd, ws, pads, bd, wdil), (x,), order=2)


def test_max_pool_gradient_goes_to_the_first_maximum():
    x = np.array([[1.0, 3.0, 3.0, 0.0]], np.float32)
    g = jaxnc.grad(lambda x: lax.reduce_window_max(x, (1, 2), (1, 2), "VALID").sum())(x)
    np.testing.assert_array_equal(np.asarray(g), [[0, 1, 1, 0]])
    g = jaxnc.grad(lambda x: lax.reduce_window_max(x, (1, 3), (1, 1), "VALID").sum())(x)
    np.testing.assert_array_equal(np.asarray(g), [[0, 2, 0, 0]])


@pytest.mark.parametrize("kind", ["sum", "max"])
def test_reduce_window_vmap_and_jit(kind):
    wd, ws, pads, bd, wdil = CASES[2]
    xs = np.random.default_rng(3).standard_normal((5, 3, 6)).astype(np.float32)  # batch on axis 1

    def f(x):
        return REDUCERS[kind][0](x, wd, ws, pads, bd, wdil)

    got = np.asarray(jaxnc.vmap(f, in_axes=1)(xs))
    np.testing.assert_allclose(got, np.stack([np.asarray(f(xs[:, i])) for i in range(3)]), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(jaxnc.jit(f)(xs[:, 0])), np.asarray(f(xs[:, 0])), rtol=1e-6)
    g = jaxnc.jit(jaxnc.grad(lambda x: f(x).sum()))(xs[:, 0])
    np.testing.assert_allclose(np.asarray(g), np.asarray(jaxnc.grad(lambda x: f(x).sum())(xs[:, 0])), rtol=1e-6)
