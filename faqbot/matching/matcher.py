"""Matching a question to an FAQ entry: the FAQ's indexes, the decision, suggestions.

Every phrasing (question and alternates) of every entry is indexed by the encoder, by
character n-grams and for fuzzy matching; an entry scores its best phrasing in each.
Scoring works on batches and the decision is vectorised, so the served single-question
path and `faqbot eval` run exactly the same code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from faqbot.faq.schema import Entry, Faq
from faqbot.matching.decision import METHODS, NONE, SEMANTIC, Calibration, Scores, Surface, decide
from faqbot.matching.encoder import Encoder
from faqbot.matching.fuzzy import FuzzyIndex
from faqbot.matching.index_cache import cached_encode, cached_lexical
from faqbot.matching.normalize import normalize
from faqbot.matching.small_talk import small_talk

SUGGESTIONS = 3


@dataclass(frozen=True)
class Suggestion:
    entry: Entry
    score: float


@dataclass(frozen=True)
class Match:
    """The outcome for one question: what to answer (if anything) and what else is close."""

    query: str
    normalized: str
    surface: Surface
    method: str  # "semantic", "fuzzy" or "none"
    score: float  # the deciding score: the fused score (semantic, none) or the fuzzy ratio
    confidence: float  # chance that the best entry is right; what the surface's bar compares
    entry: Entry | None
    phrasing: str | None  # the entry's phrasing that matched best
    suggestions: tuple[Suggestion, ...]  # the next best entries, best first, above the suggestion bar
    small_talk: str | None = None  # "greeting" or "thanks": a social message, not a question

    @property
    def answered(self) -> bool:
        return self.entry is not None


class Matcher:
    """Answers questions from one FAQ with an optional encoder and a calibration."""

    def __init__(
        self, faq: Faq, encoder: Encoder | None = None, calibration: Calibration | None = None,
        index_cache: Path | None = None,
    ) -> None:
        self.faq = faq
        self.encoder = encoder
        self.calibration = calibration or Calibration()
        phrasings = [(i, p) for i, entry in enumerate(faq.entries) for p in entry.phrasings]
        self.phrasings = [p for _, p in phrasings]
        self.owner = np.array([i for i, _ in phrasings], dtype=np.intp)  # phrasing -> entry index
        # Phrasings are grouped by entry, so a reduceat over these starts gives entry maxima.
        self._starts = np.searchsorted(self.owner, np.arange(len(faq.entries)))
        self.normalized = [normalize(p) for p in self.phrasings]
        self._fuzzy = FuzzyIndex(self.normalized)
        self._lexical = cached_lexical(self.normalized, index_cache)
        # (phrasings, dim), read from the on-disk cache when the model and FAQ are unchanged
        self._vectors = cached_encode(encoder, self.normalized, index_cache) if encoder else None

    def score(self, texts: Sequence[str], workers: int = 1) -> Scores:
        """Entry-level scores for raw texts; `workers` threads for fuzzy matching (-1: all)."""
        normalized = [normalize(t) for t in texts]
        return self.entry_scores(self.phrasing_scores(normalized, workers), normalized)

    def match(self, text: str, surface: Surface = "direct") -> Match:
        """The served path: one question in, the decision for that surface and suggestions out."""
        normalized = normalize(text)
        social = small_talk(normalized)
        by_phrasing = self.phrasing_scores([normalized], workers=1)
        scores = self.entry_scores(by_phrasing, [normalized])
        decisions = decide(scores, self.calibration, surface)
        # "thanks!" gets a friendly word, never an entry or three unrelated suggestions
        method, index = (NONE, -1) if social else (int(decisions.method[0]), int(decisions.entry[0]))
        entry = self.faq.entries[index] if index >= 0 else None
        phrasing, score = None, float(scores.best[1][0]) if normalized else 0.0
        if entry is not None:
            signal = self._fused(by_phrasing) if method == SEMANTIC else by_phrasing["fuzzy"]
            members = np.flatnonzero(self.owner == index)
            phrasing = self.phrasings[members[signal[0, members].argmax()]]
            score = float(scores.fused[0, index] if method == SEMANTIC else scores.fuzzy[0, index])
        return Match(
            query=text, normalized=normalized, surface=surface, method=METHODS[method], score=score,
            confidence=float(decisions.confidence[0]), entry=entry, phrasing=phrasing,
            suggestions=() if not normalized or social else self._suggestions(scores.fused[0], exclude=index),
            small_talk=social,
        )

    def phrasing_scores(self, normalized: list[str], workers: int) -> dict[str, np.ndarray | None]:
        """(queries, phrasings) scores of normalised queries per signal (semantic None without encoder)."""
        semantic = None
        if self.encoder is not None:
            semantic = self.encoder.encode(normalized) @ self._vectors.T
        return {"semantic": semantic, "lexical": self._lexical.scores(normalized),
                "fuzzy": self._fuzzy.scores(normalized, workers=workers)}

    def entry_scores(self, by_phrasing: dict[str, np.ndarray | None], normalized: list[str]) -> Scores:
        """Phrasing scores reduced to entries: an entry scores its best phrasing in each signal."""
        def by_entry(m: np.ndarray | None) -> np.ndarray | None:
            return None if m is None else np.maximum.reduceat(m, self._starts, axis=1)

        empty = np.array([not n for n in normalized], dtype=bool)
        return Scores(*(by_entry(by_phrasing[k]) for k in ("semantic", "lexical", "fuzzy")), empty,
                      weight=self.calibration.semantic_weight)

    def _fused(self, by_phrasing: dict[str, np.ndarray | None]) -> np.ndarray:
        """Fused scores per phrasing, to name the phrasing that matched."""
        return Scores(by_phrasing["semantic"], by_phrasing["lexical"], by_phrasing["fuzzy"], np.zeros(1, bool),
                      weight=self.calibration.semantic_weight).fused

    def _suggestions(self, fused: np.ndarray, exclude: int) -> tuple[Suggestion, ...]:
        """The best other entries whose fused score reaches the suggestion bar."""
        order = np.argsort(-fused, kind="stable")[: SUGGESTIONS + 1]
        picks = [int(i) for i in order if i != exclude and fused[i] >= self.calibration.suggest][:SUGGESTIONS]
        return tuple(Suggestion(self.faq.entries[i], float(fused[i])) for i in picks)
