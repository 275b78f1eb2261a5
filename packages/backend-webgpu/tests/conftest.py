"""Every test here needs a WebGPU adapter: skipped without one, failed when JAXNC_REQUIRE_WEBGPU=1 (CI)."""

import os

import pytest

pytest_plugins = ["jaxnc.testing.plugin"]


@pytest.fixture(autouse=True)
def _webgpu_adapter():
    from jaxnc_webgpu.adapters import survey

    found, reason = survey()
    if not found:
        if os.environ.get("JAXNC_REQUIRE_WEBGPU", "") not in ("", "0"):
            pytest.fail(f"JAXNC_REQUIRE_WEBGPU is set but no WebGPU adapter was found: {reason}")
        pytest.skip(f"no WebGPU adapter: {reason}")
