"""gather and the scatter family (XLA semantics, general dimension numbers), with all their rules;
dynamic_slice / dynamic_update_slice built on them."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from jaxnc._src import core, dtypes
from jaxnc._src.core import Primitive, Zero, get_aval, is_undefined_primal
from jaxnc._src.interpreters import ad
from jaxnc._src.interpreters.batching import bdim_at_front, moveaxis, not_mapped
from jaxnc._src.lax import lax


class GatherDimensionNumbers(NamedTuple):
    offset_dims: tuple[int, ...]
    collapsed_slice_dims: tuple[int, ...]
    start_index_map: tuple[int, ...]
    operand_batching_dims: tuple[int, ...] = ()
    start_indices_batching_dims: tuple[int, ...] = ()


class ScatterDimensionNumbers(NamedTuple):
    update_window_dims: tuple[int, ...]
    inserted_window_dims: tuple[int, ...]
    scatter_dims_to_operand_dims: tuple[int, ...]
    operand_batching_dims: tuple[int, ...] = ()
    scatter_indices_batching_dims: tuple[int, ...] = ()


class GatherScatterMode:
    CLIP = "clip"
    FILL_OR_DROP = "fill"
    PROMISE_IN_BOUNDS = "promise_in_bounds"

    @staticmethod
    def from_any(mode) -> str:
        if mode is None:
            return "fill"
        mode = str(mode).lower().rsplit(".", 1)[-1]
        mode = {"drop": "fill", "fill_or_drop": "fill"}.get(mode, mode)
        if mode not in ("clip", "fill", "promise_in_bounds"):
            raise ValueError(f"Unknown gather/scatter mode {mode!r}; expected 'clip', 'fill'/'drop' or 'promise_in_bounds'")
        return mode


# --- index arithmetic shared by the NumPy implementations -------------------------------------------


def _window_indices(operand_shape, indices, batch_shape_out_dims, window_dims_out, window_operand_dims,
                    index_map, operand_batching, indices_batching, window_sizes, out_rank, clip):  # fmt: skip
    """Per-operand-dimension integer index arrays (broadcastable to the output/updates shape) and a
    per-batch-element mask of in-bounds windows."""
    batch_shape = indices.shape[:-1]

    def place_batch(a):  # a has batch_shape; put its dims at the batch positions of the out rank
        for d in sorted(window_dims_out):
            a = np.expand_dims(a, d)
        return a

    idx = []
    valid = np.ones(batch_shape, dtype=bool)
    for d, n in enumerate(operand_shape):
        start = np.zeros(batch_shape, dtype=np.int64)
        size = window_sizes[d]
        if d in index_map:
            start = indices[..., index_map.index(d)].astype(np.int64)
        elif d in operand_batching:
            bdim = indices_batching[operand_batching.index(d)]
            shape = [1] * len(batch_shape)
            shape[bdim] = batch_shape[bdim]
            start = np.broadcast_to(np.arange(batch_shape[bdim]).reshape(shape), batch_shape)
        if d in index_map:
            valid &= (start >= 0) & (start <= n - size)
            if clip:
                start = np.clip(start, 0, max(n - size, 0))
        a = place_batch(start)
        if d in window_operand_dims:
            out_dim = window_dims_out[window_operand_dims.index(d)]
            shape = [1] * out_rank
            shape[out_dim] = size
            a = a + np.arange(size).reshape(shape)
        idx.append(a)
    return idx, place_batch(valid)


def _point_indices(operand, indices, window_dims, index_dims, index_map, operand_batching):
    """The 1-d index vector when the op reads/writes single elements of a 1-d operand (jnp.take, .at[i],
    bincount): NumPy's take/ufunc.at do it directly, without the general window index arrays."""
    if (operand.ndim == 1 and operand.shape[0] > 0 and indices.shape[-1:] == (1,) and not window_dims
            and tuple(index_dims) == (0,) and tuple(index_map) == (0,) and not operand_batching):  # fmt: skip
        return indices[..., 0]
    return None


def _in_bounds(point, n: int) -> bool:
    return point.size == 0 or (int(point.min()) >= 0 and int(point.max()) < n)


def _gather_window_dims(operand_ndim, dn):
    return [d for d in range(operand_ndim) if d not in dn.collapsed_slice_dims and d not in dn.operand_batching_dims]


gather_p = Primitive("gather")


@gather_p.def_impl
def _gather_impl(operand, indices, dimension_numbers, slice_sizes, mode, fill_value=None, **_):
    dn = dimension_numbers
    point = _point_indices(operand, indices, dn.offset_dims, dn.collapsed_slice_dims, dn.start_index_map,
                           dn.operand_batching_dims)  # fmt: skip
    if point is not None:
        n = operand.shape[0]
        if _in_bounds(point, n):  # np.take's default mode is ~1.6x faster than mode="clip"
            return np.take(operand, point)
        out = np.take(operand, point, mode="clip")
        if mode == "fill":
            valid = (point >= 0) & (point < n)
            fill = _default_fill(operand.dtype) if fill_value is None else fill_value
            out = np.where(valid, out, np.array(fill, dtype=operand.dtype))
        return out
    out_rank = indices.ndim - 1 + len(dn.offset_dims)
    window_operand = _gather_window_dims(operand.ndim, dn)
    sizes = list(slice_sizes)
    clip = mode != "fill"
    idx, valid = _window_indices(operand.shape, indices, None, dn.offset_dims, window_operand, dn.start_index_map,
                                 dn.operand_batching_dims, dn.start_indices_batching_dims, sizes, out_rank, clip)  # fmt: skip
    if not clip:
        idx = [np.where(valid, i, 0) for i in idx]
    out = operand[tuple(idx)]
    if not clip:
        fill = _default_fill(operand.dtype) if fill_value is None else fill_value
        out = np.where(valid, out, np.array(fill, dtype=operand.dtype))
    return np.broadcast_to(out, _gather_shape(operand.shape, indices.shape, dn, slice_sizes))


def _default_fill(dt):
    if dtypes.is_inexact(dt):
        return np.nan
    if dt == np.bool_:
        return True
    return np.iinfo(dt).min if dt.kind == "i" else np.iinfo(dt).max


def _gather_shape(operand_shape, indices_shape, dn, slice_sizes):
    batch = list(indices_shape[:-1])
    window = [slice_sizes[d] for d in _gather_window_dims(len(operand_shape), dn)]
    out_rank = len(batch) + len(dn.offset_dims)
    shape, bi, wi = [], iter(batch), iter(window)
    for d in range(out_rank):
        shape.append(next(wi) if d in dn.offset_dims else next(bi))
    return tuple(shape)


@gather_p.def_abstract_eval
def _gather_abstract_eval(operand, indices, dimension_numbers, slice_sizes, mode, fill_value=None, **_):
    dn = dimension_numbers
    if not dtypes.is_integer(indices.dtype):
        raise TypeError(f"gather indices must have an integer type, got {indices.dtype}")
    if indices.ndim < 1 or indices.shape[-1] != len(dn.start_index_map):
        raise TypeError(f"gather indices must have a last (index vector) dimension of size "
                        f"len(start_index_map)={len(dn.start_index_map)}; got indices shape {indices.shape}")
    if len(slice_sizes) != operand.ndim:
        raise TypeError(f"gather slice_sizes must have one entry per operand dimension; got {slice_sizes} for "
                        f"operand shape {operand.shape}")
    for d, (s, n) in enumerate(zip(slice_sizes, operand.shape, strict=True)):
        if not 0 <= s <= n:
            raise TypeError(f"gather slice size {s} out of range for operand dimension {d} of size {n}")
        if (d in dn.collapsed_slice_dims or d in dn.operand_batching_dims) and s > 1:
            raise TypeError(f"gather slice_sizes[{d}] must be 0 or 1 for a collapsed/batching dimension, got {s}")
    window = _gather_window_dims(operand.ndim, dn)
    if len(window) != len(dn.offset_dims):
        raise TypeError(f"gather offset_dims {dn.offset_dims} must have one entry per non-collapsed operand "
                        f"dimension {window}")
    return core.ShapedArray(_gather_shape(operand.shape, indices.shape, dn, slice_sizes), operand.dtype, operand.weak_type)


def _gather_to_scatter_dn(dn: GatherDimensionNumbers) -> ScatterDimensionNumbers:
    return ScatterDimensionNumbers(dn.offset_dims, dn.collapsed_slice_dims, dn.start_index_map,
                                   dn.operand_batching_dims, dn.start_indices_batching_dims)  # fmt: skip


def _scatter_to_gather_dn(dn: ScatterDimensionNumbers) -> GatherDimensionNumbers:
    return GatherDimensionNumbers(dn.update_window_dims, dn.inserted_window_dims, dn.scatter_dims_to_operand_dims,
                                  dn.operand_batching_dims, dn.scatter_indices_batching_dims)  # fmt: skip


@gather_p.def_jvp
def _gather_jvp(primals, tangents, **params):
    (operand, indices), (t, _) = primals, tangents
    out = gather_p.bind(operand, indices, **params)
    if type(t) is Zero:
        return out, Zero(get_aval(out).to_tangent_aval())
    return out, gather_p.bind(t, indices, **dict(params, fill_value=0))


@gather_p.def_transpose
def _gather_transpose(ct, operand, indices, dimension_numbers, slice_sizes, mode, fill_value=None, **_):
    if type(ct) is Zero or not is_undefined_primal(operand):
        return [None, None]
    zeros = lax.full(operand.aval.shape, 0, operand.aval.dtype)
    out = scatter_add_p.bind(zeros, indices, ct, dimension_numbers=_gather_to_scatter_dn(dimension_numbers),
                             mode=mode, indices_are_sorted=False, unique_indices=False)  # fmt: skip
    return [out, None]


gather_p.linear = True


@gather_p.def_batch
def _gather_batch(size, vals, dims, dimension_numbers, slice_sizes, mode, fill_value=None, **kw):
    (operand, indices), (od, idim) = vals, dims
    dn = dimension_numbers

    def inc(ds):
        return tuple(d + 1 for d in ds)

    params = dict(mode=mode, fill_value=fill_value, **kw)
    if idim is not_mapped:
        operand = moveaxis(operand, od, 0)
        new_dn = GatherDimensionNumbers((0, *inc(dn.offset_dims)), inc(dn.collapsed_slice_dims), inc(dn.start_index_map),
                                        inc(dn.operand_batching_dims), dn.start_indices_batching_dims)  # fmt: skip
        out = gather_p.bind(operand, indices, dimension_numbers=new_dn, slice_sizes=(size, *slice_sizes), **params)
        return out, 0
    indices = moveaxis(indices, idim, 0)
    if od is not_mapped:
        new_dn = GatherDimensionNumbers(inc(dn.offset_dims), dn.collapsed_slice_dims, dn.start_index_map,
                                        dn.operand_batching_dims, inc(dn.start_indices_batching_dims))  # fmt: skip
        out = gather_p.bind(operand, indices, dimension_numbers=new_dn, slice_sizes=tuple(slice_sizes), **params)
        return out, 0
    operand = moveaxis(operand, od, 0)
    new_dn = GatherDimensionNumbers(inc(dn.offset_dims), inc(dn.collapsed_slice_dims), inc(dn.start_index_map),
                                    (0, *inc(dn.operand_batching_dims)), (0, *inc(dn.start_indices_batching_dims)))  # fmt: skip
    out = gather_p.bind(operand, indices, dimension_numbers=new_dn, slice_sizes=(1, *slice_sizes), **params)
    return out, 0


# --- the scatter family --------------------------------------------------------------------------------


def _scatter_impl_for(combine):
    def impl(operand, indices, updates, dimension_numbers, mode, **_):
        dn = dimension_numbers
        point = _point_indices(operand, indices, dn.update_window_dims, dn.inserted_window_dims,
                               dn.scatter_dims_to_operand_dims, dn.operand_batching_dims)  # fmt: skip
        if point is not None:
            n = operand.shape[0]
            upd = updates
            if not _in_bounds(point, n):
                if mode == "clip":
                    point = np.clip(point, 0, n - 1)
                else:
                    valid = (point >= 0) & (point < n)
                    point, upd = point[valid], updates[valid]
            out = np.array(operand, copy=True)
            combine(out, (point,), upd)
            return out
        window_operand = [d for d in range(operand.ndim) if d not in dn.inserted_window_dims and d not in dn.operand_batching_dims]
        sizes = [1] * operand.ndim
        for d, ud in zip(window_operand, dn.update_window_dims, strict=True):
            sizes[d] = updates.shape[ud]
        clip = mode == "clip"
        idx, valid = _window_indices(operand.shape, indices, None, dn.update_window_dims, window_operand,
                                     dn.scatter_dims_to_operand_dims, dn.operand_batching_dims,
                                     dn.scatter_indices_batching_dims, sizes, updates.ndim, clip)  # fmt: skip
        out = np.array(operand, copy=True)
        full_idx = [np.broadcast_to(i, updates.shape) for i in idx]
        if not clip:
            keep = np.broadcast_to(valid, updates.shape)
            full_idx = [i[keep] for i in full_idx]
            upd = updates[keep]
        else:
            upd = updates
        combine(out, tuple(full_idx), upd)
        return out

    return impl


def _set(out, idx, upd):
    out[idx] = upd


def _scatter_abstract_eval(operand, indices, updates, dimension_numbers, **_):
    dn = dimension_numbers
    if not dtypes.is_integer(indices.dtype):
        raise TypeError(f"scatter indices must have an integer type, got {indices.dtype}")
    if operand.dtype != updates.dtype:
        raise TypeError(f"scatter operand and updates must have the same dtype, got {operand.dtype} and {updates.dtype}")
    if indices.ndim < 1 or indices.shape[-1] != len(dn.scatter_dims_to_operand_dims):
        raise TypeError(f"scatter indices must have a last (index vector) dimension of size "
                        f"{len(dn.scatter_dims_to_operand_dims)}; got indices shape {indices.shape}")
    n_batch = updates.ndim - len(dn.update_window_dims)
    if n_batch != indices.ndim - 1:
        raise TypeError(f"scatter updates shape {updates.shape} does not match indices shape {indices.shape} and "
                        f"update_window_dims {dn.update_window_dims}")
    return operand


def _scatter_prim(name, combine):
    p = Primitive(name)
    p.def_impl(_scatter_impl_for(combine))
    p.def_abstract_eval(_scatter_abstract_eval)
    p.def_batch(_make_scatter_batch(p))
    return p


def _make_scatter_batch(p):
    def rule(size, vals, dims, dimension_numbers, **params):
        operand, indices, updates = (bdim_at_front(v, d, size) for v, d in zip(vals, dims, strict=True))
        dn = dimension_numbers

        def inc(ds):
            return tuple(d + 1 for d in ds)

        new_dn = ScatterDimensionNumbers(inc(dn.update_window_dims), inc(dn.inserted_window_dims),
                                         inc(dn.scatter_dims_to_operand_dims), (0, *inc(dn.operand_batching_dims)),
                                         (0, *inc(dn.scatter_indices_batching_dims)))  # fmt: skip
        return p.bind(operand, indices, updates, dimension_numbers=new_dn, **params), 0

    return rule


scatter_p = _scatter_prim("scatter", _set)
scatter_add_p = _scatter_prim("scatter_add", lambda out, idx, upd: np.add.at(out, idx, upd))
scatter_mul_p = _scatter_prim("scatter_mul", lambda out, idx, upd: np.multiply.at(out, idx, upd))
scatter_min_p = _scatter_prim("scatter_min", lambda out, idx, upd: np.minimum.at(out, idx, upd))
scatter_max_p = _scatter_prim("scatter_max", lambda out, idx, upd: np.maximum.at(out, idx, upd))


def _gather_updates(x, indices, dimension_numbers, updates_aval, mode):
    """The values of `x` at the positions a scatter with these dimension numbers writes."""
    dn = dimension_numbers
    shape = get_aval(x).shape
    window_operand = [d for d in range(len(shape)) if d not in dn.inserted_window_dims and d not in dn.operand_batching_dims]
    sizes = [1] * len(shape)
    for d, ud in zip(window_operand, dn.update_window_dims, strict=True):
        sizes[d] = updates_aval.shape[ud]
    return gather_p.bind(x, indices, dimension_numbers=_scatter_to_gather_dn(dn), slice_sizes=tuple(sizes),
                         mode="clip" if mode == "clip" else "fill", fill_value=0)  # fmt: skip


@scatter_add_p.def_jvp
def _scatter_add_jvp(primals, tangents, **params):
    operand, indices, updates = primals
    t_op, _, t_upd = tangents
    out = scatter_add_p.bind(operand, indices, updates, **params)
    if type(t_op) is Zero and type(t_upd) is Zero:
        return out, Zero(get_aval(out).to_tangent_aval())
    t_op = ad.instantiate(t_op, get_aval(operand).to_tangent_aval())
    t_upd = ad.instantiate(t_upd, get_aval(updates).to_tangent_aval())
    return out, scatter_add_p.bind(t_op, indices, t_upd, **params)


@scatter_add_p.def_transpose
def _scatter_add_transpose(ct, operand, indices, updates, dimension_numbers, mode, **params):
    if type(ct) is Zero:
        return [None, None, None]
    t_op = ct if is_undefined_primal(operand) else None
    t_upd = None
    if is_undefined_primal(updates):
        t_upd = _gather_updates(ct, indices, dimension_numbers, updates.aval, mode)
    return [t_op, None, t_upd]


scatter_add_p.linear = True


@scatter_p.def_jvp
def _scatter_jvp(primals, tangents, **params):
    operand, indices, updates = primals
    t_op, _, t_upd = tangents
    out = scatter_p.bind(operand, indices, updates, **params)
    if type(t_op) is Zero and type(t_upd) is Zero:
        return out, Zero(get_aval(out).to_tangent_aval())
    t_op = ad.instantiate(t_op, get_aval(operand).to_tangent_aval())
    t_upd = ad.instantiate(t_upd, get_aval(updates).to_tangent_aval())
    return out, scatter_p.bind(t_op, indices, t_upd, **params)


@scatter_p.def_transpose
def _scatter_transpose(ct, operand, indices, updates, dimension_numbers, mode, **params):
    if type(ct) is Zero:
        return [None, None, None]
    t_op = t_upd = None
    if is_undefined_primal(operand):
        upd_aval = updates.aval if is_undefined_primal(updates) else get_aval(updates)
        t_op = scatter_p.bind(ct, indices, lax.full(upd_aval.shape, 0, upd_aval.dtype), dimension_numbers=dimension_numbers,
                              mode=mode, **params)  # fmt: skip
    if is_undefined_primal(updates):
        t_upd = _gather_updates(ct, indices, dimension_numbers, updates.aval, mode)
    return [t_op, None, t_upd]


scatter_p.linear = True


@scatter_mul_p.def_jvp
def _scatter_mul_jvp(primals, tangents, **params):
    """Exact when indices are unique (as JAX requires for the updates' derivative)."""
    operand, indices, updates = primals
    t_op, _, t_upd = tangents
    out = scatter_mul_p.bind(operand, indices, updates, **params)
    t_out = Zero(get_aval(out).to_tangent_aval())
    if type(t_op) is not Zero:
        t_out = scatter_mul_p.bind(t_op, indices, updates, **params)
    if type(t_upd) is not Zero:
        # d out = operand_at_idx * d updates at the scattered positions
        scale = scatter_mul_p.bind(operand, indices, lax.full_like(updates, 1), **params)
        term = lax.mul(scale, scatter_p.bind(lax.full_like(operand, 0), indices, t_upd, **params))
        t_out = ad.add_tangents(t_out, term)
    return out, t_out


def _scatter_chooser_jvp(p):
    def rule(primals, tangents, dimension_numbers, mode, **params):
        operand, indices, updates = primals
        t_op, _, t_upd = tangents
        out = p.bind(operand, indices, updates, dimension_numbers=dimension_numbers, mode=mode, **params)
        if type(t_op) is Zero and type(t_upd) is Zero:
            return out, Zero(get_aval(out).to_tangent_aval())
        t_op = ad.instantiate(t_op, get_aval(operand).to_tangent_aval())
        t_upd = ad.instantiate(t_upd, get_aval(updates).to_tangent_aval())
        kw = dict(dimension_numbers=dimension_numbers, mode=mode, **params)
        dt = get_aval(operand).dtype
        op_mask = lax.convert_element_type(lax.eq(operand, out), dt)
        upd_mask = lax.convert_element_type(lax.eq(updates, _gather_updates(out, indices, dimension_numbers, get_aval(updates), mode)), dt)
        zeros = lax.full_like(operand, 0)
        num = lax.add(lax.mul(op_mask, t_op), scatter_add_p.bind(zeros, indices, lax.mul(upd_mask, t_upd), **kw))
        cnt = lax.add(op_mask, scatter_add_p.bind(zeros, indices, upd_mask, **kw))
        return out, lax.div(num, cnt)

    p.def_jvp(rule)


_scatter_chooser_jvp(scatter_min_p)
_scatter_chooser_jvp(scatter_max_p)


# --- wrappers ------------------------------------------------------------------------------------------


def gather(operand, start_indices, dimension_numbers, slice_sizes, *, unique_indices=False, indices_are_sorted=False,
           mode=None, fill_value=None):  # fmt: skip
    """`lax.gather` with XLA semantics; mode 'clip', 'fill' (default) or 'promise_in_bounds'."""
    dn = GatherDimensionNumbers(*(tuple(int(i) for i in f) for f in dimension_numbers))
    return gather_p.bind(operand, start_indices, dimension_numbers=dn, slice_sizes=tuple(int(s) for s in slice_sizes),
                         mode=GatherScatterMode.from_any(mode), fill_value=fill_value)  # fmt: skip


def _scatter(p, operand, scatter_indices, updates, dimension_numbers, *, indices_are_sorted=False, unique_indices=False,
             mode=None):  # fmt: skip
    dn = ScatterDimensionNumbers(*(tuple(int(i) for i in f) for f in dimension_numbers))
    return p.bind(operand, scatter_indices, updates, dimension_numbers=dn, mode=GatherScatterMode.from_any(mode),
                  indices_are_sorted=bool(indices_are_sorted), unique_indices=bool(unique_indices))  # fmt: skip


def scatter(operand, scatter_indices, updates, dimension_numbers, **kw):
    return _scatter(scatter_p, operand, scatter_indices, updates, dimension_numbers, **kw)


def scatter_add(operand, scatter_indices, updates, dimension_numbers, **kw):
    return _scatter(scatter_add_p, operand, scatter_indices, updates, dimension_numbers, **kw)


def scatter_mul(operand, scatter_indices, updates, dimension_numbers, **kw):
    return _scatter(scatter_mul_p, operand, scatter_indices, updates, dimension_numbers, **kw)


def scatter_min(operand, scatter_indices, updates, dimension_numbers, **kw):
    return _scatter(scatter_min_p, operand, scatter_indices, updates, dimension_numbers, **kw)


def scatter_max(operand, scatter_indices, updates, dimension_numbers, **kw):
    return _scatter(scatter_max_p, operand, scatter_indices, updates, dimension_numbers, **kw)


def _start_index_vector(start_indices, shape):
    """Start indices as one int32 vector; a negative index counts from the end, as in JAX (then it is clamped)."""
    ndim = len(shape)
    if len(start_indices) != ndim:
        raise TypeError(f"dynamic_slice needs one start index per operand dimension ({ndim}), got {len(start_indices)}")
    idx = []
    for i, n in zip(start_indices, shape, strict=True):
        if hasattr(i, "aval"):
            i = lax.convert_element_type(i, dtypes.int32)
            i = lax.select(lax.lt(i, lax.full_like(i, 0)), lax.add(i, lax.full_like(i, n)), i)
            idx.append(lax.reshape(i, (1,)))
        else:
            idx.append(lax.full((1,), np.int32(i + n if i < 0 else i), dtypes.int32))
    return lax.concatenate(idx, 0) if idx else lax.full((0,), 0, dtypes.int32)


def dynamic_slice(operand, start_indices, slice_sizes):
    """`lax.dynamic_slice`: start indices are clamped so the slice is in bounds."""
    shape = get_aval(operand).shape
    idx = _start_index_vector(list(start_indices), shape)
    dn = GatherDimensionNumbers(tuple(range(len(shape))), (), tuple(range(len(shape))))
    return gather_p.bind(operand, idx, dimension_numbers=dn, slice_sizes=tuple(int(s) for s in slice_sizes), mode="clip",
                         fill_value=None)  # fmt: skip


def dynamic_update_slice(operand, update, start_indices):
    """`lax.dynamic_update_slice`: start indices are clamped so the update is in bounds."""
    shape = get_aval(operand).shape
    ushape = get_aval(update).shape
    if len(ushape) != len(shape):
        raise TypeError(f"dynamic_update_slice update rank {len(ushape)} must equal operand rank {len(shape)}")
    idx = _start_index_vector(list(start_indices), shape)
    dn = ScatterDimensionNumbers(tuple(range(len(shape))), (), tuple(range(len(shape))))
    return scatter_p.bind(operand, idx, update, dimension_numbers=dn, mode="clip", indices_are_sorted=True,
                          unique_indices=True)  # fmt: skip


def dynamic_index_in_dim(operand, index, axis=0, keepdims=True):
    shape = get_aval(operand).shape
    starts = [0] * len(shape)
    starts[axis] = index
    sizes = list(shape)
    sizes[axis] = 1
    out = dynamic_slice(operand, starts, sizes)
    return out if keepdims else lax.squeeze(out, (axis,))


def dynamic_slice_in_dim(operand, start_index, slice_size, axis=0):
    shape = get_aval(operand).shape
    starts = [0] * len(shape)
    starts[axis] = start_index
    sizes = list(shape)
    sizes[axis] = slice_size
    return dynamic_slice(operand, starts, sizes)


def dynamic_update_slice_in_dim(operand, update, start_index, axis):
    """`lax.dynamic_update_slice_in_dim`: write `update` into `operand` from `start_index` along `axis`."""
    starts = [0] * get_aval(operand).ndim
    starts[axis] = start_index
    return dynamic_update_slice(operand, update, starts)


def index_take(src, idxs, axes):
    """`lax.index_take`: `src` indexed by the integer arrays `idxs` along `axes` (negative indices wrap), one
    result row per index; the remaining axes follow in order."""
    shape = get_aval(src).shape
    axes = tuple(int(a) for a in axes)
    if len(idxs) != len(axes):
        raise ValueError(f"index_take: {len(idxs)} index arrays for {len(axes)} axes {axes}")
    indices = lax.concatenate([lax.expand_dims(i, (1,)) for i in idxs], 1)
    sizes = lax.broadcast_in_dim(np.array([shape[a] for a in axes], get_aval(indices).dtype), get_aval(indices).shape,
                                 (1,))  # fmt: skip
    indices = lax.select(lax.lt(indices, lax.full_like(indices, 0)), lax.add(indices, sizes), indices)
    slice_sizes = [1 if i in axes else d for i, d in enumerate(shape)]
    dnums = GatherDimensionNumbers(offset_dims=tuple(range(1, len(shape) - len(axes) + 1)), collapsed_slice_dims=axes,
                                   start_index_map=axes)  # fmt: skip
    return gather(src, indices, dnums, slice_sizes)


def dynamic_update_index_in_dim(operand, update, index, axis):
    if get_aval(update).ndim == get_aval(operand).ndim - 1:
        update = lax.expand_dims(update, (axis,))
    starts = [0] * get_aval(operand).ndim
    starts[axis] = index
    return dynamic_update_slice(operand, update, starts)
