"""Procs (native routine algorithms, core's lowering/proc.py) -> WGSL compute shaders, and their dispatch.

A proc is one shader: one invocation per point of its flattened grid (a 2-D dispatch past the
workgroups-per-dimension limit), locals as function `var`s, For/While/If as `for`/`loop`/`if`, and
the bindings of only the buffers it touches (read-only where it only loads). Expressions go through
the kernels' renderer (expr.py), so every op and dtype renders as in a kernel. Byte types (bool,
int8, uint8) live four to a u32 word: a proc storing into one binds it as `atomic<u32>` and writes
its byte with atomicAnd/atomicOr, because neighbouring grid points write the other bytes of the word.
The dispatches are recorded into the runtime's open compute pass, so a routine's procs (and the
kernels around them) go to the GPU in one submit and each proc sees the previous one's stores.
"""

from __future__ import annotations

import collections
import dataclasses
import re

import numpy as np
import wgpu

from jaxnc._src.lowering import debug, ir
from jaxnc._src.lowering.proc import Assign, For, Proc, RoutineProgram, Store, While, exprs, walk
from jaxnc_webgpu.expr import ExprRenderer, convert
from jaxnc_webgpu.kernels import _byte, _grid, _loader, _unravel
from jaxnc_webgpu.runtime import DISPATCHES_PER_SUBMIT, GpuBuffer, Runtime, WebGPUDeviceLost, WebGPUError
from jaxnc_webgpu.wgsl import BOOL, F16, Helpers, reg, storage

WG = 64  # invocations per workgroup: procs often loop per point, so few points should still spread out
CACHE_SIZE = 1024
# NB: llvmpipe (lavapipe) ends every loop of an invocation once the invocation has run 65535 loop iterations
# in all (gallivm's LP_MAX_TGSI_LOOP_ITERATIONS, one counter per invocation), silently: measured here, two
# sequential loops of 40000 gave 65534. Procs that may run longer keep the host reference there.
LOOP_LIMITS = {"llvmpipe": 65535}


class Unsupported(Exception):
    """The adapter cannot run this routine natively (the backend then runs its NumPy reference)."""


@dataclasses.dataclass(frozen=True)
class ProcShader:
    code: str
    grid: tuple[int, int, int]
    bindings: tuple[tuple[int, bool], ...]  # (buffer number, written) per binding, in binding order
    dtypes: frozenset  # of every value, local and bound buffer


@dataclasses.dataclass(frozen=True, eq=False)
class CompiledProc:
    name: str
    pipeline: object
    layout: object
    shader: ProcShader


# --- rendering ---------------------------------------------------------------------------------


class _ProcExprs(ExprRenderer):
    """The kernels' expression renderer plus the `local` leaf."""

    def __init__(self, helpers: Helpers, locals_: dict[str, str], variables: dict) -> None:
        super().__init__(helpers, lambda node, index: f"ld{node.arg}({index})", variables)
        self.locals = locals_

    def _node(self, n: ir.Expr) -> str:
        if n.op == "local":
            return self.locals[n.arg]
        return super()._node(n)


def _local_names(names) -> dict[str, str]:
    """WGSL identifiers for locals: prefixed (no clash with keywords or generated names), unique."""
    out: dict[str, str] = {}
    for name in names:
        base = "v_" + re.sub(r"\W", "_", name)
        wgsl_name, k = base, 0
        while wgsl_name in out.values():
            k += 1
            wgsl_name = f"{base}_{k}"
        out[name] = wgsl_name
    return out


class _Renderer:
    def __init__(self, proc: Proc) -> None:
        self.proc = proc
        self.h = Helpers()
        self.local_types = proc.locals()
        self.locals = _local_names(self.local_types)
        self.grid_vars = {f"g{d}": f"g{d}" for d in range(len(proc.grid))}

    def exprs(self, roots: list[ir.Expr], lines: list[str]) -> list[str]:
        """WGSL for `roots`, evaluated here: a fresh renderer per statement, because locals and buffers
        change between statements (a `let` of one statement must not stand for a value in the next)."""
        return _ProcExprs(self.h, self.locals, self.grid_vars).render(roots, lines)

    def cond(self, c: ir.Expr, lines: list[str]) -> str:
        (text,) = self.exprs([c], lines)
        return text if c.dtype == BOOL else convert(text, c.dtype, BOOL, self.h)

    def body(self, body: tuple) -> list[str]:
        lines: list[str] = []
        for s in body:
            if isinstance(s, Assign):
                (v,) = self.exprs([s.value], lines)
                lines.append(f"{self.locals[s.name]} = {v};")
            elif isinstance(s, Store):
                index, v = self.exprs([s.index, s.value], lines)
                lines.append(f"st{s.buf}({index}, {v});")
            elif isinstance(s, For):
                # bounds once, before the loop; a hidden counter, so the body cannot change the trip
                start, stop = self.exprs([s.start, s.stop], lines)
                k, n = self.h.fresh("k"), self.h.fresh("n")
                lines.append(f"let {n}: i32 = {stop};")
                lines.append(f"for (var {k}: i32 = {start}; {k} < {n}; {k}++) {{")
                lines += [*_nest([f"{self.locals[s.name]} = {k};", *self.body(s.body)]), "}"]
            elif isinstance(s, While):
                head: list[str] = []
                c = self.cond(s.cond, head)
                lines += ["loop {", *_nest([*head, f"if (!({c})) {{ break; }}", *self.body(s.body)]), "}"]
            else:
                c = self.cond(s.cond, lines)
                lines += [f"if ({c}) {{", *_nest(self.body(s.then))]
                if s.orelse:
                    lines += ["} else {", *_nest(self.body(s.orelse))]
                lines.append("}")
        return lines

    def bindings(self) -> tuple[list[str], tuple[tuple[int, bool], ...]]:
        loads, stores = self.proc.used_buffers()
        decls, bindings = [], []
        for j, k in enumerate(sorted({*loads, *stores})):
            dt, written = self.proc.buffers[k], k in stores
            packed = storage(dt) == "u8x4"
            elem = ("atomic<u32>" if written else "u32") if packed else storage(dt)
            decls.append(
                f"@group(0) @binding({j}) var<storage, {'read_write' if written else 'read'}> b{k}: array<{elem}>;"
            )
            if k in loads:
                at = (
                    (lambda name, i, k=k: f"atomicLoad(&b{k}[{i}])")
                    if packed and written
                    else (lambda name, i, k=k: f"b{k}[{i}]")
                )
                decls.append(_loader(k, dt, at))
            if written:
                decls.append(_storer(k, dt))
            bindings.append((k, written))
        return decls, tuple(bindings)


def _nest(lines: list[str]) -> list[str]:
    return ["    " + ln for ln in lines]


def _storer(k: int, dtype) -> str:
    t = reg(dtype)
    if storage(dtype) != "u8x4":
        return f"fn st{k}(i: i32, v: {t}) {{ b{k}[i] = v; }}"
    return (f"fn st{k}(i: i32, v: {t}) {{ let w = i >> 2u; let s = u32(i & 3) * 8u; "
            f"atomicAnd(&b{k}[w], ~(0xffu << s)); atomicOr(&b{k}[w], {_byte('v', dtype)} << s); }}")  # fmt: skip


def render_proc(proc: Proc, max_groups: int = 65535) -> ProcShader:
    """One WGSL compute shader running `proc` once per grid point."""
    r = _Renderer(proc)
    decls, bindings = r.bindings()
    size = proc.size
    grid, nx = _grid(-(-size // WG), max_groups)
    main = [f"let tu = gi.x + gi.y * {nx * WG}u;", f"if (tu >= {size}u) {{ return; }}", "let t = i32(tu);"]
    main += _unravel(proc.grid, "t", "g")
    main += [f"var {r.locals[n]}: {reg(dt)};" for n, dt in r.local_types.items()]
    main += r.body(proc.body)
    roots = [e for s in walk(proc.body) for e in exprs(s)]
    used = {n.dtype for n in ir.toposort(roots)} | set(r.local_types.values())
    used |= {proc.buffers[k] for k, _ in bindings}
    head = ["enable f16;"] if F16 in used else []
    code = "\n".join([*head, f"// proc {proc.name}, grid {proc.grid}", *decls, r.h.source(),
                      f"@compute @workgroup_size({WG})", "fn main(@builtin(global_invocation_id) gi: vec3<u32>) {",
                      *_nest(main), "}", ""])  # fmt: skip
    return ProcShader(code, grid, bindings, frozenset(used))


def max_trips(body: tuple, ranges: dict | None = None) -> int | None:
    """An upper bound of the loop iterations one invocation of `body` runs (None: unknown, as for While
    or bounds that read buffers); `ranges` bounds the For counters of enclosing loops."""
    ranges = ranges or {}
    total = 0
    for s in body:
        if isinstance(s, For):
            lo, hi = _bounds(s.start, ranges), _bounds(s.stop, ranges)
            if lo is None or hi is None:
                return None
            inner = max_trips(s.body, {**ranges, s.name: (lo[0], hi[1] - 1)})
            if inner is None:
                return None
            total += max(0, hi[1] - lo[0]) * (1 + inner)
        elif isinstance(s, While):
            return None
        elif not isinstance(s, (Assign, Store)):
            then, orelse = max_trips(s.then, ranges), max_trips(s.orelse, ranges)
            if then is None or orelse is None:
                return None
            total += max(then, orelse)
    return total


def _bounds(e: ir.Expr, ranges: dict) -> tuple[int, int] | None:
    """ir.bounds, with For counters (locals) bounded by their loops."""

    def counter(n: ir.Expr, args):
        # NB: a counter the body reassigns is outside its range there; no routine does that
        lo_hi = ranges.get(n.arg) if n.op == "local" else None
        if lo_hi is not None and lo_hi[0] >= 0:
            return ir.var(f"_{n.arg}", lo_hi[1] + 1)
        return None

    return ir.bounds(ir.rewrite(e, counter))


# --- compiling and launching ---------------------------------------------------------------------


class ProcRunner:
    """One runtime's compiled procs: pipelines cached by the proc's structure, bind groups by buffers."""

    def __init__(self, runtime: Runtime, dtypes: frozenset, max_groups: int | None = None) -> None:
        self.rt = runtime
        self.dtypes = dtypes
        self.max_groups = max_groups or runtime.limits["max-compute-workgroups-per-dimension"]
        name = str(runtime.adapter).lower()
        self.loop_limit = next((n for k, n in LOOP_LIMITS.items() if k in name), None)
        self._device = None
        self._procs: collections.OrderedDict = collections.OrderedDict()
        self._layouts: dict[tuple[bool, ...], tuple] = {}
        self._bind_groups: collections.OrderedDict = collections.OrderedDict()

    @property
    def _binding_limit(self) -> int:
        return self.rt.limits["max-storage-buffer-binding-size"]

    def _dev(self):
        dev = self.rt.device
        if dev is not self._device:  # a new device (backend.reset()): nothing made on the old one is valid
            self._device = dev
            self._procs.clear()
            self._layouts.clear()
            self._bind_groups.clear()
        return dev

    def fits(self, routine, program: RoutineProgram) -> bool:
        """Whether every buffer of `program` fits one binding (else the routine runs on the host)."""
        sizes = [a.size * a.dtype.itemsize for a in (*routine.in_avals, *routine.out_avals)]
        sizes += [c.nbytes for c in program.consts] + [n * np.dtype(d).itemsize for d, n in program.scratch]
        return max(sizes, default=0) <= self._binding_limit

    def compile(self, proc: Proc) -> CompiledProc:
        if self.loop_limit is not None:
            trips = max_trips(proc.body)
            if trips is None or trips > self.loop_limit:
                raise Unsupported(f"proc {proc.name} may run {trips or 'an unknown number of'} loop iterations per "
                                  f"point; {self.rt.adapter} stops after {self.loop_limit}")  # fmt: skip
        dev = self._dev()
        key = (proc.grid, proc.buffers, proc.body)  # NB: statements are frozen dataclasses over interned Exprs
        hit = self._procs.get(key)
        if hit is not None:
            self._procs.move_to_end(key)
            return hit
        shader = render_proc(proc, self.max_groups)
        missing = shader.dtypes - self.dtypes
        if missing:
            raise Unsupported(f"proc {proc.name} uses {sorted(d.name for d in missing)}, not on {self.rt.adapter}")
        limit = self.rt.limits["max-storage-buffers-per-shader-stage"]
        if len(shader.bindings) > limit:
            raise Unsupported(f"proc {proc.name} binds {len(shader.bindings)} buffers, over the limit {limit}")
        bgl, pl = self._layout(tuple(w for _, w in shader.bindings))
        code = shader.code
        debug.show_code("webgpu", proc, code)
        try:
            module = self.rt._compile("compile a WGSL module", dev.create_shader_module, code, code=code)
            pipe = self.rt._compile("create a compute pipeline", dev.create_compute_pipeline, code, layout=pl,
                                    compute={"module": module, "entry_point": "main"})  # fmt: skip
        except WebGPUDeviceLost:
            raise
        except WebGPUError as e:  # a renderer gap: the routine still runs, on the host (tests list these)
            raise Unsupported(f"proc {proc.name} does not compile: {e}") from e
        hit = self._procs[key] = CompiledProc(proc.name, pipe, bgl, shader)
        if len(self._procs) > CACHE_SIZE:
            self._procs.popitem(last=False)
        return hit

    def _layout(self, written: tuple[bool, ...]):
        hit = self._layouts.get(written)
        if hit is None:
            entries = [{"binding": j, "visibility": wgpu.ShaderStage.COMPUTE,
                        "buffer": {"type": "storage" if w else "read-only-storage"}} for j, w in enumerate(written)]  # fmt: skip
            bgl = self.rt._call("create a bind group layout", self._device.create_bind_group_layout, entries=entries)
            pl = self.rt._call(
                "create a pipeline layout", self._device.create_pipeline_layout, bind_group_layouts=[bgl]
            )
            hit = self._layouts[written] = (bgl, pl)
        return hit

    def launch(self, exe: CompiledProc, buffers: list[GpuBuffer]) -> None:
        """Record `exe` over the routine's buffers (inputs, outputs, constants, scratch)."""
        bound = [buffers[k] for k, _ in exe.shader.bindings]
        serials = [b.serial for b in bound]
        for (k, written), b in zip(exe.shader.bindings, bound, strict=True):
            if written and serials.count(b.serial) > 1:  # wgpu rejects it when the pass ends: check first
                raise WebGPUError(f"proc {exe.name} writes buffer {k}, which is also bound as another of its "
                                  f"buffers ({b}); a routine's outputs must not alias its inputs")  # fmt: skip
            if b.nbytes > self._binding_limit:
                raise WebGPUError(f"proc {exe.name} binds buffer {k} of {b.nbytes} bytes, over the "
                                  f"max-storage-buffer-binding-size {self._binding_limit} of {self.rt.adapter}")  # fmt: skip
        self._dev()
        key = (exe.layout, *serials)
        bg = self._bind_groups.get(key)
        if bg is None:
            entries = [{"binding": j, "resource": {"buffer": b.buf, "offset": 0, "size": b.nbytes}}
                       for j, b in enumerate(bound)]  # fmt: skip
            bg = self._bind_groups[key] = self.rt._call(f"create a bind group for proc {exe.name}",
                                                        self._device.create_bind_group, layout=exe.layout,
                                                        entries=entries)  # fmt: skip
            if len(self._bind_groups) > 4096:
                self._bind_groups.popitem(last=False)
        else:
            self._bind_groups.move_to_end(key)
        _record(self.rt, exe.pipeline, bg, bound, exe.shader.grid)


def _record(rt: Runtime, pipeline, bind_group, buffers: list[GpuBuffer], grid: tuple[int, int, int]) -> None:
    """One dispatch into the runtime's open compute pass, as `Runtime.dispatch` records a kernel's (whose
    bind group layouts have one written binding, last; a proc's have any)."""
    with rt._lock:
        if rt._pass is None:
            rt._pass = rt._encoder_now().begin_compute_pass()
        rt._pass.set_pipeline(pipeline)
        rt._pass.set_bind_group(0, bind_group)
        rt._pass.dispatch_workgroups(*grid)
        rt._pending.update(b.serial for b in buffers)
        rt._ndispatch += 1
        rt.dispatches += 1
        if rt._ndispatch >= DISPATCHES_PER_SUBMIT:
            rt.flush()
