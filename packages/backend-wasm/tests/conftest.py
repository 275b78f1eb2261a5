import atexit
import os
import shutil
import tempfile

import pytest

pytest_plugins = ["jaxnc.testing.plugin"]

# NB: set before the wasm backend is created (lazily, at first use), so no test writes the user's cache
_CACHE_DIR = tempfile.mkdtemp(prefix="jaxnc-wasm-cache-")
os.environ["JAXNC_WASM_CACHE_DIR"] = _CACHE_DIR
atexit.register(shutil.rmtree, _CACHE_DIR, True)


@pytest.fixture
def x64():
    import jaxnc

    old = jaxnc.config.jax_enable_x64
    jaxnc.config.update("jax_enable_x64", True)
    try:
        yield
    finally:
        jaxnc.config.update("jax_enable_x64", old)
