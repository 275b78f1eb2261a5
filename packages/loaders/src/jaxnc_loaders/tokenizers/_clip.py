"""CLIP's tokenizer: ftfy + HTML cleanup, lowercasing, whitespace folding, and BPE over `</w>`-terminated words."""

from __future__ import annotations

import functools
import html
from collections.abc import Sequence

import numpy as np
import regex

from jaxnc_loaders.tokenizers._bpe import BPEEncoding, bpe_merge
from jaxnc_loaders.tokenizers._tiktoken import read_vocab_file

N_MERGES = 49152 - 256 - 2  # CLIP uses the file's first 48,894 merges
START, END = "<|startoftext|>", "<|endoftext|>"
# CLIP's pre-tokenizer, without its two special-token alternatives (handled as special tokens instead).
_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""
_WHITESPACE = regex.compile(r"\s+")


@functools.cache
def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible map from bytes to printable characters (CLIP's vocabulary is written in it)."""
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(ord("¡"), ord("¬") + 1),
        *range(ord("®"), ord("ÿ") + 1),
    ]
    chars = list(printable)
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return {b: chr(c) for b, c in zip(printable, chars, strict=True)}


def clean(text: str) -> str:
    """CLIP's text cleanup: ftfy, HTML unescaping (twice), whitespace folding, lowercasing."""
    import ftfy  # NB: imported on first use; only CLIP needs it

    text = html.unescape(html.unescape(ftfy.fix_text(text))).strip()
    return _WHITESPACE.sub(" ", text).strip().lower()


def parse_merges(data: bytes, source: str) -> list[tuple[str, str]]:
    """The merges of a `bpe_simple_vocab_16e6.txt(.gz)` file: a header line, then `a b` per line."""
    lines = read_vocab_file(data, source).decode("utf-8").split("\n")[1 : N_MERGES + 1]
    merges = []
    for number, line in enumerate(lines, 2):
        pair = tuple(line.split())
        if len(pair) != 2:
            raise ValueError(
                f"{source}: line {number} is {line[:60]!r}; expected two symbols separated by a space"
            )
        merges.append(pair)
    if len(merges) != N_MERGES:
        raise ValueError(
            f"{source}: {len(merges)} merges; expected {N_MERGES} (CLIP's bpe_simple_vocab_16e6)"
        )
    return merges


class ClipEncoding(BPEEncoding):
    """OpenAI CLIP's tokenizer, as OpenCLIP runs it.

    `encode` returns `[<|startoftext|>] + ids + [<|endoftext|>]`; `tokenize` pads to the context length.

    Args:
      merges: the BPE merges, in rank order.
    """

    def __init__(self, merges: Sequence[tuple[str, str]]):
        byte_encoder = bytes_to_unicode()
        symbols = list(byte_encoder.values())
        vocab = symbols + [s + "</w>" for s in symbols] + ["".join(m) for m in merges]
        super().__init__({START: len(vocab), END: len(vocab) + 1})
        self.name = "clip"
        self._encoder = {token: i for i, token in enumerate(vocab)}
        self._decoder = vocab
        self._merge_ranks = {pair: i for i, pair in enumerate(merges)}
        self._byte_encoder = byte_encoder
        self._byte_decoder = {c: b for b, c in byte_encoder.items()}
        self._pat = regex.compile(_PATTERN, regex.IGNORECASE)
        self._special_patterns: dict[frozenset[str], regex.Pattern] = {}

    @property
    def n_vocab(self) -> int:
        return len(self._decoder) + len(self._special_tokens)

    @property
    def sot_token(self) -> int:
        return self._special_tokens[START]

    @property
    def eot_token(self) -> int:
        return self._special_tokens[END]

    def _prepare(self, text: str) -> str:
        return clean(text)

    def _encode_word(self, word: str) -> list[int]:
        chars = [self._byte_encoder[b] for b in word.encode("utf-8")]
        chars[-1] += "</w>"
        ranks = self._merge_ranks
        return [
            self._encoder[p] for p in bpe_merge(chars, lambda a, b: ranks.get((a, b)))
        ]

    def _encode_words(self, text: str, pattern: regex.Pattern) -> list[int]:
        ids: list[int] = []
        for word in pattern.findall(text):
            special = self._special_tokens.get(word)
            if special is not None:
                ids.append(special)
            else:
                ids += self._cached(word, self._encode_word)
        return ids

    def _encode_ordinary(self, text: str) -> list[int]:
        return self._encode_words(text, self._pat)

    def _encode_with_special(self, text: str, allowed: frozenset[str]) -> list[int]:
        # CLIP's rule: special tokens are alternatives of the pre-tokenizer, tried first at each
        # position (so "!<|endoftext|>" is punctuation "!<|", as in OpenCLIP).
        pattern = self._special_patterns.get(allowed)
        if pattern is None:
            specials = "|".join(
                regex.escape(t) for t in sorted(allowed, key=len, reverse=True)
            )
            pattern = self._special_patterns[allowed] = regex.compile(
                f"{specials}|{_PATTERN}", regex.IGNORECASE
            )
        return self._encode_words(text, pattern)

    def encode(self, text: str, **special) -> list[int]:
        """`[<|startoftext|>] + BPEEncoding.encode(text) + [<|endoftext|>]` (as OpenCLIP and jax-js do)."""
        return [self.sot_token, *super().encode(text, **special), self.eot_token]

    def encode_ordinary(self, text: str) -> list[int]:
        return [self.sot_token, *super().encode_ordinary(text), self.eot_token]

    def _token_bytes(self, token: int) -> bytes:
        if not 0 <= token < len(self._decoder):
            raise KeyError(
                f"clip: token {token} is not in the vocabulary; expected 0 <= token < {self.n_vocab}"
            )
        text = self._decoder[token]
        word_end = text.endswith("</w>")
        data = bytes(self._byte_decoder[c] for c in text.removesuffix("</w>"))
        return data + b" " if word_end else data

    def tokenize(
        self, texts: str | Sequence[str], context_length: int = 77
    ) -> np.ndarray:
        """OpenCLIP's `tokenize`: one row per text, truncated to `context_length` (ending in <|endoftext|>), zero-padded.

        Special-token text is encoded as special tokens, as OpenCLIP does.

        Returns:
          An int32 array of shape `(len(texts), context_length)`.
        """
        if isinstance(texts, str):
            texts = [texts]
        if context_length < 2:
            raise ValueError(
                f"context_length={context_length}; expected at least 2 (<|startoftext|>, <|endoftext|>)"
            )
        out = np.zeros((len(texts), context_length), dtype=np.int32)
        for row, text in zip(out, texts, strict=True):
            ids = self.encode(text, allowed_special="all")
            if len(ids) > context_length:
                ids = ids[:context_length]
                ids[-1] = self.eot_token
            row[: len(ids)] = ids
        return out
