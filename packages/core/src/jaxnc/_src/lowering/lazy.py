"""Lazy values during lowering: an expression over views of buffers, maybe awaiting a reduction.

A `Lazy` of shape S is `expr`, whose leaves are `view`/`valid`/`vindex` nodes with trackers of shape
S (and constants). A movement op maps every leaf's tracker, so it never touches data. A reduction
leaves `red` set: `red.body` is over S + red.shape and `expr` is the epilogue in `acc`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from jaxnc._src import core
from jaxnc._src.lowering import ir
from jaxnc._src.lowering.view import ShapeTracker

TRACKED = ("view", "valid", "vindex")


@dataclasses.dataclass(frozen=True)
class PendingReduce:
    op: str
    body: ir.Expr  # over shape + rshape
    rshape: tuple[int, ...]
    dtype: np.dtype


@dataclasses.dataclass(frozen=True)
class Lazy:
    aval: core.ShapedArray
    expr: ir.Expr
    red: PendingReduce | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        return self.aval.shape

    def buffer_slot(self) -> int | None:
        """The slot when this value is exactly a buffer read contiguously (no kernel needed)."""
        e = self.expr
        if self.red is None and e.op == "view" and e.arg[1].plain and e.dtype == self.aval.dtype:
            return e.arg[0]
        return None

    def slots(self) -> set[int]:
        roots = [self.expr] + ([self.red.body] if self.red else [])
        return {n.arg[0] for n in ir.toposort(roots) if n.op == "view"}


def buffer_value(slot: int, aval: core.ShapedArray) -> Lazy:
    return Lazy(aval, ir.make("view", aval.dtype, (), (slot, ShapeTracker.contiguous(aval.shape))))


def constant(value, aval: core.ShapedArray) -> Lazy:
    return Lazy(aval, ir.const(value, aval.dtype))


def map_trackers(expr: ir.Expr, fn: Callable[[ShapeTracker], ShapeTracker], memo: dict | None = None) -> ir.Expr:
    """`expr` with every tracked leaf's tracker replaced by `fn(tracker)`."""

    def leaf(node, args):
        if node.op == "view":
            return ir.make("view", node.dtype, (), (node.arg[0], fn(node.arg[1])))
        if node.op in ("valid", "vindex"):
            return ir.make(node.op, node.dtype, (), fn(node.arg))
        return None

    return ir.rewrite(expr, leaf, memo)


def move(x: Lazy, shape, fn: Callable[[ShapeTracker], ShapeTracker]) -> Lazy:
    """A movement op: the same expression over trackers moved by `fn` (never on a pending reduction)."""
    if x.red is not None:
        raise ValueError("a movement op cannot apply to a pending reduction; materialize it first")
    return Lazy(x.aval.update(shape=tuple(shape)), map_trackers(x.expr, fn))
