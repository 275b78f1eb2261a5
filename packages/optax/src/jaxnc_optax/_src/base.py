"""The gradient-transformation contract: `GradientTransformation(init, update)` and the trivial ones."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, Protocol, runtime_checkable

import jaxnc.numpy as jnp
from jaxnc import tree_util

NO_PARAMS_MSG = (
    "You are using a transformation that requires the current value of parameters, but you are not "
    "passing `params` when calling `update`."
)

PyTree = Any
Shape = tuple[int, ...]
PRNGKey = Any
ArrayTree = Any  # an array, or nested lists/tuples/dicts of them
OptState = ArrayTree
Params = ArrayTree
Updates = Params
Schedule = Callable[[Any], Any]
ScheduleState = Any
ScalarOrSchedule = float | Any | Schedule


@runtime_checkable
class StatefulSchedule(Protocol):
    """A schedule that carries state between steps (`init`, `update`, `__call__`)."""

    def init(self) -> ScheduleState:
        """Returns the schedule's initial state."""

    def update(self, state: ScheduleState, **extra_args: Any) -> ScheduleState:
        """Returns the state after one step."""

    def __call__(self, state: ScheduleState, **extra_args: Any) -> Any:
        """Returns the scheduled value for `state`."""


class TransformInitFn(Protocol):
    """`init(params) -> state`."""

    def __call__(self, params: Params) -> OptState:
        """Builds the initial optimizer state for `params`."""


class TransformUpdateFn(Protocol):
    """`update(updates, state, params=None) -> (updates, state)`."""

    def __call__(self, updates: Updates, state: OptState, params: Params | None = None) -> tuple[Updates, OptState]:
        """Transforms `updates` and advances `state`."""


class TransformUpdateExtraArgsFn(Protocol):
    """`update(updates, state, params=None, **extra_args) -> (updates, state)`."""

    def __call__(
        self, updates: Updates, state: OptState, params: Params | None = None, **extra_args: Any
    ) -> tuple[Updates, OptState]:
        """Transforms `updates` and advances `state`, with keyword extras (e.g. `value=loss`)."""


class GradientTransformation(NamedTuple):
    """A pair of pure functions: `init(params) -> state` and `update(updates, state, params) -> (updates, state)`.

    Both are jittable; neither consumes its inputs; states are pytrees.
    """

    init: TransformInitFn
    update: TransformUpdateFn


class GradientTransformationExtraArgs(GradientTransformation):
    """A `GradientTransformation` whose `update` also takes keyword extras and ignores unknown ones."""

    update: TransformUpdateExtraArgsFn


class EmptyState(NamedTuple):
    """The state of a stateless transformation: an empty pytree."""


def init_empty_state(params: Params) -> EmptyState:
    """Init function of stateless transformations.

    Args:
      params: ignored.

    Returns:
      An `EmptyState`.
    """
    del params
    return EmptyState()


def identity() -> GradientTransformation:
    """A transformation that returns its updates unchanged.

    Returns:
      A `GradientTransformation`.
    """

    def update_fn(updates, state, params=None):
        del params
        return updates, state

    return GradientTransformation(init_empty_state, update_fn)


def set_to_zero() -> GradientTransformation:
    """A transformation that replaces every update by zeros (freezes parameters).

    Returns:
      A `GradientTransformation`.
    """

    def update_fn(updates, state, params=None):
        del params
        return tree_util.tree_map(jnp.zeros_like, updates), state

    return GradientTransformation(init_empty_state, update_fn)


def stateless(f: Callable[[Updates, Params | None], Updates]) -> GradientTransformation:
    """A stateless transformation from a function of the whole update tree.

    Args:
      f: `f(updates, params) -> updates`.

    Returns:
      A `GradientTransformation`.
    """

    def update_fn(updates, state, params=None):
        del state
        return f(updates, params), EmptyState()

    return GradientTransformation(init_empty_state, update_fn)


def stateless_with_tree_map(f: Callable[[Any, Any], Any]) -> GradientTransformation:
    """A stateless transformation from a function applied leaf by leaf.

    Args:
      f: `f(update_leaf, param_leaf_or_None) -> update_leaf`.

    Returns:
      A `GradientTransformation`.
    """

    def update_fn(updates, state, params=None):
        del state
        if params is not None:
            return tree_util.tree_map(f, updates, params), EmptyState()
        return tree_util.tree_map(lambda u: f(u, None), updates), EmptyState()

    return GradientTransformation(init_empty_state, update_fn)


def with_extra_args_support(tx: GradientTransformation) -> GradientTransformationExtraArgs:
    """Wraps a transformation so that its `update` accepts (and drops) keyword extras.

    Args:
      tx: any `GradientTransformation`.

    Returns:
      `tx` itself if it already takes extras, else a wrapper that does.
    """
    if isinstance(tx, GradientTransformationExtraArgs):
        return tx

    def update(updates, state, params=None, **extra_args):
        del extra_args
        return tx.update(updates, state, params)

    return GradientTransformationExtraArgs(tx.init, update)
