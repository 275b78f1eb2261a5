"""Native scan/while: a Loop step (core's toolkit) rendered as one wasm function, the whole loop in one call.

The module holds one function per distinct body kernel (the same code generator as single launches)
and a driver `loop(ins.., outs.., scratch)` that:
  - copies each initial carry into one of two scratch buffers (`cur`, `nxt`) and swaps them per step;
  - runs the body's launches as direct `call`s, with addresses: consts where they are, carries in
    `cur`, xs at `xs + t * step`, temporaries at fixed scratch offsets;
  - lets the kernel that computes a carry write straight into `nxt` and one that computes a y write
    straight into its slot `ys + t * step` (otherwise a small copy: loads/stores, or memory.copy);
  - while: runs the predicate's kernels and leaves when its byte is 0.
Only bodies made of kernels run here (`renderable`); others keep the host loop (a routine).
"""

from __future__ import annotations

from collections.abc import Callable

from jaxnc._src.lowering.program import Alloc, Free, Launch, Loop, Program, nbytes
from jaxnc_wasm.codegen import KernelCodegen
from jaxnc_wasm.encoder import I32, Function, Module

ALIGN = 16
_COPY_INLINE = 64  # bytes copied with loads/stores; larger copies use memory.copy
INLINE_WORK = 4096  # kernels with at most this many element operations are rendered into the driver


def renderable(loop: Loop) -> bool:
    """Whether every step of the body (and predicate) is a kernel launch or a buffer step."""
    progs = [loop.body] + ([loop.cond] if loop.cond is not None else [])
    return all(isinstance(s, (Launch, Alloc, Free)) for p in progs for s in p.steps)


def _align(n: int) -> int:
    return -(-n // ALIGN) * ALIGN


class LoopCodegen:
    def __init__(self, loop: Loop, listing: bool = False) -> None:
        self.loop = loop
        self.module = Module()
        self.listing = listing
        self.functions: dict = {}  # kernel.key -> function index
        for prog in (loop.cond, loop.body):
            for step in prog.steps if prog is not None else ():
                k = step.kernel if isinstance(step, Launch) else None
                if k is not None and k.size and k.work() > INLINE_WORK and k.key not in self.functions:
                    g = KernelCodegen(k, listing)
                    g.emit()
                    g.f.name = f"k{len(self.functions)}_{k.name}"
                    self.functions[k.key] = len(self.module.functions)
                    self.module.functions.append(g.f)
        n = len(loop.ins) + len(loop.outs)
        self.f = Function("loop", [I32] * (n + 1), [], listing)
        self.scratch_param = n
        self.scratch = 0  # bytes of scratch used so far

    # --- addresses --------------------------------------------------------------------------
    def param(self, i: int) -> Callable[[], None]:
        return lambda: self.f.op("local.get", i)

    def local(self, loc: int) -> Callable[[], None]:
        return lambda: self.f.op("local.get", loc)

    def scratch_local(self, size: int) -> int:
        """A local holding the address of `size` fresh bytes of scratch."""
        f = self.f
        loc = f.local(I32)
        f.op("local.get", self.scratch_param)
        f.op("i32.const", self.scratch)
        f.op("i32.add")
        f.op("local.set", loc)
        self.scratch += _align(max(size, 1))
        return loc

    def set_indexed(self, loc: int, base: int, stride: int, t: int) -> None:
        """loc = base + t * stride."""
        f = self.f
        f.op("local.get", base)
        f.op("local.get", t)
        f.op("i32.const", stride)
        f.op("i32.mul")
        f.op("i32.add")
        f.op("local.set", loc)

    def temporaries(self, prog: Program, addr: dict) -> None:
        """Scratch for every slot a launch writes that has no address yet."""
        for step in prog.steps:
            if isinstance(step, Launch) and step.out not in addr:
                addr[step.out] = self.local(self.scratch_local(nbytes(prog.avals[step.out])))

    # --- code -------------------------------------------------------------------------------
    def copy(self, dst: Callable, src: Callable, size: int) -> None:
        f = self.f
        if size > _COPY_INLINE:
            dst()
            src()
            f.op("i32.const", size)
            f.op("memory.copy")
            return
        off = 0
        for width, load, store in ((8, "i64.load", "i64.store"), (4, "i32.load", "i32.store"),
                                   (2, "i32.load16_u", "i32.store16"), (1, "i32.load8_u", "i32.store8")):  # fmt: skip
            while size - off >= width:
                dst()
                src()
                f.op(load, off)
                f.op(store, off)
                off += width

    def launches(self, prog: Program, addr: dict) -> None:
        f = self.f
        for step in prog.steps:
            if not isinstance(step, Launch) or not step.kernel.size:
                continue
            k = step.kernel
            rows = k.shape[0] if k.shape else 1
            index = self.functions.get(k.key)
            if index is not None:
                for s in step.ins:
                    addr[s]()
                addr[step.out]()
                f.op("i32.const", 0)
                f.op("i32.const", rows)
                f.op("call", index)
                continue
            params = []  # inline: the kernel's parameters become locals of the driver
            for push in [*(addr[s] for s in step.ins), addr[step.out], lambda: f.op("i32.const", 0),
                         lambda r=rows: f.op("i32.const", r)]:  # fmt: skip
                params.append(f.local(I32))
                push()
                f.op("local.set", params[-1])
            KernelCodegen(k, into=f, params=params).emit()

    def carries(self, carry_ins: list[int], avals: list) -> tuple[list[int], list[int]]:
        """`cur` and `nxt` buffers of every carry, `cur` holding the initial value."""
        cur, nxt = [], []
        for p, aval in zip(carry_ins, avals, strict=True):
            size = nbytes(aval)
            cur.append(self.scratch_local(size))
            nxt.append(self.scratch_local(size))
            self.copy(self.local(cur[-1]), self.param(p), size)
        return cur, nxt

    def plan_body(self, prog: Program, addr: dict, carry_in: list[int], nxt: list[int], y_slots) -> tuple:
        """Addresses of the body's outputs and temporaries (scratch addresses are set here, before the
        loop); returns (copies, swapped carries) for `step`. `addr` maps the body's inputs;
        `y_slots` is [(slot, address pusher of its destination)]."""
        copies, swap = [], []
        for k, s in enumerate(prog.outputs[: len(carry_in)]):
            if s == carry_in[k]:
                continue  # unchanged carry: stays in `cur`
            swap.append(k)
            if s not in addr:
                addr[s] = self.local(nxt[k])  # the kernel writes the next carry in place
            else:
                copies.append((self.local(nxt[k]), s))
        for s, dst in y_slots:
            if s not in addr:
                addr[s] = dst  # the kernel writes its y slot in place
            else:
                copies.append((dst, s))
        self.temporaries(prog, addr)
        return copies, swap

    def step(self, prog: Program, addr: dict, plan: tuple, cur: list[int], nxt: list[int]) -> None:
        """One iteration of the body: launches, carry/y copies, then swap the updated carries."""
        f = self.f
        copies, swap = plan
        self.launches(prog, addr)
        for dst, s in copies:
            self.copy(dst, addr[s], nbytes(prog.avals[s]))
        tmp = f.local(I32) if swap else None
        for k in swap:
            f.op("local.get", cur[k])
            f.op("local.set", tmp)
            f.op("local.get", nxt[k])
            f.op("local.set", cur[k])
            f.op("local.get", tmp)
            f.op("local.set", nxt[k])

    def emit(self) -> Function:
        loop, f = self.loop, self.f
        p = loop.params
        if p["kind"] == "scan":
            cur, avals = self.emit_scan(p["num_consts"], p["num_carry"], p["length"], p["reverse"])
        elif p["kind"] == "while":
            cur, avals = self.emit_while(p["cond_nconsts"], p["body_nconsts"])
        else:
            raise ValueError(f"wasm loops: unknown loop kind {p['kind']!r}")
        nin = len(loop.ins)
        for k, aval in enumerate(avals):  # the final carries
            self.copy(self.param(nin + k), self.local(cur[k]), nbytes(aval))
        return f

    def emit_scan(self, nc: int, ncarry: int, length: int, reverse: bool) -> tuple[list[int], list]:
        loop, f = self.loop, self.f
        body = loop.body
        carry_in, xs = body.inputs[nc : nc + ncarry], body.inputs[nc + ncarry :]
        avals = [body.avals[s] for s in carry_in]
        cur, nxt = self.carries(list(range(nc, nc + ncarry)), avals)
        addr = {s: self.param(j) for j, s in enumerate(body.inputs[:nc])}
        addr.update({s: self.local(cur[k]) for k, s in enumerate(carry_in)})
        indexed = []  # (local, base param, stride)
        for j, s in enumerate(xs):
            indexed.append((f.local(I32), nc + ncarry + j, nbytes(body.avals[s])))
            addr[s] = self.local(indexed[-1][0])
        y_slots = []
        for j, s in enumerate(body.outputs[ncarry:]):
            indexed.append((f.local(I32), len(loop.ins) + ncarry + j, nbytes(body.avals[s])))
            y_slots.append((s, self.local(indexed[-1][0])))
        plan = self.plan_body(body, addr, carry_in, nxt, y_slots)
        i, t = f.local(I32), f.local(I32)
        f.op("i32.const", 0)
        f.op("local.set", i)
        f.op("block")
        f.op("loop")
        f.op("local.get", i)
        f.op("i32.const", length)
        f.op("i32.ge_s")
        f.op("br_if", 1)
        if reverse:
            f.op("i32.const", length - 1)
            f.op("local.get", i)
            f.op("i32.sub")
        else:
            f.op("local.get", i)
        f.op("local.set", t)
        for loc, base, stride in indexed:
            self.set_indexed(loc, base, stride, t)
        self.step(body, addr, plan, cur, nxt)
        f.op("local.get", i)
        f.op("i32.const", 1)
        f.op("i32.add")
        f.op("local.set", i)
        f.op("br", 0)
        f.op("end")
        f.op("end")
        return cur, avals

    def emit_while(self, cn: int, bn: int) -> tuple[list[int], list]:
        loop, f = self.loop, self.f
        cond, body = loop.cond, loop.body
        carry_in = body.inputs[bn:]
        avals = [body.avals[s] for s in carry_in]
        cur, nxt = self.carries(list(range(cn + bn, cn + bn + len(carry_in))), avals)
        caddr = {s: self.param(j) for j, s in enumerate(cond.inputs[:cn])}
        caddr.update({s: self.local(cur[k]) for k, s in enumerate(cond.inputs[cn:])})
        self.temporaries(cond, caddr)
        baddr = {s: self.param(cn + j) for j, s in enumerate(body.inputs[:bn])}
        baddr.update({s: self.local(cur[k]) for k, s in enumerate(carry_in)})
        plan = self.plan_body(body, baddr, carry_in, nxt, [])
        f.op("block")
        f.op("loop")
        self.launches(cond, caddr)
        caddr[cond.outputs[0]]()
        f.op("i32.load8_u", 0)
        f.op("i32.eqz")
        f.op("br_if", 1)
        self.step(body, baddr, plan, cur, nxt)
        f.op("br", 0)
        f.op("end")
        f.op("end")
        return cur, avals


def loop_module(loop: Loop, listing: bool = False) -> tuple[bytes, int, str | None]:
    """The wasm bytes of a module exporting `loop(ins.., outs.., scratch)`, its scratch bytes, a listing."""
    g = LoopCodegen(loop, listing)
    g.emit()
    g.module.functions.append(g.f)
    return g.module.to_bytes(), g.scratch, (g.module.text() if listing else None)
