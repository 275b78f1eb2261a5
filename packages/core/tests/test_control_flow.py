"""Control flow (scan, while_loop, fori_loop, cond, switch, map, associative_scan) against NumPy loops,
finite differences and JAX's documented semantics, under jit, grad, vmap and their compositions."""

from __future__ import annotations

import numpy as np
import pytest

import jaxnc
import jaxnc.numpy as jnp
from jaxnc import lax
from jaxnc._src.lax import control_flow
from jaxnc.testing import check_grads

RNG = np.random.default_rng(0)


def f32(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def close(a, b, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64), rtol=rtol, atol=atol)


# --- oracles ---------------------------------------------------------------------------------------


def rnn_step(params, h, x):
    w, u = params
    h = jnp.tanh(h @ w + x @ u)
    return h, jnp.sum(h * h)


def rnn_np(w, u, h, xs, reverse=False):
    ys = [None] * len(xs)
    for i in range(len(xs))[::-1] if reverse else range(len(xs)):
        h = np.tanh(h @ w + xs[i] @ u)
        ys[i] = np.sum(h * h)
    return h, np.array(ys)


def rnn_scan(w, u, h, xs, **kw):
    return lax.scan(lambda h, x: rnn_step((w, u), h, x), h, xs, **kw)


W, U, H0, XS = 0.5 * f32(3, 3), 0.5 * f32(2, 3), f32(3), f32(6, 2)


# --- scan: values ------------------------------------------------------------------------------------


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("unroll", [1, 2, True])
def test_scan_matches_python_loop(reverse, unroll):
    h, ys = rnn_scan(W, U, H0, XS, reverse=reverse, unroll=unroll)
    h_np, ys_np = rnn_np(W, U, H0, XS, reverse)
    close(h, h_np)
    close(ys, ys_np)


def test_scan_pytrees_and_none_xs():
    init = {"a": jnp.zeros(2), "b": (jnp.int32(0), jnp.ones(()))}

    def body(c, x):
        return {"a": c["a"] + 1.0, "b": (c["b"][0] + 1, c["b"][1] * 2.0)}, (c["a"], {"n": c["b"][0]})

    c, (ya, yd) = lax.scan(body, init, None, length=4)
    close(c["a"], [4.0, 4.0])
    assert int(c["b"][0]) == 4 and float(c["b"][1]) == 16.0
    assert ya.shape == (4, 2) and yd["n"].tolist() == [0, 1, 2, 3]
    c2, ys2 = lax.scan(lambda c, x: (c + x["p"] * x["q"][0], None), 0.0, {"p": jnp.arange(3.0), "q": [jnp.ones(3)]})
    assert float(c2) == 3.0 and ys2 is None


def test_scan_length_zero_and_weak_init():
    c, ys = lax.scan(lambda c, x: (c + x, c), 0, jnp.zeros((0,), jnp.float32))
    assert ys.shape == (0,) and c.dtype == np.float32
    c, ys = lax.scan(lambda c, x: (c + x, c), 0.0, jnp.arange(3.0))
    assert c.dtype == np.float32 and ys.dtype == np.float32


def test_scan_closure_over_arrays_and_nested():
    w = jnp.asarray(f32(4))

    def inner(c, x):
        return c * 0.5 + x * w, jnp.sum(c)

    def outer(c, xs):
        c, ys = lax.scan(inner, c, xs)
        return c, ys

    xss = f32(3, 5, 4)
    c, ys = lax.scan(outer, jnp.zeros(4), xss)
    c_np, ys_np = np.zeros(4, np.float32), np.zeros((3, 5), np.float32)
    for i in range(3):
        for j in range(5):
            ys_np[i, j] = c_np.sum()
            c_np = c_np * 0.5 + xss[i, j] * np.asarray(w)
    close(c, c_np)
    close(ys, ys_np)


def test_errors_where_jaxnc_is_stricter_than_jax():
    # JAX's own wording is checked against JAX in test_matches_jax_golden[error/*]; here JAX 0.10.2 returns
    # a value (batch_size=0: no batching; length=-1: an empty scan) or fails inside (IndexError on 0-d xs)
    with pytest.raises(ValueError, match="lax.map: batch_size must be a positive integer, got 0"):
        lax.map(lambda x: x, jnp.zeros(3), batch_size=0)
    with pytest.raises(ValueError, match="scan got a negative `length` argument: -1"):
        lax.scan(lambda c, x: (c, x), 0.0, None, length=-1)
    with pytest.raises(ValueError, match=r"scan got value with no leading axis to scan over: f32\[\]"):
        lax.scan(lambda c, x: (c, x), 0.0, jnp.float32(1))


# --- scan: transformations (the acceptance list) ------------------------------------------------------


def loss(w, u, h, xs):
    h, ys = rnn_scan(w, u, h, xs)
    return jnp.sum(h) + jnp.sum(ys)


def test_scan_grad_against_finite_differences():
    check_grads(loss, (W, U, H0, XS), order=1, modes=("fwd", "rev"))
    check_grads(lambda w: rnn_scan(w, U, H0, XS, reverse=True)[1], (W,), order=1)


def test_grad_jit_scan_and_jit_grad_scan_agree():
    g_eager = jaxnc.grad(loss, argnums=(0, 1, 2, 3))(W, U, H0, XS)
    g_a = jaxnc.grad(jaxnc.jit(loss), argnums=(0, 1, 2, 3))(W, U, H0, XS)
    g_b = jaxnc.jit(jaxnc.grad(loss, argnums=(0, 1, 2, 3)))(W, U, H0, XS)
    for a, b, c in zip(g_eager, g_a, g_b, strict=True):
        close(a, b)
        close(a, c)


def test_vmap_scan_variants_against_loop():
    ws = 0.5 * f32(3, 3, 3)
    xss = f32(3, 6, 2)
    want = [rnn_np(ws[i], U, H0, xss[i]) for i in range(3)]
    f = lambda w, xs: rnn_scan(w, U, H0, xs)
    for g in (jaxnc.vmap(f), jaxnc.jit(jaxnc.vmap(f)), jaxnc.vmap(jaxnc.jit(f))):
        h, ys = g(ws, xss)
        close(h, np.stack([w[0] for w in want]))
        close(ys, np.stack([w[1] for w in want]))
    # batched only in the carry, and in_axes other than 0
    h, ys = jaxnc.vmap(lambda h: rnn_scan(W, U, h, XS), in_axes=1)(np.stack([H0, 2 * H0], 1))
    close(h[1], rnn_np(W, U, 2 * H0, XS)[0])


def test_vmap_of_grad_and_grad_of_vmap():
    ws = 0.5 * f32(2, 3, 3)
    g1 = jaxnc.vmap(jaxnc.grad(loss), (0, None, None, None))(ws, U, H0, XS)
    g2 = jaxnc.grad(lambda ws: jnp.sum(jaxnc.vmap(loss, (0, None, None, None))(ws, U, H0, XS)))(ws)
    for i in range(2):
        close(g1[i], jaxnc.grad(loss)(ws[i], U, H0, XS), rtol=1e-4)
    close(g1, g2, rtol=1e-4)


def test_hessian_through_scan():
    def f(x):
        return lax.scan(lambda c, a: (jnp.sin(c * a), c * c), x[0], x)[0] + jnp.sum(x)

    x = np.array([0.3, -0.6, 0.9], np.float32)
    hess = np.asarray(jaxnc.hessian(f)(x))
    eps = 1e-3
    x64 = x.astype(np.float64)

    def g(v):  # gradient by central differences of the float64 NumPy oracle
        def f_np(v):
            c = v[0]
            for a in v:
                c = np.sin(c * a)
            return c + v.sum()

        return np.array([(f_np(v + eps * e) - f_np(v - eps * e)) / (2 * eps) for e in np.eye(3)])

    fd = np.stack([(g(x64 + eps * e) - g(x64 - eps * e)) / (2 * eps) for e in np.eye(3)])
    close(hess, fd, rtol=2e-3, atol=2e-3)
    close(hess, hess.T, rtol=1e-4, atol=1e-5)


def test_scan_in_scan_grad():
    def f(w, xss):
        def outer(c, xs):
            c, _ = lax.scan(lambda c, x: (jnp.tanh(c * w + x), None), c, xs)
            return c, c

        return jnp.sum(lax.scan(outer, 0.1, xss)[1])

    check_grads(f, (np.float32(0.8), f32(3, 4)), order=2, modes=("fwd", "rev"))


def test_cond_in_scan_and_scan_in_cond():
    def body(c, x):
        c = lax.cond(x > 0, lambda c: c * x, lambda c: c - x, c)
        return c, c

    xs = np.array([0.5, -1.0, 2.0, -0.3], np.float32)
    c, ys = lax.scan(body, 1.5, xs)
    c_np, ys_np = 1.5, []
    for x in xs:
        c_np = c_np * x if x > 0 else c_np - x
        ys_np.append(c_np)
    close(c, c_np)
    close(ys, ys_np)
    check_grads(lambda c0, xs: lax.scan(body, c0, xs)[1], (np.float32(1.5), xs), order=2)

    def g(p, w):
        return lax.cond(p, lambda w: lax.scan(lambda c, x: (c * w + x, c), 1.0, jnp.arange(3.0))[0], lambda w: w, w)

    close(g(True, 2.0), ((1 * 2 + 0) * 2 + 1) * 2 + 2)
    close(jaxnc.grad(g, argnums=1)(True, 2.0), 13.0)  # d/dw (w^3 + w + 2) at 2
    close(jaxnc.grad(g, argnums=1)(False, 2.0), 1.0)
    close(jaxnc.jit(jaxnc.grad(g, argnums=1))(True, 2.0), 13.0)


def _sin_body(c, x):
    return jnp.sin(c) * x + c, jnp.cos(c)


def test_checkpoint_inside_body():
    xs = f32(7)
    f_ref = lambda c, xs: jnp.sum(lax.scan(_sin_body, c, xs)[1])
    f_remat = lambda c, xs: jnp.sum(lax.scan(jaxnc.checkpoint(_sin_body), c, xs)[1])
    close(f_remat(0.3, xs), f_ref(0.3, xs))
    for a, b in zip(jaxnc.grad(f_remat, argnums=(0, 1))(0.3, xs), jaxnc.grad(f_ref, argnums=(0, 1))(0.3, xs), strict=True):
        close(a, b, rtol=1e-5)


@pytest.mark.parametrize("segment", [True, 2, 3, 7])
@pytest.mark.parametrize("reverse", [False, True])
def test_sqrt_checkpointing_matches_plain_scan(segment, reverse):
    xs = f32(7)
    fk = lambda c, xs: jnp.sum(lax.scan(_sin_body, c, xs, checkpoint=segment, reverse=reverse)[1])
    f0 = lambda c, xs: jnp.sum(lax.scan(_sin_body, c, xs, reverse=reverse)[1])
    close(fk(0.3, xs), f0(0.3, xs))
    for a, b in zip(jaxnc.grad(fk, argnums=(0, 1))(0.3, xs), jaxnc.grad(f0, argnums=(0, 1))(0.3, xs), strict=True):
        close(a, b, rtol=1e-5)


def test_sqrt_checkpointing_stores_segment_carries_only():
    # the residuals a checkpointed scan keeps for the backward pass: about sqrt(N) carries, not N steps
    from jaxnc._src.interpreters import ad

    n = 64
    xs = f32(n)

    def residual_elements(segment):
        f = lambda c: [lax.scan(lambda c, x: (jnp.sin(c) * x + c, None), c, xs, checkpoint=segment)[0]]
        _, _, (_, residuals) = ad.vjp_flat(f, [0.3])
        return sum(int(np.prod(np.shape(r))) for r in residuals)

    assert residual_elements(None) >= 2 * n  # per step: cos(c) and x (at least)
    assert residual_elements(True) <= 8 + n  # 8 segment-start carries, and xs itself


# --- while_loop / fori_loop -----------------------------------------------------------------------------


def test_while_loop_values_jit_vmap():
    def collatz_steps(n):
        return lax.while_loop(lambda c: c[0] != 1, lambda c: (jnp.where(c[0] % 2 == 0, c[0] // 2, 3 * c[0] + 1),
                                                              c[1] + 1), (n, 0))[1]  # fmt: skip

    def steps_np(n):
        k = 0
        while n != 1:
            n = n // 2 if n % 2 == 0 else 3 * n + 1
            k += 1
        return k

    ns = np.array([1, 6, 7, 27], np.int32)
    assert [int(collatz_steps(jnp.int32(n))) for n in ns] == [steps_np(n) for n in ns]
    assert jaxnc.jit(collatz_steps)(jnp.int32(27)).tolist() == steps_np(27)
    assert jaxnc.vmap(collatz_steps)(ns).tolist() == [steps_np(n) for n in ns]  # a batched predicate
    assert jaxnc.jit(jaxnc.vmap(collatz_steps))(ns).tolist() == [steps_np(n) for n in ns]


def test_while_loop_forward_mode_and_reverse_mode_error():
    def f(x):
        return lax.while_loop(lambda c: c[1] < 4, lambda c: (jnp.sin(c[0]) * 1.5, c[1] + 1), (x, 0))[0]

    x = 0.7
    x_np = x
    for _ in range(4):
        x_np = np.sin(x_np) * 1.5
    close(f(x), x_np)
    check_grads(f, (np.float32(x),), order=2, modes=("fwd",))
    close(jaxnc.jacfwd(f)(x), jaxnc.jvp(f, (x,), (1.0,))[1])
    with pytest.raises(ValueError, match="Reverse-mode differentiation does not work for lax.while_loop"):
        jaxnc.grad(f)(x)
    with pytest.raises(ValueError, match="Reverse-mode differentiation does not work for lax.while_loop"):
        jaxnc.grad(jaxnc.jit(lambda x, n: lax.fori_loop(0, n, lambda i, c: c * x, 1.0)))(2.0, 3)


def test_fori_loop_static_is_scan_and_reverse_differentiable():
    def f(x):
        return lax.fori_loop(0, 5, lambda i, c: c * x + i, 1.0)

    jaxpr = str(jaxnc.make_jaxpr(f)(2.0))
    assert "scan" in jaxpr and "while" not in jaxpr
    c = 1.0
    for i in range(5):
        c = c * 2.0 + i
    close(f(2.0), c)
    check_grads(f, (np.float32(1.1),), order=2)
    assert "while" in str(jaxnc.make_jaxpr(lambda n: lax.fori_loop(0, n, lambda i, c: c + i, 0))(5))
    assert int(jaxnc.jit(lambda n: lax.fori_loop(0, n, lambda i, c: c + i, 0))(5)) == 10
    assert int(lax.fori_loop(3, 1, lambda i, c: c + i, 0)) == 0


# --- cond / switch --------------------------------------------------------------------------------------


def test_cond_values_grad_and_jit():
    f = lambda p, x: lax.cond(p, lambda x: jnp.sin(x) * 2.0, lambda x: x * x, x)
    close(f(True, 0.5), 2 * np.sin(0.5))
    close(f(False, 0.5), 0.25)
    close(f(3, 0.5), 2 * np.sin(0.5))  # a number predicate means != 0, as JAX
    close(f(np.float32(0.0), 0.5), 0.25)
    close(jaxnc.grad(f, argnums=1)(True, 0.5), 2 * np.cos(0.5))
    close(jaxnc.grad(f, argnums=1)(False, 0.5), 1.0)
    close(jaxnc.jit(jaxnc.grad(f, argnums=1))(True, 0.5), 2 * np.cos(0.5))
    close(jaxnc.grad(jaxnc.jit(f), argnums=1)(False, 0.5), 1.0)
    check_grads(lambda x: lax.cond(x[0] > 0, lambda x: x * x[1], lambda x: jnp.exp(x), x), (f32(3),), order=2)
    # operands that are closed over, and the `operand=` keyword
    y = jnp.asarray(3.0)
    close(lax.cond(True, lambda: y * 2, lambda: y), 6.0)
    close(lax.cond(False, lambda x: x + y, lambda x: x, operand=1.0), 1.0)


def test_cond_vmap_batched_predicate_is_select():
    f = lambda x: lax.cond(x > 0, lambda x: jnp.sqrt(x), lambda x: -x, x)
    xs = np.array([-4.0, 4.0, 9.0], np.float32)
    close(jaxnc.vmap(f)(xs), [4.0, 2.0, 3.0])
    jaxpr = str(jaxnc.make_jaxpr(jaxnc.vmap(f))(xs))
    assert "select_n" in jaxpr and "cond" not in jaxpr
    # an unbatched predicate stays a cond
    g = lambda p, x: lax.cond(p, lambda x: x * 2, lambda x: x, x)
    assert "cond" in str(jaxnc.make_jaxpr(jaxnc.vmap(g, (None, 0)))(True, xs))
    close(jaxnc.vmap(g, (None, 0))(True, xs), 2 * xs)
    close(jaxnc.jit(jaxnc.vmap(jaxnc.grad(f)))(xs), [-1.0, 0.25, 1 / 6])


def test_switch_clamps_index_and_differentiates():
    branches = [lambda x: x + 1.0, lambda x: x * x, lambda x: jnp.sin(x)]
    for i, want in [(-3, 3.0), (0, 3.0), (1, 4.0), (2, np.sin(2.0)), (9, np.sin(2.0))]:
        close(lax.switch(i, branches, 2.0), want)
        close(jaxnc.jit(lambda i, x: lax.switch(i, branches, x))(i, 2.0), want)
    close(jaxnc.grad(lambda x: lax.switch(1, branches, x))(3.0), 6.0)
    close(jaxnc.vmap(lambda i, x: lax.switch(i, branches, x))(np.array([0, 1, 5]), np.full(3, 2.0, np.float32)),
          [3.0, 4.0, np.sin(2.0)])  # fmt: skip
    with pytest.raises(TypeError, match="Index type must be an integer"):
        lax.switch(1.0, branches, 2.0)


# --- map / associative_scan -------------------------------------------------------------------------------


@pytest.mark.parametrize("batch_size", [None, 1, 2, 3, 7])
def test_map_against_loop(batch_size):
    xs = {"a": f32(7, 2), "b": f32(7)}
    out = lax.map(lambda d: jnp.sum(d["a"]) * d["b"], xs, batch_size=batch_size)
    close(out, xs["a"].sum(1) * xs["b"])


@pytest.mark.parametrize("n", [1, 2, 5, 8, 13])
@pytest.mark.parametrize("reverse", [False, True])
def test_associative_scan_cumsum_cumprod(n, reverse):
    x = RNG.uniform(0.5, 1.5, n).astype(np.float32)
    flip = (lambda a: a[::-1]) if reverse else (lambda a: a)
    close(lax.associative_scan(lax.add, x, reverse=reverse), flip(np.cumsum(flip(x))))
    close(lax.associative_scan(lax.mul, x, reverse=reverse), flip(np.cumprod(flip(x))), rtol=1e-5)


def test_associative_scan_axis_pytrees_grad_vmap():
    x = f32(3, 6, 2)
    close(lax.associative_scan(jnp.add, x, axis=1), np.cumsum(x, 1))
    close(lax.associative_scan(jnp.maximum, x, axis=-1), np.maximum.accumulate(x, -1))

    # a first-order linear recurrence h_t = a_t h_{t-1} + b_t as pairs (a, b): not commutative
    def compose(p, q):
        return q[0] * p[0], q[0] * p[1] + q[1]

    a, b = RNG.uniform(0.5, 1.0, 9).astype(np.float32), f32(9)
    _, h = lax.associative_scan(compose, (a, b))
    h_np, acc = [], 0.0
    for ai, bi in zip(a, b, strict=True):
        acc = ai * acc + bi
        h_np.append(acc)
    close(h, h_np, rtol=1e-5)
    check_grads(lambda a, b: lax.associative_scan(compose, (a, b))[1], (a, b), order=1)
    batched = jaxnc.vmap(lambda x: lax.associative_scan(jnp.add, x))(x[:, :, 0])
    close(batched, np.cumsum(x[:, :, 0], 1))
    with pytest.raises(ValueError, match="must have the same first dimension"):
        lax.associative_scan(compose, (a, b[:5]))


def test_associative_scan_has_logarithmic_depth():
    # the longest chain of dependent equations grows by a constant per doubling of n (8 here: slices,
    # combine, concatenate, interleave), and no loop primitive is involved
    from jaxnc._src import core

    def depth_and_size(n):
        jaxpr = jaxnc.make_jaxpr(lambda x: lax.associative_scan(jnp.add, x))(jnp.zeros(n)).jaxpr
        depth: dict = {}
        for eqn in jaxpr.eqns:
            assert eqn.primitive.name in {"slice", "add", "concatenate", "reshape", "broadcast_in_dim"}, eqn.primitive
            d = 1 + max([depth.get(v, 0) for v in eqn.inputs if type(v) is core.Var] or [0])
            depth.update(dict.fromkeys(eqn.outvars, d))
        return max(depth[v] for v in jaxpr.outvars), len(jaxpr.eqns)

    for n in (2, 65, 1000, 4096):
        levels = int(np.ceil(np.log2(n)))
        depth, size = depth_and_size(n)
        assert depth <= 8 * levels + 1 and size <= 12 * levels + 2, (n, depth, size)
    assert depth_and_size(4096)[0] - depth_and_size(1024)[0] == depth_and_size(1024)[0] - depth_and_size(256)[0]


# --- every control-flow construct eagerly and under jit, with the leak check (autouse) around both ---------

_EVERY = {
    "scan": (lambda xs: rnn_scan(W, U, H0, xs), (XS,)),
    "scan_reverse_xs_none": (lambda c: lax.scan(lambda c, _: (c * 0.5 + 1.0, c), c, None, length=5, reverse=True), (H0,)),
    "scan_grad": (lambda w: jaxnc.grad(loss)(w, U, H0, XS), (W,)),
    "scan_vmap": (lambda ws: jaxnc.vmap(lambda w: rnn_scan(w, U, H0, XS))(ws), (0.5 * f32(2, 3, 3),)),
    "scan_hessian": (lambda x: jaxnc.hessian(lambda x: lax.scan(lambda c, a: (jnp.sin(c * a), None), x[0], x)[0])(x),
                     (np.float32([0.3, -0.6, 0.9]),)),  # fmt: skip
    "scan_in_scan": (lambda xss: lax.scan(lambda c, xs: (lax.scan(lambda d, x: (d + x * c, d), c, xs)[0], c), 1.0,
                                          xss), (f32(3, 4),)),  # fmt: skip
    "scan_sqrt_checkpoint_grad": (lambda xs: jaxnc.grad(lambda c: jnp.sum(lax.scan(_sin_body, c, xs, checkpoint=True)[1]))(
        0.3), (f32(10),)),  # fmt: skip
    "checkpoint_in_body_grad": (lambda xs: jaxnc.grad(lambda c: jnp.sum(lax.scan(jaxnc.checkpoint(_sin_body), c, xs)[1]))(
        0.3), (f32(6),)),  # fmt: skip
    "while": (lambda n: lax.while_loop(lambda c: c[0] < n, lambda c: (c[0] + 1, c[1] * 1.5), (0, 1.0)), (np.int32(5),)),
    "while_jvp": (lambda x: jaxnc.jvp(lambda x: lax.while_loop(lambda c: c[1] < 3, lambda c: (jnp.sin(c[0]), c[1] + 1),
                                                               (x, 0))[0], (x,), (1.0,)), (np.float32(0.4),)),  # fmt: skip
    "while_vmap_batched_pred": (jaxnc.vmap(lambda n: lax.while_loop(lambda c: c[0] < n, lambda c: (c[0] + 1, c[1] * 2.0),
                                                                    (0, 1.0))), (np.int32([0, 2, 5]),)),  # fmt: skip
    "fori_grad": (jaxnc.grad(lambda x: lax.fori_loop(0, 4, lambda i, c: c * x + i, 1.0)), (np.float32(1.2),)),
    "cond_grad": (jaxnc.grad(lambda x: lax.cond(x > 0, jnp.sin, jnp.cos, x)), (np.float32(-0.5),)),
    "cond_vmap_select": (jaxnc.vmap(lambda x: lax.cond(x > 0, jnp.sin, jnp.cos, x)), (np.float32([-1.0, 2.0]),)),
    "switch_vmap": (jaxnc.vmap(lambda i, x: lax.switch(i, [jnp.sin, jnp.cos, jnp.exp], x)),
                    (np.int32([-1, 1, 7]), np.float32([0.5, 0.5, 0.5]))),  # fmt: skip
    "map_batch_size": (lambda xs: lax.map(lambda r: jnp.sum(r * r), xs, batch_size=3), (f32(7, 2),)),
    "associative_scan_grad": (jaxnc.grad(lambda x: jnp.sum(lax.associative_scan(jnp.multiply, x, reverse=True))),
                              (RNG.uniform(0.5, 1.5, 9).astype(np.float32),)),  # fmt: skip
}


@pytest.mark.parametrize("name", sorted(_EVERY))
def test_eager_and_jit_agree_without_leaks(name):
    f, args = _EVERY[name]
    eager = jaxnc.tree_util.tree_map(np.asarray, f(*args))
    jitted = jaxnc.tree_util.tree_map(np.asarray, jaxnc.jit(f)(*args))
    for a, b in zip(jaxnc.tree_util.tree_leaves(eager), jaxnc.tree_util.tree_leaves(jitted), strict=True):
        close(a, b, rtol=1e-5)


# --- the loop path is observable ------------------------------------------------------------------------


def test_loop_path_is_recorded_eagerly_and_under_jit():
    with control_flow.record_loop_paths() as paths:
        lax.scan(lambda c, x: (c + x, c), 0.0, jnp.arange(3.0))
        jaxnc.jit(lambda n: lax.while_loop(lambda i: i < n, lambda i: i + 1, 0))(3)
    assert paths == [("scan", "host", "cpu"), ("while", "host", "cpu")]
    assert control_flow.last_loop_path == ("while", "host", "cpu")
    assert control_flow.loop_path_counts[("scan", "host", "cpu")] >= 1


def test_scan_keeps_body_as_closed_jaxpr_param():
    jaxpr = jaxnc.make_jaxpr(lambda xs: lax.scan(lambda c, x: (c + x, c * x), 0.0, xs))(jnp.arange(4.0))
    (eqn,) = [e for e in jaxpr.jaxpr.eqns if e.primitive is control_flow.scan_p]
    body = eqn.params["jaxpr"]
    assert body.consts == [] and eqn.params["length"] == 4 and eqn.params["num_carry"] == 1
    assert [e.primitive.name for e in body.jaxpr.eqns] == ["add", "mul"]


def test_every_control_flow_primitive_has_its_rules():
    for p in (control_flow.scan_p, control_flow.while_p, control_flow.cond_p):
        for rule in ("impl", "abstract_eval", "jvp", "transpose", "batch", "partial_eval"):
            assert getattr(p, rule) is not None, (p, rule)


# --- leak check under jit, explicitly ----------------------------------------------------------------------


def test_no_leaks_eager_and_jit():
    with jaxnc.check_leaks():
        f = jaxnc.jit(jaxnc.grad(loss))
        g = f(W, U, H0, XS)
        del g
        g = jaxnc.grad(loss)(W, U, H0, XS)
        del g
        out = jaxnc.vmap(lambda x: lax.cond(x > 0, jnp.sin, jnp.cos, x))(jnp.arange(3.0))
        del out, f


# --- the examples run (briefly) ----------------------------------------------------------------------------

EXAMPLES = __import__("pathlib").Path(__file__).resolve().parents[3] / "examples"


def _example(name):
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not EXAMPLES.exists(), reason="runs from the repository checkout")
def test_example_kalman_filter(capsys):
    kf = _example("kalman_filter")
    out = kf.main(["--steps", "4", "--length", "60"])
    assert out["nll"][-1] < out["nll"][0]
    assert out["rmse_smoothed"] < out["rmse_filtered"] < out["rmse_obs"]
    # the filter's gradient equals finite differences of its log-likelihood
    _, ys = kf.simulate(20, 0.5, 0.04)
    ll = lambda lq, lr: kf.kalman_filter(lq, lr, ys, jnp.zeros(4), jnp.eye(4) * 10.0)[4]
    check_grads(ll, (np.float32(-0.5), np.float32(-3.0)), order=1, rtol=3e-2)


@pytest.mark.skipif(not EXAMPLES.exists(), reason="runs from the repository checkout")
def test_example_char_rnn(capsys):
    losses = _example("char_rnn").main(["--steps", "6", "--seq-len", "8", "--hidden", "16"])
    assert len(losses) == 6 and all(np.isfinite(losses))
    assert np.mean(losses[-2:]) < np.mean(losses[:2])


@pytest.mark.skipif(not EXAMPLES.exists(), reason="runs from the repository checkout")
def test_example_prefix_scan(capsys):
    out = _example("prefix_scan").main(["--n", "500"])
    assert out["err_scan"] < 1e-3 and out["err_assoc"] < 1e-3 and out["err_prod"] < 1e-4 and out["err_rec"] < 1e-4


def test_scan_body_with_zero_operand_equations():
    # iota/full take no operands: the generated loop must still call them
    c, ys = lax.scan(lambda c, x: (c + jnp.arange(3.0) * x, jnp.zeros(2) + x), jnp.zeros(3), jnp.arange(4.0))
    close(c, np.arange(3.0) * 6)
    close(ys, np.repeat(np.arange(4.0)[:, None], 2, 1))


# --- against real JAX: the examples, the compositions and the error messages (data/control_flow_golden.*) --

_DATA = __import__("pathlib").Path(__file__).parent / "data"


def _load_data_module(name):
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location(name, _DATA / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # the golden table's dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


CF_CASES = _load_data_module("control_flow_cases")
_GOLDEN_CASES = _load_data_module("jax_golden_cases")  # its flatten_result: the same leaves the generator stored
CF_GOLDEN = __import__("json").loads((_DATA / "control_flow_golden.json").read_text())["cases"]
CF_ARRAYS = dict(np.load(_DATA / "control_flow_golden.npz"))
_CF_M = None


def _cf_namespace():
    global _CF_M
    if _CF_M is None:
        _CF_M = CF_CASES.namespace(jaxnc)
    return _CF_M


@pytest.mark.skipif(not CF_CASES.EXAMPLES.exists(), reason="runs from the repository checkout")
@pytest.mark.parametrize("name", sorted(CF_CASES.CASES))
def test_matches_jax_golden(name):
    want = CF_GOLDEN[name]
    if "error" in want:
        with pytest.raises(Exception) as info:  # noqa: PT011 - the golden says which
            CF_CASES.CASES[name](_cf_namespace())
        assert type(info.value).__name__ == want["error"]
        assert CF_CASES.normalize_message(str(info.value)) == want["message"]
        return
    leaves = _GOLDEN_CASES.flatten_result(CF_CASES.CASES[name](_cf_namespace()))
    assert len(leaves) == len(want["leaves"])
    rtol = CF_CASES.RTOL.get(name, 2e-5)
    for i, (got, w) in enumerate(zip(leaves, want["leaves"], strict=True)):
        assert got[0] == "array", (i, got)
        _, arr, dtype, weak = got
        assert (dtype, list(arr.shape)) == (w["dtype"], w["shape"]), i
        if w["weak_type"] is not None and weak is not None:
            assert weak == w["weak_type"], f"leaf {i}: JAX weak_type {w['weak_type']}, jaxnc {weak}"
        expected = CF_ARRAYS[f"{name}#{i}"]
        if arr.dtype.kind == "f":  # relative to the leaf's scale: sums of float32 steps in another order
            np.testing.assert_allclose(arr, expected, rtol=rtol, atol=rtol * float(np.max(np.abs(expected), initial=1.0)),
                                       err_msg=f"{name}#{i}")  # fmt: skip
        else:
            np.testing.assert_array_equal(arr, expected, err_msg=f"{name}#{i}", strict=True)


def _wasm_device():
    try:
        return jaxnc.devices("wasm")[0]
    except Exception:  # noqa: BLE001 - jaxnc-wasm not installed (or its runtime unavailable)
        return None


@pytest.mark.skipif(not EXAMPLES.exists(), reason="runs from the repository checkout")
@pytest.mark.skipif(_wasm_device() is None, reason="needs jaxnc-wasm")
def test_examples_take_the_native_wasm_loop():
    # the examples' loops (forward and transposed) run as whole native loops on wasm and equal cpu's
    kf, rnn, px = _example("kalman_filter"), _example("char_rnn"), _example("prefix_scan")
    wasm, cpu = _wasm_device(), jaxnc.devices("cpu")[0]
    ys = kf.simulate(30, 0.5, 0.04)[1]
    eye = np.eye(10, dtype=np.float32)

    def ll(theta, ys):
        ms, ps, m_preds, p_preds, ll = kf.kalman_filter(theta[0], theta[1], ys, jnp.zeros(4), jnp.eye(4) * 10.0)
        return ll + jnp.sum(kf.rts_smoother(ms, ps, m_preds, p_preds)[0])

    runs = [(jaxnc.jit(jaxnc.value_and_grad(ll)), (np.float32([-0.3, -2.5]), ys), 4),  # filter, smoother, and their transposes
            (rnn.train_step, (rnn.init_params(jaxnc.random.PRNGKey(0), 10, 8), eye[np.arange(9) % 10],
                              eye[(np.arange(9) + 1) % 10], 0.5), 2),  # forward and transposed
            (jaxnc.jit(px.linear_recurrence), (np.float32(np.linspace(0.5, 1, 20)), np.ones(20, np.float32)), 0),
            (jaxnc.jit(px.scan_cumsum), (np.arange(20, dtype=np.float32),), 1)]  # fmt: skip
    for f, args, n_loops in runs:
        on = lambda dev: jaxnc.tree_util.tree_map(lambda a: jaxnc.device_put(a, dev), args)  # noqa: B023
        with control_flow.record_loop_paths() as paths:
            got = jaxnc.tree_util.tree_map(np.asarray, f(*on(wasm)))
        assert paths == [("scan", "native", "wasm")] * n_loops
        want = jaxnc.tree_util.tree_map(np.asarray, f(*on(cpu)))
        for a, b in zip(jaxnc.tree_util.tree_leaves(got), jaxnc.tree_util.tree_leaves(want), strict=True):
            close(a, b, rtol=1e-4, atol=1e-5)
