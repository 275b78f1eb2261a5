"""The jaxnc.backends entry point of jaxnc-wasm: cheap to import; wasmtime loads on first use."""

from __future__ import annotations

from jaxnc.extend import BackendSpec, hookimpl

# Below cpu's 100 until wasm beats NumPy on the bench (see docs/backend-wasm.md), so cpu stays the default.
PRIORITY = 50


def _probe() -> str | None:
    from importlib.util import find_spec

    if find_spec("wasmtime") is None:
        return "the wasmtime package is not installed (pip install wasmtime)"
    return None


def _create():
    from jaxnc_wasm.backend import WasmBackend

    return WasmBackend()


@hookimpl
def jaxnc_backends() -> list[BackendSpec]:
    return [BackendSpec(name="wasm", priority=PRIORITY, probe=_probe, create=_create)]
