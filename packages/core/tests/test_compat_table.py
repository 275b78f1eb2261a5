"""docs/compatibility.md is generated from the code: regenerating it must give the checked-in file."""

import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[3]


def test_compatibility_table_is_up_to_date():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "compat_table.py"), "--check"], capture_output=True,
                            text=True)  # fmt: skip
    assert result.returncode == 0, result.stderr + " (run: python tools/compat_table.py)"


def _compat_table():
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import compat_table
    finally:
        sys.path.pop(0)
    return compat_table


def test_acceptance_coverage():
    """The issue's thresholds: >= 90% of jax.numpy and jax.random, >= 80% of jax.lax, all jax.nn names."""
    compat_table = _compat_table()
    table = compat_table.statuses(json.loads(compat_table.NAMES.read_text()))

    def coverage(mod):
        rows = [r for r in table[mod] if r[1] != "will not"]
        return sum(r[1] in ("supported", "partial") for r in rows) / len(rows)

    assert coverage("jax.numpy") >= 0.9
    assert coverage("jax.random") >= 0.9
    assert coverage("jax.nn") == 1.0
    assert coverage("jax.lax") >= 0.8


def test_every_missing_name_is_explained():
    """"The rest explained": each name jaxnc lacks has a 'not yet' or 'will not' reason, and no reason is left on a
    name jaxnc exports."""
    compat_table = _compat_table()
    spec = json.loads(compat_table.NAMES.read_text())
    assert compat_table.problems(spec) == []
    rows = [r for rows in compat_table.statuses(spec).values() for r in rows if r[1] != "supported"]
    assert rows and all(note for _, _, note in rows)


def test_problems_catch_a_dishonest_spec():
    compat_table = _compat_table()
    spec = {"modules": {"jax.lax": ["add", "no_such_op", "no_such_fn"], "jax.numpy": ["sum"]},
            "partial": {"jax.lax": {"no_such_fn": "x"}, "jax.numpy": {"gone": "y"}},
            "not_yet": {"jax.lax": {"add": "needs an adder"}}}  # fmt: skip
    found = compat_table.problems(spec)
    assert any("no_such_op" in p and "no 'not_yet'" in p for p in found)
    assert any("lax.add" in p and "still has a 'not_yet'" in p for p in found)
    assert any("no_such_fn" in p and "does not export" in p for p in found)
    assert any("numpy.gone" in p and "not among" in p for p in found)
