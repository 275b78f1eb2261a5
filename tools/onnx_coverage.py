"""Rewrite the opset coverage table in docs/onnx.md from the op table and the backend-suite ledger.

    python tools/onnx_coverage.py           # rewrite the table
    python tools/onnx_coverage.py --check   # exit 1 if the checked-in table is stale (a test runs this)

For every ai.onnx operator in the installed onnx's schemas: how jaxnc-onnx implements it (a table entry,
the schema's function body, or not at all), and its backend node cases passed / total.
"""

from __future__ import annotations

import collections
import pathlib
import re
import sys

import onnx
from onnx.backend.test.loader import load_model_tests

from jaxnc_onnx.ops.registry import OPS

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "onnx.md"
LEDGER = ROOT / "packages" / "onnx" / "tests" / "backend_ledger.txt"
START, END = "<!-- coverage:start -->", "<!-- coverage:end -->"


def _cases_by_op() -> dict[str, list[str]]:
    by_op = collections.defaultdict(list)
    for case in load_model_tests(kind="node"):
        ops = {n.op_type for n in case.model.graph.node if n.domain in ("", "ai.onnx")}
        if len(case.model.graph.node) == 1 or "_expanded" not in case.name:
            for op in ops:
                by_op[op].append(case.name)
    return by_op


def table() -> str:
    failing = {line.split()[0] for line in LEDGER.read_text().splitlines() if line and not line.startswith("#")}
    by_op = _cases_by_op()
    schemas = {s.name: s for s in onnx.defs.get_all_schemas() if s.domain == "" and not s.deprecated}
    rows = ["| op | implementation | node cases passing |", "|---|---|---|"]
    counts = collections.Counter()
    for name in sorted(schemas):
        s = schemas[name]
        if ("", name) in OPS:
            how = "table"
        elif s.has_function or s.has_context_dependent_function:
            how = "function body"
        else:
            how = "**missing**"
        counts[how] += 1
        cases = by_op.get(name, [])
        passing = sum(c not in failing for c in cases)
        rows.append(f"| {name} | {how} | {passing}/{len(cases)} |" if cases else f"| {name} | {how} | - |")
    summary = ", ".join(f"{n} {k.strip('*')}" for k, n in counts.most_common())
    return f"{len(schemas)} ai.onnx operators: {summary}.\n\n" + "\n".join(rows)


def main() -> int:
    text = DOC.read_text()
    new = re.sub(re.escape(START) + ".*?" + re.escape(END), f"{START}\n{table()}\n{END}", text, flags=re.S)
    if "--check" in sys.argv[1:]:
        if new != text:
            print(f"{DOC} is stale: run python tools/onnx_coverage.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(new)
    print(f"wrote the coverage table into {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
