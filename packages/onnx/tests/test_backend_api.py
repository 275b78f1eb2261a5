"""jaxnc_onnx.backend's module contract (as onnxruntime.backend) and the docstring examples."""

from __future__ import annotations

import doctest
import pathlib
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper
from onnx_material import DATA

import jaxnc_onnx.backend as backend
import jaxnc_onnx.model


def test_supports_cpu_only():
    assert backend.supports_device("CPU")
    assert not backend.supports_device("CUDA")


def test_prepare_and_run_model_feed_positionally():
    model = onnx.load(DATA / "mlp.onnx")
    x = np.load(DATA / "reference.npz")["mlp_x"]
    (a,) = backend.prepare(model).run([x])
    (b,) = backend.run_model(model, [x])
    np.testing.assert_array_equal(a, b)
    assert a.shape == (4, 10) and a.dtype == np.float32


def test_run_node_builds_a_one_node_model():
    node = helper.make_node("Add", ["a", "b"], ["c"])
    a, b = np.arange(3, dtype=np.int64), np.int64(2) * np.ones(3, np.int64)
    (c,) = backend.run_node(node, [a, b])
    np.testing.assert_array_equal(c, [2, 3, 4])
    node = helper.make_node("Cast", ["x"], ["y"], to=TensorProto.FLOAT16)
    (y,) = backend.run_node(node, [np.array([1.5, 2.25], np.float32)])
    assert y.dtype == np.float16


def test_docstring_examples_run():
    failures, tried = doctest.testmod(jaxnc_onnx.model, optionflags=doctest.ELLIPSIS)
    assert tried and not failures


def test_docs_coverage_table_is_current():
    root = pathlib.Path(__file__).resolve().parents[3]
    done = subprocess.run([sys.executable, str(root / "tools" / "onnx_coverage.py"), "--check"], capture_output=True,
                          text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr + " (run: python tools/onnx_coverage.py)"
