"""Transformations against oracles: analytic derivatives, finite differences, loops, eager execution."""

import collections
import dataclasses

import numpy as np
import pytest

import jaxnc as jax
import jaxnc.numpy as jnp
from jaxnc.testing import check_grads


def test_grad_tanh_matches_analytic():
    x = np.linspace(-2, 2, 7, dtype=np.float32)
    g = jax.vmap(jax.grad(jnp.tanh))(x)
    np.testing.assert_allclose(g, 1 - np.tanh(x) ** 2, rtol=1e-6)


def _mlp_loss(params, x, y):
    h = jnp.tanh(x @ params["w1"] + params["b1"])
    out = h @ params["w2"] + params["b2"]
    return jnp.mean((out - y) ** 2)


def _mlp_params(rng):
    return {
        "w1": rng.standard_normal((3, 5)).astype(np.float32),
        "b1": rng.standard_normal(5).astype(np.float32),
        "w2": rng.standard_normal((5, 2)).astype(np.float32),
        "b2": np.zeros(2, np.float32),
    }


def test_mlp_grads_against_finite_differences():
    rng = np.random.default_rng(0)
    params = _mlp_params(rng)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    y = rng.standard_normal((4, 2)).astype(np.float32)
    check_grads(lambda p: _mlp_loss(p, x, y), (params,), order=2)
    g = jax.grad(_mlp_loss)(params, x, y)
    assert set(g) == set(params) and all(g[k].shape == params[k].shape for k in params)


def test_per_example_grads_vmap_matches_loop():
    rng = np.random.default_rng(1)
    params = _mlp_params(rng)
    x = rng.standard_normal((6, 3)).astype(np.float32)
    y = rng.standard_normal((6, 2)).astype(np.float32)
    per = jax.jit(jax.vmap(jax.grad(_mlp_loss), in_axes=(None, 0, 0)))(params, x[:, None], y[:, None])
    for i in range(6):
        gi = jax.grad(_mlp_loss)(params, x[i : i + 1], y[i : i + 1])
        for k in params:
            np.testing.assert_allclose(per[k][i], gi[k], rtol=1e-5, atol=1e-6)


def test_jacobians_of_pytrees():
    def f(d):
        return {"s": jnp.sin(d["a"]) * d["b"], "c": jnp.sum(d["a"] ** 2)}

    d = {"a": np.array([0.1, 0.5, 1.0], np.float32), "b": np.float32(2.0)}
    for jac in (jax.jacfwd, jax.jacrev):
        j = jac(f)(d)
        np.testing.assert_allclose(j["s"]["a"], np.diag(np.cos(d["a"]) * 2.0), rtol=1e-6)
        np.testing.assert_allclose(j["s"]["b"], np.sin(d["a"]), rtol=1e-6)
        np.testing.assert_allclose(j["c"]["a"], 2 * d["a"], rtol=1e-6)
        assert j["c"]["b"].shape == ()


def test_hessian_of_quadratic_form():
    a = np.array([[2.0, 1.0], [0.5, 3.0]], np.float32)
    h = jax.hessian(lambda x: x @ (a @ x))(np.array([0.3, -0.7], np.float32))
    np.testing.assert_allclose(h, a + a.T, rtol=1e-6)


@pytest.mark.parametrize(
    "compose",
    [
        lambda f: jax.jit(jax.vmap(jax.grad(f))),
        lambda f: jax.vmap(jax.jit(jax.grad(f))),
        lambda f: jax.grad(jax.jit(f)),
        lambda f: jax.jit(jax.grad(jax.jit(f))),
        lambda f: jax.vmap(jax.grad(jax.checkpoint(f))),
    ],
)
def test_compositions_agree(compose):
    def f(x):
        return jnp.sum(jnp.sin(x) * jnp.exp(-x))

    xs = np.random.default_rng(2).standard_normal((4, 3)).astype(np.float32)
    # f sums over its input, so per-row vmapped gradients and the whole-batch gradient coincide
    want = np.cos(xs) * np.exp(-xs) - np.sin(xs) * np.exp(-xs)
    np.testing.assert_allclose(compose(f)(xs), want, rtol=1e-5, atol=1e-6)


def test_vmap_of_jacrev_and_grad_of_grad():
    xs = np.linspace(0.1, 1.0, 4, dtype=np.float32)
    j = jax.vmap(jax.jacrev(lambda x: jnp.stack([jnp.sin(x), x**3])))(xs)
    np.testing.assert_allclose(j, np.stack([np.cos(xs), 3 * xs**2], 1), rtol=1e-5)
    g2 = jax.grad(jax.grad(lambda x: x**4))(np.float32(1.5))
    np.testing.assert_allclose(g2, 12 * 1.5**2, rtol=1e-6)


def test_linearize_and_linear_transpose():
    x = np.array([0.2, 0.4], np.float32)
    y, f_jvp = jax.linearize(jnp.sin, x)
    np.testing.assert_allclose(f_jvp(np.ones(2, np.float32)), np.cos(x), rtol=1e-6)
    m = np.arange(6, dtype=np.float32).reshape(2, 3)
    ft = jax.linear_transpose(lambda v: m @ v, np.zeros(3, np.float32))
    (ct,) = ft(np.array([1.0, 2.0], np.float32))
    np.testing.assert_allclose(ct, m.T @ np.array([1.0, 2.0]), rtol=1e-6)


def test_jvp_and_vjp_with_aux_and_argnums():
    def f(x, y):
        return x * y, {"aux": x + 1}

    (v, aux), g = jax.value_and_grad(lambda x, y: (jnp.sum(f(x, y)[0]), f(x, y)[1]), argnums=(0, 1), has_aux=True)(
        np.float32(2.0), np.float32(3.0)
    )
    assert float(v) == 6.0 and float(g[0]) == 3.0 and float(g[1]) == 2.0 and float(aux["aux"]) == 3.0
    y, t = jax.jvp(lambda x: x**2, (np.float32(3.0),), (np.float32(1.0),))
    assert float(y) == 9.0 and float(t) == 6.0
    out, f_vjp, aux2 = jax.vjp(f, np.float32(2.0), np.float32(3.0), has_aux=True)
    assert [float(c) for c in f_vjp(np.float32(1.0))] == [3.0, 2.0] and float(aux2["aux"]) == 3.0


def test_python_control_flow_under_grad_uses_concrete_values():
    def f(x):
        return x**2 if x > 0 else -x

    assert float(jax.grad(f)(3.0)) == 6.0
    assert float(jax.grad(f)(-3.0)) == -1.0


def test_custom_jvp_and_custom_vjp_compose():
    @jax.custom_jvp
    def safe_log1pexp(x):
        return jnp.log1p(jnp.exp(x))

    @safe_log1pexp.defjvp
    def _(primals, tangents):
        (x,), (t,) = primals, tangents
        return safe_log1pexp(x), t * jax.nn.sigmoid(x)

    xs = np.array([-3.0, 0.0, 50.0], np.float32)
    np.testing.assert_allclose(jax.vmap(jax.grad(safe_log1pexp))(xs), 1 / (1 + np.exp(-xs)), rtol=1e-6)
    np.testing.assert_allclose(jax.jit(jax.grad(safe_log1pexp))(np.float32(1.0)), 1 / (1 + np.exp(-1.0)), rtol=1e-6)

    @jax.custom_vjp
    def clip_gradient(x):
        return x

    clip_gradient.defvjp(lambda x: (x, None), lambda _, g: (jnp.clip(g, -1.0, 1.0),))
    g = jax.vmap(jax.grad(lambda x: 3.0 * clip_gradient(x)))(np.array([1.0, 2.0], np.float32))
    np.testing.assert_allclose(g, [1.0, 1.0])
    assert float(jax.jit(jax.grad(lambda x: 0.5 * clip_gradient(x)))(1.0)) == 0.5
    with pytest.raises(TypeError, match="forward-mode"):
        jax.jvp(clip_gradient, (np.float32(1.0),), (np.float32(1.0),))


def test_checkpoint_keeps_values_and_recomputes():
    def f(x):
        return jnp.sum(jnp.sin(jnp.sin(x)) ** 2)

    x = np.array([0.3, 0.6], np.float32)
    np.testing.assert_allclose(jax.grad(jax.checkpoint(f))(x), jax.grad(f)(x), rtol=1e-6)
    assert "remat" in str(jax.make_jaxpr(jax.grad(jax.checkpoint(f)))(x))


def test_stop_gradient():
    g = jax.grad(lambda x: x * jax.lax.stop_gradient(x))(np.float32(3.0))
    assert float(g) == 3.0


def test_jit_static_args_and_cache():
    calls = []

    @jax.jit
    def f(x, n):
        calls.append(1)
        return x * n

    g = jax.jit(lambda x, n: x * n, static_argnums=1)
    assert float(g(np.float32(2.0), 3)) == 6.0 and float(g(np.float32(2.0), 4)) == 8.0
    assert g._cache_size() == 2
    f(np.float32(1.0), np.float32(2.0))
    f(np.float32(5.0), np.float32(3.0))
    assert len(calls) == 1  # same avals: traced once
    f(np.ones(3, np.float32), np.float32(3.0))
    assert len(calls) == 2
    h = jax.jit(lambda x, *, scale: x * scale, static_argnames="scale")
    assert float(h(np.float32(2.0), scale=5.0)) == 10.0
    with pytest.raises(ValueError, match="Non-hashable static"):
        g(np.float32(1.0), [1, 2])


def test_nested_jit_is_inlined_and_donate_accepted():
    inner = jax.jit(lambda x: jnp.sin(x) * 2)
    outer = jax.jit(lambda x: inner(x) + 1, donate_argnums=0)
    text = str(jax.make_jaxpr(lambda x: inner(x) + 1)(np.float32(1.0)))
    assert "sin" in text and "jit" not in text
    x = jnp.asarray(np.float32(0.5))
    np.testing.assert_allclose(outer(x), np.sin(0.5) * 2 + 1, rtol=1e-6)
    assert not x.is_deleted()  # jaxnc never consumes inputs, donation or not


def test_vmap_axes_and_sizes():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    out = jax.vmap(lambda a, b: a + b, in_axes=(1, None), out_axes=1)(x, np.float32(10))
    np.testing.assert_allclose(out, x + 10)
    tree = jax.vmap(lambda d: {"s": d["a"].sum()}, in_axes=({"a": 0},))({"a": x})
    np.testing.assert_allclose(tree["s"], x.sum(1))
    np.testing.assert_allclose(jax.vmap(lambda: jnp.ones(2), axis_size=3)(), np.ones((3, 2)))
    with pytest.raises(ValueError, match="inconsistent sizes"):
        jax.vmap(lambda a, b: a + b)(np.ones(2), np.ones(3))


def test_pytree_inputs_namedtuple_and_dataclass():
    Point = collections.namedtuple("Point", "x y")

    @dataclasses.dataclass
    class Params:
        w: object
        b: object

    jax.tree_util.register_dataclass(Params, data_fields=["w", "b"], meta_fields=[])
    g = jax.grad(lambda p, q: jnp.sum(p.x * q.w) + q.b)(Point(np.float32(2.0), 1.0), Params(np.float32(3.0), 4.0))
    assert isinstance(g, Point) and float(g.x) == 3.0 and float(g.y) == 0.0


def test_eval_shape_and_shape_dtype_struct():
    out = jax.eval_shape(lambda x: jnp.sum(x, 0), jax.ShapeDtypeStruct((3, 4), jnp.float32))
    assert out.shape == (4,) and out.dtype == np.float32


def test_jit_of_a_callable_object_without_name():
    # regression: jit(obj) read obj.__name__, which callable instances lack
    class Scale:
        def __call__(self, x):
            return 2 * x

    np.testing.assert_allclose(np.asarray(jax.jit(Scale())(jnp.ones(3))), 2 * np.ones(3))


def test_integer_inputs_and_outputs_have_float0_tangents():
    f0 = jax.dtypes.float0
    # int -> int: the cotangent is float0 (JAX rejects an int32 one)
    _, f_vjp = jax.vjp(lambda i: i * 2, 3)
    (ct,) = f_vjp(np.zeros((), f0))
    assert ct.dtype == f0 and ct.shape == ()
    with pytest.raises(TypeError, match=r"\(i32\[\]\) is not the expected tangent type \(float0\[\]\)"):
        f_vjp(jnp.array(1))
    y, f_vjp = jax.vjp(lambda x, i: (x * i, i + 1), 2.0, 3)
    assert y[1] == 4
    ct_x, ct_i = f_vjp((1.0, np.zeros((), f0)))
    assert float(ct_x) == 3.0 and ct_i.dtype == f0
    out, t = jax.jvp(lambda x, i: (x * i, i * 2), (2.0, 3), (1.0, np.zeros((), f0)))
    assert float(out[0]) == 6.0 and int(out[1]) == 6 and float(t[0]) == 3.0 and t[1].dtype == f0
    _, f_jvp = jax.linearize(lambda i, x: (i * 2, x * 3), 3, 1.0)
    t_i, t_x = f_jvp(np.zeros((), f0), 1.0)
    assert t_i.dtype == f0 and float(t_x) == 3.0
    g = jax.grad(lambda p: p["w"] * p["n"], allow_int=True)({"w": 2.0, "n": 3})
    assert float(g["w"]) == 3.0 and g["n"].dtype == f0


def test_disable_jit_typeof_and_named_scope():
    seen = []
    f = jax.jit(lambda x: seen.append(isinstance(x, jax.Array) and not hasattr(x, "_trace")) or x * 2)
    with jax.disable_jit():
        np.testing.assert_array_equal(f(jnp.ones(2)), [2.0, 2.0])
    np.testing.assert_array_equal(f(jnp.ones(2)), [2.0, 2.0])
    assert seen == [True, False]  # a concrete Array inside disable_jit, a tracer after it
    assert not jax.config.jax_disable_jit
    t = jax.typeof(jnp.ones((2, 3), jnp.int8))
    assert t.shape == (2, 3) and t.dtype == np.int8 and not t.weak_type and jax.typeof(1.0).weak_type
    with jax.named_scope("layer"):
        assert float(jax.named_call(jnp.sin, name="s")(0.0)) == 0.0
    with pytest.raises(TypeError, match="must be a string"):
        with jax.named_scope(3):
            pass


def test_custom_rules_see_and_return_arrays():
    # regression: rules got Python floats / NumPy cotangents and their results reached the user as NumPy
    seen = []

    @jax.custom_vjp
    def pt(d):
        return d["a"] * d["b"]

    def bwd(d, g):
        seen.append((type(d["a"]), type(g)))
        return ({"a": g * d["b"], "b": g * 0.0},)

    pt.defvjp(lambda d: (pt(d), d), bwd)
    g = jax.grad(pt)({"a": 2.0, "b": 3.0})
    assert all(type(v) is type(jnp.ones(1)) for v in g.values()) and float(g["a"]) == 3.0
    assert seen == [(type(jnp.ones(1)), type(jnp.ones(1)))]
    (ct,) = jax.vjp(pt, {"a": 2.0, "b": 3.0})[1](1.0)
    assert isinstance(ct["a"], jax.Array) and float(ct["a"]) == 3.0

    @jax.custom_jvp
    def f(x):
        return x * 2

    f.defjvp(lambda p, t: (f(p[0]), t[0] * 5))
    out, t = jax.jvp(f, (3.0,), (1.0,))
    assert isinstance(t, jax.Array) and float(t) == 5.0 and float(out) == 6.0


def test_transformations_return_arrays_even_for_identity():
    # regression: jvp/vjp/linearize of the identity handed back the Python floats they were given, and
    # grad of the identity a NumPy array
    weak_one = "Array(1., dtype=float32, weak_type=True)"
    assert repr(jax.jvp(lambda x: x, (3.0,), (1.0,))[1]) == weak_one
    assert repr(jax.vjp(lambda x: x, 3.0)[1](1.0)[0]) == weak_one
    assert repr(jax.linearize(lambda x: x, 3.0)[1](1.0)) == weak_one
    assert repr(jax.grad(lambda x: x)(3.0)) == weak_one
    assert repr(jax.value_and_grad(lambda x: x)(3.0)[0]) == "Array(3., dtype=float32, weak_type=True)"
    assert isinstance(jax.vmap(lambda x: x)(np.ones(2, np.float32)), jax.Array)


def test_float0_gradients_pass_through_jit_and_vmap():
    # regression: jit rejected float0 outputs ("not a valid JAX type") and vmap could not batch them
    f0 = jax.dtypes.float0
    g = jax.jit(jax.grad(lambda p: p["w"] * p["n"], allow_int=True))({"w": 2.0, "n": 3})
    assert float(g["w"]) == 3.0 and g["n"].dtype == f0 and g["n"].shape == ()
    per_example = jax.vmap(jax.grad(lambda w, n: w * n, argnums=(0, 1), allow_int=True))
    for fn in (per_example, jax.jit(per_example)):
        gw, gn = fn(np.ones(2, np.float32), np.arange(2))
        np.testing.assert_array_equal(gw, [0.0, 1.0])
        assert gn.dtype == f0 and gn.shape == (2,)
