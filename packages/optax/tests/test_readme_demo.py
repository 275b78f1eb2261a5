"""The README demo (examples/mlp_digits.py) trains with optax.adam to >= 0.9 test accuracy."""

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "mlp_digits.py"


@pytest.mark.skipif(not EXAMPLE.exists(), reason="runs from the repository checkout")
def test_demo_with_adam_reaches_accuracy():
    pytest.importorskip("sklearn", reason="the demo's data set comes from scikit-learn (the demo extra)")
    res = subprocess.run([sys.executable, str(EXAMPLE), "--epochs", "10"], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "adam" in res.stdout
    assert float(res.stdout.strip().splitlines()[-1].split()[-1]) >= 0.9
