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
        self._values: dict[str, object] = {
            "jax_enable_x64": _env_bool("JAXNC_ENABLE_X64", _env_bool("JAX_ENABLE_X64", False)),
            "jax_platforms": os.environ.get("JAXNC_PLATFORMS", os.environ.get("JAX_PLATFORMS", "")),
            "jax_disable_jit": _env_bool("JAXNC_DISABLE_JIT", False),
            "jaxnc_debug": int(os.environ.get("JAXNC_DEBUG", "0") or 0),
            "jaxnc_jit_cache_size": int(os.environ.get("JAXNC_JIT_CACHE_SIZE", "256")),
            "jax_debug_nans": _env_bool("JAXNC_DEBUG_NANS", False),
        }
        self._listeners: list = []

    def update(self, name: str, value: object) -> None:
        """Set a flag, e.g. `config.update("jax_enable_x64", True)`."""
        if name not in self._values:
            raise AttributeError(f"Unrecognized config option: {name!r}; known: {sorted(self._values)}")
        self._values[name] = value
        for listener in self._listeners:
            listener(name, value)

    def read(self, name: str) -> object:
        return self._values[name]

    def __getattr__(self, name: str) -> object:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"Unrecognized config option: {name!r}") from None

    def on_change(self, listener) -> None:
        self._listeners.append(listener)


config = Config()
