"""A blocked SIMD f32 matmul for kernels of the form `out[i, j] = sum_k A[i, k] * B[k, j]`.

The generic code generator runs such a kernel as one reduction per 4 outputs, which reloads B from
far away for every k. Here a 4x8 tile of C lives in 8 f32x4 registers, each k step loads 8 values of
B (two v128 loads) and broadcasts 4 values of A into fused multiply-adds. Loops, outermost first:
k-blocks of KB, row blocks of MB (that block of A stays in L2), 8-column panels of B (packed, KB x 8,
in L1), 4-row tiles. A is read through any strides (transposes
are free); B must be contiguous along j. Shapes with M % 4 or N % 8 left over use the generic path.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from jaxnc._src.lowering import ir
from jaxnc._src.lowering.kernel import Kernel
from jaxnc_wasm.encoder import I32, V128, Function, Module

F32_DTYPE = np.dtype(np.float32)
KB = 128  # k-block: a 128 x 8 panel of B is 4 KiB (L1)
MB = 128  # row block: 128 x 128 of A is 64 KiB (L2)


@dataclasses.dataclass(frozen=True)
class MatmulSpec:
    m: int
    n: int
    k: int
    a: int  # input numbers
    b: int
    a_off: int
    a_sm: int  # element strides of A along i and k
    a_sk: int
    b_off: int
    b_sk: int


def _strides(index: ir.Expr) -> tuple[int, int, int, int] | None:
    """(offset, coef of i0, coef of i1, coef of r0) of an affine index, else None."""
    coefs = []
    rest = index
    for name in ("i0", "i1", "r0"):
        aff = ir.affine(rest, name)
        if aff is None:
            return None
        coefs.append(aff[0])
        rest = aff[1]
    if rest.op != "const":
        return None
    return (int(rest.arg), *coefs)


def match_matmul(kernel: Kernel) -> MatmulSpec | None:
    red = kernel.reduce
    if red is None or red.op != "add" or red.dtype != F32_DTYPE or kernel.out_dtype != F32_DTYPE:
        return None
    if len(kernel.shape) != 2 or len(red.shape) != 1 or red.epilogue is not ir.acc(F32_DTYPE):
        return None
    body = kernel.body
    if body.op != "mul" or any(a.op != "load" or a.dtype != F32_DTYPE for a in body.args):
        return None
    (m, n), (k,) = kernel.shape, red.shape
    if m % 4 or n % 8 or k == 0:
        return None
    found = {}
    for load in body.args:
        s = _strides(load.args[0])
        if s is None:
            return None
        off, si, sj, sk = s
        if sj == 0:
            found["a"] = (load.arg, off, si, sk)
        elif si == 0 and sj == 1:
            found["b"] = (load.arg, off, sk)
    if set(found) != {"a", "b"}:
        return None
    a, a_off, a_sm, a_sk = found["a"]
    if a_sm < 0 or 3 * a_sm * 4 >= 1 << 31:  # rows 1..3 of a tile are constant load offsets
        return None
    b, b_off, b_sk = found["b"]
    return MatmulSpec(m, n, k, a, b, a_off, a_sm, a_sk, b_off, b_sk)


def scratch_bytes(spec: MatmulSpec) -> int:
    """Bytes of packed B panel each call needs (KB x 8 floats)."""
    return min(spec.k, KB) * 32


def matmul_module(spec: MatmulSpec, nparams: int) -> bytes:
    """`kernel(in.., out, scratch, lo, hi)` computing rows [lo, hi) (multiples of 4) of C = A @ B.

    For each k-block, row block and 8-column panel of B, the panel's KB rows are first packed into
    `scratch` (rows of 8 contiguous floats), so the micro-kernel walks B with a 32-byte stride
    instead of a row stride of N floats (which aliases in L1 for N = 1024). The k-block loop is
    outermost so the A block (MB x KB) is reused from L2 by every panel, not re-read from L3 per panel.
    """
    f = Function("kernel", [I32] * nparams, [])
    out, scratch, lo, hi = nparams - 4, nparams - 3, nparams - 2, nparams - 1
    kb, kend, j, i, k, ib, iend = (f.local(I32) for _ in range(7))
    pa = f.local(I32)
    pb, pc = f.local(I32), f.local(I32)
    acc = [f.local(V128) for _ in range(8)]
    b0, b1, av = f.local(V128), f.local(V128), f.local(V128)
    op = f.op

    def loop(var, start, end_push, step, body):
        start()
        op("local.set", var)
        op("block")
        op("loop")
        op("local.get", var)
        end_push()
        op("i32.ge_s")
        op("br_if", 1)
        body()
        op("local.get", var)
        op("i32.const", step)
        op("i32.add")
        op("local.set", var)
        op("br", 0)
        op("end")
        op("end")

    def tile_address(r):  # pc + r * N * 4
        op("local.get", pc)
        if r:
            op("i32.const", r * spec.n * 4)
            op("i32.add")

    def micro_kernel():
        # pc = out + (i * N + j) * 4
        op("local.get", out)
        op("local.get", i)
        op("i32.const", spec.n)
        op("i32.mul")
        op("local.get", j)
        op("i32.add")
        op("i32.const", 2)
        op("i32.shl")
        op("i32.add")
        op("local.set", pc)
        # acc = 0 in the first k-block, else the partial sums stored in C
        for r in range(4):
            for h in range(2):
                op("local.get", kb)
                op("i32.eqz")
                op("if", V128)
                op("v128.const", bytes(16))
                op("else")
                tile_address(r)
                op("v128.load", 16 * h)
                op("end")
                op("local.set", acc[2 * r + h])
        # A pointer at (i, kb) (rows i+1.. are constant offsets away), B pointer at (kb, j) of the panel
        op("local.get", spec.a)
        op("local.get", i)
        op("i32.const", spec.a_sm)
        op("i32.mul")
        op("local.get", kb)
        op("i32.const", spec.a_sk)
        op("i32.mul")
        op("i32.add")
        op("i32.const", spec.a_off)
        op("i32.add")
        op("i32.const", 2)
        op("i32.shl")
        op("i32.add")
        op("local.set", pa)
        op("local.get", scratch)
        op("local.set", pb)

        def k_steps(steps):  # `steps` k steps through constant offsets, then advance the pointers
            for u in range(steps):
                op("local.get", pb)
                op("v128.load", 32 * u)
                op("local.set", b0)
                op("local.get", pb)
                op("v128.load", 32 * u + 16)
                op("local.set", b1)
                for r in range(4):
                    op("local.get", pa)
                    op("f32.load", (r * spec.a_sm + u * spec.a_sk) * 4)
                    op("f32x4.splat")
                    op("local.set", av)
                    for h, bv in enumerate((b0, b1)):
                        op("local.get", av)
                        op("local.get", bv)
                        op("local.get", acc[2 * r + h])
                        op("f32x4.relaxed_madd")
                        op("local.set", acc[2 * r + h])
            op("local.get", pa)
            op("i32.const", steps * spec.a_sk * 4)
            op("i32.add")
            op("local.set", pa)
            op("local.get", pb)
            op("i32.const", steps * 32)
            op("i32.add")
            op("local.set", pb)

        # NB: unrolling this loop by 4 measured slower: Cranelift sinks the pure FMAs below all the
        # loads of the unrolled body, and the 24 live loads spill
        loop(k, lambda: op("local.get", kb), lambda: op("local.get", kend), 1, lambda: k_steps(1))
        for r in range(4):
            for h in range(2):
                tile_address(r)
                op("local.get", acc[2 * r + h])
                op("v128.store", 16 * h)

    def pack_panel():  # scratch[k, 0:8] = B[k, j:j+8]
        op("local.get", spec.b)
        op("local.get", kb)
        op("i32.const", spec.b_sk)
        op("i32.mul")
        op("local.get", j)
        op("i32.add")
        op("i32.const", spec.b_off)
        op("i32.add")
        op("i32.const", 2)
        op("i32.shl")
        op("i32.add")
        op("local.set", pb)
        op("local.get", scratch)
        op("local.set", pc)

        def copy_row():
            for h in range(2):
                op("local.get", pc)
                op("local.get", pb)
                op("v128.load", 16 * h)
                op("v128.store", 16 * h)
            op("local.get", pb)
            op("i32.const", spec.b_sk * 4)
            op("i32.add")
            op("local.set", pb)
            op("local.get", pc)
            op("i32.const", 32)
            op("i32.add")
            op("local.set", pc)

        loop(k, lambda: op("local.get", kb), lambda: op("local.get", kend), 1, copy_row)

    def clamp(var, start, step, end):  # var = min(start + step, end)
        op("local.get", start)
        op("i32.const", step)
        op("i32.add")
        op("local.tee", var)
        end()
        op("local.get", var)
        end()
        op("i32.lt_s")
        op("select")
        op("local.set", var)

    def panel():  # pack B[kb:kend, j:j+8], then every 4-row tile of the row block
        pack_panel()
        loop(i, lambda: op("local.get", ib), lambda: op("local.get", iend), 4, micro_kernel)

    def row_block():  # A[ib:iend, kb:kend] stays in L2 while the panels of B go by
        clamp(iend, ib, MB, lambda: op("local.get", hi))
        loop(j, lambda: op("i32.const", 0), lambda: op("i32.const", spec.n), 8, panel)

    def k_block():
        clamp(kend, kb, KB, lambda: op("i32.const", spec.k))
        loop(ib, lambda: op("local.get", lo), lambda: op("local.get", hi), MB, row_block)

    loop(kb, lambda: op("i32.const", 0), lambda: op("i32.const", spec.k), KB, k_block)
    m = Module()
    m.functions.append(f)
    return m.to_bytes()
