"""jaxnc against real JAX: every row of data/jax_golden_cases.py, compared with data/jax_golden.{npz,json}.

The golden files come from `tools/make_jax_golden.py` run with JAX installed; this test runs offline.
Integers, bools, random bits, dtypes and weak types must be equal; floats agree to the row's tolerance
(by dtype unless the row says otherwise) with NaN and infinity positions equal and the sign of real zeros
equal; subnormal values count as zeros (XLA on CPU flushes them).
Rows where jaxnc deliberately differs are in KNOWN_DIFFERENCES (xfail, strict) and in docs/decisions.md.
"""

from __future__ import annotations

import importlib.util
import json
import pathlib
import sys

import ml_dtypes
import numpy as np
import pytest

import jaxnc

DATA = pathlib.Path(__file__).parent / "data"
# the rows feed NaN, inf and out-of-range values on purpose; 64-bit requests with x64 off are truncated on purpose
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning", "ignore:Explicitly requested dtype:UserWarning")


def _load_cases():
    spec = importlib.util.spec_from_file_location("jax_golden_cases", DATA / "jax_golden_cases.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


cases = _load_cases()
# NB: rows stay JSON text until used: strings are not tracked by the garbage collector, so the leak check's
# gc.collect() around every test does not walk ~100k parsed objects (that tripled the runtime)
GOLDEN = {name: json.dumps(row) for name, row in json.loads((DATA / "jax_golden.json").read_text())["rows"].items()}
ARRAYS = np.load(DATA / "jax_golden.npz")
M = cases.namespace(jaxnc)

# row name (or its prefix up to a "/") -> why jaxnc differs from JAX there.
KNOWN_DIFFERENCES: dict[str, str] = {
    **{
        f"random/{n}": "jaxnc's binomial sampler consumes random bits differently from JAX's BTRS (same "
        "distribution, other draws); multinomial builds on it"
        for n in ("binomial", "binomial_arr/k42", "binomial_arr/kbig", "multinomial", "multinomial_shape")
    },
    "unary/complex_inf": "complex functions at infinities follow NumPy (C99 Annex G); XLA gives NaN in places",
    "unary/round_int_decimals": "jnp.round of integers with negative decimals rounds; JAX raises NotImplementedError",
    "index/static_oob_error": "a static out-of-bounds integer index raises IndexError (docs/decisions.md); JAX clamps",
    "dtypes/int8_plus_300": "jnp.int8 is NumPy's scalar type, so jnp.int8(3) is a NumPy scalar with NumPy arithmetic",
    "binary/clip": "jnp.int8(5) is a NumPy scalar (see dtypes/int8_plus_300); NumPy rejects 300 for int8",
    "cast/bitcast": "lax.bitcast_convert_type between different widths is not implemented",
    "lax/dot_int8_pref": "preferred_element_type does not widen the int8 accumulation",
    "misc/einsum_int": "preferred_element_type does not widen the int8 accumulation",
    "lax/igamma": "lax.igamma requires equal shapes; JAX broadcasts",
    "lax/igammac": "lax.igammac requires equal shapes; JAX broadcasts",
    "index/take": "jnp.take(mode='wrap') is not implemented",
    "special/ndtri": "ndtri(1e-20) underflows to -inf (float32 erfinv path); JAX returns -9.26",
    "special/kl_div": "kl_div outside its domain is inf; JAX gives NaN",
    "special/gammainc": "gammainc with a = 0 is NaN; JAX gives 1 (gammaincc 0)",
    "special/gammaincc": "gammaincc with a = 0 is NaN; JAX gives 0",
    "special/zeta": "zeta outside x > 1 / q > 0 gives inf/0; JAX gives NaN",
    "special/betainc": "betainc with a = 0 is NaN; JAX gives 1",
    "grad/pow_base0": "d/dx x**x at 0 is 0; JAX gives NaN",
    "grad/x_log_x": "d/dx xlogy(x, x) at 0 is 0; JAX gives NaN",
    "random/logistic/k42": "logistic is log(u) - log1p(-u) with float32 cancellation: 5e-6 relative from XLA",
}


def _known(name: str) -> str | None:
    parts = name.split("/")
    for i in range(len(parts), 0, -1):
        reason = KNOWN_DIFFERENCES.get("/".join(parts[:i]))
        if reason is not None:
            return reason
    return None


def _group(name: str) -> str:
    return "/".join(name.split("/")[:2])


def _params():
    """One test per known difference (xfail, strict), and one per group of the other rows (e.g. unary/exp)."""
    groups: dict[str, list[str]] = {}
    for name in cases.ROWS:
        reason = _known(name)
        if reason:
            yield pytest.param([name], id=name, marks=[pytest.mark.xfail(reason=reason, strict=True)])
        else:
            groups.setdefault(_group(name), []).append(name)
    for group, names in groups.items():
        yield pytest.param(names, id=group)


def _compare_floats(name, want, got, rtol, atol, tiny, zero_sign=True):
    if want.dtype.kind == "c":  # the sign of a complex zero part is not compared (XLA and NumPy differ widely)
        _compare_floats(name + ".real", want.real, got.real, rtol, atol, tiny, zero_sign=False)
        _compare_floats(name + ".imag", want.imag, got.imag, rtol, atol, tiny, zero_sign=False)
        return
    # XLA on CPU flushes subnormal results to zero; jaxnc keeps them (see docs/decisions.md)
    want, got = (
        np.where(np.abs(v) < tiny, np.copysign(0.0, v), v) for v in (want.astype(np.float64), got.astype(np.float64))
    )
    bad = np.isnan(want) != np.isnan(got)
    bad |= np.isinf(want) & (want != got)
    bad |= np.isinf(got) & (want != got)
    both = np.isfinite(want) & np.isfinite(got)
    bad |= both & ~(np.abs(want - got) <= atol + rtol * np.abs(want))
    if zero_sign:
        bad |= both & (want == 0) & (got == 0) & (np.signbit(want) != np.signbit(got))
    if bad.any():
        where = np.argwhere(bad)[:5].tolist() if bad.ndim else []
        raise AssertionError(
            f"{name}: {int(bad.sum())} of {bad.size} values differ (rtol={rtol}, atol={atol}) "
            f"at {where}: JAX {want[bad][:5]} jaxnc {got[bad][:5]}"
        )


@pytest.mark.parametrize("names", list(_params()))
def test_matches_jax(names):
    failures = []
    for name in names:
        try:
            _check_row(name)
        except AssertionError as e:
            failures.append(str(e))
    assert not failures, f"{len(failures)} of {len(names)} rows differ from JAX:\n" + "\n".join(failures)


def _check_row(name):
    row, golden = cases.ROWS[name], json.loads(GOLDEN[name])
    result = cases.run_row(M, row)
    if "error" in golden:
        assert "error" in result, f"{name}: JAX raises {golden['error']} ({golden['message']}); jaxnc returns a value"
        assert result["error"] == golden["error"], (
            f"{name}: JAX raises {golden['error']}, jaxnc raises {result['error']}: {result['message']}"
        )
        return
    assert "error" not in result, f"{name}: jaxnc raises {result.get('error')}: {result.get('message')}"
    leaves = result["leaves"]
    assert len(leaves) == len(golden["leaves"]), (
        f"{name}: JAX returns {len(golden['leaves'])} leaves, jaxnc {len(leaves)}"
    )
    for i, (want, got) in enumerate(zip(golden["leaves"], leaves, strict=True)):
        where = f"{name}#{i}"
        if "value" in want:
            assert got[0] == "value" and got[1] == want["value"], f"{where}: JAX {want['value']}, jaxnc {got[1:]}"
            continue
        assert got[0] == "array", f"{where}: JAX returns a {want['dtype']} array, jaxnc {got[1]!r}"
        _, arr, dtype, weak = got
        assert dtype == want["dtype"], f"{where}: JAX dtype {want['dtype']}, jaxnc {dtype}"
        assert list(arr.shape) == want["shape"], f"{where}: JAX shape {want['shape']}, jaxnc {list(arr.shape)}"
        if want["weak_type"] is not None and weak is not None:
            assert weak == want["weak_type"], f"{where}: JAX weak_type {want['weak_type']}, jaxnc {weak}"
        expected = ARRAYS[where]
        if dtype in cases.DEFAULT_RTOL:
            rtol = row.rtol if row.rtol is not None else cases.DEFAULT_RTOL[dtype]
            tiny = float(ml_dtypes.finfo(dtype.replace("complex64", "float32").replace("complex128", "float64")).tiny)
            _compare_floats(where, expected, arr, max(rtol, cases.DEFAULT_RTOL[dtype]), row.atol, tiny, row.zero_sign)
        else:
            np.testing.assert_array_equal(arr, expected, err_msg=where, strict=True)
