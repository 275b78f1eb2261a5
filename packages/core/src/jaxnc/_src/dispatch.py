"""Eager execution: one primitive on concrete Arrays, on the device the arguments live on."""

from __future__ import annotations

import numpy as np

from jaxnc._src import core
from jaxnc._src.array import Array, device_put_numpy
from jaxnc._src.backends.base import Buffer
from jaxnc._src.backends.registry import default_device
from jaxnc._src.interpreters.partial_eval import convert_constvars

_aval_cache: dict = {}
_AVAL_CACHE_MAX = 4096


def abstract_eval(prim: core.Primitive, in_avals: list, params: dict) -> list[core.ShapedArray]:
    """The primitive's output avals, cached by (primitive, avals, params) where params are hashable."""
    key = (prim, tuple(in_avals), tuple(params.items()))
    try:
        return _aval_cache[key]
    except KeyError:
        pass
    except TypeError:
        return prim.out_avals(in_avals, params)
    out = prim.out_avals(in_avals, params)
    if len(_aval_cache) >= _AVAL_CACHE_MAX:
        _aval_cache.clear()
    _aval_cache[key] = out
    return out


def _target_device(args):
    device = None
    for x in args:
        if type(x) is Array and x._committed:
            d = x._buffer().device
            if device is not None and d is not device:
                raise ValueError(f"Arrays on different committed devices in one operation: {device} and {d}; "
                                 "move them with jaxnc.device_put first")
            device = d
    if device is None:
        for x in args:
            if type(x) is Array:
                return x._buffer().device
        return default_device()
    return device


def to_arrays(args, device) -> list[Array]:
    out = []
    for x in args:
        if type(x) is Array:
            buf = x._buffer()
            if buf.device is not device:
                x = device_put_numpy(x._value(), device, x.weak_type)
        else:
            aval = core.get_aval(x)
            x = device_put_numpy(np.asarray(x, dtype=aval.dtype), device, aval.weak_type)
        out.append(x)
    return out


def apply_primitive(prim: core.Primitive, args, params):
    if prim.dispatch is not None:  # call-like primitives (jit) compile and run their jaxpr
        return prim.dispatch(args, params)
    device = _target_device(args)
    if all(type(x) is Array and x._buf is not None and x._buf.device is device for x in args):
        arrays = args  # the common case: nothing to convert or move
    else:
        arrays = to_arrays(args, device)
    in_avals = [a.aval for a in arrays]
    out_avals = abstract_eval(prim, in_avals, params)
    backend = device.backend
    handles = backend.execute_primitive(prim, [a._buf.handle for a in arrays], in_avals, params, out_avals, device)
    outs = [
        Array._new(aval, Buffer(h, device, aval.size * aval.dtype.itemsize, aval))
        for aval, h in zip(out_avals, handles, strict=True)
    ]
    return outs if prim.multiple_results else outs[0]


def run_jaxpr(closed: core.ClosedJaxpr, args) -> list[Array]:
    """Compile (cached per backend) and run a closed jaxpr on concrete arguments; consts go first."""
    device = _target_device(args)
    backend = device.backend
    cache = closed._cache
    compiled = cache.get(backend)
    if compiled is None:
        flat = core.inline_calls(closed)
        compiled = cache[backend] = (backend.compile(convert_constvars(flat.jaxpr)), flat.consts)
    exe, consts = compiled
    if not consts and all(type(x) is Array and x._buf is not None and x._buf.device is device for x in args):
        arrays = args
    else:
        arrays = to_arrays([*consts, *args], device)
    handles = backend.run(exe, [a._buf.handle for a in arrays], device)
    return [
        Array._new(aval, Buffer(h, device, aval.size * aval.dtype.itemsize, aval))
        for aval, h in zip(closed.jaxpr.out_avals, handles, strict=True)
    ]
