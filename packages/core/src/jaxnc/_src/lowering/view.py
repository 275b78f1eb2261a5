"""Views: movement ops (reshape, transpose, broadcast, slice, pad, flip) as index arithmetic, not copies.

A `View` maps a logical index `i` of `shape` to the element `offset + sum(strides[d] * i[d])` of a
flat buffer; where `mask` is given, only indices with `lo[d] <= i[d] < hi[d]` are valid (pad). A
`ShapeTracker` is a stack of views: each view reads the previous one as if it were a contiguous
buffer of that view's shape, which is how a reshape of a non-mergeable view is expressed.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

from jaxnc._src.lowering import ir


def _contiguous_strides(shape: Sequence[int]) -> tuple[int, ...]:
    strides, acc = [], 1
    for n in reversed(shape):
        strides.append(acc if n != 1 else 0)
        acc *= n
    return tuple(reversed(strides))


@dataclasses.dataclass(frozen=True)
class View:
    shape: tuple[int, ...]
    strides: tuple[int, ...]
    offset: int = 0
    mask: tuple[tuple[int, int], ...] | None = None

    @staticmethod
    def create(shape, strides=None, offset: int = 0, mask=None) -> View:
        shape = tuple(int(n) for n in shape)
        strides = _contiguous_strides(shape) if strides is None else tuple(int(s) for s in strides)
        strides = tuple(0 if n == 1 else s for n, s in zip(shape, strides, strict=True))
        if mask is not None:
            mask = tuple((max(0, lo), min(n, hi)) for (lo, hi), n in zip(mask, shape, strict=True))
            if all(lo == 0 and hi == n for (lo, hi), n in zip(mask, shape, strict=True)):
                mask = None
        return View(shape, strides, int(offset), mask)

    @property
    def contiguous(self) -> bool:
        return self.offset == 0 and self.mask is None and self.strides == _contiguous_strides(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def permute(self, perm: Sequence[int]) -> View:
        mask = tuple(self.mask[p] for p in perm) if self.mask else None
        return View.create([self.shape[p] for p in perm], [self.strides[p] for p in perm], self.offset, mask)

    def expand(self, shape: Sequence[int]) -> View:
        """Broadcast size-1 dimensions to `shape` (stride 0)."""
        for n, m in zip(self.shape, shape, strict=True):
            if n != m and n != 1:
                raise ValueError(f"cannot expand view of shape {self.shape} to {tuple(shape)}")
        mask = None
        if self.mask:  # a masked-out size-1 dim stays masked out along the whole new extent
            mask = tuple((lo, hi) if n == m else ((0, m) if hi > lo else (0, 0))
                         for (lo, hi), n, m in zip(self.mask, self.shape, shape, strict=True))  # fmt: skip
        return View.create(shape, self.strides, self.offset, mask)

    def shrink(self, bounds: Sequence[tuple[int, int]]) -> View:
        """Keep `lo <= i < hi` per dimension (a slice with unit step)."""
        offset = self.offset + sum(lo * s for (lo, _), s in zip(bounds, self.strides, strict=True))
        mask = None
        if self.mask:
            mask = tuple((max(mlo, lo) - lo, max(min(mhi, hi), lo) - lo)
                         for (mlo, mhi), (lo, hi) in zip(self.mask, bounds, strict=True))  # fmt: skip
        return View.create([hi - lo for lo, hi in bounds], self.strides, offset, mask)

    def pad(self, widths: Sequence[tuple[int, int]]) -> View:
        """Grow each dimension by (before, after) non-negative widths; new positions are masked out."""
        offset = self.offset - sum(b * s for (b, _), s in zip(widths, self.strides, strict=True))
        mask = self.mask or tuple((0, n) for n in self.shape)
        mask = tuple((lo + b, hi + b) for (lo, hi), (b, _) in zip(mask, widths, strict=True))
        shape = [n + b + a for n, (b, a) in zip(self.shape, widths, strict=True)]
        return View.create(shape, self.strides, offset, mask)

    def flip(self, axes: Sequence[int]) -> View:
        strides, offset, mask = list(self.strides), self.offset, list(self.mask) if self.mask else None
        for d in axes:
            n = self.shape[d]
            offset += (n - 1) * strides[d]
            strides[d] = -strides[d]
            if mask:
                lo, hi = mask[d]
                mask[d] = (n - hi, n - lo)
        return View.create(self.shape, strides, offset, tuple(mask) if mask else None)

    def step(self, steps: Sequence[int]) -> View:
        """Every `k`-th element along each dimension (positive steps)."""
        shape = [(n + k - 1) // k for n, k in zip(self.shape, steps, strict=True)]
        strides = [s * k for s, k in zip(self.strides, steps, strict=True)]
        mask = None
        if self.mask:
            mask = tuple(((lo + k - 1) // k, (hi + k - 1) // k) for (lo, hi), k in zip(self.mask, steps, strict=True))
        return View.create(shape, strides, self.offset, mask)

    def reshape(self, new_shape: Sequence[int]) -> View | None:
        """The same elements under `new_shape`, or None when no single view can express it."""
        new_shape = tuple(int(n) for n in new_shape)
        if new_shape == self.shape:
            return self
        if math.prod(new_shape) != self.size:
            raise ValueError(f"reshape of view {self.shape} to {new_shape} changes the size")
        if self.size == 0:
            return View.create(new_shape)
        if self.mask is not None:
            return self._reshape_masked(new_shape)
        strides = _nocopy_reshape(self.shape, self.strides, new_shape)
        return None if strides is None else View.create(new_shape, strides, self.offset)

    def _reshape_masked(self, new_shape) -> View | None:
        # only size-1 dimensions may come or go; the masked dimensions keep their extents
        old = [(n, s, m) for n, s, m in zip(self.shape, self.strides, self.mask, strict=True) if n != 1]
        if [n for n in new_shape if n != 1] != [n for n, _, _ in old]:
            return None
        it = iter(old)
        strides, mask = [], []
        for n in new_shape:
            if n == 1:
                strides.append(0)
                mask.append((0, 1))
            else:
                _, s, m = next(it)
                strides.append(s)
                mask.append(m)
        if any(hi <= lo for lo, hi in self.mask) and all(hi > lo for lo, hi in mask):
            if not new_shape:
                return None  # a 0-d view has no mask to hold "fully masked": the tracker keeps this view
            mask = [(0, 0)] * len(new_shape)  # a fully masked view stays fully masked
        return View.create(new_shape, strides, self.offset, tuple(mask))

    def to_index(self, idxs: Sequence[ir.Expr]) -> tuple[ir.Expr, ir.Expr]:
        """(flat index, validity) of logical index `idxs` (validity is a bool Expr)."""
        index = ir.iconst(self.offset)
        for i, n, s in zip(idxs, self.shape, self.strides, strict=True):
            if s != 0 and n != 1:
                index = ir.add(index, ir.mul(i, ir.iconst(s)))
        valid = ir.const(True, ir.BOOL)
        if self.mask:
            for i, (lo, hi), n in zip(idxs, self.mask, self.shape, strict=True):
                if hi <= lo:
                    return index, ir.const(False, ir.BOOL)
                if lo > 0:
                    valid = ir.logical_and(valid, ir.apply("ge", i, ir.iconst(lo)))
                if hi < n:
                    valid = ir.logical_and(valid, ir.apply("lt", i, ir.iconst(hi)))
        return index, valid


def _nocopy_reshape(shape, strides, new_shape):
    """NumPy's attempt_nocopy_reshape: strides for new_shape over the same memory, or None."""
    old = [(n, s) for n, s in zip(shape, strides, strict=True) if n != 1]
    new = [n for n in new_shape if n != 1]
    out: list[int] = []
    oi = ni = 0
    while oi < len(old) and ni < len(new):
        op, np_ = old[oi][0], new[ni]
        oj, nj = oi + 1, ni + 1
        while op != np_:
            if np_ < op:
                np_ *= new[nj]
                nj += 1
            else:
                op *= old[oj][0]
                oj += 1
        for k in range(oi, oj - 1):  # the old dims merged here must be contiguous among themselves
            if old[k][1] != old[k + 1][0] * old[k + 1][1]:
                return None
        stride = old[oj - 1][1]
        group = []
        for k in range(nj - 1, ni - 1, -1):
            group.append(stride)
            stride *= new[k]
        out.extend(reversed(group))
        oi, ni = oj, nj
    it = iter(out)
    return [0 if n == 1 else next(it) for n in new_shape]


@dataclasses.dataclass(frozen=True)
class ShapeTracker:
    views: tuple[View, ...]

    @staticmethod
    def contiguous(shape) -> ShapeTracker:
        return ShapeTracker((View.create(shape),))

    @property
    def shape(self) -> tuple[int, ...]:
        return self.views[-1].shape

    @property
    def plain(self) -> bool:
        """Reads the buffer exactly as a contiguous array of this shape."""
        return len(self.views) == 1 and self.views[0].contiguous

    def _last(self, view: View) -> ShapeTracker:
        return ShapeTracker((*self.views[:-1], view))

    def permute(self, perm) -> ShapeTracker:
        return self._last(self.views[-1].permute(perm))

    def expand(self, shape) -> ShapeTracker:
        return self._last(self.views[-1].expand(shape))

    def shrink(self, bounds) -> ShapeTracker:
        return self._last(self.views[-1].shrink(bounds))

    def pad(self, widths) -> ShapeTracker:
        return self._last(self.views[-1].pad(widths))

    def flip(self, axes) -> ShapeTracker:
        return self._last(self.views[-1].flip(axes))

    def step(self, steps) -> ShapeTracker:
        return self._last(self.views[-1].step(steps))

    def reshape(self, new_shape) -> ShapeTracker:
        view = self.views[-1].reshape(new_shape)
        if view is not None:
            return self._last(view)
        return ShapeTracker((*self.views, View.create(new_shape)))

    def to_index(self, idxs: Sequence[ir.Expr]) -> tuple[ir.Expr, ir.Expr]:
        """(flat buffer index, validity) for logical index `idxs`."""
        index, valid = self.views[-1].to_index(idxs)
        for view in reversed(self.views[:-1]):
            idxs = unravel(view.shape, index)
            index, v = view.to_index(idxs)
            valid = ir.logical_and(valid, v)
        return index, valid

    def __str__(self) -> str:
        return "·".join(_pp_view(v) for v in self.views)


def unravel(shape: Sequence[int], flat: ir.Expr) -> list[ir.Expr]:
    """Per-dimension indices of flat index `flat` into a contiguous array of `shape`."""
    out = []
    acc = 1
    for n in reversed(shape):
        out.append(ir.rem(ir.div(flat, ir.iconst(acc)), ir.iconst(n)) if n != 1 else ir.iconst(0))
        acc *= n
    return list(reversed(out))


def _pp_view(v: View) -> str:
    s = f"<{','.join(map(str, v.shape))}:{','.join(map(str, v.strides))}"
    if v.offset:
        s += f"+{v.offset}"
    if v.mask:
        s += " mask " + ",".join(f"{lo}:{hi}" for lo, hi in v.mask)
    return s + ">"
