"""The `wasm` backend: a KernelBackend whose kernels are generated WebAssembly run by wasmtime."""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Sequence

import numpy as np
import wasmtime

from jaxnc._src import core, dtypes
from jaxnc._src.backends.base import Device
from jaxnc._src.lax.control_flow import note_loop_path
from jaxnc._src.lowering import debug
from jaxnc._src.lowering.backend import KernelBackend
from jaxnc._src.lowering.kernel import REDUCE_OPS, Kernel
from jaxnc._src.lowering.proc import Proc
from jaxnc._src.lowering.program import Loop
from jaxnc_wasm import diskcache, loops, routines, scalar_ops
from jaxnc_wasm.allocator import Allocator
from jaxnc_wasm.codegen import compile_kernel_module
from jaxnc_wasm.matmul import match_matmul, matmul_module, scratch_bytes
from jaxnc_wasm.runtime import Runtime
from jaxnc_wasm.threads import ThreadPool

# below this many element operations a kernel runs on the calling thread (a hand-off costs 10-25 µs)
PARALLEL_MIN_WORK = 1 << 18


@dataclasses.dataclass
class CompiledKernel:
    module: wasmtime.Module
    nparams: int
    rows: int  # extent of the outermost output loop, split over threads
    row_align: int  # chunks start at multiples of this (SIMD over the only output loop)
    work: int
    vectorized: str
    name: str
    scratch: int = 0  # bytes of scratch memory each call needs (passed after `out`)
    functions: dict = dataclasses.field(default_factory=dict)  # thread id -> FastFunc


@dataclasses.dataclass
class CompiledLoop:
    module: wasmtime.Module
    nparams: int
    scratch: int
    kind: str  # "scan" | "while"
    functions: dict = dataclasses.field(default_factory=dict)  # thread id -> FastFunc


def default_threads() -> int:
    env = os.environ.get("JAXNC_WASM_THREADS", "").strip()
    if env:
        try:
            n = int(env)
        except ValueError:
            n = 0
        if n < 1:
            raise ValueError(f"JAXNC_WASM_THREADS must be a positive integer (threads for big kernels), got {env!r}")
        return n
    return os.cpu_count() or 1


class WasmBackend(KernelBackend):
    """Buffers live in one shared linear memory; kernels are wasm functions called directly."""

    name = "wasm"
    platform = "wasm"
    max_inputs = 64
    runs_procs = True
    complex_as_pairs = True  # complex buffers are NumPy's bytes: (re, im) pairs that procs may address

    def __init__(self, threads: int | None = None) -> None:
        self.devices = [Device(self, 0)]
        self.runtime = Runtime(cache=diskcache.from_env())
        self._lock = threading.Lock()
        self.allocator = Allocator(self.runtime.grow_to)
        self.threads = threads or default_threads()
        self.pool = ThreadPool(self.runtime, self.threads - 1) if self.threads > 1 else None

    # --- what kernels may contain ---------------------------------------------------------------
    def supports(self, dtype) -> bool:
        return np.dtype(dtype) in dtypes.SUPPORTED

    def renders(self, op: str, dtype: np.dtype) -> bool:
        dtype = np.dtype(dtype)
        if op == "load":
            return scalar_ops.supported(dtype)
        if op.startswith("reduce_"):
            return op[7:] in REDUCE_OPS and scalar_ops.supported(dtype)
        return scalar_ops.scalar_renders(op, dtype)

    # --- memory ---------------------------------------------------------------------------------
    def allocate(self, nbytes: int) -> int:
        with self._lock:
            return self.allocator.alloc(nbytes)

    def release(self, raw: int) -> None:
        with self._lock:
            self.allocator.free(raw)

    def write(self, raw: int, array: np.ndarray) -> None:
        data = np.ascontiguousarray(array).reshape(-1).view(np.uint8)
        self.runtime.view()[raw : raw + data.size] = data

    def read(self, raw: int, aval: core.ShapedArray) -> np.ndarray:
        n = aval.size * aval.dtype.itemsize
        return self.runtime.view()[raw : raw + n].view(aval.dtype).reshape(aval.shape).copy()

    # --- kernels --------------------------------------------------------------------------------
    def compile_kernel(self, kernel: Kernel) -> CompiledKernel:
        nparams = len(kernel.in_dtypes) + 3
        spec = match_matmul(kernel)
        scratch = 0
        if spec is not None:
            nparams, scratch = nparams + 1, scratch_bytes(spec)
            wasm, vectorized, text, align = matmul_module(spec, nparams), "matmul 4x8", None, 4
            debug.show_code(self.name, kernel, f";; blocked SIMD matmul {spec}")
        else:
            listing = debug.level() >= 3
            wasm, vectorized, text = compile_kernel_module(kernel, listing)
            align = 4 if vectorized == "out" and len(kernel.shape) == 1 else 1
        if text is not None:
            debug.show_code(self.name, kernel, f";; vectorized: {vectorized}\n{text}")
        module = self.runtime.compile(wasm)
        rows = kernel.shape[0] if kernel.shape else 1
        return CompiledKernel(module, nparams, rows, align, kernel.work(), vectorized, kernel.name, scratch)

    def launch(self, exe: CompiledKernel, ins: Sequence[int], out: int) -> None:
        if exe.work < PARALLEL_MIN_WORK and not exe.scratch:  # the common small launch: one direct call
            fn = exe.functions.get(threading.get_ident())
            if fn is None:
                fn = exe.functions[threading.get_ident()] = self.runtime.function(exe.module, "kernel", exe.nparams)
            fn(*ins, out, 0, exe.rows)
            return
        parallel = self.pool is not None and exe.work >= PARALLEL_MIN_WORK and exe.rows > 1
        chunks = _chunks(exe.rows, self.threads, exe.row_align) if parallel else [(0, exe.rows)]
        scratch = self.allocate(exe.scratch * len(chunks)) if exe.scratch else None
        try:
            calls = [(*ins, out, *(() if scratch is None else (scratch + c * exe.scratch,)), lo, hi)
                     for c, (lo, hi) in enumerate(chunks)]  # fmt: skip
            if len(calls) > 1:
                self.pool.run(exe, calls)
                return
            fn = exe.functions.get(threading.get_ident())
            if fn is None:
                fn = exe.functions[threading.get_ident()] = self.runtime.function(exe.module, "kernel", exe.nparams)
            fn(*calls[0])
        finally:
            if scratch is not None:
                self.release(scratch)

    # --- native loops -----------------------------------------------------------------------------
    def runs_loop(self, loop: Loop) -> bool:
        return loops.renderable(loop)

    def compile_loop(self, loop: Loop) -> CompiledLoop:
        wasm, scratch, text = loops.loop_module(loop, debug.level() >= 3)
        if text is not None:
            debug.emit(f"[jaxnc wasm] native {loop.params['kind']} loop {loop.params}\n{text}")
        module = self.runtime.compile(wasm)
        return CompiledLoop(module, len(loop.ins) + len(loop.outs) + 1, scratch, loop.params["kind"])

    def launch_loop(self, exe: CompiledLoop, ins: Sequence[int], outs: Sequence[int]) -> None:
        scratch = self.allocate(exe.scratch)
        try:
            fn = exe.functions.get(threading.get_ident())
            if fn is None:
                fn = exe.functions[threading.get_ident()] = self.runtime.function(exe.module, "loop", exe.nparams)
            fn(*ins, *outs, scratch)
        finally:
            self.release(scratch)
        note_loop_path(exe.kind, "native", self.name)

    # --- native routines ----------------------------------------------------------------------------
    def compile_routine(self, routine):
        """Native routines, except value-only sorts: NumPy's vectorized sort is 10-25x faster than the
        scalar merge sort (measured in docs/backend-wasm.md); argsort and multi-operand sorts stay native."""
        if routine.name == "sort" and len(routine.in_avals) == 1:
            return None
        return super().compile_routine(routine)

    def compile_proc(self, proc: Proc) -> CompiledKernel:
        """A proc as a kernel whose rows are its flattened grid points: `launch` splits big ones over threads."""
        cache, key = self._kernels, ("proc", proc.grid, proc.buffers, proc.body)  # the kernel LRU
        exe = cache.get(key)
        if exe is not None:
            cache.move_to_end(key)
            return exe
        wasm, text = routines.proc_module(proc, debug.level() >= 3)
        if text is not None:
            debug.show_code(self.name, proc, text)
        module = self.runtime.compile(wasm)
        exe = cache[key] = CompiledKernel(module, len(proc.buffers) + 2, proc.size, 1, routines.work(proc), "proc",
                                          proc.name)  # fmt: skip
        if len(cache) > self.kernel_cache_size:
            cache.popitem(last=False)
        return exe

    def launch_proc(self, exe: CompiledKernel, buffers: Sequence[int]) -> None:
        self.launch(exe, buffers[:-1], buffers[-1])  # the same arguments: addresses, then lo and hi

    def memory_stats(self) -> dict:
        return {"in_use": self.allocator.in_use, "top": self.allocator.top, "linear_memory": self.runtime.nbytes}


def _chunks(rows: int, parts: int, align: int) -> list[tuple[int, int]]:
    step = max(align, -(-rows // parts))
    step = -(-step // align) * align
    bounds = []
    lo = 0
    while lo < rows:
        bounds.append((lo, min(rows, lo + step)))
        lo += step
    return bounds


def create() -> WasmBackend:
    return WasmBackend()


def probe() -> str | None:
    try:
        import wasmtime  # noqa: F401
    except ImportError as e:
        return f"wasmtime is not installed ({e}); pip install wasmtime"
    return None
