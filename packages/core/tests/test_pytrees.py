"""Pytrees as jax.tree_util defines them."""

import collections
import dataclasses

import pytest

import jaxnc as jax
from jaxnc import tree_util as tu


def test_flatten_orders_dict_keys_and_roundtrips():
    tree = {"b": (1, [2, None]), "a": 3}
    leaves, treedef = tu.tree_flatten(tree)
    assert leaves == [3, 1, 2]
    assert tu.tree_unflatten(treedef, leaves) == tree
    assert treedef.num_leaves == 3
    assert str(treedef) == "PyTreeDef({'a': *, 'b': (*, [*, None])})"


def test_namedtuple_dataclass_and_custom_nodes():
    P = collections.namedtuple("P", "x y")

    @dataclasses.dataclass
    class D:
        w: int
        name: str = dataclasses.field(metadata={"static": True}, default="d")

    tu.register_dataclass(D)

    class Box:
        def __init__(self, v):
            self.v = v

    tu.register_pytree_node(Box, lambda b: ((b.v,), None), lambda _, c: Box(*c))
    tree = [P(1, 2), D(3), Box(4)]
    assert tu.tree_leaves(tree) == [1, 2, 3, 4]
    out = tu.tree_map(lambda v: v * 10, tree)
    assert out[0] == P(10, 20) and out[1] == D(30) and out[2].v == 40
    with pytest.raises(ValueError, match="Duplicate"):
        tu.register_pytree_node(Box, lambda b: ((), None), lambda _, c: Box(0))


def test_tree_map_multiple_trees_and_errors():
    assert tu.tree_map(lambda a, b: a + b, {"x": 1, "y": 2}, {"x": 10, "y": 20}) == {"x": 11, "y": 22}
    with pytest.raises(ValueError, match="structure mismatch|Tree structure"):
        tu.tree_map(lambda a, b: a + b, {"x": 1}, [1])


def test_tree_transpose_and_short_names():
    outer = tu.tree_structure([0, 0])
    inner = tu.tree_structure({"a": 0, "b": 0})
    t = tu.tree_transpose(outer, inner, [{"a": 1, "b": 2}, {"a": 3, "b": 4}])
    assert t == {"a": [1, 3], "b": [2, 4]}
    assert jax.tree.leaves(jax.tree.map(lambda x: x + 1, (1, 2))) == [2, 3]
    assert jax.tree.structure(None).num_leaves == 0
