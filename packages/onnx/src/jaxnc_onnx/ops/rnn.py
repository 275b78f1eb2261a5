"""RNN, GRU and LSTM as lax.scan over time, per direction (forward, reverse, bidirectional)."""

from __future__ import annotations

import jaxnc.lax as lax
import jaxnc.nn as nn
import jaxnc.numpy as jnp

from .registry import op

_ACTIVATIONS = {
    "sigmoid": lambda x, a, b: nn.sigmoid(x), "tanh": lambda x, a, b: jnp.tanh(x),
    "relu": lambda x, a, b: nn.relu(x), "affine": lambda x, a, b: a * x + b,
    "leakyrelu": lambda x, a, b: nn.leaky_relu(x, a), "thresholdedrelu": lambda x, a, b: jnp.where(x > a, x, 0.0),
    "scaledtanh": lambda x, a, b: a * jnp.tanh(b * x), "hardsigmoid": lambda x, a, b: jnp.clip(a * x + b, 0, 1),
    "elu": lambda x, a, b: nn.elu(x, a), "softsign": lambda x, a, b: nn.soft_sign(x), "softplus": lambda x, a, b: nn.softplus(x),
}  # fmt: skip
_DEFAULT_ALPHA = {
    "leakyrelu": 0.01,
    "thresholdedrelu": 1.0,
    "hardsigmoid": 0.2,
    "elu": 1.0,
    "affine": 1.0,
    "scaledtanh": 1.0,
}
_DEFAULT_BETA = {"hardsigmoid": 0.5, "scaledtanh": 1.0, "affine": 0.0}
# gates per cell and the default activations per direction
_CELLS = {"RNN": (1, ["tanh"]), "GRU": (3, ["sigmoid", "tanh"]), "LSTM": (4, ["sigmoid", "tanh", "tanh"])}


def _activations(node, n_dirs, defaults):
    names = [s.lower() for s in node.attr("activations", None) or defaults * n_dirs]
    alphas = list(node.attr("activation_alpha", None) or [])
    betas = list(node.attr("activation_beta", None) or [])
    fns = []
    for i, name in enumerate(names):
        if name not in _ACTIVATIONS:
            raise node.fail(f"unknown activation {name!r}")
        a = alphas[i] if i < len(alphas) else _DEFAULT_ALPHA.get(name, 1.0)
        b = betas[i] if i < len(betas) else _DEFAULT_BETA.get(name, 0.0)
        fns.append(lambda x, f=_ACTIVATIONS[name], a=a, b=b: f(x, a, b))
    k = len(defaults)
    return [fns[d * k : (d + 1) * k] for d in range(n_dirs)]


def _cell_step(kind, node, acts, w, r, b, p, hidden):
    """The function (h, c, x_t) -> (h, c) of one direction."""
    clip = node.attr("clip", None)
    cl = (lambda v: jnp.clip(v, -clip, clip)) if clip is not None else (lambda v: v)
    wb, rb = (b[: b.shape[0] // 2], b[b.shape[0] // 2 :]) if b is not None else (0.0, 0.0)
    if kind == "RNN":
        return lambda h, c, x: (acts[0](cl(x @ w.T + h @ r.T + wb + rb)), c)
    if kind == "GRU":
        lbr = node.attr("linear_before_reset", 0)
        H = hidden

        def gru(h, c, x):
            gx = x @ w.T + wb
            z = acts[0](cl(gx[..., :H] + h @ r[:H].T + (rb[:H] if b is not None else 0.0)))
            rr = acts[0](cl(gx[..., H : 2 * H] + h @ r[H : 2 * H].T + (rb[H : 2 * H] if b is not None else 0.0)))
            rh = rb[2 * H :] if b is not None else 0.0
            if lbr:
                n = acts[1](cl(gx[..., 2 * H :] + rr * (h @ r[2 * H :].T + rh)))
            else:
                n = acts[1](cl(gx[..., 2 * H :] + (rr * h) @ r[2 * H :].T + rh))
            return (1 - z) * n + z * h, c

        return gru
    H = hidden
    pi, po, pf = (p[:H], p[H : 2 * H], p[2 * H :]) if p is not None else (0.0, 0.0, 0.0)
    couple = node.attr("input_forget", 0)

    def lstm(h, c, x):
        g = x @ w.T + h @ r.T + wb + rb
        i = acts[0](cl(g[..., :H] + pi * c))
        f = 1 - i if couple else acts[0](cl(g[..., 2 * H : 3 * H] + pf * c))
        cc = acts[1](cl(g[..., 3 * H :]))
        c = f * c + i * cc
        o = acts[0](cl(g[..., H : 2 * H] + po * c))
        return o * acts[2](c), c

    return lstm


def _recurrent(kind):
    gates, defaults = _CELLS[kind]

    def impl(node, x, w, r, b=None, seq_lens=None, h0=None, c0=None, p=None):
        direction = node.attr("direction", "forward")
        n_dirs = 2 if direction == "bidirectional" else 1
        hidden = node.attr("hidden_size", None) or w.shape[1] // gates
        layout = node.attr("layout", 0)
        if layout:
            x = jnp.swapaxes(x, 0, 1)
            h0 = None if h0 is None else jnp.swapaxes(h0, 0, 1)
            c0 = None if c0 is None else jnp.swapaxes(c0, 0, 1)
        seq, batch = x.shape[0], x.shape[1]
        lens = None if seq_lens is None else node.dev(seq_lens)
        acts = _activations(node, n_dirs, defaults)
        ys, hs, cs = [], [], []
        for d in range(n_dirs):
            step = _cell_step(
                kind, node, acts[d], w[d], r[d], None if b is None else b[d], None if p is None else p[d], hidden
            )
            h = jnp.zeros((batch, hidden), x.dtype) if h0 is None else h0[d]
            c = jnp.zeros((batch, hidden), x.dtype) if c0 is None else c0[d]
            reverse = direction == "reverse" or d == 1
            t = jnp.arange(seq)
            xs = x
            if reverse and lens is not None:
                # reverse each sequence within its own length
                src = jnp.where(t[:, None] < lens[None, :], lens[None, :] - 1 - t[:, None], t[:, None])
                xs = jnp.take_along_axis(x, src[..., None].astype(jnp.int32), axis=0)
            elif reverse:
                xs = jnp.flip(x, 0)

            def body(carry, inp, step=step):
                h, c = carry
                xt, tt = inp
                h2, c2 = step(h, c, xt)
                if lens is not None:
                    live = (tt < lens)[:, None]
                    h2, c2 = jnp.where(live, h2, h), jnp.where(live, c2, c)
                    return (h2, c2), jnp.where(live, h2, jnp.zeros_like(h2))
                return (h2, c2), h2

            (h, c), y = lax.scan(body, (h, c), (xs, t))
            if reverse and lens is not None:
                y = jnp.take_along_axis(y, src[..., None].astype(jnp.int32), axis=0)
                y = jnp.where((t[:, None] < lens[None, :])[..., None], y, 0.0)
            elif reverse:
                y = jnp.flip(y, 0)
            ys.append(y)
            hs.append(h)
            cs.append(c)
        y = jnp.stack(ys, axis=1)
        yh, yc = jnp.stack(hs), jnp.stack(cs)
        if layout:
            y = jnp.transpose(y, (2, 0, 1, 3))
            yh, yc = jnp.swapaxes(yh, 0, 1), jnp.swapaxes(yc, 0, 1)
        return (y, yh, yc) if kind == "LSTM" else (y, yh)

    return impl


for _kind in _CELLS:
    op(_kind)(_recurrent(_kind))
