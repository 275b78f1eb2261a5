"""cumsum, cumprod, cummax, cummin: one sequential pass per line, lines in parallel."""

from __future__ import annotations

import math

import numpy as np

from jaxnc._src.lowering import ir
from jaxnc._src.lowering.proc import ProcBuilder, RoutineProgram, local, native

_COMBINE = {"cumsum": "add", "cumprod": "mul", "cummax": "max", "cummin": "min"}
_DTYPES = {np.dtype(d) for d in (np.float32, np.float64, np.int32, np.int64, np.uint32, np.uint64)}


def line_layout(shape: tuple[int, ...], axis: int) -> tuple[int, int, int]:
    """(outer, n, inner): a C-contiguous array as `outer` × `n` × `inner` with `axis` in the middle."""
    return math.prod(shape[:axis]), shape[axis], math.prod(shape[axis + 1 :])


@native(*_COMBINE)
def cumulative(routine, caps) -> RoutineProgram | None:
    (x,) = routine.in_avals
    if x.dtype not in _DTYPES:
        return None
    outer, n, inner = line_layout(x.shape, routine.params["axis"])
    b = ProcBuilder(routine.name, (outer, inner), [x.dtype, x.dtype])
    base = ir.add(ir.mul(b.grid(0), ir.iconst(n * inner)), b.grid(1))
    acc = local("acc", x.dtype)
    with b.loop("j", 0, n) as j:
        k = ir.apply("sub", ir.iconst(n - 1), j) if routine.params["reverse"] else j
        at = ir.add(base, ir.mul(k, ir.iconst(inner)))
        value = b.load(0, at)
        with b.if_(ir.apply("eq", j, ir.iconst(0))):
            b.let("acc", value)
        with b.else_():
            b.set("acc", ir.apply(_COMBINE[routine.name], acc, value))
        b.store(1, at, acc)
    return RoutineProgram((b.build(),), n_in=1, n_out=1)
