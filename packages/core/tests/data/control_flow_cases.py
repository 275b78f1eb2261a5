"""Control-flow golden table: the examples (Kalman filter + RTS smoother, char-RNN, prefix scans), the
transformation compositions and the error messages, run by real JAX (tools/make_control_flow_golden.py)
and by jaxnc (packages/core/tests/test_control_flow.py).

`CASES[name](m)` gets a namespace `m` (`jax, jnp, lax, examples`) of one library and returns a pytree of
arrays (compared by value, dtype and weak type) or raises (the exception type and message are compared).
The examples are loaded from examples/ with `jaxnc` bound to the library, so both sides run the same code.
Only NumPy is imported here.
"""

from __future__ import annotations

import importlib
import importlib.util
import pathlib
import re
import sys
import types
from collections.abc import Callable

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[4]
EXAMPLES = ROOT / "examples"
CASES: dict[str, Callable] = {}
RTOL: dict[str, float] = {}  # per case, default 2e-5 (float32, relative to the leaf's largest magnitude)


def case(name: str, rtol: float | None = None):
    def register(fn):
        if name in CASES:
            raise ValueError(f"duplicate case {name!r}")
        CASES[name] = fn
        if rtol is not None:
            RTOL[name] = rtol
        return fn

    return register


def _example(name: str, jax_module) -> types.ModuleType:
    """examples/<name>.py with `jaxnc`, `jaxnc.numpy` and `jaxnc.lax` bound to `jax_module`'s."""
    pkg = jax_module.__name__
    spec = importlib.util.spec_from_file_location(f"cf_example_{name}_{pkg}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    if pkg == "jaxnc":
        spec.loader.exec_module(module)
        return module
    shim = types.ModuleType("jaxnc")
    for attr in ("jit", "grad", "value_and_grad", "vmap", "block_until_ready", "random", "nn", "tree_util"):
        setattr(shim, attr, getattr(jax_module, attr))
    shim.numpy, shim.lax = importlib.import_module(f"{pkg}.numpy"), importlib.import_module(f"{pkg}.lax")
    saved = {k: sys.modules.get(k) for k in ("jaxnc", "jaxnc.numpy", "jaxnc.lax")}
    sys.modules.update({"jaxnc": shim, "jaxnc.numpy": shim.numpy, "jaxnc.lax": shim.lax})
    try:
        spec.loader.exec_module(module)
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v
    return module


def namespace(jax_module) -> types.SimpleNamespace:
    pkg = jax_module.__name__
    examples = {n: _example(n, jax_module) for n in ("kalman_filter", "char_rnn", "prefix_scan")}
    return types.SimpleNamespace(jax=jax_module, jnp=importlib.import_module(f"{pkg}.numpy"),
                                 lax=importlib.import_module(f"{pkg}.lax"), examples=examples)  # fmt: skip


def normalize_message(msg: str) -> str:
    """Error text without what differs between the libraries and checkouts: module paths of classes and
    the directories of source files (`<lambda> at /x/y/file.py:12` -> `<lambda> at file.py:12`)."""
    msg = msg.replace("<class 'jaxnc._src.core.ShapedArray'>", "<class 'jax._src.core.ShapedArray'>")
    return re.sub(r" at \S*/([^/\s]+\.py:\d+)", r" at \1", msg)


RNG = np.random.default_rng(4)  # module-level draws only: a case must not depend on which cases ran before


def F32(*shape, seed=None):  # noqa: N802
    rng = RNG if seed is None else np.random.default_rng(seed)
    return rng.standard_normal(shape).astype(np.float32)


# --- the examples ----------------------------------------------------------------------------------------

_KF_YS = None


def _kf_data(kf):
    global _KF_YS
    if _KF_YS is None:
        _KF_YS = kf.simulate(30, 0.5, 0.04, seed=3)[1]
    return _KF_YS


@case("kalman/filter", rtol=1e-4)
def _(m):
    kf = m.examples["kalman_filter"]
    ms, ps, m_preds, p_preds, ll = kf.kalman_filter(np.float32(-0.3), np.float32(-2.5), m.jnp.asarray(_kf_data(kf)),
                                                    m.jnp.zeros(4), m.jnp.eye(4) * 10.0)  # fmt: skip
    return ms, ps, ll


@case("kalman/filter_grad", rtol=1e-4)
def _(m):
    kf = m.examples["kalman_filter"]
    ys = m.jnp.asarray(_kf_data(kf))
    ll = lambda lq, lr: kf.kalman_filter(lq, lr, ys, m.jnp.zeros(4), m.jnp.eye(4) * 10.0)[4]  # noqa: E731
    return m.jax.value_and_grad(ll, argnums=(0, 1))(np.float32(-0.3), np.float32(-2.5))


@case("kalman/smoother_and_grad", rtol=2e-4)
def _(m):
    kf = m.examples["kalman_filter"]
    ys = m.jnp.asarray(_kf_data(kf))

    def smoothed(lq, lr):
        ms, ps, m_preds, p_preds, _ = kf.kalman_filter(lq, lr, ys, m.jnp.zeros(4), m.jnp.eye(4) * 10.0)
        return kf.rts_smoother(ms, ps, m_preds, p_preds)

    m_sm, p_sm = smoothed(np.float32(-0.3), np.float32(-2.5))
    g = m.jax.grad(lambda lq, lr: m.jnp.sum(smoothed(lq, lr)[0][:, :2]), argnums=(0, 1))(np.float32(-0.3),
                                                                                       np.float32(-2.5))  # fmt: skip
    return m_sm, p_sm, g


@case("kalman/fit", rtol=1e-4)
def _(m):
    kf = m.examples["kalman_filter"]
    theta, history = kf.fit(m.jnp.asarray(_kf_data(kf)), 4, 0.1, log_q0=np.log(5.0), log_r0=np.log(1.0))
    return theta, np.asarray(history, np.float32)


def _rnn_setup(m):
    rnn = m.examples["char_rnn"]
    chars = sorted(set(rnn.TEXT))
    vocab, hidden = len(chars), 12
    rng = np.random.default_rng(5)
    params = {"wx": 0.3 * rng.standard_normal((vocab, hidden)), "wh": rng.standard_normal((hidden, hidden)) / 4,
              "b": 0.1 * rng.standard_normal(hidden), "wy": rng.standard_normal((hidden, vocab)) / 4,
              "by": np.zeros(vocab)}  # fmt: skip
    params = {k: m.jnp.asarray(v.astype(np.float32)) for k, v in params.items()}
    ids = np.array([chars.index(c) for c in rnn.TEXT[:11]])
    eye = np.eye(vocab, dtype=np.float32)
    return rnn, params, m.jnp.asarray(eye[ids[:-1]]), m.jnp.asarray(eye[ids[1:]])


@case("char_rnn/loss_and_grads")
def _(m):
    rnn, params, inputs, targets = _rnn_setup(m)
    return m.jax.value_and_grad(rnn.loss_fn)(params, inputs, targets)


@case("char_rnn/train_step")
def _(m):
    rnn, params, inputs, targets = _rnn_setup(m)
    params, loss1 = rnn.train_step(params, inputs, targets, 0.5)
    params, loss2 = rnn.train_step(params, inputs, targets, 0.5)
    return params, loss1, loss2


_PX = RNG.uniform(-1, 1, 37).astype(np.float32)
_PA, _PB = RNG.uniform(0.5, 1.0, 37).astype(np.float32), F32(37)


@case("prefix/values")
def _(m):
    px = m.examples["prefix_scan"]
    x, a, b = m.jnp.asarray(_PX), m.jnp.asarray(_PA), m.jnp.asarray(_PB)
    return (px.scan_cumsum(x), px.assoc_cumsum(x), px.assoc_cumprod(a + 0.5), px.linear_recurrence(a, b),
            m.jax.jit(px.linear_recurrence)(a, b))  # fmt: skip


@case("prefix/grads")
def _(m):
    px = m.examples["prefix_scan"]
    w = m.jnp.asarray(np.linspace(-1, 1, 37, dtype=np.float32))
    rec = lambda a, b: m.jnp.sum(px.linear_recurrence(a, b) * w)  # noqa: E731
    cs = lambda x: m.jnp.sum(px.assoc_cumsum(x) ** 2)  # noqa: E731
    return (m.jax.grad(rec, argnums=(0, 1))(m.jnp.asarray(_PA), m.jnp.asarray(_PB)), m.jax.grad(cs)(m.jnp.asarray(_PX)),
            m.jax.grad(lambda x: m.jnp.sum(px.scan_cumsum(x) ** 2))(m.jnp.asarray(_PX)))  # fmt: skip


@case("prefix/vmap_axis_reverse")
def _(m):
    x = m.jnp.asarray(F32(3, 9, 2, seed=1))
    return (m.jax.vmap(lambda r: m.lax.associative_scan(m.jnp.add, r, reverse=True))(x),
            m.lax.associative_scan(m.jnp.maximum, x, axis=1), m.lax.associative_scan(m.jnp.add, x, axis=-1),
            m.lax.associative_scan(m.jnp.add, x, axis=2, reverse=True),
            m.jax.vmap(m.jax.grad(lambda r: m.jnp.sum(m.jnp.sin(m.lax.associative_scan(m.jnp.multiply, r)))))(x[:, :, 0]))  # fmt: skip


# --- compositions ------------------------------------------------------------------------------------------

_W, _U, _H, _XS = 0.5 * F32(3, 3), 0.5 * F32(2, 3), F32(3), F32(6, 2)
_WS, _XSS = 0.5 * F32(4, 3, 3), F32(4, 6, 2)


def _rnn(m, w, xs, h=_H, reverse=False):
    def step(h, x):
        h = m.jnp.tanh(h @ w + x @ _U)
        return h, m.jnp.sum(h * h)

    return m.lax.scan(step, h, xs, reverse=reverse)


def _loss(m):
    return lambda w, xs: m.jnp.sum(_rnn(m, w, xs)[0]) + m.jnp.sum(_rnn(m, w, xs)[1])


@case("compose/vmap_scan")
def _(m):
    f = lambda w, xs: _rnn(m, w, xs)  # noqa: E731
    jax = m.jax
    return jax.vmap(f)(_WS, _XSS), jax.jit(jax.vmap(f))(_WS, _XSS), jax.vmap(jax.jit(f))(_WS, _XSS)


@case("compose/grad_jit_and_jit_grad")
def _(m):
    jax, loss = m.jax, _loss(m)
    return (jax.grad(jax.jit(loss), argnums=(0, 1))(_W, _XS), jax.jit(jax.grad(loss, argnums=(0, 1)))(_W, _XS),
            jax.grad(lambda w: m.jnp.sum(_rnn(m, w, _XS, reverse=True)[1]))(_W))  # fmt: skip


@case("compose/vmap_grad_and_grad_vmap")
def _(m):
    jax, loss = m.jax, _loss(m)
    return (jax.vmap(jax.grad(loss))(_WS, _XSS),
            jax.grad(lambda ws: m.jnp.sum(jax.vmap(loss)(ws, _XSS)))(_WS))  # fmt: skip


@case("compose/hessian_scan", rtol=1e-4)
def _(m):
    f = lambda x: m.lax.scan(lambda c, a: (m.jnp.sin(c * a), c * c), x[0], x)[0] + m.jnp.sum(x)  # noqa: E731
    return m.jax.hessian(f)(np.array([0.3, -0.6, 0.9], np.float32))


@case("compose/scan_in_scan")
def _(m):
    def f(w, xss):
        def outer(c, xs):
            c, _ = m.lax.scan(lambda c, x: (m.jnp.tanh(c * w + x), None), c, xs)
            return c, c

        return m.jnp.sum(m.lax.scan(outer, np.float32(0.1), xss)[1])

    args = (np.float32(0.8), F32(3, 4, seed=2))
    return f(*args), m.jax.grad(f, argnums=(0, 1))(*args), m.jax.jit(m.jax.grad(f))(*args)


@case("compose/cond_in_scan_scan_in_cond")
def _(m):
    lax, jnp = m.lax, m.jnp

    def body(c, x):
        c = lax.cond(x > 0, lambda c: c * x, lambda c: c - jnp.sin(x), c)
        return c, c

    xs = np.array([0.5, -1.0, 2.0, -0.3, 1.2], np.float32)
    f = lambda c0, xs: jnp.sum(lax.scan(body, c0, xs)[1])  # noqa: E731

    def g(p, w):
        return lax.cond(p, lambda w: lax.scan(lambda c, x: (c * w + x, c), np.float32(1.0), jnp.arange(3.0))[0],
                        lambda w: jnp.cos(w), w)  # fmt: skip

    gw = m.jax.grad(g, argnums=1)
    return (f(np.float32(1.5), xs), m.jax.grad(f, argnums=(0, 1))(np.float32(1.5), xs), g(True, np.float32(2.0)),
            gw(True, np.float32(2.0)), gw(False, np.float32(2.0)), m.jax.vmap(gw, (0, None))(np.array([True, False]),
                                                                                           np.float32(2.0)))  # fmt: skip


@case("compose/checkpoint_in_body")
def _(m):
    body = m.jax.checkpoint(lambda c, x: (m.jnp.sin(c) * x + c, m.jnp.cos(c)))
    f = lambda c, xs: m.jnp.sum(m.lax.scan(body, c, xs)[1])  # noqa: E731
    return m.jax.grad(f, argnums=(0, 1))(np.float32(0.3), F32(7, seed=3))


@case("compose/while_fori_switch_map")
def _(m):
    jax, lax, jnp = m.jax, m.lax, m.jnp
    wl = lambda x: lax.while_loop(lambda c: c[1] < 4, lambda c: (jnp.sin(c[0]) * 1.5, c[1] + 1), (x, 0))[0]  # noqa: E731
    fori = lambda x: lax.fori_loop(0, 5, lambda i, c: c * x + i, np.float32(1.0))  # noqa: E731
    branches = [lambda x: x + 1.0, lambda x: x * x, lambda x: jnp.sin(x)]
    sw = jax.vmap(lambda i, x: lax.switch(i, branches, x))
    xs = F32(7, 2, seed=4)
    return (wl(np.float32(0.7)), jax.jacfwd(wl)(np.float32(0.7)), jax.vmap(wl)(np.float32([0.1, 0.7])),
            fori(np.float32(1.1)), jax.grad(fori)(np.float32(1.1)), jax.hessian(fori)(np.float32(1.1)),
            sw(np.array([-2, 0, 1, 2, 9]), np.float32([2.0, 2.0, 3.0, 1.0, 1.0])),
            lax.map(lambda r: jnp.sum(r) * r, xs, batch_size=3),
            jax.vmap(lambda x: lax.cond(x > 0, jnp.sqrt, lambda x: -x, x))(np.float32([-4.0, 4.0, 9.0])),
            lax.fori_loop(0, jnp.int16(3), lambda i, c: c + i, 0))  # fmt: skip


# --- errors, as JAX words them --------------------------------------------------------------------------------


def _error_cases():
    def stack2(m, c):
        return m.jnp.stack([c, c])

    errors = {
        "carry_shape": lambda m: m.lax.scan(lambda c, x: (stack2(m, c), x), 0.0, m.jnp.zeros(3)),
        "carry_dtype": lambda m: m.lax.scan(lambda c, x: (c * 1.5, x), m.jnp.int32(1), m.jnp.zeros(3)),
        "carry_two": lambda m: m.lax.scan(lambda carry, x: ((carry[0][None], carry[1].astype(m.jnp.int32)), x),
                                          (1.0, 2.0), m.jnp.zeros(3)),  # fmt: skip
        "carry_leaf_vs_tuple": lambda m: m.lax.scan(lambda c, x: ((c, c), x), 0.0, m.jnp.zeros(3)),
        "carry_nested": lambda m: m.lax.scan(lambda c, x: ((c[0], (c[1],)), x), (0.0, 1.0), m.jnp.zeros(3)),
        "carry_list": lambda m: m.lax.scan(lambda c, x: ([c[0], c[1]], x), (0.0, 1.0), m.jnp.zeros(3)),
        "carry_dict_keys": lambda m: m.lax.scan(lambda c, x: ({"b": c["a"]}, x), {"a": 0.0}, m.jnp.zeros(3)),
        "carry_length": lambda m: m.lax.scan(lambda c, x: ((c[0], c[1], c[0]), x), (0.0, 1.0), m.jnp.zeros(3)),
        "while_carry": lambda m: m.lax.while_loop(lambda c: True, lambda c: (True, True),
                                                  (np.bool_(True), np.float32(0.0))),  # fmt: skip
        "fori_carry": lambda m: m.lax.fori_loop(0, 3, lambda i, c: c * 1.5, m.jnp.int32(1)),
        "fori_bound_types": lambda m: m.lax.fori_loop(m.jnp.int8(0), m.jnp.int16(3), lambda i, c: c, 0),
        "while_pred_float": lambda m: m.lax.while_loop(lambda c: np.float32(1.0), lambda c: c, np.float32(0.0)),
        "while_pred_vector": lambda m: m.lax.while_loop(lambda c: m.jnp.array([True, False]), lambda c: c,
                                                        np.float32(0.0)),  # fmt: skip
        "while_pred_tree": lambda m: m.lax.while_loop(lambda c: (True, True), lambda c: c, np.float32(0.0)),
        "cond_pred_complex": lambda m: m.lax.cond(np.complex64(1), lambda: 1.0, lambda: 2.0),
        "cond_pred_tuple": lambda m: m.lax.cond((1.0, 1.0), lambda: 1.0, lambda: 2.0),
        "cond_pred_vector": lambda m: m.lax.cond(m.jnp.array([True, False]), lambda: 1.0, lambda: 2.0),
        "cond_tree": lambda m: m.lax.cond(True, lambda x: x, lambda x: (x, x), 1.0),
        "cond_dict_keys": lambda m: m.lax.cond(True, lambda x: {"a": x}, lambda x: {"b": x}, 1.0),
        "cond_shapes": lambda m: m.lax.cond(True, lambda x: x, lambda x: stack2(m, x), 1.0),
        "cond_dtypes": lambda m: m.lax.cond(True, lambda x: x, lambda x: x.astype(m.jnp.int32), 1.0),
        "switch_tree": lambda m: m.lax.switch(0, [lambda x: x, lambda x: (x, x)], 1.0),
        "switch_shapes": lambda m: m.lax.switch(0, [lambda x: x, lambda x: x, lambda x: stack2(m, x)], 1.0),
        "switch_index_float": lambda m: m.lax.switch(1.0, [lambda x: x, lambda x: x], 2.0),
        "switch_index_vector": lambda m: m.lax.switch(m.jnp.array([0, 1]), [lambda x: x, lambda x: x], 1.0),
        "switch_empty": lambda m: m.lax.switch(0, [], 2.0),
        "while_grad": lambda m: m.jax.grad(lambda x: m.lax.while_loop(lambda c: c[1] < 4, lambda c: (m.jnp.sin(c[0]),
                                                                                                   c[1] + 1),
                                                                      (x, 0))[0])(0.7),  # fmt: skip
        "fori_grad_traced_bounds": lambda m: m.jax.grad(m.jax.jit(lambda x, n: m.lax.fori_loop(0, n, lambda i, c: c * x,
                                                                                              1.0)))(2.0, 3),  # fmt: skip
        "fori_unroll_traced": lambda m: m.jax.jit(lambda n: m.lax.fori_loop(0, n, lambda i, c: c, 0.0, unroll=2))(3),
        "scan_lengths": lambda m: m.lax.scan(lambda c, x: (c, x), 0.0, (m.jnp.zeros(3), m.jnp.zeros(4))),
        "scan_no_length": lambda m: m.lax.scan(lambda c, x: (c, x), 0.0, None),
        "scan_length_disagrees": lambda m: m.lax.scan(lambda c, x: (c, x), 0.0, m.jnp.zeros(3), length=4),
        "scan_not_pair": lambda m: m.lax.scan(lambda c, x: c, 0.0, m.jnp.zeros(3)),
        "scan_not_pair_triple": lambda m: m.lax.scan(lambda c, x: (c, x, x), 0.0, m.jnp.zeros(3)),
        "scan_unroll_negative": lambda m: m.lax.scan(lambda c, x: (c, x), 0.0, m.jnp.zeros(3), unroll=-1),
        "assoc_lengths": lambda m: m.lax.associative_scan(lambda a, b: (a[0] + b[0], a[1] + b[1]),
                                                          (m.jnp.zeros(3), m.jnp.zeros(5))),  # fmt: skip
        "assoc_axis": lambda m: m.lax.associative_scan(m.jnp.add, m.jnp.ones((2, 3)), axis=2),
    }
    for name, fn in errors.items():
        case(f"error/{name}")(fn)


_error_cases()
