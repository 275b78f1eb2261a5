"""The NumPy reference backend `cpu`: a PrimitiveBackend over NumPy/BLAS, registered as a plugin."""

from __future__ import annotations

import numpy as np

from jaxnc._src import dtypes
from jaxnc._src.backends.base import Device, PrimitiveBackend
from jaxnc._src.backends.registry import BackendSpec, hookimpl


class CpuBackend(PrimitiveBackend):
    """Buffers are read-only NumPy arrays; every primitive runs its NumPy reference implementation."""

    name = "cpu"
    platform = "cpu"

    def __init__(self) -> None:
        self.devices = [Device(self, 0)]

    def supports(self, dtype) -> bool:
        return np.dtype(dtype) in dtypes.SUPPORTED

    def put(self, array: np.ndarray, device: Device) -> np.ndarray:
        out = np.array(array, copy=True, order="C")
        out.flags.writeable = False
        return out

    def get(self, handle: np.ndarray) -> np.ndarray:
        return handle

    def execute_primitive(self, prim, handles, in_avals, params, out_avals, device):
        outs = self.impl_for(prim)(*handles, **params)
        if not prim.multiple_results:
            outs = (outs,)
        return [_as_result(x, a) for x, a in zip(outs, out_avals, strict=True)]


def _as_result(x, aval) -> np.ndarray:
    if type(x) is not np.ndarray or x.dtype != aval.dtype:
        x = np.asarray(x, dtype=aval.dtype)
    return x


@hookimpl
def jaxnc_backends() -> list[BackendSpec]:
    return [BackendSpec(name="cpu", priority=100, probe=lambda: None, create=CpuBackend)]
