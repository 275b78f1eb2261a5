"""Losses against optax on fixed inputs, from the golden file and live."""

from __future__ import annotations

import golden_cases as gc
import numpy as np
import pytest

import jaxnc.numpy as jnp
import jaxnc_optax


def _inputs(asarray) -> dict:
    return {k: asarray(v) for k, v in gc.loss_inputs().items()}


@pytest.mark.parametrize("name", list(gc.LOSSES))
def test_loss_matches_golden(name: str, golden: dict) -> None:
    actual = np.asarray(gc.LOSSES[name](jaxnc_optax, _inputs(jnp.asarray)))
    np.testing.assert_allclose(actual, golden[f"loss/{name}"], rtol=1e-5, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("name", list(gc.LOSSES))
def test_loss_matches_live_optax(name: str, reference) -> None:
    optax, jax = reference
    expected = np.asarray(gc.LOSSES[name](optax, _inputs(jax.numpy.asarray)))
    actual = np.asarray(gc.LOSSES[name](jaxnc_optax, _inputs(jnp.asarray)))
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6, err_msg=name)
