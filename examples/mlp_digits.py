"""Train an MLP classifier on scikit-learn's bundled digits with jit(value_and_grad).

The update is optax's Adam (jaxnc-optax) by default, or plain SGD with `--optimizer sgd` (core only).
Runs on the default backend (`python -m jaxnc` shows which); needs no download.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from tqdm import tqdm

import jaxnc
import jaxnc.numpy as jnp


def init_params(key, sizes):
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        key, wkey = jaxnc.random.split(key)
        w = jaxnc.random.normal(wkey, (n_in, n_out)) * jnp.sqrt(2.0 / n_in)
        params.append({"w": w, "b": jnp.zeros(n_out)})
    return params


def predict(params, x):
    for layer in params[:-1]:
        x = jaxnc.nn.relu(x @ layer["w"] + layer["b"])
    return x @ params[-1]["w"] + params[-1]["b"]


def loss_fn(params, x, y):
    logits = predict(params, x)
    return -jnp.mean(jnp.sum(jaxnc.nn.log_softmax(logits) * jaxnc.nn.one_hot(y, 10), axis=-1))


def make_optimizer(name: str, lr: float):
    """(init, update) in optax's shape: optax.adam from jaxnc-optax, or plain SGD."""
    if name == "sgd":
        return (lambda params: ()), (lambda grads, state, params: (jaxnc.tree.map(lambda g: -lr * g, grads), state))
    tx = jaxnc.optax.adam(lr)  # jaxnc-optax: `pip install "jaxnc[optax]"`
    return tx.init, tx.update


def make_train_step(update):
    @jaxnc.jit
    def train_step(params, opt_state, x, y):
        loss, grads = jaxnc.value_and_grad(loss_fn)(params, x, y)
        updates, opt_state = update(grads, opt_state, params)
        params = jaxnc.tree.map(lambda p, u: p + u, params, updates)
        return params, opt_state, loss

    return train_step


@jaxnc.jit
def accuracy(params, x, y):
    return jnp.mean(jnp.argmax(predict(params, x), axis=-1) == y)


def main() -> float:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--optimizer", choices=["adam", "sgd"], default="adam")
    parser.add_argument("--lr", type=float, default=None, help="default: 1e-3 for adam, 0.05 for sgd")
    args = parser.parse_args()

    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    x_train, x_test, y_train, y_test = train_test_split(x, digits.target.astype(np.int32), test_size=0.25, random_state=0)
    params = init_params(jaxnc.random.PRNGKey(0), [64, 128, 64, 10])
    lr = args.lr if args.lr is not None else (1e-3 if args.optimizer == "adam" else 0.05)
    init, update = make_optimizer(args.optimizer, lr)
    opt_state = init(params)
    train_step = make_train_step(update)
    rng = np.random.default_rng(0)
    steps = len(x_train) // args.batch_size
    print(f"jaxnc {jaxnc.__version__} on {jaxnc.devices()[0]}: {len(x_train)} train / {len(x_test)} test digits, "
          f"{args.optimizer} lr={lr}")
    t0 = time.perf_counter()
    with tqdm(range(args.epochs), unit="epoch") as bar:
        for _ in bar:
            order = rng.permutation(len(x_train))
            for i in range(steps):
                idx = order[i * args.batch_size : (i + 1) * args.batch_size]
                params, opt_state, loss = train_step(params, opt_state, jnp.asarray(x_train[idx]), jnp.asarray(y_train[idx]))
            bar.set_postfix(loss=f"{float(loss):.4f}")
    elapsed = time.perf_counter() - t0
    acc = float(accuracy(params, jnp.asarray(x_test), jnp.asarray(y_test)))
    print(f"trained {args.epochs * steps} steps in {elapsed:.2f} s ({elapsed / (args.epochs * steps) * 1e6:.0f} µs/step)")
    print(f"test accuracy: {acc:.4f}")
    return acc


if __name__ == "__main__":
    main()
