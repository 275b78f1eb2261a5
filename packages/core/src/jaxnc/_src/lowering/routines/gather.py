"""gather with general GatherDimensionNumbers: one grid point per output element (dynamic_slice too).

The index arithmetic shared with the scatter family (`window_position`) follows the reference impl's
`_window_indices` (lax/slicing.py): a window is in bounds when every start read from `indices` is in
[0, n - size]; 'clip' clamps the starts into that range, 'fill' replaces (gather) or drops (scatter)
the whole window otherwise.
"""

from __future__ import annotations

import math

import numpy as np

from jaxnc._src.lax.slicing import _default_fill, _gather_window_dims
from jaxnc._src.lowering import ir
from jaxnc._src.lowering.proc import ProcBuilder, RoutineProgram, native

I32 = ir.INDEX
_I32_MAX, _I32_MIN = 2**31 - 1, -(2**31)


def as_index(x: ir.Expr) -> ir.Expr:
    """Integer index `x` as int32, saturating (a saturated index is out of bounds either way)."""
    dt = x.dtype
    if dt == I32:
        return x
    if dt.itemsize >= 4:
        if dt.kind == "i":
            x = ir.apply("max", x, ir.const(_I32_MIN, dt))
        x = ir.apply("min", x, ir.const(_I32_MAX, dt))
    return ir.cast(x, I32)


def unravel(flat: ir.Expr, shape: tuple[int, ...]) -> list[ir.Expr]:
    """C-order coordinates of `flat` (in [0, prod(shape))) over `shape`."""
    coords, stride = [], math.prod(shape)
    for d, n in enumerate(shape):
        stride //= n
        c = ir.div(flat, ir.iconst(stride)) if stride != 1 else flat
        coords.append(c if d == 0 else ir.rem(c, ir.iconst(n)))
    return coords


def ravel(coords, shape: tuple[int, ...]) -> ir.Expr:
    """The C-order flat index of `coords` over `shape`."""
    out = ir.iconst(0)
    for c, n in zip(coords, shape, strict=True):
        out = ir.add(ir.mul(out, ir.iconst(n)), c)
    return out


def window_position(b: ProcBuilder, indices_buf: int, indices_shape, operand_shape, sizes, batch, window,
                    index_map, window_dims, operand_batching, indices_batching, clip: bool):  # fmt: skip
    """(flat operand index, window in bounds) of the window element at `window` (coordinates over
    `window_dims` of the operand) of the batch element at `batch` (coordinates over indices' batch dims)."""
    vector = ravel([*batch, ir.iconst(0)], indices_shape)
    valid = ir.const(True, np.bool_)
    coords = []
    for d, n in enumerate(operand_shape):
        start = ir.iconst(0)
        if d in index_map:
            start = as_index(b.load(indices_buf, ir.add(vector, ir.iconst(index_map.index(d)))))
            hi = n - sizes[d]
            inside = ir.logical_and(ir.apply("ge", start, ir.iconst(0)), ir.apply("le", start, ir.iconst(hi)))
            valid = ir.logical_and(valid, inside)
            if clip:
                start = ir.apply("min", ir.apply("max", start, ir.iconst(0)), ir.iconst(max(hi, 0)))
        elif d in operand_batching:
            start = batch[indices_batching[operand_batching.index(d)]]
        if d in window_dims:
            start = ir.add(start, window[window_dims.index(d)])
        coords.append(start)
    return ravel(coords, operand_shape), valid


@native("gather")
def gather(routine, caps) -> RoutineProgram | None:
    operand, indices = routine.in_avals
    (out,) = routine.out_avals
    p = routine.params
    dn, mode = p["dimension_numbers"], p["mode"]
    if indices.dtype.kind not in "iu":
        return None
    fill = p.get("fill_value")
    try:
        fill = np.array(_default_fill(operand.dtype) if fill is None else fill, dtype=operand.dtype)
    except (TypeError, ValueError, OverflowError):
        return None
    clip = mode != "fill"
    b = ProcBuilder("gather", (out.size,), [operand.dtype, indices.dtype, out.dtype])
    coords = unravel(b.grid(0), out.shape)
    batch = [c for d, c in enumerate(coords) if d not in dn.offset_dims]
    window = [coords[d] for d in dn.offset_dims]
    pos, valid = window_position(b, 1, indices.shape, operand.shape, p["slice_sizes"], batch, window,
                                 dn.start_index_map, _gather_window_dims(operand.ndim, dn), dn.operand_batching_dims,
                                 dn.start_indices_batching_dims, clip)  # fmt: skip
    if clip:
        b.store(2, b.grid(0), b.load(0, pos))
    else:
        with b.if_(valid):
            b.store(2, b.grid(0), b.load(0, pos))
        with b.else_():
            b.store(2, b.grid(0), ir.const(fill, operand.dtype))
    return RoutineProgram((b.build(),), n_in=2, n_out=1)
