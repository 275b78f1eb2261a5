"""Schedules against optax: every schedule's values over steps 0..129, jitted and eager."""

from __future__ import annotations

import golden_cases as gc
import numpy as np
import pytest

import jaxnc
import jaxnc.numpy as jnp
import jaxnc_optax

EAGER_STEPS = (0, 1, 7, 12, 25, 44, 60, 99, 129)


@pytest.mark.parametrize("name", list(gc.SCHEDULES))
def test_schedule_jitted_matches_golden(name: str, golden: dict) -> None:
    schedule = jaxnc.jit(gc.SCHEDULES[name](jaxnc_optax))
    actual = np.array([np.asarray(schedule(jnp.asarray(s))) for s in gc.SCHEDULE_STEPS], dtype=np.float32)
    np.testing.assert_allclose(actual, golden[f"sched/{name}"], rtol=1e-5, atol=1e-7, err_msg=name)


@pytest.mark.parametrize("name", list(gc.SCHEDULES))
def test_schedule_eager_python_int_matches_golden(name: str, golden: dict) -> None:
    schedule = gc.SCHEDULES[name](jaxnc_optax)
    actual = np.array([np.asarray(schedule(s)) for s in EAGER_STEPS], dtype=np.float32)
    np.testing.assert_allclose(actual, golden[f"sched/{name}"][list(EAGER_STEPS)], rtol=1e-5, atol=1e-7, err_msg=name)


@pytest.mark.parametrize("name", list(gc.SCHEDULES))
def test_schedule_matches_live_optax(name: str, reference) -> None:
    optax, _ = reference
    expected = np.array([np.asarray(gc.SCHEDULES[name](optax)(s)) for s in EAGER_STEPS], dtype=np.float32)
    actual = np.array([np.asarray(gc.SCHEDULES[name](jaxnc_optax)(s)) for s in EAGER_STEPS], dtype=np.float32)
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-7, err_msg=name)
