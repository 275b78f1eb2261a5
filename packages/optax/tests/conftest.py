"""Shared fixtures for jaxnc-optax's tests: the golden file, and real optax when it is installed."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

pytest_plugins = ["jaxnc.testing.plugin"]

GOLDEN_PATH = pathlib.Path(__file__).parent / "data" / "golden.npz"


@pytest.fixture(scope="session")
def golden() -> dict[str, np.ndarray]:
    """Every array that `tools/make_optax_golden.py` recorded with real optax."""
    with np.load(GOLDEN_PATH) as data:
        return {k: data[k] for k in data.files}


@pytest.fixture(scope="session")
def reference():
    """`(optax, jax)` for live comparisons; the test is skipped, with the reason, when they are missing."""
    optax = pytest.importorskip("optax", reason="real optax is not installed; the golden file covers this offline")
    jax = pytest.importorskip("jax", reason="real jax is not installed; the golden file covers this offline")
    return optax, jax
