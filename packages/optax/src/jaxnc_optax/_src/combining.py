"""Combining transformations: in sequence (`chain`, `named_chain`) and side by side (`partition`)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import NamedTuple

from jaxnc import tree_util
from jaxnc_optax._src import base
from jaxnc_optax._src.masking import masked


def chain(*args: base.GradientTransformation) -> base.GradientTransformationExtraArgs:
    """Apply transformations one after the other; the state is the tuple of their states.

    Args:
      *args: the transformations, first applied first.

    Returns:
      A `GradientTransformationExtraArgs` that forwards keyword extras to every member.
    """
    transforms = [base.with_extra_args_support(t) for t in args]

    def init_fn(params):
        return tuple(t.init(params) for t in transforms)

    def update_fn(updates, state, params=None, **extra_args):
        if len(transforms) != len(state):
            raise ValueError(
                f"chain has {len(transforms)} transformations but the state has {len(state)} entries; "
                "make sure the state came from this chain's init."
            )
        new_state = []
        for s, t in zip(state, transforms, strict=True):
            updates, new_s = t.update(updates, s, params, **extra_args)
            new_state.append(new_s)
        return updates, tuple(new_state)

    return base.GradientTransformationExtraArgs(init_fn, update_fn)


def named_chain(*args: tuple[str, base.GradientTransformation]) -> base.GradientTransformationExtraArgs:
    """`chain` whose state is a dict keyed by the given names.

    Args:
      *args: `(name, transformation)` pairs with unique names.

    Returns:
      A `GradientTransformationExtraArgs`.
    """
    names = [name for name, _ in args]
    if len(names) != len(set(names)):
        raise ValueError(f"named_chain needs unique names, got {names}.")
    transforms = [(name, base.with_extra_args_support(t)) for name, t in args]

    def init_fn(params):
        return {name: t.init(params) for name, t in transforms}

    def update_fn(updates, state, params=None, **extra_args):
        new_state = {}
        for name, t in transforms:
            updates, new_state[name] = t.update(updates, state[name], params, **extra_args)
        return updates, new_state

    return base.GradientTransformationExtraArgs(init_fn, update_fn)


class PartitionState(NamedTuple):
    """One inner state per label."""

    inner_states: Mapping[Hashable, base.OptState]


def partition(
    transforms: Mapping[Hashable, base.GradientTransformation],
    param_labels: base.PyTree | Callable[[base.PyTree], base.PyTree],
    *,
    mask_compatible_extra_args: bool = False,
) -> base.GradientTransformationExtraArgs:
    """Apply a different transformation to each labelled group of parameters.

    Args:
      transforms: label -> transformation.
      param_labels: a tree of labels shaped like the params (or a prefix of it), or a function of
        the params that returns one.
      mask_compatible_extra_args: also mask keyword extras that are shaped like the updates.

    Returns:
      A `GradientTransformationExtraArgs` whose state is a `PartitionState`.

    Example:
      >>> import jaxnc.numpy as jnp
      >>> import jaxnc_optax as optax
      >>> params = {"backbone": jnp.ones(2), "head": jnp.ones(2)}
      >>> opt = optax.partition({"train": optax.sgd(0.5), "freeze": optax.set_to_zero()},
      ...                       {"backbone": "freeze", "head": "train"})
      >>> updates, _ = opt.update({"backbone": jnp.ones(2), "head": jnp.ones(2)}, opt.init(params))
      >>> updates["backbone"].tolist(), updates["head"].tolist()
      ([0.0, 0.0], [-0.5, -0.5])
    """
    transforms = {k: base.with_extra_args_support(v) for k, v in transforms.items()}

    def labels_of(tree):
        return param_labels(tree) if callable(param_labels) else param_labels

    def masked_member(labels, group):
        mask = tree_util.tree_map(lambda label: label == group, labels)
        return masked(transforms[group], mask, mask_compatible_extra_args=mask_compatible_extra_args)

    def init_fn(params):
        labels = labels_of(params)
        label_set = set(tree_util.tree_leaves(labels))
        if not label_set.issubset(transforms):
            raise ValueError(
                f"Some parameters have no transformation: labels {sorted(map(str, label_set))}, "
                f"transformations {sorted(map(str, transforms))}."
            )
        return PartitionState({group: masked_member(labels, group).init(params) for group in transforms})

    def update_fn(updates, state, params=None, **extra_args):
        labels = labels_of(updates)
        new_inner = {}
        for group in transforms:
            updates, new_inner[group] = masked_member(labels, group).update(
                updates, state.inner_states[group], params, **extra_args
            )
        return updates, PartitionState(new_inner)

    return base.GradientTransformationExtraArgs(init_fn, update_fn)


multi_transform = partition
MultiTransformState = PartitionState
