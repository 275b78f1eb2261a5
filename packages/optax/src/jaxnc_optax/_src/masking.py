"""Applying a transformation to a masked subset of the parameters (`masked`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from jaxnc import tree_util
from jaxnc_optax._src import base
from jaxnc_optax._src.tree_params import _ParamsPlaceholder


class MaskedState(NamedTuple):
    """The inner transformation's state, built on the masked parameters."""

    inner_state: Any


class MaskedNode(NamedTuple):
    """Stands for a masked-out leaf: an empty pytree node, so the inner transformation never sees it."""


def _mask_callable(mask: Any) -> bool:
    callable_leaves = tree_util.tree_leaves(tree_util.tree_map(callable, mask))
    return len(callable_leaves) > 0 and all(callable_leaves)


def masked(
    inner: base.GradientTransformation,
    mask: base.PyTree | Callable[[base.Params], base.PyTree],
    *,
    mask_compatible_extra_args: bool = False,
) -> base.GradientTransformationExtraArgs:
    """Apply `inner` only where `mask` is True; other updates pass through unchanged.

    Args:
      inner: the transformation to apply to the selected leaves.
      mask: a tree of booleans shaped like the params (or a prefix of it), or a function of the
        params/updates that returns one.
      mask_compatible_extra_args: also mask keyword extras that have the updates' structure.

    Returns:
      A `GradientTransformationExtraArgs` whose state is a `MaskedState`.
    """
    inner = base.with_extra_args_support(inner)

    def mask_pytree(pytree, mask_tree):
        return tree_util.tree_map(lambda m, p: p if m else MaskedNode(), mask_tree, pytree)

    def maybe_mask_values(extra_args, base_pytree, mask_tree):
        base_structure = tree_util.tree_structure(base_pytree)

        def maybe_mask(value):
            if mask_compatible_extra_args and tree_util.tree_structure(value) == base_structure:
                return mask_pytree(value, mask_tree)
            return value

        return {k: maybe_mask(v) for k, v in extra_args.items()}

    def init_fn(params):
        if isinstance(params, _ParamsPlaceholder):
            return MaskedState(inner_state=inner.init(params))
        mask_tree = mask(params) if _mask_callable(mask) else mask
        return MaskedState(inner_state=inner.init(mask_pytree(params, mask_tree)))

    def update_fn(updates, state, params=None, **extra_args):
        mask_tree = mask(updates) if _mask_callable(mask) else mask
        masked_extra_args = maybe_mask_values(extra_args, updates, mask_tree)
        masked_updates = mask_pytree(updates, mask_tree)
        masked_params = None if params is None else mask_pytree(params, mask_tree)
        new_masked_updates, new_inner_state = inner.update(
            masked_updates, state.inner_state, masked_params, **masked_extra_args
        )
        new_updates = tree_util.tree_map(
            lambda m, new_u, old_u: new_u if m else old_u, mask_tree, new_masked_updates, updates
        )
        return new_updates, MaskedState(inner_state=new_inner_state)

    return base.GradientTransformationExtraArgs(init_fn, update_fn)
