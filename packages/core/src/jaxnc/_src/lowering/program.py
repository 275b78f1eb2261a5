"""A lowered program: kernel launches, routine calls and buffer steps planned from liveness.

Buffers are named by integer slots. Inputs are owned by the caller, constants by the program;
every other slot is allocated before its first write and freed after its last read, and a freed
buffer of the same byte size is reused by a later allocation (the later slot is renamed to it).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from jaxnc._src import core
from jaxnc._src.lowering.kernel import Kernel, Routine


@dataclasses.dataclass
class Alloc:
    slot: int
    nbytes: int


@dataclasses.dataclass
class Free:
    slot: int


@dataclasses.dataclass
class Launch:
    kernel: Kernel
    ins: list[int]
    out: int


@dataclasses.dataclass
class Call:
    routine: Routine
    ins: list[int]
    outs: list[int]


@dataclasses.dataclass
class Loop:
    """A scan or while loop whose body (and predicate) are Programs without constants.

    scan (`params["kind"] == "scan"`, with num_consts, num_carry, length, reverse):
      ins = consts + init carries + stacked xs (+ hoisted body constants, appended to the consts'
      role: the body's inputs are consts + hoisted + carries + one x slice each);
      outs = final carries + stacked ys; body outputs = carries + one y slice each.
    while (`kind == "while"`, with cond_nconsts, body_nconsts; `cond` set):
      ins = cond consts + body consts + init carries (+ hoisted constants of cond, then of body);
      outs = final carries; cond: cond consts + hoisted + carries -> bool[]; body: body consts +
      hoisted + carries -> carries.
    A backend that said it runs the loop (`runs_loop`) renders it; otherwise the lowering emits
    the primitive's routine (the host loop) instead.
    """

    body: Program
    ins: list[int]
    outs: list[int]
    params: dict
    cond: Program | None = None


Step = Alloc | Free | Launch | Call | Loop


@dataclasses.dataclass
class Program:
    inputs: list[int]
    outputs: list[int]
    consts: dict[int, np.ndarray]
    steps: list[Step]
    avals: dict[int, core.ShapedArray]  # every slot's array type

    def kernels(self) -> list[Kernel]:
        return [s.kernel for s in self.steps if isinstance(s, Launch)]

    def routines(self) -> list[Routine]:
        return [s.routine for s in self.steps if isinstance(s, Call)]

    def __str__(self) -> str:
        def name(s: int) -> str:
            return f"%{s}"

        lines = [f"program({', '.join(f'{name(s)}:{self.avals[s].str_short()}' for s in self.inputs)})"]
        for s in self.consts:
            lines.append(f"  const {name(s)}:{self.avals[s].str_short()}")
        for step in self.steps:
            if isinstance(step, Alloc):
                lines.append(f"  alloc {name(step.slot)}:{self.avals[step.slot].str_short()} ({step.nbytes} B)")
            elif isinstance(step, Free):
                lines.append(f"  free {name(step.slot)}")
            elif isinstance(step, Launch):
                kname = step.kernel.name
                lines.append(f"  {name(step.out)} = {kname}({', '.join(map(name, step.ins))})")
            elif isinstance(step, Call):
                outs = ", ".join(map(name, step.outs))
                lines.append(f"  {outs} = {step.routine.name}({', '.join(map(name, step.ins))})")
            elif isinstance(step, Loop):
                outs = ", ".join(map(name, step.outs))
                lines.append(f"  {outs} = loop {step.params} ({', '.join(map(name, step.ins))}):")
                if step.cond is not None:
                    lines.extend("    cond " + ln for ln in str(step.cond).splitlines())
                lines.extend("    " + ln for ln in str(step.body).splitlines())
        lines.append(f"  return ({', '.join(map(name, self.outputs))})")
        return "\n".join(lines)


def _reads(step: Step) -> list[int]:
    if isinstance(step, Launch):
        return list(step.ins)
    if isinstance(step, (Call, Loop)):
        return list(step.ins)
    return []


def _writes(step: Step) -> list[int]:
    if isinstance(step, Launch):
        return [step.out]
    if isinstance(step, (Call, Loop)):
        return list(step.outs)
    return []


def nbytes(aval: core.ShapedArray) -> int:
    return aval.size * aval.dtype.itemsize


def plan_buffers(prog: Program, reuse: bool = True) -> Program:
    """Insert Alloc before each temporary's first write and Free after its last read; reuse freed buffers."""
    owned = set(prog.inputs) | set(prog.consts)
    keep = set(prog.outputs)
    last_use: dict[int, int] = {}
    for i, step in enumerate(prog.steps):
        for s in _reads(step) + _writes(step):
            last_use[s] = i
    steps: list[Step] = []
    allocated: set[int] = set()
    for i, step in enumerate(prog.steps):
        for s in _writes(step):
            if s not in owned and s not in allocated:
                steps.append(Alloc(s, nbytes(prog.avals[s])))
                allocated.add(s)
        steps.append(step)
        for s in dict.fromkeys(_reads(step) + _writes(step)):
            if last_use[s] == i and s in allocated and s not in keep:
                steps.append(Free(s))
    out = dataclasses.replace(prog, steps=steps)
    return _reuse(out) if reuse else out


def _reuse(prog: Program) -> Program:
    """Rename an allocation to a buffer of the same size freed earlier; drop that Free/Alloc pair."""
    pool: dict[int, list[int]] = {}  # nbytes -> freed slots
    rename: dict[int, int] = {}
    steps: list[Step] = []
    for step in prog.steps:
        if isinstance(step, Free):
            s = rename.get(step.slot, step.slot)
            pool.setdefault(prog_nbytes(prog, step.slot), []).append(s)
            steps.append(Free(s))  # provisional; removed below if the buffer is taken again
            continue
        if isinstance(step, Alloc):
            free = pool.get(step.nbytes)
            if free and step.nbytes:
                target = free.pop()
                rename[step.slot] = target
                _drop_last_free(steps, target)
                continue
            steps.append(step)
            continue
        steps.append(_renamed(step, rename))
    outputs = [rename.get(s, s) for s in prog.outputs]
    return dataclasses.replace(prog, steps=steps, outputs=outputs)


def prog_nbytes(prog: Program, slot: int) -> int:
    return nbytes(prog.avals[slot])


def _drop_last_free(steps: list[Step], slot: int) -> None:
    for i in range(len(steps) - 1, -1, -1):
        if isinstance(steps[i], Free) and steps[i].slot == slot:
            del steps[i]
            return


def _renamed(step: Step, rename: dict[int, int]) -> Step:
    r = lambda s: rename.get(s, s)  # noqa: E731
    if isinstance(step, Launch):
        return Launch(step.kernel, [r(s) for s in step.ins], r(step.out))
    if isinstance(step, Call):
        return Call(step.routine, [r(s) for s in step.ins], [r(s) for s in step.outs])
    if isinstance(step, Loop):
        return Loop(step.body, [r(s) for s in step.ins], [r(s) for s in step.outs], step.params, step.cond)
    return step
