"""A character-level RNN trained on a small text with lax.scan over time and jit(value_and_grad).

An Elman RNN (tanh, one hidden layer) reads the text one character at a time; the loss is the mean
next-character cross-entropy. Each training step runs the scan forward and its transpose backward
(backpropagation through time), then an SGD update. Needs no download.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import jaxnc
import jaxnc.numpy as jnp
from jaxnc import lax

TEXT = (
    "the quick brown fox jumps over the lazy dog. "
    "a journey of a thousand miles begins with a single step. "
    "to be or not to be, that is the question. "
) * 4


def init_params(key, vocab: int, hidden: int):
    k1, k2, k3 = jaxnc.random.split(key, 3)
    scale = 1.0 / np.sqrt(hidden)
    return {
        "wx": jaxnc.random.normal(k1, (vocab, hidden)) * 0.3,
        "wh": jaxnc.random.normal(k2, (hidden, hidden)) * scale,
        "b": jnp.zeros(hidden),
        "wy": jaxnc.random.normal(k3, (hidden, vocab)) * scale,
        "by": jnp.zeros(vocab),
    }


def loss_fn(params, inputs, targets):
    """Mean cross-entropy of predicting targets[t] from inputs[:t+1] (one-hot rows, one per step)."""

    def step(h, xt):
        x, t = xt
        h = jnp.tanh(x @ params["wx"] + h @ params["wh"] + params["b"])
        logits = h @ params["wy"] + params["by"]
        return h, -jnp.sum(jaxnc.nn.log_softmax(logits) * t)

    h0 = jnp.zeros(params["wh"].shape[0])
    _, losses = lax.scan(step, h0, (inputs, targets))
    return jnp.mean(losses)


@jaxnc.jit
def train_step(params, inputs, targets, lr):
    loss, grads = jaxnc.value_and_grad(loss_fn)(params, inputs, targets)
    grads = jaxnc.tree_util.tree_map(lambda g: jnp.clip(g, -5.0, 5.0), grads)
    return jaxnc.tree_util.tree_map(lambda p, g: p - lr * g, params, grads), loss


def main(argv=None) -> list[float]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--seq-len", type=int, default=32)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.2, help="SGD step (at 0.5 the loss bounces: past the edge of "
                        "stability, where float rounding differences between backends grow until runs diverge)")  # fmt: skip
    args = parser.parse_args(argv)
    chars = sorted(set(TEXT))
    vocab = len(chars)
    ids = np.array([chars.index(c) for c in TEXT], np.int32)
    eye = np.eye(vocab, dtype=np.float32)
    params = init_params(jaxnc.random.PRNGKey(0), vocab, args.hidden)
    rng = np.random.default_rng(0)
    losses = []
    t0 = time.perf_counter()
    for _ in range(args.steps):
        start = rng.integers(0, len(ids) - args.seq_len - 1)
        chunk = ids[start : start + args.seq_len + 1]
        params, loss = train_step(params, jnp.asarray(eye[chunk[:-1]]), jnp.asarray(eye[chunk[1:]]), args.lr)
        losses.append(float(loss))
    elapsed = time.perf_counter() - t0
    k = max(1, min(10, args.steps // 3))
    print(f"{args.steps} training steps (sequence {args.seq_len}, hidden {args.hidden}, vocabulary {vocab}) in "
          f"{elapsed:.2f} s ({elapsed / args.steps * 1e3:.1f} ms/step)")  # fmt: skip
    print(f"mean loss of the first {k} steps {np.mean(losses[:k]):.3f} -> last {k} steps {np.mean(losses[-k:]):.3f} "
          f"(uniform guessing: {np.log(vocab):.3f})")  # fmt: skip
    return losses


if __name__ == "__main__":
    main()
