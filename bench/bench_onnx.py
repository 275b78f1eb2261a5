"""jaxnc-onnx benchmark: latency of the exported test models (MLP, CNN, transformer block) against onnxruntime.

Implementations: `jaxnc[<backend>]` (the model under `jaxnc.jit`, on each requested backend) and
`onnxruntime` (CPUExecutionProvider) when installed; the baseline is onnxruntime when present. The models
are packages/onnx/tests/data/*.onnx (made by tools/onnx_make_test_models.py), run on their saved inputs.
"""

from __future__ import annotations

import pathlib

import numpy as np

from harness import Case

DATA = pathlib.Path(__file__).resolve().parents[1] / "packages" / "onnx" / "tests" / "data"
MODELS = {"mlp": "MLP 16-32-10", "cnn": "CNN conv-bn-pool-convT-resize", "transformer": "transformer block d=32 s=7"}


def _jaxnc_impl(path, x, backend):
    import jaxnc
    from jaxnc_onnx import ONNXModel

    model = ONNXModel(path, device=backend)
    xs = model.put(x)
    run = jaxnc.jit(lambda x: model(x=x))  # NB: positional: jaxnc.jit's keyword path costs more per call
    return lambda: jaxnc.block_until_ready(run(xs))


def _ort_impl(path, x):
    try:
        import onnxruntime
    except ImportError:
        return None
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1  # NB: single-threaded, as jaxnc's cpu backend
    sess = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return lambda: sess.run(None, {"x": x})


def cases(backends) -> list[Case]:
    """One row per exported model; implementations whose libraries are missing are left out."""
    try:
        import jaxnc
        import jaxnc_onnx  # noqa: F401
    except ImportError:
        return []
    ref = np.load(DATA / "reference.npz")
    rows = []
    for name, label in MODELS.items():
        path, x = DATA / f"{name}.onnx", ref[f"{name}_x"]
        impls = {}
        for backend in backends or [jaxnc.default_backend()]:
            impls[f"jaxnc[{backend}]"] = _jaxnc_impl(path, x, backend)
        ort = _ort_impl(path, x)
        if ort is not None:
            impls["onnxruntime"] = ort
        baseline = "onnxruntime" if ort is not None else next(iter(impls))
        rows.append(Case(f"onnx {label}, batch {x.shape[0]} (jit)", impls, baseline=baseline))
    return rows
