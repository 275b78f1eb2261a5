"""einsum: opt_einsum chooses the contraction order, each step is one dot_general (or a reduction)."""

from __future__ import annotations

import opt_einsum

from jaxnc._src.core import get_aval
from jaxnc._src.lax import lax
from jaxnc._src.numpy import lax_numpy as jnp


def _interleaved_to_string(args):
    """einsum(op0, sublist0, op1, sublist1, ..., [out_sublist]) -> (subscripts, operands)."""
    ops, subs = list(args[0::2]), list(args[1::2])
    out = None
    if len(ops) > len(subs):
        out = ops.pop()

    def letters(sub):
        return "".join("..." if s is Ellipsis else opt_einsum.get_symbol(int(s)) for s in sub)
    spec = ",".join(letters(s) for s in subs)
    return (spec + "->" + letters(out) if out is not None else spec), ops


def _path_arg(optimize, n):
    if optimize is False or optimize is None:
        return [(0, 1)] * (n - 1) if n > 1 else [(0,)]
    if optimize is True:
        return "optimal"
    return optimize


def _diag_mask(n, nd, i, j, dt):
    shape_ = [1] * nd
    shape_[i] = shape_[j] = n
    return jnp.reshape(jnp.eye(n, dtype=dt), shape_)


def _reduce_single(x, spec: str, keep: str):
    """Take diagonals of repeated labels, then sum labels of x that are not in `keep`."""
    while True:
        dup = next((c for c in spec if spec.count(c) > 1), None)
        if dup is None:
            break
        i = spec.index(dup)
        j = spec.index(dup, i + 1)
        x = jnp.sum(jnp.multiply(x, _diag_mask(jnp.shape(x)[i], jnp.ndim(x), i, j, get_aval(x).dtype)), axis=j)
        spec = spec[:j] + spec[j + 1 :]
    drop = tuple(i for i, c in enumerate(spec) if c not in keep)
    if drop:
        x = lax.reduce_sum(x, drop)
        spec = "".join(c for i, c in enumerate(spec) if i not in drop)
    return x, spec


def _drop_broadcast_ones(x, spec, other_spec, other_shape):
    """Remove size-1 axes of x whose label has a larger size in the other operand (ellipsis broadcasting)."""
    sq = [i for i, c in enumerate(spec) if c in other_spec and jnp.shape(x)[i] == 1 and other_shape[other_spec.index(c)] != 1]
    if not sq:
        return x, spec
    return lax.squeeze(x, sq), "".join(c for i, c in enumerate(spec) if i not in sq)


def _contract_pair(a, sa, b, sb, out, precision, preferred_element_type):
    a, sa = _reduce_single(a, sa, sb + out)
    b, sb = _reduce_single(b, sb, sa + out)
    a, sa = _drop_broadcast_ones(a, sa, sb, jnp.shape(b))
    b, sb = _drop_broadcast_ones(b, sb, sa, jnp.shape(a))
    contract = [c for c in sa if c in sb and c not in out]
    batch = [c for c in sa if c in sb and c in out]
    dn = ((tuple(sa.index(c) for c in contract), tuple(sb.index(c) for c in contract)),
          (tuple(sa.index(c) for c in batch), tuple(sb.index(c) for c in batch)))  # fmt: skip
    res = lax.dot_general(a, b, dn, precision, preferred_element_type)
    spec = "".join(batch) + "".join(c for c in sa if c not in sb) + "".join(c for c in sb if c not in sa)
    return res, spec


def einsum(subscripts, /, *operands, out=None, optimize="auto", precision=None, preferred_element_type=None):
    """Einstein summation, with the contraction order chosen by opt_einsum (`optimize`).

    Args:
      subscripts: e.g. "ij,jk->ik"; ellipses broadcast. The interleaved form
        einsum(op0, sublist0, op1, sublist1, ..., [sublist_out]) is accepted too.
      *operands: the arrays.
      optimize: 'auto' (default), 'greedy', 'optimal', True ('optimal'), False (left to right), or
        an explicit opt_einsum path.
      precision: passed to each dot_general.
      preferred_element_type: accumulation/result dtype for each dot_general.

    Returns:
      The contracted array.

    Example:
      >>> import jaxnc.numpy as jnp
      >>> a = jnp.ones((2, 3)); b = jnp.ones((3, 4)); c = jnp.ones((4,))
      >>> jnp.einsum("ij,jk,k->i", a, b, c).tolist()
      [12.0, 12.0]
    """
    if out is not None:
        raise NotImplementedError("jnp.einsum: the out argument is not supported (arrays are immutable)")
    if not isinstance(subscripts, str):
        subscripts, operands = _interleaved_to_string((subscripts, *operands))
    ops = jnp.promote_dtypes(*[o if hasattr(o, "aval") else jnp.asarray(o) for o in operands])
    ops = [o if hasattr(o, "aval") else jnp.asarray(o) for o in ops]
    shapes = [jnp.shape(o) for o in ops]
    try:
        _, contractions = opt_einsum.contract_path(subscripts, *shapes, shapes=True, einsum_call=True, use_blas=True,
                                                   optimize=_path_arg(optimize, len(ops)))  # fmt: skip
    except ValueError as e:
        raise ValueError(f"jnp.einsum({subscripts!r}) with operand shapes {shapes}: {e}") from None
    for inds, _, einsum_str, _, _ in contractions:
        args = [ops.pop(i) for i in inds]
        ins, res_spec = einsum_str.split("->")
        in_specs = ins.split(",")
        if len(args) == 1:
            x, spec = _reduce_single(args[0], in_specs[0], res_spec)
        else:
            x, spec = _contract_pair(args[0], in_specs[0], args[1], in_specs[1], res_spec, precision,
                                     preferred_element_type)  # fmt: skip
        if spec != res_spec:
            x = lax.transpose(x, [spec.index(c) for c in res_spec])
        ops.append(x)
    return ops[0]


def einsum_path(subscripts, /, *operands, optimize="auto"):
    """The contraction path opt_einsum picks and its report (as `jnp.einsum_path`)."""
    if not isinstance(subscripts, str):
        subscripts, operands = _interleaved_to_string((subscripts, *operands))
    shapes = [jnp.shape(o) for o in operands]
    return opt_einsum.contract_path(subscripts, *shapes, shapes=True, optimize=_path_arg(optimize, len(shapes)))
