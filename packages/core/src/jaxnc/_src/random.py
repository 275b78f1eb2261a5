"""jaxnc.random: JAX's counter-based threefry PRNG (partitionable variant, as JAX's default)."""

from __future__ import annotations

import math

import numpy as np

from jaxnc._src import core, dtypes
from jaxnc._src.core import get_aval
from jaxnc._src.lax import lax
from jaxnc._src.numpy import lax_numpy as jnp


def _check_key(key, name: str):
    key = jnp.asarray(key)
    a = get_aval(key)
    if a.dtype != dtypes.uint32 or not a.shape or a.shape[-1] != 2:
        raise TypeError(f"{name} expects a PRNG key (uint32 array with trailing dimension 2, from PRNGKey/key), "
                        f"got {a.str_short()}")
    if a.ndim != 1:
        raise ValueError(f"{name} accepts a single key, but was given a key array of shape {a.shape[:-1]} != (). Use "
                         "jax.vmap for batching.")
    return key


def PRNGKey(seed) -> object:
    """A raw uint32[2] key from an integer seed: [seed >> 32, seed & 0xFFFFFFFF]."""
    if isinstance(seed, core.Tracer) or hasattr(seed, "aval"):
        s = lax.convert_element_type(seed, dtypes.uint32) if get_aval(seed).dtype != dtypes.uint32 else seed
        return jnp.stack([lax.full((), 0, dtypes.uint32), s])
    seed = int(seed)
    if not -(2**63) <= seed < 2**64:
        raise OverflowError(f"PRNGKey seed {seed} does not fit in 64 bits")
    seed %= 2**64
    hi = (seed >> 32) if dtypes.x64_enabled() or seed >= 2**32 else 0
    if not dtypes.x64_enabled() and seed >= 2**63:
        hi = 0xFFFFFFFF
    return jnp.asarray(np.array([hi & 0xFFFFFFFF, seed & 0xFFFFFFFF], dtype=np.uint32))


key = PRNGKey


def key_data(keys):
    return keys


def wrap_key_data(key_bits_array, *, impl=None):
    return jnp.asarray(key_bits_array)


def _threefry(k, x0, x1):
    k0 = lax.index_in_dim(k, 0, keepdims=False)
    k1 = lax.index_in_dim(k, 1, keepdims=False)
    shape = get_aval(x0).shape
    k0 = lax.broadcast_in_dim(k0, shape, ())
    k1 = lax.broadcast_in_dim(k1, shape, ())
    return lax.threefry2x32_p.bind(k0, k1, x0, x1)


def _iota_2x32(shape):
    """The row-major linear index over `shape` as (hi, lo) uint32 words."""
    n = math.prod(shape)
    if n >= 2**32:
        hi = np.arange(n, dtype=np.uint64).reshape(shape) >> np.uint64(32)
        lo = np.arange(n, dtype=np.uint64).reshape(shape) & np.uint64(0xFFFFFFFF)
        return jnp.asarray(hi.astype(np.uint32)), jnp.asarray(lo.astype(np.uint32))
    lo = lax.iota(dtypes.uint32, n)
    return lax.full(shape, 0, dtypes.uint32), lax.reshape(lo, shape)


def split(key, num: int = 2):
    """`num` new keys (shape (num, 2))."""
    key = _check_key(key, "split")
    hi, lo = _iota_2x32((int(num),))
    b1, b2 = _threefry(key, hi, lo)
    return jnp.stack([b1, b2], axis=1)


def fold_in(key, data):
    """A new key from `key` and an integer."""
    key = _check_key(key, "fold_in")
    if isinstance(data, int) and not 0 <= data < 2**32:
        raise OverflowError(f"fold_in data must fit in uint32 (0 <= data < 2**32), got the Python integer {data}")
    d = jnp.asarray(np.uint32(data)) if isinstance(data, int) else lax.convert_element_type(jnp.asarray(data), dtypes.uint32)
    b1, b2 = _threefry(key, lax.full((), 0, dtypes.uint32), d)
    return jnp.stack([b1, b2])


def bits(key, shape=(), dtype=None):
    """Random unsigned integers (uint32 by default)."""
    key = _check_key(key, "bits")
    dt = dtypes.canonicalize_dtype(dtype or dtypes.uint32)
    return _random_bits(key, dt.itemsize * 8, tuple(shape))


def _random_bits(key, bit_width: int, shape):
    hi, lo = _iota_2x32(shape)
    b1, b2 = _threefry(key, hi, lo)
    if bit_width == 64:
        return lax.bitwise_or(lax.shift_left(lax.convert_element_type(b1, dtypes.uint64), np.uint64(32)),
                              lax.convert_element_type(b2, dtypes.uint64))  # fmt: skip
    out = lax.bitwise_xor(b1, b2)
    if bit_width == 32:
        return out
    return lax.convert_element_type(out, np.dtype(f"uint{bit_width}"))


def _float_dtype(dtype, name, complex_ok=False):
    dt = dtypes.canonicalize_dtype(dtype if dtype is not None else dtypes.default_float_dtype())
    if not (dtypes.is_float(dt) or (complex_ok and dtypes.is_complex(dt))):
        raise ValueError(f"dtype argument to `{name}` must be a float dtype, got {dt}")
    return dt


def uniform(key, shape=(), dtype=None, minval=0.0, maxval=1.0):
    """Uniform floats in [minval, maxval): random mantissa bits of `dtype` itself (16 bits for float16)."""
    key = _check_key(key, "uniform")
    dt = _float_dtype(dtype, "uniform")
    shape = tuple(shape)
    info = dtypes.finfo(dt)
    nbits, nmant = info.bits, info.nmant
    rng_bits = 8 if nmant < 8 else nbits  # bfloat16 draws 8 random bits, as JAX
    udt = np.dtype(f"uint{nbits}")
    rbits = lax.convert_element_type(_random_bits(key, rng_bits, shape), udt)
    one_bits = np.array(1.0, dt).view(udt)
    float_bits = lax.bitwise_or(lax.shift_right_logical(rbits, lax.full(shape, rng_bits - nmant, udt)),
                                lax.full(shape, one_bits, udt))
    floats = lax.sub(lax.bitcast_convert_type(float_bits, dt), lax.full(shape, 1.0, dt))
    lo = jnp.broadcast_to(lax.convert_element_type(jnp.asarray(minval), dt), shape)
    hi = jnp.broadcast_to(lax.convert_element_type(jnp.asarray(maxval), dt), shape)
    return lax.max(lo, lax.add(lax.mul(floats, lax.sub(hi, lo)), lo))


def normal(key, shape=(), dtype=None):
    """Standard normal floats: sqrt(2) * erfinv(u), u uniform on (-1, 1); complex: (re + i im) / sqrt(2)."""
    key = _check_key(key, "normal")
    dt = _float_dtype(dtype, "normal", complex_ok=True)
    if dtypes.is_complex(dt):
        real_dt = np.array(0, dt).real.dtype
        k_re, k_im = split(key)
        re, im = (lax.convert_element_type(normal(k, shape, real_dt), dt) for k in (k_re, k_im))
        return lax.div(lax.add(re, lax.mul(im, lax.full_like(im, 1j))), lax.full_like(re, np.sqrt(2)))
    lo = np.nextafter(np.array(-1.0, dt), np.array(0.0, dt))
    u = uniform(key, shape, dt, lo, 1.0)
    return lax.mul(lax.full_like(u, np.sqrt(2)), lax.erf_inv(u))


def truncated_normal(key, lower, upper, shape=(), dtype=None):
    """Normal samples truncated to [lower, upper] (inverse-CDF method, as JAX)."""
    dt = _float_dtype(dtype, "truncated_normal")
    sqrt2 = np.array(np.sqrt(2), dt)
    lower = jnp.asarray(lower, dtype=dt)
    upper = jnp.asarray(upper, dtype=dt)
    a = lax.erf(lower / sqrt2)
    b = lax.erf(upper / sqrt2)
    u = uniform(key, shape, dt, a, b)
    out = sqrt2 * lax.erf_inv(u)
    return jnp.clip(out, lax.nextafter(lower, jnp.full_like(lower, np.inf)), lax.nextafter(upper, jnp.full_like(upper, -np.inf)))


def bernoulli(key, p=0.5, shape=None):
    p = jnp.asarray(p)
    shape = get_aval(p).shape if shape is None else tuple(shape)
    return uniform(key, shape, lax._aval(p).dtype if dtypes.is_float(get_aval(p).dtype) else None) < p


def randint(key, shape, minval, maxval, dtype=None):
    """Uniform integers in [minval, maxval) (JAX's two-word construction)."""
    key = _check_key(key, "randint")
    dt = dtypes.canonicalize_dtype(dtype or dtypes.default_int_dtype())
    if not dtypes.is_integer(dt):
        raise TypeError(f"randint only accepts integer dtypes, got {dt}")
    shape = tuple(shape)
    nbits = dt.itemsize * 8
    udt = np.dtype(f"uint{nbits}")
    info = np.iinfo(dt)
    if nbits < 32:  # narrow dtypes sample in int32 (less bias) and cast, as JAX does
        lo = jnp.clip(jnp.asarray(minval).astype(dtypes.int32), int(info.min), int(info.max))
        hi = jnp.clip(jnp.asarray(maxval).astype(dtypes.int32), int(info.min), int(info.max) + 1)
        return randint(key, shape, lo, hi, dtypes.int32).astype(dt)
    maxval_out_of_range = jnp.broadcast_to(jnp.greater(jnp.asarray(maxval), info.max), shape)
    minval = jnp.broadcast_to(jnp.clip(jnp.asarray(minval), info.min, info.max).astype(dt), shape)
    maxval = jnp.broadcast_to(jnp.clip(jnp.asarray(maxval), info.min, info.max).astype(dt), shape)
    k1, k2 = split(key)
    higher = _random_bits(k1, nbits, shape)
    lower = _random_bits(k2, nbits, shape)
    span = lax.convert_element_type(lax.sub(maxval, minval), udt)
    span = lax.select(lax.le(maxval, minval), lax.full_like(span, 1), span)
    # a maxval above the dtype's range makes its maximum reachable (a span of 2**nbits wraps to 0: no remainder)
    span = lax.select(lax.bitwise_and(maxval_out_of_range, lax.gt(maxval, minval)), lax.add(span, lax.full_like(span, 1)),
                      span)
    multiplier = lax.rem(lax.full_like(span, np.array(2 ** (nbits // 2), np.uint64).astype(udt)), span)
    multiplier = lax.rem(lax.mul(multiplier, multiplier), span)
    offset = lax.add(lax.mul(lax.rem(higher, span), multiplier), lax.rem(lower, span))
    offset = lax.rem(offset, span)
    return lax.add(minval, lax.convert_element_type(offset, dt))


def gumbel(key, shape=(), dtype=None):
    dt = _float_dtype(dtype, "gumbel")
    u = uniform(key, shape, dt, np.finfo(dt).tiny if dt != dtypes.bfloat16 else 1e-38, 1.0)
    return -jnp.log(-jnp.log(u))


def categorical(key, logits, axis=-1, shape=None):
    """Samples from a categorical distribution given unnormalized log-probabilities (Gumbel-max)."""
    logits = jnp.asarray(logits)
    axis = axis % jnp.ndim(logits)
    batch_shape = tuple(d for i, d in enumerate(jnp.shape(logits)) if i != axis)
    shape = batch_shape if shape is None else tuple(shape)
    sample_shape = shape[: len(shape) - len(batch_shape)]
    full_shape = (*sample_shape, *jnp.shape(logits))
    g = gumbel(key, full_shape, get_aval(logits).dtype)
    return jnp.argmax(g + logits, axis=axis + len(sample_shape))


def exponential(key, shape=(), dtype=None):
    dt = _float_dtype(dtype, "exponential")
    u = uniform(key, shape, dt)
    return -jnp.log1p(-u)


def laplace(key, shape=(), dtype=None):
    dt = _float_dtype(dtype, "laplace")
    u = uniform(key, shape, dt, -1.0 + np.finfo(dt).epsneg, 1.0)
    return lax.mul(lax.sign(u), lax.log1p(lax.neg(lax.abs(u))))
