"""The contract around the numbers: optax's names and signatures, pytree states, non-consuming jittable updates, errors."""

from __future__ import annotations

import doctest
import inspect
import pathlib
import re

import golden_cases as gc
import numpy as np
import pytest

import jaxnc
import jaxnc.numpy as jnp
import jaxnc_optax
from jaxnc import tree_util

README = pathlib.Path(__file__).parent.parent / "README.md"
PARAMS = {"w": np.linspace(-1, 1, 15, dtype=np.float32).reshape(5, 3), "b": np.array([0.1, -0.2, 0.3], np.float32)}
GRADS = {"w": np.linspace(0.5, -0.7, 15, dtype=np.float32).reshape(5, 3), "b": np.array([0.3, 0.2, -0.1], np.float32)}
EAGER_ROWS = [name for name, row in gc.ROWS.items() if not row.pass_value]


def _jnp(tree):
    return tree_util.tree_map(jnp.asarray, tree)


def _leaf_numpy(x) -> np.ndarray:
    try:
        return np.array(x, copy=True)
    except TypeError:  # a typed PRNG key: compare its raw bits
        return np.array(jaxnc.random.key_data(x), copy=True)


def _numpy(tree):
    return tree_util.tree_map(_leaf_numpy, tree)


def _assert_trees_equal(actual, expected, **tolerance) -> None:
    assert tree_util.tree_structure(actual) == tree_util.tree_structure(expected)
    for a, e in zip(tree_util.tree_leaves(actual), tree_util.tree_leaves(expected), strict=True):
        np.testing.assert_allclose(_leaf_numpy(a), _leaf_numpy(e), **tolerance)


def test_readme_lists_every_public_name_with_a_status() -> None:
    rows = dict(re.findall(r"^\| `([\w.]+)` \| ([^|]+) \|", README.read_text(), flags=re.MULTILINE))
    missing = [name for name in jaxnc_optax.__all__ if name not in rows]
    assert missing == [], f"README.md has no row for {missing}"
    for name, status in rows.items():
        assert status.strip(), f"README.md row for {name} has no status"


@pytest.mark.parametrize("name", EAGER_ROWS)
def test_update_consumes_nothing_and_jit_changes_nothing(name: str) -> None:
    opt = gc.ROWS[name].make(jaxnc_optax)
    params, grads = _jnp(PARAMS), _jnp(GRADS)
    state = opt.init(params)
    before = _numpy((params, grads, state))

    eager_updates, eager_state = opt.update(grads, state, params)
    # The inputs are still alive and unchanged (oracle: copies taken before the update).
    _assert_trees_equal((params, grads, state), before, rtol=0, atol=0)

    jit_updates, jit_state = jaxnc.jit(opt.update)(grads, state, params)
    _assert_trees_equal((params, grads, state), before, rtol=0, atol=0)
    _assert_trees_equal((jit_updates, jit_state), (eager_updates, eager_state), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", EAGER_ROWS)
def test_state_is_a_pytree_of_arrays(name: str) -> None:
    opt = gc.ROWS[name].make(jaxnc_optax)
    state = opt.init(_jnp(PARAMS))
    leaves, treedef = tree_util.tree_flatten(state)
    assert all(hasattr(leaf, "shape") and hasattr(leaf, "dtype") for leaf in leaves)
    _assert_trees_equal(tree_util.tree_unflatten(treedef, leaves), state, rtol=0, atol=0)


def test_inject_hyperparams_state_change_equals_a_fresh_optimizer() -> None:
    params, grads = _jnp(PARAMS), _jnp(GRADS)
    opt = jaxnc_optax.inject_hyperparams(jaxnc_optax.adam)(learning_rate=0.1)
    state = opt.init(params)
    state.hyperparams["learning_rate"] = jnp.asarray(0.02)
    updates, state = opt.update(grads, state, params)
    expected, _ = jaxnc_optax.adam(0.02).update(grads, jaxnc_optax.adam(0.02).init(params), params)
    # Injected b1/b2 are float32 arrays rather than Python floats, so bias corrections round differently.
    _assert_trees_equal(updates, expected, rtol=1e-4)
    assert int(state.count) == 1


def test_multi_steps_reports_when_it_updated() -> None:
    params, grads = _jnp(PARAMS), _jnp(GRADS)
    opt = jaxnc_optax.MultiSteps(jaxnc_optax.sgd(0.1), every_k_schedule=2)
    state = opt.init(params)
    flags = []
    for _ in range(4):
        updates, state = opt.update(grads, state, params)
        flags.append(bool(opt.has_updated(state)))
    assert flags == [False, True, False, True]
    _assert_trees_equal(updates, tree_util.tree_map(lambda g: -0.1 * g, GRADS), rtol=1e-6)
    tx = opt.gradient_transformation()
    assert isinstance(tx, jaxnc_optax.GradientTransformation)


def test_apply_updates_keeps_param_dtype() -> None:
    params = {"h": jnp.ones(3, jnp.float16), "f": jnp.ones(3)}
    new = jaxnc_optax.apply_updates(params, {"h": jnp.full(3, 0.5), "f": jnp.full(3, 0.5)})
    assert np.dtype(new["h"].dtype) == np.float16 and np.dtype(new["f"].dtype) == np.float32
    np.testing.assert_array_equal(np.asarray(new["f"]), np.full(3, 1.5, np.float32))


# name -> (make the error from (optax module, params, grads), a fragment of its message).
ERRORS = {
    "lamb needs params": (lambda o, p, g: o.lamb(0.1).update(g, o.lamb(0.1).init(p)), "params"),
    "chain state length": (lambda o, p, g: o.chain(o.sgd(0.1), o.clip(1.0)).update(g, ((),)), "state"),
    "join_schedules boundaries": (lambda o, p, g: o.join_schedules([o.constant_schedule(1.0)], [3]), "boundar"),
    "cosine decay_steps": (lambda o, p, g: o.cosine_decay_schedule(0.1, 0), "decay_steps"),
    "piecewise scales": (lambda o, p, g: o.piecewise_constant_schedule(0.1, {3: -1.0}), "non-negative"),
    "interpolate type": (lambda o, p, g: o.piecewise_interpolate_schedule("cubic", 0.1), "linear"),
    "inject static_args": (lambda o, p, g: o.inject_hyperparams(o.adam, static_args="nope"), "static_args"),
    "partition labels": (lambda o, p, g: o.partition({"a": o.sgd(0.1)}, {"w": "a", "b": "z"}).init(p), "z"),
    "named_chain names": (lambda o, p, g: o.named_chain(("a", o.sgd(0.1)), ("a", o.clip(1.0))), "unique"),
    "lion mode": (lambda o, p, g: o.scale_by_lion(mode="soft").init(p), "mode"),
    "tree_norm ord": (lambda o, p, g: o.tree.norm(p, ord=3), "ord"),
    "add_noise key and seed": (lambda o, p, g: o.add_noise(0.1, 0.5, key=1, seed=2), "seed"),
}
# Where jaxnc-optax checks earlier than optax (at construction rather than at the first update, or at all).
NOT_RAISED_BY_OPTAX = ("join_schedules boundaries", "lion mode")


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_name_what_was_wrong(name: str) -> None:
    make, fragment = ERRORS[name]
    with pytest.raises(ValueError, match=fragment):
        make(jaxnc_optax, _jnp(PARAMS), _jnp(GRADS))


def test_errors_are_raised_where_optax_raises(reference) -> None:
    optax, jax = reference
    params, grads = (jax.tree_util.tree_map(jax.numpy.asarray, t) for t in (PARAMS, GRADS))
    for name, (make, _) in ERRORS.items():
        if name not in NOT_RAISED_BY_OPTAX:
            with pytest.raises(ValueError):
                make(optax, params, grads)


def _signature_rows(optax_module) -> list[tuple[str, inspect.Signature, inspect.Signature]]:
    rows = []
    for name in jaxnc_optax.__all__:
        ours, theirs = getattr(jaxnc_optax, name), getattr(optax_module, name, None)
        if inspect.isfunction(ours) and callable(theirs) and not inspect.isclass(theirs):
            rows.append((name, inspect.signature(ours), inspect.signature(theirs)))
    return rows


def _normalized(sig: inspect.Signature) -> list[tuple]:
    def default(value):
        if value is inspect.Parameter.empty or value is None or isinstance(value, (bool, int, float, str)):
            return value
        return getattr(value, "__name__", type(value).__name__)  # dtypes and callables by name

    return [(p.name, p.kind, default(p.default)) for p in sig.parameters.values()]


def test_signatures_match_optax(reference) -> None:
    optax, _ = reference
    rows = _signature_rows(optax)
    assert len(rows) > 100
    mismatched = {
        name: (str(ours), str(theirs)) for name, ours, theirs in rows if _normalized(ours) != _normalized(theirs)
    }
    assert mismatched == {}


def test_docstring_examples_run() -> None:
    from jaxnc_optax._src import alias, combining, inject, losses, schedule, update

    for module in (alias, combining, inject, losses, schedule, update):
        failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert failures == 0, f"doctest failures in {module.__name__}"


def test_incremental_and_periodic_updates_match_numpy() -> None:
    new, old = _jnp(GRADS), _jnp(PARAMS)
    averaged = jaxnc_optax.incremental_update(new, old, 0.1)
    _assert_trees_equal(averaged, tree_util.tree_map(lambda n, o: 0.1 * n + 0.9 * o, GRADS, PARAMS), rtol=1e-6)
    _assert_trees_equal(jaxnc_optax.periodic_update(new, old, jnp.asarray(10), 5), GRADS, rtol=0, atol=0)
    _assert_trees_equal(jaxnc_optax.periodic_update(new, old, jnp.asarray(11), 5), PARAMS, rtol=0, atol=0)
