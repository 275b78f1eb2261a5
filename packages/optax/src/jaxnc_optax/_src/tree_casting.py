"""Dtypes of whole pytrees: casting, casting like another tree, and the tree's common dtype."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

import jaxnc.numpy as jnp
from jaxnc import tree_util


def tree_cast(tree: Any, dtype: Any) -> Any:
    """Every leaf cast to `dtype`; the tree unchanged when `dtype` is None."""
    if dtype is None:
        return tree
    return tree_util.tree_map(lambda t: t.astype(dtype), tree)


def tree_cast_like(tree: Any, other_tree: Any) -> Any:
    """Every leaf cast to the dtype of the matching leaf of `other_tree` (leaves without a dtype kept)."""
    return tree_util.tree_map(lambda t, o: t.astype(o.dtype) if hasattr(o, "dtype") else t, tree, other_tree)


def _leaf_dtype(x: Any) -> np.dtype:
    return np.dtype(x.dtype if hasattr(x, "dtype") else jnp.asarray(x).dtype)


def _lower_dtype(dtype1: Any, dtype2: Any) -> Any:
    promoted = jnp.promote_types(dtype1, dtype2)
    if promoted == dtype1:
        return dtype2
    if promoted == dtype2:
        return dtype1
    raise ValueError(f"Cannot order dtypes {dtype1} and {dtype2}: neither promotes to the other.")


def _higher_dtype(dtype1: Any, dtype2: Any) -> Any:
    return dtype2 if _lower_dtype(dtype1, dtype2) == dtype1 else dtype1


def tree_dtype(tree: Any, mixed_dtype_handler: str | None = None) -> Any:
    """The dtype of the tree's leaves.

    Args:
      tree: a pytree of arrays.
      mixed_dtype_handler: `None` (all leaves must agree), `"promote"`, `"highest"` or `"lowest"`.

    Returns:
      A dtype (float32 for an empty tree, as `jnp.asarray([])`).
    """
    dtypes = [_leaf_dtype(x) for x in tree_util.tree_leaves(tree)]
    if not dtypes:
        return jnp.asarray([]).dtype
    if mixed_dtype_handler is None:
        mismatched = sorted({str(d) for d in dtypes if d != dtypes[0]})
        if mismatched:
            raise ValueError(f"Expected every leaf to have dtype {dtypes[0]}, but some have {mismatched}.")
        return dtypes[0]
    reducers = {"promote": jnp.promote_types, "highest": _higher_dtype, "lowest": _lower_dtype}
    if mixed_dtype_handler not in reducers:
        raise ValueError(
            f"Invalid mixed_dtype_handler={mixed_dtype_handler!r}; expected None, 'promote', 'highest' or 'lowest'."
        )
    return functools.reduce(reducers[mixed_dtype_handler], dtypes)
