"""Vectorization: the batching trace behind `vmap`, and helpers for writing batching rules."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from jaxnc._src import core, dtypes
from jaxnc._src.core import get_aval

not_mapped = None


def _lax():
    from jaxnc._src.lax import lax

    return lax


class BatchTracer(core.Tracer):
    __slots__ = ("val", "batch_dim")

    def __init__(self, trace: BatchTrace, val, batch_dim: int) -> None:
        self._trace = trace
        self.val = val
        self.batch_dim = batch_dim

    @property
    def aval(self) -> core.ShapedArray:
        a = get_aval(self.val)
        shape = list(a.shape)
        del shape[self.batch_dim]
        return core.ShapedArray(shape, a.dtype, a.weak_type)


class BatchTrace(core.Trace):
    def __init__(self, parent: core.Trace, axis_size: int, axis_name=None) -> None:
        self.parent = parent
        self.axis_size = axis_size
        self.axis_name = axis_name

    def unpack(self, x):
        if isinstance(x, BatchTracer) and x._trace is self:
            return x.val, x.batch_dim
        if isinstance(x, core.Tracer):
            self.check_foreign(x)
        return x, not_mapped

    def process_primitive(self, prim, args, params):
        pairs = [self.unpack(x) for x in args]
        vals = [v for v, _ in pairs]
        dims = [d for _, d in pairs]
        with core.set_current_trace(self.parent):
            if all(d is not_mapped for d in dims):
                return prim.bind(*vals, **params)
            if prim.batch is None:
                raise NotImplementedError(f"Batching rule for '{prim.name}' not implemented")
            outs, out_dims = prim.batch(self.axis_size, vals, dims, **params)
        if prim.multiple_results:
            return [self.wrap(o, d) for o, d in zip(outs, out_dims, strict=True)]
        return self.wrap(outs, out_dims)

    def wrap(self, val, dim):
        return val if dim is not_mapped else BatchTracer(self, val, dim)


# --- helpers for rules ---------------------------------------------------------------------------


def moveaxis(x, src: int, dst: int):
    if src == dst:
        return x
    nd = get_aval(x).ndim
    perm = [i for i in range(nd) if i != src]
    perm.insert(dst, src)
    return _lax().transpose(x, tuple(perm))


def bdim_at_front(x, d, size: int):
    """`x` with its batch dimension first, broadcasting an unbatched value."""
    if d is not_mapped:
        a = get_aval(x)
        return _lax().broadcast_in_dim(x, (size, *a.shape), tuple(range(1, a.ndim + 1)))
    return moveaxis(x, d, 0)


def batch_elementwise(prim: core.Primitive) -> None:
    """Rule for primitives applied elementwise to operands of equal shape."""

    def rule(size, vals, dims, **params):
        batched = [d for d in dims if d is not not_mapped]
        if len(batched) == len(dims) and all(d == batched[0] for d in batched):
            return prim.bind(*vals, **params), (
                [batched[0]] * len(prim.out_avals([get_aval(v) for v in vals], params)) if prim.multiple_results else batched[0]
            )
        vals = [bdim_at_front(v, d, size) for v, d in zip(vals, dims, strict=True)]
        out = prim.bind(*vals, **params)
        return out, ([0] * len(out) if prim.multiple_results else 0)

    prim.def_batch(rule)


def vmap_flat(f: Callable, in_dims: Sequence, out_dims: Sequence | Callable, axis_size: int, args: Sequence, axis_name=None):
    """Apply `f` to a batch: `in_dims[i]` is the mapped axis of args[i] (None: unmapped)."""
    trace = BatchTrace(core.current_trace(), axis_size, axis_name)
    with core.new_trace(trace):
        ins = [trace.wrap(x, d) for x, d in zip(args, in_dims, strict=True)]
        outs = f(*ins)
        unpacked = [trace.unpack(o) for o in outs]
    if callable(out_dims):
        out_dims = out_dims()
    results = []
    for (val, d), od in zip(unpacked, out_dims, strict=True):
        if od is not None and getattr(val, "dtype", None) == dtypes.float0:  # data-free: just a bigger shape
            shape = list(np.shape(val))
            shape.insert(od % (len(shape) + 1), axis_size)
            results.append(np.zeros(shape, dtypes.float0))
            continue
        if od is None:
            if d is not not_mapped:
                raise ValueError("vmap has mapped output but out_axes is None")
            results.append(val)
            continue
        with core.set_current_trace(trace.parent):
            if d is not_mapped:
                val = bdim_at_front(val, d, axis_size)
                d = 0
            od = od % (get_aval(val).ndim)
            results.append(moveaxis(val, d, od))
    return results


def vmap_jaxpr(closed: core.ClosedJaxpr, axis_size: int, in_dims: Sequence) -> core.ClosedJaxpr:
    """A jaxpr of the batched computation; every output is batched along axis 0."""

    return core.cached_derived(closed, ("vmap", axis_size, tuple(in_dims)), lambda: _vmap_jaxpr(closed, axis_size, in_dims))


def _vmap_jaxpr(closed, axis_size, in_dims):
    from jaxnc._src.interpreters import partial_eval as pe

    in_avals = []
    for a, d in zip(closed.in_avals, in_dims, strict=True):
        if d is not_mapped:
            in_avals.append(a)
        else:
            shape = list(a.shape)
            shape.insert(d, axis_size)
            in_avals.append(a.update(shape=shape))

    def fun(*args):
        return vmap_flat(core.jaxpr_as_fun(closed), in_dims, [0] * len(closed.out_avals), axis_size, args)

    return pe.trace_to_closed_jaxpr(fun, in_avals)
