"""lax.conv_general_dilated and conv_transpose against a direct-loop NumPy oracle, SciPy, finite
differences, JVP/VJP consistency (which checks both transpose rules), vmap against a loop, jit."""

import itertools

import numpy as np
import pytest
import scipy.signal

import jaxnc
from jaxnc import lax
from jaxnc.testing import check_grads


def _ref_conv(x, w, strides, pads, lhs_dil, rhs_dil, fgc=1, bgc=1):
    """Direct definition on NC.../OI... layouts: one output element at a time (tiny shapes only)."""
    x, w = x.astype(np.float64), w.astype(np.float64)
    nsp = x.ndim - 2
    if bgc > 1:  # batch block b feeds output-feature block b
        n = x.shape[0] // bgc
        xs = [x[b * n : (b + 1) * n] for b in range(bgc)]
        og = w.shape[0] // bgc
        return np.concatenate([_ref_conv(xs[b], w[b * og : (b + 1) * og], strides, pads, lhs_dil, rhs_dil)
                               for b in range(bgc)], axis=1)  # fmt: skip
    dil = np.zeros((*x.shape[:2], *[(s - 1) * d + 1 for s, d in zip(x.shape[2:], lhs_dil, strict=True)]))
    dil[(slice(None),) * 2 + tuple(slice(None, None, d) for d in lhs_dil)] = x
    full = np.pad(dil, [(0, 0)] * 2 + [(max(lo, 0), max(hi, 0)) for lo, hi in pads])
    full = full[(slice(None),) * 2 + tuple(slice(max(-lo, 0), s - max(-hi, 0)) for (lo, hi), s in
                                           zip(pads, full.shape[2:], strict=True))]  # fmt: skip
    k = w.shape[2:]
    eff = [(kk - 1) * r + 1 for kk, r in zip(k, rhs_dil, strict=True)]
    out_sp = [max(0, (s - e) // st + 1) for s, e, st in zip(full.shape[2:], eff, strides, strict=True)]
    cg, og = x.shape[1] // fgc, w.shape[0] // fgc
    out = np.zeros((x.shape[0], w.shape[0], *out_sp))
    for pos in itertools.product(*map(range, out_sp)):
        for o in range(w.shape[0]):
            g = o // og
            acc = 0.0
            for kpos in itertools.product(*map(range, k)):
                idx = tuple(p * st + kp * r for p, st, kp, r in zip(pos, strides, kpos, rhs_dil, strict=True))
                acc = acc + full[(slice(None), slice(g * cg, (g + 1) * cg), *idx)] @ w[(o, slice(None), *kpos)]
            out[(slice(None), o, *pos)] = acc
    del nsp
    return out


CASES = [  # lhs shape (NC...), rhs shape (OI...), strides, padding, lhs_dil, rhs_dil, fgc, bgc
    ((2, 3, 7), (4, 3, 3), (1,), ((0, 0),), (1,), (1,), 1, 1),
    ((1, 2, 6, 5), (3, 2, 2, 3), (2, 1), ((1, 2), (0, -1)), (1, 2), (2, 1), 1, 1),
    ((2, 4, 5, 5), (6, 2, 3, 3), (1, 2), ((1, 1), (2, 0)), (1, 1), (1, 1), 2, 1),
    ((4, 3, 5, 4), (6, 3, 2, 2), (1, 1), ((0, 1), (1, 0)), (1, 1), (1, 2), 1, 2),
    ((1, 2, 3, 4, 3), (2, 2, 2, 2, 1), (1, 2, 1), ((1, 0), (0, 0), (1, 1)), (2, 1, 1), (1, 1, 2), 1, 1),
]


@pytest.mark.parametrize("case", CASES, ids=[f"rank{len(c[0]) - 2}-{i}" for i, c in enumerate(CASES)])
def test_conv_matches_direct_definition(case):
    xs, ws, st, pads, ld, rd, fgc, bgc = case
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(xs).astype(np.float32), rng.standard_normal(ws).astype(np.float32)
    got = lax.conv_general_dilated(x, w, st, pads, ld, rd, feature_group_count=fgc, batch_group_count=bgc)
    np.testing.assert_allclose(np.asarray(got), _ref_conv(x, w, st, pads, ld, rd, fgc, bgc), rtol=1e-4, atol=1e-5)


def test_conv_matches_scipy_correlate():
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((2, 3, 9, 8)).astype(np.float32), rng.standard_normal((4, 3, 3, 2)).astype(np.float32)
    got = np.asarray(lax.conv(x, w, (1, 1), "VALID"))
    want = np.array([[sum(scipy.signal.correlate(x[n, c], w[o, c], mode="valid") for c in range(3)) for o in range(4)]
                     for n in range(2)])  # fmt: skip
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("padding", ["SAME", "SAME_LOWER", "VALID"])
def test_padding_strings_and_string_dimension_numbers(padding):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 7, 5, 3)).astype(np.float32)  # NHWC
    w = rng.standard_normal((3, 2, 3, 5)).astype(np.float32)  # HWIO
    got = lax.conv_general_dilated(x, w, (2, 2), padding, dimension_numbers=("NHWC", "HWIO", "NHWC"))
    # the same convolution in NCHW/OIHW with the explicit pads JAX computes for the string
    pads = {"VALID": ((0, 0), (0, 0)), "SAME": ((1, 1), (0, 1)), "SAME_LOWER": ((1, 1), (1, 0))}[padding]
    want = _ref_conv(x.transpose(0, 3, 1, 2), w.transpose(3, 2, 0, 1), (2, 2), pads, (1, 1), (1, 1))
    np.testing.assert_allclose(np.asarray(got), want.transpose(0, 2, 3, 1), rtol=1e-4, atol=1e-5)
    if padding != "VALID":
        assert got.shape[1:3] == (4, 3)  # ceil(in / stride)


def test_dimension_numbers_parsing():
    dn = lax.conv_dimension_numbers((1, 5, 5, 3), (3, 3, 3, 8), ("NHWC", "HWIO", "NHWC"))
    assert dn == lax.ConvDimensionNumbers((0, 3, 1, 2), (3, 2, 0, 1), (0, 3, 1, 2))
    dn = lax.conv_dimension_numbers((1, 3, 5, 5), (8, 3, 3, 3), ("NCHW", "OIHW", "NHWC"))
    assert dn == lax.ConvDimensionNumbers((0, 1, 2, 3), (0, 1, 2, 3), (0, 3, 1, 2))
    with pytest.raises(TypeError, match="same dimensions"):
        lax.conv_dimension_numbers((1, 3, 5, 5), (8, 3, 3, 3), ("NCHW", "OIHW", "NCXW"))


def test_conv_dtypes():
    rng = np.random.default_rng(3)
    xi, wi = rng.integers(-3, 4, (1, 2, 5)).astype(np.int32), rng.integers(-3, 4, (2, 2, 2)).astype(np.int32)
    got = lax.conv_general_dilated(xi, wi, (1,), "VALID")
    assert got.dtype == np.int32
    np.testing.assert_array_equal(np.asarray(got), _ref_conv(xi, wi, (1,), ((0, 0),), (1,), (1,)).astype(np.int32))
    xh, wh = xi.astype(np.float16), wi.astype(np.float16)
    assert lax.conv_general_dilated(xh, wh, (1,), "VALID").dtype == np.float16
    out = lax.conv_general_dilated(xh, wh, (1,), "VALID", preferred_element_type=np.float32)
    assert out.dtype == np.float32


def test_conv_errors_name_the_problem():
    x, w = np.zeros((1, 4, 5), np.float32), np.zeros((2, 3, 2), np.float32)
    with pytest.raises(TypeError, match="feature dimension size"):
        lax.conv_general_dilated(x, w, (1,), "VALID")
    with pytest.raises(TypeError, match="same dtype|one dtype"):
        lax.conv_general_dilated(x, w.astype(np.float16)[:, :1].repeat(4, 1), (1,), "VALID")
    with pytest.raises(ValueError, match="padding"):
        lax.conv_general_dilated(x, np.zeros((2, 4, 2), np.float32), (1,), "FULL")


GRAD_CASES = [CASES[1], CASES[2], CASES[3], CASES[4]]


@pytest.mark.parametrize("case", GRAD_CASES, ids=[f"g{i}" for i in range(len(GRAD_CASES))])
def test_conv_grads(case):
    xs, ws, st, pads, ld, rd, fgc, bgc = case
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal(xs).astype(np.float32), rng.standard_normal(ws).astype(np.float32)

    def f(x, w):
        return lax.conv_general_dilated(x, w, st, pads, ld, rd, feature_group_count=fgc, batch_group_count=bgc)

    # second order exercises the transposes of the transposes (convolutions with swapped roles)
    check_grads(f, (x, w), order=2, modes=("rev",))
    check_grads(f, (x, w), order=1, modes=("fwd",))


@pytest.mark.parametrize("fgc,bgc", [(1, 1), (2, 1), (1, 2)])
@pytest.mark.parametrize("in_axes", [(0, 0), (1, None), (None, 3)])
def test_conv_vmap_matches_loop(fgc, bgc, in_axes):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 2, 4, 5, 4)).astype(np.float32)  # leading axis: the vmapped one
    w = rng.standard_normal((3, 4, 4 // fgc, 3, 2)).astype(np.float32)

    def f(x, w):
        return lax.conv_general_dilated(x, w, (1, 2), "SAME", rhs_dilation=(2, 1), feature_group_count=fgc,
                                        batch_group_count=bgc)  # fmt: skip

    xa = x if in_axes[0] is None else np.moveaxis(x, 0, in_axes[0])
    wa = w if in_axes[1] is None else np.moveaxis(w, 0, in_axes[1])
    xa = x[0] if in_axes[0] is None else xa
    wa = w[0] if in_axes[1] is None else wa
    got = np.asarray(jaxnc.vmap(f, in_axes=in_axes)(xa, wa))
    want = np.stack([np.asarray(f(x[0] if in_axes[0] is None else x[i], w[0] if in_axes[1] is None else w[i]))
                     for i in range(3)])  # fmt: skip
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_conv_jit_matches_eager():
    rng = np.random.default_rng(6)
    x, w = rng.standard_normal((2, 5, 5, 4)).astype(np.float32), rng.standard_normal((3, 3, 2, 6)).astype(np.float32)

    def f(x, w):
        return lax.conv_general_dilated(x, w, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"),
                                        feature_group_count=2)  # fmt: skip

    np.testing.assert_allclose(np.asarray(jaxnc.jit(f)(x, w)), np.asarray(f(x, w)), rtol=1e-6)
    g = jaxnc.jit(jaxnc.grad(lambda x, w: f(x, w).sum(), argnums=(0, 1)))(x, w)
    g0 = jaxnc.grad(lambda x, w: f(x, w).sum(), argnums=(0, 1))(x, w)
    for a, b in zip(g, g0, strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("padding", ["VALID", "SAME"])
def test_conv_transpose_is_the_input_gradient(padding):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((1, 6, 6, 2)).astype(np.float32)  # (6 - 2) % 2 == 0: shapes round-trip
    k = rng.standard_normal((2, 2, 2, 3)).astype(np.float32)  # HWIO
    dn = ("NHWC", "HWIO", "NHWC")
    y, f_vjp = jaxnc.vjp(lambda x: lax.conv_general_dilated(x, k, (2, 2), padding, dimension_numbers=dn), x)
    ct = rng.standard_normal(y.shape).astype(np.float32)
    (want,) = f_vjp(ct)
    got = lax.conv_transpose(ct, k, (2, 2), padding, dimension_numbers=dn, transpose_kernel=True)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5, atol=1e-5)


def test_conv_transpose_shapes_and_grads():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((2, 5, 3)).astype(np.float32)  # NHC
    k = rng.standard_normal((3, 3, 4)).astype(np.float32)  # HIO
    assert lax.conv_transpose(x, k, (2,), "SAME").shape == (2, 10, 4)
    assert lax.conv_transpose(x, k, (2,), "VALID").shape == (2, 11, 4)
    check_grads(lambda x, k: lax.conv_transpose(x, k, (2,), "SAME", rhs_dilation=(2,)), (x, k), order=1)


@pytest.mark.parametrize("strides,padding,rhs_dil", [((1, 2), "VALID", (1, 1)), ((1, 1), "SAME", (2, 1)),
                                                     ((2, 1), ((1, 0), (2, 1)), (1, 1))])  # fmt: skip
def test_conv_patches_are_the_windows(strides, padding, rhs_dil):
    """Patches (channel-major features) against the direct definition: convolving the patches with a
    flattened kernel is the convolution itself; the NHWC layout transposes the same result."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 6, 7)).astype(np.float32)
    w = rng.standard_normal((4, 3, 2, 3)).astype(np.float32)
    patches = lax.conv_general_dilated_patches(x, (2, 3), strides, padding, rhs_dilation=rhs_dil)
    expected = lax.conv_general_dilated(x, w, strides, padding, rhs_dilation=rhs_dil)
    np.testing.assert_allclose(np.einsum("nfhw,of->nohw", np.asarray(patches), w.reshape(4, -1)), np.asarray(expected),
                               rtol=1e-4, atol=1e-4)  # fmt: skip
    if padding == "VALID" and rhs_dil == (1, 1):
        win = np.lib.stride_tricks.sliding_window_view(x, (2, 3), axis=(2, 3))[:, :, :: strides[0], :: strides[1]]
        np.testing.assert_array_equal(np.asarray(patches), win.transpose(0, 1, 4, 5, 2, 3).reshape(patches.shape))
    nhwc = lax.conv_general_dilated_patches(x.transpose(0, 2, 3, 1), (2, 3), strides, padding, rhs_dilation=rhs_dil,
                                            dimension_numbers=("NHWC", "HWIO", "NHWC"))  # fmt: skip
    np.testing.assert_array_equal(np.asarray(nhwc), np.asarray(patches).transpose(0, 2, 3, 1))
    check_grads(lambda v: lax.conv_general_dilated_patches(v, (2, 3), strides, padding, rhs_dilation=rhs_dil),
                (x.astype(np.float64)[:1, :2],), order=1, modes=("rev",))  # fmt: skip
    with pytest.raises(ValueError, match="spatial sizes"):
        lax.conv_general_dilated_patches(x, (2,), strides, padding)
