"""The Jaxpr IR: printing, make_jaxpr, eval_shape, dce."""

import numpy as np

import jaxnc as jax
import jaxnc.numpy as jnp
from jaxnc._src import core


def test_printer_reads_like_jax():
    text = str(jax.make_jaxpr(lambda x, y: jnp.sin(x) * y + 1.0)(np.float32(1.0), np.ones(3, np.float32)))
    assert text.startswith("{ lambda ; a:f32[] b:f32[3]. let")
    assert "c:f32[] = sin a" in text and "in (" in text


def test_captured_arrays_become_constvars():
    c = jnp.arange(3.0)
    closed = jax.make_jaxpr(lambda x: x + c)(np.ones(3, np.float32))
    assert len(closed.consts) == 1 and closed.jaxpr.constvars
    assert str(closed).startswith("{ lambda a:f32[3]; b:f32[3]. let")
    assert core.eval_jaxpr(closed.jaxpr, closed.consts, np.ones(3, np.float32))[0].tolist() == [1.0, 2.0, 3.0]


def test_dce_drops_unused_equations():
    closed = jax.make_jaxpr(lambda x: (jnp.sin(x), jnp.cos(x)))(np.float32(1.0))
    pruned, used = core.dce_jaxpr(closed.jaxpr, [True, False])
    assert [e.primitive.name for e in pruned.eqns] == ["sin"] and used == [True]


def test_make_jaxpr_static_and_return_shape():
    closed, shape = jax.make_jaxpr(lambda x, n: x * n, static_argnums=1, return_shape=True)(np.ones(2, np.float32), 3)
    assert shape.shape == (2,) and "mul" in str(closed)
