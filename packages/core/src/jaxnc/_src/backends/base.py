"""The backend protocol (two tiers), devices and core-owned buffers with leak tracking."""

from __future__ import annotations

import collections
import sys
import weakref
from collections.abc import Sequence
from typing import Any

import numpy as np

from jaxnc._src import core


class Device:
    """One device of a backend (`jaxnc.devices()` lists them)."""

    __slots__ = ("backend", "id", "__weakref__")

    def __init__(self, backend: Backend, id: int) -> None:
        self.backend = backend
        self.id = id

    platform = property(lambda self: self.backend.platform)
    device_kind = property(lambda self: getattr(self.backend, "device_kind", self.backend.platform))

    def __repr__(self) -> str:
        return f"{self.backend.platform.capitalize()}Device(id={self.id})"

    def __str__(self) -> str:
        return f"{self.backend.platform}:{self.id}"


# --- buffers: memory owned by core, freed when the last Array referencing it dies ---------------

_live_counts: collections.Counter = collections.Counter()  # device -> number of live buffers
_tracked: dict[int, tuple[weakref.ref, str, str]] = {}  # id(buffer) -> (ref, creation site, aval), while tracking
_tracking_depth = 0
_CORE_PREFIX = __file__.rsplit("_src", 1)[0]


def _creation_site() -> str:
    """The first stack frame outside jaxnc's own source: where the user made this buffer."""
    f = sys._getframe(2)
    while f is not None and f.f_code.co_filename.startswith(_CORE_PREFIX):
        f = f.f_back
    return f"{f.f_code.co_filename}:{f.f_lineno}" if f is not None else "<unknown>"


class Buffer:
    """A backend allocation. Arrays share it by reference; CPython frees it with its last user."""

    __slots__ = ("handle", "device", "nbytes", "__weakref__")

    def __init__(self, handle: Any, device: Device, nbytes: int, aval=None) -> None:
        self.handle = handle
        self.device = device
        self.nbytes = nbytes
        _live_counts[device] += 1
        if _tracking_depth:
            desc = aval.str_short() if aval is not None else "?"
            _tracked[id(self)] = (weakref.ref(self), _creation_site(), desc)

    def __del__(self) -> None:
        try:
            _live_counts[self.device] -= 1
            _tracked.pop(id(self), None)
            self.device.backend.free(self.handle)
        except Exception:
            pass


def live_buffer_counts() -> dict[Device, int]:
    return {d: n for d, n in _live_counts.items() if n}


# --- the protocol --------------------------------------------------------------------------------


_EAGER_CACHE_MAX = 2048


class Executable:
    """What `Backend.compile` returns; backends subclass it."""

    in_avals: list[core.ShapedArray]
    out_avals: list[core.ShapedArray]


class Backend:
    """Memory and execution of jaxprs on some devices.

    Required: `name`, `platform`, `devices`, `supports(dtype)`, `put`, `get`, `free`, `compile`, `run`.
    `execute_primitive` runs one equation eagerly; the default compiles a one-equation jaxpr, cached.
    """

    name = "abstract"
    platform = "abstract"
    software = False  # a software GPU adapter is never chosen by default
    devices: list[Device]

    def supports(self, dtype) -> bool:
        raise NotImplementedError

    def put(self, array: np.ndarray, device: Device) -> Any:
        raise NotImplementedError

    def get(self, handle: Any) -> np.ndarray:
        raise NotImplementedError

    def get_async(self, handle: Any):
        """A future-like object with `.result()`; backends with asynchronous readback override it."""
        return _Done(self.get(handle))

    def free(self, handle: Any) -> None:
        pass

    def block_until_ready(self, handle: Any) -> None:
        pass

    def compile(self, jaxpr: core.Jaxpr) -> Executable:
        raise NotImplementedError

    def run(self, executable: Executable, handles: Sequence[Any], device: Device) -> list[Any]:
        raise NotImplementedError

    def execute_primitive(self, prim, handles, in_avals, params, out_avals, device) -> list[Any]:
        key = _eqn_key(prim, in_avals, params)
        exe = self._eager_cache.get(key) if key is not None else None
        if exe is None:
            jaxpr = one_equation_jaxpr(prim, in_avals, params, out_avals)
            exe = self.compile(jaxpr)
            if key is not None:
                cache = self._eager_cache
                if len(cache) >= _EAGER_CACHE_MAX:  # bounded: a stream of new shapes cannot grow it forever
                    cache.pop(next(iter(cache)))
                cache[key] = exe
        return self.run(exe, handles, device)

    @property
    def _eager_cache(self) -> dict:
        cache = self.__dict__.get("_eager_cache_dict")
        if cache is None:
            cache = self.__dict__["_eager_cache_dict"] = {}
        return cache

    def clear_caches(self) -> None:
        self._eager_cache.clear()


class _Done:
    __slots__ = ("value",)

    def __init__(self, value) -> None:
        self.value = value

    def result(self):
        return self.value


def _eqn_key(prim, in_avals, params):
    key = (prim, tuple(in_avals), tuple(sorted(params.items())))
    try:
        hash(key)
    except TypeError:
        return None
    return key


def one_equation_jaxpr(prim, in_avals, params, out_avals) -> core.Jaxpr:
    invars = [core.Var(a) for a in in_avals]
    outvars = [core.Var(a) for a in out_avals]
    return core.Jaxpr([], invars, outvars, [core.JaxprEqn(prim, invars, params, outvars)])


class PrimitiveBackend(Backend):
    """Tier 1: runs a jaxpr equation by equation through a table of primitive implementations.

    The table maps a primitive to a function over the backend's array library; by default it is the
    primitive's NumPy reference `impl`. A CuPy or PyTorch backend is a new table and `put`/`get`.
    """

    def impl_for(self, prim):
        impl = prim.impl
        if impl is None:
            raise NotImplementedError(f"backend {self.name!r} has no implementation of primitive {prim.name}")
        return impl

    def compile(self, jaxpr: core.Jaxpr) -> Executable:
        from jaxnc._src.backends.interpret import InterpretedJaxpr

        return InterpretedJaxpr(self, jaxpr)

    def run(self, executable, handles, device):
        return executable(handles)
