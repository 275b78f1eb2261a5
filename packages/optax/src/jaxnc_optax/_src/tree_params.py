"""Mapping a function over the parameter-shaped parts of an optimizer state (`tree_map_params`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jaxnc import tree_util


@tree_util.register_pytree_node_class
class _ParamsPlaceholder:
    """A leafless stand-in for `params`: `init(placeholder)` shows where a state holds parameter trees."""

    def tree_flatten(self):
        return (), None

    @classmethod
    def tree_unflatten(cls, aux, children):
        del aux, children
        return cls()


def tree_map_params(
    initable: Any,
    f: Callable[..., Any],
    state: Any,
    /,
    *rest: Any,
    transform_non_params: Callable[..., Any] | None = None,
    is_leaf: Callable[[Any], bool] | None = None,
) -> Any:
    """Apply `f` to every parameter-shaped subtree of an optimizer state (e.g. to cast or shard moments).

    Args:
      initable: the transformation (anything with `init`) or its `init` function that built `state`.
      f: applied leafwise to each parameter-shaped subtree (with the matching leaves of `rest`).
      state: the optimizer state.
      *rest: more trees shaped like the params, passed to `f`.
      transform_non_params: applied to every other leaf of the state; left as is when None.
      is_leaf: passed to the tree map over each parameter subtree.

    Returns:
      The mapped state.
    """
    init = initable.init if hasattr(initable, "init") else initable
    with_placeholders = init(_ParamsPlaceholder())

    def map_params(maybe_placeholder, value):
        if isinstance(maybe_placeholder, _ParamsPlaceholder):
            return tree_util.tree_map(f, value, *rest, is_leaf=is_leaf)
        if transform_non_params is not None:
            return transform_non_params(value)
        return value

    return tree_util.tree_map(map_params, with_placeholders, state, is_leaf=lambda v: isinstance(v, _ParamsPlaceholder))
