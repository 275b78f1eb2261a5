"""Pytree helpers against NumPy on the flattened leaves (one row per helper)."""

from __future__ import annotations

import numpy as np
import pytest

import jaxnc.numpy as jnp
from jaxnc import tree_util
from jaxnc_optax import tree, tree_utils

RNG = np.random.default_rng(3)
X = {"a": RNG.normal(size=(3, 4)).astype(np.float32), "b": [RNG.normal(size=(5,)).astype(np.float32)]}
Y = {"a": RNG.normal(size=(3, 4)).astype(np.float32), "b": [RNG.normal(size=(5,)).astype(np.float32)]}


def _flat(t) -> np.ndarray:
    return np.concatenate([np.ravel(np.asarray(leaf)) for leaf in tree_util.tree_leaves(t)])


def _jnp(t):
    return tree_util.tree_map(jnp.asarray, t)


SCALAR_ROWS = {
    "norm": (lambda x, y: tree.norm(x), lambda fx, fy: np.linalg.norm(fx)),
    "norm_squared": (lambda x, y: tree.norm(x, squared=True), lambda fx, fy: np.sum(fx * fx)),
    "norm_l1": (lambda x, y: tree.norm(x, ord=1), lambda fx, fy: np.sum(np.abs(fx))),
    "norm_inf": (lambda x, y: tree.norm(x, ord="inf"), lambda fx, fy: np.max(np.abs(fx))),
    "vdot": (lambda x, y: tree.vdot(x, y), lambda fx, fy: np.dot(fx, fy)),
    "sum": (lambda x, y: tree.sum(x), lambda fx, fy: np.sum(fx)),
    "max": (lambda x, y: tree.max(x), lambda fx, fy: np.max(fx)),
    "min": (lambda x, y: tree.min(x), lambda fx, fy: np.min(fx)),
    "size": (lambda x, y: tree.size(x), lambda fx, fy: fx.size),
}

TREE_ROWS = {
    "add": (lambda x, y: tree.add(x, y, x), lambda fx, fy: 2 * fx + fy),
    "sub": (lambda x, y: tree.sub(x, y), lambda fx, fy: fx - fy),
    "mul": (lambda x, y: tree.mul(x, y), lambda fx, fy: fx * fy),
    "div": (lambda x, y: tree.div(x, y), lambda fx, fy: fx / fy),
    "scale": (lambda x, y: tree.scale(0.5, x), lambda fx, fy: 0.5 * fx),
    "add_scale": (lambda x, y: tree.add_scale(x, 0.3, y), lambda fx, fy: fx + 0.3 * fy),
    "clip": (lambda x, y: tree.clip(x, -0.5, 0.5), lambda fx, fy: np.clip(fx, -0.5, 0.5)),
    "where": (lambda x, y: tree.where(True, x, y), lambda fx, fy: fx),
    "zeros_like": (lambda x, y: tree.zeros_like(x), lambda fx, fy: np.zeros_like(fx)),
    "ones_like": (lambda x, y: tree.ones_like(x), lambda fx, fy: np.ones_like(fx)),
    "full_like": (lambda x, y: tree.full_like(x, 2.5), lambda fx, fy: np.full_like(fx, 2.5)),
    "update_moment": (lambda x, y: tree.update_moment(x, y, 0.9, 2), lambda fx, fy: 0.1 * fx**2 + 0.9 * fy),
    "update_moment_per_elem_norm": (
        lambda x, y: tree.update_moment_per_elem_norm(x, y, 0.9, 2),
        lambda fx, fy: 0.1 * fx**2 + 0.9 * fy,
    ),
    "update_infinity_moment": (
        lambda x, y: tree.update_infinity_moment(x, y, 0.9, 1e-3),
        lambda fx, fy: np.maximum(np.abs(fx) + 1e-3, 0.9 * fy),
    ),
    "bias_correction": (lambda x, y: tree.bias_correction(x, 0.9, jnp.asarray(3)), lambda fx, fy: fx / (1 - 0.9**3)),
}


@pytest.mark.parametrize("name", list(SCALAR_ROWS))
def test_scalar_helper_matches_numpy(name: str) -> None:
    ours, oracle = SCALAR_ROWS[name]
    np.testing.assert_allclose(np.asarray(ours(_jnp(X), _jnp(Y))), oracle(_flat(X), _flat(Y)), rtol=1e-5)


@pytest.mark.parametrize("name", list(TREE_ROWS))
def test_tree_helper_matches_numpy(name: str) -> None:
    ours, oracle = TREE_ROWS[name]
    result = ours(_jnp(X), _jnp(Y))
    assert tree_util.tree_structure(result) == tree_util.tree_structure(X)
    np.testing.assert_allclose(_flat(result), oracle(_flat(X), _flat(Y)), rtol=1e-5, atol=1e-7)


def test_casts_and_dtype() -> None:
    x = _jnp(X)
    assert tree.dtype(x) == np.float32
    halved = tree.cast(x, jnp.float16)
    assert {np.dtype(leaf.dtype) for leaf in tree_util.tree_leaves(halved)} == {np.dtype(np.float16)}
    assert tree.dtype(tree.cast_like(halved, x)) == np.float32
    mixed = {"a": jnp.zeros(2, jnp.float16), "b": jnp.zeros(2, jnp.float32)}
    assert tree.dtype(mixed, "highest") == np.float32
    assert tree.dtype(mixed, "lowest") == np.float16
    with pytest.raises(ValueError, match="dtype"):
        tree.dtype(mixed)


def test_tree_utils_names_alias_tree_names() -> None:
    assert tree_utils.tree_norm is tree.norm and tree_utils.tree_map_params is tree.map_params


def test_map_params_touches_only_parameter_shaped_state() -> None:
    import jaxnc_optax as optax

    params = {"w": jnp.ones((2, 3)), "b": jnp.ones(3)}
    opt = optax.adam(0.1)
    state = opt.init(params)
    doubled = tree.map_params(opt, lambda p: p + 2.0, state)
    adam_state = doubled[0]
    np.testing.assert_array_equal(np.asarray(adam_state.mu["w"]), np.full((2, 3), 2.0, np.float32))
    np.testing.assert_array_equal(np.asarray(adam_state.nu["b"]), np.full(3, 2.0, np.float32))
    assert int(adam_state.count) == 0
