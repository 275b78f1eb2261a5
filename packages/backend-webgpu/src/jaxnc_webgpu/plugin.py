"""The jaxnc.backends entry point of jaxnc-webgpu."""

from __future__ import annotations

from jaxnc.extend import BackendSpec, hookimpl


def _probe() -> str | None:
    return "jaxnc-webgpu 0.1.0 has no kernels yet (issue 6: WGSL renderer and runtime)"


def _create():
    raise RuntimeError(_probe())


@hookimpl
def jaxnc_backends() -> list[BackendSpec]:
    return [BackendSpec(name="webgpu", priority=200, probe=_probe, create=_create)]
