"""KernelBackend (tier 2): core lowers jaxprs to Programs; the backend compiles kernels and launches them.

A subclass provides memory (`allocate`, `release`, `write`, `read`), says what kernels may contain
(`renders`, `max_inputs`) and runs them (`compile_kernel`, `launch`; optionally `compile_proc`/
`launch_proc` to run routines natively from their procedures (proc.py, routines/), and
`runs_loop`/`compile_loop`/`launch_loop` for native scan/while loops, or `device_loops = True` and
`copy` for the generic device-resident loop driver below). Everything else — lowering, fusion, buffer planning, caching, the step
loop, refcounted handles — lives here and is shared by every kernel backend.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from jaxnc._src import core
from jaxnc._src.backends.base import Backend, Device, Executable
from jaxnc._src.lowering import debug
from jaxnc._src.lowering.kernel import Kernel, Routine
from jaxnc._src.lowering.lower import lower_jaxpr
from jaxnc._src.lowering.proc import Proc, RoutineProgram, build_native
from jaxnc._src.lowering.program import Alloc, Call, Free, Launch, Loop, Program, nbytes


class Storage:
    """A device allocation shared by handles; released when its last reference goes."""

    __slots__ = ("raw", "nbytes", "refs")

    def __init__(self, raw: Any, nbytes: int) -> None:
        self.raw = raw
        self.nbytes = nbytes
        self.refs = 1


class KernelBuffer:
    """The handle a KernelBackend gives core: a storage viewed as one array type."""

    __slots__ = ("storage", "aval")

    def __init__(self, storage: Storage, aval: core.ShapedArray) -> None:
        self.storage = storage
        self.aval = aval

    def __repr__(self) -> str:
        return f"KernelBuffer({self.aval.str_short()} @ {self.storage.raw})"


class ProgramExecutable(Executable):
    """A lowered program with its kernels compiled and its constants uploaded."""

    def __init__(self, backend: KernelBackend, jaxpr: core.Jaxpr | None, program: Program) -> None:
        """`jaxpr` None: a loop body, typed by its program's slots."""
        self.backend = backend
        self.program = program
        self.in_avals = jaxpr.in_avals if jaxpr is not None else [program.avals[s] for s in program.inputs]
        self.out_avals = jaxpr.out_avals if jaxpr is not None else [program.avals[s] for s in program.outputs]
        self.nslots = max(program.avals, default=-1) + 1
        self.consts = {s: backend._upload(a) for s, a in program.consts.items()}
        self.steps: list[tuple] = []
        for step in program.steps:
            if isinstance(step, Alloc):
                self.steps.append(("alloc", step.slot, step.nbytes, None, None))
            elif isinstance(step, Free):
                self.steps.append(("free", step.slot, None, None, None))
            elif isinstance(step, Launch):
                if step.kernel.size == 0:
                    continue
                self.steps.append(("launch", backend._kernel(step.kernel), step.ins, step.out, step.kernel))
            elif isinstance(step, Call):
                self.steps.append(("call", backend._routine(step.routine), step.ins, step.outs, step.routine))
            elif isinstance(step, Loop):
                self.steps.append(("loop", backend.compile_loop(step), step.ins, step.outs, step))
        self.inputs = program.inputs
        self.outputs = program.outputs
        self.env_template: list[Any] = [None] * self.nslots
        for s, storage in self.consts.items():
            self.env_template[s] = storage
        owned = set(self.inputs) | set(self.consts)
        self.output_plan = []
        for i, (s, aval) in enumerate(zip(self.outputs, self.out_avals, strict=True)):
            self.output_plan.append((s, aval, s in owned or s in self.outputs[:i]))

    def __del__(self) -> None:
        try:
            for storage in self.consts.values():
                self.backend._decref(storage)
        except Exception:  # noqa: BLE001 - never raise from a finalizer during interpreter shutdown
            pass


class NativeRoutine:
    """A routine's RoutineProgram with its procs compiled and its constants uploaded."""

    def __init__(self, backend: KernelBackend, program: RoutineProgram, procs: list) -> None:
        self.backend = backend
        self.program = program
        self.procs = procs
        self.consts = [backend._upload(np.ascontiguousarray(c).reshape(-1)) for c in program.consts]

    def __del__(self) -> None:
        try:
            for storage in self.consts:
                self.backend._decref(storage)
        except Exception:  # noqa: BLE001 - never raise from a finalizer during interpreter shutdown
            pass


class DeviceLoop:
    """A Loop step for the generic driver (`KernelBackend.device_loops`): body and predicate compiled
    as ProgramExecutables, and the byte sizes of the carries and of one x / y slice."""

    def __init__(self, backend: KernelBackend, loop: Loop) -> None:
        p = self.params = loop.params
        self.kind = p["kind"]
        body = loop.body
        self.body = ProgramExecutable(backend, None, body)
        self.cond = ProgramExecutable(backend, None, loop.cond) if loop.cond is not None else None
        if self.kind == "scan":
            nc, ncarry = p["num_consts"], p["num_carry"]
            self.ncarry = ncarry
            self.xs_bytes = [nbytes(body.avals[s]) for s in body.inputs[nc + ncarry :]]
            self.ys_bytes = [nbytes(body.avals[s]) for s in body.outputs[ncarry:]]
        else:
            self.ncarry = len(body.inputs) - p["body_nconsts"]
        self.carry_bytes = [nbytes(body.avals[s]) for s in body.outputs[: self.ncarry]]


class KernelBackend(Backend):
    """Base of the kernel backends (wasm, webgpu). See the module docstring for what to implement."""

    max_inputs = 64
    kernel_cache_size = 1024

    # --- to implement ----------------------------------------------------------------------------
    def renders(self, op: str, dtype: np.dtype) -> bool:
        raise NotImplementedError

    def allocate(self, nbytes: int) -> Any:
        raise NotImplementedError

    def release(self, raw: Any) -> None:
        raise NotImplementedError

    def write(self, raw: Any, array: np.ndarray) -> None:
        raise NotImplementedError

    def read(self, raw: Any, aval: core.ShapedArray) -> np.ndarray:
        """A host copy of the array stored at `raw`."""
        raise NotImplementedError

    def compile_kernel(self, kernel: Kernel) -> Any:
        raise NotImplementedError

    def launch(self, executable: Any, ins: Sequence[Any], out: Any) -> None:
        raise NotImplementedError

    # optional: native routines. A backend that sets `runs_procs = True` renders procedures: every
    # routine with a native algorithm (routines/) then runs as its RoutineProgram of procs.
    runs_procs = False
    # True for GPU-like backends: routine builders then prefer algorithms with many grid points and
    # several procs (bitonic sort) over long sequential work per grid point (merge sort).
    wide = False

    def compile_proc(self, proc: Proc) -> Any:
        raise NotImplementedError(f"backend {self.name} sets runs_procs but does not implement compile_proc")

    def launch_proc(self, executable: Any, buffers: Sequence[Any]) -> None:
        """Run a compiled proc over `buffers`: the routine's inputs, outputs, constants, scratch."""
        raise NotImplementedError(f"backend {self.name} sets runs_procs but does not implement launch_proc")

    def compile_routine(self, routine: Routine) -> NativeRoutine | None:
        """The native implementation of `routine`, or None to run its NumPy reference on the host."""
        if not self.runs_procs:
            return None
        program = build_native(routine, self)
        if program is None:
            return None
        debug.show_routine(self.name, routine, program)
        return NativeRoutine(self, program, [self.compile_proc(p) for p in program.procs])

    def launch_routine(self, exe: NativeRoutine, ins: Sequence[Any], outs: Sequence[Any]) -> None:
        scratch = [self.allocate(max(1, n) * np.dtype(d).itemsize) for d, n in exe.program.scratch]
        try:
            buffers = [*ins, *outs, *(c.raw for c in exe.consts), *scratch]
            for compiled in exe.procs:
                self.launch_proc(compiled, buffers)
        finally:
            for raw in scratch:
                self.release(raw)

    # optional: `runs_loop(loop: Loop) -> bool`. A backend defining it is asked, during lowering, whether
    # it runs a scan/while Loop step itself; if so, `compile_loop` and `launch_loop` run it. The defaults
    # here are the generic device-resident driver, on for a backend that sets `device_loops = True` and
    # implements `copy`: the host runs the body's steps once per iteration, the data stays on the device.
    device_loops = False
    copy_align = 1  # offsets and sizes `copy` takes: loops with x/y slices of other byte sizes are declined

    def copy(self, src: Any, src_offset: int, dst: Any, dst_offset: int, nbytes: int) -> None:
        """Copy `nbytes` from byte `src_offset` of `src` to byte `dst_offset` of `dst`, in order with the
        launches (a whole-buffer copy may round `nbytes` up to the allocation's size)."""
        raise NotImplementedError(f"backend {self.name} sets device_loops but does not implement copy")

    def runs_loop(self, loop: Loop) -> bool:
        """The generic driver takes loops whose bodies are launches, native routines and accepted loops."""
        if not self.device_loops:
            return False
        for prog in (loop.body, loop.cond):
            for step in prog.steps if prog is not None else ():
                if isinstance(step, Call) and self.compile_routine(step.routine) is None:
                    return False  # a host routine would read back every iteration: the host loop is faster
        if loop.params["kind"] == "scan":
            body, nc, ncarry = loop.body, loop.params["num_consts"], loop.params["num_carry"]
            slices = [*body.inputs[nc + ncarry :], *body.outputs[ncarry:]]
            if any(nbytes(body.avals[s]) % self.copy_align for s in slices):
                return False
        return True

    def compile_loop(self, loop: Loop) -> Any:
        if not self.device_loops:
            raise NotImplementedError(f"backend {self.name} accepted a Loop step but does not implement compile_loop")
        return DeviceLoop(self, loop)

    def launch_loop(self, executable: Any, ins: Sequence[Any], outs: Sequence[Any]) -> None:
        if not isinstance(executable, DeviceLoop):
            raise NotImplementedError(f"backend {self.name} accepted a Loop step but does not implement launch_loop")
        self._device_loop(executable, ins, outs)

    # --- memory: the core protocol over the subclass's allocations --------------------------------
    def _upload(self, array: np.ndarray) -> Storage:
        array = np.ascontiguousarray(array)
        storage = Storage(self.allocate(array.nbytes), array.nbytes)
        if array.nbytes:
            self.write(storage.raw, array)
        return storage

    def _decref(self, storage: Storage) -> None:
        storage.refs -= 1
        if storage.refs == 0:
            self.release(storage.raw)

    def put(self, array: np.ndarray, device: Device) -> KernelBuffer:
        aval = core.ShapedArray(array.shape, array.dtype)
        return KernelBuffer(self._upload(array), aval)

    def get(self, handle: KernelBuffer) -> np.ndarray:
        out = self.read(handle.storage.raw, handle.aval)
        out.flags.writeable = False
        return out

    def free(self, handle: KernelBuffer) -> None:
        self._decref(handle.storage)

    # --- compilation ----------------------------------------------------------------------------
    @property
    def _kernels(self) -> collections.OrderedDict:
        cache = self.__dict__.get("_kernel_lru")
        if cache is None:
            cache = self.__dict__["_kernel_lru"] = collections.OrderedDict()
        return cache

    def _kernel(self, kernel: Kernel) -> Any:
        """The compiled kernel, from an LRU cache keyed by the kernel's structure."""
        cache, key = self._kernels, kernel.key
        exe = cache.get(key)
        if exe is not None:
            cache.move_to_end(key)
            return exe
        exe = cache[key] = self.compile_kernel(kernel)
        if len(cache) > self.kernel_cache_size:
            cache.popitem(last=False)
        return exe

    def _routine(self, routine: Routine) -> Any:
        return self.compile_routine(routine)

    def lower(self, jaxpr: core.Jaxpr) -> Program:
        return lower_jaxpr(jaxpr, self)

    def compile(self, jaxpr: core.Jaxpr) -> ProgramExecutable:
        if jaxpr.constvars:
            raise ValueError("compile() takes a closure-converted jaxpr (no constvars)")
        program = self.lower(jaxpr)
        debug.show_program(self.name, jaxpr, program)
        return ProgramExecutable(self, jaxpr, program)

    def clear_caches(self) -> None:
        super().clear_caches()
        self._kernels.clear()

    # --- execution ------------------------------------------------------------------------------
    def run(self, exe: ProgramExecutable, handles: Sequence[KernelBuffer], device: Device) -> list[KernelBuffer]:
        env = exe.env_template.copy()  # constants already in place
        for s, h in zip(exe.inputs, handles):  # noqa: B905 - arity was checked when the jaxpr was traced
            env[s] = h.storage
        self._exec(exe, env)
        return self._outputs(exe, env)

    def _exec(self, exe: ProgramExecutable, env: list) -> None:
        if debug.level() >= 4:
            self._run_timed(exe, env)
        else:
            launch, allocate = self.launch, self.allocate
            for op, a, b, c, d in exe.steps:
                if op == "launch":
                    launch(a, [env[s].raw for s in b], env[c].raw)
                elif op == "alloc":
                    env[a] = Storage(allocate(b), b)
                elif op == "free":
                    self._decref(env[a])
                else:
                    self._step(op, a, b, c, d, env)

    def _step(self, op: str, a, b, c, d, env: list) -> None:
        if op == "loop":
            self.launch_loop(a, [env[s].raw for s in b], [env[s].raw for s in c])
        else:
            self._call(a, d, [env[s] for s in b], [env[s] for s in c])

    def _run_timed(self, exe: ProgramExecutable, env: list) -> None:
        for op, a, b, c, d in exe.steps:
            t0 = time.perf_counter()
            if op == "launch":
                self.launch(a, [env[s].raw for s in b], env[c].raw)
            elif op == "alloc":
                env[a] = Storage(self.allocate(b), b)
            elif op == "free":
                self._decref(env[a])
            else:
                self._step(op, a, b, c, d, env)
            what = d.name if op in ("launch", "call") else (f"loop {d.params}" if op == "loop" else f"{op} %{a}")
            debug.emit(f"[jaxnc {self.name}] {what}: {(time.perf_counter() - t0) * 1e6:.1f} µs")

    # --- the generic device-resident loop driver --------------------------------------------------
    def _device_loop(self, exe: DeviceLoop, ins: Sequence[Any], outs: Sequence[Any]) -> None:
        """Run a scan/while with the data on the device: the body's steps once per iteration, each x
        slice copied into a fresh buffer, each y slice copied into the stacked ys; a carry is the
        storage the body wrote (no copy), shared by refcount; only a while's predicate is read back."""
        p = exe.params
        held = [Storage(raw, 0) for raw in ins]  # the caller's buffers: one reference the driver never drops
        if exe.kind == "scan":
            nc, ncarry, length = p["num_consts"], exe.ncarry, p["length"]
            consts, cur, xs = held[:nc], held[nc : nc + ncarry], ins[nc + ncarry :]
            for st in cur:
                st.refs += 1
            for i in range(length):
                t = length - 1 - i if p["reverse"] else i
                xbufs = []
                for raw, n in zip(xs, exe.xs_bytes, strict=True):
                    xbufs.append(Storage(self.allocate(n), n))
                    if n:
                        self.copy(raw, t * n, xbufs[-1].raw, 0, n)
                env = self._run_body(exe.body, [*consts, *cur, *xbufs])
                for s, n, raw in zip(exe.body.outputs[ncarry:], exe.ys_bytes, outs[ncarry:], strict=True):
                    if n:
                        self.copy(env[s].raw, 0, raw, t * n, n)
                cur = self._next_carries(exe.body, env, cur)
                for st in xbufs:
                    self._decref(st)
        else:
            cn, bn = p["cond_nconsts"], p["body_nconsts"]
            cconsts, bconsts, cur = held[:cn], held[cn : cn + bn], held[cn + bn :]
            for st in cur:
                st.refs += 1
            while True:
                env = self._run_body(exe.cond, [*cconsts, *cur])
                go = bool(self.read(env[exe.cond.outputs[0]].raw, exe.cond.out_avals[0]))
                self._drop_outputs(exe.cond, env)
                if not go:
                    break
                cur = self._next_carries(exe.body, self._run_body(exe.body, [*bconsts, *cur]), cur)
        for st, n, raw in zip(cur, exe.carry_bytes, outs, strict=False):
            if n:
                self.copy(st.raw, 0, raw, 0, n)
            self._decref(st)
        from jaxnc._src.lax.control_flow import note_loop_path  # noqa: PLC0415 - lax imports the lowering

        note_loop_path(exe.kind, "device", self.name)

    def _run_body(self, exe: ProgramExecutable, inputs: list[Storage]) -> list:
        env = exe.env_template.copy()
        for s, st in zip(exe.inputs, inputs, strict=True):
            env[s] = st
        self._exec(exe, env)
        return env

    def _drop_outputs(self, exe: ProgramExecutable, env: list) -> None:
        """Release the buffers the body allocated for its outputs (after they were shared or copied)."""
        for s in set(exe.outputs).difference(exe.inputs):
            self._decref(env[s])

    def _next_carries(self, exe: ProgramExecutable, env: list, cur: list[Storage]) -> list[Storage]:
        new = [env[s] for s in exe.outputs[: len(cur)]]
        for st in new:
            st.refs += 1
        for st in cur:
            self._decref(st)
        self._drop_outputs(exe, env)
        return new

    def _call(self, native: Any, routine: Routine, ins: list[Storage], outs: list[Storage]) -> None:
        if native is not None:
            self.launch_routine(native, [s.raw for s in ins], [s.raw for s in outs])
            return
        args = [self.read(s.raw, a) for s, a in zip(ins, routine.in_avals, strict=True)]
        results = routine.reference(*args)
        for storage, value, aval in zip(outs, results, routine.out_avals, strict=True):
            if aval.size:
                self.write(storage.raw, np.ascontiguousarray(value, dtype=aval.dtype))

    def _outputs(self, exe: ProgramExecutable, env: list) -> list[KernelBuffer]:
        out = []
        for s, aval, shared in exe.output_plan:
            storage = env[s]
            if shared:
                storage.refs += 1  # the output shares a buffer that the caller, the program or another output owns
            out.append(KernelBuffer(storage, aval))
        return out
