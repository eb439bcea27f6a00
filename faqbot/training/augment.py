"""New inputs for distillation, made from the training texts (Tang et al., 2019).

The student only learns the teacher's function where it is shown inputs. The training
texts are short intent utterances; FAQ questions are longer, wordier and from other
domains. Edited copies (words dropped or swapped for corpus words, spans cut out, two
texts joined) cost nothing but teacher time and widen what the student is shown; the
teacher labels each copy, so a copy never needs to mean the same as its source.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

DROP = 0.1  # per word: removed
SWAP = 0.1  # per word: replaced by a word drawn by corpus frequency
SPAN = 0.25  # per copy: only a span of 3 or more words is kept
JOIN = 0.25  # per copy: another text is appended


def augment(texts: Sequence[str], copies: int, seed: int = 0) -> list[str]:
    """`copies` edited versions of every text, without the originals or repeats, sorted."""
    rng = np.random.default_rng(seed)
    words = [w for t in texts for w in t.split()]  # sampling from it weights words by frequency
    seen = set(texts)
    made: set[str] = set()
    for _ in range(copies):
        for text in texts:
            copy = _edit(text.split(), words, rng)
            if rng.random() < JOIN:
                copy += _edit(texts[int(rng.integers(len(texts)))].split(), words, rng)
            joined = " ".join(copy)
            if joined and joined not in seen:
                made.add(joined)
    return sorted(made)


def _edit(tokens: list[str], words: list[str], rng: np.random.Generator) -> list[str]:
    if len(tokens) > 3 and rng.random() < SPAN:
        length = int(rng.integers(3, len(tokens) + 1))
        start = int(rng.integers(len(tokens) - length + 1))
        tokens = tokens[start : start + length]
    out = []
    for token in tokens:
        roll = rng.random()
        if roll < DROP:
            continue
        out.append(words[int(rng.integers(len(words)))] if roll < DROP + SWAP else token)
    return out or tokens
