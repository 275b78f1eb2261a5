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


def test_key_paths_print_as_jax_does():
    P = collections.namedtuple("P", "w b")

    @tu.register_dataclass
    @dataclasses.dataclass
    class D:
        x: int
        n: int = dataclasses.field(default=1, metadata={"static": True})

    tree = {"a": [1, (2, None)], "p": P(3, 4), "d": D(5), "o": collections.OrderedDict(z=6)}
    pairs, treedef = tu.tree_flatten_with_path(tree)
    assert treedef == tu.tree_structure(tree)
    assert [x for _, x in pairs] == tu.tree_leaves(tree)
    # jax.tree_util.keystr of the same tree in JAX 0.10
    assert [tu.keystr(p) for p, _ in pairs] == ["['a'][0]", "['a'][1][0]", "['d'].x", "['o']['z']", "['p'].w", "['p'].b"]
    assert pairs[0][0] == (tu.DictKey("a"), tu.SequenceKey(0))
    assert tu.keystr(pairs[4][0], simple=True, separator="/") == "p/w"
    out = jax.tree.map_with_path(lambda p, x, y: (tu.keystr(p), x + y), {"a": 1, "b": [2]}, {"a": 10, "b": [20]})
    assert out == {"a": ("['a']", 11), "b": [("['b'][0]", 22)]}
    assert jax.tree.leaves_with_path([1, {"k": 2}], is_leaf=lambda x: isinstance(x, dict)) == [
        ((tu.SequenceKey(0),), 1), ((tu.SequenceKey(1),), {"k": 2})]  # fmt: skip

    class Box:
        def __init__(self, a, b):
            self.a, self.b = a, b

    tu.register_pytree_with_keys(Box, lambda b: (((tu.GetAttrKey("a"), b.a), (tu.GetAttrKey("b"), b.b)), None),
                                 lambda _, c: Box(*c))  # fmt: skip
    assert [tu.keystr(p) for p, _ in tu.tree_leaves_with_path(Box(1, [2]))] == [".a", ".b[0]"]
    assert jax.tree.map(lambda v: v * 2, Box(1, [2])).b == [4]
    # a node registered without keys gets flat indices
    tu.register_pytree_node(Box2 := type("Box2", (), {}), lambda b: ((1, 2), None), lambda _, c: Box2())
    assert [tu.keystr(p) for p, _ in tu.tree_leaves_with_path(Box2())] == ["[<flat index 0>]", "[<flat index 1>]"]
