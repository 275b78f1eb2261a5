"""The backend conformance suite: an op table and a pytest mix-in every backend package subclasses.

A row of OP_CASES is one op: a jaxnc function, its NumPy oracle, argument shapes and domains, the
dtypes it must support and tolerances. `BackendConformance` runs every row on the backend under test
(values, jit, grad, vmap) and compares with the oracle (on `cpu`) or with the `cpu` backend (elsewhere).
Known gaps are listed in `known_gaps` with a reason and reported as xfail, never skipped silently.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np
import pytest

F32, F64, I32, U8, BOOL = np.float32, np.float64, np.int32, np.uint8, np.bool_
FLOATS = (F32,)
NUMERIC = (F32, I32)


@dataclasses.dataclass(frozen=True)
class OpCase:
    """One row of the op table."""

    name: str
    fn: Callable  # over jaxnc arrays
    np_fn: Callable  # the NumPy oracle
    shapes: tuple  # one shape per argument
    domains: tuple = ()  # per argument: "real", "positive", "unit", "int", "posint", "bool", "index"
    dtypes: tuple = FLOATS
    grad: bool = True  # check reverse-mode gradients for float dtypes
    rtol: float = 1e-5
    atol: float = 1e-6


def _gen(rng, shape, domain, dtype):
    dt = np.dtype(dtype)
    if dt == np.bool_ or domain == "bool":
        return rng.random(shape) > 0.5
    if domain == "positive":
        x = rng.uniform(0.2, 3.0, shape)
    elif domain == "unit":
        x = rng.uniform(-0.9, 0.9, shape)
    elif domain == "posint":
        x = rng.integers(1, 6, shape)
    elif domain == "index":
        x = rng.integers(0, 3, shape)
    elif domain == "int" or dt.kind in "iu":
        x = rng.integers(-5, 6, shape) if dt.kind == "i" else rng.integers(0, 10, shape)
    else:
        x = rng.standard_normal(shape)
    return np.asarray(x).astype(dt)


def make_args(case: OpCase, dtype, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    domains = case.domains or ("real",) * len(case.shapes)
    out = []
    for shape, dom in zip(case.shapes, domains, strict=True):
        dt = np.int32 if dom in ("index", "posint") and np.dtype(dtype).kind != "f" else dtype
        dt = np.int32 if dom == "index" else dt
        dt = np.bool_ if dom == "bool" else dt
        out.append(_gen(rng, shape, dom, dt))
    return out


def _cases() -> list[OpCase]:
    import jaxnc.lax as lax
    import jaxnc.nn as nn
    import jaxnc.numpy as jnp

    S = (3, 4)
    unary = [
        ("neg", jnp.negative, np.negative, "real", NUMERIC),
        ("abs", jnp.abs, np.abs, "real", NUMERIC),
        ("sign", jnp.sign, np.sign, "real", NUMERIC),
        ("exp", jnp.exp, np.exp, "real", FLOATS),
        ("exp2", jnp.exp2, np.exp2, "real", FLOATS),
        ("log", jnp.log, np.log, "positive", FLOATS),
        ("log1p", jnp.log1p, np.log1p, "positive", FLOATS),
        ("expm1", jnp.expm1, np.expm1, "real", FLOATS),
        ("sqrt", jnp.sqrt, np.sqrt, "positive", FLOATS),
        ("cbrt", jnp.cbrt, np.cbrt, "positive", FLOATS),
        ("rsqrt", lax.rsqrt, lambda x: 1 / np.sqrt(x), "positive", FLOATS),
        ("sin", jnp.sin, np.sin, "real", FLOATS),
        ("cos", jnp.cos, np.cos, "real", FLOATS),
        ("tan", jnp.tan, np.tan, "unit", FLOATS),
        ("arcsin", jnp.arcsin, np.arcsin, "unit", FLOATS),
        ("arccos", jnp.arccos, np.arccos, "unit", FLOATS),
        ("arctan", jnp.arctan, np.arctan, "real", FLOATS),
        ("sinh", jnp.sinh, np.sinh, "real", FLOATS),
        ("cosh", jnp.cosh, np.cosh, "real", FLOATS),
        ("tanh", jnp.tanh, np.tanh, "real", FLOATS),
        ("arcsinh", jnp.arcsinh, np.arcsinh, "real", FLOATS),
        ("arctanh", jnp.arctanh, np.arctanh, "unit", FLOATS),
        ("sigmoid", nn.sigmoid, lambda x: 1 / (1 + np.exp(-x)), "real", FLOATS),
        ("erf", lax.erf, lambda x: np.vectorize(math.erf)(x), "real", FLOATS),
        ("square", jnp.square, np.square, "real", NUMERIC),
        ("floor", jnp.floor, np.floor, "real", FLOATS),
        ("ceil", jnp.ceil, np.ceil, "real", FLOATS),
        ("round", jnp.round, np.round, "real", FLOATS),
        ("isnan", jnp.isnan, np.isnan, "real", FLOATS),
        ("isfinite", jnp.isfinite, np.isfinite, "real", FLOATS),
        ("logical_not", jnp.logical_not, np.logical_not, "bool", (BOOL,)),
        ("invert", jnp.invert, np.invert, "int", (I32, U8)),
    ]
    cases = [OpCase(n, f, g, (S,), (d,), dts, grad=n not in ("sign", "floor", "ceil", "round", "isnan", "isfinite"))
             for n, f, g, d, dts in unary]  # fmt: skip
    binary = [
        ("add", jnp.add, np.add, "real", NUMERIC),
        ("subtract", jnp.subtract, np.subtract, "real", NUMERIC),
        ("multiply", jnp.multiply, np.multiply, "real", NUMERIC),
        ("divide", jnp.divide, np.divide, "positive", FLOATS),
        ("power", jnp.power, np.power, "positive", FLOATS),
        ("maximum", jnp.maximum, np.maximum, "real", NUMERIC),
        ("minimum", jnp.minimum, np.minimum, "real", NUMERIC),
        ("arctan2", jnp.arctan2, np.arctan2, "real", FLOATS),
        ("floor_divide", jnp.floor_divide, np.floor_divide, "posint", (I32,)),
        ("remainder", jnp.remainder, np.remainder, "posint", (I32,)),
        ("less", jnp.less, np.less, "real", NUMERIC),
        ("equal", jnp.equal, np.equal, "int", (I32,)),
        ("bitwise_and", jnp.bitwise_and, np.bitwise_and, "int", (I32, U8)),
        ("bitwise_xor", jnp.bitwise_xor, np.bitwise_xor, "int", (I32,)),
        ("logaddexp", jnp.logaddexp, np.logaddexp, "real", FLOATS),
        ("hypot", jnp.hypot, np.hypot, "real", FLOATS),
    ]
    cases += [OpCase(n, f, g, (S, S), (d, d), dts, grad=n not in ("less", "equal", "bitwise_and", "bitwise_xor",
                                                                  "floor_divide", "remainder"))
              for n, f, g, d, dts in binary]  # fmt: skip
    cases += [
        OpCase("broadcast_add", lambda x, y: x + y, np.add, ((3, 1), (4,)), dtypes=NUMERIC),
        OpCase("where", lambda c, x, y: jnp.where(c, x, y), np.where, (S, S, S), ("bool", "real", "real")),
        OpCase("sum", lambda x: jnp.sum(x, axis=1), lambda x: np.sum(x, axis=1), (S,), dtypes=NUMERIC),
        OpCase("sum_all", jnp.sum, np.sum, (S,), rtol=1e-5),
        OpCase("max", lambda x: jnp.max(x, axis=0), lambda x: np.max(x, axis=0), (S,), dtypes=NUMERIC),
        OpCase("min", lambda x: jnp.min(x, axis=1), lambda x: np.min(x, axis=1), (S,), dtypes=NUMERIC),
        OpCase("prod", lambda x: jnp.prod(x, axis=1), lambda x: np.prod(x, axis=1), (S,)),
        OpCase("mean", lambda x: jnp.mean(x, axis=0), lambda x: np.mean(x, axis=0), (S,)),
        OpCase("var", lambda x: jnp.var(x, axis=1), lambda x: np.var(x, axis=1), (S,), rtol=1e-4),
        OpCase(
            "argmax", lambda x: jnp.argmax(x, axis=1), lambda x: np.argmax(x, axis=1), (S,), dtypes=NUMERIC, grad=False
        ),
        OpCase("cumsum", lambda x: jnp.cumsum(x, axis=1), lambda x: np.cumsum(x, axis=1), (S,), dtypes=NUMERIC),
        OpCase("cumprod", lambda x: jnp.cumprod(x, axis=1), lambda x: np.cumprod(x, axis=1), (S,), rtol=1e-4),
        OpCase("logsumexp", lambda x: nn.logsumexp(x, axis=1), lambda x: np.log(np.sum(np.exp(x), axis=1)), (S,)),
        OpCase("softmax", nn.softmax, lambda x: np.exp(x) / np.sum(np.exp(x), -1, keepdims=True), (S,)),
        OpCase("matmul", jnp.matmul, np.matmul, ((3, 5), (5, 4)), dtypes=NUMERIC, rtol=1e-4),
        OpCase("batched_matmul", jnp.matmul, np.matmul, ((2, 3, 5), (2, 5, 4)), rtol=1e-4),
        OpCase("matvec", jnp.matmul, np.matmul, ((3, 5), (5,)), rtol=1e-4),
        OpCase(
            "einsum",
            lambda a, b: jnp.einsum("ij,jk->ki", a, b),
            lambda a, b: np.einsum("ij,jk->ki", a, b),
            ((3, 5), (5, 4)),
            rtol=1e-4,
        ),  # fmt: skip
        OpCase("transpose", lambda x: jnp.transpose(x), np.transpose, ((2, 3, 4),), dtypes=NUMERIC),
        OpCase("reshape", lambda x: jnp.reshape(x, (4, 3)), lambda x: np.reshape(x, (4, 3)), (S,), dtypes=NUMERIC),
        OpCase("slice", lambda x: x[1:3, ::2], lambda x: x[1:3, ::2], (S,), dtypes=NUMERIC),
        OpCase("negative_step", lambda x: x[::-1, 1], lambda x: x[::-1, 1], (S,), dtypes=NUMERIC),
        OpCase("gather", lambda x, i: x[i], lambda x, i: x[i], ((5, 3), (4,)), ("real", "index")),
        OpCase(
            "take_along_axis",
            lambda x, i: jnp.take_along_axis(x, i, axis=1),
            lambda x, i: np.take_along_axis(x, i, axis=1),
            (S, (3, 2)),
            ("real", "index"),
        ),  # fmt: skip
        OpCase(
            "at_add",
            lambda x, i, v: x.at[i].add(v),
            lambda x, i, v: _np_at_add(x, i, v),
            ((5,), (4,), (4,)),
            ("real", "index", "real"),
        ),  # fmt: skip
        OpCase("at_set", lambda x, v: x.at[1:3].set(v), lambda x, v: _np_set(x, v), ((5,), (2,))),
        OpCase(
            "concatenate",
            lambda x, y: jnp.concatenate([x, y], 1),
            lambda x, y: np.concatenate([x, y], 1),
            (S, S),
            dtypes=NUMERIC,
        ),  # fmt: skip
        OpCase("stack", lambda x, y: jnp.stack([x, y]), lambda x, y: np.stack([x, y]), (S, S)),
        OpCase(
            "pad", lambda x: jnp.pad(x, ((1, 2), (0, 1))), lambda x: np.pad(x, ((1, 2), (0, 1))), (S,), dtypes=NUMERIC
        ),
        OpCase("flip", lambda x: jnp.flip(x, 1), lambda x: np.flip(x, 1), (S,), dtypes=NUMERIC),
        OpCase("roll", lambda x: jnp.roll(x, 2, 1), lambda x: np.roll(x, 2, 1), (S,)),
        OpCase("tile", lambda x: jnp.tile(x, (2, 1)), lambda x: np.tile(x, (2, 1)), (S,)),
        OpCase("repeat", lambda x: jnp.repeat(x, 2, axis=0), lambda x: np.repeat(x, 2, axis=0), (S,)),
        OpCase("clip", lambda x: jnp.clip(x, -0.5, 0.5), lambda x: np.clip(x, -0.5, 0.5), (S,)),
        OpCase("astype_int", lambda x: x.astype(jnp.int32), lambda x: x.astype(np.int32), (S,), grad=False),
        OpCase(
            "one_hot",
            lambda i: nn.one_hot(i, 4),
            lambda i: np.eye(4, dtype=np.float32)[i],
            ((5,),),
            ("index",),
            dtypes=(I32,),
        ),  # fmt: skip
    ]
    cases += _lax_cases(lax)
    cases += _breadth_cases()
    return cases


def _lax_cases(lax) -> list[OpCase]:
    """Rows for lax's structured ops (conv, windows, sort, linalg, fft, special): tiny shapes, NumPy oracles."""
    from numpy.lib.stride_tricks import sliding_window_view

    def np_conv1d(x, w):  # NCW x OIW, VALID
        win = sliding_window_view(x, w.shape[-1], axis=-1)  # N C W' K
        return np.einsum("ncwk,ock->now", win, w)

    def spd(x):
        return x @ x.T + 3 * np.eye(x.shape[0], dtype=x.dtype)

    return [
        OpCase(
            "lax_conv1d",
            lambda x, w: lax.conv_general_dilated(x, w, (1,), "VALID"),
            np_conv1d,
            ((2, 3, 6), (4, 3, 3)),
            rtol=1e-4,
            atol=1e-5,
        ),  # fmt: skip
        OpCase(
            "lax_reduce_window_max",
            lambda x: lax.reduce_window_max(x, (2, 2), (1, 2), "VALID"),
            lambda x: sliding_window_view(x, (2, 2))[:, ::2].max((-1, -2)),
            ((3, 5),),
        ),  # fmt: skip
        OpCase(
            "lax_reduce_window_sum",
            lambda x: lax.reduce_window_sum(x, (2, 2), (1, 1), "VALID"),
            lambda x: sliding_window_view(x, (2, 2)).sum((-1, -2)),
            ((3, 4),),
            dtypes=NUMERIC,
            rtol=1e-5,
        ),  # fmt: skip
        OpCase("lax_sort", lambda x: lax.sort(x, dimension=0), lambda x: np.sort(x, axis=0), ((4, 3),), dtypes=NUMERIC),
        OpCase("lax_top_k", lambda x: lax.top_k(x, 2)[0], lambda x: -np.sort(-x, axis=-1)[..., :2], ((3, 5),)),
        OpCase(
            "lax_cholesky",
            lambda x: lax.linalg.cholesky(x @ x.T + 3 * jnp_eye(3)),
            lambda x: np.linalg.cholesky(spd(x)),
            ((3, 3),),
            rtol=1e-4,
            atol=1e-5,
        ),  # fmt: skip
        OpCase(
            "lax_svdvals",
            lambda x: lax.linalg.svd(x, compute_uv=False),
            lambda x: np.linalg.svd(x, compute_uv=False),
            ((4, 3),),
            rtol=1e-4,
            atol=1e-5,
        ),  # fmt: skip
        OpCase(
            "lax_rfft_abs",
            lambda x: lax.abs(lax.fft(x, "RFFT", (6,))),
            lambda x: np.abs(np.fft.rfft(x)),
            ((2, 6),),
            rtol=1e-4,
            atol=1e-5,
        ),  # fmt: skip
        OpCase("lax_lgamma", lax.lgamma, lambda x: np.vectorize(math.lgamma)(x), ((3, 4),), ("positive",), rtol=1e-5),
        OpCase("lax_digamma", lax.digamma, _np_digamma, ((3, 4),), ("positive",), rtol=1e-4, atol=1e-5),
    ]


def _breadth_cases() -> list[OpCase]:
    """Rows for the jnp/nn breadth (sorting, statistics, shape, linalg, fft): tiny shapes, NumPy oracles."""
    import jaxnc.nn as nn
    import jaxnc.numpy as jnp

    S = (3, 4)  # noqa: N806
    eye3 = 4 * np.eye(3, dtype=np.float32)
    return [
        OpCase("sort", lambda x: jnp.sort(x, axis=1), lambda x: np.sort(x, axis=1), (S,), dtypes=NUMERIC),
        OpCase("argsort", lambda x: jnp.argsort(x, axis=0), lambda x: np.argsort(x, axis=0, kind="stable"), (S,),
               dtypes=NUMERIC, grad=False),  # fmt: skip
        OpCase("median", lambda x: jnp.median(x, axis=1), lambda x: np.median(x, axis=1), (S,)),
        OpCase("quantile", lambda x: jnp.quantile(x, 0.3, axis=0), lambda x: np.quantile(x, 0.3, axis=0), (S,)),
        OpCase("nanmean", lambda x: jnp.nanmean(x, axis=1), lambda x: np.nanmean(x, axis=1), (S,)),
        OpCase("searchsorted", lambda x: jnp.searchsorted(jnp.sort(x), x), lambda x: np.searchsorted(np.sort(x), x), ((6,),),
               grad=False),  # fmt: skip
        OpCase("pad_reflect", lambda x: jnp.pad(x, ((2, 1), (3, 0)), mode="reflect"),
               lambda x: np.pad(x, ((2, 1), (3, 0)), mode="reflect"), (S,), dtypes=NUMERIC),  # fmt: skip
        OpCase("rot90", lambda x: jnp.rot90(x), np.rot90, (S,), dtypes=NUMERIC),
        OpCase("diff", lambda x: jnp.diff(x, axis=1), lambda x: np.diff(x, axis=1), (S,), dtypes=NUMERIC),
        OpCase("nancumsum", lambda x: jnp.nancumsum(x, axis=0), lambda x: np.nancumsum(x, axis=0), (S,)),
        OpCase("convolve", jnp.convolve, np.convolve, ((6,), (3,)), rtol=1e-4, atol=1e-5),
        OpCase("interp", lambda x: jnp.interp(x, jnp.arange(-2.0, 3.0), jnp.arange(5.0) ** 2),
               lambda x: np.interp(x, np.arange(-2.0, 3.0), np.arange(5.0) ** 2), (S,), rtol=1e-4, atol=1e-5),  # fmt: skip
        OpCase("einsum3", lambda a, b, c: jnp.einsum("ij,jk,kl->il", a, b, c),
               lambda a, b, c: np.einsum("ij,jk,kl->il", a, b, c), ((2, 3), (3, 4), (4, 2)), rtol=1e-4, atol=1e-5),  # fmt: skip
        OpCase("kron", jnp.kron, np.kron, ((2, 2), (2, 3)), dtypes=NUMERIC),
        OpCase("linalg_solve", lambda a, b: jnp.linalg.solve(a + eye3, b), lambda a, b: np.linalg.solve(a + eye3, b),
               ((3, 3), (3, 2)), rtol=1e-4, atol=1e-5),  # fmt: skip
        OpCase("linalg_det", lambda a: jnp.linalg.det(a + eye3), lambda a: np.linalg.det(a + eye3), ((3, 3),), rtol=1e-4),
        OpCase("linalg_norm", lambda x: jnp.linalg.norm(x, axis=1), lambda x: np.linalg.norm(x, axis=1), (S,)),
        OpCase("fft_rfft_abs", lambda x: jnp.abs(jnp.fft.rfft(x)), lambda x: np.abs(np.fft.rfft(x)), (S,), rtol=1e-4,
               atol=1e-5),  # fmt: skip
        OpCase("mish", nn.mish, lambda x: x * np.tanh(np.logaddexp(x, 0)), (S,)),
        OpCase("squareplus", nn.squareplus, lambda x: (x + np.sqrt(x * x + 4)) / 2, (S,)),
    ]


def jnp_eye(n: int):
    import jaxnc.numpy as jnp

    return jnp.eye(n, dtype=jnp.float32)


def _np_digamma(x):
    # d/dx lgamma by a float64 central difference: an oracle independent of the series in lax.special
    x = x.astype(np.float64)
    h = 1e-5
    lg = np.vectorize(math.lgamma)
    return (lg(x + h) - lg(x - h)) / (2 * h)


def _np_at_add(x, i, v):
    out = x.copy()
    np.add.at(out, i, v)
    return out


def _np_set(x, v):
    out = x.copy()
    out[1:3] = v
    return out


OP_CASES = _cases()


def _case_params():
    return [pytest.param(c, np.dtype(dt), id=f"{c.name}-{np.dtype(dt).name}") for c in OP_CASES for dt in c.dtypes]


def _tolerance(case: OpCase, dtype) -> dict:
    if np.dtype(dtype).kind in "iub":
        return dict(rtol=0, atol=0)
    return dict(rtol=case.rtol, atol=case.atol)


class BackendConformance:
    """Mix-in: subclass as `class TestMyBackend(BackendConformance): backend = "mine"`.

    Attributes:
      backend: the platform name under test.
      known_gaps: maps "opname" or "opname-dtype" or a test name to the reason it is a known gap.
    """

    backend: str = "cpu"
    known_gaps: dict[str, str] = {}

    # --- helpers ---------------------------------------------------------------------------------
    def _device(self):
        import jaxnc

        return jaxnc.devices(self.backend)[0]

    def _gap(self, *keys) -> None:
        for k in keys:
            if k in self.known_gaps:
                pytest.xfail(f"known gap on {self.backend}: {self.known_gaps[k]}")

    def _put(self, args, device):
        import jaxnc

        return [jaxnc.device_put(a, device) for a in args]

    def _reference(self, fn, np_fn, args):
        """The oracle: NumPy for the cpu backend, the cpu backend for every other backend."""
        import jaxnc

        if self.backend == "cpu":
            return np_fn(*args)
        cpu = jaxnc.devices("cpu")[0]
        return np.asarray(fn(*self._put(args, cpu)))

    # --- the suite -------------------------------------------------------------------------------
    @pytest.mark.parametrize("case,dtype", _case_params())
    def test_op(self, case: OpCase, dtype) -> None:
        self._gap(case.name, f"{case.name}-{dtype.name}")
        args = make_args(case, dtype)
        device = self._device()
        got = case.fn(*self._put(args, device))
        want = self._reference(case.fn, case.np_fn, args)
        np.testing.assert_allclose(
            np.asarray(got), np.asarray(want).astype(np.asarray(got).dtype), **_tolerance(case, dtype)
        )

    @pytest.mark.parametrize("case,dtype", _case_params())
    def test_jit(self, case: OpCase, dtype) -> None:
        import jaxnc

        self._gap(case.name, f"{case.name}-{dtype.name}", "jit")
        args = self._put(make_args(case, dtype, seed=1), self._device())
        np.testing.assert_allclose(
            np.asarray(jaxnc.jit(case.fn)(*args)), np.asarray(case.fn(*args)), **_tolerance(case, dtype)
        )

    @pytest.mark.parametrize("case,dtype", [p for p in _case_params() if p.values[0].grad and p.values[1].kind == "f"])
    def test_grad(self, case: OpCase, dtype) -> None:
        import jaxnc
        import jaxnc.numpy as jnp

        self._gap(case.name, f"{case.name}-{dtype.name}", "grad")
        args = make_args(case, dtype, seed=2)
        float_pos = [i for i, a in enumerate(args) if a.dtype.kind == "f"]

        def loss(*xs):
            out = case.fn(*xs)
            return jnp.sum(jnp.sin(out.astype(jnp.float32)))

        g = jaxnc.grad(loss, argnums=tuple(float_pos))(*self._put(args, self._device()))
        if self.backend == "cpu":
            # central differences along each coordinate of the first float argument
            i = float_pos[0]
            x = args[i].astype(np.float64)
            eps = 1e-3
            num = np.zeros_like(x)
            for idx in np.ndindex(x.shape):
                for sgn in (1, -1):
                    xx = x.copy()
                    xx[idx] += sgn * eps
                    a2 = list(args)
                    a2[i] = xx.astype(args[i].dtype)
                    num[idx] += sgn * float(loss(*self._put(a2, self._device()))) / (2 * eps)
            np.testing.assert_allclose(np.asarray(g[0]), num, rtol=5e-2, atol=5e-2)
        else:
            cpu = jaxnc.devices("cpu")[0]
            want = jaxnc.grad(loss, argnums=tuple(float_pos))(*self._put(args, cpu))
            for a, b in zip(g, want, strict=True):
                np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-5)

    @pytest.mark.parametrize("case,dtype", _case_params())
    def test_vmap(self, case: OpCase, dtype) -> None:
        import jaxnc
        import jaxnc.numpy as jnp

        self._gap(case.name, f"{case.name}-{dtype.name}", "vmap")
        batches = [make_args(case, dtype, seed=10 + b) for b in range(3)]
        stacked = [np.stack(col) for col in zip(*batches, strict=True)]
        device = self._device()
        got = jaxnc.vmap(case.fn)(*self._put(stacked, device))
        want = jnp.stack([case.fn(*self._put(b, device)) for b in batches])
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), **_tolerance(case, dtype))

    def test_mlp_training_step(self) -> None:
        """A transformation mix: jit(value_and_grad) of an MLP with dict params, and vmap(grad)."""
        import jaxnc
        import jaxnc.numpy as jnp

        self._gap("mlp_training_step")
        rng = np.random.default_rng(0)
        params_np = {"w1": rng.standard_normal((4, 8)).astype(np.float32), "b1": np.zeros(8, np.float32),
                     "w2": rng.standard_normal((8, 3)).astype(np.float32)}  # fmt: skip
        x = rng.standard_normal((5, 4)).astype(np.float32)
        y = np.array([0, 1, 2, 1, 0], np.int32)

        def loss(p, x, y):
            h = jnp.tanh(x @ p["w1"] + p["b1"])
            logits = h @ p["w2"]
            return -jnp.mean(jnp.sum(jaxnc.nn.log_softmax(logits) * jaxnc.nn.one_hot(y, 3), -1))

        def run(device):
            p = jaxnc.device_put(params_np, device)
            xs, ys = jaxnc.device_put(x, device), jaxnc.device_put(y, device)
            v, g = jaxnc.jit(jaxnc.value_and_grad(loss))(p, xs, ys)
            per_ex = jaxnc.vmap(jaxnc.grad(loss), in_axes=(None, 0, 0))(p, xs[:, None], ys[:, None])
            return float(v), {k: np.asarray(a) for k, a in g.items()}, np.asarray(per_ex["w2"])

        v, g, per = run(self._device())
        if self.backend == "cpu":
            # oracle: the per-example gradients average to the batch gradient
            np.testing.assert_allclose(per.mean(0), g["w2"], rtol=1e-5, atol=1e-6)
            assert np.isfinite(v) and v > 0
        else:
            v0, g0, per0 = run(jaxnc.devices("cpu")[0])
            np.testing.assert_allclose(v, v0, rtol=1e-5)
            for k in g:
                np.testing.assert_allclose(g[k], g0[k], rtol=1e-4, atol=1e-5)
            np.testing.assert_allclose(per, per0, rtol=1e-4, atol=1e-5)
