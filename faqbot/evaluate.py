"""Measuring the served pipeline on labelled queries, and choosing its threshold.

Scores are computed once per query set (by `Matcher.score`, the code that serves); the
metrics at any threshold then re-run only `decide`, so sweeps and calibration are cheap
and measure exactly what users get.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from faqbot.matcher import METHODS, Matcher, Scores, Thresholds, decide

SWEEP_GRID = tuple(round(t, 2) for t in np.linspace(0.0, 1.0, 21))
QUERY_COLUMNS = ("text", "faq_id")


class QueryFileError(ValueError):
    """A queries CSV that cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class Query:
    text: str
    faq_id: str | None  # None: out of scope, the right behaviour is no answer


def load_queries(path: str | Path, known_ids: Sequence[str]) -> list[Query]:
    """Read a `text,faq_id` CSV; every problem is reported, with its line, at once."""
    known = set(known_ids)
    problems: list[str] = []
    queries: list[Query] = []
    try:
        with open(path, newline="", encoding="utf-8") as file:
            reader = csv.DictReader(file)
            missing = [c for c in QUERY_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise QueryFileError(f"{path}:1: header must have columns text,faq_id (missing: {', '.join(missing)})")
            for row in reader:
                line = reader.line_num
                text, faq_id = (row["text"] or "").strip(), (row["faq_id"] or "").strip()
                if not text:
                    problems.append(f"{path}:{line}: empty text")
                elif faq_id and faq_id not in known:
                    problems.append(f"{path}:{line}: faq_id '{faq_id}' is not an entry of the FAQ")
                else:
                    queries.append(Query(text, faq_id or None))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise QueryFileError(f"{path}: cannot read queries: {exc}") from exc
    if problems:
        raise QueryFileError("\n".join(problems))
    if not queries:
        raise QueryFileError(f"{path}: no queries")
    return queries


@dataclass(frozen=True)
class Evaluation:
    """A query set scored by a matcher: gold entries and every score the decision needs."""

    matcher: Matcher
    queries: list[Query]
    gold: np.ndarray  # (queries,) entry index, -1 for out of scope
    scores: Scores

    @property
    def primary_name(self) -> str:
        return "fuzzy" if self.scores.semantic is None else "semantic"


def score_queries(matcher: Matcher, queries: list[Query], workers: int = -1, chunk: int = 1024) -> Evaluation:
    """Score all queries in chunks (bounded memory) with the matcher's own scoring."""
    index = {entry.id: i for i, entry in enumerate(matcher.faq.entries)}
    gold = np.array([index[q.faq_id] if q.faq_id else -1 for q in queries], dtype=np.intp)
    parts = [matcher.score([q.text for q in queries[i : i + chunk]], workers) for i in range(0, len(queries), chunk)]
    return Evaluation(matcher, queries, gold, Scores.concat(parts))


def faq_side_queries(matcher: Matcher) -> Evaluation:
    """Queries made from the FAQ alone, for choosing a threshold before any user has asked.

    Every phrasing of an entry with two or more is asked twice: against the FAQ without
    that phrasing (it should find its entry: in scope) and against the FAQ without its whole
    entry (it should get no answer: out of scope, as a question the FAQ does not cover).
    """
    normalized = matcher.normalized
    semantic, fuzzy = matcher.phrasing_scores(normalized, workers=-1)
    owner = matcher.owner
    asked = np.flatnonzero(np.bincount(owner)[owner] >= 2)
    itself = np.zeros((len(asked), len(owner)), dtype=bool)
    itself[np.arange(len(asked)), asked] = True
    own_entry = owner[asked][:, None] == owner[None, :]

    def hide(matrix: np.ndarray | None, mask: np.ndarray) -> np.ndarray | None:
        return None if matrix is None else np.where(mask, -np.inf, matrix[asked])

    def without(mask: np.ndarray) -> Scores:
        return matcher.entry_scores(hide(semantic, mask), hide(fuzzy, mask), [normalized[i] for i in asked])

    scores = Scores.concat([without(itself), without(own_entry)])
    texts = [matcher.phrasings[i] for i in asked]
    entries = matcher.faq.entries
    queries = [Query(t, entries[owner[i]].id) for t, i in zip(texts, asked)] + [Query(t, None) for t in texts]
    gold = np.concatenate([owner[asked], np.full(len(asked), -1)])
    return Evaluation(matcher, queries, gold, scores)


def with_primary(evaluation: Evaluation, thresholds: Thresholds, value: float) -> Thresholds:
    """Thresholds with the primary matcher's (the encoder's, else fuzzy) set to `value`."""
    return replace(thresholds, **{evaluation.primary_name: value})


def ranking_metrics(evaluation: Evaluation) -> dict[str, float]:
    """top1 and MRR of in-scope queries, ranking entries by the primary scores.

    Ties rank in FAQ order, as the served argmax does; an empty query has no rank.
    """
    in_scope = evaluation.gold >= 0
    scores = evaluation.scores.primary[in_scope]
    gold = evaluation.gold[in_scope]
    if len(gold) == 0:
        return {"top1": float("nan"), "mrr": float("nan")}
    correct = scores[np.arange(len(gold)), gold][:, None]
    earlier = np.arange(scores.shape[1])[None, :] < gold[:, None]
    rank = 1 + (scores > correct).sum(axis=1) + ((scores == correct) & earlier).sum(axis=1)
    reciprocal = np.where(evaluation.scores.empty[in_scope], 0.0, 1.0 / rank)
    return {"top1": float((reciprocal == 1.0).mean()), "mrr": float(reciprocal.mean())}


def decision_metrics(evaluation: Evaluation, thresholds: Thresholds) -> dict[str, Any]:
    """What the pipeline does at these thresholds, counted against the gold labels."""
    decisions = decide(evaluation.scores, thresholds)
    gold = evaluation.gold
    answered = decisions.entry >= 0
    in_scope = gold >= 0
    right = answered & (decisions.entry == gold)
    n, n_oos = len(gold), int((~in_scope).sum())
    methods = {}
    for code, name in enumerate(METHODS):
        chosen = decisions.method == code
        methods[name] = {"count": int(chosen.sum()), "correct": int((chosen & (decisions.entry == gold)).sum())}
    return {
        "threshold": getattr(thresholds, evaluation.primary_name),
        "answered_correct": _ratio(right.sum(), in_scope.sum()),
        "oos_recall": _ratio((~in_scope & ~answered).sum(), n_oos),
        "wrong_answer_rate": _ratio((answered & ~right).sum(), n),
        "decision_accuracy": _ratio(right.sum() + (~in_scope & ~answered).sum(), n),
        "coverage": _ratio(answered.sum(), n),
        "methods": methods,
    }


def _ratio(part: int, whole: int) -> float:
    return float(part) / float(whole) if whole else float("nan")


def sweep(evaluation: Evaluation, thresholds: Thresholds, grid: Sequence[float] = SWEEP_GRID) -> list[dict[str, Any]]:
    """Decision metrics across values of the primary threshold."""
    return [decision_metrics(evaluation, with_primary(evaluation, thresholds, t)) for t in grid]


def calibrate(evaluation: Evaluation, thresholds: Thresholds) -> float:
    """The primary threshold that maximises decision accuracy on this query set.

    Decisions only change at the queries' best scores, so the candidates are the midpoints
    between consecutive distinct scores (and one below and above them all); among equally
    good ones the highest wins, as it answers least wrongly.
    """
    best = evaluation.scores.primary_best[1]
    best = np.unique(best[np.isfinite(best)])  # -inf: every entry hidden (FAQ-side queries)
    candidates = np.concatenate([[best[0] - 0.01], (best[:-1] + best[1:]) / 2, [best[-1] + 0.01]])
    accuracy = [
        decision_metrics(evaluation, with_primary(evaluation, thresholds, float(t)))["decision_accuracy"]
        for t in candidates
    ]
    top = np.flatnonzero(np.isclose(accuracy, np.max(accuracy)))[-1]
    return round(float(candidates[top]), 4)


def latency_ms(matcher: Matcher, texts: Sequence[str], sample: int = 300) -> dict[str, float]:
    """p50 and p99 of the served single-question path over an evenly spread sample."""
    picks = np.linspace(0, len(texts) - 1, num=min(sample, len(texts))).astype(int)
    times = []
    for i in picks:
        start = time.perf_counter()
        matcher.match(texts[i])
        times.append((time.perf_counter() - start) * 1000.0)
    return {"ms_per_query_p50": float(np.percentile(times, 50)), "ms_per_query_p99": float(np.percentile(times, 99))}


def report(evaluation: Evaluation, thresholds: Thresholds, latency_sample: int = 300) -> dict[str, Any]:
    """All metrics of `faqbot eval` at the given thresholds."""
    texts = [q.text for q in evaluation.queries]
    return {
        "n": len(evaluation.queries),
        "n_oos": int((evaluation.gold < 0).sum()),
        "n_entries": len(evaluation.matcher.faq),
        "n_phrasings": sum(len(e.phrasings) for e in evaluation.matcher.faq.entries),
        "primary": evaluation.primary_name,
        "thresholds": {"semantic": thresholds.semantic, "fuzzy": thresholds.fuzzy},
        **ranking_metrics(evaluation),
        **decision_metrics(evaluation, thresholds),
        **latency_ms(evaluation.matcher, texts, latency_sample),
    }
