"""The scalar expression IR of kernels: typed, hash-consed nodes, simplification and a NumPy evaluator.

A node is `Expr(op, dtype, args, arg)`. Elementwise ops are named after the lax primitive they
compute (`add`, `exp`, `select_n`, `convert_element_type`, ...) and carry that primitive's params in
`arg`, so the primitive's NumPy `impl` is the reference semantics of the node and no op table is
duplicated. The other ops are:

  const   arg = the value (a Python scalar of `dtype`)
  var     arg = (name, extent): a loop index in [0, extent) (`i0`.. over the output, `r0`.. reduced)
  load    arg = input number; args = (flat element index,)
  acc     the reduction accumulator, inside a reduction's epilogue
  view    arg = (slot, ShapeTracker): a lazy read of a program buffer (before kernel formation)
  valid   arg = ShapeTracker: true where the index lies inside the tracker's masks (lazy)
  vindex  arg = ShapeTracker: the flat index the tracker maps to, as `dtype` (lazy; iota)
  local   arg = name: a mutable local of a routine procedure (proc.py)

Nodes are interned, so structurally equal expressions are the same object (`is` compares them and
sharing a subexpression is CSE for free).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable

import numpy as np

from jaxnc._src import core

INDEX = np.dtype(np.int32)  # index arithmetic; kernels address at most 2**31 - 1 elements per buffer
BOOL = np.dtype(np.bool_)
LEAVES = frozenset({"const", "var", "load", "acc", "view", "valid", "vindex", "local"})

_interned: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


class Expr:
    """One node of a scalar expression DAG. Build nodes with the module functions, never directly."""

    __slots__ = ("op", "dtype", "args", "arg", "_hash", "_bounds", "__weakref__")

    def __init__(self, op: str, dtype: np.dtype, args: tuple, arg, key_hash: int) -> None:
        self.op = op
        self.dtype = dtype
        self.args = args
        self.arg = arg
        self._hash = key_hash
        self._bounds = None

    def __hash__(self) -> int:
        return self._hash

    # NB: interning makes identity equality structural equality.
    def __eq__(self, other) -> bool:
        return self is other

    def __repr__(self) -> str:
        return pp_expr(self)

    @property
    def params(self) -> dict:
        return dict(self.arg) if self.op not in LEAVES else {}


def _const_key(value, dtype: np.dtype):
    # by bits, so that -0.0 and 0.0 differ and NaN equals itself
    return np.asarray(value, dtype).tobytes()


def make(op: str, dtype, args: Iterable[Expr] = (), arg=None) -> Expr:
    """The interned node (op, dtype, args, arg)."""
    dtype = np.dtype(dtype)
    args = tuple(args)
    key_arg = _const_key(arg, dtype) if op == "const" else arg
    key = (op, dtype.str, dtype.name, args, key_arg)
    node = _interned.get(key)
    if node is None:
        node = Expr(op, dtype, args, arg, hash(key))
        _interned[key] = node
    return node


# --- leaves --------------------------------------------------------------------------------------


def const(value, dtype) -> Expr:
    dtype = np.dtype(dtype)
    return make("const", dtype, (), np.asarray(value, dtype).item())


def var(name: str, extent: int) -> Expr:
    return make("var", INDEX, (), (name, int(extent)))


def load(input_no: int, index: Expr, dtype) -> Expr:
    return make("load", dtype, (index,), int(input_no))


def acc(dtype) -> Expr:
    return make("acc", dtype)


# --- elementwise ops, with the output dtype from the primitive's shape rule ---------------------

_dtype_cache: dict = {}


def _out_dtype(op: str, dts: tuple, arg: tuple) -> np.dtype:
    key = (op, dts, arg)
    dt = _dtype_cache.get(key)
    if dt is None:
        prim = core.PRIMITIVES[op]
        avals = [core.ShapedArray((), d) for d in dts]
        dt = _dtype_cache[key] = prim.out_avals(avals, dict(arg))[0].dtype
    return dt


def apply(op: str, *args: Expr, **params) -> Expr:
    """An elementwise node computing lax primitive `op` on `args` (folded and simplified)."""
    arg = tuple(sorted(params.items()))
    dtype = _out_dtype(op, tuple(a.dtype for a in args), arg)
    return simplify_node(make(op, dtype, args, arg))


def cast(x: Expr, dtype) -> Expr:
    dtype = np.dtype(dtype)
    if x.dtype == dtype:
        return x
    return apply("convert_element_type", x, new_dtype=dtype, weak_type=False)


def where(cond: Expr, on_true: Expr, on_false: Expr) -> Expr:
    return apply("select_n", cond, on_false, on_true)


# index arithmetic (int32, non-negative values): thin names so view code reads like math
def add(a: Expr, b: Expr) -> Expr:
    return apply("add", a, b)


def mul(a: Expr, b: Expr) -> Expr:
    return apply("mul", a, b)


def div(a: Expr, b: Expr) -> Expr:
    return apply("div", a, b)


def rem(a: Expr, b: Expr) -> Expr:
    return apply("rem", a, b)


def iconst(v: int) -> Expr:
    return const(v, INDEX)


def logical_and(a: Expr, b: Expr) -> Expr:
    return apply("and", a, b)


# --- traversal -----------------------------------------------------------------------------------


def toposort(roots: Iterable[Expr]) -> list[Expr]:
    """Every node reachable from `roots`, each after its arguments."""
    order: list[Expr] = []
    seen: set[int] = set()
    stack = [(r, False) for r in roots]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((a, False) for a in reversed(node.args) if id(a) not in seen)
    return order


def rewrite(root: Expr, fn: Callable[[Expr, tuple], Expr | None], memo: dict | None = None) -> Expr:
    """Rebuild `root` bottom-up; `fn(node, new_args)` returns a replacement or None to keep the op."""
    memo = {} if memo is None else memo
    for node in toposort([root]):
        if node in memo:
            continue
        new_args = tuple(memo[a] for a in node.args)
        out = fn(node, new_args)
        if out is None:
            if all(n is o for n, o in zip(new_args, node.args, strict=True)):
                out = node
            elif node.op in LEAVES:
                out = make(node.op, node.dtype, new_args, node.arg)
            else:
                out = simplify_node(make(node.op, node.dtype, new_args, node.arg))
        memo[node] = out
    return memo[root]


def leaves(roots: Iterable[Expr], op: str) -> list[Expr]:
    return [n for n in toposort(roots) if n.op == op]


def uses_var(root: Expr, name: str) -> bool:
    return any(n.op == "var" and n.arg[0] == name for n in toposort([root]))


# --- simplification: folding, identities and range analysis over index arithmetic --------------


def bounds(x: Expr) -> tuple[int, int] | None:
    """Inclusive integer bounds of an index expression, or None when unknown."""
    if x._bounds is not None:
        return x._bounds or None
    b = _bounds(x)
    x._bounds = b if b is not None else ()
    return b


def _bounds(x: Expr):
    if x.dtype.kind not in "iub":
        return None
    if x.op == "const":
        return (int(x.arg), int(x.arg))
    if x.op == "var":
        return (0, max(x.arg[1] - 1, 0))
    bs = [bounds(a) for a in x.args]
    if x.op in ("add", "mul", "sub") and all(bs):
        (a0, a1), (b0, b1) = bs
        if x.op == "add":
            return (a0 + b0, a1 + b1)
        if x.op == "sub":
            return (a0 - b1, a1 - b0)
        prods = [a0 * b0, a0 * b1, a1 * b0, a1 * b1]
        return (min(prods), max(prods))
    if x.op == "div" and all(bs) and bs[0][0] >= 0 and bs[1][0] > 0:
        return (bs[0][0] // bs[1][1], bs[0][1] // bs[1][0])
    if x.op == "rem" and all(bs) and bs[0][0] >= 0 and bs[1][0] > 0:
        return (0, min(bs[0][1], bs[1][1] - 1))
    if x.op == "select_n" and all(bs[1:]):
        return (min(b[0] for b in bs[1:]), max(b[1] for b in bs[1:]))
    if x.op in ("lt", "le", "gt", "ge", "eq", "ne", "and", "or") and x.dtype == BOOL:
        return (0, 1)
    return None


def _is_const(x: Expr, value=None) -> bool:
    return x.op == "const" and (value is None or x.arg == value)


def _fold(node: Expr) -> Expr:
    from jaxnc._src.lowering.reference import eval_op

    with np.errstate(all="ignore"):
        value = eval_op(node, [np.asarray(a.arg, a.dtype) for a in node.args])
    return const(np.asarray(value).reshape(()).item(), node.dtype)


def simplify_node(node: Expr) -> Expr:
    """Local rewrites of one node whose arguments are already simple."""
    op, args = node.op, node.args
    if op in LEAVES:
        return node
    if args and all(a.op == "const" for a in args):
        return _fold(node)
    integer = node.dtype.kind in "iu"
    if op == "select_n" and len(args) == 3:
        c = args[0]
        if c.op == "const":
            return args[2] if c.arg else args[1]
        if args[1] is args[2]:
            return args[1]
        b = bounds(c)
        if b is not None and b[0] == b[1]:
            return args[2] if b[0] else args[1]
    if op == "convert_element_type" and args[0].dtype == node.dtype:
        return args[0]
    if not integer:
        if op == "and" and node.dtype == BOOL:
            a, b = args
            if _is_const(a):
                return b if a.arg else a
            if _is_const(b):
                return a if b.arg else b
        if op in ("lt", "ge", "le", "gt") and node.dtype == BOOL:
            return _decide_compare(node)
        return node
    a, b = (args + (None, None))[:2]
    if op == "add":
        if _is_const(a, 0):
            return b
        if _is_const(b, 0):
            return a
        if a.op == "const":  # constants on the right
            return apply("add", b, a)
        if b.op == "const" and a.op == "add" and a.args[1].op == "const":
            return apply("add", a.args[0], apply("add", a.args[1], b))
    if op == "mul":
        if _is_const(a, 1):
            return b
        if _is_const(b, 1):
            return a
        if _is_const(a, 0) or _is_const(b, 0):
            return const(0, node.dtype)
        if a.op == "const":
            return apply("mul", b, a)
        if b.op == "const" and a.op == "mul" and a.args[1].op == "const":
            return apply("mul", a.args[0], apply("mul", a.args[1], b))
        if b.op == "const" and a.op == "add" and a.args[1].op == "const":  # (x + c) * k = x*k + c*k
            return apply("add", apply("mul", a.args[0], b), apply("mul", a.args[1], b))
    if op in ("div", "rem") and b.op == "const" and b.arg > 0:
        ba = bounds(a)
        if b.arg == 1:
            return a if op == "div" else const(0, node.dtype)
        if ba is not None and ba[0] >= 0 and ba[1] < b.arg:
            return const(0, node.dtype) if op == "div" else a
        if ba is not None and ba[0] >= 0:
            split = _split_multiple(a, b.arg)
            if split is not None:  # a = q*k + r with 0 <= r < k
                q, r = split
                return q if op == "div" else r
    return node


def _split_multiple(a: Expr, k: int):
    """Write a = q*k + r with r's bounds inside [0, k), when a is a sum with such a multiple."""
    if a.op != "add":
        return None
    terms = _sum_terms(a)
    multiples, rest = [], []
    for t in terms:
        if t.op == "mul" and t.args[1].op == "const" and t.args[1].arg % k == 0:
            multiples.append(apply("mul", t.args[0], iconst(t.args[1].arg // k)))
        elif t.op == "const" and t.arg % k == 0:
            multiples.append(iconst(t.arg // k))
        else:
            rest.append(t)
    if not multiples:
        return None
    r = _sum(rest)
    br = bounds(r)
    if br is None or br[0] < 0 or br[1] >= k:
        return None
    return _sum(multiples), r


def _sum_terms(a: Expr) -> list[Expr]:
    if a.op == "add" and a.dtype == INDEX:
        return _sum_terms(a.args[0]) + _sum_terms(a.args[1])
    return [a]


def _sum(terms: list[Expr]) -> Expr:
    out = iconst(0)
    for t in terms:
        out = add(out, t)
    return out


def _decide_compare(node: Expr) -> Expr:
    a, b = node.args
    ba, bb = bounds(a), bounds(b)
    if ba is None or bb is None:
        return node
    op = node.op
    always = {"lt": ba[1] < bb[0], "le": ba[1] <= bb[0], "gt": ba[0] > bb[1], "ge": ba[0] >= bb[1]}[op]
    never = {"lt": ba[0] >= bb[1], "le": ba[0] > bb[1], "gt": ba[1] <= bb[0], "ge": ba[1] < bb[0]}[op]
    if always:
        return const(True, BOOL)
    if never:
        return const(False, BOOL)
    return node


def affine(x: Expr, name: str) -> tuple[int, Expr] | None:
    """Write index expression x as `coef * var(name) + rest` with `rest` free of the var, or None."""
    if x.op == "var":
        return (1, iconst(0)) if x.arg[0] == name else (0, x)
    if not uses_var(x, name):
        return (0, x)
    if x.op == "add":
        a, b = affine(x.args[0], name), affine(x.args[1], name)
        if a is None or b is None:
            return None
        return a[0] + b[0], add(a[1], b[1])
    if x.op == "mul" and x.args[1].op == "const":
        a = affine(x.args[0], name)
        if a is None:
            return None
        k = x.args[1].arg
        return a[0] * k, mul(a[1], x.args[1])
    return None


# --- printing ------------------------------------------------------------------------------------

_SHORT = {"convert_element_type": "cast", "select_n": "select"}


def pp_expr(root: Expr, names: dict | None = None) -> str:
    """A compact one-line form with shared subexpressions named `%k` (used in debug dumps)."""
    order = toposort([root])
    uses: dict[Expr, int] = {}
    for n in order:
        for a in n.args:
            uses[a] = uses.get(a, 0) + 1
    names = {} if names is None else names
    lets: list[str] = []

    def show(n: Expr) -> str:
        if n in names:
            return names[n]
        if n.op == "const":
            s = f"{n.arg!r}" if n.dtype in (INDEX, BOOL) else f"{n.arg!r}:{n.dtype.name}"
        elif n.op == "var":
            s = n.arg[0]
        elif n.op == "acc":
            s = "acc"
        elif n.op == "local":
            s = n.arg
        elif n.op == "load":
            s = f"in{n.arg}[{show(n.args[0])}]"
        elif n.op == "view":
            s = f"buf{n.arg[0]}{n.arg[1]}"
        elif n.op in ("valid", "vindex"):
            s = f"{n.op}{n.arg}"
        else:
            params = {k: (v.name if isinstance(v, np.dtype) else v) for k, v in n.params.items() if k != "weak_type"}
            extra = "".join(f",{k}={v}" for k, v in params.items())
            s = f"{_SHORT.get(n.op, n.op)}({', '.join(show(a) for a in n.args)}{extra})"
        return s

    for n in order:
        if uses.get(n, 0) > 1 and n.op not in ("const", "var") and n is not root:
            name = f"%{len(names)}"
            lets.append(f"{name}={show(n)}")
            names[n] = name
    body = show(root)
    return "; ".join([*lets, body]) if lets else body
