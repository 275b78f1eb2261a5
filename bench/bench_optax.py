"""jaxnc-optax benchmark: one jitted Adam step (update + apply_updates) on a ~1M-parameter pytree.

Implementations: `jaxnc[<backend>]` for each requested backend, `jax` (optax on jax's CPU) when optax
and jax are installed, and `numpy` (the same step hand-written in NumPy, the floor for jaxnc's NumPy
backend); the baseline is `jax` when present, else the first jaxnc row.
"""

from __future__ import annotations

import numpy as np

from harness import Case

SHAPES = {"w1": (1024, 512), "b1": (512,), "w2": (512, 1024), "b2": (1024,)}  # 1,050,112 parameters


def _tree(seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {name: rng.normal(size=shape).astype(np.float32) for name, shape in SHAPES.items()}


def _adam_step(optax, jit, asarray, block):
    """A zero-argument callable running one jitted adam step on fixed params/grads and waiting for it."""
    opt = optax.adam(1e-3)
    params = {k: asarray(v) for k, v in _tree(0).items()}
    grads = {k: asarray(v) for k, v in _tree(1).items()}
    state = opt.init(params)

    @jit
    def step(params, state, grads):
        updates, state = opt.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    return lambda: block(step(params, state, grads))


def _numpy_adam_step():
    """The same step written directly in NumPy: the floor for jaxnc's NumPy reference backend."""
    params, grads = _tree(0), _tree(1)
    mu = {k: np.zeros_like(v) for k, v in params.items()}
    nu = {k: np.zeros_like(v) for k, v in params.items()}
    b1, b2, lr, eps = np.float32(0.9), np.float32(0.999), np.float32(1e-3), np.float32(1e-8)

    def step():
        out = {}
        for k, g in grads.items():
            m = b1 * mu[k] + (1 - b1) * g
            v = b2 * nu[k] + (1 - b2) * g * g
            out[k] = params[k] - lr * (m / (1 - b1)) / (np.sqrt(v / (1 - b2)) + eps)
        return out

    return step


def _jaxnc_impls(backends) -> dict:
    try:
        import jaxnc
        import jaxnc.numpy as jnp
        import jaxnc_optax
    except ImportError:
        return {}
    impls = {}
    for backend in backends or [jaxnc.default_backend()]:
        with jaxnc.default_device(backend):
            impls[f"jaxnc[{backend}]"] = _adam_step(jaxnc_optax, jaxnc.jit, jnp.asarray, jaxnc.block_until_ready)
    return impls


def _jax_impls() -> dict:
    try:
        import jax
        import optax
    except ImportError:
        return {}
    return {"jax": _adam_step(optax, jax.jit, jax.numpy.asarray, jax.block_until_ready)}


def cases(backends) -> list[Case]:
    """The Adam-step row; implementations whose libraries are missing are left out."""
    impls = {**_jaxnc_impls(backends), **_jax_impls(), "numpy": _numpy_adam_step()}
    baseline = "jax" if "jax" in impls else next(iter(impls))
    n = sum(int(np.prod(s)) for s in SHAPES.values())
    return [Case(f"adam update+apply, {n / 1e6:.2f}M params (jit)", impls, baseline=baseline)]
