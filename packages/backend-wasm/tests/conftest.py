import atexit
import os
import shutil
import tempfile

pytest_plugins = ["jaxnc.testing.plugin"]

# NB: set before the wasm backend is created (lazily, at first use), so no test writes the user's cache
_CACHE_DIR = tempfile.mkdtemp(prefix="jaxnc-wasm-cache-")
os.environ["JAXNC_WASM_CACHE_DIR"] = _CACHE_DIR
atexit.register(shutil.rmtree, _CACHE_DIR, True)
