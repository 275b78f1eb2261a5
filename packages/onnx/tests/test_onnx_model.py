"""ONNXModel's contract: loading (path, bytes, proto, external data), run/call, jit as one program, grad
against finite differences, static shape chains, dynamic-shape ops, per-opset semantics and errors."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper
from onnx_material import DATA

import jaxnc
import jaxnc.numpy as jnp
from jaxnc.testing import check_grads
from jaxnc_onnx import OnnxError, ONNXModel

REF = np.load(DATA / "reference.npz")
F, I64 = TensorProto.FLOAT, TensorProto.INT64


def _model(nodes, inputs, outputs, initializers=(), opset=17):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _vi(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


def test_path_bytes_and_proto_agree():
    path = DATA / "mlp.onnx"
    x = REF["mlp_x"]
    outs = [ONNXModel(m).run(None, {"x": x})[0] for m in (path, str(path), path.read_bytes(), onnx.load(path))]
    for y in outs[1:]:
        np.testing.assert_array_equal(y, outs[0])


def test_external_data(tmp_path):
    proto = onnx.load(DATA / "mlp.onnx")
    onnx.save_model(proto, tmp_path / "m.onnx", save_as_external_data=True, all_tensors_to_one_file=True,
                    location="m.onnx.data", size_threshold=0)  # fmt: skip
    x = REF["mlp_x"]
    np.testing.assert_allclose(
        ONNXModel(tmp_path / "m.onnx").run(None, {"x": x})[0], REF["mlp_ort"], rtol=1e-4, atol=1e-5
    )
    data = (tmp_path / "m.onnx").read_bytes()
    with pytest.raises(OnnxError, match="external data"):
        ONNXModel(data)
    np.testing.assert_allclose(
        ONNXModel(data, base_dir=tmp_path).run(None, {"x": x})[0], REF["mlp_ort"], rtol=1e-4, atol=1e-5
    )


def test_run_returns_numpy_with_declared_dtypes_and_call_returns_arrays():
    m = _model(
        [helper.make_node("ArgMax", ["x"], ["i"], axis=1, keepdims=0)], [_vi("x", F, [2, 3])], [_vi("i", I64, [2])]
    )
    model = ONNXModel(m)
    x = np.array([[1, 3, 2], [5, 4, 0]], np.float32)
    (i,) = model.run(None, {"x": x})
    assert isinstance(i, np.ndarray) and i.dtype == np.int64
    np.testing.assert_array_equal(i, [1, 0])
    (j,) = model(x=x)
    assert isinstance(j, jaxnc.Array)
    np.testing.assert_array_equal(np.asarray(j), [1, 0])


def test_jit_traces_the_whole_graph_into_one_program():
    model = ONNXModel(DATA / "transformer.onnx")
    x = REF["transformer_x"]
    jaxpr = jaxnc.make_jaxpr(lambda x: model(x=x))(jnp.asarray(x))
    assert len(jaxpr.jaxpr.eqns) > 20  # one program: every node's ops, no host round-trips
    (y,) = jaxnc.jit(model)(x=x)
    np.testing.assert_allclose(np.asarray(y), REF["transformer_ort"], rtol=1e-4, atol=1e-5)


def test_params_are_a_pytree_and_grad_matches_finite_differences():
    model = ONNXModel(DATA / "mlp.onnx")
    assert all(isinstance(v, jaxnc.Array) for v in model.params.values()) and len(model.params) == 4
    x = jnp.asarray(REF["mlp_x"])
    target = jnp.asarray(np.eye(10, dtype=np.float32)[[1, 3, 5, 7]])

    def loss(params):
        (logp,) = model.apply(params, {"x": x})
        return -jnp.sum(logp * target)

    grads = jaxnc.grad(loss)(model.params)
    assert set(grads) == set(model.params)
    check_grads(loss, (model.params,), order=1, modes=("rev",), eps=1e-2, rtol=2e-2, atol=2e-2)


def test_shape_chain_stays_static_under_jit():
    # y = Reshape(x, Concat(Shape(x)[0:1], [-1])): the target shape is computed from x's shape
    nodes = [helper.make_node("Shape", ["x"], ["s"]),
             helper.make_node("Gather", ["s", "zero"], ["b"], axis=0),
             helper.make_node("Unsqueeze", ["b", "zero"], ["b1"]),
             helper.make_node("Concat", ["b1", "minus1"], ["shape"], axis=0),
             helper.make_node("Reshape", ["x", "shape"], ["y"])]  # fmt: skip
    inits = [helper.make_tensor("zero", I64, [1], [0]), helper.make_tensor("minus1", I64, [1], [-1])]
    inits[0] = helper.make_tensor("zero", I64, [], [0])
    m = _model(nodes, [_vi("x", F, ["n", 3, 4])], [_vi("y", F, ["n", 12])], inits)
    model = ONNXModel(m)
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    (y,) = jaxnc.jit(model)(x=x)
    np.testing.assert_array_equal(np.asarray(y), x.reshape(2, 12))


def test_nonzero_runs_eagerly_and_is_refused_under_jit():
    m = _model([helper.make_node("NonZero", ["x"], ["i"], name="nz")], [_vi("x", F, [4])], [_vi("i", I64, [1, None])])
    model = ONNXModel(m)
    x = np.array([0, 2, 0, 3], np.float32)
    np.testing.assert_array_equal(model.run(None, {"x": x})[0], [[1, 3]])
    with pytest.raises(OnnxError, match=r"node 'nz' \(NonZero\).*traced value under jit"):
        jaxnc.jit(model)(x=x)


def test_loop_with_static_trip_count_under_jit():
    body = helper.make_graph([helper.make_node("Identity", ["cond"], ["cond_out"]),
                              helper.make_node("Add", ["acc", "x"], ["acc_out"])], "body",
                             [_vi("i", I64, []), _vi("cond", TensorProto.BOOL, []), _vi("acc", F, [2])],
                             [_vi("cond_out", TensorProto.BOOL, []), _vi("acc_out", F, [2])])  # fmt: skip
    m = _model([helper.make_node("Loop", ["n", "", "init"], ["out"], body=body)],
               [_vi("x", F, [2]), _vi("init", F, [2])], [_vi("out", F, [2])],
               [helper.make_tensor("n", I64, [], [3])])  # fmt: skip
    model = ONNXModel(m)
    x, init = np.ones(2, np.float32), np.zeros(2, np.float32)
    (out,) = jaxnc.jit(model)(x=x, init=init)
    np.testing.assert_array_equal(np.asarray(out), [3, 3])


# One row per opset-dependent semantics: (op, opset, attributes, input, NumPy reference)
_X = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


OPSET_ROWS = [
    ("Softmax", 11, {}, _X, _softmax(_X.reshape(2, 12), 1).reshape(_X.shape)),  # coerced to 2-D at axis=1
    ("Softmax", 13, {}, _X, _softmax(_X, -1)),
    ("Softmax", 11, {"axis": 2}, _X, _softmax(_X, 2)),
    ("ReduceSum", 11, {"axes": [1], "keepdims": 0}, _X, _X.sum(1)),
    ("Squeeze", 11, {"axes": [0]}, _X[:1], _X[0]),
]


@pytest.mark.parametrize(("op", "opset", "attrs", "x", "want"), OPSET_ROWS, ids=lambda v: str(v)[:12])
def test_opset_dependent_semantics(op, opset, attrs, x, want):
    m = _model([helper.make_node(op, ["x"], ["y"], **attrs)], [_vi("x", F, list(x.shape))], [_vi("y", F, list(want.shape))],
               opset=opset)  # fmt: skip
    np.testing.assert_allclose(ONNXModel(m).run(None, {"x": x})[0], want, rtol=1e-5, atol=1e-6)


def test_bad_protobuf_is_reported():
    with pytest.raises(OnnxError, match="not a valid ONNX ModelProto"):
        ONNXModel(b"\x08\x07garbage\xff\xff")


def test_unknown_op_names_the_node():
    m = _model([helper.make_node("Frobnicate", ["x"], ["y"], name="f1", domain="example.com")],
               [_vi("x", F, [2])], [_vi("y", F, [2])])  # fmt: skip
    m.opset_import.append(helper.make_opsetid("example.com", 1))
    with pytest.raises(OnnxError, match=r"node 'f1' \(example.com::Frobnicate\): unsupported op type"):
        ONNXModel(m, check=False)


def test_wrong_input_shape_dtype_and_names_are_reported():
    model = ONNXModel(DATA / "mlp.onnx")
    with pytest.raises(OnnxError, match=r"input 'x': expected shape \('batch', 16\)|input 'x': expected shape"):
        model.run(None, {"x": np.zeros((4, 15), np.float32)})
    with pytest.raises(OnnxError, match="input 'x': expected dtype FLOAT"):
        model.run(None, {"x": np.zeros((4, 16), np.int32)})
    with pytest.raises(OnnxError, match=r"input 'x': expected dtype FLOAT \(float32\), got float64"):
        model.run(None, {"x": np.zeros((4, 16), np.float64)})  # NumPy feeds exactly, as onnxruntime
    with pytest.raises(OnnxError, match="input 'x': expected dtype FLOAT"):
        model(x=jnp.zeros((4, 16), jnp.int32))  # jaxnc arrays are checked too
    with pytest.raises(OnnxError, match="missing inputs"):
        model.run(None, {})
    with pytest.raises(OnnxError, match="unknown inputs"):
        model.run(None, {"x": REF["mlp_x"], "z": REF["mlp_x"]})


def test_runtime_failure_names_the_node():
    m = _model([helper.make_node("MatMul", ["a", "b"], ["y"], name="mm")], [_vi("a", F, ["m", "k"]), _vi("b", F, ["k2", "n"])],
               [_vi("y", F, ["m", "n"])])  # fmt: skip
    with pytest.raises(OnnxError, match=r"node 'mm' \(MatMul\)"):
        ONNXModel(m).run(None, {"a": np.ones((2, 3), np.float32), "b": np.ones((4, 5), np.float32)})


def _if_model():
    def branch(name, op):
        return helper.make_graph([helper.make_node(op, ["x"], [f"{name}_y"])], name, [], [_vi(f"{name}_y", F, [3])])

    nodes = [helper.make_node("ReduceSum", ["x"], ["s"], keepdims=0),
             helper.make_node("Greater", ["s", "zero"], ["c"]),
             helper.make_node("If", ["c"], ["y"], then_branch=branch("then", "Exp"), else_branch=branch("else", "Neg"))]  # fmt: skip
    return _model(nodes, [_vi("x", F, [3])], [_vi("y", F, [3])], [helper.make_tensor("zero", F, [], [0.0])])


def test_if_with_a_traced_condition_goes_through_lax_cond():
    model = ONNXModel(_if_model())
    f = jaxnc.jit(model)
    for x in (np.array([1.0, 2.0, -0.5], np.float32), np.array([-1.0, -2.0, 0.5], np.float32)):
        want = np.exp(x) if x.sum() > 0 else -x
        np.testing.assert_allclose(np.asarray(f(x=x)[0]), want, rtol=1e-6)
        np.testing.assert_allclose(model.run(None, {"x": x})[0], want, rtol=1e-6)


def test_data_dependent_reshape_is_refused_under_jit_with_the_node_named():
    nodes = [helper.make_node("Cast", ["x"], ["shape"], to=TensorProto.INT64),
             helper.make_node("Reshape", ["v", "shape"], ["y"], name="r")]  # fmt: skip
    m = _model(nodes, [_vi("x", F, [2]), _vi("v", F, [6])], [_vi("y", F, ["a", "b"])])
    model = ONNXModel(m)
    feeds = {"x": np.array([2, 3], np.float32), "v": np.arange(6, dtype=np.float32)}
    assert model.run(None, feeds)[0].shape == (2, 3)  # eagerly the values are known
    with pytest.raises(OnnxError, match=r"node 'r' \(Reshape\): the target shape must be known"):
        jaxnc.jit(model)(**feeds)


def test_max_roi_pool_matches_onnxruntime():
    # no ONNX backend case exercises MaxRoiPool; onnxruntime implements it
    ort = pytest.importorskip("onnxruntime", reason="onnxruntime not installed: no oracle for MaxRoiPool")
    node = helper.make_node("MaxRoiPool", ["x", "rois"], ["y"], pooled_shape=[2, 3], spatial_scale=0.5)
    m = _model([node], [_vi("x", F, [2, 3, 8, 10]), _vi("rois", F, [3, 5])], [_vi("y", F, [3, 3, 2, 3])], opset=13)
    rng = np.random.default_rng(0)
    feeds = {"x": rng.standard_normal((2, 3, 8, 10)).astype(np.float32),
             "rois": np.array([[0, 0, 0, 19, 15], [1, 4, 2, 11, 9], [0, 6, 6, 7, 7]], np.float32)}  # fmt: skip
    m.ir_version = 8  # what onnxruntime reads
    want = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    np.testing.assert_allclose(ONNXModel(m).run(None, feeds)[0], want, rtol=1e-6)


def test_training_mode_dropout_keeps_one_minus_ratio_scaled():
    # the backend suite's expected masks come from NumPy's generator; check the law instead
    node = helper.make_node("Dropout", ["x", "r", "t"], ["y", "mask"], seed=3)
    m = _model([node], [_vi("x", F, [100, 100]), _vi("r", F, []), _vi("t", TensorProto.BOOL, [])],
               [_vi("y", F, [100, 100]), _vi("mask", TensorProto.BOOL, [100, 100])], opset=13)  # fmt: skip
    model = ONNXModel(m)
    x = np.random.default_rng(1).standard_normal((100, 100)).astype(np.float32)
    feeds = {"x": x, "r": np.float32(0.3), "t": np.bool_(True)}
    y, mask = model.run(None, feeds)
    assert mask.dtype == np.bool_ and abs(mask.mean() - 0.7) < 0.03  # 10,000 draws: std 0.0046
    np.testing.assert_allclose(y, np.where(mask, x / np.float32(0.7), 0), rtol=1e-6)
    y2, mask2 = jaxnc.jit(lambda x, r: model(x=x, r=r, t=np.bool_(True)))(x, np.float32(0.3))
    np.testing.assert_array_equal(np.asarray(mask2), mask)  # the same seed, eager or jitted
    y, mask = model.run(None, {**feeds, "t": np.bool_(False)})
    assert mask.all()
    np.testing.assert_array_equal(y, x)
