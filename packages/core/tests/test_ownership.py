"""Non-consuming ownership: delete/dispose, `with`, tree.dispose, cache release and the leak check."""

import gc

import numpy as np
import pytest

import jaxnc as jax
import jaxnc.numpy as jnp
from jaxnc._src.backends import base


def _live() -> int:
    gc.collect()
    return sum(base.live_buffer_counts().values())


def test_operations_never_consume_inputs():
    x = jnp.arange(3.0)
    y = jnp.sin(x) + x
    jax.jit(lambda a: a * 2)(x)
    jax.grad(lambda a: jnp.sum(a**2))(x)
    assert not x.is_deleted() and float(x.sum()) == 3.0 and y.shape == (3,)


def test_delete_names_where_it_happened():
    x = jnp.ones(4)
    x.delete()
    assert x.is_deleted()
    with pytest.raises(RuntimeError, match=r"Array has been deleted \(deleted at .*test_ownership.py:\d+\)"):
        x + 1
    x.delete()  # deleting twice is fine


def test_with_block_and_tree_dispose_release_buffers_now():
    before = _live()
    with jnp.ones(1000) as x:
        assert float(x[0]) == 1.0
    assert x.is_deleted()
    tree = {"a": jnp.zeros(10), "b": [jnp.ones(3), jnp.ones(3)]}
    assert _live() == before + 3
    jax.tree.dispose(tree)
    assert all(leaf.is_deleted() for leaf in jax.tree.leaves(tree))
    assert _live() == before


def test_buffers_are_freed_when_the_last_array_dies():
    before = _live()
    x = jnp.ones(100)
    y = jax.device_put(x)  # a new handle on the same buffer
    assert _live() == before + 1
    del x
    assert _live() == before + 1
    del y
    assert _live() == before


def test_check_leaks_reports_site_shape_and_device():
    keep = []
    with pytest.raises(jax._src.ownership.LeakError) as info:
        with jax.check_leaks():
            keep.append(jnp.zeros((2, 3)))
    msg = str(info.value)
    assert "1 buffer(s) leaked" in msg and "f32[2,3]" in msg and "cpu:0" in msg and "test_ownership.py" in msg
    keep.clear()
    with jax.check_leaks() as report:
        jnp.sum(jnp.ones(5)).block_until_ready()
    assert not report


def test_jit_owns_captured_constants_until_cleared():
    holder = [jnp.arange(1000.0)]
    f = jax.jit(lambda x: x + holder[0])
    f(1.0)
    holder.clear()
    before = _live()
    f.clear_cache()
    assert _live() == before - 1  # the captured constant went with the cache


def test_jit_cache_is_bounded():
    jax.config.update("jaxnc_jit_cache_size", 4)
    try:
        f = jax.jit(lambda x: x + 1)
        for n in range(10):
            f(np.ones(n + 1, np.float32))
        assert f._cache_size() == 4
    finally:
        jax.config.update("jaxnc_jit_cache_size", 256)


def test_same_code_is_leak_free_eagerly_and_under_jit():
    def step(p, x):
        return jax.tree.map(lambda a, g: a - 0.1 * g, p, jax.grad(lambda q: jnp.sum((q["w"] * x) ** 2))(p))

    p = {"w": jnp.ones(3)}
    x = jnp.arange(3.0)
    for run in (step, jax.jit(step)):
        with jax.check_leaks():
            out = run(p, x)
            np.testing.assert_allclose(out["w"], 1 - 0.2 * np.arange(3.0) ** 2)
            del out
