"""Rewrite packages/onnx/tests/backend_ledger.txt: the ONNX node test cases jaxnc-onnx fails, each with a reason.

    python tools/onnx_backend_ledger.py          # runs the node suite in-process (a few seconds), prints the count

The ledger is what tests/test_onnx_backend.py expects to fail (strictly: a case in it that passes fails
the test run, so fixed cases must be removed). Reasons come from the rules below, else the error itself.
"""

from __future__ import annotations

import pathlib
import re
import sys

LEDGER = pathlib.Path(__file__).resolve().parents[1] / "packages" / "onnx" / "tests" / "backend_ledger.txt"

# (pattern on the case name or its error, reason): the first match wins
RULES = [
    (
        r"string|StringNormalizer|StringSplit|StringConcat|RegexFullMatch|TfIdfVectorizer|mixed/object",
        "strings: jaxnc has no string dtype",
    ),
    (r"ai\.onnx\.ml::", "ai.onnx.ml domain (classical ML ops) is out of scope"),
    (r"ai\.onnx\.preview", "ai.onnx.preview ops (training optimizers, FlexAttention) are out of scope"),
    (
        r"bernoulli|training_dropout|test_dropout_random|random",
        "random values: jaxnc.random's generator differs from NumPy's",
    ),
    (r"ImageDecoder", "ImageDecoder needs an image codec"),
    (r"unsupported op type '(\w+)'", r"op \1 is not implemented yet"),
    (r"not supported by jaxnc", "dtype without jaxnc support used where a device value is needed"),
    (r"bitcast_(float64|int64)", "64-bit bit patterns: jaxnc narrows int64/float64 to 32 bits (x64 off)"),
    (r"E8M0", "float8e8m0 rounding modes are not implemented"),
    (r"loop16_seq_none", "optional sequences as Loop state are not supported"),
    (r"spacetodepth_crd", "SpaceToDepth's CRD mode is not implemented"),
    (r"Scan-8", "Scan-8 (batch axis + sequence_lens) is not supported"),
]


def _reason(name: str, error: str) -> str:
    for pattern, reason in RULES:
        m = re.search(pattern, name) or re.search(pattern, error)
        if m:
            return m.expand(reason)
    return "wrong result: " + re.sub(r"\s+", " ", error)[:150]


def run_suite() -> dict[str, str]:
    """{case name: "" when it passes, else the error} for every ai.onnx node case (CPU)."""
    from onnx.backend.test.loader import load_model_tests
    from onnx.backend.test.runner import Runner, _normalize_tensor

    import jaxnc_onnx.backend as backend

    results = {}
    for case in load_model_tests(kind="node"):
        try:
            rep = backend.prepare(case.model, "CPU")
            for inputs, outputs in case.data_sets:
                got = rep.run([_normalize_tensor(i) for i in inputs])
                Runner.assert_similar_outputs([_normalize_tensor(o) for o in outputs], got, case.rtol, case.atol)
            results[case.name] = ""
        except Exception as e:  # noqa: BLE001 - every failure is recorded
            results[case.name] = f"{type(e).__name__}: {e}".strip()
    return results


def main() -> int:
    results = run_suite()
    failing = {k: v for k, v in results.items() if v}
    lines = ["# ONNX backend node cases that jaxnc-onnx fails, one per line: name  # reason",
             "# regenerate with: python tools/onnx_backend_ledger.py"]  # fmt: skip
    lines += [f"{name}  # {_reason(name, err)}" for name, err in sorted(failing.items())]
    LEDGER.write_text("\n".join(lines) + "\n")
    print(f"{len(results) - len(failing)} passed, {len(failing)} in the ledger, of {len(results)} node cases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
