"""One wgpu device: buffers from a pool, dispatches batched into one submit, staging readback, caches.

Safety (an invalid `queue.submit` aborts the process, wgpu-native #588): the runtime tracks every
buffer the unsubmitted commands use, never destroys one of them, flushes before a `write_buffer` to
one of them, unmaps staging buffers before the next submit and never resubmits a command buffer.
"""

from __future__ import annotations

import collections
import itertools
import os
import threading
import time

import numpy as np
import wgpu

from jaxnc_webgpu import kernels
from jaxnc_webgpu.adapters import Adapter

BU = wgpu.BufferUsage
STORAGE_USAGE = BU.STORAGE | BU.COPY_SRC | BU.COPY_DST
WANTED_FEATURES = ("shader-f16", "shader-f64", "shader-int64", "subgroup", "timestamp-query")
LIMITS = ("max-storage-buffer-binding-size", "max-buffer-size", "max-storage-buffers-per-shader-stage",
          "max-compute-workgroup-storage-size", "max-compute-invocations-per-workgroup",
          "max-compute-workgroup-size-x", "max-compute-workgroups-per-dimension",
          "min-storage-buffer-offset-alignment")  # fmt: skip
POOL_BYTES = 4 << 30  # freed buffers kept for reuse, in total (a fresh buffer costs an allocation and a clear)
DISPATCHES_PER_SUBMIT = 512
SPIN_S = 0.05  # a readback polls without blocking this long before it blocks
TRANSFER_CHUNK = 256 << 20  # reads and writes of larger buffers go in pieces (staging stays below max-buffer-size)
MAX_ELEMENTS = 2**31 - 1  # shaders index with i32
BINDING_ENV = "JAXNC_WEBGPU_MAX_BINDING_SIZE"  # bytes; lowers the binding size the runtime uses (tests)
TRUSTED_ENV = "JAXNC_WEBGPU_TRUSTED_SHADERS"  # "1": compile shaders without naga's bounds checks (experimental)


class WebGPUError(RuntimeError):
    """A wgpu call failed; the message names the operation and the adapter."""


class WebGPUOutOfMemoryError(WebGPUError, MemoryError):
    """The adapter could not allocate a buffer."""


class WebGPUDeviceLost(WebGPUError):
    """The device was lost (driver reset, destroyed); recreate the backend with `WebGPUBackend.reset()`."""


_serials = itertools.count(1)


class GpuBuffer:
    """A storage buffer of `nbytes` (a multiple of 4, at least 4), with a serial no other buffer reuses."""

    __slots__ = ("buf", "nbytes", "serial")

    def __init__(self, buf, nbytes: int) -> None:
        self.buf = buf
        self.nbytes = nbytes
        self.serial = next(_serials)

    def __repr__(self) -> str:
        return f"GpuBuffer(#{self.serial}, {self.nbytes} B)"


def padded(nbytes: int) -> int:
    return max(4, -(-nbytes // 4) * 4)


class Runtime:
    """The device of one adapter, created lazily on first use."""

    def __init__(self, adapter: Adapter, max_binding_size: int | None = None) -> None:
        self.adapter = adapter
        a = adapter.adapter
        self.features = frozenset(f for f in WANTED_FEATURES if f in a.features)
        self.limits = {k: a.limits[k] for k in LIMITS}
        if max_binding_size is None and os.environ.get(BINDING_ENV):
            max_binding_size = int(os.environ[BINDING_ENV])
        # NB: the device keeps the adapter's limit; a lower value here only makes kernels split sooner
        self.binding_size = min(max_binding_size or 1 << 62, self.limits["max-storage-buffer-binding-size"])
        self.matmul_tiles, self.trusted_matmul = kernels.tuning(adapter.name, os.environ)  # chosen once
        self._device = None
        self._lock = threading.RLock()
        self._pool: dict[int, list[GpuBuffer]] = collections.defaultdict(list)
        self._pool_bytes = 0
        self._staging: dict[int, list] = collections.defaultdict(list)
        self._pipelines: dict[str, tuple] = {}
        self._layouts: dict[int, tuple] = {}
        self._bind_groups: collections.OrderedDict = collections.OrderedDict()
        self._encoder = None
        self._pass = None
        self._pending: set[int] = set()  # serials used by unsubmitted commands
        self._ndispatch = 0
        self.submits = 0
        self.dispatches = 0
        self.copies = 0

    # --- the device -----------------------------------------------------------------------------
    @property
    def device(self):
        if self._device is None:
            with self._lock:
                if self._device is None:
                    self._device = self._call("create the device", self.adapter.adapter.request_device_sync,
                                              label="jaxnc", required_features=sorted(self.features),
                                              required_limits=dict(self.limits))  # fmt: skip
        return self._device

    def _call(self, what: str, fn, *args, **kwargs):
        """`fn(*args, **kwargs)` with wgpu's errors turned into errors that say what failed where."""
        try:
            return fn(*args, **kwargs)
        except wgpu.GPUOutOfMemoryError as e:
            raise WebGPUOutOfMemoryError(f"out of GPU memory on {self.adapter} while trying to {what}: {e}") from e
        except (wgpu.GPUError, RuntimeError) as e:
            if "lost" in str(e).lower() or ("destroyed" in str(e).lower() and "device" in str(e).lower()):
                raise WebGPUDeviceLost(f"the WebGPU device of {self.adapter} is lost (while trying to {what}): {e}; "
                                       "call backend.reset() to create a new one") from e  # fmt: skip
            raise WebGPUError(f"wgpu failed to {what} on {self.adapter}: {e}") from e

    def destroy(self) -> None:
        """Drop the device and everything made on it (after a device loss, or to free memory)."""
        with self._lock:
            self._encoder = self._pass = None
            self._pending.clear()
            self._pool.clear()
            self._pool_bytes = 0
            self._staging.clear()
            self._pipelines.clear()
            self._layouts.clear()
            self._bind_groups.clear()
            if self._device is not None:
                try:
                    self._device.destroy()
                finally:
                    self._device = None

    # --- memory ---------------------------------------------------------------------------------
    def allocate(self, nbytes: int) -> GpuBuffer:
        size = padded(nbytes)
        limit = self.limits["max-buffer-size"]
        if size > limit:
            raise WebGPUOutOfMemoryError(f"a buffer of {nbytes} bytes exceeds the max-buffer-size {limit} of "
                                         f"{self.adapter}")  # fmt: skip
        with self._lock:
            free = self._pool.get(size)
            while free:
                self._pool_bytes -= size
                b = free.pop()
                if b.buf._internal is not None:  # see release(): the cycle collector may have finalized it
                    return b
            buf = self._call(f"allocate a buffer of {size} bytes", self.device.create_buffer, size=size,
                             usage=STORAGE_USAGE)  # fmt: skip
        return GpuBuffer(buf, size)

    def release(self, b: GpuBuffer) -> None:
        """Back to the pool; pending commands may still use it, and only later commands can reuse it."""
        with self._lock:
            # NB: when an array dies in a reference cycle, the collector finalizes its wgpu buffer too,
            # before or even after this call puts it back in the pool
            if self._device is None or b.buf._internal is None:
                return
            if self._pool_bytes + b.nbytes <= POOL_BYTES:
                self._pool[b.nbytes].append(b)
                self._pool_bytes += b.nbytes
                return
            if b.serial in self._pending:
                self.flush()
            b.buf.destroy()

    def write(self, b: GpuBuffer, array: np.ndarray) -> None:
        data = np.ascontiguousarray(array).reshape(-1).view(np.uint8)
        if data.size % 4:
            data = np.concatenate([data, np.zeros(4 - data.size % 4, np.uint8)])
        with self._lock:
            if b.serial in self._pending:  # the queue write would land before the recorded commands
                self.flush()
            for start in range(0, data.size, TRANSFER_CHUNK):
                self._call("write a buffer", self.device.queue.write_buffer, b.buf, start,
                           data[start : start + TRANSFER_CHUNK])  # fmt: skip

    def read(self, b: GpuBuffer, out: np.ndarray) -> np.ndarray:
        """Copy the first `out.nbytes` of `b` into `out` (waits for every pending command)."""
        flat = out.reshape(-1).view(np.uint8)
        with self._lock:
            for start in range(0, out.nbytes, TRANSFER_CHUNK):
                count = min(TRANSFER_CHUNK, out.nbytes - start)
                nbytes = padded(count)
                staging = self._take_staging(nbytes)
                self._end_pass()
                self._encoder_now().copy_buffer_to_buffer(b.buf, start, staging, 0, nbytes)
                self.flush()
                self._map(staging)
                try:
                    view = staging.read_mapped(0, nbytes, copy=False)
                    flat[start : start + count] = np.frombuffer(view, np.uint8, count=count)
                finally:
                    staging.unmap()
                    self._staging[staging.size].append(staging)
        return out

    def _take_staging(self, nbytes: int):
        size = max(256, 1 << (nbytes - 1).bit_length())
        free = self._staging.get(size)
        if free:
            return free.pop()
        return self._call(f"allocate a staging buffer of {size} bytes", self.device.create_buffer, size=size,
                          usage=BU.MAP_READ | BU.COPY_DST)  # fmt: skip

    def _map(self, staging) -> None:
        try:  # polling on this thread avoids the poll thread's millisecond wake-up tail
            promise = staging.map_async("READ_NOSYNC")
            done, device = promise._thread_event, self.device
            # NB: on the H100 a blocking poll returned in steps of ~5 ms (a 0.3 ms kernel read back in 5.4 ms):
            # spin on non-blocking polls for a while, then block
            deadline = time.perf_counter() + SPIN_S
            while not done.is_set() and time.perf_counter() < deadline:
                device._poll(False)
            if not done.is_set():
                device._poll(True)
            promise.sync_wait()
        except (AttributeError, TypeError, ValueError):
            staging.map_sync(wgpu.MapMode.READ)

    def sync(self) -> None:
        """Wait until every command recorded so far has run."""
        probe = self.allocate(4)
        try:
            self.read(probe, np.empty(1, np.uint32))
        finally:
            self.release(probe)

    # --- pipelines ------------------------------------------------------------------------------
    def pipeline(self, code: str, counts: tuple[int, ...], trusted: bool = False):
        """(pipeline, counts) for WGSL `code` reading buffers 0..n-2 and writing buffer n-1; buffer i is
        bound as `counts[i]` consecutive bindings (windows, see `windows`). `trusted`: without naga's
        bounds checks (the shader keeps its own indices in range)."""
        hit = self._pipelines.get(code)
        if hit is not None:
            return hit
        with self._lock:
            _, pl = self._layout(counts)
            trusted = trusted or os.environ.get(TRUSTED_ENV, "") not in ("", "0")
            make = _trusted_module if trusted else None
            module = self._compile("compile a WGSL module", make or self.device.create_shader_module, code,
                                   **({"device": self.device} if make else {}), code=code)  # fmt: skip
            pipe = self._compile("create a compute pipeline", self.device.create_compute_pipeline, code,
                                 layout=pl, compute={"module": module, "entry_point": "main"})  # fmt: skip
            hit = self._pipelines[code] = (pipe, counts)
        return hit

    def _compile(self, what, fn, source, **kwargs):
        try:
            return self._call(what, fn, **kwargs)
        except WebGPUError as e:
            numbered = "\n".join(f"{i + 1:4d}  {line}" for i, line in enumerate(source.splitlines()))
            raise WebGPUError(f"{e}\n--- WGSL ---\n{numbered}") from e.__cause__

    def _layout(self, counts: tuple[int, ...]):
        hit = self._layouts.get(counts)
        if hit is None:
            nbind, limit = sum(counts), self.limits["max-storage-buffers-per-shader-stage"]
            if nbind > limit:
                raise WebGPUError(f"a kernel needs {nbind} storage bindings (buffers bound as {counts} windows of "
                                  f"{self.window_bytes} bytes), more than the max-storage-buffers-per-shader-stage "
                                  f"{limit} of {self.adapter}")  # fmt: skip
            kinds = [t for i, c in enumerate(counts) for t in [i == len(counts) - 1] * c]
            entries = [{"binding": i, "visibility": wgpu.ShaderStage.COMPUTE,
                        "buffer": {"type": "storage" if written else "read-only-storage"}}
                       for i, written in enumerate(kinds)]  # fmt: skip
            bgl = self.device.create_bind_group_layout(entries=entries)
            pl = self.device.create_pipeline_layout(bind_group_layouts=[bgl])
            hit = self._layouts[counts] = (bgl, pl)
        return hit

    # --- windows: a buffer larger than one binding is bound as several ---------------------------
    @property
    def window_bytes(self) -> int:
        """The size of each window (the last may be shorter); window w starts at byte w * window_bytes,
        a multiple of min-storage-buffer-offset-alignment."""
        align = self.limits["min-storage-buffer-offset-alignment"]
        return self.binding_size // align * align

    def windows(self, nbytes: int) -> int:
        """How many bindings a buffer of `nbytes` takes: 1 up to `binding_size`."""
        return 1 if nbytes <= self.binding_size else -(-nbytes // self.window_bytes)

    def _bind_group(self, counts: tuple[int, ...], buffers: list[GpuBuffer], what: str):
        wb = self.window_bytes
        key = (counts, wb, *(b.serial for b in buffers))
        bg = self._bind_groups.get(key)
        if bg is not None:
            self._bind_groups.move_to_end(key)
            return bg
        entries = []
        for b, count in zip(buffers, counts, strict=True):
            if self.windows(b.nbytes) != count:  # the backend renders a shader per window layout
                raise WebGPUError(f"{what} was compiled for {count} window(s) but binds a buffer of {b.nbytes} "
                                  f"bytes, which takes {self.windows(b.nbytes)} of {wb} bytes (binding size "
                                  f"{self.binding_size} of {self.adapter})")  # fmt: skip
            spans = [(0, b.nbytes)] if count == 1 else [(w * wb, min(wb, b.nbytes - w * wb)) for w in range(count)]
            entries += [{"binding": len(entries) + j, "resource": {"buffer": b.buf, "offset": o, "size": n}}
                        for j, (o, n) in enumerate(spans)]  # fmt: skip
        bgl, _ = self._layout(counts)
        bg = self._bind_groups[key] = self._call("create a bind group", self.device.create_bind_group, layout=bgl,
                                                 entries=entries)  # fmt: skip
        if len(self._bind_groups) > 4096:
            self._bind_groups.popitem(last=False)
        return bg

    # --- recording and submitting ---------------------------------------------------------------
    def _encoder_now(self):
        if self._encoder is None:
            self._encoder = self.device.create_command_encoder()
        return self._encoder

    def _end_pass(self) -> None:
        if self._pass is not None:
            self._pass.end()
            self._pass = None

    def dispatch(self, pipeline, buffers: list[GpuBuffer], grid: tuple[int, int, int], what: str = "?") -> None:
        """Record one dispatch of kernel `what`; `buffers` are the bindings in order (the output last)."""
        with self._lock:
            pipe, counts = pipeline
            bg = self._bind_group(counts, buffers, f"kernel {what}")
            if self._pass is None:
                self._pass = self._encoder_now().begin_compute_pass()
            self._pass.set_pipeline(pipe)
            self._pass.set_bind_group(0, bg)
            self._pass.dispatch_workgroups(*grid)
            self._pending.update(b.serial for b in buffers)
            self._ndispatch += 1
            self.dispatches += 1
            if self._ndispatch >= DISPATCHES_PER_SUBMIT:
                self.flush()

    def copy(self, src: GpuBuffer, src_offset: int, dst: GpuBuffer, dst_offset: int, nbytes: int) -> None:
        """Record a buffer-to-buffer copy after the recorded dispatches. Offsets must be multiples of 4;
        a size that is not is rounded up, which is only safe where the copy ends at the data's end."""
        n = padded(nbytes)
        if src_offset % 4 or dst_offset % 4 or src_offset + n > src.nbytes or dst_offset + n > dst.nbytes:
            raise WebGPUError(f"cannot copy {nbytes} bytes from {src} at {src_offset} to {dst} at {dst_offset}: "
                              "copy_buffer_to_buffer takes 4-byte aligned offsets and sizes within both buffers")  # fmt: skip
        with self._lock:
            self._end_pass()
            self._encoder_now().copy_buffer_to_buffer(src.buf, src_offset, dst.buf, dst_offset, n)
            self._pending.update((src.serial, dst.serial))
            self.copies += 1

    def flush(self) -> None:
        """Submit the recorded commands (if any)."""
        with self._lock:
            if self._encoder is None:
                return
            self._end_pass()
            encoder, self._encoder = self._encoder, None
            self._pending.clear()
            self._ndispatch = 0
            # finish() validates every recorded command and raises here, so submit never sees an invalid buffer
            cmd = self._call("finish the command encoder", encoder.finish)
            self._call("submit commands", self.device.queue.submit, [cmd])
            self.submits += 1


def _trusted_module(device, code: str):
    """A WGSL module without runtime bounds checks or loop bounding (`wgpuDeviceCreateShaderModuleTrusted`,
    which wgpu-py does not wrap): every index our kernels compute is in range by construction."""
    from wgpu.backends.wgpu_native import _api

    source = _api.new_struct_p("WGPUShaderSourceWGSL *", code=_api.to_c_string_view(code))
    source[0].chain.next = _api.ffi.NULL
    source[0].chain.sType = _api.lib.WGPUSType_ShaderSourceWGSL
    desc = _api.new_struct_p("WGPUShaderModuleDescriptor *", nextInChain=_api.ffi.cast("WGPUChainedStruct *", source),
                             label=_api.to_c_string_view("jaxnc"))  # fmt: skip
    handle = _api.libf.wgpuDeviceCreateShaderModuleTrusted(device._internal, desc, 0)
    if handle == _api.ffi.NULL:
        raise RuntimeError("shader module creation failed")
    return _api.GPUShaderModule("jaxnc", handle, device)
