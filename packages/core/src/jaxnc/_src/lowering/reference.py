"""Reference semantics of the kernel IR: evaluate kernels with NumPy (oracle for every renderer)."""

from __future__ import annotations

import numpy as np

from jaxnc._src import core
from jaxnc._src.lowering import ir


def eval_op(node: ir.Expr, vals: list) -> np.ndarray:
    """One elementwise node on NumPy values, through its lax primitive's reference impl."""
    out = core.PRIMITIVES[node.op].impl(*vals, **node.params)
    return np.asarray(out).astype(node.dtype, copy=False)


def evaluate(root: ir.Expr, env: dict[str, np.ndarray], inputs: list[np.ndarray], acc=None) -> np.ndarray:
    """Evaluate `root` for all index values at once; `env` maps var names to broadcastable index arrays."""
    values: dict[ir.Expr, np.ndarray] = {}
    with np.errstate(all="ignore"):
        for n in ir.toposort([root]):
            if n.op == "const":
                v = np.asarray(n.arg, n.dtype)
            elif n.op == "var":
                v = env[n.arg[0]]
            elif n.op == "acc":
                v = acc
            elif n.op == "load":
                buf = inputs[n.arg]
                idx = values[n.args[0]]
                if buf.size == 0:
                    v = np.zeros(np.shape(idx), buf.dtype)
                else:
                    v = buf[np.clip(idx, 0, buf.size - 1)]
            elif n.op in ("view", "valid", "vindex"):
                raise ValueError(f"lazy leaf {n.op} reached kernel evaluation; kernels index buffers by loads")
            else:
                v = eval_op(n, [values[a] for a in n.args])
            values[n] = v
    return values[root]


_REDUCERS = {
    "add": lambda x, axis: np.sum(x, axis=axis, dtype=x.dtype) if x.dtype != np.bool_ else np.any(x, axis=axis),
    "mul": lambda x, axis: np.prod(x, axis=axis, dtype=x.dtype) if x.dtype != np.bool_ else np.all(x, axis=axis),
    "max": lambda x, axis: np.max(x, axis=axis),
    "min": lambda x, axis: np.min(x, axis=axis),
    "or": lambda x, axis: np.any(x, axis=axis),
    "and": lambda x, axis: np.all(x, axis=axis),
}


def run_kernel(kernel, inputs: list[np.ndarray]) -> np.ndarray:
    """Execute a Kernel over flat NumPy inputs; returns the flat output."""
    shape, rshape = kernel.shape, kernel.reduce.shape if kernel.reduce else ()
    full = (*shape, *rshape)
    grids = np.ogrid[tuple(slice(0, n) for n in full)] if full else []
    env = {f"i{d}": g.astype(np.int64) for d, g in enumerate(grids[: len(shape)])}
    env.update({f"r{d}": g.astype(np.int64) for d, g in enumerate(grids[len(shape) :])})
    body = np.broadcast_to(evaluate(kernel.body, env, inputs), full)
    if kernel.reduce is None:
        return np.ascontiguousarray(body).reshape(-1)
    red = kernel.reduce
    axes = tuple(range(len(shape), len(full)))
    with np.errstate(all="ignore"):
        accv = _REDUCERS[red.op](body.astype(red.dtype), axes) if axes else body.astype(red.dtype)
    out_env = {k: v[(...,) + (0,) * len(rshape)] if rshape else v for k, v in env.items() if k.startswith("i")}
    out = evaluate(red.epilogue, out_env, inputs, acc=np.asarray(accv, red.dtype))
    return np.ascontiguousarray(np.broadcast_to(out, shape)).reshape(-1)


def run_function(backend, f, *args) -> tuple[list[np.ndarray], object]:
    """Trace `f`, compile it on kernel backend `backend` and run it: (host outputs, the Program)."""
    import jaxnc
    from jaxnc._src.interpreters.partial_eval import convert_constvars

    closed = jaxnc.make_jaxpr(f)(*args)
    exe = backend.compile(convert_constvars(closed.jaxpr))
    dev = backend.devices[0]
    handles = [backend.put(np.asarray(a), dev) for a in [*closed.consts, *args]]
    outs = backend.run(exe, handles, dev)
    values = [np.array(backend.get(h)) for h in outs]
    for h in [*handles, *outs]:
        backend.free(h)
    return values, exe.program


class ReferenceKernelBackend:
    """A KernelBackend whose memory is NumPy and whose kernels run through `run_kernel`.

    It checks the lowering end to end without any renderer (core's toolkit tests use it); made by
    `reference_kernel_backend()` so that importing this module stays cheap.
    """


def reference_kernel_backend(max_inputs: int = 64, renders=None, recomputes=None, procs: bool = False):
    """A fresh ReferenceKernelBackend; `renders(op, dtype)` narrows what kernels may contain,
    `recomputes(eqn)` turns on the planner's recompute policy (see fusion.py) and `procs` runs native
    routines through the procedure interpreter (proc.run_proc)."""
    from jaxnc._src.backends.base import Device
    from jaxnc._src.lowering.backend import KernelBackend

    class _Reference(KernelBackend, ReferenceKernelBackend):
        name = platform = "kernel-reference"

        def __init__(self) -> None:
            self.devices = [Device(self, 0)]
            self.max_inputs = max_inputs
            self._renders = renders
            self.launches = 0
            self.proc_launches = 0
            self.runs_procs = procs
            if recomputes is not None:
                self.recomputes = recomputes

        def supports(self, dtype) -> bool:
            return True

        def renders(self, op, dtype) -> bool:
            return True if self._renders is None else self._renders(op, np.dtype(dtype))

        def allocate(self, nbytes):
            return np.zeros(nbytes, np.uint8)

        def release(self, raw) -> None:
            pass

        def write(self, raw, array) -> None:
            raw[:] = np.frombuffer(np.ascontiguousarray(array).tobytes(), np.uint8)

        def read(self, raw, aval):
            return raw.view(aval.dtype)[: aval.size].reshape(aval.shape).copy()

        def compile_kernel(self, kernel):
            return kernel

        def launch(self, kernel, ins, out) -> None:
            self.launches += 1
            flat = [raw.view(dt) for raw, dt in zip(ins, kernel.in_dtypes, strict=True)]
            out.view(kernel.out_dtype)[:] = run_kernel(kernel, flat)

        def compile_proc(self, proc):
            return proc

        def launch_proc(self, proc, buffers) -> None:
            from jaxnc._src.lowering.proc import run_proc

            self.proc_launches += 1
            run_proc(proc, [raw.view(dt) for raw, dt in zip(buffers, proc.buffers, strict=True)])

    return _Reference()
