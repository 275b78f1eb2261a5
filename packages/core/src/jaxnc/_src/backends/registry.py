"""Backend discovery through pluggy (entry-point group `jaxnc.backends`), selection and devices."""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import importlib.metadata
import os
import threading
import warnings
from collections.abc import Callable

import pluggy

from jaxnc._src.config import config

hookspec = pluggy.HookspecMarker("jaxnc")
hookimpl = pluggy.HookimplMarker("jaxnc")
ENTRY_POINT_GROUP = "jaxnc.backends"


class _HookSpecs:
    @hookspec
    def jaxnc_backends(self) -> list[BackendSpec]:
        """Return the backends this plugin offers, as BackendSpec objects."""


@dataclasses.dataclass
class BackendSpec:
    """A backend offered by a plugin.

    Attributes:
      name: platform name used in JAXNC_PLATFORMS and `jaxnc.devices(name)`.
      priority: higher wins when choosing the default (set from bench/ measurements).
      probe: cheap check; returns None when usable, else a human-readable reason.
      create: builds the Backend (heavy imports happen here, on first use).
      software: a software implementation (e.g. a CPU Vulkan adapter) is never the default.
    """

    name: str
    priority: int
    probe: Callable[[], str | None]
    create: Callable[[], object]
    software: bool = False
    plugin: str = ""


@dataclasses.dataclass
class _Entry:
    spec: BackendSpec
    reason: str | None = None  # why it is unusable
    backend: object | None = None


class Registry:
    """Lazily discovered backends. A broken plugin is recorded by name and the others still load."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._entries: dict[str, _Entry] | None = None
        self.broken: dict[str, str] = {}  # plugin name -> error
        self.plugins: list[str] = []

    def _discover(self) -> dict[str, _Entry]:
        pm = pluggy.PluginManager("jaxnc")
        pm.add_hookspecs(_HookSpecs)
        modules: dict[str, object] = {}
        if os.environ.get("JAXNC_DISABLE_PLUGIN_AUTOLOAD", "") not in ("", "0"):
            eps = [ep for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP) if ep.name == "cpu"]
        else:
            eps = list(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP))
        for ep in eps:
            try:
                modules[ep.name] = ep.load()
            except Exception as e:
                self._report_broken(ep.name, e)
        if "cpu" not in modules:  # running from a source tree without installed metadata
            modules["cpu"] = importlib.import_module("jaxnc._src.backends.cpu")
        entries: dict[str, _Entry] = {}
        for name, module in modules.items():
            try:
                pm.register(module, name=name)
            except ValueError:
                continue  # the same module under two entry-point names
            self.plugins.append(name)
        for impl in pm.hook.jaxnc_backends.get_hookimpls():
            try:
                specs = impl.function()
            except Exception as e:
                self._report_broken(impl.plugin_name, e)
                continue
            for spec in specs or ():
                spec.plugin = impl.plugin_name
                entries[spec.name] = _Entry(spec)
        for entry in entries.values():
            try:
                entry.reason = entry.spec.probe()
            except Exception as e:
                entry.reason = f"probe failed: {type(e).__name__}: {e}"
        return entries

    def _report_broken(self, plugin: str, error: Exception) -> None:
        """Record a plugin that failed to load or to list its backends, and warn once (the others still load)."""
        self.broken[plugin] = f"{type(error).__name__}: {error}"
        warnings.warn(f"jaxnc backend plugin {plugin!r} failed to load and is skipped: {self.broken[plugin]} "
                      "(`python -m jaxnc` lists the plugins)", RuntimeWarning, stacklevel=2)  # fmt: skip

    @property
    def entries(self) -> dict[str, _Entry]:
        if self._entries is None:
            with self._lock:
                if self._entries is None:
                    self._entries = self._discover()
        return self._entries

    def reset(self) -> None:
        """Forget discovered backends (tests install plugins and rediscover)."""
        with self._lock:
            self._entries = None
            self.broken = {}
            self.plugins = []
            _default_device_cache.clear()

    def allowed_platforms(self) -> list[str]:
        """The platforms JAXNC_PLATFORMS allows, in order; all usable ones by priority when unset."""
        requested = [p.strip() for p in str(config.jax_platforms or "").split(",") if p.strip()]
        entries = self.entries
        if requested:
            unknown = [p for p in requested if p not in entries]
            if unknown:
                known = ", ".join(f"{n}" + (f" (unusable: {e.reason})" if e.reason else "") for n, e in entries.items())
                raise RuntimeError(f"Unknown backend {unknown[0]!r} in JAXNC_PLATFORMS={config.jax_platforms!r}; "
                                   f"available backends: {known}")
            return requested
        usable = [e for e in entries.values() if e.reason is None and not e.spec.software]
        return [e.spec.name for e in sorted(usable, key=lambda e: -e.spec.priority)]

    def backend(self, name: str):
        entry = self.entries.get(name)
        if entry is None:
            raise RuntimeError(f"Unknown backend {name!r}; available: {', '.join(self.entries)}")
        if entry.backend is None:
            with self._lock:
                if entry.backend is None:
                    if entry.reason is not None:
                        raise RuntimeError(f"Backend {name!r} is not usable: {entry.reason}")
                    try:
                        entry.backend = entry.spec.create()
                    except Exception as e:
                        entry.reason = f"create failed: {type(e).__name__}: {e}"
                        raise RuntimeError(f"Backend {name!r} failed to initialize: {e}") from e
        return entry.backend

    def default_backend(self):
        platforms = self.allowed_platforms()
        errors = []
        for name in platforms:
            try:
                return self.backend(name)
            except RuntimeError as e:
                errors.append(str(e))
        raise RuntimeError("No usable jaxnc backend. " + " ".join(errors))


registry = Registry()
_default_device_cache: dict = {}
_device_override = threading.local()


def default_device():
    dev = getattr(_device_override, "device", None)
    if dev is not None:
        return dev
    dev = _default_device_cache.get("d")
    if dev is None:
        dev = _default_device_cache["d"] = registry.default_backend().devices[0]
    return dev


config.on_change(lambda name, value: _default_device_cache.clear() if name == "jax_platforms" else None)


@contextlib.contextmanager
def default_device_scope(device):
    """`jaxnc.default_device(device)`: arrays made in the block go to `device` (a Device or platform name)."""
    if isinstance(device, str):
        device = devices(device)[0]
    prev = getattr(_device_override, "device", None)
    _device_override.device = device
    try:
        yield device
    finally:
        _device_override.device = prev


def devices(backend: str | None = None) -> list:
    """The devices of `backend` (a platform name), or of the default backend."""
    if backend is None:
        return list(registry.default_backend().devices)
    return list(registry.backend(backend).devices)


def backends() -> dict[str, object]:
    """Every usable backend, created."""
    out = {}
    for name in registry.allowed_platforms():
        with contextlib.suppress(RuntimeError):
            out[name] = registry.backend(name)
    return out
