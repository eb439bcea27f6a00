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

from faqbot.matching.decision import METHODS, Calibration, Scores, Surface, confidences, decide
from faqbot.matching.matcher import Matcher

SWEEP_GRID = tuple(round(t, 2) for t in np.linspace(0.0, 1.0, 21))
QUERY_COLUMNS = ("text", "faq_id")
PREDICTION_COLUMNS = ("text", "faq_id", "top_id", "confidence", "answered_id", "method")


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
        with open(path, newline="", encoding="utf-8-sig") as file:  # -sig: Excel's "CSV UTF-8" starts with a BOM
            reader = csv.DictReader(file, strict=True)  # an unterminated quote is an error, not merged rows
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


def score_queries(matcher: Matcher, queries: list[Query], workers: int = -1, chunk: int = 1024) -> Evaluation:
    """Score all queries in chunks (bounded memory) with the matcher's own scoring."""
    index = {entry.id: i for i, entry in enumerate(matcher.faq.entries)}
    gold = np.array([index[q.faq_id] if q.faq_id else -1 for q in queries], dtype=np.intp)
    parts = [matcher.score([q.text for q in queries[i : i + chunk]], workers) for i in range(0, len(queries), chunk)]
    return Evaluation(matcher, queries, gold, Scores.concat(parts))


def with_weight(evaluation: Evaluation, weight: float) -> Evaluation:
    """The same evaluation with the encoder's share of the fused score set to `weight`."""
    return replace(evaluation, scores=replace(evaluation.scores, weight=weight))


def ranking_metrics(evaluation: Evaluation) -> dict[str, float]:
    """top1 and MRR of in-scope queries, ranking entries by the fused score.

    Ties rank in FAQ order, as the served argmax does; an empty query has no rank.
    """
    in_scope = evaluation.gold >= 0
    scores = evaluation.scores.fused[in_scope]
    gold = evaluation.gold[in_scope]
    if len(gold) == 0:
        return {"top1": float("nan"), "mrr": float("nan")}
    correct = scores[np.arange(len(gold)), gold][:, None]
    earlier = np.arange(scores.shape[1])[None, :] < gold[:, None]
    rank = 1 + (scores > correct).sum(axis=1) + ((scores == correct) & earlier).sum(axis=1)
    reciprocal = np.where(evaluation.scores.empty[in_scope], 0.0, 1.0 / rank)
    return {"top1": float((reciprocal == 1.0).mean()), "mrr": float(reciprocal.mean())}


def decision_metrics(evaluation: Evaluation, calibration: Calibration, surface: Surface = "direct",
                     bar: float | None = None) -> dict[str, Any]:
    """What the pipeline does on a surface (at its bar, or at `bar`), counted against the gold labels."""
    decisions = decide(evaluation.scores, calibration, surface, bar)
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
        "threshold": calibration.bar(surface) if bar is None else bar,
        "answered_correct": _ratio(right.sum(), in_scope.sum()),
        "oos_recall": _ratio((~in_scope & ~answered).sum(), n_oos),
        "wrong_answer_rate": _ratio((answered & ~right).sum(), n),
        "wrong_answer_share": _ratio((answered & ~right).sum(), answered.sum()),
        "decision_accuracy": _ratio(right.sum() + (~in_scope & ~answered).sum(), n),
        "coverage": _ratio(answered.sum(), n),
        "methods": methods,
    }


def _ratio(part: int, whole: int) -> float:
    return float(part) / float(whole) if whole else float("nan")


def _at_every_bar(evaluation: Evaluation, calibration: Calibration) -> list[tuple[float, dict[str, Any]]]:
    """The direct surface's metrics at every bar where some decision changes: the distinct
    confidences, and one above them all."""
    bars = np.append(np.unique(confidences(evaluation.scores, calibration)), np.inf)
    return [(float(b), decision_metrics(evaluation, calibration, bar=float(b))) for b in bars]


def coverages_at_precision(evaluation: Evaluation, calibration: Calibration,
                           precisions: Sequence[float]) -> list[float]:
    """For each precision: the share of in-scope queries answered correctly at the best bar whose
    answers (out-of-scope answers counting as wrong) are at least that right; 0 when no bar gets there.
    One pass over the bars serves every precision."""
    rows = _at_every_bar(evaluation, calibration)
    return [max((m["answered_correct"] for _, m in rows
                 if m["coverage"] > 0 and 1.0 - m["wrong_answer_share"] >= p), default=0.0) for p in precisions]


def coverage_at_precision(evaluation: Evaluation, calibration: Calibration, precision: float) -> float:
    """`coverages_at_precision` for one precision."""
    return coverages_at_precision(evaluation, calibration, [precision])[0]


def sweep(evaluation: Evaluation, calibration: Calibration, grid: Sequence[float] = SWEEP_GRID) -> list[dict[str, Any]]:
    """Decision metrics of the direct surface across bars."""
    return [decision_metrics(evaluation, calibration, bar=t) for t in grid]


def best_bar(evaluation: Evaluation, calibration: Calibration) -> float:
    """The direct bar with the best decision accuracy on these queries (hindsight when they are
    the test queries); the highest among equals, as it answers least wrongly."""
    rows = _at_every_bar(evaluation, calibration)
    accuracy = [m["decision_accuracy"] for _, m in rows]
    top = np.flatnonzero(np.isclose(accuracy, np.max(accuracy)))
    finite = [rows[i][0] for i in top if np.isfinite(rows[i][0])]
    return round(finite[-1], 4) if finite else 1.0


def write_predictions(evaluation: Evaluation, calibration: Calibration, path: Path) -> None:
    """One CSV row per query: gold, best entry, confidence, the direct surface's answer, method."""
    decisions = decide(evaluation.scores, calibration, "direct")
    top, _ = evaluation.scores.best
    ids = [e.id for e in evaluation.matcher.faq.entries]
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(PREDICTION_COLUMNS)
        for i, query in enumerate(evaluation.queries):
            empty = bool(evaluation.scores.empty[i])
            answered = int(decisions.entry[i])
            writer.writerow([query.text, query.faq_id or "", "" if empty else ids[top[i]],
                             f"{decisions.confidence[i]:.4f}", ids[answered] if answered >= 0 else "",
                             METHODS[decisions.method[i]]])


def latency_ms(matcher: Matcher, texts: Sequence[str], sample: int = 300) -> dict[str, float]:
    """p50 and p99 of the served single-question path over an evenly spread sample."""
    picks = np.linspace(0, len(texts) - 1, num=min(sample, len(texts))).astype(int)
    times = []
    for i in picks:
        start = time.perf_counter()
        matcher.match(texts[i])
        times.append((time.perf_counter() - start) * 1000.0)
    return {"ms_per_query_p50": float(np.percentile(times, 50)), "ms_per_query_p99": float(np.percentile(times, 99))}


def report(evaluation: Evaluation, calibration: Calibration, latency_sample: int = 300) -> dict[str, Any]:
    """All metrics of `faqbot eval`: the direct surface is the operating point; the channel's beside it."""
    texts = [q.text for q in evaluation.queries]
    channel = decision_metrics(evaluation, calibration, "channel")
    at_90, at_95 = coverages_at_precision(evaluation, calibration, (0.90, 0.95))
    return {
        "n": len(evaluation.queries),
        "n_oos": int((evaluation.gold < 0).sum()),
        "n_entries": len(evaluation.matcher.faq),
        "n_phrasings": sum(len(e.phrasings) for e in evaluation.matcher.faq.entries),
        "encoder": evaluation.matcher.encoder is not None,
        **ranking_metrics(evaluation),
        **decision_metrics(evaluation, calibration, "direct"),
        "coverage_at_90": at_90,
        "coverage_at_95": at_95,
        "channel": {k: channel[k] for k in ("threshold", "answered_correct", "coverage", "wrong_answer_share")},
        **latency_ms(evaluation.matcher, texts, latency_sample),
    }
