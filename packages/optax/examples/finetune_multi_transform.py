"""Fine-tune only the head of a "pretrained" model: `multi_transform` with a trained and a frozen part.

Run: `python packages/optax/examples/finetune_multi_transform.py`. The backbone's parameters get
`set_to_zero()` updates (frozen); the head gets Adam. The script prints the loss before and after and
checks that the backbone did not move.
"""

from __future__ import annotations

import numpy as np

import jaxnc
import jaxnc.numpy as jnp
import jaxnc_optax as optax


def make_data(seed: int = 0, n: int = 64) -> tuple[dict, np.ndarray, np.ndarray]:
    """A random "pretrained" backbone and a regression task that its features can solve."""
    rng = np.random.default_rng(seed)
    backbone = {"w": rng.normal(size=(8, 16)).astype(np.float32) / 3, "b": rng.normal(size=(16,)).astype(np.float32)}
    x = rng.normal(size=(n, 8)).astype(np.float32)
    features = np.tanh(x @ backbone["w"] + backbone["b"])
    y = features @ rng.normal(size=(16, 1)).astype(np.float32) + 0.5 + 0.01 * rng.normal(size=(n, 1))
    params = {
        "backbone": backbone,
        "head": {"w": np.zeros((16, 1), np.float32), "b": np.zeros((1,), np.float32)},
    }
    return params, x, y.astype(np.float32)


def predict(params: dict, x):
    """The model: a tanh layer (the backbone) under a linear head."""
    features = jnp.tanh(x @ params["backbone"]["w"] + params["backbone"]["b"])
    return features @ params["head"]["w"] + params["head"]["b"]


def loss_fn(params: dict, x, y):
    """Mean squared error."""
    return jnp.mean((predict(params, x) - y) ** 2)


def finetune(steps: int = 300, learning_rate: float = 0.05) -> dict:
    """Train the head with Adam while `multi_transform` freezes the backbone; returns what happened."""
    params, x, y = make_data()
    params = jaxnc.tree_util.tree_map(jnp.asarray, params)
    x, y = jnp.asarray(x), jnp.asarray(y)
    optimizer = optax.multi_transform(
        {"train": optax.adam(learning_rate), "freeze": optax.set_to_zero()},
        {"backbone": "freeze", "head": "train"},
    )
    state = optimizer.init(params)

    @jaxnc.jit
    def step(params, state):
        loss, grads = jaxnc.value_and_grad(loss_fn)(params, x, y)
        updates, state = optimizer.update(grads, state, params)
        return optax.apply_updates(params, updates), state, loss

    initial = params
    first_loss = float(loss_fn(params, x, y))
    for _ in range(steps):
        params, state, _ = step(params, state)
    return {"initial": initial, "params": params, "first_loss": first_loss, "final_loss": float(loss_fn(params, x, y))}


def main() -> None:
    """Fine-tune and report."""
    result = finetune()
    moved = jaxnc.tree_util.tree_map(
        lambda a, b: bool(np.any(np.asarray(a) != np.asarray(b))), result["initial"], result["params"]
    )
    print(f"loss: {result['first_loss']:.4f} -> {result['final_loss']:.4f}")
    print(f"backbone moved: {moved['backbone']}; head moved: {moved['head']}")


if __name__ == "__main__":
    main()
