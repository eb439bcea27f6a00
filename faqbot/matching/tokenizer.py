"""Turning normalised text into token ids for the LSTM, saved with the model.

Two kinds: `word` (one id per known word, the design's tokeniser; it grows when fine-tuned
on an FAQ so the FAQ's own words get ids of their own) and `wordpiece` (BERT-style
sub-words, so a word never seen in training still becomes pieces the model knows).
Id 0 is padding in both, which is how the encoder masks it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

PAD = "[PAD]"
UNK = "[UNK]"
KINDS = ("word", "wordpiece")
MAX_WORD_CHARS = 100  # longer "words" (pasted hashes, base64) are one unknown token
WORDS_REMEMBERED = 2**16  # distinct words whose ids are kept (a few MB)


@dataclass(frozen=True)
class Tokenizer:
    """A vocabulary (id = position; PAD first) and the rule that splits text into it."""

    kind: str
    vocab: tuple[str, ...]
    max_len: int = 64  # tokens kept per text; bounds the cost of very long messages

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown tokenizer kind {self.kind!r} (known: {', '.join(KINDS)})")
        if not self.vocab or self.vocab[0] != PAD or UNK not in self.vocab:
            raise ValueError(f"a vocabulary must start with {PAD} and contain {UNK}")

    @cached_property
    def ids(self) -> dict[str, int]:
        return {token: i for i, token in enumerate(self.vocab)}

    @property
    def unk_id(self) -> int:
        return self.ids[UNK]

    def tokens(self, text: str) -> list[str]:
        """Tokens of an already normalised text (lower case, words split by spaces)."""
        return self._first(text, self._pieces)

    def _first(self, text: str, per_word: Callable[[str], Sequence]) -> list:
        """`per_word(word)` for the text's words, concatenated and cut at `max_len`."""
        out: list = []
        for word in text.split():
            out.extend(per_word(word))
            if len(out) >= self.max_len:
                break
        return out[: self.max_len]

    def _pieces(self, word: str) -> list[str]:
        return [word] if self.kind == "word" else self._wordpieces(word)

    def _wordpieces(self, word: str) -> list[str]:
        """Greedy longest-match-first split, as BERT does; unsplittable words are UNK."""
        if len(word) > MAX_WORD_CHARS:
            return [UNK]
        pieces, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.ids:
                    break
                end -= 1
            if end == start:
                return [UNK]
            pieces.append(piece)
            start = end
        return pieces

    @cached_property
    def _word_ids(self) -> Callable[[str], tuple[int, ...]]:
        """A word's ids, remembered: a large FAQ's phrasings repeat a few thousand words
        (splitting each occurrence again took a quarter of encoding 100,000 phrasings)."""
        unk = self.unk_id
        return lru_cache(maxsize=WORDS_REMEMBERED)(lambda word: tuple(self.ids.get(p, unk) for p in self._pieces(word)))

    def encode(self, text: str) -> list[int]:
        """The ids of `tokens(text)`."""
        return self._first(text, self._word_ids)

    def batch(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), longest) int32 ids, right-padded with 0; at least one column."""
        return padded([self.encode(t) for t in texts])

    def grow(self, texts: Iterable[str]) -> Tokenizer:
        """A word tokenizer that also knows every word of `texts` (appended, so old ids hold)."""
        if self.kind != "word":
            return self
        new = dict.fromkeys(w for t in texts for w in t.split() if w not in self.ids)
        return Tokenizer(self.kind, self.vocab + tuple(new), self.max_len)

    def unknown_rate(self, texts: Iterable[str]) -> float:
        """Share of tokens that are UNK: how much of a text the model cannot see."""
        ids = [i for t in texts for i in self.encode(t)]
        return sum(i == self.unk_id for i in ids) / len(ids) if ids else 0.0

    def save(self, path: Path) -> None:
        path.write_text("\n".join(self.vocab) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path, kind: str, max_len: int) -> Tokenizer:
        return cls(kind, tuple(path.read_text(encoding="utf-8").splitlines()), max_len)


def padded(rows: Sequence[Sequence[int]]) -> np.ndarray:
    """(len(rows), longest) int32 ids, right-padded with 0; at least one column."""
    out = np.zeros((len(rows), max([1, *map(len, rows)])), dtype=np.int32)
    for i, row in enumerate(rows):
        out[i, : len(row)] = row
    return out
