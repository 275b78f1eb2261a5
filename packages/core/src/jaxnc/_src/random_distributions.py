"""jax.random's samplers beyond uniform/normal: JAX's algorithms step for step, so a key gives JAX's numbers.

Shuffles are rounds of sort-by-random-bits; gamma is Marsaglia-Tsang per element (keys split to the
element count) with implicit reparameterization gradients; poisson is Knuth below 10 and Hormann's
transformed rejection above; the rest are transforms of uniform, normal, gamma and exponential draws.
"""

from __future__ import annotations

import math

import numpy as np

from jaxnc._src import api, core, dtypes
from jaxnc._src.core import get_aval
from jaxnc._src.custom_derivatives import custom_jvp
from jaxnc._src.lax import control_flow, lax
from jaxnc._src.lax import sorting as lax_sorting
from jaxnc._src.lax import special as lax_special
from jaxnc._src.numpy import lax_numpy as jnp
from jaxnc._src.random import (
    _check_key,
    _float_dtype,
    _random_bits,
    bernoulli,
    exponential,
    gumbel,
    normal,
    randint,
    split,
    uniform,
)  # fmt: skip


def _shape(shape):
    return (int(shape),) if np.ndim(shape) == 0 and shape is not None else tuple(int(s) for s in shape)


def _check_shape(name, shape, *param_shapes):
    if param_shapes:
        target = jnp.broadcast_shapes(shape, *param_shapes)
        if target != tuple(shape):
            raise ValueError(f"{name} parameter shapes must be broadcast-compatible with shape argument, and the result "
                             f"of broadcasting the shapes must equal the shape argument, but got result {target} for "
                             f"shape argument {shape}.")  # fmt: skip


def _const(x, v):
    return lax._const(x, v)


# --- permutations --------------------------------------------------------------------------------


def _shuffle(key, x, axis):
    """ceil(3 ln(n) / ln(2^32 - 1)) rounds of sorting by fresh random 32-bit keys (JAX's construction)."""
    size = get_aval(x).size
    num_rounds = int(np.ceil(3 * np.log(max(1, size)) / np.log(np.iinfo(np.uint32).max)))
    for _ in range(num_rounds):
        key, subkey = split(key)
        sort_keys = _random_bits(subkey, 32, get_aval(x).shape)
        _, x = lax_sorting.sort_key_val(sort_keys, x, axis)
    return x


def permutation(key, x, axis=0, independent=False):
    """A random permutation of x along axis, or of arange(x) for an integer x.

    Example:
      >>> import jaxnc.random as random
      >>> sorted(random.permutation(random.key(0), 5).tolist())
      [0, 1, 2, 3, 4]
    """
    key = _check_key(key, "permutation")
    x = jnp.asarray(x) if not hasattr(x, "aval") else x
    if jnp.ndim(x) == 0:
        if not dtypes.is_integer(get_aval(x).dtype):
            raise TypeError("x must be an integer or at least 1-dimensional")
        r = int(core.concrete_or_error(x, "argument x of jax.random.permutation()"))
        return _shuffle(key, jnp.arange(r), 0)
    (axis,) = jnp._canonical_axes(axis, jnp.ndim(x), "permutation")
    if independent or jnp.ndim(x) == 1:
        return _shuffle(key, x, axis)
    ind = _shuffle(key, jnp.arange(jnp.shape(x)[axis]), 0)
    return jnp.take(x, ind, axis)


def shuffle(key, x, axis=0):
    """x shuffled independently along axis (deprecated in JAX in favour of permutation)."""
    key = _check_key(key, "shuffle")
    x = jnp.asarray(x) if not hasattr(x, "aval") else x
    (axis,) = jnp._canonical_axes(axis, jnp.ndim(x), "shuffle")
    return _shuffle(key, x, axis)


def choice(key, a, shape=(), replace=True, p=None, axis=0, *, mode=None):
    """Random samples from a (or arange(a)), with or without replacement, optionally weighted by p.

    Example:
      >>> import jaxnc.random as random
      >>> random.choice(random.key(0), 10, (3,), replace=False).shape
      (3,)
    """
    key = _check_key(key, "choice")
    if not isinstance(shape, (tuple, list)):
        raise TypeError(f"shape argument of jax.random.choice must be a sequence, got {shape}")
    arr = jnp.asarray(a) if not hasattr(a, "aval") else a
    if jnp.ndim(arr) == 0:
        n_inputs = int(core.concrete_or_error(a, "The error occurred in jax.random.choice()"))
    else:
        (axis,) = jnp._canonical_axes(axis, jnp.ndim(arr), "choice")
        n_inputs = jnp.shape(arr)[axis]
    shape = tuple(shape)
    n_draws = math.prod(shape)
    if n_draws == 0:
        return jnp.zeros(shape, get_aval(arr).dtype)
    if n_inputs <= 0:
        raise ValueError("a must be greater than 0 unless no samples are taken")
    if not replace and n_draws > n_inputs:
        raise ValueError(f"Cannot take a larger sample (size {n_draws}) than population (size {n_inputs}) when "
                         "'replace=False'")  # fmt: skip
    if p is None:
        if replace:
            ind = randint(key, shape, 0, n_inputs)
            result = ind if jnp.ndim(arr) == 0 else jnp.take(arr, ind, axis)
        else:
            perm = permutation(key, n_inputs if jnp.ndim(arr) == 0 else arr, axis)
            result = lax.slice_in_dim(perm, 0, n_draws, axis=axis if jnp.ndim(arr) else 0)
    else:
        (p_arr,) = jnp.promote_dtypes_inexact(p)
        if jnp.shape(p_arr) != (n_inputs,):
            raise ValueError(f"p must be None or a 1D vector with the same size as a.shape[axis], got shape "
                             f"{jnp.shape(p_arr)} for {n_inputs} inputs")  # fmt: skip
        if replace:
            from jaxnc._src.numpy.sorting import searchsorted

            p_cuml = jnp.cumsum(p_arr)
            r = p_cuml[-1] * (1 - uniform(key, shape, get_aval(p_cuml).dtype))
            ind = jnp.astype(searchsorted(p_cuml, r), dtypes.default_int_dtype())
        else:
            g = gumbel(key, (n_inputs,), get_aval(p_arr).dtype) + jnp.log(p_arr)
            ind = jnp.astype(lax_sorting.top_k(g, n_draws)[1], dtypes.default_int_dtype())
        result = ind if jnp.ndim(arr) == 0 else jnp.take(arr, ind, axis)
    if jnp.ndim(arr) == 0:
        return jnp.reshape(result, shape)
    s = jnp.shape(arr)
    return jnp.reshape(result, s[:axis] + shape + s[axis + 1 :])


# --- gamma family --------------------------------------------------------------------------------


def _gamma_one(key, alpha, log_space):
    """One Marsaglia-Tsang draw (boosted for alpha < 1), with JAX's key schedule."""
    zero, one, minus_one = _const(alpha, 0), _const(alpha, 1), _const(alpha, -1)
    one_over_two, one_over_three, squeeze_const = _const(alpha, 0.5), _const(alpha, 1 / 3), _const(alpha, 0.0331)
    dt = get_aval(alpha).dtype
    boost_mask = lax.ge(alpha, one)
    alpha_orig = alpha
    alpha = lax.select(boost_mask, alpha, lax.add(alpha, one))
    d = lax.sub(alpha, one_over_three)
    c = lax.div(one_over_three, lax.sqrt(d))

    def cond_fn(state):
        _, x, v, u = state
        return lax.bitwise_and(
            lax.ge(u, lax.sub(one, lax.mul(squeeze_const, lax.mul(x, x)))),
            lax.ge(lax.log(u), lax.add(lax.mul(x, one_over_two), lax.mul(d, lax.add(lax.sub(one, v), lax.log(v))))))

    def body_fn(state):
        def next_kxv(kxv):
            k = kxv[0]
            k, subkey = split(k)
            x = normal(subkey, (), dt)
            return k, x, lax.add(one, lax.mul(x, c))

        k = state[0]
        k, x_key, u_key = split(k, 3)
        _, x, v = control_flow.while_loop(lambda kxv: lax.le(kxv[2], zero), next_kxv, (x_key, zero, minus_one))
        return k, lax.mul(x, x), lax.mul(lax.mul(v, v), v), uniform(u_key, (), dt)

    key, subkey = split(key)
    _, _, v, _ = control_flow.while_loop(cond_fn, body_fn, (key, zero, one, _const(alpha, 2)))
    if log_space:
        log_samples = lax.neg(exponential(subkey, (), dt))
        log_boost = lax.select(lax.bitwise_or(boost_mask, lax.eq(log_samples, zero)), zero,
                               lax.mul(log_samples, lax.div(one, alpha_orig)))  # fmt: skip
        return lax.add(lax.add(lax.log(d), lax.log(v)), log_boost)
    samples = lax.sub(one, uniform(subkey, (), dt))
    boost = lax.select(boost_mask, one, lax.pow(samples, lax.div(one, alpha_orig)))
    return lax.mul(lax.mul(d, v), boost)


def _gamma_grad(sample, a, log_space):
    """d sample / d a by implicit differentiation of the CDF (lax.random_gamma_grad)."""
    if log_space:
        s = lax.exp(sample)
        s = jnp.where(jnp.equal(s, 0), _const(s, float(dtypes.finfo(get_aval(s).dtype).tiny)), s)
        return lax.div(lax_special.random_gamma_grad(a, s), s)
    return lax_special.random_gamma_grad(a, sample)


def _make_gamma(log_space):
    @custom_jvp
    def sample(key, a):
        keys = split(key, get_aval(a).size)
        out = api.vmap(lambda k, al: _gamma_one(k, al, log_space))(keys, jnp.ravel(a))
        return jnp.reshape(out, get_aval(a).shape)

    @sample.defjvp
    def sample_jvp(primals, tangents):
        key, a = primals
        _, a_dot = tangents
        s = sample(key, a)
        return s, lax.mul(a_dot, _gamma_grad(s, a, log_space))

    return sample


_gamma_sample = _make_gamma(False)
_loggamma_sample = _make_gamma(True)


def _gamma(key, a, shape, dtype, log_space=False):
    dt = _float_dtype(dtype, "gamma")
    a = jnp.asarray(a) if not hasattr(a, "aval") else a
    if shape is None:
        shape = jnp.shape(a)
    else:
        shape = _shape(shape)
        _check_shape("gamma", shape, jnp.shape(a))
    a = lax.convert_element_type(a, dt)
    if jnp.shape(a) != shape:
        a = jnp.broadcast_to(a, shape)
    return (_loggamma_sample if log_space else _gamma_sample)(key, a)


def gamma(key, a, shape=None, dtype=None):
    """Gamma(a, 1) samples, differentiable in a (implicit reparameterization).

    Example:
      >>> import jaxnc.random as random
      >>> random.gamma(random.key(0), 2.0, (3,)).shape
      (3,)
    """
    key = _check_key(key, "gamma")
    return _gamma(key, a, shape, dtype)


def loggamma(key, a, shape=None, dtype=None):
    """log of Gamma(a, 1) samples, accurate for small a."""
    key = _check_key(key, "loggamma")
    return _gamma(key, a, shape, dtype, log_space=True)


def beta(key, a, b, shape=None, dtype=None):
    """Beta(a, b) samples, from two log-gamma draws."""
    key = _check_key(key, "beta")
    dt = _float_dtype(dtype, "beta")
    a, b = jnp.asarray(a), jnp.asarray(b)
    if shape is None:
        shape = jnp.broadcast_shapes(jnp.shape(a), jnp.shape(b))
    else:
        shape = _shape(shape)
        _check_shape("beta", shape, jnp.shape(a), jnp.shape(b))
    a, b = lax.convert_element_type(a, dt), lax.convert_element_type(b, dt)
    key_a, key_b = split(key)
    a, b = jnp.broadcast_to(a, shape), jnp.broadcast_to(b, shape)
    log_gamma_a = loggamma(key_a, a, shape, dt)
    log_gamma_b = loggamma(key_b, b, shape, dt)
    log_max = lax.max(log_gamma_a, log_gamma_b)
    ga = jnp.exp(log_gamma_a - log_max)
    gb = jnp.exp(log_gamma_b - log_max)
    return ga / (ga + gb)


def dirichlet(key, alpha, shape=None, dtype=None):
    """Dirichlet(alpha) samples over the last axis (softmax of log-gamma draws)."""
    key = _check_key(key, "dirichlet")
    dt = _float_dtype(dtype, "dirichlet")
    alpha = jnp.asarray(alpha)
    if jnp.ndim(alpha) < 1:
        raise ValueError(f"The concentration parameter alpha must be at least 1-dimensional, got {jnp.shape(alpha)}")
    if shape is None:
        shape = jnp.shape(alpha)[:-1]
    else:
        shape = _shape(shape)
        _check_shape("dirichlet", shape, jnp.shape(alpha)[:-1])
    log_gamma = loggamma(key, alpha, shape + jnp.shape(alpha)[-1:], dt)
    x_max = jnp.max(log_gamma, -1, keepdims=True)
    unnormalized = jnp.exp(log_gamma - lax.stop_gradient(x_max))
    return unnormalized / jnp.sum(unnormalized, -1, keepdims=True)


def t(key, df, shape=(), dtype=None):
    """Student's t samples: normal * sqrt(df / 2 / gamma(df / 2))."""
    key = _check_key(key, "t")
    dt = _float_dtype(dtype, "t")
    df = jnp.asarray(df, dtype=dt)
    shape = jnp.shape(df) if shape is None else _shape(shape)
    key_n, key_g = split(key)
    n = normal(key_n, shape, dt)
    half_df = lax.div(jnp.broadcast_to(df, shape), _const(n, 2))
    g = gamma(key_g, half_df, shape, dt)
    return n * jnp.sqrt(half_df / g)


def chisquare(key, df, shape=(), dtype=None):
    """Chi-square samples: 2 * exp(loggamma(df / 2))."""
    key = _check_key(key, "chisquare")
    dt = _float_dtype(dtype, "chisquare")
    df = jnp.asarray(df, dtype=dt)
    shape = jnp.shape(df) if shape is None else _shape(shape)
    half_df = lax.div(jnp.broadcast_to(df, shape), _const(df, 2))
    return _const(df, 2) * jnp.exp(loggamma(key, half_df, shape, dt))


def f(key, dfnum, dfden, shape=(), dtype=None):
    """F-distribution samples: (chi2(dfnum) / dfnum) / (chi2(dfden) / dfden)."""
    key = _check_key(key, "f")
    dt = _float_dtype(dtype, "f")
    dfnum, dfden = jnp.asarray(dfnum, dtype=dt), jnp.asarray(dfden, dtype=dt)
    shape = jnp.broadcast_shapes(jnp.shape(dfnum), jnp.shape(dfden)) if shape is None else _shape(shape)
    key_dfd, key_dfn = split(key)
    chi2_dfn = chisquare(key_dfn, dfnum, shape, dt)
    chi2_dfd = chisquare(key_dfd, dfden, shape, dt)
    return (chi2_dfn / dfnum) / (chi2_dfd / dfden)


def generalized_normal(key, p, shape=(), dtype=None):
    """Generalized normal samples with shape parameter p: sign * gamma(1/p)^(1/p)."""
    key = _check_key(key, "generalized_normal")
    dt = _float_dtype(dtype, "generalized_normal")
    shape = _shape(shape)
    k1, k2 = split(key)
    g = gamma(k1, 1 / p, shape, dt)
    r = rademacher(k2, shape, dt)
    return r * g ** (1 / p)


def ball(key, d, p=2, shape=(), dtype=None):
    """Uniform samples from the unit p-ball in d dimensions."""
    key = _check_key(key, "ball")
    dt = _float_dtype(dtype, "ball")
    shape = _shape(shape)
    k1, k2 = split(key)
    g = generalized_normal(k1, p, (*shape, int(d)), dt)
    e = exponential(k2, shape, dt)
    return g / (((jnp.abs(g) ** p).sum(-1) + e) ** (1 / p))[..., None]


# --- discrete --------------------------------------------------------------------------------------


def _poisson_knuth(key, lam, shape, dtype, max_iters):
    def body_fn(carry):
        i, k, rng, log_prod = carry
        rng, subkey = split(rng)
        k = lax.select(lax.gt(log_prod, lax.neg(lam)), lax.add(k, lax.full_like(k, 1)), k)
        u = uniform(subkey, shape, np.float32)
        return i + 1, k, rng, lax.add(log_prod, jnp.log(u))

    def cond_fn(carry):
        i, log_prod = carry[0], carry[3]
        return jnp.any(lax.gt(log_prod, lax.neg(lam))) & (i < max_iters)

    k_init = lax.full(shape, 0, dtype)
    log_rate_init = lax.full(shape, 0, np.float32)
    k = control_flow.while_loop(cond_fn, body_fn, (jnp.asarray(0), k_init, key, log_rate_init))[1]
    return lax.sub(k, lax.full_like(k, 1))


def _poisson_rejection(key, lam, shape, dtype, max_iters):
    log_lam = lax.log(lam)
    b = 0.931 + 2.53 * lax.sqrt(lam)
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    v_r = 0.9277 - 3.6224 / (b - 2)

    def body_fn(carry):
        i, k_out, accepted, rng = carry
        rng, subkey_0, subkey_1 = split(rng, 3)
        u = uniform(subkey_0, shape, np.float32) - 0.5
        v = uniform(subkey_1, shape, np.float32)
        u_shifted = 0.5 - jnp.abs(u)
        k = lax.floor((2 * a / u_shifted + b) * u + lam + 0.43)
        s = lax.log(v * inv_alpha / (a / (u_shifted * u_shifted) + b))
        t_ = -lam + k * log_lam - lax_special.lgamma(k + 1)
        accept1 = (u_shifted >= 0.07) & (v <= v_r)
        reject = (k < 0) | ((u_shifted < 0.013) & (v > u_shifted))
        accept2 = s <= t_
        accept = accept1 | (~reject & accept2)
        k_out = lax.select(accept, k, k_out)
        return i + 1, k_out, accepted | accept, rng

    def cond_fn(carry):
        i, _, accepted, _ = carry
        return jnp.any(~accepted) & (i < max_iters)

    k_init = lax.full(shape, -1, np.float32)
    accepted = lax.full(shape, False, np.bool_)
    k = control_flow.while_loop(cond_fn, body_fn, (jnp.asarray(0), k_init, accepted, key))[1]
    return lax.convert_element_type(k, dtype)


def poisson(key, lam, shape=None, dtype=None):
    """Poisson(lam) samples: Knuth's method for lam < 10, Hormann's transformed rejection otherwise.

    Example:
      >>> import jaxnc.random as random
      >>> random.poisson(random.key(0), 3.0, (4,)).shape
      (4,)
    """
    key = _check_key(key, "poisson")
    dt = dtypes.canonicalize_dtype(dtype or dtypes.default_int_dtype())
    lam = jnp.asarray(lam)
    shape = jnp.shape(lam) if shape is None else _shape(shape)
    lam = lax.convert_element_type(jnp.broadcast_to(lam, shape), np.float32)
    use_knuth = lax.lt(lam, lax.full_like(lam, 10.0))
    lam_knuth = lax.select(use_knuth, lam, lax.full_like(lam, 0.0))
    lam_rejection = lax.select(use_knuth, lax.full_like(lam, 1e5), lam)
    max_iters = int(np.iinfo(dt).max)
    result = lax.select(use_knuth, _poisson_knuth(key, lam_knuth, shape, dt, max_iters),
                        _poisson_rejection(key, lam_rejection, shape, dt, max_iters))  # fmt: skip
    return lax.select(lax.eq(lam, lax.full_like(lam, 0)), jnp.zeros_like(result), result)


def binomial(key, n, p, shape=None, dtype=None):
    """Binomial(n, p) samples by counting geometric waiting times (inversion; exact in distribution).

    NB: JAX switches to the BTRS rejection sampler for large n*p, so its numbers differ there.
    """
    key = _check_key(key, "binomial")
    dt = _float_dtype(dtype, "binomial")
    n, p = jnp.asarray(n, dtype=dt), jnp.asarray(p, dtype=dt)
    shape = jnp.broadcast_shapes(jnp.shape(n), jnp.shape(p)) if shape is None else _shape(shape)
    n, p = jnp.broadcast_to(n, shape), jnp.broadcast_to(p, shape)
    flip = p > 0.5
    q = jnp.where(flip, 1 - p, p)
    log1mq = jnp.log1p(-jnp.where(q > 0, q, 0.5))

    def body_fn(carry):
        i, num_geom, geom_sum, rng = carry
        rng, subkey = split(rng)
        num_geom = jnp.where(geom_sum <= n, num_geom + 1, num_geom)
        u = uniform(subkey, shape, dt)
        geom_sum = geom_sum + jnp.ceil(jnp.log(u) / log1mq)
        return i + 1, num_geom, geom_sum, rng

    def cond_fn(carry):
        return jnp.any(carry[2] <= n)

    zeros = jnp.zeros(shape, dt)
    k = control_flow.while_loop(cond_fn, body_fn, (jnp.asarray(0), zeros, jnp.where(q > 0, zeros, n + 1), key))[1]
    k = jnp.maximum(k - 1, 0)
    k = jnp.where(flip, n - k, k)
    return jnp.where(jnp.isnan(p) | (n < 0), np.nan, k)


def multinomial(key, n, p, *, shape=None, dtype=None, unroll=1):
    """Multinomial(n, p) counts over the last axis of p, by sequential conditional binomials."""
    key = _check_key(key, "multinomial")
    dt = _float_dtype(dtype, "multinomial")
    p = jnp.asarray(p, dtype=dt)
    n = jnp.asarray(n, dtype=dt)
    if shape is None:
        shape = jnp.broadcast_shapes(jnp.shape(p)[:-1], jnp.shape(n))
    shape = _shape(shape)
    k = jnp.shape(p)[-1]
    p = jnp.broadcast_to(p, shape + (k,))
    remaining = jnp.broadcast_to(n, shape)
    mass = jnp.ones(shape, dt)
    counts = []
    keys = split(key, k)
    for i in range(k - 1):
        pi = jnp.clip(p[..., i] / jnp.where(mass > 0, mass, 1), 0, 1)
        c = binomial(keys[i], remaining, pi, shape, dt)
        counts.append(c)
        remaining = remaining - c
        mass = mass - p[..., i]
    counts.append(remaining)
    return jnp.stack(counts, axis=-1)


def geometric(key, p, shape=None, dtype=None):
    """Number of Bernoulli(p) trials up to the first success (support 1, 2, ...)."""
    key = _check_key(key, "geometric")
    dt = dtypes.canonicalize_dtype(dtype or dtypes.default_int_dtype())
    (p,) = jnp.promote_dtypes_inexact(p)
    p = jnp.asarray(p) if not hasattr(p, "aval") else p
    shape = jnp.shape(p) if shape is None else _shape(shape)
    u = uniform(key, shape, get_aval(p).dtype)
    log_one_minus_p = jnp.broadcast_to(lax.log1p(lax.neg(p)), shape)
    return lax.convert_element_type(lax.ceil(lax.div(lax.log(u), log_one_minus_p)), dt)


def rademacher(key, shape=(), dtype=None):
    """Random signs +-1 with equal probability."""
    key = _check_key(key, "rademacher")
    dt = dtypes.canonicalize_dtype(dtype or dtypes.default_int_dtype())
    b = jnp.astype(bernoulli(key, 0.5, _shape(shape)), dt)
    return jnp.astype(2 * b - 1, dt)


# --- continuous transforms -------------------------------------------------------------------------


def logistic(key, shape=(), dtype=None):
    """Standard logistic samples log(u / (1 - u))."""
    key = _check_key(key, "logistic")
    dt = _float_dtype(dtype, "logistic")
    x = uniform(key, _shape(shape), dt, float(dtypes.finfo(dt).eps), 1.0)
    return lax.log(lax.div(x, lax.sub(_const(x, 1), x)))


def cauchy(key, shape=(), dtype=None):
    """Standard Cauchy samples tan(pi (u - 1/2))."""
    key = _check_key(key, "cauchy")
    dt = _float_dtype(dtype, "cauchy")
    u = uniform(key, _shape(shape), dt, float(dtypes.finfo(dt).eps), 1.0)
    return lax.tan(lax.mul(_const(u, np.pi), lax.sub(u, _const(u, 0.5))))


def pareto(key, b, shape=None, dtype=None):
    """Pareto(b) samples exp(exponential / b)."""
    key = _check_key(key, "pareto")
    dt = _float_dtype(dtype, "pareto")
    b = jnp.asarray(b, dtype=dt)
    shape = jnp.shape(b) if shape is None else _shape(shape)
    return lax.exp(exponential(key, shape, dt) / b)


def rayleigh(key, scale=1.0, shape=None, dtype=None):
    """Rayleigh samples scale * sqrt(-2 log u)."""
    key = _check_key(key, "rayleigh")
    dt = _float_dtype(dtype, "rayleigh")
    scale = jnp.asarray(scale, dtype=dt)
    shape = jnp.shape(scale) if shape is None else _shape(shape)
    log_u = jnp.log(uniform(key, shape, dt))
    return lax.mul(jnp.broadcast_to(scale, shape), lax.sqrt(lax.mul(log_u, _const(log_u, -2))))


def weibull_min(key, scale, concentration, shape=(), dtype=None):
    """Weibull samples scale * (-log1p(-u))^(1/concentration)."""
    key = _check_key(key, "weibull_min")
    dt = _float_dtype(dtype, "weibull_min")
    u = uniform(key, _shape(shape), dt, 0.0, 1.0)
    return scale * (-jnp.log1p(-u)) ** (1.0 / concentration)


def lognormal(key, sigma=1.0, shape=None, dtype=None):
    """Log-normal samples exp(sigma * normal)."""
    key = _check_key(key, "lognormal")
    dt = _float_dtype(dtype, "lognormal")
    sigma = jnp.asarray(sigma, dtype=dt)
    shape = jnp.shape(sigma) if shape is None else _shape(shape)
    return jnp.exp(normal(key, shape, dt) * sigma)


def maxwell(key, shape=(), dtype=None):
    """Maxwell samples: the norm of a 3-d standard normal vector."""
    key = _check_key(key, "maxwell")
    dt = _float_dtype(dtype, "maxwell")
    n = normal(key, _shape(shape) + (3,), dt)
    return jnp.sqrt(jnp.sum(n * n, axis=-1))


def double_sided_maxwell(key, loc, scale, shape=(), dtype=None):
    """Maxwell samples with a random sign, scaled and shifted."""
    key = _check_key(key, "double_sided_maxwell")
    dt = _float_dtype(dtype, "double_sided_maxwell")
    params_shape = jnp.broadcast_shapes(jnp.shape(loc), jnp.shape(scale))
    shape = _shape(shape) or params_shape
    shape = shape + params_shape
    k1, k2 = split(key)
    return rademacher(k2, shape, dt) * maxwell(k1, shape, dt) * scale + loc


def triangular(key, left, mode, right, shape=None, dtype=None):
    """Triangular distribution samples on [left, right] with the given mode (inverse CDF)."""
    key = _check_key(key, "triangular")
    dt = _float_dtype(dtype, "triangular")
    left, mode, right = (jnp.asarray(v, dtype=dt) for v in (left, mode, right))
    shape = jnp.broadcast_shapes(jnp.shape(left), jnp.shape(mode), jnp.shape(right)) if shape is None else _shape(shape)
    fc = (mode - left) / (right - left)
    u = uniform(key, shape, dt)
    out1 = left + lax.sqrt(u * (right - left) * (mode - left))
    out2 = right - lax.sqrt((1 - u) * (right - left) * (right - mode))
    return jnp.where(u < fc, out1, out2)


def wald(key, mean, shape=None, dtype=None):
    """Wald (inverse Gaussian) samples with the given mean and unit scale."""
    key = _check_key(key, "wald")
    dt = _float_dtype(dtype, "wald")
    mean = jnp.asarray(mean, dtype=dt)
    shape = jnp.shape(mean) if shape is None else _shape(shape)
    k1, k2 = split(key, 2)
    v = normal(k1, shape, dt)
    z = uniform(k2, shape, dt)
    y = v**2
    y_sq = y**2
    mean_sq = mean**2
    sqrt_term = lax.sqrt(jnp.broadcast_to(4 * mean * y + mean_sq * y_sq, shape))
    x = mean + mean_sq * y / 2 - mean * sqrt_term / 2
    return jnp.where(z <= mean / (mean + x), x, mean_sq / x)


def orthogonal(key, n, shape=(), dtype=None, m=None):
    """Haar-random orthogonal (or unitary) n x n matrices (QR of a normal matrix, signs of R's diagonal fixed)."""
    from jaxnc._src.numpy import linalg

    key = _check_key(key, "orthogonal")
    dt = dtypes.canonicalize_dtype(dtype or dtypes.default_float_dtype())
    shape = _shape(shape)
    n = int(n)
    m = n if m is None else int(m)
    z = normal(key, (*shape, max(n, m), min(n, m)), dt)
    q, r = linalg.qr(z)
    d = jnp.diagonal(r, 0, -2, -1)
    q = q * jnp.expand_dims(d / jnp.astype(jnp.abs(d), get_aval(d).dtype), -2)
    return jnp.swapaxes(q, -1, -2) if n < m else q


def multivariate_normal(key, mean, cov, shape=None, dtype=None, method="cholesky"):
    """Samples of N(mean, cov) via a Cholesky, eigh or SVD factor of cov.

    Example:
      >>> import jaxnc.numpy as jnp, jaxnc.random as random
      >>> random.multivariate_normal(random.key(0), jnp.zeros(2), jnp.eye(2), (5,)).shape
      (5, 2)
    """
    from jaxnc._src.numpy import linalg
    from jaxnc._src.numpy.einsum import einsum

    key = _check_key(key, "multivariate_normal")
    if method not in ("svd", "eigh", "cholesky"):
        raise ValueError(f"method must be one of {{'svd', 'eigh', 'cholesky'}}, got {method!r}")
    dt = _float_dtype(dtype, "multivariate_normal")
    mean, cov = jnp.asarray(mean, dtype=dt), jnp.asarray(cov, dtype=dt)
    if jnp.ndim(mean) < 1 or jnp.ndim(cov) < 2 or jnp.shape(cov)[-2:] != (jnp.shape(mean)[-1],) * 2:
        raise ValueError(f"multivariate_normal requires mean (..., n) and cov (..., n, n), got {jnp.shape(mean)} and "
                         f"{jnp.shape(cov)}")  # fmt: skip
    if shape is None:
        shape = jnp.broadcast_shapes(jnp.shape(mean)[:-1], jnp.shape(cov)[:-2])
    else:
        shape = _shape(shape)
        _check_shape("multivariate_normal", shape, jnp.shape(mean)[:-1], jnp.shape(cov)[:-2])
    if method == "svd":
        u, s, _ = linalg.svd(cov)
        factor = u * jnp.sqrt(s[..., None, :])
    elif method == "eigh":
        w, v = linalg.eigh(cov)
        factor = v * jnp.sqrt(w[..., None, :])
    else:
        factor = linalg.cholesky(cov)
    normal_samples = normal(key, shape + jnp.shape(mean)[-1:], dt)
    return mean + einsum("...ij,...j->...i", factor, normal_samples)


def clone(key):
    """The same key (keys are immutable values here, so cloning is the identity)."""
    return key


def key_impl(key) -> str:
    """The name of the key's PRNG implementation (always threefry2x32)."""
    _check_key(key, "key_impl")
    return "threefry2x32"
