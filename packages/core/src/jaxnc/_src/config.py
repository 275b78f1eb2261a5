"""Global configuration: JAX's flag names, environment variables, `jaxnc.config.update`."""

from __future__ import annotations

import os


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


class Config:
    """Flags read by the library; `update(name, value)` as in JAX."""

    def __init__(self) -> None:
        values: dict[str, object] = {
            "jax_enable_x64": _env_bool("JAXNC_ENABLE_X64", _env_bool("JAX_ENABLE_X64", False)),
            "jax_platforms": os.environ.get("JAXNC_PLATFORMS", os.environ.get("JAX_PLATFORMS", "")),
            "jax_disable_jit": _env_bool("JAXNC_DISABLE_JIT", False),
            "jaxnc_debug": int(os.environ.get("JAXNC_DEBUG", "0") or 0),
            "jaxnc_jit_cache_size": int(os.environ.get("JAXNC_JIT_CACHE_SIZE", "256")),
            "jax_debug_nans": _env_bool("JAXNC_DEBUG_NANS", False),
        }
        # NB: flags are plain attributes, so reading one on a hot path is a dict lookup
        self.__dict__.update(values)
        self._names = frozenset(values)
        self._listeners: list = []

    def update(self, name: str, value: object) -> None:
        """Set a flag, e.g. `config.update("jax_enable_x64", True)`."""
        if name not in self._names:
            raise AttributeError(f"Unrecognized config option: {name!r}; known: {sorted(self._names)}")
        self.__dict__[name] = value
        for listener in self._listeners:
            listener(name, value)

    def read(self, name: str) -> object:
        if name not in self._names:
            raise AttributeError(f"Unrecognized config option: {name!r}")
        return self.__dict__[name]

    def __getattr__(self, name: str) -> object:
        raise AttributeError(f"Unrecognized config option: {name!r}")

    def on_change(self, listener) -> None:
        self._listeners.append(listener)


config = Config()
