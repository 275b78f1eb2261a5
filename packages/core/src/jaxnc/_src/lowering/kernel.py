"""What a kernel backend renders: Kernels (a scalar expression over a loop nest) and Routines."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np

from jaxnc._src import core
from jaxnc._src.lowering import ir

REDUCE_OPS = ("add", "mul", "max", "min", "and", "or")


@dataclasses.dataclass(frozen=True)
class Reduce:
    """`acc = op over the reduced loops (r0, r1, ...) of body`; the output is `epilogue(acc)`."""

    op: str  # one of REDUCE_OPS
    shape: tuple[int, ...]
    dtype: np.dtype  # the accumulator's dtype
    epilogue: ir.Expr  # in `acc` and the output loop vars; may load other inputs

    @property
    def size(self) -> int:
        return math.prod(self.shape)


@dataclasses.dataclass(frozen=True)
class Kernel:
    """`out[i0, i1, ...] = body` (or the reduction's epilogue) for every index of `shape`.

    Inputs are flat buffers read by `load(k, index)` nodes, with `in_dtypes[k]` their element types;
    the output is a contiguous buffer of `shape` and `out_dtype`. Loop vars are `i<d>` over `shape`
    and `r<d>` over `reduce.shape`.
    """

    shape: tuple[int, ...]
    out_dtype: np.dtype
    in_dtypes: tuple[np.dtype, ...]
    body: ir.Expr
    reduce: Reduce | None = None
    name: str = "kernel"

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def key(self):
        """Structural identity: equal keys render to the same code (names are not part of it)."""
        return (self.shape, self.out_dtype.str, tuple(d.str for d in self.in_dtypes), self.body, self.reduce)

    def roots(self) -> list[ir.Expr]:
        return [self.body] + ([self.reduce.epilogue] if self.reduce else [])

    def ops(self) -> set[tuple[str, np.dtype]]:
        """(op, dtype of its first argument or itself) of every node: what a renderer must support."""
        return {(n.op, (n.args[0].dtype if n.args else n.dtype)) for n in ir.toposort(self.roots())}

    def work(self) -> int:
        """Rough element-operation count, for splitting work over threads."""
        return self.size * max(1, self.reduce.size if self.reduce else 1)

    def __str__(self) -> str:
        shape = ",".join(map(str, self.shape))
        ins = ", ".join(f"in{k}:{d.name}" for k, d in enumerate(self.in_dtypes))
        head = f"{self.name}({ins}) -> {self.out_dtype.name}[{shape}]"
        if self.reduce is None:
            return f"{head}\n    out = {ir.pp_expr(self.body)}"
        r = self.reduce
        return (f"{head}\n    acc:{r.dtype.name} = {r.op} over r[{','.join(map(str, r.shape))}] of "
                f"{ir.pp_expr(self.body)}\n    out = {ir.pp_expr(r.epilogue)}")  # fmt: skip


@dataclasses.dataclass(frozen=True, eq=False)
class Routine:
    """A non-fusible operation on contiguous buffers; `reference` computes it with NumPy.

    `name` is the primitive's name; a backend may render it natively (see KernelBackend.compile_routine).
    """

    name: str
    params: dict
    in_avals: tuple[core.ShapedArray, ...]
    out_avals: tuple[core.ShapedArray, ...]
    reference: Callable[..., list[np.ndarray]]

    def __str__(self) -> str:
        ins = ", ".join(a.str_short() for a in self.in_avals)
        outs = ", ".join(a.str_short() for a in self.out_avals)
        params = " ".join(f"{k}={v}" for k, v in self.params.items() if not k.startswith("_") and not callable(v)
                          and not isinstance(v, (core.ClosedJaxpr, core.Jaxpr)))  # fmt: skip
        return f"routine {self.name}[{params}]({ins}) -> ({outs})"


def primitive_routine(prim: core.Primitive, params: dict, in_avals, out_avals) -> Routine:
    """The routine running `prim`'s NumPy reference implementation."""
    if prim.impl is None:
        raise NotImplementedError(f"primitive {prim.name} has no reference implementation to run as a routine")

    def reference(*args):
        outs = prim.impl(*args, **params)
        outs = outs if prim.multiple_results else (outs,)
        return [np.asarray(x, dtype=a.dtype).reshape(a.shape) for x, a in zip(outs, out_avals, strict=True)]

    return Routine(prim.name, params, tuple(in_avals), tuple(out_avals), reference)
