"""The one boundary between the loaders (which work on NumPy arrays) and jaxnc Arrays."""

from __future__ import annotations

from typing import Any

import numpy as np

FRAMEWORKS = ("jaxnc", "numpy")


def check_framework(framework: str) -> str:
    """Returns `framework` normalized ("np" is "numpy"), or raises for an unknown one."""
    name = "numpy" if framework == "np" else framework
    if name not in FRAMEWORKS:
        raise ValueError(
            f"unknown framework {framework!r}; expected one of {FRAMEWORKS} (or 'np')"
        )
    return name


def from_numpy(x: np.ndarray, framework: str, device: Any = None) -> Any:
    """Turns a host ndarray into the requested framework's array.

    For "jaxnc" the array goes through `jaxnc.device_put`, so jaxnc's dtype rules apply
    (64-bit dtypes become 32-bit while x64 is off); for "numpy" it is returned exactly.
    """
    if framework == "numpy":
        if device is not None:
            raise ValueError(
                f"device={device!r} was given with framework='numpy'; expected device=None"
            )
        return x
    import jaxnc  # NB: imported on first use so that parsing files needs only NumPy

    return jaxnc.device_put(x, device)


def to_numpy(x: Any) -> np.ndarray:
    """Reads any array-like (a jaxnc Array, an ndarray, a scalar) back as an ndarray."""
    return np.asarray(x)
