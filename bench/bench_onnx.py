"""jaxnc-onnx benchmark: latency of the exported test models (MLP, CNN, transformer block) and of silero-vad
(a real model from its PyPI wheel, fetched once into the tests' cache; left out when offline) against onnxruntime.

Implementations: `jaxnc[<backend>]` (the model under `jaxnc.jit`, on each requested backend) and
`onnxruntime` (CPUExecutionProvider) when installed; the baseline is onnxruntime when present. The models
are packages/onnx/tests/data/*.onnx (made by tools/onnx_make_test_models.py), run on their saved inputs.
"""

from __future__ import annotations

import pathlib
import sys

import numpy as np

from harness import Case

TESTS = pathlib.Path(__file__).resolve().parents[1] / "packages" / "onnx" / "tests"
DATA = TESTS / "data"
MODELS = {"mlp": "MLP 16-32-10", "cnn": "CNN conv-bn-pool-convT-resize", "transformer": "transformer block d=32 s=7"}


def _jaxnc_impl(path, feeds, backend, static=()):
    """The model under jit on `backend`; `static` feeds are closed over as host values (not traced)."""
    import jaxnc
    from jaxnc_onnx import ONNXModel

    model = ONNXModel(path, device=backend)
    names = [n for n in feeds if n not in static]
    args = [model.put(feeds[n]) for n in names]
    fixed = {n: feeds[n] for n in static}
    # NB: positional arguments: jaxnc.jit's keyword path costs more per call
    run = jaxnc.jit(lambda *xs: model(**dict(zip(names, xs, strict=True)), **fixed))
    return lambda: jaxnc.block_until_ready(run(*args))


def _ort_impl(path, feeds):
    try:
        import onnxruntime
    except ImportError:
        return None
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1  # NB: single-threaded, as jaxnc's cpu backend
    sess = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return lambda: sess.run(None, feeds)


def _case(label, path, feeds, backends, static=()):
    import jaxnc

    impls = {f"jaxnc[{b}]": _jaxnc_impl(path, feeds, b, static) for b in backends or [jaxnc.default_backend()]}
    ort = _ort_impl(path, feeds)
    if ort is not None:
        impls["onnxruntime"] = ort
    return Case(label, impls, baseline="onnxruntime" if ort is not None else next(iter(impls)))


def cases(backends) -> list[Case]:
    """One row per exported model and one for silero-vad; implementations whose libraries are missing are left out."""
    try:
        import jaxnc  # noqa: F401
        import jaxnc_onnx  # noqa: F401
    except ImportError:
        return []
    ref = np.load(DATA / "reference.npz")
    rows = []
    for name, label in MODELS.items():
        x = ref[f"{name}_x"]
        rows.append(_case(f"onnx {label}, batch {x.shape[0]} (jit)", DATA / f"{name}.onnx", {"x": x}, backends))
    sys.path.insert(0, str(TESTS))
    try:
        import onnx_material
    finally:
        sys.path.pop(0)
    silero = onnx_material.wheel_file(*onnx_material.SILERO)
    if silero is not None:
        feeds = onnx_material.silero_feeds()
        rows.append(_case("onnx silero-vad 512 samples (jit, If+LSTM)", silero, feeds, backends, static=("sr",)))
    return rows
