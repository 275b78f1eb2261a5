"""Freezing parameters: zero updates for a masked subset (`freeze`, `selective_transform`)."""

from __future__ import annotations

from typing import Any

from jaxnc import tree_util
from jaxnc_optax._src import base
from jaxnc_optax._src.combining import partition
from jaxnc_optax._src.masking import masked


def freeze(mask: bool | Any) -> base.GradientTransformation:
    """Zero the updates where `mask` is True; leave the rest unchanged.

    Args:
      mask: True to freeze everything, or a boolean tree (a prefix of the params) of leaves to freeze.

    Returns:
      A `GradientTransformation`.
    """
    return masked(base.set_to_zero(), mask)


def selective_transform(
    optimizer: base.GradientTransformation, *, freeze_mask: bool | Any
) -> base.GradientTransformation:
    """Apply `optimizer` to the parameters not in `freeze_mask`; freeze the rest.

    Args:
      optimizer: the transformation for trainable parameters.
      freeze_mask: a boolean tree (a prefix of the params), True for frozen leaves.

    Returns:
      A `GradientTransformation`.
    """

    def label_fn(params):
        del params
        return tree_util.tree_map(lambda m: "freeze" if m else "train", freeze_mask)

    return partition({"train": optimizer, "freeze": base.set_to_zero()}, param_labels=label_fn)
