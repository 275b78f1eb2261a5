"""scan/while on WebGPU through core's device-resident loop driver (KernelBackend.device_loops): the
body's dispatches and the x/y/carry copies are recorded into one command encoder; values match cpu."""

from __future__ import annotations

import numpy as np
import pytest

import jaxnc
import jaxnc.lax as lax
import jaxnc.numpy as jnp
from jaxnc._src.lax.control_flow import record_loop_paths

DT = 0.1
F = np.array([[1, 0, DT, 0], [0, 1, 0, DT], [0, 0, 1, 0], [0, 0, 0, 1]], np.float32)
H = np.array([[1, 0, 0, 0], [0, 1, 0, 0]], np.float32)


def _backend():
    return jaxnc.devices("webgpu")[0].backend


def _on(platform, *args):
    return [jaxnc.device_put(a, jaxnc.devices(platform)[0]) for a in args]


def _device(f, *args, kinds=("scan",)):
    """f under jit on webgpu (requiring every loop to take the device path) and on cpu."""
    with record_loop_paths() as paths:
        got = jaxnc.tree_util.tree_map(np.asarray, jaxnc.jit(f)(*_on("webgpu", *args)))
    assert paths and all(p[1:] == ("device", "webgpu") and p[0] in kinds for p in paths), paths
    want = jaxnc.tree_util.tree_map(np.asarray, jaxnc.jit(f)(*_on("cpu", *args)))
    return got, want


def _close(got, want, **tol):
    for g, w in zip(jaxnc.tree_util.tree_leaves(got), jaxnc.tree_util.tree_leaves(want), strict=True):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g, w, **tol)


@pytest.mark.parametrize("reverse", [False, True])
def test_cumsum(reverse):
    xs = np.random.default_rng(0).standard_normal(100).astype(np.float32)
    got, want = _device(lambda xs: lax.scan(lambda c, x: (c + x, c + x), jnp.float32(0), xs, reverse=reverse), xs)
    _close(got, want, rtol=1e-5, atol=1e-5)


def test_carry_permutations_and_passthrough():
    xs = np.arange(12, dtype=np.float32).reshape(6, 2)

    def body(c, x):
        a, b, k = c
        return (b, a + x, k), (a, x, k)  # swapped carries, an unchanged carry, ys that are inputs

    got, want = _device(lambda xs: lax.scan(body, (jnp.zeros(2), jnp.ones(2), jnp.float32(3)), xs), xs)
    _close(got, want)


def test_xs_none():
    f = lambda c: lax.scan(lambda c, _: (c * 1.5 + 1.0, c), c, None, length=7)  # noqa: E731
    got, want = _device(f, np.ones(3, np.float32))
    _close(got, want, rtol=1e-6)


def _kalman(log_q, ys):
    q, r = jnp.exp(log_q) * jnp.eye(4, dtype=jnp.float32), 0.05 * jnp.eye(2, dtype=jnp.float32)

    def step(carry, y):
        m, p = carry
        m_pred = F @ m
        p_pred = F @ p @ F.T + q
        s = H @ p_pred @ H.T + r
        det = s[0, 0] * s[1, 1] - s[0, 1] * s[1, 0]
        s_inv = jnp.stack([jnp.stack([s[1, 1], -s[0, 1]]), jnp.stack([-s[1, 0], s[0, 0]])]) / det
        k = p_pred @ H.T @ s_inv
        v = y - H @ m_pred
        ll = -0.5 * (v @ s_inv @ v + jnp.log(det))
        return (m_pred + k @ v, p_pred - k @ s @ k.T), (ll, m_pred)

    (m, p), (lls, ms) = lax.scan(step, (jnp.zeros(4, dtype=jnp.float32), jnp.eye(4, dtype=jnp.float32)), ys)
    return m, p, ms, jnp.sum(lls)


def test_kalman_filter_pytree_carry_and_ys():
    ys = np.random.default_rng(1).standard_normal((30, 2)).astype(np.float32)
    got, want = _device(_kalman, np.float32(-1.0), ys)
    _close(got, want, rtol=1e-4, atol=1e-5)


def test_grad_through_scan():
    ys = np.random.default_rng(2).standard_normal((12, 2)).astype(np.float32)
    got, want = _device(jaxnc.grad(lambda q, ys: _kalman(q, ys)[3]), np.float32(-1.0), ys)  # forward + reverse scan
    _close(got, want, rtol=1e-3)


def test_while_loop():
    def f(n):
        return lax.while_loop(lambda c: c[0] < n, lambda c: (c[0] + 1, c[1] * 2.0 + 1.0), (0, jnp.float32(1)))

    got, want = _device(f, np.int32(10), kinds=("while",))
    _close(got, want)
    assert int(got[0]) == 10
    got, want = _device(f, np.int32(-3), kinds=("while",))  # zero trips
    _close(got, want)


def test_fori_loop():
    x = np.random.default_rng(3).standard_normal((8, 8)).astype(np.float32)
    f = lambda x: lax.fori_loop(0, 5, lambda i, a: jnp.tanh(a @ a.T * 0.1) + a, x)  # noqa: E731
    got, want = _device(f, x, kinds=("scan", "while"))
    _close(got, want, rtol=1e-4, atol=1e-5)


def test_scan_inside_jit_with_kernels_around():
    x = np.random.default_rng(4).standard_normal((16, 3)).astype(np.float32)

    def f(x):
        h = jnp.tanh(x) * 2.0
        c, ys = lax.scan(lambda c, r: (c * 0.5 + r, jnp.sin(c)), jnp.zeros(3), h)
        return jnp.sum(ys, 0) + c, jnp.exp(ys)

    got, want = _device(f, x)
    _close(got, want, rtol=1e-5, atol=1e-6)


def test_zero_length_scan():
    xs = np.zeros((0, 3), np.float32)
    got, want = _device(lambda xs: lax.scan(lambda c, x: (c + x, c * 2), jnp.ones(3), xs), xs)
    _close(got, want)


def test_nested_loops():
    xs = np.arange(20, dtype=np.float32).reshape(5, 4)

    def f(xs):
        inner = lambda c, x: lax.scan(lambda a, v: (a + v, a), c, x)  # noqa: E731
        return lax.scan(inner, jnp.float32(0), xs)

    got, want = _device(f, xs)
    _close(got, want)


def test_odd_byte_slices_keep_the_host_loop():
    xs = np.array([True, False, True])  # one bool per x: copy_buffer_to_buffer takes 4-byte slices
    f = jaxnc.jit(lambda xs: lax.scan(lambda c, x: (c + x.astype(jnp.int32), x), jnp.int32(0), xs))
    with record_loop_paths() as paths:
        c, ys = f(*_on("webgpu", xs))
    assert paths == [("scan", "host", "cpu")]
    assert int(c) == 2 and np.asarray(ys).tolist() == xs.tolist()


def test_scan_of_100_steps_is_one_submit():
    xs = np.random.default_rng(5).standard_normal(100).astype(np.float32)
    f = jaxnc.jit(lambda x, xs: lax.scan(lambda c, x: (c * 0.9 + x, c), x * 2.0, xs))
    args = _on("webgpu", np.float32(1), xs)
    f(*args)  # compile
    rt = _backend().runtime
    rt.flush()
    before = rt.submits
    with record_loop_paths() as paths:
        c, ys = f(*args)
        c, ys = np.asarray(c), np.asarray(ys)  # the readbacks
    assert paths == [("scan", "device", "webgpu")]
    assert rt.submits - before <= 2, rt.submits - before
    want = jaxnc.jit(lambda x, xs: lax.scan(lambda c, x: (c * 0.9 + x, c), x * 2.0, xs))(*_on("cpu", np.float32(1), xs))
    _close((c, ys), want, rtol=1e-5, atol=1e-6)


# --- the generic driver on core's reference kernel backend -------------------------------------------


def test_driver_on_the_reference_kernel_backend():
    from jaxnc._src.lowering.reference import reference_kernel_backend, run_function

    b = reference_kernel_backend()
    b.device_loops = True
    b.copy = lambda src, so, dst, do, n: dst.__setitem__(slice(do, do + n), src[so : so + n])

    def f(c, xs):
        (c, k), ys = lax.scan(lambda ck, x: ((ck[0] * 0.5 + x, ck[1] + 1), ck[0] - x), (c, jnp.int32(0)), xs,
                              reverse=True)  # fmt: skip
        w = lax.while_loop(lambda v: v < 100.0, lambda v: v * 3.0 + 1.0, jnp.float32(1))
        return c, k, ys, w

    args = (np.full(2, 2.0, np.float32), np.arange(6, dtype=np.float32).reshape(3, 2))
    with record_loop_paths() as paths:
        got, program = run_function(b, f, *args)
    assert sorted(paths) == [("scan", "device", "kernel-reference"), ("while", "device", "kernel-reference")]
    assert "loop" in str(program)
    want = [np.asarray(v) for v in jaxnc.jit(f)(*_on("cpu", *args))]
    _close(got, want, rtol=1e-6)


def test_body_with_a_native_routine():
    xs = np.random.default_rng(6).standard_normal((4, 8)).astype(np.float32)
    f = lambda xs: lax.scan(lambda c, x: (c + jnp.sort(x), jnp.cumsum(x)), jnp.zeros(8), xs)  # noqa: E731
    got, want = _device(f, xs)
    _close(got, want, rtol=1e-5, atol=1e-6)
