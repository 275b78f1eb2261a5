"""Regenerate the control-flow golden data with real JAX: `python tools/make_control_flow_golden.py`.

Needs a venv with jax (CPU is enough). Runs every case of `packages/core/tests/data/control_flow_cases.py`
(the examples, the transformation compositions and the error messages) under JAX and writes next to it
`control_flow_golden.npz` (one array per result leaf, keyed `case#i`) and `control_flow_golden.json` (per case:
leaf dtypes, shapes and weak types, or the exception type and normalized message; plus the versions).
"""

from __future__ import annotations

import importlib.util
import json
import pathlib
import sys

import numpy as np

DATA = pathlib.Path(__file__).resolve().parent.parent / "packages" / "core" / "tests" / "data"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, DATA / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def main() -> None:
    import jax

    cases, golden_cases = _load("control_flow_cases"), _load("jax_golden_cases")
    m = cases.namespace(jax)
    arrays: dict[str, np.ndarray] = {}
    facts: dict[str, dict] = {}
    for name, fn in cases.CASES.items():
        try:
            leaves = golden_cases.flatten_result(fn(m))
        except Exception as e:  # noqa: BLE001 - the golden records what JAX raises
            facts[name] = {"error": type(e).__name__, "message": cases.normalize_message(str(e))}
            continue
        facts[name] = {"leaves": golden_cases.store_leaves(name, leaves, arrays)}
    versions = {"jax": jax.__version__, "numpy": np.__version__}
    np.savez_compressed(DATA / "control_flow_golden.npz", **arrays)
    (DATA / "control_flow_golden.json").write_text(json.dumps({"versions": versions, "cases": facts}, indent=1) + "\n")
    print(f"{len(facts)} cases ({sum('error' in f for f in facts.values())} raise in JAX), {len(arrays)} arrays")


if __name__ == "__main__":
    main()
