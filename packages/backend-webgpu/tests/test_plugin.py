"""Discovery: the plugin reports adapters, a software adapter is never the default but usable by name."""

import jaxnc
from jaxnc._src.backends.registry import registry
from jaxnc_webgpu.adapters import is_software, survey


def test_plugin_is_registered_and_usable():
    entry = registry.entries["webgpu"]
    assert entry.spec.plugin == "webgpu"
    assert entry.reason is None
    assert [str(d) for d in jaxnc.devices("webgpu")] == [f"webgpu:{i}" for i in range(len(survey()[0]))]


def test_software_adapter_is_never_the_default():
    found, _ = survey()
    entry = registry.entries["webgpu"]
    assert entry.spec.software == found[0].software
    if found[0].software:
        assert "webgpu" not in registry.allowed_platforms() or jaxnc.config.jax_platforms
        assert jaxnc.default_backend() != "webgpu" or "webgpu" in str(jaxnc.config.jax_platforms)


def test_software_names_are_recognized():
    assert is_software({"device": "llvmpipe (LLVM 15.0.6, 256 bits)", "adapter_type": "CPU"})
    assert is_software({"device": "SwiftShader Device (Subzero)", "adapter_type": "Unknown"})
    assert not is_software({"device": "NVIDIA H100 80GB HBM3", "adapter_type": "DiscreteGPU"})
