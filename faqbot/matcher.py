"""Matching a question to an FAQ entry: semantic first, fuzzy as fallback, else no answer.

Every phrasing (question and alternates) of every entry is indexed; an entry scores its
best phrasing. Scoring works on batches and the decision is vectorised, so the served
single-question path and `faqbot eval` run exactly the same code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from faqbot.encoder import Encoder
from faqbot.faq import Entry, Faq
from faqbot.fuzzy import FuzzyIndex
from faqbot.index_cache import cached_encode
from faqbot.normalize import normalize

METHODS = ("none", "semantic", "fuzzy")  # index = method code in Decisions
NONE, SEMANTIC, FUZZY = range(3)
SUGGESTIONS = 3


@dataclass(frozen=True)
class Thresholds:
    """Minimum scores to answer: cosine for the encoder, ratio in [0, 1] for fuzzy."""

    # Semantic: `faqbot calibrate` on the sample FAQ with the bundled model (0.615);
    # calibrate your own. Fuzzy: high, since fuzzy matching alone is a weak matcher.
    semantic: float = 0.62
    fuzzy: float = 0.90


@dataclass(frozen=True)
class Suggestion:
    entry: Entry
    score: float


@dataclass(frozen=True)
class Match:
    """The outcome for one question: what to answer (if anything) and what else is close."""

    query: str
    normalized: str
    method: str  # "semantic", "fuzzy" or "none"
    score: float  # the deciding score; the best primary score when there is no answer
    entry: Entry | None
    phrasing: str | None  # the entry's phrasing that matched best
    suggestions: tuple[Suggestion, ...]  # the next best entries, best first

    @property
    def answered(self) -> bool:
        return self.entry is not None


@dataclass(frozen=True)
class Scores:
    """Entry-level scores of a batch of queries: (queries, entries) per matcher."""

    semantic: np.ndarray | None  # None when no encoder is configured
    fuzzy: np.ndarray
    empty: np.ndarray  # (queries,) True where the query normalised to nothing

    @classmethod
    def concat(cls, parts: Sequence[Scores]) -> Scores:
        """One batch from several (chunks of a query set, or its in- and out-of-scope halves)."""
        semantic = None if parts[0].semantic is None else np.concatenate([p.semantic for p in parts])
        return cls(semantic, np.concatenate([p.fuzzy for p in parts]), np.concatenate([p.empty for p in parts]))

    @property
    def primary(self) -> np.ndarray:
        """The scores that rank entries: the encoder's when there is one."""
        return self.fuzzy if self.semantic is None else self.semantic

    # Best entry and score per query, computed once: a threshold sweep re-decides often.
    @cached_property
    def primary_best(self) -> tuple[np.ndarray, np.ndarray]:
        return self.primary.argmax(axis=1), self.primary.max(axis=1)

    @cached_property
    def fuzzy_best(self) -> tuple[np.ndarray, np.ndarray]:
        return self.fuzzy.argmax(axis=1), self.fuzzy.max(axis=1)


@dataclass(frozen=True)
class Decisions:
    """What the pipeline does with each query of a batch."""

    method: np.ndarray  # (queries,) codes into METHODS
    entry: np.ndarray  # (queries,) entry index, -1 for no answer
    score: np.ndarray  # (queries,) the deciding score


def decide(scores: Scores, thresholds: Thresholds) -> Decisions:
    """Semantic if its best cosine passes; else fuzzy if its best ratio passes; else none."""
    n = len(scores.empty)
    method = np.full(n, NONE)
    entry = np.full(n, -1)
    primary_arg, score = scores.primary_best
    fuzzy_arg, fuzzy_score = scores.fuzzy_best
    fuzzy_ok = (fuzzy_score >= thresholds.fuzzy) & ~scores.empty
    if scores.semantic is not None:
        semantic_ok = (score >= thresholds.semantic) & ~scores.empty
        fuzzy_ok &= ~semantic_ok
        method[semantic_ok] = SEMANTIC
        entry[semantic_ok] = primary_arg[semantic_ok]
    method[fuzzy_ok] = FUZZY
    entry[fuzzy_ok] = fuzzy_arg[fuzzy_ok]
    return Decisions(method, entry, np.where(fuzzy_ok, fuzzy_score, score))


class Matcher:
    """Answers questions from one FAQ with an optional encoder and fixed thresholds."""

    def __init__(
        self, faq: Faq, encoder: Encoder | None = None, thresholds: Thresholds | None = None,
        index_cache: Path | None = None,
    ) -> None:
        self.faq = faq
        self.encoder = encoder
        self.thresholds = thresholds or Thresholds()
        phrasings = [(i, p) for i, entry in enumerate(faq.entries) for p in entry.phrasings]
        self.phrasings = [p for _, p in phrasings]
        self.owner = np.array([i for i, _ in phrasings], dtype=np.intp)  # phrasing -> entry index
        # Phrasings are grouped by entry, so a reduceat over these starts gives entry maxima.
        self._starts = np.searchsorted(self.owner, np.arange(len(faq.entries)))
        self.normalized = [normalize(p) for p in self.phrasings]
        self._fuzzy = FuzzyIndex(self.normalized)
        # (phrasings, dim), read from the on-disk cache when the model and FAQ are unchanged
        self._vectors = cached_encode(encoder, self.normalized, index_cache) if encoder else None

    def score(self, texts: Sequence[str], workers: int = 1) -> Scores:
        """Entry-level scores for raw texts; `workers` threads for fuzzy matching (-1: all)."""
        normalized = [normalize(t) for t in texts]
        return self.entry_scores(*self.phrasing_scores(normalized, workers), normalized)

    def match(self, text: str) -> Match:
        """The served path: one question in, one decision with suggestions out."""
        normalized = normalize(text)
        semantic, fuzzy = self.phrasing_scores([normalized], workers=1)
        scores = self.entry_scores(semantic, fuzzy, [normalized])
        decisions = decide(scores, self.thresholds)
        method, index = int(decisions.method[0]), int(decisions.entry[0])
        entry = self.faq.entries[index] if index >= 0 else None
        phrasing = None
        if entry is not None:
            by_phrasing = (semantic if method == SEMANTIC else fuzzy)[0]
            members = np.flatnonzero(self.owner == index)
            phrasing = self.phrasings[members[by_phrasing[members].argmax()]]
        return Match(
            query=text,
            normalized=normalized,
            method=METHODS[method],
            score=float(decisions.score[0]),
            entry=entry,
            phrasing=phrasing,
            suggestions=() if not normalized else self._suggestions(scores.primary[0], exclude=index),
        )

    def phrasing_scores(self, normalized: list[str], workers: int) -> tuple[np.ndarray | None, np.ndarray]:
        """(queries, phrasings) cosines (None without encoder) and fuzzy ratios of normalised queries."""
        fuzzy = self._fuzzy.scores(normalized, workers=workers)
        semantic = None
        if self.encoder is not None:
            semantic = self.encoder.encode(normalized) @ self._vectors.T
        return semantic, fuzzy

    def entry_scores(self, semantic: np.ndarray | None, fuzzy: np.ndarray, normalized: list[str]) -> Scores:
        """Phrasing scores reduced to entries: an entry scores its best phrasing."""
        def by_entry(m: np.ndarray) -> np.ndarray:
            return np.maximum.reduceat(m, self._starts, axis=1)

        empty = np.array([not n for n in normalized], dtype=bool)
        return Scores(None if semantic is None else by_entry(semantic), by_entry(fuzzy), empty)

    def _suggestions(self, primary: np.ndarray, exclude: int) -> tuple[Suggestion, ...]:
        """The best other entries; an entry with nothing in common (score 0) is no suggestion."""
        order = np.argsort(-primary, kind="stable")
        picks = [int(i) for i in order if i != exclude and primary[i] > 0][:SUGGESTIONS]
        return tuple(Suggestion(self.faq.entries[i], float(primary[i])) for i in picks)
