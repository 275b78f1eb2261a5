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
