"""Real models: the torch-exported MLP/CNN/transformer block and silero-vad (from its PyPI wheel) against
onnxruntime's saved outputs (and onnxruntime itself when installed), eagerly, under jit, on every backend."""

from __future__ import annotations

import os

import numpy as np
import pytest
from onnx_material import DATA, EXPORTED, SILERO, silero_feeds, wheel_file

import jaxnc
from jaxnc_onnx import OnnxError, ONNXModel

REF = np.load(DATA / "reference.npz")
RTOL, ATOL = 1e-4, 1e-5


def _ort(path, feeds):
    ort = pytest.importorskip("onnxruntime", reason="onnxruntime not installed: compared with saved outputs only")
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, feeds)


@pytest.mark.parametrize("name", EXPORTED)
def test_exported_matches_saved_onnxruntime_outputs(name):
    model = ONNXModel(DATA / f"{name}.onnx")
    (y,) = model.run(None, {"x": REF[f"{name}_x"]})
    np.testing.assert_allclose(y, REF[f"{name}_ort"], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(y, REF[f"{name}_torch"], rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", EXPORTED)
def test_exported_jit_matches_eager(name):
    model = ONNXModel(DATA / f"{name}.onnx")
    x = REF[f"{name}_x"]
    (eager,) = model(x=x)
    (jitted,) = jaxnc.jit(model)(x=x)
    np.testing.assert_allclose(np.asarray(jitted), np.asarray(eager), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", EXPORTED)
def test_exported_matches_live_onnxruntime(name):
    path = DATA / f"{name}.onnx"
    x = REF[f"{name}_x"][:1]  # a different batch size than the saved one: dynamic axes
    (want,) = _ort(path, {"x": x})
    np.testing.assert_allclose(ONNXModel(path).run(None, {"x": x})[0], want, rtol=RTOL, atol=ATOL)


def _platforms() -> list[str]:
    """Every usable jaxnc platform, webgpu included when an adapter exists (a software one is not default);
    with JAXNC_REQUIRE_WEBGPU=1 (CI: lavapipe) wasm and webgpu are always included, so a missing one fails."""
    names = set(jaxnc.backends())
    if os.environ.get("JAXNC_REQUIRE_WEBGPU", "") not in ("", "0"):
        names |= {"wasm", "webgpu"}
    try:
        jaxnc.devices("webgpu")
        names.add("webgpu")
    except Exception:  # noqa: BLE001 - no plugin or no adapter: not a platform here
        pass
    return sorted(names)


@pytest.mark.parametrize("backend", _platforms())
@pytest.mark.parametrize("name", EXPORTED)
def test_exported_on_every_backend(name, backend):
    model = ONNXModel(DATA / f"{name}.onnx", device=backend)
    x = model.put(REF[f"{name}_x"])
    (y,) = model.run(None, {"x": x})
    np.testing.assert_allclose(y, REF[f"{name}_ort"], rtol=RTOL, atol=ATOL)
    (yj,) = jaxnc.jit(lambda x: model(x=x))(x)
    np.testing.assert_allclose(np.asarray(yj), REF[f"{name}_ort"], rtol=RTOL, atol=ATOL)


@pytest.fixture(scope="module")
def silero():
    path = wheel_file(*SILERO)
    if path is None:
        pytest.skip(f"{SILERO[0]} could not be downloaded (offline): the real-model check needs it")
    return path


def test_silero_vad_matches_onnxruntime(silero):
    # If + LSTM + Conv + Pad + ReduceMean, exported by spox at opset 16
    model = ONNXModel(silero)
    outs = model.run(None, silero_feeds())
    saved = np.load(DATA / "silero_reference.npz")
    for got, name in zip(outs, model.output_names, strict=True):
        np.testing.assert_allclose(got, saved[name], rtol=RTOL, atol=1e-5)


def test_silero_vad_matches_live_onnxruntime(silero):
    feeds = silero_feeds()
    feeds["input"] = feeds["input"][:, ::-1].copy()  # other samples than the saved ones
    want = _ort(silero, feeds)
    for got, ref in zip(ONNXModel(silero).run(None, feeds), want, strict=True):
        np.testing.assert_allclose(got, ref, rtol=RTOL, atol=1e-5)


@pytest.mark.parametrize("backend", _platforms())
def test_silero_vad_on_every_backend(silero, backend):
    model = ONNXModel(silero, device=backend)
    feeds = silero_feeds()
    sr = feeds.pop("sr")
    x, state = model.put(feeds["input"]), model.put(feeds["state"])
    saved = np.load(DATA / "silero_reference.npz")
    outs = model.run(None, {"input": x, "state": state, "sr": sr})
    jitted = jaxnc.jit(lambda x, state: model(input=x, state=state, sr=sr))(x, state)
    for got, j, name in zip(outs, jitted, model.output_names, strict=True):
        np.testing.assert_allclose(got, saved[name], rtol=RTOL, atol=1e-5)
        np.testing.assert_allclose(np.asarray(j), saved[name], rtol=RTOL, atol=1e-5)


def test_silero_vad_jit_with_static_rate(silero):
    # the sample rate selects the If branch: under jit it must be a host value (a closed-over constant)
    model = ONNXModel(silero)
    feeds = silero_feeds()
    sr = feeds.pop("sr")
    out, state = jaxnc.jit(lambda input, state: model(input=input, state=state, sr=sr))(**feeds)
    saved = np.load(DATA / "silero_reference.npz")
    np.testing.assert_allclose(np.asarray(out), saved["output"], rtol=RTOL, atol=1e-5)
    np.testing.assert_allclose(np.asarray(state), saved["stateN"], rtol=RTOL, atol=1e-5)


def test_silero_vad_with_a_traced_rate_explains_the_if(silero):
    # a traced sample rate makes If trace both branches; the 8 kHz branch cannot take 16 kHz shapes
    model = ONNXModel(silero)
    with pytest.raises(OnnxError, match=r"\(If\): the condition is traced, so both branches are traced"):
        jaxnc.jit(lambda input, state, sr: model(input=input, state=state, sr=sr))(**silero_feeds())
