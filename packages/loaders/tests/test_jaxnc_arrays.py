"""The boundary to core: tensors become jaxnc Arrays through `jaxnc.device_put`, and jaxnc Arrays save like ndarrays."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest
import safetensors as reference

import jaxnc
from jaxnc_loaders import safetensors

RNG = np.random.default_rng(1)
TENSORS = {
    "f32": RNG.standard_normal((3, 4)).astype(np.float32),
    "bf16": RNG.standard_normal((5,)).astype(ml_dtypes.bfloat16),
    "i32": RNG.integers(-100, 100, (2, 2)).astype(np.int32),
    "f64": RNG.standard_normal((3,)),
    "i64": np.array([2**40, -7], dtype=np.int64),
    "scalar": np.array(1.5, dtype=np.float32),
}


@pytest.fixture
def path(tmp_path):
    p = tmp_path / "m.safetensors"
    safetensors.save_file(TENSORS, p)
    return p


def test_load_file_returns_jaxnc_arrays_like_device_put(path):
    loaded = safetensors.load_file(path)
    assert set(loaded) == set(TENSORS)
    for name, array in TENSORS.items():
        assert isinstance(loaded[name], jaxnc.Array), name
        want = np.asarray(
            jaxnc.device_put(array)
        )  # the oracle for dtype rules (x64 off: 64 -> 32 bits)
        got = np.asarray(loaded[name])
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)


def test_numpy_framework_keeps_64_bit_dtypes_exact(path):
    loaded = safetensors.load_file(path, framework="numpy")
    for name in ("f64", "i64"):
        assert loaded[name].dtype == TENSORS[name].dtype
        np.testing.assert_array_equal(loaded[name], TENSORS[name])


@pytest.mark.parametrize("device", jaxnc.devices())
def test_tensors_are_placed_on_the_requested_device(path, device):
    with safetensors.safe_open(path, device=device) as f:
        x = f.get_tensor("f32")
        part = f.get_slice("f32")[1:, ::2]
    want = jaxnc.device_put(TENSORS["f32"], device)
    assert x.devices() == want.devices()
    np.testing.assert_array_equal(np.asarray(part), TENSORS["f32"][1:, ::2])


def test_save_accepts_jaxnc_arrays(tmp_path):
    arrays = {name: jaxnc.device_put(a) for name, a in TENSORS.items()}
    data = safetensors.save(arrays)
    parsed = dict(reference.deserialize(data))
    for name, array in arrays.items():
        host = np.asarray(array)
        assert parsed[name]["shape"] == list(host.shape)
        assert bytes(parsed[name]["data"]) == host.tobytes()


def test_numpy_framework_refuses_a_device(path):
    with pytest.raises(ValueError, match="expected device=None"):
        safetensors.load_file(path, device=jaxnc.devices()[0], framework="numpy")
