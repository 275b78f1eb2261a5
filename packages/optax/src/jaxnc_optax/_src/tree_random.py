"""Random pytrees: one key per leaf, and random leaves shaped like a target tree."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jaxnc
from jaxnc import tree_util


def canonicalize_key(key_or_seed: Any) -> Any:
    """A PRNG key from a key or an integer seed (`jaxnc.random.key(seed)`, as optax does)."""
    if isinstance(key_or_seed, int):
        return jaxnc.random.key(key_or_seed)
    return key_or_seed


def tree_split_key_like(rng_key: Any, target_tree: Any) -> Any:
    """Split `rng_key` into one key per leaf of `target_tree`, arranged like it."""
    treedef = tree_util.tree_structure(target_tree)
    keys = jaxnc.random.split(rng_key, treedef.num_leaves)
    return tree_util.tree_unflatten(treedef, [keys[i] for i in range(treedef.num_leaves)])


def tree_random_like(
    rng_key: Any, target_tree: Any, sampler: Callable[..., Any] | None = None, dtype: Any = None
) -> Any:
    """A tree of random arrays shaped (and typed) like `target_tree`.

    Args:
      rng_key: the key to split, one sub-key per leaf.
      target_tree: the tree whose structure, shapes and dtypes to match.
      sampler: `sampler(key, shape, dtype)`; `jaxnc.random.normal` by default.
      dtype: the sample dtype; each leaf's own dtype when None.

    Returns:
      The random tree.
    """
    sampler = jaxnc.random.normal if sampler is None else sampler
    keys = tree_split_key_like(rng_key, target_tree)
    return tree_util.tree_map(lambda leaf, key: sampler(key, leaf.shape, dtype or leaf.dtype), target_tree, keys)
