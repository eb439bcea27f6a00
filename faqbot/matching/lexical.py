"""Character n-gram TF-IDF over the FAQ phrasings: the lexical signal fused with the encoder.

The LSTM blurs rare domain words (product names, error codes) into sub-word pieces it has
seen elsewhere; n-grams of 2 to 4 characters inside each word keep them. The weighting is
scikit-learn's `TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)`
(a test holds the two equal), written in NumPy so serving imports neither scikit-learn nor
SciPy (about 2 s of start-up). The vocabulary and IDF come from the FAQ alone, so a query's
scores never depend on other queries.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

NGRAMS = (2, 4)


def char_wb_ngrams(text: str) -> list[str]:
    """N-grams of each space-padded word, as scikit-learn's `char_wb` analyzer makes them."""
    low, high = NGRAMS
    grams: list[str] = []
    for word in text.split():
        padded = f" {word} "
        for n in range(low, high + 1):
            grams.extend(padded[i : i + n] for i in range(max(1, len(padded) - n + 1)))
            if len(padded) <= n:  # a short word gives itself once, not once per n
                break
    return grams


@dataclass(frozen=True)
class LexicalIndex:
    """Sparse TF-IDF rows of the phrasings, stored by n-gram (CSC) for fast query scoring."""

    terms: np.ndarray  # (terms,) str: the vocabulary, column order
    idf: np.ndarray  # (terms,) float32
    indptr: np.ndarray  # (terms + 1,) int64: postings of term t are [indptr[t], indptr[t + 1])
    rows: np.ndarray  # (postings,) int32: phrasing of each posting
    values: np.ndarray  # (postings,) float32: its L2-normalised TF-IDF weight
    n_phrasings: int

    @classmethod
    def build(cls, phrasings: Sequence[str]) -> LexicalIndex:
        """Fit vocabulary and IDF (smoothed, as scikit-learn's default) on normalised phrasings."""
        counts = [Counter(char_wb_ngrams(p)) for p in phrasings]
        df = Counter(term for c in counts for term in c)
        terms = sorted(df)
        column = {t: i for i, t in enumerate(terms)}
        n = len(phrasings)
        idf = np.array([math.log((1 + n) / (1 + df[t])) + 1.0 for t in terms], dtype=np.float64)
        postings: list[list[tuple[int, float]]] = [[] for _ in terms]
        for row, c in enumerate(counts):
            cols = np.array([column[t] for t in c], dtype=np.int64)
            weights = _unit(np.array([1.0 + math.log(v) for v in c.values()]) * idf[cols])
            for col, weight in zip(cols, weights):
                postings[col].append((row, weight))
        lengths = np.array([len(p) for p in postings], dtype=np.int64)
        flat = [pair for p in postings for pair in p]
        return cls(
            terms=np.array(terms, dtype=str),
            idf=idf.astype(np.float32),
            indptr=np.concatenate([[0], np.cumsum(lengths)]),
            rows=np.array([r for r, _ in flat], dtype=np.int32),
            values=np.array([v for _, v in flat], dtype=np.float32),
            n_phrasings=n,
        )

    @cached_property
    def column(self) -> dict[str, int]:
        return {str(t): i for i, t in enumerate(self.terms)}

    def scores(self, queries: Sequence[str]) -> np.ndarray:
        """(queries, phrasings) cosines of normalised queries' TF-IDF rows with the phrasings'."""
        out = np.zeros((len(queries), self.n_phrasings), dtype=np.float32)
        for i, query in enumerate(queries):
            known = Counter(g for g in char_wb_ngrams(query) if g in self.column)
            if not known:
                continue  # nothing in common with any phrasing
            cols = np.array([self.column[t] for t in known], dtype=np.int64)
            weights = _unit(np.array([1.0 + math.log(v) for v in known.values()]) * self.idf[cols])
            starts, ends = self.indptr[cols], self.indptr[cols + 1]
            lengths = ends - starts
            # every posting of every query term, as one index array
            picks = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths) + np.arange(lengths.sum())
            out[i] = np.bincount(self.rows[picks], weights=self.values[picks] * np.repeat(weights, lengths),
                                 minlength=self.n_phrasings)
        return out

    def arrays(self) -> dict[str, np.ndarray]:
        """What `from_arrays` needs, for the on-disk index cache."""
        return {"terms": self.terms, "idf": self.idf, "indptr": self.indptr, "rows": self.rows,
                "values": self.values, "n_phrasings": np.array(self.n_phrasings)}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> LexicalIndex:
        return cls(**{k: arrays[k] for k in ("terms", "idf", "indptr", "rows", "values")},
                   n_phrasings=int(arrays["n_phrasings"]))


def _unit(v: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(v)
    return v / norm if norm > 0 else v
