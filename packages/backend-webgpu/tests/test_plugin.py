"""The skeleton plugin is discovered through the entry point and reports why it is not usable."""

import jaxnc
from jaxnc._src.backends.registry import registry


def test_webgpu_plugin_is_registered_with_a_reason():
    entry = registry.entries["webgpu"]
    assert entry.spec.plugin == "webgpu"
    assert "issue 6" in entry.reason
    assert jaxnc.default_backend() != "webgpu"
