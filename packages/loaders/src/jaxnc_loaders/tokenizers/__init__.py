"""BPE tokenizers by name: tiktoken's r50k_base/gpt2, p50k_base, cl100k_base, o200k_base, and CLIP's.

>>> from jaxnc_loaders import tokenizers
>>> sorted(tokenizers.list_encoding_names())
['cl100k_base', 'clip', 'gpt2', 'o200k_base', 'p50k_base', 'r50k_base']
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import threading

from jaxnc_loaders.fetch import cached_fetch
from jaxnc_loaders.tokenizers._bpe import BPEEncoding, bpe_merge
from jaxnc_loaders.tokenizers._clip import (
    ClipEncoding,
    bytes_to_unicode,
    clean,
    parse_merges,
)
from jaxnc_loaders.tokenizers._tiktoken import Encoding, load_tiktoken_bpe

__all__ = [
    "BPEEncoding",
    "ClipEncoding",
    "Encoding",
    "bpe_merge",
    "bytes_to_unicode",
    "clean",
    "get_encoding",
    "list_encoding_names",
    "load_tiktoken_bpe",
]

_BLOB = "https://openaipublic.blob.core.windows.net/encodings/"
_ENDOFTEXT, _ENDOFPROMPT = "<|endoftext|>", "<|endofprompt|>"
_FIM = {"<|fim_prefix|>": 100258, "<|fim_middle|>": 100259, "<|fim_suffix|>": 100260}
# The pre-tokenizer patterns, verbatim from tiktoken_ext/openai_public.py.
R50K_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"""
CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|"""
    r"""\s+(?!\S)|\s"""
)
O200K_PATTERN = "|".join(  # noqa: FLY002 - verbatim from tiktoken
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)


@dataclasses.dataclass(frozen=True)
class _Spec:
    url: str
    sha256: str
    pattern: str | None = None  # None for CLIP
    special_tokens: dict[str, int] = dataclasses.field(default_factory=dict)
    n_vocab: int | None = None


_R50K = _Spec(
    _BLOB + "r50k_base.tiktoken",
    "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930",
    R50K_PATTERN,
    {_ENDOFTEXT: 50256},
    50257,
)
ENCODINGS: dict[str, _Spec] = {
    "r50k_base": _R50K,
    "gpt2": _R50K,  # tiktoken's gpt2 ranks (from encoder.json + vocab.bpe) are r50k_base's, rank for rank
    "p50k_base": _Spec(
        _BLOB + "p50k_base.tiktoken",
        "94b5ca7dff4d00767bc256fdd1b27e5b17361d7b8a5f968547f9f23eb70d2069",
        R50K_PATTERN,
        {_ENDOFTEXT: 50256},
        50281,
    ),
    "cl100k_base": _Spec(
        _BLOB + "cl100k_base.tiktoken",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        CL100K_PATTERN,
        {_ENDOFTEXT: 100257, **_FIM, _ENDOFPROMPT: 100276},
    ),
    "o200k_base": _Spec(
        _BLOB + "o200k_base.tiktoken",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        O200K_PATTERN,
        {_ENDOFTEXT: 199999, _ENDOFPROMPT: 200018},
    ),
    "clip": _Spec(
        "https://github.com/openai/CLIP/raw/main/clip/bpe_simple_vocab_16e6.txt.gz",
        "924691ac288e54409236115652ad4aa250f48203de50a9e4722a6ecd48d6804a",
    ),
}
_loaded: dict[tuple[str, str | None], BPEEncoding] = {}
_lock = threading.Lock()


def list_encoding_names() -> list[str]:
    """The names `get_encoding` knows."""
    return list(ENCODINGS)


def get_encoding(name: str, *, path: str | os.PathLike | None = None) -> BPEEncoding:
    """The encoding called `name`, built once per (name, path) and then shared.

    Args:
      name: one of `list_encoding_names()`.
      path: a local vocabulary file (a `.tiktoken` rank file, or CLIP's `bpe_simple_vocab_16e6.txt`,
        either possibly gzipped). It is trusted as given. Without it the canonical file is fetched
        through `cached_fetch` and checked against its known sha256.

    Returns:
      An `Encoding` (tiktoken-compatible) or, for "clip", a `ClipEncoding`.

    Raises:
      ValueError: an unknown name or a malformed vocabulary file.
      FetchError: the vocabulary could not be downloaded (or `JAXNC_OFFLINE=1` and it is not cached).
    """
    spec = ENCODINGS.get(name)
    if spec is None:
        raise ValueError(
            f"unknown encoding {name!r}; expected one of {list(ENCODINGS)}"
        )
    key = (name, None if path is None else os.fspath(pathlib.Path(path).resolve()))
    with _lock:
        encoding = _loaded.get(key)
        if encoding is None:
            source = (
                pathlib.Path(path)
                if path is not None
                else cached_fetch(spec.url, sha256=spec.sha256)
            )
            data = source.read_bytes()
            if spec.pattern is None:
                encoding = ClipEncoding(parse_merges(data, str(source)))
            else:
                encoding = Encoding(
                    name,
                    pat_str=spec.pattern,
                    mergeable_ranks=load_tiktoken_bpe(data, str(source)),
                    special_tokens=spec.special_tokens,
                    explicit_n_vocab=spec.n_vocab,
                )
            _loaded[key] = encoding
    return encoding
