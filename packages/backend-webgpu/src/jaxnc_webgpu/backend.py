"""The `webgpu` backend: a KernelBackend whose kernels are WGSL compute shaders run by wgpu."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from jaxnc._src import core, dtypes
from jaxnc._src.backends.base import Device
from jaxnc._src.lowering import debug
from jaxnc._src.lowering.backend import KernelBackend, KernelBuffer
from jaxnc._src.lowering.kernel import REDUCE_OPS, Kernel
from jaxnc_webgpu import adapters, kernels, routines, wgsl
from jaxnc_webgpu.runtime import MAX_ELEMENTS, GpuBuffer, Runtime, WebGPUError

_COMMON = frozenset("add sub mul neg max min eq ne lt le gt ge select_n convert_element_type".split())
_FLOAT = _COMMON | frozenset("div rem sign floor ceil round is_finite sqrt rsqrt square abs integer_pow".split())
_INT = _COMMON | frozenset("div rem sign abs square integer_pow and or xor not shift_left shift_right_logical "
                           "shift_right_arithmetic".split())  # fmt: skip
_BOOL = frozenset("and or xor not eq ne select_n convert_element_type".split())


@dataclasses.dataclass(frozen=True)
class CompiledKernel:
    pipeline: tuple
    grid: tuple[int, int, int]
    strategy: str
    name: str
    final: tuple | None = None  # (pipeline, grid) of a second pass reading the inputs and the scratch buffer
    scratch: int = 0  # bytes the first pass writes for the second
    kernel: Kernel | None = None
    variants: dict = dataclasses.field(default_factory=dict)  # windowed bindings -> CompiledKernel


# Scatters apply their updates in order in one invocation (per conflict-free column): on an H100,
# 100k scalar updates took 28 ms natively against 6 ms through the host (bench/bench_routines.py),
# about 3.5M updates/s; past this many updates the host round trip is the faster path.
SERIAL_UPDATES = 1 << 14


class WebGPUBackend(KernelBackend):
    """One adapter's device; `devices` lists every adapter's device (each with its own backend)."""

    name = "webgpu"
    platform = "webgpu"
    runs_procs = True  # native routines: each proc of a routine's algorithm is one shader (routines.py)
    wide = True
    complex_as_pairs = True  # complex arrays are stored as NumPy lays them out: (re, im) pairs
    # scan/while run by core's device-resident driver: the body's dispatches and buffer copies are
    # recorded per iteration into the same command encoder (no readback but a while's predicate)
    device_loops = True
    copy_align = 4  # copy_buffer_to_buffer: 4-byte offsets and sizes (other x/y slices keep the host loop)

    def __init__(self, adapter: adapters.Adapter, index: int = 0, max_binding_size: int | None = None) -> None:
        """`max_binding_size` (or env JAXNC_WEBGPU_MAX_BINDING_SIZE) lowers the bytes one binding may
        span below the adapter's limit, so that tests split kernels over small arrays."""
        self.adapter = adapter
        self.runtime = Runtime(adapter, max_binding_size)
        self.software = adapter.software
        self.device_kind = str(adapter)
        self.max_inputs = min(64, self.runtime.limits["max-storage-buffers-per-shader-stage"] - 1)
        self.dtypes = wgsl.dtypes_for(self.runtime.features)
        self.procs = routines.ProcRunner(self.runtime, self.dtypes)
        self.devices = [Device(self, index)]

    def __repr__(self) -> str:
        return f"WebGPUBackend({self.adapter})"

    # --- what kernels may contain ---------------------------------------------------------------
    def supports(self, dtype) -> bool:
        return np.dtype(dtype) in dtypes.SUPPORTED

    def renders(self, op: str, dtype: np.dtype) -> bool:
        dtype = np.dtype(dtype)
        if dtype not in self.dtypes:
            return False
        if op == "load":
            return True
        if op.startswith("reduce_"):
            return op[7:] in REDUCE_OPS
        if op == "bitcast_convert_type":  # equal widths only (lax); the f64 expansions need f64 <-> i64
            return dtype.itemsize in (4, 8)
        if dtype.kind == "f":
            return op in _FLOAT or (op in wgsl.TRANSCENDENTAL and dtype != wgsl.F64)
        if dtype == wgsl.BOOL:
            return op in _BOOL
        return op in _INT or (op in ("population_count", "clz") and dtype.itemsize == 4)

    def recomputes(self, eqn) -> bool:
        """The fusion planner's recompute policy: a value read twice (no reduction in it) is recomputed
        by each consumer kernel; a GPU does ~20 flops in the time it moves one byte."""
        return True

    # --- memory ---------------------------------------------------------------------------------
    def put(self, array: np.ndarray, device: Device) -> KernelBuffer:
        feature = wgsl.FEATURE_OF.get(np.dtype(array.dtype))
        if feature is not None and feature not in self.runtime.features and array.dtype != wgsl.F16:
            raise TypeError(f"dtype {array.dtype} needs the WebGPU feature {feature!r}, which the adapter "
                            f"{self.adapter} does not offer; use float32/int32 or another backend")  # fmt: skip
        return super().put(array, device)

    def allocate(self, nbytes: int) -> GpuBuffer:
        return self.runtime.allocate(nbytes)

    def release(self, raw: GpuBuffer) -> None:
        self.runtime.release(raw)

    def write(self, raw: GpuBuffer, array: np.ndarray) -> None:
        self.runtime.write(raw, array)

    def read(self, raw: GpuBuffer, aval: core.ShapedArray) -> np.ndarray:
        out = np.empty(aval.shape, aval.dtype)
        if out.nbytes == 0:
            return out
        return self.runtime.read(raw, out)

    def copy(self, src: GpuBuffer, src_offset: int, dst: GpuBuffer, dst_offset: int, nbytes: int) -> None:
        self.runtime.copy(src, src_offset, dst, dst_offset, nbytes)

    def get_async(self, handle: KernelBuffer):
        self.runtime.flush()  # the GPU starts now; result() waits
        return _Pending(self, handle)

    def block_until_ready(self, handle) -> None:
        self.runtime.sync()

    # --- kernels --------------------------------------------------------------------------------
    def compile_kernel(self, kernel: Kernel) -> CompiledKernel:
        return self._compile(kernel, {}, 0)

    def _compile(self, kernel: Kernel, windows: dict, window_bytes: int) -> CompiledKernel:
        """The shader(s) of `kernel` with each binding bound as `windows[name]` windows (default 1)."""
        rt = self.runtime
        shader = kernels.render_kernel(kernel, rt.limits, windows, window_bytes, rt.matmul_tiles)
        ins = tuple(windows.get(f"in{i}", 1) for i in range(len(kernel.in_dtypes)))
        out, scratch = windows.get("out", 1), windows.get("scratch", 1)
        code = f"// {shader.strategy}, grid {shader.grid}\n{shader.code}"
        final = None
        if shader.final is not None:
            code += f"\n// {shader.final.strategy}, grid {shader.final.grid}\n{shader.final.code}"
            final = (rt.pipeline(shader.final.code, (*ins, scratch, out)), shader.final.grid)
        debug.show_code(self.name, kernel, code)
        trusted = rt.trusted_matmul and shader.strategy.startswith("matmul")
        pipeline = rt.pipeline(shader.code, (*ins, scratch if final else out), trusted)
        return CompiledKernel(pipeline, shader.grid, shader.strategy, kernel.name, final, shader.scratch, kernel)

    def _windowed(self, exe: CompiledKernel, ins: Sequence[GpuBuffer], out: GpuBuffer, scratch=None) -> CompiledKernel:
        """`exe` for these buffers: any larger than the binding size is bound as several windows."""
        rt, kernel = self.runtime, exe.kernel
        for b, dt in zip([*ins, out], [*kernel.in_dtypes, kernel.out_dtype], strict=True):
            if b.nbytes // dt.itemsize > MAX_ELEMENTS:
                raise WebGPUError(f"kernel {exe.name} uses an array of {b.nbytes} bytes ({b.nbytes // dt.itemsize} "
                                  f"{dt.name} elements); WGSL shaders index with i32, so an array may have at most "
                                  f"{MAX_ELEMENTS} elements on {self.adapter}")  # fmt: skip
        windows = {f"in{i}": rt.windows(b.nbytes) for i, b in enumerate(ins)} | {"out": rt.windows(out.nbytes)}
        if scratch is not None:
            windows["scratch"] = rt.windows(scratch.nbytes)
        key = (*windows.values(), rt.window_bytes)
        hit = exe.variants.get(key)
        if hit is None:
            hit = exe.variants[key] = self._compile(kernel, windows, rt.window_bytes)
        return hit

    def launch(self, exe: CompiledKernel, ins: Sequence[GpuBuffer], out: GpuBuffer) -> None:
        rt = self.runtime
        big = min(rt.binding_size, MAX_ELEMENTS)
        if exe.final is None:
            if out.nbytes > big or any(b.nbytes > big for b in ins):
                exe = self._windowed(exe, ins, out)
            rt.dispatch(exe.pipeline, [*ins, out], exe.grid, exe.name)
            return
        scratch = rt.allocate(exe.scratch)  # back to the pool at once: only later commands can reuse it
        try:
            if out.nbytes > big or scratch.nbytes > big or any(b.nbytes > big for b in ins):
                exe = self._windowed(exe, ins, out, scratch)
            rt.dispatch(exe.pipeline, [*ins, scratch], exe.grid, exe.name)
            rt.dispatch(exe.final[0], [*ins, scratch, out], exe.final[1], exe.name)
        finally:
            rt.release(scratch)

    # --- native routines ------------------------------------------------------------------------
    def compile_routine(self, routine):
        """The routine's procs as shaders, or None (its NumPy reference on the host) where the adapter
        cannot run them: a buffer over the binding size, too many bindings, a dtype it lacks."""
        try:
            exe = super().compile_routine(routine)
        except routines.Unsupported as e:
            if debug.level() >= 1:
                debug.emit(f"[jaxnc webgpu] {routine.name} runs on the host: {e}")
            return None
        if exe is not None and routine.name.startswith("scatter") and routine.in_avals[-1].size > SERIAL_UPDATES:
            return None  # one invocation applies the updates in order: slower than the host past this
        return exe if exe is None or self.procs.fits(routine, exe.program) else None

    def compile_proc(self, proc) -> routines.CompiledProc:
        return self.procs.compile(proc)

    def launch_proc(self, exe: routines.CompiledProc, buffers: Sequence[GpuBuffer]) -> None:
        self.procs.launch(exe, buffers)

    # --- lifecycle ------------------------------------------------------------------------------
    def reset(self) -> None:
        """Drop the device and every cache (after a device loss); arrays made before become unusable."""
        self.clear_caches()
        self.runtime.destroy()

    def memory_stats(self) -> dict:
        r = self.runtime
        return {"pooled_bytes": r._pool_bytes, "submits": r.submits, "dispatches": r.dispatches, "copies": r.copies}


class _Pending:
    __slots__ = ("backend", "handle")

    def __init__(self, backend: WebGPUBackend, handle: KernelBuffer) -> None:
        self.backend, self.handle = backend, handle

    def result(self) -> np.ndarray:
        return self.backend.get(self.handle)


def create() -> WebGPUBackend:
    """The backend of adapter 0; its `devices` are every adapter's (`webgpu:0..n`)."""
    found, reason = adapters.survey()
    if reason is not None:
        raise RuntimeError(reason)
    backends = [WebGPUBackend(a, i) for i, a in enumerate(found)]
    devices = [b.devices[0] for b in backends]
    for b in backends:
        b.devices = devices
    return backends[0]
