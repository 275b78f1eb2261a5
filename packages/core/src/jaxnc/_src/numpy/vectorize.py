"""jnp.vectorize: NumPy's generalized-ufunc signatures implemented with vmap."""

from __future__ import annotations

import functools
import re

from jaxnc._src import api
from jaxnc._src.numpy import lax_numpy as jnp

_DIMS = r"\w+"
_ARG = rf"\((?:{_DIMS}(?:,\s*{_DIMS})*)?\)"
_SIG = rf"^{_ARG}(?:,\s*{_ARG})*->{_ARG}(?:,\s*{_ARG})*$"


def _parse_signature(signature: str):
    if not re.match(_SIG, signature.replace(" ", "")):
        raise ValueError(f"vectorize: not a valid gufunc signature: {signature!r}")
    ins, outs = signature.replace(" ", "").split("->")

    def parse(part):
        return [tuple(d for d in a.strip("()").split(",") if d) for a in re.findall(_ARG, part)]

    return parse(ins), parse(outs)


def vectorize(pyfunc, *, excluded=frozenset(), signature=None):
    """A function mapping pyfunc over leading (broadcast) dimensions, as np.vectorize, via vmap.

    Args:
      pyfunc: the function of core-shaped arrays.
      excluded: positions or names of arguments passed through unchanged.
      signature: a gufunc signature like "(n),(n)->()"; without it every input is a scalar core.

    Returns:
      The vectorized function.

    Example:
      >>> import jaxnc.numpy as jnp
      >>> dot = jnp.vectorize(lambda a, b: jnp.sum(a * b), signature="(n),(n)->()")
      >>> dot(jnp.ones((2, 3)), jnp.ones(3)).tolist()
      [3.0, 3.0]
    """

    @functools.wraps(pyfunc)
    def wrapped(*args, **kwargs):
        fixed_kw = {k: v for k, v in kwargs.items() if k in excluded}
        kwargs = {k: v for k, v in kwargs.items() if k not in excluded}
        fixed_pos = {i: a for i, a in enumerate(args) if i in excluded}
        mapped = [jnp.asarray(a) for i, a in enumerate(args) if i not in excluded]
        kw_names = list(kwargs)
        mapped += [jnp.asarray(kwargs[k]) for k in kw_names]
        n_pos = len(mapped) - len(kw_names)

        def call(*xs):
            pos, kws = list(xs[:n_pos]), dict(zip(kw_names, xs[n_pos:], strict=True))
            full = []
            it = iter(pos)
            for i in range(len(args)):
                full.append(fixed_pos[i] if i in fixed_pos else next(it))
            return pyfunc(*full, **kws, **fixed_kw)

        if signature is None:
            cores = [()] * len(mapped)
        else:
            cores, _ = _parse_signature(signature)
            if len(cores) != len(mapped):
                raise TypeError(f"vectorize: signature {signature!r} has {len(cores)} inputs, got {len(mapped)} arrays")
        loop_shapes = []
        for x, c in zip(mapped, cores, strict=True):
            if jnp.ndim(x) < len(c):
                raise ValueError(f"vectorize: input with shape {jnp.shape(x)} has fewer dims than its core {c}")
            loop_shapes.append(jnp.shape(x)[: jnp.ndim(x) - len(c)])
        loop = jnp.broadcast_shapes(*loop_shapes)
        xs = [jnp.broadcast_to(x, loop + jnp.shape(x)[jnp.ndim(x) - len(c) :]) for x, c in zip(mapped, cores, strict=True)]
        f = call
        for _ in loop:
            f = api.vmap(f)
        return f(*xs)

    return wrapped
