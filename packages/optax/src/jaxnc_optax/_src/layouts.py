"""Running a transformation on one flat vector of all the parameters (`flatten`)."""

from __future__ import annotations

from typing import Any

import numpy as np

import jaxnc.numpy as jnp
from jaxnc import tree_util
from jaxnc_optax._src import base


def _flatten(tree: Any) -> Any:
    return jnp.concatenate([jnp.reshape(leaf, (-1,)) for leaf in tree_util.tree_leaves(tree)])


def _unflatten(like: Any, flat: Any) -> Any:
    leaves, treedef = tree_util.tree_flatten(like)
    offsets = np.cumsum([int(np.prod(leaf.shape)) for leaf in leaves])
    starts = [0, *offsets[:-1]]
    pieces = [
        jnp.reshape(flat[int(start) : int(stop)], leaf.shape)
        for start, stop, leaf in zip(starts, offsets, leaves, strict=True)
    ]
    return tree_util.tree_unflatten(treedef, pieces)


def flatten(inner: base.GradientTransformation) -> base.GradientTransformationExtraArgs:
    """Run `inner` on the concatenation of all leaves (fewer, larger ops for trees of many small leaves).

    Args:
      inner: the transformation.

    Returns:
      A `GradientTransformationExtraArgs` whose state is `inner`'s state on the flat vector.
    """
    inner = base.with_extra_args_support(inner)

    def init_fn(params):
        return inner.init(_flatten(params))

    def update_fn(updates, state, params=None, **extra_args):
        flat_params = None if params is None else _flatten(params)
        flat_updates, state = inner.update(_flatten(updates), state, flat_params, **extra_args)
        return _unflatten(updates, flat_updates), state

    return base.GradientTransformationExtraArgs(init_fn, update_fn)
