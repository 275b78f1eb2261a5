"""Core rows: eager small-op latency, jitted small-call latency, an MLP training step."""

from __future__ import annotations

import numpy as np

from harness import Case


def _optional(name):
    try:
        return __import__(name)
    except ImportError:
        return None


def cases(backends):
    import jaxnc
    import jaxnc.numpy as jnp

    jax = _optional("jax")
    torch = _optional("torch")
    out = []

    # eager small add, read back to host
    a_np = np.ones(16, np.float32)
    impls = {"numpy": lambda: np.asarray(a_np + a_np)}
    for b in backends:
        a = jaxnc.device_put(a_np, jaxnc.devices(b)[0])
        impls[f"jaxnc[{b}]"] = lambda a=a: np.asarray(a + a)
    if jax:
        aj = jax.numpy.ones(16)
        impls["jax"] = lambda: np.asarray(aj + aj)
    if torch:
        at = torch.ones(16)
        impls["torch"] = lambda: (at + at).numpy()
    out.append(Case("eager small add (+ read)", impls))

    # eager ops off the same-aval fast path: a Python scalar operand, a vector dot
    for name, np_fn, jnc_fn, jax_fn in [
        ("eager small multiply by 2 (+ read)", lambda: a_np * 2, lambda a: a * 2, lambda a: a * 2),
        ("eager small vector dot a @ a (+ read)", lambda: a_np @ a_np, lambda a: a @ a, lambda a: a @ a),
    ]:
        impls = {"numpy": lambda np_fn=np_fn: np.asarray(np_fn())}
        for b in backends:
            a = jaxnc.device_put(a_np, jaxnc.devices(b)[0])
            impls[f"jaxnc[{b}]"] = lambda a=a, fn=jnc_fn: np.asarray(fn(a))
        if jax:
            impls["jax"] = lambda fn=jax_fn: np.asarray(fn(aj))
        out.append(Case(name, impls))

    # jitted small call, read back
    impls = {"numpy": lambda: np.asarray(np.tanh(a_np) * 2 + 1)}
    for b in backends:
        a = jaxnc.device_put(a_np, jaxnc.devices(b)[0])
        f = jaxnc.jit(lambda x: jnp.tanh(x) * 2 + 1)
        impls[f"jaxnc[{b}]"] = lambda f=f, a=a: np.asarray(f(a))
    if jax:
        fj = jax.jit(lambda x: jax.numpy.tanh(x) * 2 + 1)
        impls["jax"] = lambda: np.asarray(fj(aj))
    out.append(Case("jitted small call (+ read)", impls))

    # MLP training step 128x64-256-10, jit(value_and_grad) + SGD
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((128, 64)).astype(np.float32)
    y_np = rng.integers(0, 10, 128).astype(np.int32)
    p_np = {"w1": rng.standard_normal((64, 256)).astype(np.float32) * 0.1, "b1": np.zeros(256, np.float32),
            "w2": rng.standard_normal((256, 10)).astype(np.float32) * 0.1, "b2": np.zeros(10, np.float32)}  # fmt: skip

    def make_step(xnp, nn):
        def loss(p, x, y):
            h = nn.relu(x @ p["w1"] + p["b1"])
            logits = h @ p["w2"] + p["b2"]
            return -xnp.mean(xnp.sum(nn.log_softmax(logits) * nn.one_hot(y, 10), -1))

        return loss

    impls = {"numpy": _numpy_mlp_step(p_np, x_np, y_np)}
    for b in backends:
        dev = jaxnc.devices(b)[0]
        loss = make_step(jnp, jaxnc.nn)

        @jaxnc.jit
        def step(p, x, y, loss=loss):
            v, g = jaxnc.value_and_grad(loss)(p, x, y)
            return jaxnc.tree.map(lambda a, b: a - 0.01 * b, p, g), v

        state = {"p": jaxnc.device_put(p_np, dev)}
        xd, yd = jaxnc.device_put(x_np, dev), jaxnc.device_put(y_np, dev)

        def run(step=step, state=state, xd=xd, yd=yd):
            state["p"], v = step(state["p"], xd, yd)
            return float(v)

        impls[f"jaxnc[{b}]"] = run
    if jax:
        lossj = make_step(jax.numpy, jax.nn)

        @jax.jit
        def stepj(p, x, y):
            v, g = jax.value_and_grad(lossj)(p, x, y)
            return jax.tree.map(lambda a, b: a - 0.01 * b, p, g), v

        sj = {"p": jax.device_put(p_np)}

        def runj():
            sj["p"], v = stepj(sj["p"], x_np, y_np)
            return float(v)

        impls["jax"] = runj
    out.append(Case("MLP step 128x64-256-10 (jit, SGD)", impls))
    return out


def _numpy_mlp_step(p, x, y):
    """The same step written by hand in NumPy (forward, backward, update)."""
    state = {k: v.copy() for k, v in p.items()}
    onehot = np.eye(10, dtype=np.float32)[y]

    def step():
        s = state
        h_pre = x @ s["w1"] + s["b1"]
        h = np.maximum(h_pre, 0)
        logits = h @ s["w2"] + s["b2"]
        z = logits - logits.max(-1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
        loss = -np.mean((logp * onehot).sum(-1))
        dlogits = (np.exp(logp) - onehot) / len(x)
        dh = dlogits @ s["w2"].T * (h_pre > 0)
        s["w2"] -= 0.01 * h.T @ dlogits
        s["b2"] -= 0.01 * dlogits.sum(0)
        s["w1"] -= 0.01 * x.T @ dh
        s["b1"] -= 0.01 * dh.sum(0)
        return float(loss)

    return step
