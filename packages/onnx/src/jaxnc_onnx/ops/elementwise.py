"""Elementwise ops: arithmetic, comparisons, logic, bitwise, math functions and activations."""

from __future__ import annotations

import functools

import jaxnc.lax as lax
import jaxnc.nn as nn
import jaxnc.numpy as jnp

from .registry import op

# One row per op: the function of (xp, x). Rows that need jaxnc (lax/nn) are in _UNARY_DEVICE.
_UNARY = {
    "Abs": lambda xp, x: xp.abs(x), "Neg": lambda xp, x: xp.negative(x), "Sqrt": lambda xp, x: xp.sqrt(x),
    "Exp": lambda xp, x: xp.exp(x), "Log": lambda xp, x: xp.log(x), "Floor": lambda xp, x: xp.floor(x),
    "Ceil": lambda xp, x: xp.ceil(x), "Round": lambda xp, x: xp.round(x), "Sign": lambda xp, x: xp.sign(x),
    "Reciprocal": lambda xp, x: xp.reciprocal(x) if x.dtype.kind == "f" else 1 / x,
    "Sin": lambda xp, x: xp.sin(x), "Cos": lambda xp, x: xp.cos(x), "Tan": lambda xp, x: xp.tan(x),
    "Asin": lambda xp, x: xp.arcsin(x), "Acos": lambda xp, x: xp.arccos(x), "Atan": lambda xp, x: xp.arctan(x),
    "Sinh": lambda xp, x: xp.sinh(x), "Cosh": lambda xp, x: xp.cosh(x), "Tanh": lambda xp, x: xp.tanh(x),
    "Asinh": lambda xp, x: xp.arcsinh(x), "Acosh": lambda xp, x: xp.arccosh(x), "Atanh": lambda xp, x: xp.arctanh(x),
    "Not": lambda xp, x: xp.logical_not(x), "BitwiseNot": lambda xp, x: xp.invert(x),
    "Identity": lambda xp, x: x, "IsNaN": lambda xp, x: xp.isnan(x),
    "Relu": lambda xp, x: xp.maximum(x, xp.zeros((), x.dtype)),
}  # fmt: skip
_UNARY_DEVICE = {
    "Erf": lax.erf, "Sigmoid": nn.sigmoid, "Softplus": nn.softplus, "Softsign": nn.soft_sign,
    "Mish": nn.mish, "HardSwish": nn.hard_swish,
}  # fmt: skip
for _name, _fn in _UNARY.items():
    op(_name, static=True)(functools.partial(lambda fn, node, x: fn(node.xp, x), _fn))
for _name, _fn in _UNARY_DEVICE.items():
    op(_name)(functools.partial(lambda fn, node, x: fn(x), _fn))


def _int_div(xp, a, b):
    # ONNX integer Div truncates toward zero; floor_divide rounds toward -inf
    q = xp.floor_divide(a, b)
    fix = (xp.remainder(a, b) != 0) & ((a < 0) != (b < 0))
    return xp.where(fix, q + 1, q)


def _pow(xp, a, b):
    # the result has the base's type (ONNX Pow), whatever the exponent's type
    if a.dtype.kind in "iu" and b.dtype.kind == "f":
        return xp.power(a.astype(b.dtype), b).astype(a.dtype)
    return xp.power(a, b.astype(a.dtype))


def _mod(node, a, b):
    xp = node.xp
    if node.attr("fmod", 0):
        return xp.fmod(a, b)
    return xp.mod(a, b)


def _bitshift(node, a, b):
    left = node.attr("direction") == "LEFT"
    return node.xp.left_shift(a, b) if left else node.xp.right_shift(a, b)


_BINARY = {
    "Add": lambda xp, a, b: xp.add(a, b), "Sub": lambda xp, a, b: xp.subtract(a, b),
    "Mul": lambda xp, a, b: xp.multiply(a, b),
    "Div": lambda xp, a, b: _int_div(xp, a, b) if a.dtype.kind in "iu" else xp.true_divide(a, b),
    "Pow": _pow,
    "Equal": lambda xp, a, b: xp.equal(a, b), "Less": lambda xp, a, b: xp.less(a, b),
    "Greater": lambda xp, a, b: xp.greater(a, b), "LessOrEqual": lambda xp, a, b: xp.less_equal(a, b),
    "GreaterOrEqual": lambda xp, a, b: xp.greater_equal(a, b),
    "And": lambda xp, a, b: xp.logical_and(a, b), "Or": lambda xp, a, b: xp.logical_or(a, b),
    "Xor": lambda xp, a, b: xp.logical_xor(a, b),
    "BitwiseAnd": lambda xp, a, b: xp.bitwise_and(a, b), "BitwiseOr": lambda xp, a, b: xp.bitwise_or(a, b),
    "BitwiseXor": lambda xp, a, b: xp.bitwise_xor(a, b),
}  # fmt: skip


def _broadcast_legacy(node, a, b):
    """Opset < 7 broadcasting: `broadcast=1` with `axis` aligns b's dims at `axis` of a."""
    if node.opset >= 7 or not node.attr("broadcast", 0) or b.ndim == a.ndim:
        return b
    axis = node.attr("axis", a.ndim - b.ndim)
    axis = axis + a.ndim if axis < 0 else axis
    return node.xp.reshape(b, b.shape + (1,) * (a.ndim - axis - b.ndim))


for _name, _fn in _BINARY.items():
    op(_name, static=True)(functools.partial(lambda fn, node, a, b: fn(node.xp, a, _broadcast_legacy(node, a, b)), _fn))
op("Mod", static=True)(_mod)
op("BitShift", static=True)(_bitshift)


def _variadic(fn):
    def impl(node, *xs):
        out = xs[0]
        for x in xs[1:]:
            out = fn(node.xp, out, x)
        return out

    return impl


op("Sum", static=True)(_variadic(lambda xp, a, b: xp.add(a, b)))
op("Max", static=True)(_variadic(lambda xp, a, b: xp.maximum(a, b)))
op("Min", static=True)(_variadic(lambda xp, a, b: xp.minimum(a, b)))


@op("Mean")
def _mean(node, *xs):
    return _variadic(lambda xp, a, b: xp.add(a, b))(node, *xs) / len(xs)


@op("Where", static=True)
def _where(node, c, a, b):
    return node.xp.where(c, a, b)


@op("IsInf", static=True)
def _isinf(node, x):
    xp = node.xp
    pos = node.attr("detect_positive", 1)
    neg = node.attr("detect_negative", 1)
    return xp.logical_and(xp.isinf(x), (x > 0) if not neg else (x < 0) if not pos else xp.isinf(x))


@op("Clip", static=True)
def _clip(node, x, lo=None, hi=None):
    xp = node.xp
    if node.opset < 11:
        lo, hi = node.attr("min", None), node.attr("max", None)
    if lo is not None:
        x = xp.maximum(x, xp.asarray(lo).astype(x.dtype))
    if hi is not None:
        x = xp.minimum(x, xp.asarray(hi).astype(x.dtype))
    return x


# Activations with attributes: one row each, (node, x) -> y on jaxnc.
_ACTIVATIONS = {
    "LeakyRelu": lambda node, x: nn.leaky_relu(x, node.attr("alpha", 0.01)),
    "Elu": lambda node, x: nn.elu(x, node.attr("alpha", 1.0)),
    "Celu": lambda node, x: nn.celu(x, node.attr("alpha", 1.0)),
    "Selu": lambda node, x: (
        node.attr("gamma", 1.05070102214813232421875)
        * jnp.where(x > 0, x, node.attr("alpha", 1.67326319217681884765625) * jnp.expm1(jnp.minimum(x, 0)))
    ),
    "ThresholdedRelu": lambda node, x: jnp.where(x > node.attr("alpha", 1.0), x, jnp.zeros_like(x)),
    "HardSigmoid": lambda node, x: jnp.clip(node.attr("alpha", 0.2) * x + node.attr("beta", 0.5), 0, 1),
    "Gelu": lambda node, x: nn.gelu(x, approximate=node.attr("approximate", "none") == "tanh"),
    "Swish": lambda node, x: x * nn.sigmoid(node.attr("alpha", 1.0) * x),
    "Shrink": lambda node, x: _shrink(x, node.attr("lambd", 0.5), node.attr("bias", 0.0)),
}
for _name, _fn in _ACTIVATIONS.items():
    op(_name)(_fn)


def _shrink(x, lambd, bias):
    zero = jnp.zeros_like(x)
    return jnp.where(
        x < -lambd, x + jnp.asarray(bias, x.dtype), jnp.where(x > lambd, x - jnp.asarray(bias, x.dtype), zero)
    )


@op("PRelu")
def _prelu(node, x, slope):
    if node.opset < 7 and slope.ndim == 1 and x.ndim > 2:
        slope = jnp.reshape(slope, (-1,) + (1,) * (x.ndim - 2))
    return jnp.where(x < 0, x * slope, x)
