"""fft (FFT, IFFT, RFFT, IRFFT over one trailing axis) as procedures: radix-2 Cooley–Tukey for powers of
two, a direct DFT otherwise; one line per grid point, twiddles as program constants.

NB: why this is off unless a backend opts in. Complex is not an IR dtype any renderer loads (wasm and
WGSL render float32/float64 and integers: `renders("load", complex64)` is False), and every fft
routine has a complex input or output, so `prepare` would refuse a proc over complex buffers. The
procs here instead declare each complex buffer as its real dtype with twice the elements, (re, im)
interleaved, which is complex64/complex128's memory layout. That is right only for a backend whose
`launch_proc` hands a routine's raw storage to the proc unchanged and stores complex arrays as NumPy
does, so a backend says so with `complex_as_pairs = True`; none does yet (the reference backend does in
the tests), and without it the builder returns None and the NumPy impl (pocketfft) runs on the host.
Multi-axis transforms (len(fft_lengths) > 1) also keep the NumPy impl.
"""

from __future__ import annotations

import math

import numpy as np

from jaxnc._src.lowering import ir
from jaxnc._src.lowering.proc import ProcBuilder, RoutineProgram, native

MAX_POW2 = 1 << 16  # radix-2: n log n work per grid point
MAX_DFT = 512  # the direct DFT is n² per grid point
_REAL = {np.dtype(np.float32): np.dtype(np.float32), np.dtype(np.float64): np.dtype(np.float64)}
_COMPLEX = {np.dtype(np.complex64): np.dtype(np.float32), np.dtype(np.complex128): np.dtype(np.float64)}


def _sub(a, b):
    return ir.apply("sub", a, b)


def _let_pair(b: ProcBuilder, name: str, pair) -> tuple[ir.Expr, ir.Expr]:
    """Locals `{name}r`, `{name}i` = a complex value's (re, im)."""
    return b.let(f"{name}r", pair[0]), b.let(f"{name}i", pair[1])


def _twiddles(n: int, inverse: bool, dt) -> np.ndarray:
    """exp(∓2πik/n) for k < n, (re, im) interleaved, computed in float64."""
    w = np.exp((2j if inverse else -2j) * np.pi * np.arange(n) / n)
    return np.stack([w.real, w.imag], axis=-1).reshape(-1).astype(dt)


def _bit_reversal(n: int) -> np.ndarray:
    bits = n.bit_length() - 1
    return np.array([int(format(k, f"0{bits}b")[::-1], 2) if bits else 0 for k in range(n)], np.int32)


@native("fft")
def fft(routine, caps) -> RoutineProgram | None:
    if not getattr(caps, "complex_as_pairs", False):
        return None
    kind, lengths = routine.params["fft_type"], routine.params["fft_lengths"]
    (x,), (y,) = routine.in_avals, routine.out_avals
    rdt = (_REAL if kind == "RFFT" else _COMPLEX).get(x.dtype)
    if len(lengths) != 1 or rdt is None:
        return None
    n = lengths[0]
    pow2 = n & (n - 1) == 0
    if n > (MAX_POW2 if pow2 else MAX_DFT):
        return None
    inverse = kind in ("IFFT", "IRFFT")
    n_in, n_out, lines = x.shape[-1], y.shape[-1], math.prod(y.shape[:-1])
    consts = [_twiddles(n, inverse, rdt)] + ([_bit_reversal(n)] if pow2 else [])
    scratch = ((rdt, 2 * n * lines),) if pow2 else ()
    b = ProcBuilder(f"fft_{kind.lower()}", (lines,), [rdt, rdt, rdt] + ([ir.INDEX, rdt] if pow2 else []))
    line = b.grid(0)
    zero, one = ir.const(0, rdt), ir.const(1, rdt)
    scale = ir.const(1 / n if inverse else 1, rdt)

    def at(buf_len: int, k) -> ir.Expr:
        return ir.mul(ir.add(ir.mul(line, ir.iconst(buf_len)), k), ir.iconst(2))

    def source(j) -> tuple[ir.Expr, ir.Expr]:
        """Element j < n of the complex line to transform."""
        if kind == "RFFT":
            return b.load(0, ir.add(ir.mul(line, ir.iconst(n_in)), j)), zero
        if kind != "IRFFT":
            i = at(n_in, j)
            return b.load(0, i), b.load(0, ir.add(i, ir.iconst(1)))
        low = ir.apply("le", j, ir.iconst(n // 2))  # X[j] = conj(X[n - j]) above the Nyquist index
        i = at(n_in, ir.where(low, j, _sub(ir.iconst(n), j)))
        return b.load(0, i), ir.mul(b.load(0, ir.add(i, ir.iconst(1))), ir.where(low, one, ir.const(-1, rdt)))

    def sink(k, re, im) -> None:
        """Store output element k from the transformed line's element k."""
        if kind == "IRFFT":
            b.store(1, ir.add(ir.mul(line, ir.iconst(n_out)), k), ir.mul(re, scale))
            return
        i = at(n_out, k)
        b.store(1, i, ir.mul(re, scale))
        b.store(1, ir.add(i, ir.iconst(1)), ir.mul(im, scale))

    def twiddle(k) -> tuple[ir.Expr, ir.Expr]:
        return b.load(2, ir.mul(k, ir.iconst(2))), b.load(2, ir.add(ir.mul(k, ir.iconst(2)), ir.iconst(1)))

    if not pow2:  # out[k] = Σ_j z_j w^(jk mod n)
        with b.loop("k", 0, n_out) as k:
            re, im = b.let("re", zero), b.let("im", zero)
            with b.loop("j", 0, n) as j:
                zr, zi = _let_pair(b, "z", source(j))
                wr, wi = _let_pair(b, "w", twiddle(ir.rem(ir.mul(j, k), ir.iconst(n))))
                b.set("re", ir.add(re, _sub(ir.mul(zr, wr), ir.mul(zi, wi))))
                b.set("im", ir.add(im, ir.add(ir.mul(zr, wi), ir.mul(zi, wr))))
            sink(k, re, im)
        return RoutineProgram((b.build(),), n_in=1, n_out=1, consts=tuple(consts))

    def z(k) -> ir.Expr:  # the work line, in scratch buffer 4
        return at(n, k)

    with b.loop("k", 0, n) as k:
        re, im = source(k)
        dst = z(b.load(3, k))
        b.store(4, dst, re)
        b.store(4, ir.add(dst, ir.iconst(1)), im)
    size = 2
    while size <= n:  # butterflies of span size/2, twiddle w^(k·n/size)
        half = size // 2
        with b.loop("blk", 0, n // size) as blk, b.loop("k", 0, half) as k:
            i = ir.add(ir.mul(blk, ir.iconst(size)), k)
            lo, hi = z(i), z(ir.add(i, ir.iconst(half)))
            wr, wi = twiddle(ir.mul(k, ir.iconst(n // size)))
            vr, vi = b.let("vr", b.load(4, hi)), b.let("vi", b.load(4, ir.add(hi, ir.iconst(1))))
            tr = b.let("tr", _sub(ir.mul(vr, wr), ir.mul(vi, wi)))
            ti = b.let("ti", ir.add(ir.mul(vr, wi), ir.mul(vi, wr)))
            ur, ui = b.let("ur", b.load(4, lo)), b.let("ui", b.load(4, ir.add(lo, ir.iconst(1))))
            b.store(4, lo, ir.add(ur, tr))
            b.store(4, ir.add(lo, ir.iconst(1)), ir.add(ui, ti))
            b.store(4, hi, _sub(ur, tr))
            b.store(4, ir.add(hi, ir.iconst(1)), _sub(ui, ti))
        size *= 2
    with b.loop("k", 0, n_out) as k:
        sink(k, b.load(4, z(k)), b.load(4, ir.add(z(k), ir.iconst(1))))
    return RoutineProgram((b.build(),), n_in=1, n_out=1, consts=tuple(consts), scratch=scratch)
