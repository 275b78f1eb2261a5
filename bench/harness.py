"""The benchmark harness: cases with competing implementations, timed the same way, one table and JSON.

A bench module (`bench/bench_*.py`) defines `cases(backends) -> list[Case]`. Each Case names a workload
and maps implementation labels ("jaxnc[cpu]", "numpy", "jax", "torch", "tiktoken", ...) to zero-argument
callables that do the work once and wait for it (read back or `block_until_ready`). Implementations
whose library is missing are simply left out of the dict.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable


@dataclasses.dataclass
class Case:
    """One workload. `work` is the amount per call in `unit`'s numerator (flops, bytes, iterations);
    with `work=None` the table reports microseconds per call (lower is better)."""

    name: str
    impls: dict[str, Callable[[], object]]
    work: float | None = None
    unit: str = "µs"
    baseline: str = "numpy"


def time_call(fn: Callable[[], object], min_time: float = 0.2, repeat: int = 5) -> float:
    """Best-of-`repeat` seconds per call, each repeat running long enough to be measurable."""
    fn()  # warm up: compile, allocate, fill caches
    number = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        dt = time.perf_counter() - t0
        if dt >= min_time / repeat or number >= 1 << 20:
            break
        number *= 2 if dt == 0 else max(2, int(min_time / repeat / max(dt, 1e-9)))
    best = dt / number
    for _ in range(repeat - 1):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t0) / number)
    return best


def measure(case: Case, min_time: float = 0.2) -> dict:
    """Time every implementation of a case; returns a JSON-able row with values and ratios."""
    values = {}
    for label, fn in case.impls.items():
        try:
            seconds = time_call(fn, min_time=min_time)
        except Exception as e:  # noqa: BLE001 - one failing implementation must not hide the others
            print(f"{case.name}: {label} failed: {type(e).__name__}: {e}", file=sys.stderr)
            continue
        values[label] = seconds * 1e6 if case.work is None else case.work / seconds
    base = values.get(case.baseline)
    ratios = {}
    if base:
        for label, v in values.items():
            # ratio > 1 means faster than the baseline, whatever the unit
            ratios[label] = base / v if case.work is None else v / base
    return {"workload": case.name, "unit": case.unit, "values": values, "ratios": ratios, "baseline": case.baseline}


def format_table(rows: list[dict]) -> str:
    """One plain-text table: value (and speed ratio against the baseline) per implementation."""
    lines = []
    for row in rows:
        cells = []
        for label, v in row["values"].items():
            r = row["ratios"].get(label)
            ratio = f" ({r:.2f}x)" if r is not None and label != row["baseline"] else ""
            cells.append(f"{label}={v:.4g}{ratio}")
        lines.append(f"{row['workload']:<44} [{row['unit']}]  " + "  ".join(cells))
    return "\n".join(lines)
