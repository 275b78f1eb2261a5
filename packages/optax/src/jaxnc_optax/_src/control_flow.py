"""`cond` for the optimizers: `jaxnc.lax.cond` when core has it, else both branches and a leafwise select."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jaxnc.numpy as jnp
from jaxnc import lax, tree_util


def cond(pred: Any, true_fun: Callable[..., Any], false_fun: Callable[..., Any], *operands: Any) -> Any:
    """`lax.cond(pred, true_fun, false_fun, *operands)`.

    NB: until jaxnc.lax has `cond`, both branches run and `jnp.where` picks each leaf. That is the
    same value for the pure branches used here (a NaN in the branch not taken is discarded), at the
    cost of computing both.

    Args:
      pred: a boolean scalar.
      true_fun: the branch taken when `pred` holds.
      false_fun: the other branch; must return the same tree structure.
      *operands: passed to the branch.

    Returns:
      The chosen branch's output.
    """
    if hasattr(lax, "cond"):
        return lax.cond(pred, true_fun, false_fun, *operands)
    on_true, on_false = true_fun(*operands), false_fun(*operands)
    true_leaves, true_def = tree_util.tree_flatten(on_true)
    false_leaves, false_def = tree_util.tree_flatten(on_false)
    if true_def != false_def:
        raise TypeError(f"cond branches must return the same tree structure, got {true_def} and {false_def}.")
    chosen = [jnp.where(pred, a, b) for a, b in zip(true_leaves, false_leaves, strict=True)]
    return tree_util.tree_unflatten(true_def, chosen)
