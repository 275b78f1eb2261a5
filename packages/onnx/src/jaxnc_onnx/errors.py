"""The one error type of jaxnc-onnx: it names the node, its op type and what was wrong."""

from __future__ import annotations


class OnnxError(ValueError):
    """A model or a node could not be loaded or run; the message names the node, op type and problem."""


def node_error(node, problem: str) -> OnnxError:
    """An error for `node` (a NodeProto, or None for graph-level problems) describing `problem`."""
    if node is None:
        return OnnxError(problem)
    name = node.name or (node.output[0] if len(node.output) else "?")
    domain = f"{node.domain}::" if node.domain not in ("", "ai.onnx") else ""
    return OnnxError(f"node {name!r} ({domain}{node.op_type}): {problem}")
