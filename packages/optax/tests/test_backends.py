"""The same golden trajectories on the kernel backends: the updates use only jaxnc's public API, so they must
run, jitted, wherever jaxnc runs. Every row on wasm (≈2 s in all); a subset on webgpu, whose software
adapter takes ≈0.5 s a row. A backend that is not installed or not usable here is skipped with the reason."""

from __future__ import annotations

import golden_cases as gc
import pytest
from test_golden import _assert_trajectory, _random_is_jax_compatible

import jaxnc
import jaxnc.numpy as jnp
import jaxnc_optax

# One row per kind of update: moments, lax.cond (novograd, MultiSteps, apply_if_finite), factored
# second moments, trust ratios, partitions, NaN handling, schedules, random noise.
WEBGPU_ROWS = (
    "adam",
    "clip_adam",
    "novograd",
    "adafactor_factored",
    "lamb",
    "multi_transform_frozen",
    "multi_steps_sum_skip",
    "apply_if_finite",
    "inject_hyperparams_schedule",
    "noisy_sgd",
)
CASES = [("wasm", name) for name in gc.ROWS] + [("webgpu", name) for name in WEBGPU_ROWS]


def _device(backend: str):
    try:
        return jaxnc.devices(backend)[0]
    except RuntimeError as err:
        pytest.skip(f"backend {backend!r} is not usable here: {err}")


@pytest.mark.parametrize(("backend", "name"), CASES)
def test_matches_golden_on_backend(backend: str, name: str, golden: dict) -> None:
    device = _device(backend)
    if name in gc.RANDOM_ROWS and not _random_is_jax_compatible(golden):
        pytest.xfail("jaxnc.random streams are not bit-equal to jax.random, so the noise differs from optax's")
    with jaxnc.default_device(device):
        assert jnp.asarray(0.0).devices() == {device}  # the row really runs there
        actual = gc.run_row(jaxnc_optax, jaxnc, gc.ROWS[name])
    _assert_trajectory(actual, golden[f"traj/{name}"], f"{name} on {backend}")
