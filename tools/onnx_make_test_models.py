"""Export the small torch models that jaxnc-onnx's tests and bench use, with saved inputs and outputs.

Run once with a Python that has torch (CPU) and onnx, e.g. a separate venv:
    python -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch==2.13.0 onnx
    /tmp/torchenv/bin/python tools/onnx_make_test_models.py
It writes packages/onnx/tests/data/{mlp,cnn,transformer}.onnx and reference.npz (inputs and torch's
outputs; onnxruntime's outputs too when it is importable), and silero_reference.npz (onnxruntime's
outputs of the silero-vad model fetched from its PyPI wheel), so the tests run without torch/onnxruntime.
"""

from __future__ import annotations

import pathlib
import sys

import numpy as np
import torch
from torch import nn

TESTS = pathlib.Path(__file__).resolve().parents[1] / "packages" / "onnx" / "tests"
OUT = TESTS / "data"
sys.path.insert(0, str(TESTS))
import onnx_material as material  # noqa: E402 - the tests' fetch helpers


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(16, 32), nn.GELU(), nn.Linear(32, 10))

    def forward(self, x):
        return torch.log_softmax(self.net(x), dim=-1)


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1, groups=2)
        self.up = nn.ConvTranspose2d(16, 8, 2, stride=2)
        self.fc = nn.Linear(8, 5)

    def forward(self, x):
        y = torch.max_pool2d(torch.relu(self.bn(self.conv1(x))), 2)
        y = torch.nn.functional.avg_pool2d(torch.relu(self.conv2(y)), 2, ceil_mode=True)
        y = torch.nn.functional.interpolate(self.up(y), scale_factor=2.0, mode="bilinear", align_corners=False)
        return self.fc(y.mean(dim=(2, 3)))


class Block(nn.Module):
    def __init__(self, d=32, heads=4):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, heads, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(d, 64), nn.GELU(), nn.Linear(64, d))

    def forward(self, x):
        h = self.ln1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.ln2(x))


def main() -> None:
    torch.manual_seed(0)
    OUT.mkdir(parents=True, exist_ok=True)
    models = {
        "mlp": (MLP(), torch.randn(4, 16), {0: "batch"}),
        "cnn": (CNN(), torch.randn(2, 3, 16, 16), {0: "batch"}),
        "transformer": (Block(), torch.randn(2, 7, 32), {0: "batch", 1: "seq"}),
    }
    ref = {}
    for name, (model, x, axes) in models.items():
        model.eval()
        if name == "cnn":  # non-trivial BatchNorm statistics
            with torch.no_grad():
                model.bn.running_mean.uniform_(-0.5, 0.5)
                model.bn.running_var.uniform_(0.5, 2.0)
        path = OUT / f"{name}.onnx"
        torch.onnx.export(model, (x,), str(path), dynamo=False, opset_version=17, input_names=["x"],
                          output_names=["y"], dynamic_axes={"x": axes, "y": {0: "batch"}})  # fmt: skip
        with torch.no_grad():
            ref[f"{name}_x"] = x.numpy()
            ref[f"{name}_torch"] = model(x).numpy()
        try:
            import onnxruntime

            sess = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
            ref[f"{name}_ort"] = sess.run(None, {"x": x.numpy()})[0]
        except ImportError:
            pass
        print(name, path.stat().st_size, "bytes")
    np.savez(OUT / "reference.npz", **ref)
    silero = material.wheel_file(*material.SILERO)
    if silero is not None:
        import onnxruntime

        sess = onnxruntime.InferenceSession(str(silero), providers=["CPUExecutionProvider"])
        outs = sess.run(None, material.silero_feeds())
        np.savez(OUT / "silero_reference.npz", **{o.name: v for o, v in zip(sess.get_outputs(), outs, strict=True)})


if __name__ == "__main__":
    main()
