"""Reductions, arg reductions, TopK, MatMul/Gemm, the Softmax family."""

from __future__ import annotations

import numpy as np

import jaxnc.lax as lax
import jaxnc.nn as nn
import jaxnc.numpy as jnp

from .registry import op
from .tensor import _axis

# One row per op: (reduce(xp, x, axes, keepdims), value on an empty reduction or None for "sum of empty").
_REDUCE = {
    "ReduceSum": (lambda xp, x, a, k: xp.sum(x, axis=a, keepdims=k), 0),
    "ReduceMean": (lambda xp, x, a, k: xp.mean(x, axis=a, keepdims=k), np.nan),
    "ReduceMax": (lambda xp, x, a, k: xp.max(x, axis=a, keepdims=k), -np.inf),
    "ReduceMin": (lambda xp, x, a, k: xp.min(x, axis=a, keepdims=k), np.inf),
    "ReduceProd": (lambda xp, x, a, k: xp.prod(x, axis=a, keepdims=k), 1),
    "ReduceL1": (lambda xp, x, a, k: xp.sum(xp.abs(x), axis=a, keepdims=k), 0),
    "ReduceL2": (lambda xp, x, a, k: xp.sqrt(xp.sum(x * x, axis=a, keepdims=k)).astype(x.dtype), 0),
    "ReduceSumSquare": (lambda xp, x, a, k: xp.sum(x * x, axis=a, keepdims=k), 0),
    "ReduceLogSum": (lambda xp, x, a, k: xp.log(xp.sum(x, axis=a, keepdims=k)), -np.inf),
    "ReduceLogSumExp": (lambda xp, x, a, k: _logsumexp(xp, x, a, k), -np.inf),
}


def _logsumexp(xp, x, axes, keepdims):
    m = xp.max(x, axis=axes, keepdims=True)
    m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    out = xp.log(xp.sum(xp.exp(x - m), axis=axes, keepdims=True)) + m
    return out if keepdims else xp.squeeze(out, axis=axes)


def _reduction(name, fn, empty):
    # opset where `axes` moved from attribute to input: 13 for ReduceSum, 18 for the others
    moved = 13 if name == "ReduceSum" else 18

    def impl(node, x, axes=None):
        if node.opset < moved:
            axes = node.attr("axes", None)
        else:
            axes = None if axes is None else node.ints(axes, "axes")
        keepdims = bool(node.attr("keepdims", 1))
        if not axes:
            if node.attr("noop_with_empty_axes", 0):
                return x
            axes = list(range(x.ndim))
        axes = tuple(sorted(_axis(node, a, x.ndim) for a in axes))
        if any(x.shape[a] == 0 for a in axes):
            shape = tuple(1 if i in axes else n for i, n in enumerate(x.shape) if keepdims or i not in axes)
            fill = empty
            if x.dtype.kind == "b":
                fill = fill > 0
            elif x.dtype.kind in "iu" and not np.isfinite(fill):
                info = np.iinfo(x.dtype)
                fill = info.min if fill < 0 else info.max
            return node.xp.full(shape, fill, dtype=x.dtype)
        return fn(node.xp, x, axes, keepdims)

    return impl


for _name, (_fn, _empty) in _REDUCE.items():
    op(_name, static=True)(_reduction(_name, _fn, _empty))


def _arg_reduce(largest: bool):
    def impl(node, x):
        xp = node.xp
        axis = _axis(node, node.attr("axis", 0), x.ndim)
        keepdims = node.attr("keepdims", 1)
        fn = xp.argmax if largest else xp.argmin
        if node.attr("select_last_index", 0):
            idx = x.shape[axis] - 1 - fn(xp.flip(x, axis), axis=axis)
        else:
            idx = fn(x, axis=axis)
        idx = idx.astype(np.int64) if xp is np else idx
        return xp.expand_dims(idx, axis) if keepdims else idx

    return impl


op("ArgMax", static=True)(_arg_reduce(True))
op("ArgMin", static=True)(_arg_reduce(False))


@op("TopK")
def _top_k(node, x, k=None):
    k = node.attr("k") if node.opset < 10 else node.ints(k, "k")[0]
    axis = _axis(node, node.attr("axis", -1), x.ndim)
    largest = node.attr("largest", 1)
    xt = jnp.moveaxis(x, axis, -1)
    if largest:
        vals, idx = lax.top_k(xt, k)
    else:
        # smallest first with ties broken by lower index: a stable ascending sort
        iota = lax.broadcasted_iota(jnp.int32, xt.shape, xt.ndim - 1)
        vals, idx = lax.sort((xt, iota), dimension=xt.ndim - 1, num_keys=1)
        vals, idx = vals[..., :k], idx[..., :k]
    return jnp.moveaxis(vals, -1, axis), jnp.moveaxis(idx, -1, axis)


@op("MatMul", static=True)
def _matmul(node, a, b):
    return node.xp.matmul(a, b)


@op("Gemm")
def _gemm(node, a, b, c=None):
    if node.attr("transA", 0):
        a = jnp.swapaxes(a, 0, 1)
    if node.attr("transB", 0):
        b = jnp.swapaxes(b, 0, 1)
    y = node.attr("alpha", 1.0) * jnp.matmul(a, b) if node.attr("alpha", 1.0) != 1.0 else jnp.matmul(a, b)
    if c is not None:
        beta = node.attr("beta", 1.0)
        y = y + (beta * c if beta != 1.0 else c)
    return y.astype(a.dtype)


def _softmax_family(fn):
    def impl(node, x):
        if node.opset < 13:
            # before opset 13: coerce to 2-D at `axis` (default 1) and normalize over the flattened tail
            axis = _axis(node, node.attr("axis", 1), x.ndim)
            flat = jnp.reshape(x, (int(np.prod(x.shape[:axis])), -1))
            return jnp.reshape(fn(flat, -1), x.shape)
        return fn(x, _axis(node, node.attr("axis", -1), x.ndim))

    return impl


def _hardmax(x, axis):
    return nn.one_hot(jnp.argmax(x, axis=axis), x.shape[axis], axis=axis, dtype=x.dtype)


op("Softmax")(_softmax_family(lambda x, a: nn.softmax(x, axis=a)))
op("LogSoftmax")(_softmax_family(lambda x, a: nn.log_softmax(x, axis=a)))
op("Hardmax")(_softmax_family(_hardmax))


@op("SoftmaxCrossEntropyLoss")
def _softmax_cross_entropy(node, scores, labels, weights=None):
    reduction = node.attr("reduction", "mean")
    ignore = node.attr("ignore_index", None)
    logp = nn.log_softmax(scores, axis=1)
    labels = node.dev(labels)
    safe = labels if ignore is None else jnp.where(labels == ignore, 0, labels)
    loss = -jnp.take_along_axis(logp, safe[:, None], axis=1)[:, 0]
    w = None if weights is None else jnp.take(weights, safe)
    if ignore is not None:
        w = jnp.where(labels == ignore, 0.0, 1.0 if w is None else w).astype(loss.dtype)
    if w is not None:
        loss = loss * w
    if reduction == "sum":
        loss = jnp.sum(loss)
    elif reduction == "mean":
        loss = jnp.mean(loss) if w is None else jnp.sum(loss) / jnp.sum(w)
    elif reduction != "none":
        raise node.fail(f"unknown reduction {reduction!r} (expected none, sum or mean)")
    return loss, logp
