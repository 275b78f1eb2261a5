"""The shared op and transformation suite on the wasm backend, against the cpu backend."""

from jaxnc.testing import BackendConformance


class TestWasmConformance(BackendConformance):
    backend = "wasm"
    known_gaps: dict[str, str] = {}
