"""Bad input gets JAX's kind of error, naming shapes, dtypes and what to do."""

import subprocess
import sys

import numpy as np
import pytest

import jaxnc as jax
import jaxnc.numpy as jnp


def test_mismatched_shapes_name_both_shapes():
    with pytest.raises(ValueError, match=r"\(3,\).*\(4,\)"):
        jnp.add(jnp.ones(3), jnp.ones(4))
    with pytest.raises(TypeError, match=r"add got incompatible shapes for broadcasting: \(3,\), \(4,\)"):
        jax.lax.add(jnp.ones(3), jnp.ones(4))
    with pytest.raises(TypeError, match="same dtypes, got float32, int32"):
        jax.lax.add(jnp.ones(3), jnp.ones(3, jnp.int32))
    with pytest.raises(ValueError, match="core dimension"):
        jnp.ones((2, 3)) @ jnp.ones((4, 2))


def test_traced_value_in_python_if_raises_concretization_error():
    @jax.jit
    def f(x):
        if x > 0:
            return x
        return -x

    with pytest.raises(jax.ConcretizationTypeError, match="lax.cond"):
        f(1.0)
    with pytest.raises(jax.TracerArrayConversionError):
        jax.jit(lambda x: np.asarray(x))(1.0)
    with pytest.raises(jax.TracerIntegerConversionError):
        jax.jit(lambda x: range(x))(3)


def test_leaked_tracer_is_reported():
    leaked = []

    @jax.jit
    def f(x):
        leaked.append(x)
        return x

    f(1.0)
    with pytest.raises(jax.UnexpectedTracerError, match="unexpected tracer"):
        jnp.sin(leaked[0])
    with pytest.raises(jax.UnexpectedTracerError):
        jax.jit(lambda y: y + leaked[0])(2.0)


def test_grad_errors():
    with pytest.raises(TypeError, match="Output had shape: \\(3,\\)"):
        jax.grad(lambda x: x * 2)(jnp.ones(3))
    with pytest.raises(TypeError, match="input dtype that is a sub-dtype of np.inexact.*int32"):
        jax.grad(lambda x: x * 2)(3)


def test_unknown_platform_is_named():
    code = "import jaxnc; jaxnc.numpy.ones(2)"
    res = subprocess.run([sys.executable, "-c", code], env={"JAXNC_PLATFORMS": "tpu", "PATH": ""},
                         capture_output=True, text=True)  # fmt: skip
    assert res.returncode != 0
    assert "Unknown backend 'tpu' in JAXNC_PLATFORMS" in res.stderr and "cpu" in res.stderr


def test_reshape_and_index_errors_name_shapes():
    with pytest.raises(TypeError, match=r"\(2, 3\).*\(4,\)"):
        jnp.reshape(jnp.ones((2, 3)), (4,))
    with pytest.raises(IndexError, match="index 5 is out of bounds for axis 0 with size 3"):
        jnp.ones(3)[5]
    with pytest.raises(IndexError, match="boolean indices must be concrete"):
        jax.jit(lambda x: x[x > 0])(jnp.ones(3))


@pytest.mark.parametrize("method", ["item", "tolist", "tobytes"])
def test_reading_a_tracer_raises_concretization_error(method):
    with pytest.raises(jax.ConcretizationTypeError, match=f"in the {method} method"):
        jax.jit(lambda x: getattr(x, method)())(1.0)
    # a concrete primal under grad can be read, as `float(x)` can
    assert float(jax.grad(lambda x: x * x.item())(3.0)) == 3.0


def test_jacrev_of_integer_output_says_use_vjp():
    with pytest.raises(TypeError, match="jacrev requires real-valued outputs.*got int32"):
        jax.jacrev(lambda x: (x * 2, jnp.argmax(x)))(jnp.arange(3.0))
