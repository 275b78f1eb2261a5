"""Procedures: the structured imperative IR that native routines are written in.

Kernels (kernel.py) compute one expression per output element; sort, scatter, linear algebra and
fft need loops with data-dependent control flow, locals and stores. A routine's algorithm is written
once here, as `Proc`s, and every kernel backend renders them (wasm as functions, WebGPU as compute
shaders); `run_proc` is the reference interpreter the renderers are tested against.

A `Proc` runs its `body` once for every point of its parallel `grid` (index vars `g0, g1, ...`, as
`ir.var` nodes with the grid's extents); grid points must not write what another point reads or
writes. Statements:

  Assign(name, value)          a mutable local (its dtype is fixed by its first assignment)
  Store(buf, index, value)     buffer `buf`'s element `index` (int32) = value
  For(name, start, stop, body) local `name` (int32) from start to stop - 1; start and stop are
                               evaluated once, before the first iteration
  While(cond, body)            cond re-evaluated before every iteration
  If(cond, then, orelse)

Expressions are `ir.Expr` with two leaves beyond kernels': `local(name, dtype)` reads a local and
`load(buf, index, dtype)` reads any buffer. Buffers are numbered for the whole `RoutineProgram`:
the routine's inputs, then its outputs, then constants, then scratch buffers; all are flat.

A `RoutineProgram` is a sequence of procs over those buffers (one proc when the algorithm needs no
global synchronization; several when it does: bitonic sort stages, say).
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Callable, Iterator

import numpy as np

from jaxnc._src.lowering import ir, math_expand

INDEX = ir.INDEX


def local(name: str, dtype) -> ir.Expr:
    """Read local `name` (of `dtype`)."""
    return ir.make("local", dtype, (), name)


# --- statements ------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Assign:
    name: str
    value: ir.Expr


@dataclasses.dataclass(frozen=True)
class Store:
    buf: int
    index: ir.Expr
    value: ir.Expr


@dataclasses.dataclass(frozen=True)
class For:
    name: str
    start: ir.Expr
    stop: ir.Expr
    body: tuple


@dataclasses.dataclass(frozen=True)
class While:
    cond: ir.Expr
    body: tuple


@dataclasses.dataclass(frozen=True)
class If:
    cond: ir.Expr
    then: tuple
    orelse: tuple = ()


Stmt = Assign | Store | For | While | If


def walk(body: tuple) -> Iterator[Stmt]:
    """Every statement of `body`, nested ones included, in program order."""
    for s in body:
        yield s
        if isinstance(s, (For, While)):
            yield from walk(s.body)
        elif isinstance(s, If):
            yield from walk(s.then)
            yield from walk(s.orelse)


def exprs(s: Stmt) -> tuple[ir.Expr, ...]:
    """The expressions a statement evaluates itself (not those of nested statements)."""
    if isinstance(s, Assign):
        return (s.value,)
    if isinstance(s, Store):
        return (s.index, s.value)
    if isinstance(s, For):
        return (s.start, s.stop)
    return (s.cond,)


def map_exprs(body: tuple, fn: Callable[[ir.Expr], ir.Expr]) -> tuple:
    """`body` with `fn` applied to every expression."""
    out = []
    for s in body:
        if isinstance(s, Assign):
            out.append(Assign(s.name, fn(s.value)))
        elif isinstance(s, Store):
            out.append(Store(s.buf, fn(s.index), fn(s.value)))
        elif isinstance(s, For):
            out.append(For(s.name, fn(s.start), fn(s.stop), map_exprs(s.body, fn)))
        elif isinstance(s, While):
            out.append(While(fn(s.cond), map_exprs(s.body, fn)))
        else:
            out.append(If(fn(s.cond), map_exprs(s.then, fn), map_exprs(s.orelse, fn)))
    return tuple(out)


@dataclasses.dataclass(frozen=True, eq=False)
class Proc:
    """`body` run once per point of `grid`; `buffers[k]` is buffer k's element dtype."""

    name: str
    grid: tuple[int, ...]
    buffers: tuple[np.dtype, ...]
    body: tuple

    @property
    def size(self) -> int:
        return math.prod(self.grid)

    def locals(self) -> dict[str, np.dtype]:
        """Every local with its dtype (loop counters are int32)."""
        out: dict[str, np.dtype] = {}
        for s in walk(self.body):
            if isinstance(s, (Assign, For)):
                dt = s.value.dtype if isinstance(s, Assign) else INDEX
                if out.setdefault(s.name, dt) != dt:
                    raise TypeError(f"proc {self.name}: local {s.name} assigned both {out[s.name]} and {dt}")
        return out

    def used_buffers(self) -> tuple[list[int], list[int]]:
        """(buffers loaded, buffers stored), each sorted."""
        loads, stores = set(), set()
        for s in walk(self.body):
            loads.update(n.arg for e in exprs(s) for n in ir.toposort([e]) if n.op == "load")
            if isinstance(s, Store):
                stores.add(s.buf)
        return sorted(loads), sorted(stores)

    def ops(self) -> set[tuple[str, np.dtype]]:
        """(op, dtype of its first argument or itself) of every node, as Kernel.ops."""
        roots = [e for s in walk(self.body) for e in exprs(s)]
        return {(n.op, (n.args[0].dtype if n.args else n.dtype)) for n in ir.toposort(roots)}

    def __str__(self) -> str:
        bufs = ", ".join(f"b{k}:{d.name}" for k, d in enumerate(self.buffers))
        lines = [f"proc {self.name}[grid {','.join(map(str, self.grid)) or '()'}]({bufs})"]
        _pp_body(self.body, lines, "    ")
        return "\n".join(lines)


def _pp_body(body: tuple, lines: list[str], indent: str) -> None:
    show = ir.pp_expr
    for s in body:
        if isinstance(s, Assign):
            lines.append(f"{indent}{s.name} = {show(s.value)}")
        elif isinstance(s, Store):
            lines.append(f"{indent}b{s.buf}[{show(s.index)}] = {show(s.value)}")
        elif isinstance(s, For):
            lines.append(f"{indent}for {s.name} in [{show(s.start)}, {show(s.stop)}):")
            _pp_body(s.body, lines, indent + "    ")
        elif isinstance(s, While):
            lines.append(f"{indent}while {show(s.cond)}:")
            _pp_body(s.body, lines, indent + "    ")
        else:
            lines.append(f"{indent}if {show(s.cond)}:")
            _pp_body(s.then, lines, indent + "    ")
            if s.orelse:
                lines.append(f"{indent}else:")
                _pp_body(s.orelse, lines, indent + "    ")


@dataclasses.dataclass(frozen=True, eq=False)
class RoutineProgram:
    """Procs run in order over shared buffers: the routine's inputs and outputs, `consts`, then
    `scratch` (element dtype and count each, allocated for the call, contents undefined)."""

    procs: tuple[Proc, ...]
    n_in: int
    n_out: int
    consts: tuple[np.ndarray, ...] = ()
    scratch: tuple[tuple[np.dtype, int], ...] = ()

    def __str__(self) -> str:
        head = f"routine program: {self.n_in} inputs, {self.n_out} outputs"
        head += "".join(f"\n  const b{self.n_in + self.n_out + k}: {c.dtype.name}[{c.size}]"
                        for k, c in enumerate(self.consts))  # fmt: skip
        base = self.n_in + self.n_out + len(self.consts)
        head += "".join(f"\n  scratch b{base + k}: {np.dtype(d).name}[{n}]" for k, (d, n) in enumerate(self.scratch))
        return "\n".join([head, *map(str, self.procs)])


# --- a builder, so algorithms read like code ---------------------------------------------------------


def _expr(v, dtype=INDEX) -> ir.Expr:
    return v if isinstance(v, ir.Expr) else ir.const(v, dtype)


class ProcBuilder:
    """Write a Proc with Python control flow:

        b = ProcBuilder("cumsum", grid=(rows,), buffers=[f32, f32])
        row = b.grid(0)
        acc = b.let("acc", ir.const(0, f32))
        with b.loop("j", 0, n) as j:
            b.set("acc", ir.apply("add", acc, b.load(0, row * n + j)))
            b.store(1, row * n + j, acc)
        proc = b.build()
    """

    def __init__(self, name: str, grid: tuple[int, ...], buffers) -> None:
        self.name = name
        self.grid_shape = tuple(int(n) for n in grid)
        self.buffers = tuple(np.dtype(d) for d in buffers)
        self._stack: list[list] = [[]]
        self._last_if: If | None = None

    def grid(self, d: int) -> ir.Expr:
        return ir.var(f"g{d}", self.grid_shape[d])

    def load(self, buf: int, index) -> ir.Expr:
        return ir.load(buf, _expr(index), self.buffers[buf])

    def let(self, name: str, value) -> ir.Expr:
        """Assign local `name` and return the expression reading it."""
        value = _expr(value)
        self._emit(Assign(name, value))
        return local(name, value.dtype)

    set = let

    def store(self, buf: int, index, value) -> None:
        value = _expr(value, self.buffers[buf])
        if value.dtype != self.buffers[buf]:
            raise TypeError(f"proc {self.name}: storing {value.dtype} into buffer {buf} of {self.buffers[buf]}")
        self._emit(Store(buf, _expr(index), value))

    @contextlib.contextmanager
    def loop(self, name: str, start, stop):
        self._stack.append([])
        yield local(name, INDEX)
        body = tuple(self._stack.pop())
        self._emit(For(name, _expr(start), _expr(stop), body))

    @contextlib.contextmanager
    def while_(self, cond: ir.Expr):
        self._stack.append([])
        yield
        self._emit(While(cond, tuple(self._stack.pop())))

    @contextlib.contextmanager
    def if_(self, cond: ir.Expr):
        self._stack.append([])
        yield
        stmt = If(cond, tuple(self._stack.pop()))
        self._emit(stmt)
        self._last_if = stmt

    @contextlib.contextmanager
    def else_(self):
        prev = self._last_if
        body = self._stack[-1]
        if prev is None or not body or body[-1] is not prev:
            raise SyntaxError("else_() must follow an if_() block directly")
        self._stack.append([])
        yield
        body[-1] = If(prev.cond, prev.then, tuple(self._stack.pop()))
        self._last_if = None

    def _emit(self, stmt: Stmt) -> None:
        self._stack[-1].append(stmt)
        self._last_if = None

    def build(self) -> Proc:
        if len(self._stack) != 1:
            raise SyntaxError("unclosed block")
        proc = Proc(self.name, self.grid_shape, self.buffers, tuple(self._stack[0]))
        proc.locals()  # checks dtypes
        return proc


# --- preparing a program for a backend ----------------------------------------------------------------


def prepare(program: RoutineProgram, renders: Callable[[str, np.dtype], bool]) -> RoutineProgram | None:
    """`program` with math expansions applied for `renders`, or None if some node is still not rendered
    (the caller then runs the routine's NumPy reference instead)."""
    procs = []
    for p in program.procs:
        body = map_exprs(p.body, lambda e: math_expand.expand(e, renders))
        q = dataclasses.replace(p, body=body)
        for op, dt in q.ops():
            if op in ("const", "var", "local"):
                continue
            if not renders(op, dt):
                return None
        if any(not renders("load", d) for d in q.buffers):
            return None
        procs.append(q)
    return dataclasses.replace(program, procs=tuple(procs))


# --- the reference interpreter -----------------------------------------------------------------------


class _Interp:
    def __init__(self, proc: Proc, buffers: list[np.ndarray]) -> None:
        self.proc = proc
        self.buffers = buffers
        self.env: dict[str, np.ndarray] = {}
        self._orders: dict[ir.Expr, list[ir.Expr]] = {}

    def eval(self, root: ir.Expr):
        from jaxnc._src.lowering.reference import eval_op

        order = self._orders.get(root)
        if order is None:
            order = self._orders[root] = ir.toposort([root])
        vals: dict[ir.Expr, np.ndarray] = {}
        for n in order:
            if n.op == "const":
                v = np.asarray(n.arg, n.dtype)
            elif n.op == "var":
                v = self.env[n.arg[0]]
            elif n.op == "local":
                if n.arg not in self.env:
                    raise NameError(f"proc {self.proc.name}: local {n.arg} read before assignment")
                v = self.env[n.arg]
            elif n.op == "load":
                buf, i = self.buffers[n.arg], int(vals[n.args[0]])
                if not 0 <= i < buf.size:
                    raise IndexError(f"proc {self.proc.name}: load b{n.arg}[{i}] outside its {buf.size} elements")
                v = buf[i]
            else:
                v = eval_op(n, [vals[a] for a in n.args])
            vals[n] = np.asarray(v, n.dtype)
        return vals[root]

    def run(self, body: tuple) -> None:
        for s in body:
            if isinstance(s, Assign):
                self.env[s.name] = self.eval(s.value)
            elif isinstance(s, Store):
                buf, i = self.buffers[s.buf], int(self.eval(s.index))
                if not 0 <= i < buf.size:
                    raise IndexError(f"proc {self.proc.name}: store b{s.buf}[{i}] outside its {buf.size} elements")
                buf[i] = self.eval(s.value)
            elif isinstance(s, For):
                start, stop = int(self.eval(s.start)), int(self.eval(s.stop))
                for i in range(start, stop):
                    self.env[s.name] = np.asarray(i, INDEX)
                    self.run(s.body)
            elif isinstance(s, While):
                while bool(self.eval(s.cond)):
                    self.run(s.body)
            else:
                self.run(s.then if bool(self.eval(s.cond)) else s.orelse)


def run_proc(proc: Proc, buffers: list[np.ndarray]) -> None:
    """Run `proc` over flat NumPy `buffers` in place (slow: one Python step per scalar operation)."""
    with np.errstate(all="ignore"):
        for point in np.ndindex(*proc.grid):
            interp = _Interp(proc, buffers)
            interp.env.update({f"g{d}": np.asarray(i, INDEX) for d, i in enumerate(point)})
            interp.run(proc.body)


def run_program(program: RoutineProgram, ins: list[np.ndarray], out_avals) -> list[np.ndarray]:
    """Run a RoutineProgram on NumPy inputs with the reference interpreter; returns the outputs."""
    outs = [np.zeros(a.size, a.dtype) for a in out_avals]
    consts = [np.ascontiguousarray(c).reshape(-1).copy() for c in program.consts]
    scratch = [np.zeros(n, d) for d, n in program.scratch]
    buffers = [np.ascontiguousarray(x).reshape(-1).copy() for x in ins] + outs + consts + scratch
    for p in program.procs:
        run_proc(p, buffers)
    return [o.reshape(a.shape) for o, a in zip(outs, out_avals, strict=True)]


# --- the registry of native routines -------------------------------------------------------------------

Builder = Callable[..., "RoutineProgram | None"]
BUILDERS: dict[str, Builder] = {}


def native(*names: str):
    """Register `fn(routine, caps) -> RoutineProgram | None` as the native algorithm of primitives `names`;
    returning None (unsupported params or dtypes) keeps the NumPy reference for that call."""

    def register(fn: Builder) -> Builder:
        for n in names:
            BUILDERS[n] = fn
        return fn

    return register


def build_native(routine, caps) -> RoutineProgram | None:
    """The prepared native program of `routine` for a backend with capabilities `caps`, if any."""
    from jaxnc._src.lowering import routines  # noqa: F401 - registers the builders

    builder = BUILDERS.get(routine.name)
    if builder is None:
        return None
    if any(a.size == 0 for a in (*routine.in_avals, *routine.out_avals)):
        return None
    if any(a.size >= 2**31 for a in (*routine.in_avals, *routine.out_avals)):
        return None  # int32 indexing
    program = builder(routine, caps)
    return None if program is None else prepare(program, caps.renders)

