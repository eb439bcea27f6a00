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

from faqbot.matching.alignment import runs

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
    """Guarded fuzzy scores of queries against a fixed list of normalised phrasings.

    What each phrasing is compared by (its content words) is kept as UTF-8 bytes in one
    array, with offsets: 100,000 short strings were one more container that a reload built
    and handed over item by item (faq/handover.py), and one string of them took 20 ms to
    unpickle; arrays are mapped. A question decodes only the few hundred it compares."""

    def __init__(self, phrasings: Sequence[str], previous: FuzzyIndex | None = None,
                 previous_rows: np.ndarray | None = None) -> None:
        """`previous_rows[i]`: the row of phrasings[i] in `previous`, the index of the FAQ
        before an edit (-1: new); what it prepared is reused, a run of rows at a time."""
        if previous is None or previous_rows is None:
            previous_rows = np.full(len(phrasings), -1)
        data, sizes, lengths = [np.zeros(0, dtype=np.uint8)], [np.zeros(0, dtype=np.int64)], [np.zeros(0, np.int32)]
        for start, stop in runs(previous_rows):
            if previous_rows[start] >= 0:
                first, last = previous_rows[start], previous_rows[stop - 1] + 1
                data.append(previous._utf8[previous._bounds[first]:previous._bounds[last]])
                sizes.append(np.diff(previous._bounds[first:last + 1]))
                lengths.append(previous._lengths[first:last])
            else:
                # a phrasing made only of function words still needs something to compare
                fresh = [content_words(phrasings[i]) or phrasings[i] for i in range(start, stop)]
                encoded = [text.encode("utf-8") for text in fresh]
                data.append(np.frombuffer(b"".join(encoded), dtype=np.uint8))
                sizes.append(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)))
                lengths.append(np.fromiter(map(len, fresh), dtype=np.int32, count=len(fresh)))
        self._utf8 = np.concatenate(data)
        self._bounds = np.concatenate([[0], np.cumsum(np.concatenate(sizes))]).astype(np.int64)  # in bytes
        self._lengths = np.concatenate(lengths)  # in characters, for the guards

    def __len__(self) -> int:
        return len(self._lengths)

    def choices(self, rows: np.ndarray) -> list[str]:
        """What the phrasings `rows` are compared by, each decoded from its bytes in place."""
        data = memoryview(self._utf8)
        return [str(data[a:b], "utf-8") for a, b in zip(self._bounds[rows].tolist(), self._bounds[rows + 1].tolist())]

    def scores(self, queries: Sequence[str], workers: int = 1, rows: np.ndarray | None = None,
               cutoff: float = 0.0) -> np.ndarray:
        """(len(queries), len(rows)) similarities in [0, 1] with the phrasings `rows` (None: all);
        0 where a guard refuses, and only pairs the guards let through are compared.

        `cutoff`: ratios below it may be given as 0 (the served path only asks whether some
        phrasing reaches the fuzzy bar). A pair of lengths a and b is at most 2 min(a, b) / (a + b)
        alike (sorted words keep the length, and an edit distance is at least the difference), so
        at a bar of 0.9 only phrasings within about a fifth of the question's length are compared."""
        prepared = [content_words(q) for q in queries]
        rows = np.arange(len(self)) if rows is None else rows
        choice_lengths = self._lengths[rows]
        lengths = np.array([max(len(q), 1) for q in prepared], dtype=np.float64)[:, None]
        shorter, longer = np.minimum(lengths, choice_lengths), np.maximum(lengths, choice_lengths)
        # in percent, as rapidfuzz scores, less half a point: a ratio that rounds up to the bar reaches it
        percent = 100.0 * cutoff - 0.5 - 1e-9 if cutoff > 0 else 0.0
        reachable = 200.0 * shorter >= percent * (shorter + longer)
        too_short = np.array([len(q.split()) < MIN_CONTENT_WORDS for q in prepared])[:, None]
        allowed = (longer <= MAX_LENGTH_RATIO * shorter) & reachable & ~too_short
        compared = np.flatnonzero(allowed.any(axis=0))
        out = np.zeros((len(queries), len(rows)), dtype=np.float64)
        if len(compared):
            out[:, compared] = process.cdist(
                prepared, self.choices(rows[compared]), scorer=fuzz.token_sort_ratio,
                dtype=np.uint8, workers=workers, score_cutoff=max(percent, 0.0),
            ) / 100.0  # float64 keeps 90/100 == 0.9, so 0.9 admits a ratio of 90
        return np.where(allowed, out, 0.0)
