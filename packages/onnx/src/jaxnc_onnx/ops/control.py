"""Control flow (If, Loop, Scan) through lax control flow when traced, Python when values are concrete;
and the sequence/optional ops, with ONNX sequences as Python lists."""

from __future__ import annotations

import numpy as np

import jaxnc.lax as lax
import jaxnc.numpy as jnp

from ..errors import OnnxError
from ..interpreter import concrete
from .registry import op


@op("If")
def _if(node, cond):
    then_branch, else_branch = node.attr("then_branch"), node.attr("else_branch")
    c = concrete(cond)
    if c is not None:
        return tuple(node.run_graph(then_branch if bool(c.reshape(-1)[0]) else else_branch, []))

    def branch(graph, which):
        def run():
            try:
                return tuple(node.dev(v) for v in node.run_graph(graph, []))
            except OnnxError as e:
                raise node.fail(
                    f"the condition is traced, so both branches are traced (lax.cond) and the {which} branch "
                    f"failed; make the condition's inputs static (closed-over NumPy values) to run one branch: {e}"
                ) from e

        return run

    pred = jnp.reshape(cond, ()).astype(bool)
    return tuple(lax.cond(pred, branch(then_branch, "then"), branch(else_branch, "else")))


@op("Loop")
def _loop(node, trip_count=None, cond=None, *carried):
    body = node.attr("body")
    n_carried = len(carried)
    m, c = concrete(trip_count), concrete(cond)
    if (trip_count is None or m is not None) and (cond is None or c is not None):
        limit = None if m is None else int(m.reshape(()))
        keep_going = True if c is None else bool(c.reshape(()))
        carried, scans, i = list(carried), [], 0
        while keep_going and (limit is None or i < limit):
            outs = node.run_graph(body, [np.asarray(i, np.int64), np.asarray(keep_going), *carried])
            carried = outs[1 : 1 + n_carried]
            scans.append(outs[1 + n_carried :])
            i += 1
            if cond is not None:
                nxt = concrete(outs[0])
                if nxt is None:
                    raise node.fail("the loop condition became a traced value; its trip count must be static under jit")
                keep_going = bool(nxt.reshape(()))
        n_scan = len(body.output) - 1 - n_carried
        stacked = [node.xp.stack([s[k] for s in scans]) if scans else np.zeros((0,), np.float32) for k in range(n_scan)]
        return tuple(carried) + tuple(stacked)
    if len(body.output) - 1 - n_carried:
        raise node.fail("scan outputs need a static trip count and condition (data-dependent length under jit)")

    def cond_fun(state):
        i, keep, _ = state
        ok = keep
        if trip_count is not None:
            ok = jnp.logical_and(ok, i < jnp.reshape(node.dev(trip_count), ()))
        return ok

    def body_fun(state):
        i, keep, vals = state
        outs = node.run_graph(body, [i, keep, *vals])
        return i + 1, jnp.reshape(node.dev(outs[0]), ()).astype(bool), tuple(node.dev(v) for v in outs[1:])

    start = (jnp.asarray(0, jnp.int32), jnp.asarray(True) if cond is None else jnp.reshape(node.dev(cond), ()).astype(bool),
             tuple(node.dev(v) for v in carried))  # fmt: skip
    return tuple(lax.while_loop(cond_fun, body_fun, start)[2])


@op("Scan")
def _scan(node, *args):
    n_scan = node.attr("num_scan_inputs")
    if node.opset < 9:
        # Scan-8: a leading batch axis on states and inputs, and sequence_lens first; one scan per batch row
        lens, args = args[0], args[1:]
        states, xs = list(args[: len(args) - n_scan]), list(args[len(args) - n_scan :])
        if lens is not None and len(set(node.ints(lens, "sequence_lens"))) > 1:
            raise node.fail("Scan-8 with unequal sequence_lens is not supported")
        dirs = node.attr("directions", None) or [0] * n_scan
        rows = [_scan_rows(node, [s[b] for s in states], [x[b] for x in xs], [0] * n_scan, dirs)
                for b in range(xs[0].shape[0])]  # fmt: skip
        return tuple(jnp.stack([r[k] for r in rows]) for k in range(len(rows[0])))
    states, xs = list(args[: len(args) - n_scan]), list(args[len(args) - n_scan :])
    return _scan_rows(node, states, xs, node.attr("scan_input_axes", None) or [0] * n_scan,
                      node.attr("scan_input_directions", None) or [0] * n_scan)  # fmt: skip


def _scan_rows(node, states, xs, in_axes, in_dirs):
    """Scan-9+ semantics: states carried, scan inputs sliced along their axes, as one lax.scan."""
    body = node.attr("body")
    xs = [jnp.moveaxis(node.dev(x), a, 0) for x, a in zip(xs, in_axes, strict=True)]
    xs = [jnp.flip(x, 0) if d else x for x, d in zip(xs, in_dirs, strict=True)]
    n_out = len(body.output) - len(states)
    out_axes = node.attr("scan_output_axes", None) or [0] * n_out
    out_dirs = node.attr("scan_output_directions", None) or [0] * n_out

    def step(carry, x):
        outs = node.run_graph(body, [*carry, *x])
        return tuple(node.dev(v) for v in outs[: len(states)]), tuple(node.dev(v) for v in outs[len(states) :])

    final, ys = lax.scan(step, tuple(node.dev(s) for s in states), tuple(xs))
    ys = [jnp.flip(y, 0) if d else y for y, d in zip(ys, out_dirs, strict=True)]
    ys = [jnp.moveaxis(y, 0, a) for y, a in zip(ys, out_axes, strict=True)]
    return tuple(final) + tuple(ys)


# ---- sequences (Python lists) and optionals


@op("SequenceConstruct")
def _sequence_construct(node, *xs):
    return list(xs)


@op("SequenceEmpty")
def _sequence_empty(node):
    return []


def _position(node, seq, pos, default):
    p = default if pos is None else node.ints(pos, "position")[0]
    return p + len(seq) if p < 0 else p


@op("SequenceAt")
def _sequence_at(node, seq, pos):
    return seq[_position(node, seq, pos, 0)]


@op("SequenceInsert")
def _sequence_insert(node, seq, x, pos=None):
    out = list(seq)
    out.insert(_position(node, seq, pos, len(seq)), x)
    return out


@op("SequenceErase")
def _sequence_erase(node, seq, pos=None):
    out = list(seq)
    del out[_position(node, seq, pos, -1)]
    return out


@op("SequenceLength")
def _sequence_length(node, seq):
    return np.asarray(len(seq), np.int64)


@op("SplitToSequence")
def _split_to_sequence(node, x, split=None):
    axis = node.attr("axis", 0)
    axis = axis + x.ndim if axis < 0 else axis
    if split is None:
        parts = jnp.split(x, x.shape[axis], axis=axis)
        return [jnp.squeeze(p, axis) for p in parts] if not node.attr("keepdims", 1) else list(parts)
    sizes = node.ints(split, "split")
    if np.ndim(node.host(split, "split")) == 0:
        n = sizes[0]
        sizes = [n] * (x.shape[axis] // n) + ([x.shape[axis] % n] if x.shape[axis] % n else [])
    return list(jnp.split(x, np.cumsum(sizes)[:-1].tolist(), axis=axis))


@op("ConcatFromSequence")
def _concat_from_sequence(node, seq):
    axis = node.attr("axis")
    if node.attr("new_axis", 0):
        return jnp.stack([node.dev(s) for s in seq], axis=axis)
    return jnp.concatenate([node.dev(s) for s in seq], axis=axis)


@op("SequenceMap")
def _sequence_map(node, seq, *extra):
    body = node.attr("body")
    outs = []
    for i in range(len(seq)):
        args = [seq[i]] + [e[i] if isinstance(e, list) else e for e in extra]
        outs.append(node.run_graph(body, args))
    return tuple([o[k] for o in outs] for k in range(len(body.output)))


@op("Optional")
def _optional(node, x=None):
    return x


@op("OptionalHasElement")
def _optional_has_element(node, x=None):
    return np.asarray(x is not None)


@op("OptionalGetElement")
def _optional_get_element(node, x):
    if x is None:
        raise node.fail("the optional is empty")
    return x
