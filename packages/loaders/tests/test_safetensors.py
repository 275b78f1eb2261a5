"""safetensors: bit-exact agreement with the `safetensors` package both ways, and strict rejection of crafted files."""

from __future__ import annotations

import json
import mmap
import os
import resource
import struct
import tracemalloc

import ml_dtypes
import numpy as np
import pytest
import safetensors as reference
import safetensors.numpy as reference_numpy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jaxnc_loaders import safetensors
from jaxnc_loaders.safetensors import SafetensorError

RNG = np.random.default_rng(0)


def _random(dtype: np.dtype, shape: tuple[int, ...]) -> np.ndarray:
    """Random bits of any dtype, NaN payloads included: the comparison is on bytes, not values."""
    nbytes = int(np.prod(shape)) * np.dtype(dtype).itemsize
    if np.dtype(dtype) == np.bool_:
        return RNG.integers(0, 2, size=shape).astype(np.bool_)
    return RNG.integers(0, 256, size=nbytes, dtype=np.uint8).view(dtype).reshape(shape)


# Every dtype the reference writes from NumPy / ml_dtypes arrays (notes: F4/F6 it refuses).
DTYPES = [
    np.bool_,
    np.uint8,
    np.int8,
    np.int16,
    np.uint16,
    np.float16,
    np.int32,
    np.uint32,
    np.float32,
    np.complex64,
    np.float64,
    np.int64,
    np.uint64,
    ml_dtypes.bfloat16,
    ml_dtypes.float8_e4m3fn,
    ml_dtypes.float8_e5m2,
    ml_dtypes.float8_e8m0fnu,
    ml_dtypes.float8_e4m3fnuz,
    ml_dtypes.float8_e5m2fnuz,
]
SHAPES = [(), (0,), (2, 0), (3,), (2, 3, 5)]


def _tensors() -> dict[str, np.ndarray]:
    return {
        f"{np.dtype(d).name}/{i}": _random(d, shape)
        for d in DTYPES
        for i, shape in enumerate(SHAPES)
    }


def _same(a: np.ndarray, b: np.ndarray) -> None:
    assert a.dtype == b.dtype and a.shape == b.shape
    assert a.tobytes() == b.tobytes()


def test_reads_what_the_reference_writes(tmp_path):
    tensors = _tensors()
    path = tmp_path / "ref.safetensors"
    reference_numpy.save_file(
        tensors, str(path), metadata={"format": "np", "note": "ü"}
    )
    loaded = safetensors.load_file(path, framework="numpy")
    assert set(loaded) == set(tensors)
    for name, array in tensors.items():
        _same(loaded[name], array)
    with safetensors.safe_open(path, framework="numpy") as f:
        assert f.metadata() == {"format": "np", "note": "ü"}
    from_bytes = safetensors.load(path.read_bytes(), framework="numpy")
    for name, array in tensors.items():
        _same(from_bytes[name], array)


def test_reference_reads_what_this_writes(tmp_path):
    tensors = _tensors()
    data = safetensors.save(tensors, metadata={"format": "np"})
    parsed = dict(reference.deserialize(data))
    assert set(parsed) == set(tensors)
    for name, array in tensors.items():
        assert parsed[name]["shape"] == list(array.shape)
        assert bytes(parsed[name]["data"]) == array.tobytes()
    # and byte for byte what the reference writer writes (one metadata key: its map order is its own)
    assert data == reference_numpy.save(tensors, metadata={"format": "np"})
    path = tmp_path / "ours.safetensors"
    safetensors.save_file(tensors, path)
    with reference.safe_open(str(path), framework="numpy") as f:
        assert sorted(f.keys()) == sorted(tensors)
        for name in ("float32/4", "int64/0", "uint8/2"):
            _same(f.get_tensor(name), tensors[name])


def test_safe_open_matches_reference(tmp_path):
    tensors = {
        "w": _random(np.float32, (4, 6)),
        "b": _random(np.int16, (6,)),
        "s": _random(np.float64, ()),
    }
    path = tmp_path / "m.safetensors"
    reference_numpy.save_file(tensors, str(path))
    with (
        safetensors.safe_open(path, framework="numpy") as ours,
        reference.safe_open(str(path), framework="numpy") as ref,
    ):
        assert ours.keys() == list(ref.keys())
        assert ours.metadata() == ref.metadata()
        for index in [
            np.s_[1:3],
            np.s_[:, 2],
            np.s_[::2, 1:5:2],
            np.s_[-1],
            np.s_[...],
        ]:
            got, want = ours.get_slice("w")[index], ref.get_slice("w")[index]
            _same(got, want)
        assert ours.get_slice("w").get_shape() == ref.get_slice("w").get_shape()
        assert ours.get_slice("b").get_dtype() == ref.get_slice("b").get_dtype()
        with pytest.raises(SafetensorError, match="no tensor named 'nope'"):
            ours.get_tensor("nope")


def test_aligned_tensors_are_views_of_the_map_and_unaligned_ones_are_copied(tmp_path):
    array = _random(np.float32, (3, 4))
    body = array.tobytes()
    for pad in (0, 1):  # a 1-byte longer header moves the data off 4-byte alignment
        header = json.dumps(
            {"x": {"dtype": "F32", "shape": [3, 4], "data_offsets": [0, len(body)]}}
        ).encode()
        header += b" " * (-len(header) % 8 + pad)
        path = tmp_path / f"a{pad}.safetensors"
        path.write_bytes(struct.pack("<Q", len(header)) + header + body)
        with safetensors.safe_open(path, framework="numpy") as f:
            x = f.get_tensor("x")
        np.testing.assert_array_equal(x, array)
        assert x.flags.aligned
        root = x
        while isinstance(root, np.ndarray) and root.base is not None:
            root = root.base
        root = root.obj if isinstance(root, memoryview) else root
        assert isinstance(root, mmap.mmap) != bool(pad), (
            "aligned data must be a view of the map, unaligned data a copy"
        )


def test_tensors_are_read_lazily_through_the_map(tmp_path):
    """A 4 GiB tensor in a sparse file: opening it, slicing it and loading it as a view read only the touched pages."""
    n = 2**32
    head = _file({"x": {"dtype": "U8", "shape": [n], "data_offsets": [0, n]}})
    path = tmp_path / "big.safetensors"
    with open(path, "wb") as f:
        f.write(head)
        f.truncate(len(head) + n)  # a hole: no disk blocks, no bytes read until touched
        f.seek(len(head) + n - 4)
        f.write(b"\x01\x02\x03\x04")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    with safetensors.safe_open(path, framework="numpy") as f:
        assert f.get_slice("x")[-4:].tolist() == [1, 2, 3, 4]
        view = f.get_tensor("x")
        assert view.shape == (n,) and view[-1] == 4 and not view.flags.writeable
        del view
    (view,) = safetensors.load_file(path, framework="numpy").values()
    assert view[-2] == 3
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown < 256 * 1024, f"the peak RSS grew by {grown} KiB for a 4 GiB tensor"


def test_f4_round_trips_and_the_reference_reads_the_header():
    values = np.array(
        [0, 0.5, 1, 1.5, 2, 3, 4, 6, -0.5, -6], dtype=ml_dtypes.float4_e2m1fn
    )
    data = safetensors.save({"q": values})
    ((name, info),) = reference.deserialize(data)
    assert (name, info["dtype"], info["shape"], len(info["data"])) == (
        "q",
        "F4",
        [10],
        5,
    )
    _same(safetensors.load(data, framework="numpy")["q"], values)
    with pytest.raises(SafetensorError, match="even count"):
        safetensors.save({"q": values[:3]})


def test_save_refuses_what_it_cannot_write_and_leaves_the_file_alone(tmp_path):
    path = tmp_path / "keep.safetensors"
    safetensors.save_file({"a": np.ones(2, np.float32)}, path)
    before = path.read_bytes()
    for bad, match in [
        ({"a": np.ones(2, np.complex128)}, "complex128 cannot be saved"),
        ({"__metadata__": np.ones(1)}, "not allowed"),
        ({"a": np.array(["x"])}, "cannot be saved"),
    ]:
        with pytest.raises(SafetensorError, match=match):
            safetensors.save_file(bad, path)
    with pytest.raises(SafetensorError, match="metadata"):
        safetensors.save_file({"a": np.ones(1)}, path, metadata={"n": 1})
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["keep.safetensors"], (
        "no temporary file may be left behind"
    )


def test_big_endian_and_strided_inputs_are_saved_little_endian_and_contiguous():
    x = np.arange(12, dtype=">i4").reshape(3, 4)[:, ::2]
    ((_, info),) = reference.deserialize(safetensors.save({"x": x}))
    np.testing.assert_array_equal(
        np.frombuffer(info["data"], "<i4").reshape(info["shape"]), x
    )


# ---- crafted files: each rejected here and by the reference, with a message naming the problem ----


def _file(header: object, body: bytes = b"", *, raw: bytes | None = None) -> bytes:
    text = raw if raw is not None else json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + body


F32x2 = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}
CRAFTED = {
    "empty file": (b"", "header too small"),
    "header longer than the file": (
        struct.pack("<Q", 64) + b"{}",
        "invalid header length",
    ),
    "100 GB header claim": (struct.pack("<Q", 100 * 2**30) + b"{}", "header too large"),
    "header cap + 1": (struct.pack("<Q", 100_000_001) + b"{}", "header too large"),
    "bad JSON": (_file(None, raw=b"{not json"), "invalid JSON"),
    "not an object": (_file([1, 2]), "expected an object"),
    "non-UTF-8": (_file(None, raw=b'{"\xff": 1}'), "invalid UTF-8"),
    "unknown dtype": (
        _file({"t": {**F32x2, "dtype": "Q8"}}, bytes(8)),
        "unknown dtype 'Q8'",
    ),
    "negative offset": (
        _file({"t": {**F32x2, "data_offsets": [-1, 8]}}, bytes(8)),
        "'t': invalid data_offsets",
    ),
    "negative dim": (
        _file({"t": {**F32x2, "shape": [-2]}}, bytes(8)),
        "'t': invalid shape",
    ),
    "float dim": (
        _file({"t": {**F32x2, "shape": [2.0]}}, bytes(8)),
        "'t': invalid shape",
    ),
    "offsets out of range": (
        _file({"t": {**F32x2, "data_offsets": [0, 80]}}, bytes(8)),
        r"'t': shape \[2\] of F32 needs 8 bytes but data_offsets \[0, 80\] span 80",
    ),
    "shape not matching bytes": (
        _file(
            {"t": {"dtype": "I32", "shape": [2, 2], "data_offsets": [0, 4]}}, bytes(4)
        ),
        r"'t': shape \[2, 2\] of I32 needs 16 bytes but data_offsets \[0, 4\] span 4",
    ),
    "shape overflow": (
        _file(
            {"t": {"dtype": "F32", "shape": [2, 2**63 - 1], "data_offsets": [0, 8]}},
            bytes(8),
        ),
        "'t'",
    ),
    "overlapping tensors": (
        _file({"a": F32x2, "b": F32x2}, bytes(8)),
        r"invalid offset for tensor '[ab]'",
    ),
    "hole between tensors": (
        _file({"a": F32x2, "b": {**F32x2, "data_offsets": [12, 20]}}, bytes(20)),
        r"tensor 'b': data_offsets \[12, 20\]",
    ),
    "first tensor not at 0": (
        _file({"a": {**F32x2, "data_offsets": [4, 12]}}, bytes(12)),
        "invalid offset for tensor 'a'",
    ),
    "truncated body": (
        _file({"t": F32x2}, bytes(5)),
        r"'t' has data_offsets \[0, 8\] but the data buffer has only 5 bytes",
    ),
    "offsets past the end": (
        _file({"a": F32x2, "t": {**F32x2, "data_offsets": [8, 16]}}, bytes(8)),
        r"'t' has data_offsets \[8, 16\] but the data buffer has only 8 bytes",
    ),
    "bytes after the data": (_file({"t": F32x2}, bytes(9)), "not fully covered"),
    "duplicate key": (
        _file(
            None,
            raw=b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
            b'"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}',
        )
        + bytes(8),
        "'a'",
    ),
    "non-string metadata": (_file({"__metadata__": {"n": 1}}), "__metadata__"),
    "F4 with 3 elements": (
        _file({"t": {"dtype": "F4", "shape": [3], "data_offsets": [0, 2]}}, bytes(2)),
        "whole number of bytes",
    ),
    "NaN in header": (
        _file(
            None, raw=b'{"t": {"dtype": "F32", "shape": [NaN], "data_offsets": [0, 0]}}'
        ),
        "NaN",
    ),
    "deep nesting": (_file(None, raw=b"[" * 100_000 + b"]" * 100_000), "invalid JSON"),
}


@pytest.mark.parametrize("case", list(CRAFTED))
def test_crafted_files_are_rejected_without_allocating_more_than_the_file(
    case, tmp_path
):
    data, match = CRAFTED[case]
    assert not _reference_accepts(data), "the oracle: the reference rejects it too"
    path = tmp_path / "bad.safetensors"
    path.write_bytes(data)
    tracemalloc.start()
    try:
        with pytest.raises(SafetensorError, match=match):
            safetensors.load_file(path, framework="numpy")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # JSON parsing needs a few times the header's size; nothing may scale with a claimed size.
    assert peak < 8 * len(data) + 256 * 1024, (
        f"{case}: peak {peak} bytes for a {len(data)}-byte file"
    )
    with pytest.raises(SafetensorError, match=match):
        safetensors.load(data, framework="numpy")


ACCEPTED = {
    "empty header": _file({}),
    "leading spaces": _file(None, raw=b"   " + json.dumps({"t": F32x2}).encode())
    + bytes(8),
    "trailing spaces": _file(None, raw=json.dumps({"t": F32x2}).encode() + b"     ")
    + bytes(8),
    "zero-size tensors": _file(
        {
            "a": {"dtype": "I32", "shape": [2, 0], "data_offsets": [0, 0]},
            "b": {"dtype": "I32", "shape": [0, 0], "data_offsets": [0, 0]},
        }
    ),
    "scalar": _file(
        {"t": {"dtype": "F32", "shape": [], "data_offsets": [0, 4]}}, bytes(4)
    ),
    "string metadata": _file({"__metadata__": {"format": "pt"}}),
}


@pytest.mark.parametrize("case", list(ACCEPTED))
def test_edge_cases_the_reference_accepts_load_the_same(case):
    data = ACCEPTED[case]
    want = dict(reference.deserialize(data))
    got = safetensors.load(data, framework="numpy")
    assert set(got) == set(want)
    for name, info in want.items():
        assert list(got[name].shape) == info["shape"]
        assert got[name].tobytes() == bytes(info["data"])


def _reference_accepts(data: bytes) -> bool:
    try:
        reference.deserialize(data)
    except reference.SafetensorError:
        return False
    return True


def _ours_accepts(data: bytes) -> bool:
    try:
        safetensors.load(data, framework="numpy")
    except SafetensorError:
        return False
    return True  # any other exception fails the test: the parser must only raise SafetensorError


VALID = safetensors.save(
    {
        "a": np.arange(3, dtype=np.float32),
        "b": np.ones((2, 2), np.int16),
        "c": np.zeros(0, np.uint8),
    }
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255)),
        min_size=1,
        max_size=4,
    ),
    st.integers(0, len(VALID)),
)
def test_fuzz_mutated_files_agree_with_the_reference(mutations, cut):
    data = bytearray(VALID)
    for index, value in mutations:
        data[index] = value
    data = bytes(data[:cut]) if cut else bytes(data)
    assert _ours_accepts(data) == _reference_accepts(data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64), st.binary(max_size=64))
def test_fuzz_random_headers_never_crash(header, body):
    data = struct.pack("<Q", len(header)) + header + body
    assert _ours_accepts(data) == _reference_accepts(data)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 2**65) | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["a", "b", "__metadata__"]),
        st.fixed_dictionaries(
            {
                "dtype": st.sampled_from(["F32", "U8", "BOOL", "F4", "Q8"])
                | json_values,
                "shape": st.lists(st.integers(0, 4), max_size=3) | json_values,
                "data_offsets": st.lists(st.integers(0, 20), min_size=2, max_size=2)
                | json_values,
            }
        )
        | json_values,
        max_size=3,
    ),
    st.integers(0, 20),
)
def test_fuzz_structured_headers_agree_with_the_reference(header, body_size):
    data = _file(header, bytes(body_size))
    assert _ours_accepts(data) == _reference_accepts(data)
