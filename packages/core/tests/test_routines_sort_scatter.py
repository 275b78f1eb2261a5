"""Native sort, top_k, scatter and gather (lowering/routines/{sort,scatter,gather}.py) against the
primitives' NumPy impls, on the reference kernel backend, narrow (merge sort) and wide (bitonic)."""

from __future__ import annotations

import numpy as np
import pytest

import jaxnc.lax as lax
import jaxnc.numpy as jnp
from jaxnc._src.lowering.proc import build_native
from jaxnc._src.lowering.reference import reference_kernel_backend, run_function

RNG = np.random.default_rng(0)
WIDE = [pytest.param(False, id="narrow"), pytest.param(True, id="wide")]


def run_native(f, *args, wide: bool):
    """(outputs, program, proc launches) of `f` on a reference kernel backend running native routines."""
    backend = reference_kernel_backend(procs=True)
    backend.wide = wide
    values, program = run_function(backend, f, *args)
    return values, program, backend.proc_launches


def native_launches(program, wide: bool) -> int:
    """How many procs `program`'s routines launch when every one of them runs natively."""
    backend = reference_kernel_backend(procs=True)
    backend.wide = wide
    return sum(len(build_native(r, backend).procs) for r in program.routines())


def check(f, *args, wide: bool, routines: list[str]):
    """`f` natively equals `f` on the cpu backend (bit for bit, NaNs equal), and its routines ran as procs."""
    got, program, launches = run_native(f, *args, wide=wide)
    with np.errstate(all="ignore"):
        want = f(*args)
    want = list(want) if isinstance(want, (tuple, list)) else [want]
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        w = np.asarray(w)
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_array_equal(g, w)
        if g.dtype.kind == "f":  # -0.0 and 0.0 where they landed (an unstable impl may swap NaN signs)
            np.testing.assert_array_equal(np.signbit(g) & (g == g), np.signbit(w) & (w == w))
    assert [r.name for r in program.routines()] == routines
    assert launches == native_launches(program, wide)
    return program


def sample(dtype, shape) -> np.ndarray:
    """Values with many ties and every special of `dtype`."""
    dtype = np.dtype(dtype)
    if dtype == np.float32:
        pool = np.array([np.nan, -np.nan, -0.0, 0.0, np.inf, -np.inf, 1.0, -1.0, 2.5, -3.0, 1e30], np.float32)
    elif dtype == np.int32:
        pool = np.array([0, 1, -1, 7, -7, 2**31 - 1, -(2**31)], np.int32)
    elif dtype == np.uint32:
        pool = np.array([0, 1, 5, 2**31, 2**32 - 1, 2**31 - 1], np.uint32)
    else:
        pool = np.array([False, True])
    return RNG.choice(pool, size=shape)


# --- sort ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("wide", WIDE)
@pytest.mark.parametrize("n", [1, 2, 7, 16, 33])
def test_sort_values(wide, n):
    for dtype in [np.float32, np.int32, np.uint32, np.bool_] if n < 33 else [np.float32]:
        x = sample(dtype, (2, n) if n < 33 else (1, n))
        check(lambda a: lax.sort(a, dimension=1), x, wide=wide, routines=["sort"])


@pytest.mark.parametrize("wide", WIDE)
def test_sort_inner_dimension_and_empty_lines(wide):
    x = sample(np.float32, (3, 7, 2))
    check(lambda a: lax.sort(a, dimension=1), x, wide=wide, routines=["sort"])
    # an empty line keeps the NumPy reference (no proc launches) and still runs
    got, _, launches = run_native(lambda a: lax.sort(a, dimension=0), np.zeros((0, 3), np.float32), wide=wide)
    assert got[0].shape == (0, 3) and launches == 0


@pytest.mark.parametrize("wide", WIDE)
@pytest.mark.parametrize("num_keys", [1, 2, 3])
def test_sort_multi_operand_is_stable(wide, num_keys):
    n = 13
    ops = (sample(np.float32, (n,)), sample(np.int32, (n,)), RNG.integers(0, 3, n).astype(np.uint32),
           np.arange(n, dtype=np.float32))  # fmt: skip
    check(lambda *a: lax.sort(a, num_keys=num_keys, is_stable=False), *ops, wide=wide, routines=["sort"])


@pytest.mark.parametrize("wide", WIDE)
@pytest.mark.parametrize("descending", [False, True])
def test_argsort(wide, descending):
    for dtype in (np.float32, np.int32, np.bool_):
        x = sample(dtype, (3, 9))
        check(lambda a: jnp.argsort(a, axis=-1, descending=descending), x, wide=wide, routines=["sort"])


@pytest.mark.parametrize("wide", WIDE)
@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.uint32, np.bool_])
def test_top_k(wide, dtype):
    x = sample(dtype, (3, 7))
    for k in (1, 3, 7):
        check(lambda a, k=k: lax.top_k(a, k), x, wide=wide, routines=["top_k"])


def test_unsupported_dtypes_keep_the_reference():
    x = (RNG.standard_normal(6) + 1j * RNG.standard_normal(6)).astype(np.complex64)
    (got,), _, launches = run_native(lax.sort, x, wide=False)
    np.testing.assert_array_equal(got, np.asarray(lax.sort(x)))
    assert launches == 0


def test_wide_sort_is_a_bitonic_network():
    _, _, launches = run_native(lambda a: lax.sort(a), np.zeros(5, np.float32), wide=True)
    assert launches == 1 + 6 + 1  # init, 1 + 2 + 3 stages for 8 padded elements, gather
    _, _, launches = run_native(lambda a: lax.sort(a), np.zeros(5, np.float32), wide=False)
    assert launches == 1


# --- scatter ----------------------------------------------------------------------------------------

SCATTERS = {"scatter": lax.scatter, "scatter_add": lax.scatter_add, "scatter_mul": lax.scatter_mul,
            "scatter_min": lax.scatter_min, "scatter_max": lax.scatter_max}  # fmt: skip
DN_1D = lax.ScatterDimensionNumbers(update_window_dims=(), inserted_window_dims=(0,), scatter_dims_to_operand_dims=(0,))


@pytest.mark.parametrize("name", list(SCATTERS))
@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.uint32, np.bool_])
def test_scatter_1d_duplicates_and_out_of_bounds(name, dtype):
    operand, updates = sample(dtype, (6,)), sample(dtype, (8,))
    fn = SCATTERS[name]
    for mode in ("clip", "fill", "promise_in_bounds"):
        idx = np.array([[2], [0], [2], [5], [-1], [6], [9], [2]], np.int32)
        if mode == "promise_in_bounds":
            idx = np.clip(idx, 0, 5)
        check(lambda o, i, u, m=mode: fn(o, i, u, DN_1D, mode=m), operand, idx, updates, wide=False, routines=[name])


@pytest.mark.parametrize("wide", WIDE)
@pytest.mark.parametrize("mode", ["clip", "fill"])
def test_scatter_windows_in_updates_order(wide, mode):
    # window dim first in `updates`: C order over updates interleaves batch elements within a window
    operand = np.zeros((6, 3), np.float32)
    dn = lax.ScatterDimensionNumbers(
        update_window_dims=(0, 2), inserted_window_dims=(), scatter_dims_to_operand_dims=(0,)
    )
    idx = np.array([[0], [1], [4], [-2]], np.int32)
    updates = RNG.standard_normal((3, 4, 3)).astype(np.float32)
    for fn in (lax.scatter, lax.scatter_add):
        check(lambda o, i, u, fn=fn: fn(o, i, u, dn, mode=mode), operand, idx, updates, wide=wide,
              routines=[fn.__name__])  # fmt: skip


def test_scatter_multi_index_and_batching_dims():
    # 2-d index vectors into (4, 5, 3) with a window over the last dim
    operand = RNG.standard_normal((4, 5, 3)).astype(np.float32)
    dn = lax.ScatterDimensionNumbers(update_window_dims=(1,), inserted_window_dims=(0, 1),
                                     scatter_dims_to_operand_dims=(1, 0))  # fmt: skip
    idx = np.array([[1, 2], [4, 3], [1, 2], [5, 0]], np.int32)
    updates = RNG.standard_normal((4, 3)).astype(np.float32)
    for mode in ("clip", "fill"):
        check(lambda o, i, u, m=mode: lax.scatter_add(o, i, u, dn, mode=m), operand, idx, updates, wide=False,
              routines=["scatter_add"])  # fmt: skip
    # batching dims (as vmap makes them): the update proc gets a grid over the batch
    operand = RNG.standard_normal((3, 5)).astype(np.float32)
    dn = lax.ScatterDimensionNumbers(update_window_dims=(), inserted_window_dims=(1,), scatter_dims_to_operand_dims=(1,),
                                     operand_batching_dims=(0,), scatter_indices_batching_dims=(0,))  # fmt: skip
    idx = np.array([[[1], [1], [7]], [[0], [4], [4]], [[2], [-1], [3]]], np.int32)
    updates = RNG.standard_normal((3, 3)).astype(np.float32)
    check(lambda o, i, u: lax.scatter_add(o, i, u, dn, mode="fill"), operand, idx, updates, wide=True,
          routines=["scatter_add"])  # fmt: skip


def test_scatter_grids_over_dims_that_separate_writes():
    def grids(f, *args):
        _, program, _ = run_native(f, *args, wide=True)
        (routine,) = program.routines()
        return [p.grid for p in build_native(routine, reference_kernel_backend(procs=True)).procs]

    # a batching dim: one grid point per batch element
    dn = lax.ScatterDimensionNumbers(update_window_dims=(), inserted_window_dims=(1,), scatter_dims_to_operand_dims=(1,),
                                     operand_batching_dims=(0,), scatter_indices_batching_dims=(0,))  # fmt: skip
    args = np.zeros((3, 5), np.float32), np.zeros((3, 2, 1), np.int32), np.ones((3, 2), np.float32)
    assert grids(lambda o, i, u: lax.scatter(o, i, u, dn), *args) == [(15,), (3,)]
    # rows (a window along a dim no index moves): one grid point per column; scalars: one in all
    dn = lax.ScatterDimensionNumbers(
        update_window_dims=(1,), inserted_window_dims=(0,), scatter_dims_to_operand_dims=(0,)
    )
    args = np.zeros((6, 4), np.float32), np.zeros((5, 1), np.int32), np.ones((5, 4), np.float32)
    assert grids(lambda o, i, u: lax.scatter_add(o, i, u, dn), *args) == [(24,), (4,)]
    args = np.zeros(6, np.float32), np.zeros((5, 1), np.int32), np.ones(5, np.float32)
    assert grids(lambda o, i, u: lax.scatter_add(o, i, u, DN_1D), *args) == [(6,), ()]
    # a window along an indexed dim overlaps other windows: sequential
    dn = lax.ScatterDimensionNumbers(
        update_window_dims=(1,), inserted_window_dims=(), scatter_dims_to_operand_dims=(0,)
    )
    args = np.zeros(6, np.float32), np.zeros((5, 1), np.int32), np.ones((5, 2), np.float32)
    assert grids(lambda o, i, u: lax.scatter_add(o, i, u, dn), *args) == [(6,), ()]


@pytest.mark.parametrize("mode", ["clip", "drop"])
def test_jnp_at_updates(mode):
    x = RNG.standard_normal((5, 4)).astype(np.float32)
    i = np.array([0, 4, 0, 7, -6], np.int32)
    v = RNG.standard_normal((5, 4)).astype(np.float32)
    # (the gather is jnp's index normalization)
    check(lambda a, i, v: jnp.asarray(a).at[i].add(v, mode=mode), x, i, v, wide=False,
          routines=["gather", "scatter_add"])  # fmt: skip
    check(lambda a, i, v: jnp.asarray(a).at[i, 1].set(v[:, 0], mode=mode), x, i, v, wide=True,
          routines=["gather", "scatter"])  # fmt: skip
    check(lambda a: lax.dynamic_update_slice(a, np.ones((2, 3), np.float32), (np.int32(4), np.int32(-1))), x,
          wide=False, routines=["scatter"])  # fmt: skip


# --- gather -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.uint32, np.bool_])
def test_take_modes_and_fill(dtype):
    x = sample(dtype, (5, 3))
    i = np.array([[0, 4], [-1, 5], [2, 9]], np.int32)
    for wide, mode in ((False, "clip"), (True, "fill")):
        check(lambda a, i, m=mode: jnp.take(a, i, axis=0, mode=m), x, i, wide=wide, routines=["gather"])


def test_gather_general_dimension_numbers():
    x = RNG.standard_normal((4, 6, 3)).astype(np.float32)
    dn = lax.GatherDimensionNumbers(offset_dims=(1, 2), collapsed_slice_dims=(1,), start_index_map=(1, 0))
    idx = np.array([[1, 0], [5, 2], [-1, 1], [3, 3]], np.int32)
    for mode, fill in (("clip", None), ("fill", None), ("fill", -2.0), ("promise_in_bounds", None)):
        check(lambda a, i, m=mode, f=fill: lax.gather(a, i, dn, (2, 1, 3), mode=m, fill_value=f), x, idx, wide=False,
              routines=["gather"])  # fmt: skip
    # batching dims and int8 / uint32 indices
    dn = lax.GatherDimensionNumbers(offset_dims=(), collapsed_slice_dims=(1,), start_index_map=(1,),
                                    operand_batching_dims=(0,), start_indices_batching_dims=(0,))  # fmt: skip
    x = RNG.standard_normal((3, 5)).astype(np.float32)
    for idx in (np.array([[[1], [-1]], [[4], [9]], [[0], [2]]], np.int8),
                np.array([[[1], [2**31 + 1]], [[4], [9]], [[0], [2**32 - 1]]], np.uint32)):  # fmt: skip
        for mode in ("clip", "fill"):
            check(lambda a, i, m=mode: lax.gather(a, i, dn, (1, 1), mode=m), x, idx, wide=True, routines=["gather"])


def test_dynamic_slice_and_take_along_axis():
    x = RNG.standard_normal((5, 6)).astype(np.float32)
    check(lambda a, s: lax.dynamic_slice(a, (s, np.int32(-3)), (2, 4)), x, np.int32(4), wide=False,
          routines=["gather"])  # fmt: skip
    i = RNG.integers(0, 6, (5, 6)).astype(np.int32)
    check(lambda a, i: jnp.take_along_axis(a, i, axis=1), x, i, wide=True, routines=["gather"])
