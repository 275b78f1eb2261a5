"""The README demo trains to >= 0.9 test accuracy on the default backend (SGD here: core only; the
optax package runs it with Adam)."""

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "mlp_digits.py"


@pytest.mark.skipif(not EXAMPLE.exists(), reason="runs from the repository checkout")
def test_mlp_digits_demo_reaches_accuracy():
    res = subprocess.run([sys.executable, str(EXAMPLE), "--epochs", "15", "--optimizer", "sgd"], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    acc = float(res.stdout.strip().splitlines()[-1].split()[-1])
    assert acc >= 0.9


README = EXAMPLE.parents[1] / "README.md"


@pytest.mark.skipif(not README.exists(), reason="runs from the repository checkout")
def test_readme_tour_runs_as_written():
    # regression: the tour's check_leaks block left `x` alive and raised LeakError
    import re

    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert blocks, "the README has a Python tour"
    for code in blocks:
        exec(compile(code, str(README), "exec"), {})  # noqa: S102 - the project's own README
