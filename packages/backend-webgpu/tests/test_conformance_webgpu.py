"""The shared op and transformation suite on the webgpu backend, against the cpu backend."""

from jaxnc.testing import BackendConformance


class TestWebGPUConformance(BackendConformance):
    backend = "webgpu"
    known_gaps: dict[str, str] = {}
