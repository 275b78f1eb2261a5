"""The scatter family (scatter, scatter_add, scatter_mul, scatter_min, scatter_max), general dimension
numbers: copy the operand, then apply every update in order.

Updates are applied one at a time in C order over `updates`, as the reference impl (`np.ufunc.at`,
fancy assignment: the last write wins), so repeated indices give the same result bit for bit. That
application is sequential except over the dims that provably separate writes: operand batching dims
and window dims along operand dims that no index moves (a row scatter runs one grid point per column).
On GPU backends a scatter of many scalar updates (one grid point) is slow; `unique_indices` is a
promise, not a proof, so it does not parallelize yet.
Out-of-bounds windows are clamped in mode 'clip' and dropped otherwise, as in the impl.
"""

from __future__ import annotations

import math

import numpy as np

from jaxnc._src.lowering import ir
from jaxnc._src.lowering.proc import ProcBuilder, RoutineProgram, native
from jaxnc._src.lowering.routines.gather import ravel, unravel, window_position

_COMBINE = {"scatter_add": "add", "scatter_mul": "mul", "scatter_min": "min", "scatter_max": "max"}
_BOOL_COMBINE = {"add": "or", "mul": "and", "max": "or", "min": "and"}  # what the lax ops compute on bools


@native("scatter", *_COMBINE)
def scatter(routine, caps) -> RoutineProgram | None:
    operand, indices, updates = routine.in_avals
    dn, mode = routine.params["dimension_numbers"], routine.params["mode"]
    if indices.dtype.kind not in "iu" or operand.dtype.kind not in "fiub":
        return None
    bufs = [operand.dtype, indices.dtype, updates.dtype, operand.dtype]

    copy = ProcBuilder("scatter_copy", (operand.size,), bufs)
    copy.store(3, copy.grid(0), copy.load(0, copy.grid(0)))

    scatter_dims = [d for d in range(updates.ndim) if d not in dn.update_window_dims]
    window_dims = [d for d in range(operand.ndim) if d not in dn.inserted_window_dims
                   and d not in dn.operand_batching_dims]  # fmt: skip
    sizes = [1] * operand.ndim
    for d, ud in zip(window_dims, dn.update_window_dims, strict=True):
        sizes[d] = updates.shape[ud]
    # NB: updates that write one operand element agree on these dims (a batching dim's coordinate is
    # the operand's; so is a window coordinate along an operand dim no index moves), so a grid over
    # them is conflict-free and each point still applies its updates in C order.
    grid_dims = [scatter_dims[d] for d in dn.scatter_indices_batching_dims]
    grid_dims += [ud for d, ud in zip(window_dims, dn.update_window_dims, strict=True)
                  if d not in dn.scatter_dims_to_operand_dims]  # fmt: skip
    grid_dims.sort()
    loop_dims = [d for d in range(updates.ndim) if d not in grid_dims]
    b = ProcBuilder(routine.name, tuple(updates.shape[d] for d in grid_dims), bufs)
    loop_shape = tuple(updates.shape[d] for d in loop_dims)
    with b.loop("e", 0, math.prod(loop_shape)) as e:
        coords = dict(zip(loop_dims, unravel(e, loop_shape), strict=True))
        coords.update({d: b.grid(k) for k, d in enumerate(grid_dims)})
        coords = [coords[d] for d in range(updates.ndim)]
        pos, valid = window_position(b, 1, indices.shape, operand.shape, sizes, [coords[d] for d in scatter_dims],
                                     [coords[d] for d in dn.update_window_dims], dn.scatter_dims_to_operand_dims,
                                     window_dims, dn.operand_batching_dims, dn.scatter_indices_batching_dims,
                                     clip=mode == "clip")  # fmt: skip
        at = b.let("at", pos)
        value = b.load(2, ravel(coords, updates.shape))
        if routine.name != "scatter":
            op = _COMBINE[routine.name]
            op = _BOOL_COMBINE[op] if operand.dtype == np.bool_ else op
            value = ir.apply(op, b.load(3, at), value)
        if mode == "clip":
            b.store(3, at, value)
        else:
            with b.if_(valid):
                b.store(3, at, value)
    return RoutineProgram((copy.build(), b.build()), n_in=3, n_out=1)
