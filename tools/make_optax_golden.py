"""Regenerate jaxnc-optax's golden data with real optax and jax: `python tools/make_optax_golden.py`.

Needs `pip install optax jax` (CPU is enough). Runs every row of
`packages/optax/tests/golden_cases.py` (the same table the tests use) and writes
`packages/optax/tests/data/golden.npz`: each optimizer's parameter trajectory, each schedule's values
over `SCHEDULE_STEPS`, each loss's value, and a few `jax.random` draws that tell the tests whether
jaxnc's random streams are bit-equal to JAX's.
"""

from __future__ import annotations

import importlib.util
import pathlib

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
TESTS = ROOT / "packages" / "optax" / "tests"


def _load_golden_cases():
    spec = importlib.util.spec_from_file_location("golden_cases", TESTS / "golden_cases.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


golden_cases = _load_golden_cases()


def main() -> None:
    """Compute every golden array with optax and save them compressed next to the tests."""
    import jax
    import optax

    out: dict[str, np.ndarray] = {}
    for name, row in golden_cases.ROWS.items():
        out[f"traj/{name}"] = golden_cases.run_row(optax, jax, row)
    steps = jax.numpy.asarray(golden_cases.SCHEDULE_STEPS)
    for name, make in golden_cases.SCHEDULES.items():
        out[f"sched/{name}"] = np.asarray(jax.vmap(make(optax))(steps), dtype=np.float32)
    inputs = golden_cases.loss_inputs()
    for name, fn in golden_cases.LOSSES.items():
        out[f"loss/{name}"] = np.asarray(fn(optax, {k: jax.numpy.asarray(v) for k, v in inputs.items()}))
    key = jax.random.key(0)
    out["random/normal_key0"] = np.asarray(jax.random.normal(key, (4,)))
    out["random/split_key0_normal"] = np.asarray(jax.random.normal(jax.random.split(key)[1], (4,)))
    out["meta/versions"] = np.array([optax.__version__, jax.__version__])
    bad = [k for k, v in out.items() if v.dtype.kind == "f" and not np.all(np.isfinite(v))]
    if bad:
        raise RuntimeError(f"golden data has non-finite values in {bad}; choose gentler hyperparameters")
    path = TESTS / "data" / "golden.npz"
    path.parent.mkdir(exist_ok=True)
    np.savez_compressed(path, **out)
    print(f"wrote {len(out)} arrays, {path.stat().st_size} bytes to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
