"""Pytrees: flatten/unflatten of nested containers, as `jax.tree_util`."""

from __future__ import annotations

import collections
import dataclasses
import functools
from collections.abc import Callable
from typing import Any, NamedTuple


class _NodeType(NamedTuple):
    to_iter: Callable  # node -> (children, aux_data)
    from_iter: Callable  # (aux_data, children) -> node
    keys: Callable | None = None  # (node, aux_data, n_children) -> one key per child; None: FlattenedIndexKey


_registry: dict[type, _NodeType] = {}


def register_pytree_node(nodetype: type, flatten_func: Callable, unflatten_func: Callable, _keys=None) -> None:
    """Register a container type: `flatten_func(x) -> (children, aux)`, `unflatten_func(aux, children) -> x`."""
    if nodetype in _registry:
        raise ValueError(f"Duplicate pytree registration for {nodetype.__name__}")
    _registry[nodetype] = _NodeType(flatten_func, unflatten_func, _keys)


def register_pytree_with_keys(nodetype: type, flatten_with_keys: Callable, unflatten_func: Callable,
                              flatten_func: Callable | None = None) -> None:  # fmt: skip
    """Register a container whose children have keys: `flatten_with_keys(x) -> ([(key, child), ...], aux)`."""

    def flatten(x):
        pairs, aux = flatten_with_keys(x)
        return [c for _, c in pairs], aux

    register_pytree_node(nodetype, flatten_func or flatten, unflatten_func,
                         lambda x, aux, n: [k for k, _ in flatten_with_keys(x)[0]])  # fmt: skip


def register_pytree_node_class(cls: type) -> type:
    """Class decorator: the class defines `tree_flatten(self)` and classmethod `tree_unflatten(aux, children)`."""
    register_pytree_node(cls, lambda x: x.tree_flatten(), cls.tree_unflatten)
    return cls


def register_dataclass(nodetype: type, data_fields: list[str] | None = None, meta_fields: list[str] | None = None):
    """Register a dataclass: `data_fields` are children, `meta_fields` are static (hashable) aux data."""
    if data_fields is None and meta_fields is None:
        fields = dataclasses.fields(nodetype)
        meta_fields = [f.name for f in fields if f.metadata.get("static", False)]
        data_fields = [f.name for f in fields if not f.metadata.get("static", False)]
    data_fields, meta_fields = list(data_fields or ()), list(meta_fields or ())

    def flatten(x):
        return [getattr(x, n) for n in data_fields], tuple(getattr(x, n) for n in meta_fields)

    def unflatten(aux, children):
        kwargs = dict(zip(meta_fields, aux, strict=True))
        kwargs.update(zip(data_fields, children, strict=True))
        return nodetype(**kwargs)

    register_pytree_node(nodetype, flatten, unflatten, lambda x, aux, n: [GetAttrKey(f) for f in data_fields])
    return nodetype


def _dict_flatten(d):
    keys = sorted(d)
    return [d[k] for k in keys], tuple(keys)


# --- keys: where a leaf sits (`tree_flatten_with_path`), printed as JAX prints them ---------------------


@dataclasses.dataclass(frozen=True)
class SequenceKey:
    idx: int

    def __str__(self) -> str:
        return f"[{self.idx!r}]"


@dataclasses.dataclass(frozen=True)
class DictKey:
    key: Any

    def __str__(self) -> str:
        return f"[{self.key!r}]"


@dataclasses.dataclass(frozen=True)
class GetAttrKey:
    name: str

    def __str__(self) -> str:
        return f".{self.name}"


@dataclasses.dataclass(frozen=True)
class FlattenedIndexKey:
    key: int

    def __str__(self) -> str:
        return f"[<flat index {self.key}>]"


def _sequence_keys(x, aux, n):
    return [SequenceKey(i) for i in range(n)]


register_pytree_node(tuple, lambda t: (t, None), lambda _, c: tuple(c), _sequence_keys)
register_pytree_node(list, lambda t: (t, None), lambda _, c: list(c), _sequence_keys)
register_pytree_node(dict, _dict_flatten, lambda keys, c: dict(zip(keys, c, strict=True)),
                     lambda x, keys, n: [DictKey(k) for k in keys])  # fmt: skip
register_pytree_node(
    collections.OrderedDict,
    lambda d: (list(d.values()), tuple(d.keys())),
    lambda keys, c: collections.OrderedDict(zip(keys, c, strict=True)),
    lambda x, keys, n: [DictKey(k) for k in keys],
)
register_pytree_node(
    collections.defaultdict,
    lambda d: (lambda vals, keys: (vals, (d.default_factory, keys)))(*_dict_flatten(d)),
    lambda aux, c: collections.defaultdict(aux[0], zip(aux[1], c, strict=True)),
    lambda x, aux, n: [DictKey(k) for k in aux[1]],
)


def _is_namedtuple(t: type) -> bool:
    return issubclass(t, tuple) and hasattr(t, "_fields")


def _node_of(x) -> tuple[type, _NodeType] | None:
    t = type(x)
    node = _registry.get(t)
    if node is not None:
        return t, node
    if x is None:
        return None
    if _is_namedtuple(t):
        return t, _namedtuple_node(t)
    return None


def _namedtuple_node(t: type) -> _NodeType:
    keys = [GetAttrKey(f) for f in t._fields]
    return _NodeType(lambda x: (tuple(x), None), lambda _, c: t(*c), lambda x, aux, n: keys)


class PyTreeDef:
    """The structure of a pytree: node type, aux data and children (leaves are `*`)."""

    __slots__ = ("node_type", "node_data", "children", "num_leaves", "num_nodes", "_hash")

    def __init__(self, node_type, node_data, children: tuple[PyTreeDef, ...]):
        self.node_type = node_type  # None for a leaf, type(None) for None, else the container type
        self.node_data = node_data
        self.children = children
        if node_type is None:
            self.num_leaves, self.num_nodes = 1, 1
        else:
            self.num_leaves = sum(c.num_leaves for c in children)
            self.num_nodes = 1 + sum(c.num_nodes for c in children)
        self._hash = None

    def _key(self):
        return (self.node_type, self.node_data, self.children)

    def __eq__(self, other) -> bool:
        return self is other or (isinstance(other, PyTreeDef) and self._key() == other._key())

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(self._key())
        return self._hash

    def __repr__(self) -> str:
        return f"PyTreeDef({self._str()})"

    def _str(self) -> str:
        t = self.node_type
        if t is None:
            return "*"
        if t is type(None):
            return "None"
        kids = [c._str() for c in self.children]
        if t is tuple:
            return "(" + ", ".join(kids) + ("," if len(kids) == 1 else "") + ")"
        if t is list:
            return "[" + ", ".join(kids) + "]"
        if t is dict:
            return "{" + ", ".join(f"{k!r}: {c}" for k, c in zip(self.node_data, kids, strict=True)) + "}"
        return f"CustomNode({t.__name__}[{self.node_data!r}], [{', '.join(kids)}])"

    def unflatten(self, leaves) -> Any:
        if self.node_type is None and type(leaves) is list and len(leaves) == 1:
            return leaves[0]
        leaves = list(leaves)
        if len(leaves) != self.num_leaves:
            raise ValueError(f"Too {'few' if len(leaves) < self.num_leaves else 'many'} leaves for PyTreeDef; "
                             f"expected {self.num_leaves}, got {len(leaves)}")
        it = iter(leaves)
        return self._build(it)

    def _build(self, it):
        t = self.node_type
        if t is None:
            return next(it)
        if t is type(None):
            return None
        children = [c._build(it) for c in self.children]
        node = _node_of_type(t)
        return node.from_iter(self.node_data, children)

    def flatten_up_to(self, tree) -> list:
        """The subtrees of `tree` at this structure's leaves (tree must have this structure as a prefix)."""
        out: list = []
        self._flatten_up_to(tree, out)
        return out

    def _flatten_up_to(self, tree, out: list) -> None:
        t = self.node_type
        if t is None:
            out.append(tree)
            return
        if t is type(None):
            if tree is not None:
                raise ValueError(f"Expected None, got {tree!r}")
            return
        found = _node_of(tree)
        if found is None or found[0] is not t:
            raise ValueError(f"Tree structure mismatch: expected a {t.__name__}, got {type(tree).__name__}: {tree!r}")
        children, aux = found[1].to_iter(tree)
        children = list(children)
        if aux != self.node_data or len(children) != len(self.children):
            raise ValueError(f"Tree structure mismatch for {t.__name__}: expected {self.node_data!r} with "
                             f"{len(self.children)} children, got {aux!r} with {len(children)}")
        for c, sub in zip(self.children, children, strict=True):
            c._flatten_up_to(sub, out)


def _node_of_type(t: type) -> _NodeType:
    node = _registry.get(t)
    if node is not None:
        return node
    if _is_namedtuple(t):
        return _namedtuple_node(t)
    raise TypeError(f"{t} is not a registered pytree node")  # pragma: no cover


_LEAF = PyTreeDef(None, None, ())
_NONE = PyTreeDef(type(None), None, ())


def _flatten(tree, leaves: list, is_leaf) -> PyTreeDef:
    if is_leaf is not None and is_leaf(tree):
        leaves.append(tree)
        return _LEAF
    if tree is None:
        return _NONE
    found = _node_of(tree)
    if found is None:
        leaves.append(tree)
        return _LEAF
    t, node = found
    children, aux = node.to_iter(tree)
    return PyTreeDef(t, aux, tuple(_flatten(c, leaves, is_leaf) for c in children))


def tree_flatten(tree, is_leaf: Callable[[Any], bool] | None = None) -> tuple[list, PyTreeDef]:
    """Leaves (left to right, dict keys sorted) and the structure."""
    leaves: list = []
    treedef = _flatten(tree, leaves, is_leaf)
    return leaves, treedef


def tree_unflatten(treedef: PyTreeDef, leaves) -> Any:
    return treedef.unflatten(leaves)


def tree_leaves(tree, is_leaf=None) -> list:
    return tree_flatten(tree, is_leaf)[0]


def tree_structure(tree, is_leaf=None) -> PyTreeDef:
    return tree_flatten(tree, is_leaf)[1]


def treedef_is_leaf(treedef: PyTreeDef) -> bool:
    return treedef.node_type is None


def tree_map(f: Callable, tree, *rest, is_leaf=None) -> Any:
    """Apply `f` leafwise over `tree` and trees `rest` that share its structure (or have it as a prefix)."""
    leaves, treedef = tree_flatten(tree, is_leaf)
    others = [treedef.flatten_up_to(r) for r in rest]
    return treedef.unflatten(f(*xs) for xs in zip(leaves, *others, strict=True))


def _leaves_with_path(tree, path: tuple, out: list, is_leaf) -> None:
    if is_leaf is not None and is_leaf(tree):
        out.append((path, tree))
        return
    if tree is None:
        return
    found = _node_of(tree)
    if found is None:
        out.append((path, tree))
        return
    node = found[1]
    children, aux = node.to_iter(tree)
    children = list(children)
    keys = node.keys(tree, aux, len(children)) if node.keys else [FlattenedIndexKey(i) for i in range(len(children))]
    for k, c in zip(keys, children, strict=True):
        _leaves_with_path(c, (*path, k), out, is_leaf)


def tree_flatten_with_path(tree, is_leaf: Callable[[Any], bool] | None = None) -> tuple[list, PyTreeDef]:
    """`(key_path, leaf)` pairs in `tree_flatten`'s order, and the structure.

    Example:
      >>> from jaxnc.tree_util import keystr, tree_flatten_with_path
      >>> [(keystr(p), x) for p, x in tree_flatten_with_path({"a": [1, 2], "b": 3})[0]]
      [("['a'][0]", 1), ("['a'][1]", 2), ("['b']", 3)]
    """
    out: list = []
    _leaves_with_path(tree, (), out, is_leaf)
    return out, tree_structure(tree, is_leaf)


def tree_leaves_with_path(tree, is_leaf: Callable[[Any], bool] | None = None) -> list:
    out: list = []
    _leaves_with_path(tree, (), out, is_leaf)
    return out


def tree_map_with_path(f: Callable, tree, *rest, is_leaf=None) -> Any:
    """`tree_map` where `f(key_path, leaf, *others)` also gets the leaf's key path."""
    pairs, treedef = tree_flatten_with_path(tree, is_leaf)
    others = [treedef.flatten_up_to(r) for r in rest]
    return treedef.unflatten(f(p, x, *xs) for (p, x), *xs in zip(pairs, *others, strict=True))


def keystr(keys: tuple, *, simple: bool = False, separator: str = "") -> str:
    """A key path as text: `['a'][0].w`; with `simple=True` just the keys joined by `separator`."""
    if not simple:
        return "".join(str(k) for k in keys)

    def plain(k):
        return str(getattr(k, dataclasses.fields(k)[0].name))

    return separator.join(plain(k) for k in keys)


def tree_transpose(outer_treedef: PyTreeDef, inner_treedef: PyTreeDef, pytree_to_transpose) -> Any:
    """Turn a tree of trees (outer of inner) into an inner tree of outer trees."""
    flat = outer_treedef.flatten_up_to(pytree_to_transpose)
    inner = [inner_treedef.flatten_up_to(x) for x in flat]
    cols = zip(*inner, strict=True) if inner else [[] for _ in range(inner_treedef.num_leaves)]
    return inner_treedef.unflatten(outer_treedef.unflatten(col) for col in cols)


def tree_all(tree) -> bool:
    return all(tree_leaves(tree))


def tree_reduce(f: Callable, tree, *initializer, is_leaf=None):
    return functools.reduce(f, tree_leaves(tree, is_leaf), *initializer)


def all_leaves(iterable) -> bool:
    return all(treedef_is_leaf(tree_structure(x)) for x in iterable)


def Partial(func, *args, **kwargs):
    """`functools.partial` registered as a pytree whose children are the bound arguments."""
    return _Partial(func, *args, **kwargs)


class _Partial(functools.partial):
    pass


register_pytree_node(
    _Partial,
    lambda p: ((p.args, p.keywords), p.func),
    lambda func, c: _Partial(func, *c[0], **c[1]),
)
