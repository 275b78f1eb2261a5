"""Regenerate jaxnc's JAX golden data with real JAX: `python tools/make_jax_golden.py [ROW_PREFIX ...]`.

Needs a venv with jax (CPU is enough). With prefixes, only the rows whose names start with one are recomputed.

Runs every row of `packages/core/tests/data/jax_golden_cases.py` (the table the test uses) under JAX on CPU
and writes next to it `jax_golden.npz` (one array per result leaf, keyed `row#i`) and `jax_golden.json`
(per row: leaf dtypes, weak types, non-array values, or the exception JAX raised; plus jaxprs kept for
information only and the versions).
"""

from __future__ import annotations

import importlib.util
import json
import pathlib
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT / "packages" / "core" / "tests" / "data"


def _load_cases():
    spec = importlib.util.spec_from_file_location("jax_golden_cases", DATA / "jax_golden_cases.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def main(only: list[str]) -> None:
    """Compute the golden rows with JAX (all, or those whose names start with one of `only`) and save them."""
    import jax

    cases = _load_cases()
    m = cases.namespace(jax)
    arrays: dict[str, np.ndarray] = {}
    facts: dict[str, dict] = {}
    if only:  # keep the stored rows that are still in the table and not recomputed
        keep = [n for n in cases.ROWS if not n.startswith(tuple(only))]
        with np.load(DATA / "jax_golden.npz") as old:
            arrays = {k: old[k] for k in old.files if k.split("#")[0] in keep}
        facts = {n: f for n, f in json.loads((DATA / "jax_golden.json").read_text())["rows"].items() if n in keep}
    for name, row in cases.ROWS.items():
        if name in facts:
            continue
        start = time.perf_counter()
        result = cases.run_row(m, row)
        if time.perf_counter() - start > 2.0:
            print(f"  slow row {name}: {time.perf_counter() - start:.1f}s", flush=True)
        if "error" in result:
            facts[name] = {"error": result["error"], "message": result["message"]}
            continue
        facts[name] = {"leaves": cases.store_leaves(name, result["leaves"], arrays)}
    jaxprs = {}
    for name, (make, args) in cases.JAXPRS.items():
        jaxprs[name] = str(jax.make_jaxpr(make(m))(*args))
    for name, row in cases.ROWS.items():
        if row.jaxpr:
            jaxprs[name] = str(jax.make_jaxpr(lambda: row.fn(m))())
    facts = {n: facts[n] for n in cases.ROWS}  # table order
    out = {"versions": {"jax": jax.__version__, "numpy": np.__version__}, "rows": facts, "jaxprs": jaxprs}
    np.savez_compressed(DATA / "jax_golden.npz", **arrays)
    (DATA / "jax_golden.json").write_text(json.dumps(out, indent=0, sort_keys=True) + "\n")
    errors = sorted(n for n, f in facts.items() if "error" in f)
    print(
        f"{len(facts)} rows ({len(errors)} raise in JAX), {len(arrays)} arrays; "
        f"npz {(DATA / 'jax_golden.npz').stat().st_size} bytes"
    )
    for n in errors:
        print(f"  raises: {n}: {facts[n]['error']}: {facts[n]['message'][:100]}")


if __name__ == "__main__":
    main(sys.argv[1:])
