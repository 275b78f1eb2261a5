"""Run every bench module and print one table (and write JSON): `python bench/run.py [--only core] [--json out.json]`."""

from __future__ import annotations

import argparse
import importlib
import json
import pathlib
import platform
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import format_table, measure  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="*", help="bench module names without the bench_ prefix (default: all)")
    parser.add_argument("--backends", nargs="*", default=None, help="jaxnc platforms to measure (default: every usable)")
    parser.add_argument("--json", default=str(HERE / "results" / "latest.json"))
    parser.add_argument("--min-time", type=float, default=0.2, help="seconds per measurement repeat set")
    args = parser.parse_args()

    import jaxnc

    backends = args.backends or list(jaxnc.backends())
    names = sorted(p.stem[len("bench_") :] for p in HERE.glob("bench_*.py"))
    if args.only:
        names = [n for n in names if n in args.only]
    rows = []
    for name in names:
        try:
            module = importlib.import_module(f"bench_{name}")
            cases = module.cases(backends)
        except Exception as e:  # noqa: BLE001 - one broken module must not hide the others
            print(f"bench_{name}: skipped ({type(e).__name__}: {e})", file=sys.stderr)
            continue
        for case in cases:
            rows.append(measure(case, min_time=args.min_time))
            print(format_table(rows[-1:]), flush=True)
    out = pathlib.Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"time": time.strftime("%Y-%m-%d %H:%M:%S"), "python": platform.python_version(), "machine": platform.machine(),
            "backends": backends}  # fmt: skip
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    tmp.replace(out)  # atomic
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
