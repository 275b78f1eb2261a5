"""The op table: one entry per (domain, op type), filled by the `@op` decorator in the ops modules."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable


@dataclasses.dataclass(frozen=True)
class OpDef:
    """An op implementation `fn(node, *inputs) -> output | tuple of outputs`.

    `static`: the implementation only uses functions NumPy and jaxnc.numpy share, so when every input
    is a host value (a shape, a constant) it runs on NumPy through `node.xp` and its output stays a
    host value: that is how Shape -> Gather -> Concat -> Reshape chains stay static under jit.
    """

    fn: Callable
    static: bool


OPS: dict[tuple[str, str], OpDef] = {}


def op(*names: str, static: bool = False, domain: str = "") -> Callable:
    """Register `fn` as the implementation of the ONNX ops `names` (all opset versions, in one place)."""

    def register(fn: Callable) -> Callable:
        for name in names:
            if (domain, name) in OPS:
                raise ValueError(f"op {domain}::{name} is registered twice")
            OPS[(domain, name)] = OpDef(fn, static)
        return fn

    return register
