"""Fitting the confidence and each surface's bar on the FAQ alone (`faqbot calibrate`).

Before anyone has asked, the FAQ's own alternates are the only labelled questions. Every
phrasing of an entry with two or more is asked twice: against the FAQ without that
phrasing (it should find its entry: in scope) and against the FAQ without its whole entry
(it should get no answer: a question the FAQ does not cover). A logistic model over the
decision's features learns from these which best entries are right; then

- the direct bar (DMs, @mentions, /faq) maximises decision accuracy with out-of-scope
  questions weighted as `DIRECT_OUT_OF_SCOPE` of all, since people who ask the bot
  mostly ask about what it knows, among bars of at least `DIRECT_MIN`: below an even
  chance the best entry is more likely wrong than right, and "Did you mean" (which offers
  it with the next ones) serves better than a wrong answer. Decision accuracy counts both
  as misses, so without the floor a small FAQ whose held-out alternates are seldom found
  got a bar of 0.18 and answered 65 of 150 programming questions in a DM (2 at 0.5);
- the channel bar is the lowest at which answers are right `CHANNEL_PRECISION` of the
  time with in- and out-of-scope weighted equally, since many channel questions are not
  FAQ questions and an unasked wrong answer costs most. Held-out alternates are harder
  than real questions (an entry loses one of its few phrasings), yet easier to refuse than
  channel chatter (an out-of-scope alternate is still an FAQ-like question), so the
  estimate cuts both ways: with the bundled model, 85% gave a channel bar of 0.71 on the
  sample FAQ and 8 of the 682 chatter messages a public answer ("anyone up for coffee?"
  among them); 90% gives 0.84 and the chatter protocol's figures in BENCHMARKS.md.

It also chooses the encoder's share of the fused score among `SEMANTIC_WEIGHTS`, by how
well the held-out alternates are ranked. Everything is deterministic: the same FAQ and
model always give the same calibration. scikit-learn is imported here only; serving
applies the fitted coefficients in NumPy.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from faqbot.matching.decision import Calibration, Scores
from faqbot.matching.matcher import Matcher

DIRECT_OUT_OF_SCOPE = 0.2
DIRECT_MIN = 0.5  # the direct bar is never lower: the best entry must be more likely right than wrong
CHANNEL_PRECISION = 0.9
SEMANTIC_WEIGHTS = (0.5, 0.6, 0.7, 0.8)  # encoder shares of the fused score to choose from
MIN_UNSEEN = 20  # held-out phrasings enough to calibrate on them alone
MAX_ASKED = 4000  # phrasings asked in a large FAQ (every phrasing would take hours): evenly spread, fixed
# Asking every phrasing against every other takes (phrasings)^2 scores: past this, only on request.
MAX_PHRASINGS_AT_START = 2000
BARS = np.round(np.arange(0.05, 1.0, 0.01), 2)  # candidate bars: coarse enough to be stable


@dataclass(frozen=True)
class FaqSide:
    """Questions made from the FAQ alone: their scores and gold entries (-1: out of scope).

    In a large FAQ each question is scored against its candidates only: `columns[q, c]` is
    the entry of score column c (-1: padding); otherwise column c is entry c."""

    texts: list[str]
    gold: np.ndarray
    scores: Scores
    columns: np.ndarray | None = None

    def entries(self, local: np.ndarray) -> np.ndarray:
        """The entry of each question's column `local[q]`."""
        return local if self.columns is None else self.columns[np.arange(len(local)), local]

    def gold_columns(self) -> np.ndarray:
        """The column of each question's gold entry; -1 when out of scope or not a candidate."""
        if self.columns is None:
            return self.gold
        hit = (self.columns == self.gold[:, None]) & (self.gold[:, None] >= 0)
        return np.where(hit.any(axis=1), hit.argmax(axis=1), -1)


def faq_side(matcher: Matcher) -> FaqSide:
    """Each phrasing of an entry with two or more, asked without itself and without its entry.

    A model fine-tuned on this FAQ has learnt its phrasings, so they would look easier than
    real questions; when its training held some out (the `finetune` preset holds one per
    entry), only those are asked.
    """
    normalized = matcher.normalized
    owner = matcher.owner
    eligible = np.bincount(owner)[owner] >= 2
    unseen = np.array([t in getattr(matcher.encoder, "held_out_texts", ()) for t in normalized], dtype=bool)
    if (eligible & unseen).sum() >= MIN_UNSEEN:
        eligible &= unseen
    asked = np.flatnonzero(eligible)
    if not matcher.exact:
        return _candidate_side(matcher, asked[np.unique(np.linspace(0, len(asked) - 1, MAX_ASKED).astype(int))]
                               if len(asked) > MAX_ASKED else asked)
    by_phrasing = matcher.phrasing_scores(normalized, workers=-1)
    itself = np.zeros((len(asked), len(owner)), dtype=bool)
    itself[np.arange(len(asked)), asked] = True
    own_entry = owner[asked][:, None] == owner[None, :]

    def without(mask: np.ndarray) -> Scores:
        hidden = {k: None if m is None else np.where(mask, -np.inf, m[asked]) for k, m in by_phrasing.items()}
        return matcher.entry_scores(hidden, [normalized[i] for i in asked])

    scores = Scores.concat([without(itself), without(own_entry)])
    texts = [matcher.phrasings[i] for i in asked]
    return FaqSide(texts * 2, np.concatenate([owner[asked], np.full(len(asked), -1)]), scores)


def _candidate_side(matcher: Matcher, asked: np.ndarray) -> FaqSide:
    """faq_side for a large FAQ: each asked phrasing scored against its candidates (as the
    served path scores a question), with itself, then its whole entry, hidden. Memory grows
    with the questions asked, not with the FAQ."""
    owner = matcher.owner
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # per question: entries, encoder, n-gram maxima
    for hide_entry in (False, True):
        for i in asked:
            rows, by_phrasing = matcher.candidates(matcher.normalized[i], fuzzy=False)  # the fit uses no fuzzy
            keep = owner[rows] != owner[i] if hide_entry else rows != i
            kept = {name: None if m is None else m[:, keep] for name, m in by_phrasing.items()}
            entries, scores = matcher.entry_level(rows[keep], kept, matcher.normalized[i])
            found.append((entries, None if scores.semantic is None else scores.semantic[0], scores.lexical[0]))
    width = max(1, *(len(e) for e, *_ in found))
    columns = np.full((len(found), width), -1, dtype=np.intp)
    semantic = np.full((len(found), width), -np.inf) if matcher.encoder is not None else None
    lexical = np.full((len(found), width), -np.inf)
    for q, (entries, sem, lex) in enumerate(found):
        columns[q, : len(entries)] = entries
        lexical[q, : len(entries)] = lex
        if semantic is not None:
            semantic[q, : len(entries)] = sem
    scores = Scores(semantic, lexical, np.zeros_like(lexical), np.zeros(len(found), dtype=bool),
                    weight=matcher.calibration.semantic_weight)
    texts = [matcher.phrasings[i] for i in asked]
    return FaqSide(texts * 2, np.concatenate([owner[asked], np.full(len(asked), -1)]), scores, columns)


def fit(matcher: Matcher, direct_out_of_scope: float = DIRECT_OUT_OF_SCOPE,
        channel_precision: float = CHANNEL_PRECISION, semantic_weight: float | None = None,
        direct_min: float = DIRECT_MIN) -> Calibration:
    """A calibration for this matcher's FAQ and encoder; ValueError when the FAQ cannot teach one.
    `semantic_weight`: keep this share of the encoder in the fused score instead of choosing one."""
    from sklearn.linear_model import LogisticRegression

    side = faq_side(matcher)
    if len(side.gold) == 0:
        raise ValueError("no entry has two phrasings: add alternates to calibrate on the FAQ")
    weight = semantic_weight
    if weight is None:
        weight = _semantic_weight(side) if matcher.encoder is not None else matcher.calibration.semantic_weight
    side = replace(side, scores=replace(side.scores, weight=weight))
    top = side.entries(side.scores.best[0])
    right = (top == side.gold) & (side.gold >= 0)
    if right.all() or not right.any():
        raise ValueError("the FAQ's alternates are all found, or none is: too few to learn a confidence from")
    features = side.scores.features
    weights = _weights(side.gold, direct_out_of_scope)
    model = LogisticRegression(C=1.0).fit(features, right, sample_weight=weights)
    calibration = replace(matcher.calibration, coef=tuple(round(float(c), 4) for c in model.coef_[0]),
                          intercept=round(float(model.intercept_[0]), 4), semantic_weight=weight,
                          model=matcher.encoder.name if matcher.encoder else None)
    confidence = np.where(side.scores.empty, 0.0, calibration.confidence(features))
    direct = _best_accuracy_bar(confidence, right, side.gold, weights, BARS[BARS >= direct_min])
    channel = _precision_bar(confidence, right, _weights(side.gold, 0.5), channel_precision)
    found = float(right.sum() / (side.gold >= 0).sum())
    fitted = {"faq_side_questions": int(len(side.gold)), "in_scope_found": round(found, 4),
              "direct_out_of_scope": direct_out_of_scope, "direct_min": direct_min,
              "channel_precision": channel_precision}
    return replace(calibration, direct=direct, channel=max(channel, direct), fitted=fitted)


def _semantic_weight(side: FaqSide) -> float:
    """The encoder's share of the fused score that ranks the held-out alternates best (MRR);
    a fine-tuned encoder earns more than a zero-shot one. Ties keep the lower share."""
    in_scope = side.gold >= 0
    gold = side.gold_columns()[in_scope]  # -1: the gold entry was not among the candidates
    best, chosen = -1.0, SEMANTIC_WEIGHTS[0]
    for weight in SEMANTIC_WEIGHTS:
        fused = replace(side.scores, weight=weight).fused[in_scope]
        rank = 1 + (fused > fused[np.arange(len(gold)), np.maximum(gold, 0)][:, None]).sum(axis=1)
        mrr = round(float(np.where(gold >= 0, 1.0 / rank, 0.0).mean()), 4)
        if mrr > best:
            best, chosen = mrr, weight
    return chosen


def _weights(gold: np.ndarray, out_of_scope: float) -> np.ndarray:
    """Per-question weights, averaging 1, that make out-of-scope questions `out_of_scope` of the total."""
    oos = gold < 0
    return len(gold) * np.where(oos, out_of_scope / max(oos.sum(), 1), (1 - out_of_scope) / max((~oos).sum(), 1))


def _best_accuracy_bar(confidence: np.ndarray, right: np.ndarray, gold: np.ndarray, weights: np.ndarray,
                       bars: np.ndarray = BARS) -> float:
    """The bar among `bars` with the best weighted decision accuracy; the middle one of a tie, for stability."""
    answered = confidence[None, :] >= bars[:, None]  # (bars, questions)
    correct = np.where(answered, right[None, :], gold[None, :] < 0)
    accuracy = np.round(correct @ weights, 6)
    tied = np.flatnonzero(accuracy == accuracy.max())
    return float(bars[tied[len(tied) // 2]])


def _precision_bar(confidence: np.ndarray, right: np.ndarray, weights: np.ndarray, precision: float) -> float:
    """The lowest bar whose answers are right at least `precision` of the time (weighted); the
    highest bar when none is."""
    answered = confidence[None, :] >= BARS[:, None]
    total = answered @ weights
    share = np.divide(answered @ (weights * right), total, out=np.zeros_like(total), where=total > 0)
    passing = np.flatnonzero(share >= precision)
    return float(BARS[passing[0]]) if len(passing) else float(BARS[-1])
