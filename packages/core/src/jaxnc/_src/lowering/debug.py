"""Printing every lowering stage: `JAXNC_DEBUG=1..4` or `jaxnc.config.update("jaxnc_debug", n)`.

1  each compiled jaxpr and a one-line summary of its program (kernels, routines, buffers)
2  the program's steps, every kernel's expression and every native routine's procedures
3  the code the backend generated for each new kernel
4  the time of every step while programs run
"""

from __future__ import annotations

import sys

from jaxnc._src.config import config


def level() -> int:
    try:
        return int(config.jaxnc_debug or 0)
    except (TypeError, ValueError):
        return 0


def emit(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def show_program(backend_name: str, jaxpr, program) -> None:
    n = level()
    if n < 1:
        return
    kernels, routines = program.kernels(), program.routines()
    emit(f"[jaxnc {backend_name}] jaxpr:\n{jaxpr}")
    emit(f"[jaxnc {backend_name}] program: {len(kernels)} kernels, {len(routines)} routines "
         f"({', '.join(sorted({r.name for r in routines})) or 'none'}), {len(program.consts)} consts")  # fmt: skip
    if n >= 2:
        emit(str(program))
        for k in kernels:
            emit(str(k))


def show_code(backend_name: str, kernel, code: str) -> None:
    if level() >= 3:
        emit(f"[jaxnc {backend_name}] code of {kernel.name}:\n{code}")


def show_routine(backend_name: str, routine, program) -> None:
    if level() >= 2:
        emit(f"[jaxnc {backend_name}] native {routine}:\n{program}")
