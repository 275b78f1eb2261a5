"""The binary encoder against wasmtime's own text assembler, instruction by instruction."""

from __future__ import annotations

import pytest
import wasmtime

from jaxnc_wasm import encoder
from jaxnc_wasm.encoder import F32, I32, V128

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _immediates(name: str) -> tuple[tuple, str]:
    """Immediates for `name` in our encoder, and the same in the text format."""
    if name in ("local.get", "local.set", "local.tee"):
        return (0,), "0"
    if name in ("br", "br_if", "call"):
        return (0,), "0"
    if name in ("block", "loop", "if"):
        return (), ""
    if name == "i32.const" or name == "i64.const":
        return (-5,), "-5"
    if name == "f32.const" or name == "f64.const":
        return (1.5,), "1.5"
    if name in ("v128.const", "i8x16.shuffle"):
        lanes = list(range(16))
        return (lanes,), ("i8x16 " if name == "v128.const" else "") + " ".join(map(str, lanes))
    if "_lane" in name and name.startswith(("i", "f")) and "load" not in name:
        return (1,), "1"
    if name in encoder._MEMORY or name in encoder._SIMD_MEMORY:
        return (8,), "offset=8"
    return (), ""


def _body(wat_body: str) -> bytes:
    wasm = wasmtime.wat2wasm(f'(module (import "env" "mem" (memory 1 65536 shared)) (func (local i32) '
                             f"unreachable {wat_body}))")  # fmt: skip
    return bytes(wasm)


def test_every_instruction_matches_wat2wasm():
    wrong = []
    for name in sorted(encoder.OPS - {"else", "end"}):
        imm, text = _immediates(name)
        f = encoder.Function("f", [], [])
        f.local(I32)
        f.op("unreachable")
        f.op(name, *imm)
        closing = " end" if name in ("block", "loop", "if") else ""
        if closing:
            f.op("end")
        if f.body() not in _body(f"{name} {text}{closing}"):
            wrong.append(name)
    assert not wrong


def test_module_validates_and_runs():
    m = encoder.Module(memory_pages=(1, 16), shared=False)
    f = m.function("axpy", [I32, F32], [F32])
    v = f.local(V128)
    f.op("local.get", 1)
    f.op("f32x4.splat")
    f.op("local.set", v)
    f.op("local.get", v)
    f.op("f32x4.extract_lane", 2)
    f.op("local.get", 0)
    f.op("f32.convert_i32_s")
    f.op("f32.mul")
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    mem = wasmtime.Memory(store, wasmtime.MemoryType(wasmtime.Limits(1, 16)))
    inst = wasmtime.Instance(store, wasmtime.Module(engine, m.to_bytes()), [mem])
    assert inst.exports(store)["axpy"](store, 3, 2.5) == 7.5


def test_leb128():
    assert encoder.uleb(624485) == bytes([0xE5, 0x8E, 0x26])
    assert encoder.sleb(-123456) == bytes([0xC0, 0xBB, 0x78])
    assert encoder.sleb(63) == b"\x3f" and encoder.sleb(64) == b"\xc0\x00" and encoder.sleb(-64) == b"\x40"
