"""Kernel -> WGSL compute shaders: elementwise, reductions (per thread or per workgroup), tiled matmul.

Every strategy binds the kernel's inputs as `in0..`, the output as `out`, and reads an element of
input k through `ldk(index)`, so the expression renderer never sees storage layouts. Byte types
(bool, int8, uint8) are stored four to a u32 word; a thread writes whole words.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from jaxnc._src.lowering import ir
from jaxnc._src.lowering.kernel import Kernel
from jaxnc_webgpu.expr import ExprRenderer
from jaxnc_webgpu.wgsl import BOOL, F16, I8, Helpers, literal, per_word, reg, storage

WG = 256  # threads per workgroup of the elementwise and reduction kernels
GROUP_REDUCE_MIN = 256  # reductions at least this long use a workgroup per output when outputs are few
FEW_OUTPUTS = 8192
SPLIT_GROUPS = 2048  # a split reduction aims at this many workgroups in its first pass (fills an H100 twice)
SPLIT_CHUNK = 16 * WG  # ... each reducing at least this many elements (16 per thread)


@dataclasses.dataclass(frozen=True)
class Shader:
    code: str
    grid: tuple[int, int, int]
    strategy: str
    final: Shader | None = None  # a second pass reading the kernel's inputs and the first pass's output
    scratch: int = 0  # bytes of the buffer the first pass writes and the final pass reads


def render_kernel(kernel: Kernel, limits: dict, windows: dict | None = None, window_bytes: int = 0,
                  tiles: tuple | None = None) -> Shader:  # fmt: skip
    """Pick a strategy for `kernel` and render it. `windows` maps a binding ("in0", .., "out", "scratch":
    a split reduction's partials) to the number of windows of `window_bytes` it is bound as (default 1);
    `tiles` are the matmul tiles to try, in order (default `TILES`)."""
    max_groups = limits.get("max-compute-workgroups-per-dimension", 65535)
    layout = _Windows(windows or {}, window_bytes)
    red = kernel.reduce
    if red is None:
        return _elementwise(kernel, max_groups, layout)
    tile = _matmul_tile(kernel, limits, tiles)
    if tile is not None:
        return _matmul(kernel, tile, max_groups, layout)
    few_or_contiguous = kernel.size < FEW_OUTPUTS or _contiguous_in(kernel.body, f"r{len(red.shape) - 1}")
    if red.size >= GROUP_REDUCE_MIN and few_or_contiguous and per_word(kernel.out_dtype) == 1 and red.dtype != BOOL:
        split = _split(kernel, limits)
        if split > 1:
            return _split_reduce(kernel, split, max_groups, layout)
        return _group_reduce(kernel, max_groups, layout)
    return _serial_reduce(kernel, max_groups, layout)


def _split(kernel: Kernel, limits: dict) -> int:
    """Workgroups per output of a two-pass reduction (1: one pass), for few outputs over long axes."""
    red = kernel.reduce
    if per_word(red.dtype) != 1 or len(kernel.in_dtypes) + 2 > limits.get("max-storage-buffers-per-shader-stage", 8):
        return 1
    return max(1, min(-(-SPLIT_GROUPS // kernel.size), -(-red.size // SPLIT_CHUNK)))


# --- shared pieces ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Windows:
    """How many windows of `nbytes` each binding is bound as (a binding absent from `count`: one)."""

    count: dict
    nbytes: int

    def of(self, role: str) -> int:
        return self.count.get(role, 1)


class _Module:
    """Bindings, loaders and helpers of one shader. Binding `out` has the windows of role `out_role`."""

    def __init__(self, kernel: Kernel, windows: _Windows, out_role: str = "out") -> None:
        self.kernel = kernel
        self.windows = windows
        self.roles = {"out": out_role, "partials": "scratch"}
        self.h = Helpers()

    def _count(self, name: str) -> int:
        return self.windows.of(self.roles.get(name, name))

    def at(self, name: str, index: str) -> str:
        """Element `index` of binding `name` (an expression)."""
        return f"{name}[{index}]" if self._count(name) == 1 else f"{name}_at({index})"

    def put(self, index: str, value: str) -> str:
        """A statement storing `value` at element `index` of `out`."""
        return f"out[{index}] = {value};" if self._count("out") == 1 else f"out_put({index}, {value});"

    def load(self, node: ir.Expr, index: str) -> str:
        return f"ld{node.arg}({index})"

    def renderer(self, variables: dict) -> ExprRenderer:
        return ExprRenderer(self.h, self.load, variables)

    def _binding(self, n: int, name: str, dtype, written: bool) -> tuple[list[str], int]:
        """Declarations of binding `name` from binding number `n` (windows: `name_0..` and an accessor)."""
        elem, access = _elem(dtype), "read_write" if written else "read"
        count = self._count(name)
        if count == 1:
            return [f"@group(0) @binding({n}) var<storage, {access}> {name}: array<{elem}>;"], n + 1
        lines = [f"@group(0) @binding({n + w}) var<storage, {access}> {name}_{w}: array<{elem}>;" for w in range(count)]
        per = self.windows.nbytes // (2 if elem == "f16" else 8 if elem[1:] == "64" else 4)
        pick = f"let w = i / {per}; let j = i - w * {per};"
        if written:
            cases = " ".join(f"if (w == {w}) {{ {name}_{w}[j] = v; return; }}" for w in range(count - 1))
            lines.append(f"fn {name}_put(i: i32, v: {elem}) {{ {pick} {cases} {name}_{count - 1}[j] = v; }}")
        else:
            cases = " ".join(f"if (w == {w}) {{ return {name}_{w}[j]; }}" for w in range(count - 1))
            lines.append(f"fn {name}_at(i: i32) -> {elem} {{ {pick} {cases} return {name}_{count - 1}[j]; }}")
        return lines, n + count

    def header(self, out_dtype=None, partials=None) -> str:
        """Bindings: the inputs, then `partials` (read, of that dtype) when given, then `out`."""
        k = self.kernel
        out_dtype = k.out_dtype if out_dtype is None else out_dtype
        dts = {*k.in_dtypes, out_dtype} | {n.dtype for n in ir.toposort(k.roots())}
        lines = ["enable f16;"] if F16 in dts else []
        n = 0
        for i, dt in enumerate(k.in_dtypes):
            decl, n = self._binding(n, f"in{i}", dt, False)
            lines += [*decl, _loader(i, dt, self.at)]
        if partials is not None:
            decl, n = self._binding(n, "partials", partials, False)
            lines += decl
        decl, n = self._binding(n, "out", out_dtype, True)
        lines += decl
        return "\n".join(lines)

    def source(self, body: str, out_dtype=None, partials=None) -> str:
        return f"{self.header(out_dtype, partials)}\n{self.h.source()}\n{body}\n"


def _elem(dtype) -> str:
    s = storage(dtype)
    return "u32" if s == "u8x4" else s


def _loader(i: int, dtype, at) -> str:
    t = reg(dtype)
    if storage(dtype) != "u8x4":
        return f"fn ld{i}(i: i32) -> {t} {{ return {at(f'in{i}', 'i')}; }}"
    byte = f"(({at(f'in{i}', 'i >> 2u')} >> (u32(i & 3) * 8u)) & 0xffu)"
    if dtype == BOOL:
        value = f"{byte} != 0u"
    elif dtype == I8:
        value = f"(bitcast<i32>({byte}) << 24u) >> 24u"
    else:
        value = byte
    return f"fn ld{i}(i: i32) -> {t} {{ return {value}; }}"


def _byte(value: str, dtype) -> str:
    """The low byte of a register value of a byte-stored type, as u32."""
    if dtype == BOOL:
        return f"select(0u, 1u, {value})"
    if reg(dtype) == "i32":
        return f"(bitcast<u32>({value}) & 0xffu)"
    return f"({value} & 0xffu)"


def _grid(groups: int, max_groups: int) -> tuple[tuple[int, int, int], int]:
    """A 2-D grid of at least `groups` workgroups (at most max_groups per dimension), and its row length."""
    nx = min(max(groups, 1), max_groups)
    ny = -(-groups // nx)
    if ny > max_groups:
        raise ValueError(f"a kernel needs {groups} workgroups, more than {max_groups}**2")
    return (nx, max(ny, 1), 1), nx


def _unravel(shape, flat: str, prefix: str) -> list[str]:
    lines, stride = [], 1
    for d in range(len(shape) - 1, -1, -1):
        n = shape[d]
        q = flat if stride == 1 else f"({flat} / {stride})"
        lines.append(f"let {prefix}{d}: i32 = {q if d == 0 else f'{q} % {n}'};")
        stride *= n
    return list(reversed(lines))


def _ivars(shape) -> dict:
    return {f"i{d}": f"i{d}" for d in range(len(shape))}


def _indent(lines: list[str], n: int = 1) -> str:
    return "\n".join("    " * n + ln for ln in lines)


# --- reductions: identity and combine ------------------------------------------------------------


def _identity(op: str, dtype, h: Helpers) -> str:
    dtype = np.dtype(dtype)
    if dtype == BOOL:
        return "true" if op in ("mul", "and", "min") else "false"
    if op == "add" or op == "or":
        return literal(0, dtype)
    if op == "mul":
        return literal(1, dtype)
    if op == "and":
        return literal(-1, dtype) if dtype.kind == "i" else literal(np.iinfo(dtype).max, dtype)
    if dtype.kind == "f":
        h.special(dtype)
        return f"jx_special_{reg(dtype)}({'ninf' if op == 'max' else 'inf'})"
    info = np.iinfo(dtype)
    return literal(info.min if op == "max" else info.max, dtype)


def _combine(op: str, dtype, a: str, b: str, h: Helpers) -> str:
    dtype = np.dtype(dtype)
    if dtype == BOOL:
        return f"({a} {'||' if op in ('add', 'or', 'max') else '&&'} {b})"
    if op == "add":
        return f"({a} + {b})"
    if op == "mul":
        return f"({a} * {b})"
    if op in ("and", "or"):
        return f"({a} {'&' if op == 'and' else '|'} {b})"
    if dtype.kind == "f":
        return f"jx_{op}_{h.floats(dtype)}({a}, {b})"
    return f"{op}({a}, {b})"


# --- elementwise ---------------------------------------------------------------------------------


def _store_words(m: _Module, per: int, compute) -> list[str]:
    """Lines computing outputs t*per .. t*per+per-1 with `compute(flat) -> (lines, value)` and storing them."""
    k = m.kernel
    if per == 1:
        lines, value = compute("t")
        return [*lines, m.put("t", value)]
    out = ["var word = 0u;"]
    for p in range(per):
        lines, value = compute(f"f{p}")
        out.append(f"let f{p} = t * {per} + {p};")
        out.append(f"if (f{p} < {k.size}) {{")
        out.append(_indent([*lines, f"word = word | ({_byte(value, k.out_dtype)} << {8 * p}u);"]))
        out.append("}")
    return [*out, m.put("t", "word")]


def _elementwise(kernel: Kernel, max_groups: int, windows: _Windows) -> Shader:
    m = _Module(kernel, windows)
    per = per_word(kernel.out_dtype)
    threads = -(-kernel.size // per)
    grid, nx = _grid(-(-threads // WG), max_groups)

    def compute(flat: str):
        lines = _unravel(kernel.shape, flat, "i")
        r = m.renderer(_ivars(kernel.shape))
        (value,) = r.render([kernel.body], lines)
        return lines, value

    body = _store_words(m, per, compute)
    code = (f"@compute @workgroup_size({WG})\nfn main(@builtin(global_invocation_id) gi: vec3<u32>) {{\n"
            f"    let t = i32(gi.x + gi.y * {nx * WG}u);\n    if (t >= {threads}) {{ return; }}\n{_indent(body)}\n}}")  # fmt: skip
    return Shader(m.source(code), grid, "elementwise")


# --- reduction: one thread per output, loops over the reduced indices ---------------------------


def _levels(roots, nout: int) -> tuple[dict, dict]:
    """Loop level of each node (0: output vars only, d+1: needs r_d) and the deepest level using it."""
    level, used = {}, {}
    for n in ir.toposort(roots):
        if n.op == "var":
            level[n] = int(n.arg[0][1:]) + 1 if n.arg[0][0] == "r" else 0
        else:
            level[n] = max((level[a] for a in n.args), default=0)
        for a in n.args:
            used[a] = max(used.get(a, 0), level[n])
    return level, used


def _serial_reduce(kernel: Kernel, max_groups: int, windows: _Windows) -> Shader:
    m = _Module(kernel, windows)
    red = kernel.reduce
    per = per_word(kernel.out_dtype)
    threads = -(-kernel.size // per)
    grid, nx = _grid(-(-threads // WG), max_groups)
    depth = len(red.shape)
    level, used = _levels([kernel.body], len(kernel.shape))

    def compute(flat: str):
        lines = _unravel(kernel.shape, flat, "i")
        blocks: list[list[str]] = [lines] + [[] for _ in range(max(depth, 1))]
        vars_ = {**_ivars(kernel.shape), **{f"r{d}": f"r{d}" for d in range(depth)}}
        r = m.renderer(vars_)

        def place(n):  # hoist what does not depend on the inner loops out of them
            lv = level[n]
            return blocks[lv], lv < used.get(n, lv)

        (v,) = r.render([kernel.body], blocks[-1], place)
        acc = m.h.fresh("acc")
        loop = [*blocks[-1], f"{acc} = {_combine(red.op, red.dtype, acc, v, m.h)};"]
        for d in range(depth - 1, -1, -1):
            loop = [f"for (var r{d}: i32 = 0; r{d} < {red.shape[d]}; r{d}++) {{", _indent(loop), "}"]
            if d > 0:
                loop = [*blocks[d], *loop]
        lines.append(f"var {acc}: {reg(red.dtype)} = {_identity(red.op, red.dtype, m.h)};")
        lines.extend(loop)
        e = m.renderer({**_ivars(kernel.shape), "acc": acc})
        (value,) = e.render([red.epilogue], lines)
        return lines, value

    body = _store_words(m, per, compute)
    code = (f"@compute @workgroup_size({WG})\nfn main(@builtin(global_invocation_id) gi: vec3<u32>) {{\n"
            f"    let t = i32(gi.x + gi.y * {nx * WG}u);\n    if (t >= {threads}) {{ return; }}\n{_indent(body)}\n}}")  # fmt: skip
    return Shader(m.source(code), grid, "serial-reduce")


# --- reduction: workgroups with a tree in workgroup memory (one per output, or split in two passes) ---


def _tree(m: _Module, nx: int, nwork: int, prologue: list[str], loop: str, inner: list[str], value: str,
          finish: list[str]) -> str:  # fmt: skip
    """A workgroup per work item `w` < nwork: each thread folds `value` over `loop` (a for-header over
    `rf`), the workgroup combines its threads' values in a tree, and thread 0 runs `finish` on `total`."""
    red = m.kernel.reduce
    acc_t = reg(red.dtype)
    comb = _combine(red.op, red.dtype, "acc", value, m.h)
    tree = _combine(red.op, red.dtype, "part[l]", "part[l + s]", m.h)
    return f"""var<workgroup> part: array<{acc_t}, {WG}>;
@compute @workgroup_size({WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) l: u32) {{
    let w = i32(wid.x + wid.y * {nx}u);
    if (w >= {nwork}) {{ return; }}
{_indent(prologue)}
    var acc: {acc_t} = {_identity(red.op, red.dtype, m.h)};
    for ({loop}) {{
{_indent(inner, 2)}
        acc = {comb};
    }}
    part[l] = acc;
    workgroupBarrier();
    for (var s: u32 = {WG // 2}u; s > 0u; s = s >> 1u) {{
        if (l < s) {{ part[l] = {tree}; }}
        workgroupBarrier();
    }}
    if (l == 0u) {{
        let total = part[0];
{_indent(finish, 2)}
    }}
}}"""


def _body_loop(m: _Module, start: str, stride: str) -> tuple[str, list[str], str]:
    """The for-header, the loop's lines and the value of the kernel's body over flat reduced index rf."""
    red = m.kernel.reduce
    inner = _unravel(red.shape, "rf", "r")
    r = m.renderer({**_ivars(m.kernel.shape), **{f"r{d}": f"r{d}" for d in range(len(red.shape))}})
    (v,) = r.render([m.kernel.body], inner)
    return f"var rf: i32 = {start}; rf < {red.size}; rf += {stride}", inner, v


def _store_epilogue(m: _Module) -> list[str]:
    """Lines writing out[t] = epilogue(total)."""
    epi: list[str] = []
    e = m.renderer({**_ivars(m.kernel.shape), "acc": "total"})
    (value,) = e.render([m.kernel.reduce.epilogue], epi)
    return [*epi, m.put("t", value)]


def _group_reduce(kernel: Kernel, max_groups: int, windows: _Windows) -> Shader:
    m = _Module(kernel, windows)
    grid, nx = _grid(kernel.size, max_groups)
    prologue = ["let t = w;", *_unravel(kernel.shape, "t", "i")]
    loop, inner, v = _body_loop(m, "i32(l)", str(WG))
    code = _tree(m, nx, kernel.size, prologue, loop, inner, v, _store_epilogue(m))
    return Shader(m.source(code), grid, "group-reduce")


def _split_reduce(kernel: Kernel, split: int, max_groups: int, windows: _Windows) -> Shader:
    """Two passes: `split` workgroups per output write partials (grid-stride over the reduced index),
    then a workgroup per output combines them and applies the epilogue."""
    red = kernel.reduce
    first = _Module(kernel, windows, out_role="scratch")
    grid, nx = _grid(kernel.size * split, max_groups)
    prologue = [f"let t = w / {split};", f"let g = w % {split};", *_unravel(kernel.shape, "t", "i")]
    loop, inner, v = _body_loop(first, f"g * {WG} + i32(l)", str(split * WG))
    code = _tree(first, nx, kernel.size * split, prologue, loop, inner, v, [first.put("w", "total")])
    final = _Module(kernel, windows)
    grid2, nx2 = _grid(kernel.size, max_groups)
    prologue2 = ["let t = w;", *_unravel(kernel.shape, "t", "i")]
    loop2 = f"var rf: i32 = i32(l); rf < {split}; rf += {WG}"
    code2 = _tree(final, nx2, kernel.size, prologue2, loop2, [], final.at("partials", f"t * {split} + rf"), _store_epilogue(final))
    second = Shader(final.source(code2, partials=red.dtype), grid2, "split-reduce-final")
    return Shader(first.source(code, out_dtype=red.dtype), grid, f"split-reduce/{split}", second,
                  kernel.size * split * red.dtype.itemsize)  # fmt: skip


# --- matmul: vec4 tiles in workgroup memory, a register block of vec4 accumulators per thread ------


@dataclasses.dataclass(frozen=True)
class Tile:
    bm: int
    bn: int
    bk: int
    tm: int
    tn: int
    x: ir.Expr  # the factor indexed by (batch, m, k)
    y: ir.Expr  # the factor indexed by (batch, n, k)
    double: bool = True  # two tile buffers, one barrier per step (needs twice the workgroup memory)

    @property
    def threads(self) -> int:
        return (self.bm // self.tm) * (self.bn // self.tn)

    def shared_bytes(self, itemsize: int) -> int:
        return (2 if self.double else 1) * (self.bm + self.bn + 2 * _PAD) * self.bk * itemsize


# (BM, BN, BK, TM, TN, flags...), the first that fits wins; flag "single": one tile buffer. `python bench/bench_webgpu.py` sweeps them (docs/backend-webgpu.md).
TILES = ((128, 128, 8, 8, 8), (128, 64, 8, 8, 4), (64, 64, 8, 4, 4), (32, 32, 8, 4, 4))
# Per adapter (a substring of its name, lower case): (tiles, trusted), trusted meaning the matmul shaders are
# compiled without naga's bounds checks (every index they compute is tested by the kernel itself).
# Measured on an H100 at 4096^3 f32: 128x128x16 single-buffered 33.8 TFLOP/s, 37.0 trusted.
TUNED = {"nvidia": (((128, 128, 16, 8, 8, "single"), *TILES[1:]), True)}
TILES_ENV = "JAXNC_WEBGPU_MATMUL_TILES"  # e.g. "128,128,16,8,8,single;64,64,8,4,4" overrides the table


def tuning(adapter_name: str, environ: dict) -> tuple[tuple, bool]:
    """The matmul tiles and whether matmul shaders skip bounds checks, for this adapter."""
    if environ.get(TILES_ENV):
        tiles = tuple(tuple(int(v) if v.isdigit() else v for v in t.split(",")) for t in environ[TILES_ENV].split(";"))
        return tiles, False
    for name, tuned in TUNED.items():
        if name in adapter_name.lower():
            return tuned
    return TILES, False


def _matmul_tile(kernel: Kernel, limits: dict, tiles=None) -> Tile | None:
    """A tiling when the kernel is out[..., m, n] = epilogue(sum_k x(.., m, k) * y(.., n, k))."""
    red = kernel.reduce
    if red.op != "add" or len(red.shape) != 1 or len(kernel.shape) < 2 or kernel.body.op != "mul":
        return None
    if per_word(kernel.out_dtype) != 1 or red.dtype.kind not in "fiu" or red.dtype.itemsize != 4:
        return None
    nd = len(kernel.shape)
    mvar, nvar = f"i{nd - 2}", f"i{nd - 1}"
    x, y = kernel.body.args
    if ir.uses_var(x, nvar) or ir.uses_var(y, mvar):
        x, y = y, x
    if ir.uses_var(x, nvar) or ir.uses_var(y, mvar) or not ir.uses_var(x, "r0") or not ir.uses_var(y, "r0"):
        return None
    m, n = kernel.shape[-2:]
    if min(m, n) < 16 or red.size < 8:
        return None
    for bm, bn, bk, tm, tn, *flags in TILES if tiles is None else tiles:
        if min(m, n) >= min(bm, bn) or bm == 32:
            if tm % 4 or tn % 4:
                raise ValueError(f"matmul tile {(bm, bn, bk, tm, tn)}: TM and TN must be multiples of 4")
            for double in (False,) if "single" in flags else (True, False):
                tile = Tile(bm, bn, bk, tm, tn, x, y, double)
                if tile.shared_bytes(red.dtype.itemsize) <= limits.get("max-compute-workgroup-storage-size", 16384):
                    return tile
    return None


def _contiguous_in(expr: ir.Expr, var: str) -> bool:
    """Whether the first load of `expr` advances by one element per step of `var` (coalesced along it)."""
    for n in ir.toposort([expr]):
        if n.op == "load":
            aff = ir.affine(n.args[0], var)
            return aff is not None and aff[0] == 1
    return False


_PAD = 4  # scalars after each k-row of a tile in workgroup memory: transposed stores hit distinct banks


def _matmul(kernel: Kernel, tile: Tile, max_groups: int, windows: _Windows) -> Shader:
    """Tiles of x (BM x BK) and y (BN x BK) in workgroup memory, k-major rows of vec4; each thread holds
    TM x TN accumulators (TM rows of TN/4 vec4s) in named registers. A thread's rows (columns) are TM/4
    (TN/4) strips of 4, BM/(TM/4) apart, so a warp's vec4 reads of a k-row are contiguous. Double
    buffered: the next tile's global loads are issued before the current tile's arithmetic and stored
    into the other buffer after it, with one barrier per step."""
    m_ = _Module(kernel, windows)
    red = kernel.reduce
    nd = len(kernel.shape)
    batch_shape = kernel.shape[:-2]
    M, N = kernel.shape[-2:]
    K = red.size
    nbatch = math.prod(batch_shape)
    acc_t = reg(red.dtype)
    vec_t = f"vec4<{acc_t}>"
    zero = literal(0, red.dtype)
    gx, gy = -(-N // tile.bn), -(-M // tile.bm)
    if gx > max_groups or gy * nbatch > max_groups:
        raise ValueError(f"matmul grid {gx}x{gy * nbatch} exceeds {max_groups} workgroups per dimension")
    nthreads, bk = tile.threads, tile.bk
    gm, gn = tile.tm // 4, tile.tn // 4  # strips of 4 rows / columns per thread
    row4 = {"As": (tile.bm + _PAD) // 4, "Bs": (tile.bn + _PAD) // 4}  # vec4s per k-row
    buf = {name: bk * n for name, n in row4.items()}  # vec4s per buffer
    mvar, nvar = f"i{nd - 2}", f"i{nd - 1}"
    bvars = {f"i{d}": f"i{d}" for d in range(nd - 2)}
    fma = "fma({a}, {b}, {c})" if red.dtype.kind == "f" else "({c} + {a} * {b})"

    def factor(expr: ir.Expr, rows: int, var: str, name: str, base: str, extent: int):
        """(per-thread setup lines, global loads of step k into registers, stores into buffer `nxt`)."""
        per = rows * bk // nthreads
        if per * nthreads != rows * bk:
            raise ValueError(f"a {rows}x{bk} tile does not split over {nthreads} threads")
        along_k = _contiguous_in(expr, "r0")
        setup, load, store = [], [], []
        for q in range(per):
            e = f"(tid + {q * nthreads})"
            kk, rr = (f"({e} % {bk})", f"({e} / {bk})") if along_k else (f"({e} / {rows})", f"({e} % {rows})")
            v_, k_, r_ = f"{name}v{q}", f"{name}k{q}", f"{name}r{q}"
            setup += [f"let {k_} = {kk};", f"let {r_} = {rr};",
                      f"let {name}s{q} = {k_} * {4 * row4[name]} + {r_};", f"var {v_}: {acc_t};"]  # fmt: skip
            inner = [f"let {var} = {base} + {r_};", f"let r0 = k + {k_};"]
            (v,) = m_.renderer({**bvars, var: var, "r0": "r0"}).render([expr], inner)
            load += [f"{v_} = {zero};", f"if ({base} + {r_} < {extent} && k + {k_} < {K}) {{",
                     _indent([*inner, f"{v_} = {v};"]), "}"]  # fmt: skip
            idx = f"nxt * {4 * buf[name]} + {name}s{q}"
            store.append(f"{name}[({idx}) >> 2u][({idx}) & 3] = {v_};")
        return setup, ["{", _indent(load), "}"], store

    xsetup, xload, xstore = factor(tile.x, tile.bm, mvar, "As", "m0", M)
    ysetup, yload, ystore = factor(tile.y, tile.bn, nvar, "Bs", "n0", N)
    compute: list[str] = []
    for kk in range(bk):  # fully unrolled: accumulators stay registers
        step = [f"let a{g} = As[cur * {buf['As']} + {kk * row4['As'] + g * tile.bm // (4 * gm)} + tm];"
                for g in range(gm)]  # fmt: skip
        step += [f"let b{h} = Bs[cur * {buf['Bs']} + {kk * row4['Bs'] + h * tile.bn // (4 * gn)} + tn];"
                 for h in range(gn)]  # fmt: skip
        for g in range(gm):
            for i in range(4):
                a = f"{vec_t}(a{g}[{i}])"
                step += [f"c{4 * g + i}_{h} = {fma.format(a=a, b=f'b{h}', c=f'c{4 * g + i}_{h}')};" for h in range(gn)]
        compute += ["{", _indent(step), "}"]
    decl = [f"var c{r}_{h}: {vec_t} = {vec_t}();" for r in range(tile.tm) for h in range(gn)]
    store: list[str] = []
    for r in range(tile.tm):
        row = f"m0 + {(r // 4) * tile.bm // gm} + tm * 4 + {r % 4}"
        for h in range(gn):
            for j in range(4):
                col = f"n0 + {h * tile.bn // gn} + tn * 4 + {j}"
                blk = [f"let {mvar} = {row};", f"let {nvar} = {col};"]
                (value,) = m_.renderer({**_ivars(kernel.shape), "acc": f"c{r}_{h}[{j}]"}).render([red.epilogue], blk)
                flat = f"(b * {M * N} + {mvar} * {N} + {nvar})"
                store += [f"if ({row} < {M} && {col} < {N}) {{", _indent([*blk, m_.put(flat, value)]), "}"]
    if tile.double:  # step k0's arithmetic runs while the loads of step k0 + BK are in flight
        steps = f"""    let k = 0;
    let nxt = 0;
{_indent([*xload, *yload, *xstore, *ystore])}
    workgroupBarrier();
    for (var k0: i32 = 0; k0 < {K}; k0 += {bk}) {{
        let cur = (k0 / {bk}) & 1;
        let nxt = 1 - cur;
        let k = k0 + {bk};
        if (k < {K}) {{
{_indent([*xload, *yload], 3)}
        }}
{_indent(compute, 2)}
        if (k < {K}) {{
{_indent([*xstore, *ystore], 3)}
        }}
        workgroupBarrier();
    }}"""
    else:
        steps = f"""    for (var k: i32 = 0; k < {K}; k += {bk}) {{
        let cur = 0;
        let nxt = 0;
{_indent([*xload, *yload], 2)}
        workgroupBarrier();
{_indent([*xstore, *ystore], 2)}
        workgroupBarrier();
{_indent(compute, 2)}
    }}"""
    batch = _unravel(batch_shape, "b", "i") if batch_shape else []
    nbuf = 2 if tile.double else 1
    code = f"""var<workgroup> As: array<{vec_t}, {nbuf * buf['As']}>;
var<workgroup> Bs: array<{vec_t}, {nbuf * buf['Bs']}>;
@compute @workgroup_size({nthreads})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {{
    let tid = i32(lidx);
    let b = i32(wid.y) / {gy};
    let m0 = (i32(wid.y) % {gy}) * {tile.bm};
    let n0 = i32(wid.x) * {tile.bn};
    let tm = tid / {tile.bn // tile.tn};
    let tn = tid % {tile.bn // tile.tn};
{_indent(batch)}
{_indent([*xsetup, *ysetup])}
{_indent(decl)}
{steps}
{_indent(store)}
}}"""
    name = f"matmul-{tile.bm}x{tile.bn}x{bk}/{tile.tm}x{tile.tn}/vec4{'/db' if tile.double else ''}"
    return Shader(m_.source(code), (gx, gy * nbatch, 1), name)
