"""Kernel -> one wasm function `kernel(in0, .., out, lo, hi)` over the loop nest of the kernel.

The function runs output rows `lo <= i0 < hi` (so threads can split a launch) of the loops
`i0..i{n-1}` (output) and `r0..r{m-1}` (reduced). One loop may run 4 lanes at a time with SIMD:
the innermost output loop ("out": every lane is one output element) or the innermost reduced loop
("red": four partial accumulators, combined at the end); a scalar loop finishes the remainder.
Every expression node is computed at the outermost loop where its inputs are known (loop-invariant
code motion) and shared subexpressions are kept in locals.
"""

from __future__ import annotations

import math

import numpy as np

from jaxnc._src.lowering import ir
from jaxnc._src.lowering.kernel import Kernel
from jaxnc_wasm import scalar_ops as S
from jaxnc_wasm.encoder import I32, V128, Function, Module


class KernelCodegen:
    """Renders `kernel` as a function, or inline into `into` (a function whose locals `params` hold
    the kernel's inputs, out, lo and hi: native loops inline small kernels into their driver)."""

    def __init__(self, kernel: Kernel, listing: bool = False, into: Function | None = None, params=None) -> None:
        self.kernel = kernel
        self.shape = kernel.shape or (1,)
        self.rshape = kernel.reduce.shape if kernel.reduce else ()
        self.n, self.m = len(self.shape), len(self.rshape)
        nin = len(kernel.in_dtypes)
        self.f = into if into is not None else Function("kernel", [I32] * (nin + 3), [], listing)
        self.params = list(params) if params is not None else list(range(nin + 3))
        self.out_param, self.lo, self.hi = self.params[nin], self.params[nin + 1], self.params[nin + 2]
        self.level_of = {f"i{d}": d + 1 for d in range(self.n)} | {f"r{d}": self.n + d + 1 for d in range(self.m)}
        self.acc_level = self.n + self.m + 1
        self.var_local = {name: self.f.local(I32) for name in self.level_of}
        self.frames: list[dict] = [{}]
        self.lane_override: tuple[str, int] | None = None
        self.acc_scalar = self.acc_vector = self.vacc = None
        self.affine: dict[ir.Expr, tuple[int, ir.Expr]] = {}
        self.vector, self.lane = self._choose_vectorization()
        self._analyze()

    # --- analysis ---------------------------------------------------------------------------
    def _levels(self, order) -> dict:
        lvl = {}
        for node in order:
            if node.op == "var":
                lvl[node] = self.level_of[node.arg[0]]
            elif node.op == "acc":
                lvl[node] = self.acc_level
            else:
                lvl[node] = max((lvl[a] for a in node.args), default=0)
        return lvl

    def _varying_set(self, order, lane: str | None, acc_varies: bool) -> set:
        out = set()
        if lane is None:
            return out
        for node in order:
            if (node.op == "var" and node.arg[0] == lane) or (node.op == "acc" and acc_varies):
                out.add(node)
            elif any(a in out for a in node.args):
                out.add(node)
        return out

    def _choose_vectorization(self) -> tuple[str | None, str | None]:
        k = self.kernel
        order = ir.toposort(k.roots())
        candidates = []
        if self.shape[-1] >= 4 and k.shape:
            candidates.append(("out", f"i{self.n - 1}"))
        if k.reduce is not None and self.m and self.rshape[-1] >= 4:
            candidates.append(("red", f"r{self.m - 1}"))
        best, best_score = (None, None), -1
        for kind, lane in candidates:
            score = self._vector_score(order, kind, lane)
            if score is not None and score > best_score:
                best, best_score = (kind, lane), score
        return best

    def _vector_score(self, order, kind: str, lane: str) -> int | None:
        """Contiguous minus gathered lane loads, or None when the kernel cannot run in 32-bit lanes."""
        k = self.kernel
        if kind == "out" and k.out_dtype not in S.VECTOR_DTYPES:
            return None
        if k.reduce is not None and k.reduce.dtype not in S.VECTOR_DTYPES:
            return None
        roots = [k.body] if kind == "red" else k.roots()
        varying = self._varying_set(ir.toposort(roots), lane, acc_varies=kind == "out")
        score = 0
        for node in varying:
            if node.dtype not in S.VECTOR_DTYPES and node.dtype != ir.INDEX:
                return None
            if node.op == "load":
                aff = ir.affine(node.args[0], lane)
                score += 1 if aff is not None and aff[0] == 1 and node.dtype.itemsize == 4 else -1
        return score

    def _analyze(self) -> None:
        k = self.kernel
        roots = k.roots()
        if self.vector is not None:
            for node in ir.toposort(roots):
                if node.op == "load":
                    aff = ir.affine(node.args[0], self.lane)
                    if aff is not None and aff[0] == 1 and node.dtype.itemsize == 4:
                        self.affine[node] = aff
            roots = roots + [rest for _, rest in self.affine.values()]
        order = ir.toposort(roots)
        self.lvl = self._levels(order)
        body_order = ir.toposort([k.body] + [r for n, (_, r) in self.affine.items()])
        if self.vector == "red":
            self.varying = self._varying_set(body_order, self.lane, False)
        else:
            self.varying = self._varying_set(order, self.lane, True)
        self.uses: dict = {}
        users_level: dict = {}
        for node in order:
            for a in node.args:
                self.uses[a] = self.uses.get(a, 0) + 1
                users_level[a] = max(users_level.get(a, 0), self.lvl[node])
        for node, (_, rest) in self.affine.items():
            users_level[rest] = max(users_level.get(rest, 0), self.lvl[node])
            self.uses[rest] = self.uses.get(rest, 0) + 1
        splatted = set()  # invariant operands of SIMD nodes: their 4-lane copies are hoisted too
        if self.vector:
            for node in order:
                if node in self.varying and node.op not in ("load", "var") and S.vector_supported(node):
                    splatted.update(a for a in node.args if a not in self.varying)
        self.hoist_at: dict[int, list] = {}
        self.splat_at: dict[int, list] = {}
        for node in order:
            level = self.lvl[node]
            if node.op in ("const", "var", "acc"):
                pass
            elif users_level.get(node, 0) > level and 1 <= level < self.acc_level:
                self.hoist_at.setdefault(level, []).append(node)
            if node in splatted and level < self.acc_level:
                self.splat_at.setdefault(level, []).append(node)

    # --- locals and frames ------------------------------------------------------------------
    def lookup(self, key):
        for frame in reversed(self.frames):
            loc = frame.get(key)
            if loc is not None:
                return loc
        return None

    def spill(self, push, dt) -> int:
        loc = self.f.local(S.wtype(dt))
        if push is not None:
            push()
        self.f.op("local.set", loc)
        return loc

    def spill_vector(self, push) -> int:
        loc = self.f.local(V128)
        push()
        self.f.op("local.set", loc)
        return loc

    def splat_const(self, value, dt) -> None:
        kind = np.dtype(dt).kind
        lane = np.float32 if kind == "f" else np.uint32 if kind == "u" else np.int32  # uint32's max fits
        self.f.op("v128.const", np.full(4, value, lane).tobytes())

    # --- values -----------------------------------------------------------------------------
    def is_varying(self, node) -> bool:
        return node in self.varying

    def value(self, node: ir.Expr, mode: str) -> None:
        """Push `node` as a scalar (mode "s") or as 4 lanes (mode "v")."""
        if mode == "v" and node not in self.varying:
            self.push_splat(node)
            return
        key = (node, mode)
        loc = self.lookup(key)
        if loc is not None:
            self.f.op("local.get", loc)
            return
        if mode == "v":
            self.compute_vector(node)
        else:
            self.compute_scalar(node)
        if self.uses.get(node, 0) > 1 and node.op not in ("const", "var", "acc"):
            loc = self.f.local(V128 if mode == "v" else S.wtype(node.dtype))
            self.f.op("local.tee", loc)
            self.frames[-1][key] = loc

    def push_splat(self, node: ir.Expr) -> None:
        loc = self.lookup((node, "splat"))
        if loc is not None:
            self.f.op("local.get", loc)
            return
        if node.op == "const":
            value = node.arg
            if node.dtype == np.bool_:
                value = -1 if value else 0
            self.splat_const(value, node.dtype)
            return
        self.value(node, "s")
        self._splat_top(node.dtype)

    def _splat_top(self, dt) -> None:
        self.f.op("f32x4.splat" if dt.kind == "f" else "i32x4.splat")
        if dt == np.bool_:
            self.f.op("i32x4.neg")

    def hoist(self, level: int, mode: str) -> None:
        for node in self.hoist_at.get(level, ()):
            m = "v" if mode == "v" and node in self.varying else "s"
            key = (node, m)
            if self.lookup(key) is not None:
                continue
            if m == "v":
                self.compute_vector(node)
            else:
                self.compute_scalar(node)
            loc = self.f.local(V128 if m == "v" else S.wtype(node.dtype))
            self.f.op("local.set", loc)
            self.frames[-1][key] = loc
        if self.vector is None:
            return
        lane_level = self.level_of[self.lane]
        if level >= lane_level and mode != "v":
            return
        for node in self.splat_at.get(level, ()):
            if self.lookup((node, "splat")) is not None:
                continue
            self.push_splat(node)
            loc = self.f.local(V128)
            self.f.op("local.set", loc)
            self.frames[-1][(node, "splat")] = loc

    def compute_scalar(self, node: ir.Expr) -> None:
        f = self.f
        op = node.op
        if op == "const":
            S.push_const(self, node.arg, node.dtype)
        elif op == "var":
            name = node.arg[0]
            if self.lane_override is not None and self.lane_override[0] == name:
                f.op("local.get", self.lane_override[1])
            else:
                f.op("local.get", self.var_local[name])
        elif op == "acc":
            f.op("local.get", self.acc_scalar)
        elif op == "load":
            self.address(node.arg, node.args[0], node.dtype)
            S.load(self, node.dtype)
        else:
            S.scalar(self, node, [self._pusher(a, "s") for a in node.args])

    def _pusher(self, node, mode):
        return lambda: self.value(node, mode)

    def address(self, input_no: int, index: ir.Expr, dt) -> None:
        f = self.f
        f.op("local.get", self.params[input_no])
        self.value(index, "s")
        shift = int(math.log2(np.dtype(dt).itemsize))
        if shift:
            f.op("i32.const", shift)
            f.op("i32.shl")
        f.op("i32.add")

    def compute_vector(self, node: ir.Expr) -> None:
        f = self.f
        op = node.op
        if op == "var":  # the lane variable: base + (0, 1, 2, 3)
            f.op("local.get", self.var_local[node.arg[0]])
            f.op("i32x4.splat")
            f.op("v128.const", np.arange(4, dtype=np.int32).tobytes())
            f.op("i32x4.add")
        elif op == "acc":
            f.op("local.get", self.acc_vector)
        elif op == "load":
            self.vector_load(node)
        elif S.vector_supported(node):
            S.VECTOR[op](self, node, [self._pusher(a, "v") for a in node.args])
        else:
            self.lanewise(node)

    def vector_load(self, node: ir.Expr) -> None:
        f = self.f
        aff = self.affine.get(node)
        if aff is not None:  # contiguous: one v128.load at lane 0's address
            _, rest = aff
            f.op("local.get", self.params[node.arg])
            self.value(rest, "s")
            f.op("local.get", self.var_local[self.lane])
            f.op("i32.add")
            f.op("i32.const", 2)
            f.op("i32.shl")
            f.op("i32.add")
            f.op("v128.load")
            return
        self._by_lane(node, lambda: self.compute_scalar(node))

    def lanewise(self, node: ir.Expr) -> None:
        """A node without a SIMD sequence: its scalar rule, once per lane."""
        pushers = []
        for a in node.args:
            if a in self.varying:
                loc = self.spill_vector(self._pusher(a, "v"))
                pushers.append(("v", loc, a.dtype))
            else:
                pushers.append(("s", self.spill(self._pusher(a, "s"), a.dtype), a.dtype))

        def scalar(k):
            args = [self._lane_pusher(kind, loc, dt, k) for kind, loc, dt in pushers]
            S.scalar(self, node, args)

        self._by_lane(node, None, scalar)

    def _lane_pusher(self, kind, loc, dt, k):
        def push():
            self.f.op("local.get", loc)
            if kind == "v":
                self.f.op(f"{S.lanes(dt)}.extract_lane", k)
                if dt == np.bool_:
                    self.f.op("i32.const", 1)
                    self.f.op("i32.and")

        return push

    def _by_lane(self, node, scalar_with_override, scalar_by_lane=None) -> None:
        """Build 4 lanes from scalar computations, lane k seeing the lane variable as base + k."""
        f = self.f
        res = f.local(V128)
        f.op("v128.const", bytes(16))
        f.op("local.set", res)
        for k in range(4):
            lane_local = f.local(I32)
            f.op("local.get", self.var_local[self.lane])
            f.op("i32.const", k)
            f.op("i32.add")
            f.op("local.set", lane_local)
            self.frames.append({})
            saved = self.lane_override
            self.lane_override = (self.lane, lane_local)
            value = f.local(S.wtype(node.dtype))
            if scalar_by_lane is not None:
                scalar_by_lane(k)
            else:
                scalar_with_override()
            f.op("local.set", value)
            self.lane_override = saved
            self.frames.pop()
            f.op("local.get", res)
            if node.dtype == np.bool_:
                f.op("i32.const", 0)
                f.op("local.get", value)
                f.op("i32.sub")
            else:
                f.op("local.get", value)
            f.op(f"{S.lanes(node.dtype)}.replace_lane", k)
            f.op("local.set", res)
        f.op("local.get", res)

    # --- loops ------------------------------------------------------------------------------
    def for_loop(self, var: int, start, end, step: int, body) -> None:
        f = self.f
        start()
        f.op("local.set", var)
        f.op("block")
        f.op("loop")
        f.op("local.get", var)
        end()
        f.op("i32.ge_s")
        f.op("br_if", 1)
        body()
        f.op("local.get", var)
        f.op("i32.const", step)
        f.op("i32.add")
        f.op("local.set", var)
        f.op("br", 0)
        f.op("end")
        f.op("end")

    def split_loop(self, var: int, start, end, vector_body, scalar_body) -> None:
        """for var in [start, end): 4 at a time while 4 remain, then one at a time."""
        f = self.f
        vend = f.local(I32)
        end()
        f.op("i32.const", 3)
        f.op("i32.sub")
        f.op("local.set", vend)
        self.for_loop(var, start, lambda: f.op("local.get", vend), 4, vector_body)
        f.op("block")
        f.op("loop")
        f.op("local.get", var)
        end()
        f.op("i32.ge_s")
        f.op("br_if", 1)
        scalar_body()
        f.op("local.get", var)
        f.op("i32.const", 1)
        f.op("i32.add")
        f.op("local.set", var)
        f.op("br", 0)
        f.op("end")
        f.op("end")

    def emit(self) -> Function:
        f = self.f
        k = self.kernel
        inner = math.prod(self.shape[1:]) * k.out_dtype.itemsize
        self.outp = f.local(I32)
        f.op("local.get", self.out_param)
        f.op("local.get", self.lo)
        f.op("i32.const", inner)
        f.op("i32.mul")
        f.op("i32.add")
        f.op("local.set", self.outp)
        self.hoist(0, "s")
        self.out_loop(0)
        return f

    def out_loop(self, d: int) -> None:
        f = self.f
        var = self.var_local[f"i{d}"]
        start = (lambda: f.op("local.get", self.lo)) if d == 0 else (lambda: f.op("i32.const", 0))
        end = (lambda: f.op("local.get", self.hi)) if d == 0 else (lambda: f.op("i32.const", self.shape[d]))
        last = d == self.n - 1

        def body(mode):
            def run():
                self.frames.append({})
                self.hoist(d + 1, mode)
                if last:
                    self.element(mode)
                else:
                    self.out_loop(d + 1)
                self.frames.pop()

            return run

        if last and self.vector == "out":
            self.split_loop(var, start, end, body("v"), body("s"))
        else:
            self.for_loop(var, start, end, 1, body("s"))

    def element(self, mode: str) -> None:
        k = self.kernel
        root = k.body
        if k.reduce is not None:
            self.reduction(mode)
            root = k.reduce.epilogue
        self.store(root, mode)

    def store(self, root: ir.Expr, mode: str) -> None:
        f = self.f
        dt = self.kernel.out_dtype
        if mode == "v":
            if dt.itemsize == 4:
                f.op("local.get", self.outp)
                self.value(root, "v")
                f.op("v128.store")
            else:
                v = self.spill_vector(self._pusher(root, "v"))
                for k in range(4):
                    f.op("local.get", self.outp)
                    f.op("local.get", v)
                    f.op("i32x4.extract_lane", k)
                    f.op("i32.const", 1)
                    f.op("i32.and")
                    f.op("i32.store8", k)
            step = 4 * dt.itemsize
        else:
            f.op("local.get", self.outp)
            self.value(root, "s")
            S.store(self, dt)
            step = dt.itemsize
        f.op("local.get", self.outp)
        f.op("i32.const", step)
        f.op("i32.add")
        f.op("local.set", self.outp)

    def reduction(self, mode: str) -> None:
        f = self.f
        red = self.kernel.reduce
        ident = S.identity(red.op, red.dtype)
        if mode == "v":
            self.acc_vector = f.local(V128)
            self.splat_const(-ident if red.dtype == np.bool_ else ident, red.dtype)
            f.op("local.set", self.acc_vector)
        else:
            self.acc_scalar = f.local(S.wtype(red.dtype))
            S.push_const(self, ident, red.dtype)
            f.op("local.set", self.acc_scalar)
        if self.vector == "red":
            self.vacc = f.local(V128)
            self.splat_const(-ident if red.dtype == np.bool_ else ident, red.dtype)
            f.op("local.set", self.vacc)
        if self.m == 0:
            self.accumulate(mode)
        else:
            self.red_loop(0, mode)
        if self.vector == "red":
            for k in range(4):
                S.combine_scalar(self, red.op, red.dtype, self.acc_scalar,
                                 self._lane_pusher("v", self.vacc, red.dtype, k))  # fmt: skip

    def red_loop(self, d: int, mode: str) -> None:
        f = self.f
        var = self.var_local[f"r{d}"]
        last = d == self.m - 1

        def body(inner_mode):
            def run():
                self.frames.append({})
                self.hoist(self.n + d + 1, inner_mode)
                if last:
                    self.accumulate(inner_mode)
                else:
                    self.red_loop(d + 1, mode)
                self.frames.pop()

            return run

        start = lambda: f.op("i32.const", 0)  # noqa: E731
        end = lambda: f.op("i32.const", self.rshape[d])  # noqa: E731
        if last and self.vector == "red":
            self.split_loop(var, start, end, body("v"), body("s"))
        else:
            self.for_loop(var, start, end, 1, body(mode))

    def accumulate(self, mode: str) -> None:
        f = self.f
        red = self.kernel.reduce
        body = self.kernel.body
        if mode == "v":
            target = self.acc_vector if self.vector == "out" else self.vacc
            f.op("local.get", target)
            self.value(body, "v")
            S.combine_vector(self, red.op, red.dtype)
            f.op("local.set", target)
        else:
            S.combine_scalar(self, red.op, red.dtype, self.acc_scalar, self._pusher(body, "s"))


def compile_kernel_module(kernel: Kernel, listing: bool = False) -> tuple[bytes, str, str | None]:
    """The wasm bytes of a module exporting `kernel`, the vectorization used, and a listing if asked."""
    g = KernelCodegen(kernel, listing)
    g.emit()
    m = Module()
    m.functions.append(g.f)
    return m.to_bytes(), g.vector or "scalar", (m.text() if listing else None)
