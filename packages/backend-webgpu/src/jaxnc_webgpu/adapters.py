"""Which wgpu adapters jaxnc uses, in which order (`webgpu:0..n`), and which of them are software."""

from __future__ import annotations

import dataclasses
import functools
import os

# Substrings of adapter names that mark a CPU implementation of Vulkan/D3D12/Metal.
SOFTWARE_NAMES = ("llvmpipe", "lavapipe", "swiftshader", "softpipe", "microsoft basic render", "warp")
# OpenGL adapters are left out: wgpu's GL backend lacks most compute limits and duplicates a Vulkan adapter.
BACKENDS = ("Vulkan", "Metal", "D3D12")
_TYPE_ORDER = {"DiscreteGPU": 0, "IntegratedGPU": 1, "VirtualGPU": 2, "Unknown": 3, "CPU": 4}


@dataclasses.dataclass(frozen=True)
class Adapter:
    adapter: object  # wgpu.GPUAdapter
    name: str
    backend: str
    adapter_type: str
    software: bool

    def __str__(self) -> str:
        return f"{self.name} via {self.backend}" + (" (software)" if self.software else "")


def is_software(info) -> bool:
    text = f"{info.get('device', '')} {info.get('vendor', '')} {info.get('description', '')}".lower()
    return info.get("adapter_type") == "CPU" or any(s in text for s in SOFTWARE_NAMES)


@functools.cache
def survey() -> tuple[tuple[Adapter, ...], str | None]:
    """Usable adapters (hardware first, then software) and, when there are none, the reason."""
    os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")  # silences a loader warning on headless Linux
    try:
        import wgpu
    except ImportError as e:
        return (), f"the wgpu package is not installed ({e}); pip install wgpu"
    try:
        found = wgpu.gpu.enumerate_adapters_sync()
    except Exception as e:  # noqa: BLE001 - a broken driver must not break jaxnc's discovery
        return (), f"wgpu could not enumerate adapters: {type(e).__name__}: {e}"
    adapters = []
    for a in found:
        info = a.info
        if info.get("backend_type") not in BACKENDS:
            continue
        adapters.append(Adapter(a, info.get("device") or a.summary, info["backend_type"],
                                info.get("adapter_type", "Unknown"), is_software(info)))  # fmt: skip
    adapters.sort(key=lambda x: (x.software, _TYPE_ORDER.get(x.adapter_type, 3)))
    if not adapters:
        seen = ", ".join(a.summary for a in found) or "none"
        return (), (f"no Vulkan, Metal or D3D12 adapter found (adapters seen: {seen}); on Debian/Ubuntu "
                    "`apt-get install mesa-vulkan-drivers` gives a software Vulkan adapter")  # fmt: skip
    return tuple(adapters), None
