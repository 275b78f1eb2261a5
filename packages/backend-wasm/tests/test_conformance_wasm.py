"""The shared op and transformation suite on the wasm backend, against the cpu backend; its float rows
again in float16, bfloat16 and float64, its int32 rows in every other integer dtype (the shared table
lists float32/int32 only)."""

import ml_dtypes
import numpy as np
import pytest

from jaxnc.testing import BackendConformance
from jaxnc.testing.conformance import OP_CASES, make_args

HALF_TOL = {"float16": dict(rtol=2e-3, atol=2e-3), "bfloat16": dict(rtol=1.6e-2, atol=1.6e-2)}
HALF_PARAMS = [pytest.param(c, np.dtype(dt), id=f"{c.name}-{np.dtype(dt).name}")
               for c in OP_CASES if np.float32 in c.dtypes for dt in (np.float16, ml_dtypes.bfloat16)]  # fmt: skip
WIDE_INTS = (np.int8, np.uint8, np.int16, np.uint16, np.uint32, np.int64, np.uint64)
WIDE_PARAMS = [pytest.param(c, np.dtype(dt), id=f"{c.name}-{np.dtype(dt).name}") for c in OP_CASES
               for dt in ((np.float64,) if np.float32 in c.dtypes else ()) + (WIDE_INTS if np.int32 in c.dtypes else ())]  # fmt: skip


class TestWasmConformance(BackendConformance):
    backend = "wasm"
    known_gaps: dict[str, str] = {}

    @pytest.mark.parametrize("case,dtype", HALF_PARAMS)
    def test_op_half(self, case, dtype) -> None:
        self._gap(case.name, f"{case.name}-{dtype.name}")
        args = make_args(case, dtype)
        got = np.asarray(case.fn(*self._put(args, self._device())))
        want = self._reference(case.fn, case.np_fn, args)
        self._close(got, want, case, dtype)

    @pytest.mark.parametrize("case,dtype", HALF_PARAMS)
    def test_jit_half(self, case, dtype) -> None:
        import jaxnc

        self._gap(case.name, f"{case.name}-{dtype.name}", "jit")
        args = make_args(case, dtype, seed=1)
        got = np.asarray(jaxnc.jit(case.fn)(*self._put(args, self._device())))
        want = self._reference(jaxnc.jit(case.fn), case.np_fn, args)
        self._close(got, want, case, dtype)

    @pytest.mark.parametrize("case,dtype", WIDE_PARAMS)
    def test_jit_wide(self, case, dtype, x64) -> None:
        """Op and jit in float64 (to the row's tolerance) and narrow/64-bit integers (exactly) against cpu."""
        import jaxnc

        self._gap(case.name, f"{case.name}-{dtype.name}", "wide")
        args = make_args(case, dtype, seed=2)
        for fn in (case.fn, jaxnc.jit(case.fn)):
            got = np.asarray(fn(*self._put(args, self._device())))
            want = self._reference(fn, case.np_fn, args)
            assert got.dtype == want.dtype, (got.dtype, want.dtype)
            if dtype.kind == "f":
                np.testing.assert_allclose(got, want, rtol=case.rtol, atol=case.atol)
            else:
                np.testing.assert_array_equal(got, want)

    @staticmethod
    def _close(got, want, case, dtype) -> None:
        assert got.dtype == want.dtype, (got.dtype, want.dtype)
        tol = HALF_TOL[dtype.name]
        # a few ulps of the half format, scaled up for rows whose float32 tolerance is loose
        scale = max(1.0, case.rtol / 1e-5)
        np.testing.assert_allclose(got.astype(np.float32), want.astype(np.float32),
                                   rtol=tol["rtol"] * scale, atol=tol["atol"] * scale)  # fmt: skip
