"""ONNX's own backend test suite (all 2,033 CPU cases of onnx 1.23) against jaxnc_onnx.backend.

Cases listed in backend_ledger.txt are expected to fail (strict xfail: a listed case that passes fails the
run, so fixed cases must leave the ledger); every other case must pass. The pass count is printed at the
end of the run. Regenerate the ledger with `python tools/onnx_backend_ledger.py`.
"""

from __future__ import annotations

import os
import tempfile

import onnx.backend.test
import pytest

import jaxnc
import jaxnc_onnx.backend

# NB: the light/real model kinds write test data under $ONNX_HOME; keep that out of the home folder
os.environ.setdefault("ONNX_HOME", os.path.join(tempfile.gettempdir(), "jaxnc-onnx-home"))

_suite = onnx.backend.test.BackendTest(jaxnc_onnx.backend, __name__)
# Every kind on CPU: node cases (1,884), the light real models (9, offline in the wheel), simple (23),
# pytorch-converted (82) and pytorch-operator (35); the CUDA copies would only be collected to be skipped.


def _cpu_only(cls: type) -> type:
    for name in [n for n in vars(cls) if n.startswith("test_") and not n.endswith("_cpu")]:
        delattr(cls, name)
    return cls


globals().update({kind: _cpu_only(cls) for kind, cls in _suite.test_cases.items()})


@pytest.fixture(scope="module", autouse=True)
def _leak_check_whole_suite():
    """One leak check around all 2,033 cases (a per-case check costs two gc passes, ~0.2 s each)."""
    with jaxnc.check_leaks():
        yield
