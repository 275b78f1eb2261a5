"""wasmtime plumbing: one Engine and SharedMemory, a Store per thread, and the direct call path.

`Func.__call__` costs 8-47 µs because it re-reads the function type and converts every argument;
`FastFunc` calls `wasmtime_func_call_unchecked` through ctypes with a preallocated argument array
(about 1 µs). ctypes releases the GIL during the call, so threads with their own Stores run
kernels in parallel over the one shared memory.
"""

from __future__ import annotations

import ctypes
import struct
import threading

import numpy as np
import wasmtime
from wasmtime import _ffi as ffi

from jaxnc_wasm.diskcache import ModuleCache

PAGE = 65536
MAX_PAGES = 65536  # memory32: 4 GiB

_call_unchecked = ffi.dll.wasmtime_func_call_unchecked
_call_unchecked.restype = ctypes.POINTER(ffi.wasmtime_error_t)
_call_unchecked.argtypes = [ctypes.POINTER(ffi.wasmtime_context_t), ctypes.POINTER(ffi.wasmtime_func_t),
                            ctypes.POINTER(ffi.wasmtime_val_raw_t), ctypes.c_size_t,
                            ctypes.POINTER(ctypes.POINTER(ffi.wasm_trap_t))]  # fmt: skip


def _shared_memory_as_extern(self) -> ffi.wasmtime_extern_t:
    # NB: wasmtime-py <= 50.0.1 wraps the pointer once too often (wasmtime-py issue #318)
    return ffi.wasmtime_extern_t(ffi.WASMTIME_EXTERN_SHAREDMEMORY, ffi.wasmtime_extern_union(sharedmemory=self.ptr()))


wasmtime.SharedMemory._as_extern = _shared_memory_as_extern


class KernelTrap(RuntimeError):
    """A kernel trapped; the guarded code generator should make this impossible."""


class FastFunc:
    """An exported function of i32 parameters called without wasmtime-py's per-call type checks."""

    __slots__ = ("_ctx", "_func", "_args", "_n", "_trap", "_store", "name", "_pack")

    def __init__(self, store: wasmtime.Store, func: wasmtime.Func, nparams: int, name: str) -> None:
        self._store = store  # keeps the Store (and so the instance) alive
        self._ctx = store._context()
        self._func = ctypes.byref(func._func)
        self._n = max(nparams, 1)
        self._args = (ffi.wasmtime_val_raw_t * self._n)()
        self._trap = ctypes.POINTER(ffi.wasm_trap_t)()
        self.name = name
        size = ctypes.sizeof(ffi.wasmtime_val_raw_t)  # every i32 argument in its own 16-byte slot
        self._pack = struct.Struct("<" + f"I{size - 4}x" * nparams).pack_into

    def __call__(self, *args: int) -> None:
        raw = self._args
        self._pack(raw, 0, *[a & 0xFFFFFFFF for a in args])  # one call sets every slot (addresses >= 2**31 too)
        err = _call_unchecked(self._ctx, self._func, raw, self._n, ctypes.byref(self._trap))
        if err or self._trap:
            self._raise(err)

    def _raise(self, err) -> None:
        if err:
            raise KernelTrap(f"wasm kernel {self.name} failed: {wasmtime.WasmtimeError._from_ptr(err)}")
        trap = wasmtime.Trap._from_ptr(self._trap)
        self._trap = ctypes.POINTER(ffi.wasm_trap_t)()
        raise KernelTrap(f"wasm kernel {self.name} trapped: {trap.message}")


class Runtime:
    """The engine, the shared linear memory and one Store per thread that runs kernels."""

    # NB: Config has setters only, so the settings are kept here: they are the disk cache's fingerprint
    SETTINGS = {"wasm_threads": True, "shared_memory": True, "wasm_simd": True, "wasm_relaxed_simd": True,
                "cranelift_opt_level": "speed"}  # fmt: skip

    def __init__(self, initial_pages: int = 16, cache: ModuleCache | None = None) -> None:
        cfg = wasmtime.Config()
        for name, value in self.SETTINGS.items():
            setattr(cfg, name, value)
        self.engine = wasmtime.Engine(cfg)
        self.fingerprint = repr(sorted(self.SETTINGS.items()))
        self.cache = cache
        self.memory_type = wasmtime.MemoryType(wasmtime.Limits(initial_pages, MAX_PAGES), shared=True)
        self.memory = wasmtime.SharedMemory(self.engine, self.memory_type)
        self._local = threading.local()
        self._view: np.ndarray | None = None
        self.compile_lock = threading.Lock()

    # --- memory ---------------------------------------------------------------------------------
    @property
    def nbytes(self) -> int:
        return self.memory.data_len()

    def grow_to(self, nbytes: int) -> bool:
        """Grow the memory to at least `nbytes`; False when the 4 GiB of memory32 do not suffice."""
        have = self.nbytes
        if nbytes <= have:
            return True
        pages = -(-(nbytes - have) // PAGE)
        if have // PAGE + pages > MAX_PAGES:
            return False
        try:
            self.memory.grow(pages)
        except wasmtime.WasmtimeError:
            return False
        self._view = None  # re-made at the next view()
        return True

    def view(self) -> np.ndarray:
        """A uint8 NumPy view of the whole memory (re-made after growth, which only `grow_to` does here;
        shared memories never move). Cached: asking wasmtime for the length costs a ctypes call."""
        view = self._view
        if view is None:
            n = self.nbytes
            base = ctypes.cast(self.memory.data_ptr(), ctypes.c_void_p).value
            view = self._view = np.ctypeslib.as_array((ctypes.c_uint8 * n).from_address(base))
        return view

    # --- code -----------------------------------------------------------------------------------
    def compile(self, wasm: bytes) -> wasmtime.Module:
        """A module of `wasm`, from the disk cache when it holds one (see `diskcache.py`)."""
        if self.cache is None:
            return wasmtime.Module(self.engine, wasm)
        return self.cache.get_or_compile(
            self.engine, self.fingerprint, wasm, lambda: wasmtime.Module(self.engine, wasm)
        )

    def store(self) -> wasmtime.Store:
        """This thread's Store (Stores are not thread-safe; each thread gets its own)."""
        store = getattr(self._local, "store", None)
        if store is None:
            store = self._local.store = wasmtime.Store(self.engine)
            store.set_limits(instances=100000, memories=100000)
            self._local.instances = {}
        return store

    def function(self, module: wasmtime.Module, name: str, nparams: int) -> FastFunc:
        """`name` exported by this thread's instance of `module` (instantiated once per thread)."""
        store = self.store()
        instances = self._local.instances
        fn = instances.get(id(module))
        if fn is None or fn[0] is not module:
            inst = wasmtime.Instance(store, module, [self.memory])
            fn = instances[id(module)] = (module, FastFunc(store, inst.exports(store)[name], nparams, name))
        return fn[1]
