"""The transformations users call: grad, vjp, jvp, linearize, vmap, jacobians, make_jaxpr, eval_shape."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from jaxnc._src import core, dtypes
from jaxnc._src.array import as_arrays, device_put_numpy
from jaxnc._src.core import ShapeDtypeStruct, get_aval
from jaxnc._src.interpreters import ad, batching
from jaxnc._src.interpreters import partial_eval as pe
from jaxnc._src.tree_util import tree_flatten, tree_map, tree_structure, tree_unflatten


def _argnums_partial(fun: Callable, argnums, args: tuple):
    """`fun` of only the arguments at `argnums` (the others fixed), and those arguments."""
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for i in nums:
        if not -len(args) <= i < len(args):
            raise TypeError(f"argnums {argnums} out of range for a function called with {len(args)} positional arguments")
    nums = tuple(i % len(args) for i in nums)

    def f_partial(*dyn):
        full = list(args)
        for i, v in zip(nums, dyn, strict=True):
            full[i] = v
        return fun(*full)

    return f_partial, tuple(args[i] for i in nums)


def _flat_fun(fun: Callable, in_tree, has_aux: bool = False):
    """A flat version of `fun`; its output structure (and aux) land in the returned box."""
    box: dict = {}

    def flat(*leaves):
        out = fun(*tree_unflatten(in_tree, leaves))
        if has_aux:
            if not (isinstance(out, (tuple, list)) and len(out) == 2):
                raise TypeError("has_aux=True requires the function to return a (output, aux) pair, got "
                                f"{type(out).__name__}")
            out, aux = out
            aux_leaves, aux_tree = tree_flatten(aux)
            box["aux_tree"] = aux_tree
            box["n_aux"] = len(aux_leaves)
            out_leaves, out_tree = tree_flatten(out)
            box["out_tree"] = out_tree
            return [*out_leaves, *aux_leaves]
        out_leaves, out_tree = tree_flatten(out)
        box["out_tree"] = out_tree
        return out_leaves

    return flat, box


def _split_aux(outs, box, has_aux):
    if not has_aux:
        return outs, None
    n = len(outs) - box["n_aux"]
    return outs[:n], tree_unflatten(box["aux_tree"], outs[n:])


# --- forward mode -----------------------------------------------------------------------------------


def _tangent_aval(t) -> core.ShapedArray:
    """A tangent's aval; float0 (the tangent type of int/bool primals) is no array dtype, so checked first."""
    if getattr(t, "dtype", None) == dtypes.float0:
        return core.ShapedArray(np.shape(t), dtypes.float0)
    return get_aval(t)


def jvp(fun: Callable, primals, tangents, has_aux: bool = False):
    """(fun(*primals), J·tangents), as `jax.jvp`.

    Example:
      >>> import jaxnc, jaxnc.numpy as jnp
      >>> y, t = jaxnc.jvp(jnp.sin, (0.0,), (2.0,))
      >>> float(y), float(t)
      (0.0, 2.0)
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("primal and tangent arguments to jax.jvp must be tuples or lists; found "
                        f"{type(primals).__name__} and {type(tangents).__name__}.")
    p_flat, p_tree = tree_flatten(tuple(primals))
    t_flat, t_tree = tree_flatten(tuple(tangents))
    if p_tree != t_tree:
        raise TypeError(f"primal and tangent arguments to jax.jvp must have the same tree structure; primals have "
                        f"tree structure {p_tree} whereas tangents have tree structure {t_tree}.")
    for p, t in zip(p_flat, t_flat, strict=True):
        pa, ta = get_aval(p), _tangent_aval(t)
        expected = pa.to_tangent_aval()
        if pa.shape != ta.shape:
            raise ValueError(f"jvp called with different primal and tangent shapes; got primal shape {pa.shape} and "
                             f"tangent shape {ta.shape}")
        if expected.dtype != ta.dtype and not (dtypes.is_inexact(pa.dtype) and ta.weak_type):
            raise TypeError(f"primal and tangent arguments to jax.jvp do not match; dtypes must be equal, or in case "
                            f"of int/bool primal dtype the tangent dtype must be float0. Got primal dtype "
                            f"{pa.dtype.name} and so expected tangent dtype {expected.dtype.name}, but got tangent "
                            f"dtype {ta.dtype.name} instead.")
    flat, box = _flat_fun(fun, p_tree, has_aux)
    t_flat = [core.Zero(get_aval(p).to_tangent_aval()) if _tangent_aval(t).dtype == dtypes.float0 else t
              for p, t in zip(p_flat, t_flat, strict=True)]  # fmt: skip
    out_p, out_t = ad.jvp_flat(flat, p_flat, t_flat)
    out_p, out_t = as_arrays(out_p), as_arrays(out_t)
    out_p, aux = _split_aux(out_p, box, has_aux)
    out_t = out_t[: len(out_p)]
    out_tree = box["out_tree"]
    res = (tree_unflatten(out_tree, out_p), tree_unflatten(out_tree, out_t))
    return (*res, aux) if has_aux else res


def linearize(fun: Callable, *primals, has_aux: bool = False):
    """(fun(*primals), f_jvp) where f_jvp evaluates the linearized function, as `jax.linearize`."""
    p_flat, p_tree = tree_flatten(primals)
    flat, box = _flat_fun(fun, p_tree, has_aux)
    out_p, jaxpr, consts, out_avals = ad.linearize_flat(flat, p_flat)
    out_p = as_arrays(out_p)
    out_p, aux = _split_aux(out_p, box, has_aux)
    out_tree = box["out_tree"]
    n_out = len(out_p)

    def f_jvp(*tangents):
        t_flat, t_tree = tree_flatten(tangents)
        if t_tree != p_tree:
            raise TypeError(f"linearized function called on tangent values inconsistent with the original primal "
                            f"values: expected structure {p_tree}, got {t_tree}")
        outs = as_arrays(ad.with_float0_outputs(core.eval_jaxpr(jaxpr, consts, *t_flat), out_avals))
        return tree_unflatten(out_tree, outs[:n_out])

    out = tree_unflatten(out_tree, out_p)
    return (out, f_jvp, aux) if has_aux else (out, f_jvp)


# --- reverse mode -----------------------------------------------------------------------------------


def vjp(fun: Callable, *primals, has_aux: bool = False):
    """(fun(*primals), f_vjp) where f_vjp maps an output cotangent to input cotangents, as `jax.vjp`.

    Example:
      >>> import jaxnc, jaxnc.numpy as jnp
      >>> y, f_vjp = jaxnc.vjp(lambda x: x ** 2, 3.0)
      >>> float(f_vjp(1.0)[0])
      6.0
    """
    p_flat, p_tree = tree_flatten(primals)
    flat, box = _flat_fun(fun, p_tree, has_aux)
    out_flat, f_vjp_flat, _ = ad.vjp_flat(flat, p_flat)
    out_flat = as_arrays(out_flat)
    out_p, aux = _split_aux(out_flat, box, has_aux)
    out_tree = box["out_tree"]
    out_avals = [get_aval(o) for o in out_p]
    n_aux = len(out_flat) - len(out_p)

    def f_vjp(ct):
        ct_flat, ct_tree = tree_flatten(ct)
        if ct_tree != out_tree:
            raise ValueError(f"unexpected tree structure of argument to vjp function: got {ct_tree}, but expected to "
                             f"match {out_tree}")
        for c, a in zip(ct_flat, out_avals, strict=True):
            ca = _tangent_aval(c)
            if ca.shape != a.shape:
                raise ValueError(f"unexpected JAX type (e.g. shape/dtype) for argument to vjp function: got "
                                 f"{ca.str_short()}, but expected {a.str_short()} because the corresponding output "
                                 f"of the function had that shape")
            if a.to_tangent_aval().dtype == dtypes.float0 and ca.dtype != dtypes.float0:
                raise TypeError(f"Type of cotangent input to vjp pullback function ({ca.str_short()}) is not the "
                                f"expected tangent type ({a.to_tangent_aval().str_short()}) of corresponding primal "
                                f"output with dtype {a.dtype.name}.")
        cts = [*ct_flat, *[core.Zero(get_aval(o).to_tangent_aval()) for o in out_flat[len(out_p):]]] if n_aux else ct_flat
        cts_in = as_arrays(f_vjp_flat(*cts))
        return tree_unflatten(p_tree, cts_in)

    out = tree_unflatten(out_tree, out_p)
    return (out, f_vjp, aux) if has_aux else (out, f_vjp)


def _check_scalar_output(out) -> None:
    aval = get_aval(out)
    if aval.shape != ():
        raise TypeError(f"Gradient only defined for scalar-output functions. Output had shape: {aval.shape}.")
    if not dtypes.is_inexact(aval.dtype):
        raise TypeError(f"grad requires real- or complex-valued outputs (output dtype that is a sub-dtype of "
                        f"np.inexact), but got {aval.dtype.name}. For holomorphic differentiation, pass "
                        "holomorphic=True. For differentiation of non-holomorphic functions involving complex "
                        "outputs, use jax.vjp directly.")


def _check_input_dtype(x, allow_int: bool, holomorphic: bool) -> None:
    dt = get_aval(x).dtype
    if holomorphic and not dtypes.is_complex(dt):
        raise TypeError(f"grad with holomorphic=True requires inputs with complex dtype, but got {dt.name}.")
    if not allow_int and not dtypes.is_inexact(dt):
        raise TypeError(f"grad requires real- or complex-valued inputs (input dtype that is a sub-dtype of "
                        f"np.inexact), but got {dt.name}. If you want to use Boolean- or integer-valued inputs, "
                        "use vjp or set allow_int to True.")


def _vjp_of_argnums(fun, argnums, args, kwargs, has_aux, allow_int, holomorphic):
    """vjp of `fun` w.r.t. args[argnums] after checking their dtypes: (out, f_vjp, aux or None)."""
    f = functools.partial(fun, **kwargs) if kwargs else fun
    f_partial, dyn_args = _argnums_partial(f, argnums, args)
    for leaf in tree_flatten(dyn_args)[0]:
        _check_input_dtype(leaf, allow_int, holomorphic)
    if has_aux:
        return vjp(f_partial, *dyn_args, has_aux=True)
    return (*vjp(f_partial, *dyn_args), None)


def value_and_grad(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False, holomorphic: bool = False,
                   allow_int: bool = False, reduce_axes=()) -> Callable:  # fmt: skip
    """A function returning (fun(*args), gradient w.r.t. args[argnums]), as `jax.value_and_grad`.

    Example:
      >>> import jaxnc, jaxnc.numpy as jnp
      >>> v, g = jaxnc.value_and_grad(lambda x: jnp.sum(x ** 2))(jnp.array([1.0, 2.0]))
      >>> float(v), g.tolist()
      (5.0, [2.0, 4.0])
    """

    @functools.wraps(fun, updated=())
    def value_and_grad_f(*args, **kwargs):
        ans, f_vjp, aux = _vjp_of_argnums(fun, argnums, args, kwargs, has_aux, allow_int, holomorphic)
        _check_scalar_output(ans)
        aval = get_aval(ans)
        one = device_put_numpy(np.ones((), aval.dtype), None, aval.weak_type)  # JAX's seed keeps the weak type
        g = f_vjp(one)
        g = g[0] if isinstance(argnums, int) else tuple(g)
        return ((ans, aux), g) if has_aux else (ans, g)

    return value_and_grad_f


def grad(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False, holomorphic: bool = False,
         allow_int: bool = False, reduce_axes=()) -> Callable:  # fmt: skip
    """The gradient of a scalar function w.r.t. args[argnums], as `jax.grad`.

    Example:
      >>> import jaxnc, jaxnc.numpy as jnp
      >>> round(float(jaxnc.grad(jnp.tanh)(0.5)), 6)
      0.786448
    """
    vg = value_and_grad(fun, argnums, has_aux, holomorphic, allow_int)

    @functools.wraps(fun, updated=())
    def grad_f(*args, **kwargs):
        if has_aux:
            (_, aux), g = vg(*args, **kwargs)
            return g, aux
        return vg(*args, **kwargs)[1]

    return grad_f


def linear_transpose(fun: Callable, *primals, reduce_axes=()) -> Callable:
    """The transpose of a linear function at the given example inputs, as `jax.linear_transpose`."""
    p_flat, p_tree = tree_flatten(primals)
    in_avals = [get_aval(p) for p in p_flat]
    for a in in_avals:
        if not dtypes.is_inexact(a.dtype):
            raise TypeError(f"linear_transpose only supports [float or complex] -> [float or complex], got {a.dtype}")
    flat, box = _flat_fun(fun, p_tree)
    jaxpr, consts = pe.trace_to_jaxpr(flat, [a.strip_weak_type() for a in in_avals])
    out_tree = box["out_tree"]
    out_avals = jaxpr.out_avals

    def transposed(*cts):
        ct_flat, ct_tree = tree_flatten(cts[0] if len(cts) == 1 else cts)
        if ct_tree != out_tree:
            raise TypeError(f"cotangent tree does not match function output, expected {out_tree} but got {ct_tree}")
        for c, a in zip(ct_flat, out_avals, strict=True):
            if get_aval(c).shape != a.shape:
                raise TypeError(f"cotangent shape {get_aval(c).shape} does not match function output shape {a.shape}")
        args = [core.UndefinedPrimal(a) for a in in_avals]
        cts_in = ad.backward_pass(jaxpr, consts, args, ct_flat)
        return tree_unflatten(p_tree, [ad.instantiate(c, a) for c, a in zip(cts_in, in_avals, strict=True)])

    return transposed


# --- vmap ------------------------------------------------------------------------------------------------


def _flatten_axes(name: str, treedef, axes, *, tupled_args: bool) -> list:
    """Broadcast a pytree prefix of axes (ints/None) to the leaves of `treedef`."""
    proxy = object()
    try:
        dummy = tree_unflatten(treedef, [proxy] * treedef.num_leaves)
        out = []

        def collect(ax, sub):
            n = tree_structure(sub).num_leaves
            out.extend([ax] * n)

        if isinstance(axes, (int, type(None))):
            return [axes] * treedef.num_leaves
        prefix_leaves, prefix_tree = tree_flatten(axes, is_leaf=lambda x: x is None)
        subtrees = prefix_tree.flatten_up_to(dummy)
        for ax, sub in zip(prefix_leaves, subtrees, strict=True):
            collect(ax, sub)
        return out
    except (ValueError, TypeError) as e:
        raise ValueError(f"{name} specification must be a tree prefix of the corresponding value, got specification "
                         f"{axes} for value tree {treedef}.") from e


def vmap(fun: Callable, in_axes: Any = 0, out_axes: Any = 0, axis_name=None, axis_size: int | None = None,
         spmd_axis_name=None) -> Callable:  # fmt: skip
    """Vectorize `fun` over a mapped axis of its arguments, as `jax.vmap`.

    Example:
      >>> import jaxnc, jaxnc.numpy as jnp
      >>> jaxnc.vmap(lambda x, y: x @ y, in_axes=(0, None))(jnp.ones((3, 2)), jnp.ones(2)).tolist()
      [2.0, 2.0, 2.0]
    """
    if isinstance(in_axes, list):
        in_axes = tuple(in_axes) if all(isinstance(a, (int, type(None))) for a in in_axes) else in_axes
    if not isinstance(in_axes, (int, tuple, type(None), dict)) and in_axes is not None:
        raise TypeError("vmap in_axes must be an int, None, or a tuple of entries corresponding to the positional "
                        f"arguments passed to the function, but got {in_axes}.")

    @functools.wraps(fun, updated=())
    def vmap_f(*args, **kwargs):
        if isinstance(in_axes, tuple) and len(in_axes) != len(args):
            raise ValueError(f"vmap in_axes must be an int, None, or a tuple of entries corresponding to the "
                             f"positional arguments passed to the function, but got len(in_axes)={len(in_axes)}, "
                             f"len(args)={len(args)}")
        args_flat, in_tree = tree_flatten((args, kwargs))
        axes_args = _flatten_axes("vmap in_axes", tree_structure(args), in_axes, tupled_args=True)
        axes = axes_args + [0] * (len(args_flat) - len(axes_args))
        dims = []
        sizes = {}
        for i, (x, ax) in enumerate(zip(args_flat, axes, strict=True)):
            if ax is None:
                dims.append(None)
                continue
            shape = np.shape(x) if not hasattr(x, "aval") else x.aval.shape
            if not shape:
                raise ValueError(f"vmap was requested to map its argument along axis {ax}, which implies that its rank "
                                 f"should be at least {ax + 1 if ax >= 0 else -ax}, but is only 0 (its shape is ())")
            if not -len(shape) <= ax < len(shape):
                raise ValueError(f"vmap was requested to map its argument along axis {ax}, which implies that its rank "
                                 f"should be at least {ax + 1 if ax >= 0 else -ax}, but is only {len(shape)} (its "
                                 f"shape is {shape})")
            ax %= len(shape)
            dims.append(ax)
            sizes.setdefault(shape[ax], []).append(f"axis {ax} of argument {i} of type {get_aval(x).str_short()}")
        if len(sizes) > 1:
            lines = "\n".join(f"  * most axes ({len(v)} of them) had size {k}, e.g. {v[0]};" for k, v in sizes.items())
            raise ValueError(f"vmap got inconsistent sizes for array axes to be mapped:\n{lines}")
        size = next(iter(sizes), axis_size)
        if size is None:
            raise ValueError("vmap must have at least one non-None value in in_axes (or axis_size given)")
        if axis_size is not None and sizes and axis_size != size:
            raise ValueError(f"vmap got axis_size={axis_size} but the mapped axes have size {size}")
        flat, box = _flat_fun(lambda a, k: fun(*a, **k), in_tree)

        def out_dims():
            return _flatten_axes("vmap out_axes", box["out_tree"], out_axes, tupled_args=False)

        outs = as_arrays(batching.vmap_flat(flat, dims, out_dims, size, args_flat, axis_name))
        return tree_unflatten(box["out_tree"], outs)

    return vmap_f


# --- jacobians -------------------------------------------------------------------------------------------


def _std_basis(leaves):
    """An identity basis over the flattened leaves: per leaf an array (total, *leaf.shape)."""
    from jaxnc._src.numpy import lax_numpy as jnp

    sizes = [get_aval(x).size for x in leaves]
    total = sum(sizes)
    dt = dtypes.result_type(*[get_aval(x).dtype for x in leaves]) if leaves else dtypes.float32
    eye = jnp.eye(total, dtype=dt)
    out, start = [], 0
    for x, n in zip(leaves, sizes, strict=True):
        a = get_aval(x)
        out.append(jnp.reshape(eye[:, start : start + n], (total, *a.shape)).astype(a.dtype))
        start += n
    return out, sizes


def _split_jac(mat, axis_sizes, shapes, where: str):
    """Split a jacobian along the input/output axis into per-leaf blocks of the right shape."""
    from jaxnc._src.numpy import lax_numpy as jnp

    out, start = [], 0
    for n, shape in zip(axis_sizes, shapes, strict=True):
        if where == "last":
            block = mat[..., start : start + n]
            out.append(jnp.reshape(block, (*get_aval(mat).shape[:-1], *shape)))
        else:
            block = mat[start : start + n]
            out.append(jnp.reshape(block, (*shape, *get_aval(mat).shape[1:])))
        start += n
    return out


def jacfwd(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False, holomorphic: bool = False) -> Callable:
    """The Jacobian by forward mode (vmapped jvp over an input basis), as `jax.jacfwd`."""

    def jacfun(*args, **kwargs):
        f = functools.partial(fun, **kwargs) if kwargs else fun
        f_partial, dyn_args = _argnums_partial(f, argnums, args)
        for leaf in tree_flatten(dyn_args)[0]:
            dt = get_aval(leaf).dtype
            if not dtypes.is_inexact(dt):
                raise TypeError(f"jacfwd requires real-valued inputs (input dtype that is a sub-dtype of np.floating), "
                                f"but got {dt.name}. For holomorphic differentiation, pass holomorphic=True.")
        in_flat, in_tree = tree_flatten(dyn_args)
        basis, in_sizes = _std_basis(in_flat)

        def pushfwd(*tangents):
            return jvp(f_partial, dyn_args, tree_unflatten(in_tree, tangents), has_aux=has_aux)

        results = vmap(pushfwd, out_axes=(None, -1, None) if has_aux else (None, -1))(*basis)
        y, jac = results[0], results[1]
        y_flat, y_tree = tree_flatten(y)
        jac_flat = tree_flatten(jac)[0]
        in_shapes = [get_aval(x).shape for x in in_flat]
        per_out = [tree_unflatten(in_tree, _split_jac(j, in_sizes, in_shapes, "last")) for j in jac_flat]
        if isinstance(argnums, int):
            per_out = [p[0] for p in per_out]
        out = tree_unflatten(y_tree, per_out)
        return (out, results[2]) if has_aux else out

    return jacfun


def jacrev(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False, holomorphic: bool = False,
           allow_int: bool = False) -> Callable:  # fmt: skip
    """The Jacobian by reverse mode (vmapped vjp over an output basis), as `jax.jacrev`."""

    def jacfun(*args, **kwargs):
        y, pullback, aux = _vjp_of_argnums(fun, argnums, args, kwargs, has_aux, allow_int, holomorphic)
        y_flat, y_tree = tree_flatten(y)
        for o in y_flat:
            dt = get_aval(o).dtype
            if not (dtypes.is_complex(dt) if holomorphic else dtypes.is_float(dt)):
                raise TypeError(f"jacrev requires {'complex' if holomorphic else 'real'}-valued outputs (output dtype "
                                f"that is a sub-dtype of np.{'complexfloating' if holomorphic else 'floating'}), but "
                                f"got {dt.name}. For differentiation of functions with integer or non-holomorphic "
                                "complex outputs, use jax.vjp directly.")
        basis, out_sizes = _std_basis(y_flat)
        jac = vmap(lambda *cts: pullback(tree_unflatten(y_tree, cts)))(*basis)
        jac_flat, in_tree = tree_flatten(jac)
        out_shapes = [get_aval(o).shape for o in y_flat]
        # jac_flat[i] has shape (total_out, *in_i.shape): split rows per output leaf
        per_in = [_split_jac(j, out_sizes, out_shapes, "first") for j in jac_flat]
        per_out_per_in = [[per_in[i][o] for i in range(len(jac_flat))] for o in range(len(y_flat))]
        trees = [tree_unflatten(in_tree, row) for row in per_out_per_in]
        if isinstance(argnums, int):
            trees = [t[0] for t in trees]
        out = tree_unflatten(y_tree, trees)
        return (out, aux) if has_aux else out

    return jacfun


jacobian = jacrev


def hessian(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False, holomorphic: bool = False) -> Callable:
    """The Hessian (jacfwd of jacrev), as `jax.hessian`."""
    return jacfwd(jacrev(fun, argnums, has_aux=has_aux, holomorphic=holomorphic), argnums, has_aux=has_aux,
                  holomorphic=holomorphic)  # fmt: skip


# --- staging --------------------------------------------------------------------------------------------


def make_jaxpr(fun: Callable, static_argnums: int | Sequence[int] = (), return_shape: bool = False) -> Callable:
    """A function returning the ClosedJaxpr of `fun` at the given arguments, as `jax.make_jaxpr`.

    Example:
      >>> import jaxnc, jaxnc.numpy as jnp
      >>> print(jaxnc.make_jaxpr(lambda x: jnp.sin(x) * 2.0)(1.0))
      { lambda ; a:f32[]. let
          b:f32[] = sin a
          c:f32[] = mul b 2.0:f32[]
        in (c,) }
    """
    static_argnums = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)

    @functools.wraps(fun, updated=())
    def make_jaxpr_f(*args, **kwargs):
        statics = {i: args[i] for i in static_argnums}
        dyn = tuple(a for i, a in enumerate(args) if i not in statics)

        def f(*d):
            it = iter(d)
            return fun(*[statics[i] if i in statics else next(it) for i in range(len(args))], **kwargs)

        flat_args, in_tree = tree_flatten(dyn)
        flat, box = _flat_fun(f, in_tree)
        jaxpr, consts = pe.trace_to_jaxpr(flat, [get_aval(x) for x in flat_args])
        closed = core.ClosedJaxpr(jaxpr, consts)
        if return_shape:
            shapes = [ShapeDtypeStruct(a.shape, a.dtype, a.weak_type) for a in jaxpr.out_avals]
            return closed, tree_unflatten(box["out_tree"], shapes)
        return closed

    return make_jaxpr_f


def eval_shape(fun: Callable, *args, **kwargs):
    """The output shapes/dtypes of `fun` without computing it (ShapeDtypeStructs), as `jax.eval_shape`."""
    flat_args, in_tree = tree_flatten((args, kwargs))
    flat, box = _flat_fun(lambda a, k: fun(*a, **k), in_tree)
    jaxpr, _ = pe.trace_to_jaxpr(flat, [get_aval(x) for x in flat_args])
    shapes = [ShapeDtypeStruct(a.shape, a.dtype, a.weak_type) for a in jaxpr.out_avals]
    return tree_unflatten(box["out_tree"], shapes)


def block_until_ready(tree):
    """Wait for every array in `tree`; returns it."""
    return tree_map(lambda x: x.block_until_ready() if hasattr(x, "block_until_ready") else x, tree)


# --- small context helpers JAX programs use -------------------------------------------------------------


@contextlib.contextmanager
def disable_jit(disable: bool = True):
    """`with jax.disable_jit():` jitted functions run their Python eagerly (for print-debugging)."""
    from jaxnc._src.config import config

    prev = config.jax_disable_jit
    config.update("jax_disable_jit", bool(disable))
    try:
        yield
    finally:
        config.update("jax_disable_jit", prev)


@contextlib.contextmanager
def named_scope(name: str):
    """Accepted as `jax.named_scope`: JAX uses the name only in compiled-program metadata, which jaxnc lacks."""
    if not isinstance(name, str):
        raise TypeError(f"named_scope name argument must be a string, got {type(name).__name__}")
    yield


def named_call(fun: Callable, *, name: str | None = None) -> Callable:
    """As `jax.named_call`: the same function (names only label JAX's compiled programs)."""
    return fun


def typeof(x) -> core.ShapedArray:
    """The abstract value (shape, dtype, weak type) of an array, tracer or scalar, as `jax.typeof`."""
    return get_aval(x)
