"""Native routines: a procedure (core's lowering/proc.py) rendered as one wasm function.

`kernel(b0, .., b{n-1}, lo, hi)` takes every buffer's address and runs the points `lo <= p < hi`
of the row-major flattened grid, so threads split a launch by points (a proc's points never touch
what another point writes). Locals are wasm locals of their dtype's wasm type; For/While/If become
block/loop/br_if/if; a load or store of buffer k at `index` reads `b_k + index * itemsize` with int32
index math. Every other node is scalar_ops' rule, so a proc computes exactly what a kernel would
(guarded integer division, saturating float->int, NaN-propagating min/max), and every dtype lives
in a local as kernels keep it: narrow integers sign/zero-extended in i32, bool 0/1, float16 and
bfloat16 as the float32 they widen to (loads widen, ops round back, stores narrow).
"""

from __future__ import annotations

import math

import numpy as np

from jaxnc._src.lowering import ir
from jaxnc._src.lowering.proc import Assign, For, If, Proc, Store, While
from jaxnc_wasm import scalar_ops as S
from jaxnc_wasm.codegen import KernelCodegen
from jaxnc_wasm.encoder import I32, Function, Module

BOOL = np.dtype(np.bool_)
_UNKNOWN_TRIPS = 16  # the guess, for the thread split only, at a loop whose trip count is not bounded


class ProcCodegen:
    """Renders `proc` as the function `kernel` (the name the thread pool calls)."""

    def __init__(self, proc: Proc, listing: bool = False) -> None:
        self.proc = proc
        nbuf = len(proc.buffers)
        self.f = Function("kernel", [I32] * (nbuf + 2), [], listing)
        self.lo, self.hi = nbuf, nbuf + 1
        self.locals = {name: self.f.local(S.wtype(dt)) for name, dt in proc.locals().items()}
        self.grid = [self.f.local(I32) for _ in proc.grid]
        self.memo: dict[ir.Expr, int] = {}
        self.uses: dict[ir.Expr, int] = {}

    # NB: these use only `self.f`
    for_loop = KernelCodegen.for_loop
    spill = KernelCodegen.spill  # what scalar_ops' rules call for a temporary

    # --- expressions ----------------------------------------------------------------------------
    def begin(self, *roots: ir.Expr) -> None:
        """Start a statement: its expressions share computed subexpressions (nothing is stored
        between them), the next statement's do not (locals and buffers may have changed)."""
        self.memo = {}
        self.uses = {}
        for node in ir.toposort(roots):
            for a in node.args:
                self.uses[a] = self.uses.get(a, 0) + 1

    def value(self, node: ir.Expr) -> None:
        loc = self.memo.get(node)
        if loc is not None:
            self.f.op("local.get", loc)
            return
        self.compute(node)
        if self.uses.get(node, 0) > 1 and node.op not in ("const", "var", "local"):
            loc = self.memo[node] = self.f.local(S.wtype(node.dtype))
            self.f.op("local.tee", loc)

    def compute(self, node: ir.Expr) -> None:
        f, op = self.f, node.op
        if op == "const":
            S.push_const(self, node.arg, node.dtype)
        elif op == "var":
            f.op("local.get", self.grid[int(node.arg[0][1:])])
        elif op == "local":
            if node.arg not in self.locals:
                raise NameError(f"proc {self.proc.name}: local {node.arg} is read but never assigned")
            f.op("local.get", self.locals[node.arg])
        elif op == "load":
            self.address(node.arg, node.args[0])
            S.load(self, node.dtype)
        else:
            S.scalar(self, node, [self._pusher(a) for a in node.args])

    def _pusher(self, node: ir.Expr):
        return lambda: self.value(node)

    def address(self, buf: int, index: ir.Expr) -> None:
        f = self.f
        f.op("local.get", buf)
        self.value(index)
        shift = int(math.log2(self.proc.buffers[buf].itemsize))
        if shift:
            f.op("i32.const", shift)
            f.op("i32.shl")
        f.op("i32.add")

    def condition(self, cond: ir.Expr) -> None:
        """Push `cond` as an i32 that is nonzero when it holds."""
        self.begin(cond)
        self.value(cond)
        if cond.dtype != BOOL:
            S.convert(self, cond.dtype, BOOL)

    # --- statements -------------------------------------------------------------------------------
    def body(self, stmts: tuple) -> None:
        for s in stmts:
            self.statement(s)

    def statement(self, s) -> None:
        f = self.f
        if isinstance(s, Assign):
            self.begin(s.value)
            self.value(s.value)
            f.op("local.set", self.locals[s.name])
        elif isinstance(s, Store):
            self.begin(s.index, s.value)
            self.address(s.buf, s.index)
            self.value(s.value)
            S.store(self, self.proc.buffers[s.buf])
        elif isinstance(s, For):
            # NB: a hidden counter, so that an assignment to the loop's local does not change the trips
            counter, stop = f.local(I32), f.local(I32)
            self.begin(s.start, s.stop)
            self.value(s.stop)
            f.op("local.set", stop)

            def body():
                f.op("local.get", counter)
                f.op("local.set", self.locals[s.name])
                self.body(s.body)

            self.for_loop(counter, lambda: self.value(s.start), lambda: f.op("local.get", stop), 1, body)
        elif isinstance(s, While):
            f.op("block")
            f.op("loop")
            self.condition(s.cond)
            f.op("i32.eqz")
            f.op("br_if", 1)
            self.body(s.body)
            f.op("br", 0)
            f.op("end")
            f.op("end")
        else:
            self.condition(s.cond)
            f.op("if")
            self.body(s.then)
            if s.orelse:
                f.op("else")
                self.body(s.orelse)
            f.op("end")

    # --- the grid ---------------------------------------------------------------------------------
    def emit(self) -> Function:
        """for p in [lo, hi): (g0, g1, ..) = unravel(p); body. The unravel is done once, at lo; then
        the grid indices count like an odometer (no division per point)."""
        f, grid = self.f, self.proc.grid
        p = f.local(I32)
        if grid:
            rest = f.local(I32)
            f.op("local.get", self.lo)
            f.op("local.set", rest)
            for d in range(len(grid) - 1, 0, -1):
                for op in ("i32.rem_u", "i32.div_u"):
                    f.op("local.get", rest)
                    f.op("i32.const", grid[d])
                    f.op(op)
                    f.op("local.set", self.grid[d] if op == "i32.rem_u" else rest)
            f.op("local.get", rest)
            f.op("local.set", self.grid[0])

        def point():
            self.body(self.proc.body)
            self._advance(len(grid) - 1)

        self.for_loop(p, lambda: f.op("local.get", self.lo), lambda: f.op("local.get", self.hi), 1, point)
        return f

    def _advance(self, d: int) -> None:
        """g_d += 1, carrying into g_{d-1} when g_d reaches its extent."""
        f, grid = self.f, self.proc.grid
        while d > 0 and grid[d] == 1:  # these stay 0
            d -= 1
        if d < 0 or (d == 0 and grid[0] == 1):
            return
        loc = self.grid[d]
        f.op("local.get", loc)
        f.op("i32.const", 1)
        f.op("i32.add")
        f.op("local.tee", loc)
        if d == 0:
            f.op("drop")
            return
        f.op("i32.const", grid[d])
        f.op("i32.eq")
        f.op("if")
        f.op("i32.const", 0)
        f.op("local.set", loc)
        self._advance(d - 1)
        f.op("end")


def proc_module(proc: Proc, listing: bool = False) -> tuple[bytes, str | None]:
    """The wasm bytes of a module exporting `proc` as `kernel`, and a listing if asked."""
    g = ProcCodegen(proc, listing)
    g.emit()
    m = Module()
    m.functions.append(g.f)
    return m.to_bytes(), (f";; proc {proc.name}, grid {proc.grid}\n{m.text()}" if listing else None)


def work(proc: Proc) -> int:
    """An estimate of the statements `proc` runs, to decide whether threads split its grid."""
    return proc.size * _work(proc.body)


def _work(body: tuple) -> int:
    n = 0
    for s in body:
        if isinstance(s, For):
            lo, hi = ir.bounds(s.start), ir.bounds(s.stop)
            trips = max(0, hi[1] - lo[0]) if lo and hi else _UNKNOWN_TRIPS
            n += 1 + trips * _work(s.body)
        elif isinstance(s, While):
            n += 1 + _UNKNOWN_TRIPS * _work(s.body)
        elif isinstance(s, If):
            n += 1 + max(_work(s.then), _work(s.orelse))
        else:
            n += 1
    return n
