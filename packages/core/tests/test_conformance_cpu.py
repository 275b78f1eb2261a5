"""The conformance suite on the NumPy reference backend, against NumPy oracles and finite differences."""

from jaxnc.testing import BackendConformance


class TestCpuConformance(BackendConformance):
    backend = "cpu"
