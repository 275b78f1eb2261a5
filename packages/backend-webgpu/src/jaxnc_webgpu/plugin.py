"""The jaxnc.backends entry point of jaxnc-webgpu: finds adapters; wgpu kernels load on first use.

The probe enumerates adapters (wgpu-native loads, about 0.1-1 s) because whether the best adapter is
a software one (llvmpipe/lavapipe/SwiftShader) decides whether `webgpu` may be the default.
"""

from __future__ import annotations

from jaxnc.extend import BackendSpec, hookimpl

# Above cpu's 100 on a real GPU; a software adapter is never the default whatever its priority.
PRIORITY = 200


def _survey():
    from jaxnc_webgpu.adapters import survey

    return survey()


def _create():
    from jaxnc_webgpu.backend import create

    return create()


@hookimpl
def jaxnc_backends() -> list[BackendSpec]:
    found, reason = _survey()
    software = not found or found[0].software
    return [BackendSpec(name="webgpu", priority=PRIORITY, probe=lambda: reason, create=_create, software=software)]
