"""Prove each jaxnc extra installs exactly core plus that sibling, from a local wheel folder with --no-index."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import venv
from pathlib import Path

EXTRAS = {
    "wasm": "jaxnc-wasm",
    "webgpu": "jaxnc-webgpu",
    "optax": "jaxnc-optax",
    "loaders": "jaxnc-loaders",
    "onnx": "jaxnc-onnx",
}
LIST_OURS = (
    "import importlib.metadata as m, json; "
    "print(json.dumps(sorted(d.metadata['Name'].lower() for d in m.distributions() "
    "if d.metadata['Name'].lower().startswith('jaxnc'))))"
)


def main(house: str) -> int:
    failures = []
    for extra, dist in EXTRAS.items():
        with tempfile.TemporaryDirectory() as tmp:
            venv.create(tmp, with_pip=True)
            py = str(Path(tmp) / "bin" / "python")
            subprocess.run(
                [py, "-m", "pip", "install", "-q", "--no-index", "--find-links", house, f"jaxnc[{extra}]"],
                check=True,
            )
            out = subprocess.run([py, "-c", LIST_OURS], check=True, capture_output=True, text=True).stdout
            got = sorted(__import__("json").loads(out))
            want = sorted(["jaxnc", dist])
            smoke = subprocess.run(
                [py, "-c", f"import jaxnc, {dist.replace('-', '_')}; print(jaxnc.numpy.arange(3).sum())"],
                capture_output=True,
                text=True,
            )
            print(f"jaxnc[{extra}] -> {got}; smoke: {smoke.stdout.strip() or smoke.stderr.strip()[-200:]}")
            if got != want:
                failures.append(f"jaxnc[{extra}] installed {got}, expected exactly {want}")
            if smoke.returncode != 0:
                failures.append(f"jaxnc[{extra}] smoke import failed: {smoke.stderr.strip()[-500:]}")
    for f in failures:
        print("FAIL:", f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
