"""Matching a question to an FAQ entry: the FAQ's indexes, the decision, suggestions.

Every phrasing (question and alternates) of every entry is indexed by the encoder, by
character n-grams and for fuzzy matching; an entry scores its best phrasing in each.
Scoring works on batches and the decision is vectorised, so the served single-question
path and `faqbot eval` run exactly the same code.

A small FAQ scores every phrasing. Above `EXACT_MAX` phrasings a question scores only its
candidates, so its cost does not grow with the FAQ: the entries of the phrasings nearest
its encoding and of those sharing its rarest n-grams, every phrasing of each scored
exactly in all three signals. The decision and the suggestions see the candidate entries
only (in entry order, so ties break as over every entry); batches for measurement see the
others as -inf.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import overload

import numpy as np

from faqbot.faq.schema import Entry, Faq
from faqbot.matching.alignment import previous_rows, reused
from faqbot.matching.decision import METHODS, NONE, SEMANTIC, Calibration, Scores, Surface, decide
from faqbot.matching.encoder import Encoder
from faqbot.matching.fuzzy import FuzzyIndex
from faqbot.matching.heap import release_free_memory
from faqbot.matching.index_cache import cached_encode, cached_lexical, keep_lexical
from faqbot.matching.lexical import LexicalIndex, ranges
from faqbot.matching.normalize import normalize
from faqbot.matching.small_talk import small_talk
from faqbot.matching.vector_index import GRAPH_DTYPE, VectorIndex, phrasing_keys

SUGGESTIONS = 3
EXACT_MAX = 1_000  # phrasings scored for every question; above, only candidates
NEAREST = 32  # phrasings nearest the encoding, before adding their entries' others
SHARING = 32  # phrasings sharing most of the query's rare n-grams, likewise


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


class Phrasings(Sequence[str]):
    """Every entry's phrasings (question, then alternates), in entry order, read through the
    entries: a list of them would be one more 100,000-item container for each reload to
    build and hand over."""

    def __init__(self, entries: Sequence[Entry], owner: np.ndarray, starts: np.ndarray) -> None:
        self._entries, self._owner, self._starts = entries, owner, starts

    def __len__(self) -> int:
        return len(self._owner)

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        index = range(len(self))[index]  # negative indices, and IndexError past the end
        entry = int(self._owner[index])
        return self._entries[entry].phrasings[index - int(self._starts[entry])]


class Matcher:
    """Answers questions from one FAQ with an optional encoder and a calibration."""

    def __init__(
        self, faq: Faq, encoder: Encoder | None = None, calibration: Calibration | None = None,
        index_cache: Path | None = None, exact_max: int = EXACT_MAX, previous: Matcher | None = None,
        background: bool = False,
    ) -> None:
        """`previous`: the matcher of the FAQ before an edit, with the same encoder; what it
        computed for unchanged phrasings is reused, so an edit costs what it changed.
        `background`: a large FAQ's HNSW graph is built in a thread, every phrasing scanned
        until it is ready (the served app: answering starts at once)."""
        self.faq = faq
        self.encoder = encoder
        self.calibration = calibration or Calibration()
        sizes = (len(entry.phrasings) for entry in faq.entries)
        self._sizes = np.fromiter(sizes, dtype=np.intp, count=len(faq.entries))  # phrasings per entry
        self.owner = np.repeat(np.arange(len(faq.entries)), self._sizes)  # phrasing -> entry index
        # Phrasings are grouped by entry, so a reduceat over these starts gives entry maxima.
        self._starts = (np.cumsum(self._sizes) - self._sizes).astype(np.intp)
        self.phrasings = Phrasings(faq.entries, self.owner, self._starts)
        self.normalized = faq.phrasing_keys()  # the FAQ's own, as loading validated them, when it has them
        before = None  # each phrasing's row in the previous matcher (-1: new)
        if previous is not None:
            before = previous_rows(self.normalized, previous.normalized)
            # an edit: the n-gram index is updated, not looked up; `keep` stores it for the next start
            self._lexical = LexicalIndex.build(self.normalized, previous._lexical, before)
        else:
            self._lexical = cached_lexical(self.normalized, index_cache)
        if previous is None:
            self.keys = phrasing_keys(self.normalized)
        else:  # the previous matcher's where it had the phrasing
            self.keys = reused(previous.keys, before, lambda new: phrasing_keys([self.normalized[i] for i in new]))
        self._fuzzy = FuzzyIndex(self.normalized, previous._fuzzy if previous else None, before)
        self._vectors = None
        if encoder is not None:
            keep = None if previous is not None else self.keys  # start-up: the cache keeps this FAQ's only

            def encode(rows: np.ndarray) -> np.ndarray:  # from the index cache, or by the encoder
                return cached_encode(encoder, [self.normalized[i] for i in rows], self.keys[rows], index_cache, keep)

            if previous is not None and previous.encoder is encoder and previous._vectors is not None:
                self._vectors = previous._vectors.updated(self.keys, encode, rows=before)
            else:
                graph_file = index_cache / f"graph-{encoder.name}.{GRAPH_DTYPE}.usearch" if index_cache is not None else None
                self._vectors = VectorIndex(encode(np.arange(len(self.keys))), self.keys, graph_file=graph_file,
                                            background=background)
        self._all = np.arange(len(self.phrasings))
        self._every_entry = np.arange(len(faq.entries))
        self.exact_max = exact_max
        self._tagged: dict[frozenset[str], np.ndarray] = {}  # see tagged()
        release_free_memory()  # the temporaries of loading and indexing

    def keep(self, index_cache: Path | None) -> None:
        """Store what a restart reads and an edit's matcher did not store: its n-gram index."""
        keep_lexical(self.normalized, self._lexical, index_cache)

    def containers(self) -> list[Sequence | Mapping]:
        """The large Python containers, always in this order: an edited FAQ's matcher holds
        mostly the same objects in them (faq/handover.py sends only the new ones)."""
        return [self.faq.entries, self.faq.normalized or (), self.normalized, self.faq.files]

    def shared(self) -> dict[str, object]:
        """Objects a matcher built from this one (`previous`) may hold as they are: what
        faq/handover.py sends by name instead of by value."""
        graph = self._vectors.graph if self._vectors is not None else None
        return {name: obj for name, obj in (("encoder", self.encoder), ("graph", graph)) if obj is not None}

    @property
    def exact(self) -> bool:
        """Whether every question scores every phrasing (a small FAQ)."""
        return len(self.phrasings) <= self.exact_max

    def score(self, texts: Sequence[str], workers: int = 1) -> Scores:
        """Entry-level scores for raw texts; `workers` threads for fuzzy matching (-1: all)."""
        normalized = [normalize(t) for t in texts]
        if self.exact:
            return self.entry_scores(self.phrasing_scores(normalized, workers), normalized)
        return Scores.concat([self._widened(*self.entry_level(*self.candidates(q), q)) for q in normalized])

    def match(self, text: str, surface: Surface = "direct", tags: frozenset[str] = frozenset(),
              bar: float | None = None) -> Match:
        """The served path: one question in, the decision for that surface and suggestions out.

        `tags` (lower case): only entries with one of them may answer or be suggested (a
        channel's help desk). The decision is still taken over every entry, so an entry
        outside the tags that fits better keeps the answer from being given: with the others
        hidden, a wrong entry would look confident. `bar`: the confidence to answer, instead
        of the surface's.

        Fuzzy matching can only answer where the confidence does not, so it runs only then,
        for the phrasings that can reach the fuzzy bar, and the entries are scored again only
        when one does (what else they are ranked by does not depend on it)."""
        normalized = normalize(text)
        social = small_talk(normalized)
        if self.exact:
            rows, by_phrasing = self._all, self.phrasing_scores([normalized], workers=1, fuzzy=False)
        else:
            rows, by_phrasing = self.candidates(normalized, fuzzy=False)
        columns, scores = self.entry_level(rows, by_phrasing, normalized)
        decisions = decide(scores, self.calibration, surface, bar)
        if decisions.method[0] != SEMANTIC and normalized and not social:
            cutoff = self.calibration.fuzzy  # ratios below it cannot answer, so they are not worked out
            fuzzy = self._fuzzy.scores([normalized], rows=None if self.exact else rows, cutoff=cutoff)
            if fuzzy.max(initial=0.0) >= cutoff:
                by_phrasing["fuzzy"] = fuzzy
                columns, scores = self.entry_level(rows, by_phrasing, normalized)
                decisions = decide(scores, self.calibration, surface, bar)
        allowed = self.tagged(tags)[columns] if tags else None
        # "thanks!" gets a friendly word, never an entry or three unrelated suggestions
        method, column = (NONE, -1) if social else (int(decisions.method[0]), int(decisions.entry[0]))
        if allowed is not None and column >= 0 and not allowed[column]:
            method, column = NONE, -1  # not this channel's to answer
        index = int(columns[column]) if column >= 0 else -1
        entry = self.faq.entries[index] if index >= 0 else None
        phrasing, score = None, float(scores.best[1][0]) if normalized else 0.0
        if entry is not None:
            signal = self._fused(by_phrasing) if method == SEMANTIC else by_phrasing["fuzzy"]
            members = np.flatnonzero(self.owner[rows] == index)
            phrasing = self.phrasings[rows[members[signal[0, members].argmax()]]]
            score = float(scores.fused[0, column] if method == SEMANTIC else scores.fuzzy[0, column])
        return Match(
            query=text, normalized=normalized, surface=surface, method=METHODS[method], score=score,
            confidence=float(decisions.confidence[0]), entry=entry, phrasing=phrasing,
            suggestions=() if not normalized or social else self._suggestions(scores.fused[0], columns, column, allowed),
            small_talk=social,
        )

    def phrasing_scores(self, normalized: list[str], workers: int, fuzzy: bool = True) -> dict[str, np.ndarray | None]:
        """(queries, phrasings) scores of normalised queries per signal (semantic None without
        encoder; fuzzy 0 unless `fuzzy`)."""
        semantic = None
        if self.encoder is not None:
            semantic = self.encoder.encode(normalized) @ self._vectors.matrix.T
        return {"semantic": semantic, "lexical": self._lexical.scores(normalized),
                "fuzzy": self._fuzzy.scores(normalized, workers=workers) if fuzzy
                else np.zeros((len(normalized), len(self.phrasings)))}

    def candidates(self, normalized: str, fuzzy: bool = True) -> tuple[np.ndarray, dict[str, np.ndarray | None]]:
        """One normalised query's candidate phrasings (every phrasing of each candidate entry,
        grouped by entry) and their (1, rows) scores per signal (fuzzy 0 unless `fuzzy`)."""
        terms = self._lexical.query_terms([normalized])[0]
        found = [self._lexical.candidates(terms, SHARING)]
        vector = None
        if self.encoder is not None:
            vector = self.encoder.encode([normalized])[0]
            found.append(self._vectors.nearest(vector, NEAREST))
        entries = np.unique(self.owner[np.concatenate(found)])
        rows = ranges(self._starts[entries], self._sizes[entries])
        by_phrasing = {
            "semantic": None if vector is None else (self._vectors.take(rows) @ vector)[None, :],
            "lexical": self._lexical.row_scores(terms, rows)[None, :],
            "fuzzy": self._fuzzy.scores([normalized], rows=rows) if fuzzy else np.zeros((1, len(rows))),
        }
        return rows, by_phrasing

    def entry_level(self, rows: np.ndarray, by_phrasing: dict[str, np.ndarray | None],
                  normalized: str) -> tuple[np.ndarray, Scores]:
        """One query's phrasing scores over `rows` reduced to entry level: (the entry of each
        column, the scores). A large FAQ's candidates give one column per candidate entry,
        so deciding costs the same at any FAQ size."""
        if self.exact:
            return self._every_entry, self.entry_scores(by_phrasing, [normalized])
        entries, local = self._groups(rows)

        def by_entry(m: np.ndarray | None) -> np.ndarray | None:
            if m is None:
                return None
            return np.maximum.reduceat(m, local, axis=1) if len(rows) else np.zeros((1, 0), dtype=m.dtype)

        return entries, Scores(by_entry(by_phrasing["semantic"]), by_entry(by_phrasing["lexical"]),
                               by_entry(by_phrasing["fuzzy"]), np.array([not normalized]),
                               weight=self.calibration.semantic_weight)

    def _widened(self, columns: np.ndarray, scores: Scores) -> Scores:
        """Scores of some entries as scores of all, -inf (fuzzy: 0) for the others, for batches."""
        def widen(m: np.ndarray | None, empty: float) -> np.ndarray | None:
            if m is None:
                return None
            out = np.full((len(m), len(self.faq.entries)), empty, dtype=np.float64)
            out[:, columns] = m
            return out

        return replace(scores, semantic=widen(scores.semantic, -np.inf), lexical=widen(scores.lexical, -np.inf),
                       fuzzy=widen(scores.fuzzy, 0.0))

    def _groups(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For phrasings grouped by entry: (their entries, where each entry's group starts in rows)."""
        if not len(rows):
            return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
        owners = self.owner[rows]
        starts = np.flatnonzero(np.concatenate([[True], owners[1:] != owners[:-1]]))
        return owners[starts], starts

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

    def tagged(self, tags: frozenset[str]) -> np.ndarray:
        """(entries,) whether each entry has one of `tags` (lower case); worked out once per
        set of tags, as a channel's desk asks again with every message."""
        mask = self._tagged.get(tags)
        if mask is None:
            mask = np.fromiter((e.has_tag_in(tags) for e in self.faq.entries), dtype=bool, count=len(self.faq.entries))
            self._tagged[tags] = mask
        return mask

    def _suggestions(self, fused: np.ndarray, columns: np.ndarray, exclude: int,
                     allowed: np.ndarray | None = None) -> tuple[Suggestion, ...]:
        """The best other entries whose fused score reaches the suggestion bar; `fused[c]` is
        the score of entry `columns[c]`, column `exclude` is the answer, and only columns
        `allowed` (None: all) may be suggested."""
        if allowed is not None:
            fused = np.where(allowed, fused, -np.inf)
        best = np.arange(len(fused))
        if len(fused) > SUGGESTIONS + 1:
            best = np.argpartition(-fused, SUGGESTIONS)[: SUGGESTIONS + 1]
        order = best[np.lexsort((best, -fused[best]))]  # best first; ties by entry order, as a stable sort
        picks = [int(i) for i in order if i != exclude and fused[i] >= self.calibration.suggest][:SUGGESTIONS]
        return tuple(Suggestion(self.faq.entries[columns[i]], float(fused[i])) for i in picks)
