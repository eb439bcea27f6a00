"""Whether to answer: a confidence per question, and how much of it each surface needs.

Entries are ranked by the fused score, w·encoder cosine + (1 − w)·lexical cosine. The
confidence is a logistic model over the best fused score and its margin to the runner-up,
fitted on the FAQ alone by `faqbot calibrate` (calibration.py), so it reads as the chance
that the best entry is the right answer. A channel reply nobody asked for needs a higher
confidence than a DM, an @mention or `/faq`, where someone asked the bot directly and a
"Did you mean" follows a miss. Guarded fuzzy matching (fuzzy.py) answers typos and
near-verbatim phrasings the confidence misses.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal

import numpy as np

from faqbot.atomic_file import write_atomically
from faqbot.matching.encoder import Encoder

Surface = Literal["channel", "direct"]
METHODS = ("none", "semantic", "fuzzy")  # index = method code in Decisions
NONE, SEMANTIC, FUZZY = range(3)
FEATURES = ("score", "margin")
# Encoder share of the fused score. Zero-shot top-1 with the bundled model (dev protocols):
# Banking77-OOS 0.671 (encoder) / 0.614 (lexical) -> 0.710 fused at 0.6; StackFAQ 0.784 /
# 0.728 -> 0.814 at 0.6 (0.816 at 0.5, 0.812 at 0.7).
SEMANTIC_WEIGHT = 0.6
CALIBRATION_FORMAT = 1


class CalibrationError(ValueError):
    """A calibration file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class Calibration:
    """The confidence model and each surface's bar; `faqbot calibrate` writes one per FAQ.

    The defaults are what `faqbot calibrate` chose for the sample FAQ and the bundled model
    (`faq_data/calibration.json`; a test holds them equal).
    """

    coef: tuple[float, ...] = (3.3813, 3.97)  # over FEATURES
    intercept: float = -2.2525
    channel: float = 0.84  # confidence to answer unasked in a channel (high precision)
    direct: float = 0.5  # confidence to answer a DM, an @mention or /faq
    fuzzy: float = 0.9  # guarded fuzzy ratio that answers when the confidence does not
    suggest: float = 0.35  # fused score an entry needs to be offered as "Did you mean"
    semantic_weight: float = 0.8  # encoder share of the fused score
    model: str | None = "lstm-ca11a2f67241d954"  # name of the encoder it was fitted with (None: no encoder)
    fitted: dict = field(default_factory=dict)  # how it was chosen, for people reading the file

    def bar(self, surface: Surface) -> float:
        return self.channel if surface == "channel" else self.direct

    def fits(self, encoder: Encoder | None) -> bool:
        """Whether it was fitted with this encoder (None: none); another's scores mean something else."""
        return self.model == (encoder.name if encoder else None)

    def confidence(self, features: np.ndarray) -> np.ndarray:
        """(n,) chance that the best entry is right, from (n, len(FEATURES)) features."""
        z = features @ np.asarray(self.coef) + self.intercept
        return 0.5 * (np.tanh(0.5 * z) + 1.0)  # the sigmoid, without overflow

    def save(self, path: Path) -> None:
        """Write as JSON (temp file, then rename: a reader never sees half a file)."""
        data = {"format": CALIBRATION_FORMAT, "features": list(FEATURES), **asdict(self)}
        write_atomically(path, lambda tmp: tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8"))

    @classmethod
    def load(cls, path: Path) -> Calibration:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CalibrationError(f"{path}: cannot read the calibration: {exc}") from exc
        if not isinstance(data, dict) or data.get("format") != CALIBRATION_FORMAT or data.get("features") != list(FEATURES):
            raise CalibrationError(f"{path}: not a calibration written by this faqbot's `faqbot calibrate`")
        try:
            calibration = cls(
                coef=tuple(float(c) for c in data["coef"]), intercept=float(data["intercept"]),
                **{k: float(data[k]) for k in ("channel", "direct", "fuzzy", "suggest")},
                semantic_weight=float(data.get("semantic_weight", SEMANTIC_WEIGHT)),
                model=data.get("model"), fitted=dict(data.get("fitted") or {}),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CalibrationError(f"{path}: calibration field missing or not a number: {exc}") from exc
        values = [*calibration.coef, calibration.intercept, calibration.channel, calibration.direct]
        if len(calibration.coef) != len(FEATURES) or not all(math.isfinite(v) for v in values):
            raise CalibrationError(f"{path}: calibration has {len(calibration.coef)} coefficients or a non-finite value")
        return calibration


@dataclass(frozen=True)
class Scores:
    """Entry-level scores of a batch of queries: (queries, entries) per signal."""

    semantic: np.ndarray | None  # encoder cosines; None when no encoder is configured
    lexical: np.ndarray  # character n-gram TF-IDF cosines
    fuzzy: np.ndarray  # guarded fuzzy ratios in [0, 1]
    empty: np.ndarray  # (queries,) True where the query normalised to nothing
    weight: float = SEMANTIC_WEIGHT  # encoder share of the fused score

    @classmethod
    def concat(cls, parts: Sequence[Scores]) -> Scores:
        """One batch from several (chunks of a query set, or its in- and out-of-scope halves)."""
        semantic = None if parts[0].semantic is None else np.concatenate([p.semantic for p in parts])
        arrays = (np.concatenate([getattr(p, k) for p in parts]) for k in ("lexical", "fuzzy", "empty"))
        return cls(semantic, *arrays, weight=parts[0].weight)

    @cached_property
    def fused(self) -> np.ndarray:
        """The score that ranks entries: encoder and lexical cosines fused (lexical alone without encoder)."""
        if self.semantic is None:
            return self.lexical
        return self.weight * self.semantic + (1.0 - self.weight) * self.lexical

    @cached_property
    def best(self) -> tuple[np.ndarray, np.ndarray]:
        """Best entry and its fused score per query (-1 and -inf where no entry was scored)."""
        return _best(self.fused, -np.inf)

    @cached_property
    def features(self) -> np.ndarray:
        """(queries, len(FEATURES)): best fused score, and its margin over the runner-up.

        Scores of -inf (entries hidden by FAQ-side calibration) count as 0: nothing there.
        """
        fused = np.where(np.isfinite(self.fused), self.fused, 0.0)
        if fused.shape[1] < 2:
            top = fused.max(axis=1, initial=0.0)
            return np.column_stack([top, top])
        two = -np.partition(-fused, 1, axis=1)[:, :2]
        return np.column_stack([two[:, 0], two[:, 0] - two[:, 1]])

    @cached_property
    def fuzzy_best(self) -> tuple[np.ndarray, np.ndarray]:
        return _best(self.fuzzy, 0.0)


def _best(scores: np.ndarray, nothing: float) -> tuple[np.ndarray, np.ndarray]:
    """(queries,) column of the best score and the score; -1 and `nothing` without columns
    (a large FAQ's question that shares nothing with any phrasing)."""
    if not scores.shape[1]:
        return np.full(len(scores), -1), np.full(len(scores), nothing)
    top = scores.argmax(axis=1)
    return top, scores[np.arange(len(scores)), top]


@dataclass(frozen=True)
class Decisions:
    """What the pipeline does with each query of a batch."""

    method: np.ndarray  # (queries,) codes into METHODS
    entry: np.ndarray  # (queries,) entry index, -1 for no answer
    confidence: np.ndarray  # (queries,) the confidence model's output, answered or not


def confidences(scores: Scores, calibration: Calibration) -> np.ndarray:
    """(queries,) confidence in the best entry; 0 for an empty query."""
    return np.where(scores.empty, 0.0, calibration.confidence(scores.features))


def decide(scores: Scores, calibration: Calibration, surface: Surface, bar: float | None = None) -> Decisions:
    """Answer with the best entry if its confidence reaches the surface's bar (or `bar`);
    else with the best fuzzy phrasing if its guarded ratio reaches the fuzzy bar; else none."""
    bar = calibration.bar(surface) if bar is None else bar
    confidence = confidences(scores, calibration)
    top, _ = scores.best
    fuzzy_top, fuzzy_score = scores.fuzzy_best
    sure = (confidence >= bar) & ~scores.empty & (top >= 0)
    by_fuzzy = ~sure & (fuzzy_score >= calibration.fuzzy) & ~scores.empty & (fuzzy_top >= 0)
    method = np.where(sure, SEMANTIC, np.where(by_fuzzy, FUZZY, NONE))
    entry = np.where(sure, top, np.where(by_fuzzy, fuzzy_top, -1))
    return Decisions(method, entry, confidence)
