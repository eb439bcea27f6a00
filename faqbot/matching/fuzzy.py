"""Fuzzy string matching with rapidfuzz: the fallback for typos and near-verbatim phrasings.

It answers only when the whole question is close to a whole phrasing. `token_set_ratio`
scored 100 whenever one side's words were a subset of the other's, so "how do I change
it?" answered as reset-password with full confidence; `token_sort_ratio` compares all the
words of both sides (in sorted order, so word order does not matter), and two guards keep
short or lopsided pairs out: the question needs `MIN_CONTENT_WORDS` content words, and
the content of the two sides may differ in length by at most `MAX_LENGTH_RATIO`.
Function words are removed first, so "how do i" does not make unrelated questions alike.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rapidfuzz import fuzz, process

from faqbot.matching.alignment import gathered, reused

# Function words only; negations stay ("card not working" is not "card working").
STOPWORDS = frozenset(
    "a an the i im ive id me my mine we our us you your yours it its is are was were be been "
    "am do does did can could would should will shall may might must to of in on at for "
    "with from by about as and or so if then there here this that these those what how "
    "when where why which who whom please pls hi hey hello thanks thank "
    # contractions as normalisation leaves them ("where's" -> "wheres")
    "whats wheres hows whos thats theres".split()
)
MIN_CONTENT_WORDS = 2  # "change it" or "now" is too little to be sure of anything
MAX_LENGTH_RATIO = 1.5  # content characters, longer side over shorter side


def content_words(normalized: str) -> str:
    """The normalised text without function words; "" when nothing else is left."""
    return " ".join(word for word in normalized.split() if word not in STOPWORDS)


class FuzzyIndex:
    """Guarded fuzzy scores of queries against a fixed list of normalised phrasings."""

    def __init__(self, phrasings: Sequence[str], previous: FuzzyIndex | None = None,
                 previous_rows: np.ndarray | None = None) -> None:
        """`previous_rows[i]`: the row of phrasings[i] in `previous`, the index of the FAQ
        before an edit (-1: new); what it prepared is reused."""
        if previous is None or previous_rows is None:
            old_choices, old_lengths, previous_rows = [], np.zeros(0), np.full(len(phrasings), -1)
        else:
            old_choices, old_lengths = previous.choices, previous._lengths
        # A phrasing made only of function words still needs something to compare.
        self.choices = gathered(old_choices, previous_rows, lambda i: content_words(phrasings[i]) or phrasings[i])
        self._lengths = reused(old_lengths, previous_rows, lambda new: [len(self.choices[i]) for i in new])

    def scores(self, queries: Sequence[str], workers: int = 1, rows: np.ndarray | None = None) -> np.ndarray:
        """(len(queries), len(rows)) similarities in [0, 1] with the phrasings `rows` (None: all);
        0 where a guard refuses, and only pairs the guards let through are compared."""
        prepared = [content_words(q) for q in queries]
        rows = np.arange(len(self.choices)) if rows is None else rows
        choice_lengths = self._lengths[rows]
        lengths = np.array([max(len(q), 1) for q in prepared], dtype=np.float64)[:, None]
        lopsided = np.maximum(lengths, choice_lengths) > MAX_LENGTH_RATIO * np.minimum(lengths, choice_lengths)
        too_short = np.array([len(q.split()) < MIN_CONTENT_WORDS for q in prepared])[:, None]
        allowed = ~(lopsided | too_short)
        compared = np.flatnonzero(allowed.any(axis=0))
        out = np.zeros((len(queries), len(rows)), dtype=np.float64)
        if len(compared):
            out[:, compared] = process.cdist(
                prepared, [self.choices[rows[i]] for i in compared], scorer=fuzz.token_sort_ratio,
                dtype=np.uint8, workers=workers,
            ) / 100.0  # float64 keeps 90/100 == 0.9, so 0.9 admits a ratio of 90
        return np.where(allowed, out, 0.0)
