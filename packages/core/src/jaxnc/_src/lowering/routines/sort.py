"""sort (multi-operand, lexicographic over `num_keys` keys) and top_k: permutations sorted per line.

Both algorithms sort an int32 permutation of each line (comparing the operands' keys through it) and
gather every operand through it at the end, so the number of operands does not multiply the data moved.
The order is the reference impl's (NumPy's): NaNs last and equal to each other, -0.0 == 0.0, bool
False < True, and ties keep their input order (the impl is always stable, so these are too).

- `caps.wide` False: a bottom-up merge sort per line (grid over the other dims), ping-ponging between
  the two halves of an int32 scratch buffer; stable by construction, O(n log n).
- `caps.wide` True: a bitonic network over lines padded to a power of two, one proc per stage with a
  grid point per compare-exchange; padding sorts after every element, and the original index is the
  last key, which makes it stable.
"""

from __future__ import annotations

import numpy as np

from jaxnc._src.lowering import ir
from jaxnc._src.lowering.proc import ProcBuilder, RoutineProgram, native
from jaxnc._src.lowering.routines.cumulative import line_layout

I32 = ir.INDEX
_KINDS = "fiub"


def _key(x: ir.Expr) -> ir.Expr:
    """`x` as a comparable value: bools compare as int32 (no renderer orders bools)."""
    return ir.cast(x, I32) if x.dtype == np.bool_ else x


def _isnan(x: ir.Expr) -> ir.Expr:
    return ir.apply("ne", x, x)


def _or(a: ir.Expr, b: ir.Expr) -> ir.Expr:
    return ir.apply("or", a, b)


def _and(a: ir.Expr, b: ir.Expr) -> ir.Expr:
    return ir.apply("and", a, b)


def less(a: ir.Expr, b: ir.Expr) -> ir.Expr:
    """a < b in the sort's total order (NaNs last, all equal)."""
    a, b = _key(a), _key(b)
    lt = ir.apply("lt", a, b)
    if a.dtype.kind != "f":
        return lt
    return _or(lt, _and(_isnan(b), ir.apply("not", _isnan(a))))


def _equal(a: ir.Expr, b: ir.Expr) -> ir.Expr:
    a, b = _key(a), _key(b)
    eq = ir.apply("eq", a, b)
    return _or(eq, _and(_isnan(a), _isnan(b))) if a.dtype.kind == "f" else eq


def lex_less(xs: list[ir.Expr], ys: list[ir.Expr]) -> ir.Expr:
    """Lexicographic xs < ys, the first key most significant."""
    out = less(xs[-1], ys[-1])
    for x, y in zip(reversed(xs[:-1]), reversed(ys[:-1]), strict=True):
        out = _or(less(x, y), _and(_equal(x, y), out))
    return out


def _min(a: ir.Expr, b) -> ir.Expr:
    return ir.apply("min", a, ir.iconst(b) if isinstance(b, int) else b)


@native("sort")
def sort(routine, caps) -> RoutineProgram | None:
    avals = routine.in_avals
    if any(a.dtype.kind not in _KINDS for a in avals):
        return None
    outer, n, inner = line_layout(avals[0].shape, routine.params["dimension"])
    num_keys = routine.params["num_keys"]
    lines, size = outer * inner, 1 << max(n - 1, 0).bit_length()
    if caps.wide and lines * size < 2**31:
        return _bitonic(avals, outer, n, inner, num_keys)
    if 2 * lines * n < 2**31:  # int32 addresses into the scratch; runs' bounds stay below 2n
        return _merge_sort(avals, outer, n, inner, num_keys)
    return None


def _merge_sort(avals, outer: int, n: int, inner: int, num_keys: int) -> RoutineProgram:
    m, total = len(avals), outer * n * inner
    dts = [a.dtype for a in avals]
    b = ProcBuilder("sort_merge", (outer, inner), [*dts, *dts, I32])
    perm = 2 * m  # scratch: two permutations of every line, at offsets 0 and `total`
    base = ir.add(ir.mul(b.grid(0), ir.iconst(n * inner)), b.grid(1))

    def at(i: ir.Expr) -> ir.Expr:
        return ir.add(base, ir.mul(i, ir.iconst(inner)))

    def keys(p: ir.Expr) -> list[ir.Expr]:
        return [b.load(k, at(p)) for k in range(num_keys)]

    with b.loop("i", 0, n) as i:
        b.store(perm, at(i), i)
    src, dst = b.let("src", 0), b.let("dst", total)
    width = b.let("width", 1)
    with b.while_(ir.apply("lt", width, ir.iconst(n))):
        lo = b.let("lo", 0)
        with b.while_(ir.apply("lt", lo, ir.iconst(n))):
            mid = b.let("mid", _min(ir.add(lo, width), n))
            hi = b.let("hi", _min(ir.add(mid, width), n))
            left, right = b.let("left", lo), b.let("right", mid)
            with b.loop("t", lo, hi) as t:
                # take the right run's head only when it is strictly less: ties keep the left (stable)
                take = b.let("take", ir.apply("lt", right, hi))
                p_left = b.load(perm, ir.add(src, at(left)))
                p_right = b.load(perm, ir.add(src, at(right)))
                with b.if_(_and(take, ir.apply("lt", left, mid))):
                    b.set("take", lex_less(keys(p_right), keys(p_left)))
                with b.if_(take):
                    b.store(perm, ir.add(dst, at(t)), p_right)
                    b.set("right", ir.add(right, ir.iconst(1)))
                with b.else_():
                    b.store(perm, ir.add(dst, at(t)), p_left)
                    b.set("left", ir.add(left, ir.iconst(1)))
            b.set("lo", hi)
        swap = b.let("swap", src)
        b.set("src", dst)
        b.set("dst", swap)
        b.set("width", ir.mul(width, ir.iconst(2)))
    with b.loop("i", 0, n) as i:
        p = b.load(perm, ir.add(src, at(i)))
        for k in range(m):
            b.store(m + k, at(i), b.load(k, at(p)))
    return RoutineProgram((b.build(),), n_in=m, n_out=m, scratch=((I32, 2 * total),))


def _bitonic(avals, outer: int, n: int, inner: int, num_keys: int) -> RoutineProgram:
    m = len(avals)
    dts = [a.dtype for a in avals]
    size = 1 << max(n - 1, 0).bit_length()  # n padded to a power of two
    bufs, perm = [*dts, *dts, I32], 2 * m

    def builder(name: str, extent: int):
        b = ProcBuilder(name, (outer, inner, extent), bufs)
        base = ir.add(ir.mul(b.grid(0), ir.iconst(n * inner)), b.grid(1))
        line = ir.mul(ir.add(ir.mul(b.grid(0), ir.iconst(inner)), b.grid(1)), ir.iconst(size))
        return b, base, line

    b, _, line = builder("sort_bitonic_init", size)
    b.store(perm, ir.add(line, b.grid(2)), b.grid(2))
    procs = [b.build()]

    k = 2
    while k <= size:
        j = k // 2
        while j >= 1:
            b, base, line = builder(f"sort_bitonic_{k}_{j}", size // 2)
            t = b.grid(2)
            i = ir.add(ir.mul(ir.div(t, ir.iconst(j)), ir.iconst(2 * j)), ir.rem(t, ir.iconst(j)))
            pa = b.let("pa", b.load(perm, ir.add(line, i)))
            pb = b.let("pb", b.load(perm, ir.add(line, ir.add(i, ir.iconst(j)))))

            def key_list(p, b=b, base=base):
                # padding (p >= n) loads a real element; the real/padding test below decides first
                at = ir.add(base, ir.mul(_min(p, n - 1), ir.iconst(inner)))
                return [b.load(kk, at) for kk in range(num_keys)] + [p]

            def lt(p, q, key_list=key_list):
                both = _and(ir.apply("lt", p, ir.iconst(n)), ir.apply("lt", q, ir.iconst(n)))
                return ir.where(both, lex_less(key_list(p), key_list(q)), ir.apply("lt", p, q))

            ascending = ir.apply("eq", ir.rem(ir.div(i, ir.iconst(k)), ir.iconst(2)), ir.iconst(0))
            with b.if_(ir.where(ascending, lt(pb, pa), lt(pa, pb))):
                b.store(perm, ir.add(line, i), pb)
                b.store(perm, ir.add(line, ir.add(i, ir.iconst(j))), pa)
            procs.append(b.build())
            j //= 2
        k *= 2

    b, base, line = builder("sort_bitonic_gather", n)
    p = b.load(perm, ir.add(line, b.grid(2)))
    for kk in range(m):
        b.store(m + kk, ir.add(base, ir.mul(b.grid(2), ir.iconst(inner))),
                b.load(kk, ir.add(base, ir.mul(p, ir.iconst(inner)))))  # fmt: skip
    procs.append(b.build())
    return RoutineProgram(tuple(procs), n_in=m, n_out=m, scratch=((I32, outer * inner * size),))


@native("top_k")
def top_k(routine, caps) -> RoutineProgram | None:
    """Per line, an insertion into the k best seen so far (elements visited in index order, so a tie
    never displaces an earlier element: ties come out lower index first). O(n·k) at worst, one grid
    point per line on every backend."""
    (x,) = routine.in_avals
    if x.dtype.kind not in _KINDS:
        return None
    n, k = x.shape[-1], routine.params["k"]
    lines = x.size // n
    b = ProcBuilder("top_k", (lines,), [x.dtype, x.dtype, I32])
    src, dst = ir.mul(b.grid(0), ir.iconst(n)), ir.mul(b.grid(0), ir.iconst(k))
    with b.loop("i", 0, n) as i:
        v = b.let("v", b.load(0, ir.add(src, i)))
        pos = b.let("pos", _min(i, k))
        # the slot above `pos` is read at max(pos - 1, 0) so that the load stays in the line at pos == 0
        above = ir.add(dst, ir.apply("max", ir.apply("sub", pos, ir.iconst(1)), ir.iconst(0)))
        with b.while_(_and(ir.apply("gt", pos, ir.iconst(0)), less(b.load(1, above), v))):
            with b.if_(ir.apply("lt", pos, ir.iconst(k))):
                b.store(1, ir.add(dst, pos), b.load(1, above))
                b.store(2, ir.add(dst, pos), b.load(2, above))
            b.set("pos", ir.apply("sub", pos, ir.iconst(1)))
        with b.if_(ir.apply("lt", pos, ir.iconst(k))):
            b.store(1, ir.add(dst, pos), v)
            b.store(2, ir.add(dst, pos), i)
    return RoutineProgram((b.build(),), n_in=1, n_out=2)
