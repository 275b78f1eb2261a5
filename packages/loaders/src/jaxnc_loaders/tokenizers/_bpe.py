"""Byte-pair encoding: the merge loop, and the special-token handling every BPE encoding shares."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Literal, TypeVar

import regex

Part = TypeVar("Part", bytes, str)
_CACHE_LIMIT = (
    1 << 16
)  # pieces remembered per encoding; the cache is emptied when it fills up


def bpe_merge(
    parts: list[Part], rank: Callable[[Part, Part], int | None]
) -> list[Part]:
    """Repeatedly merges the adjacent pair of lowest rank (the leftmost on ties) until none has a rank.

    A heap over pair positions with a linked list of live parts keeps this O(n log n), so a
    100k-character run of spaces is no slower per byte than a word.

    Args:
      parts: the initial symbols (single bytes for tiktoken, characters for CLIP).
      rank: the rank of merging two adjacent parts, or None when they do not merge.

    Returns:
      The merged parts, in order.
    """
    n = len(parts)
    if n < 2:
        return parts
    parts = list(parts)
    nxt = list(range(1, n + 1))  # n marks the end
    prv = list(range(-1, n - 1))
    heap = [
        (r, i) for i in range(n - 1) if (r := rank(parts[i], parts[i + 1])) is not None
    ]
    heapq.heapify(heap)
    alive = [True] * n
    while heap:
        r, i = heapq.heappop(heap)
        j = nxt[i]
        # NB: an entry is stale once either side has merged; the recomputed rank tells (ranks are unique per merge)
        if not alive[i] or j == n or rank(parts[i], parts[j]) != r:
            continue
        parts[i] += parts[j]
        alive[j] = False
        nxt[i] = nxt[j]
        if nxt[i] != n:
            prv[nxt[i]] = i
        for left, right in ((prv[i], i), (i, nxt[i])):
            if (
                left >= 0
                and right != n
                and (r2 := rank(parts[left], parts[right])) is not None
            ):
                heapq.heappush(heap, (r2, left))
    return [p for p, a in zip(parts, alive, strict=True) if a]


def _special_regex(tokens: Iterable[str]) -> regex.Pattern:
    # Longest first, so that a special token that is a prefix of another never wins.
    return regex.compile(
        "|".join(regex.escape(t) for t in sorted(tokens, key=len, reverse=True))
    )


class BPEEncoding:
    """What every encoding shares: special tokens (allowed / disallowed as in tiktoken), batching, decoding.

    Subclasses provide `_encode_ordinary(text)` and `_token_bytes(token)`.
    """

    name: str

    def __init__(self, special_tokens: dict[str, int]):
        self._special_tokens = dict(special_tokens)
        self._special_decoder = {
            v: k.encode("utf-8") for k, v in self._special_tokens.items()
        }
        self._special_regexes: dict[frozenset[str], regex.Pattern] = {}
        self._cache: dict[str, list[int]] = {}

    # ---- what a subclass defines ----
    def _encode_ordinary(self, text: str) -> list[int]:
        raise NotImplementedError

    def _token_bytes(self, token: int) -> bytes:
        raise NotImplementedError

    def _prepare(self, text: str) -> str:
        """Normalizes text before anything else looks at it (CLIP cleans it; byte-level BPE keeps it)."""
        return text

    # ---- shared ----
    @property
    def special_tokens(self) -> dict[str, int]:
        """The special tokens and their ids."""
        return dict(self._special_tokens)

    @property
    def special_tokens_set(self) -> set[str]:
        return set(self._special_tokens)

    def _cached(self, piece: str, encode: Callable[[str], list[int]]) -> list[int]:
        ids = self._cache.get(piece)
        if ids is None:
            ids = encode(piece)
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[piece] = ids
        return ids

    def _regex_for(self, tokens: frozenset[str]) -> regex.Pattern:
        pattern = self._special_regexes.get(tokens)
        if pattern is None:
            pattern = self._special_regexes[tokens] = _special_regex(tokens)
        return pattern

    def encode_ordinary(self, text: str) -> list[int]:
        """Encodes `text`, treating special-token text as ordinary text."""
        return self._encode_ordinary(self._prepare(text))

    def encode(
        self,
        text: str,
        *,
        allowed_special: Literal["all"] | Collection[str] = frozenset(),
        disallowed_special: Literal["all"] | Collection[str] = "all",
    ) -> list[int]:
        """Encodes `text` into token ids, as `tiktoken.Encoding.encode` does.

        Args:
          text: the text.
          allowed_special: special tokens whose text becomes the special token ("all": every one).
          disallowed_special: special tokens whose text raises an error ("all": every one not
            allowed). Special tokens in neither set are encoded as ordinary text.

        Returns:
          The token ids.

        Raises:
          ValueError: the text contains a disallowed special token.
        """
        if not isinstance(text, str):
            raise TypeError(f"text is a {type(text).__name__}; expected a str")
        text = self._prepare(text)
        allowed = self._special_set(allowed_special, "allowed_special")
        if disallowed_special == "all":
            disallowed = frozenset(self._special_tokens) - allowed
        else:
            disallowed = frozenset(disallowed_special)
        if disallowed and (match := self._regex_for(disallowed).search(text)):
            raise ValueError(
                f"Encountered text corresponding to disallowed special token {match.group()!r}; expected it in "
                "allowed_special to encode it as a special token, or in neither set (disallowed_special=()) "
                "to encode it as ordinary text"
            )
        if not allowed:
            return self._encode_ordinary(text)
        return self._encode_with_special(text, allowed)

    def _encode_with_special(self, text: str, allowed: frozenset[str]) -> list[int]:
        """tiktoken's rule: allowed special-token text becomes its token wherever it occurs."""
        ids: list[int] = []
        start = 0
        for match in self._regex_for(allowed).finditer(text):
            ids += self._encode_ordinary(text[start : match.start()])
            ids.append(self._special_tokens[match.group()])
            start = match.end()
        ids += self._encode_ordinary(text[start:])
        return ids

    def _special_set(
        self, tokens: Literal["all"] | Collection[str], argument: str
    ) -> frozenset[str]:
        if tokens == "all":
            return frozenset(self._special_tokens)
        if isinstance(tokens, str):
            raise TypeError(
                f'{argument}={tokens!r}; expected "all" or a collection of special tokens'
            )
        unknown = set(tokens) - set(self._special_tokens)
        if unknown:
            raise ValueError(
                f"{argument} has {sorted(unknown)}; expected special tokens of {self.name}"
            )
        return frozenset(tokens)

    def encode_batch(
        self,
        texts: Sequence[str],
        *,
        allowed_special: Literal["all"] | Collection[str] = frozenset(),
        disallowed_special: Literal["all"] | Collection[str] = "all",
    ) -> list[list[int]]:
        """`encode` for each text."""
        return [
            self.encode(
                t,
                allowed_special=allowed_special,
                disallowed_special=disallowed_special,
            )
            for t in texts
        ]

    def decode_bytes(self, tokens: Sequence[int]) -> bytes:
        """The bytes the tokens stand for."""
        return b"".join(self._bytes_of(int(t)) for t in tokens)

    def _bytes_of(self, token: int) -> bytes:
        special = self._special_decoder.get(token)
        return special if special is not None else self._token_bytes(token)

    def decode(self, tokens: Sequence[int], errors: str = "replace") -> str:
        """The text the tokens stand for; invalid UTF-8 is replaced (as tiktoken does) unless `errors` says otherwise."""
        return self.decode_bytes(tokens).decode("utf-8", errors=errors)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"
