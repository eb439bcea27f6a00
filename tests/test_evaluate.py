from pathlib import Path

import numpy as np
import pytest

from faqbot.evaluate import (
    Evaluation,
    Query,
    QueryFileError,
    calibrate,
    decision_metrics,
    faq_side_queries,
    load_queries,
    ranking_metrics,
    score_queries,
    sweep,
)
from faqbot.faq import load_faq
from faqbot.matching.matcher import Matcher, Scores, Thresholds
from tests.conftest import ConceptEncoder, write

# Five queries, three entries, worked by hand (semantic threshold 0.8, fuzzy 0.9):
#   q0 gold 0: semantic 0.90 -> entry 0, right          rank 1
#   q1 gold 1: semantic 0.85 -> entry 0, wrong          rank 2
#   q2 gold 2: semantic 0.50 low, fuzzy 0.95 -> 2 right rank 1
#   q3 out of scope: nothing passes -> right abstention
#   q4 out of scope: semantic 0.82 -> entry 0, wrong
SEMANTIC = [[0.9, 0.1, 0.2], [0.85, 0.7, 0.1], [0.3, 0.2, 0.5], [0.4, 0.3, 0.2], [0.82, 0.1, 0.1]]
FUZZY = [[0.5, 0.1, 0.1], [0.2, 0.6, 0.1], [0.1, 0.2, 0.95], [0.5, 0.5, 0.5], [0.3, 0.1, 0.1]]
GOLD = [0, 1, 2, -1, -1]
THRESHOLDS = Thresholds(semantic=0.8, fuzzy=0.9)


@pytest.fixture
def hand() -> Evaluation:
    scores = Scores(np.array(SEMANTIC), np.array(FUZZY), np.zeros(5, dtype=bool))
    queries = [Query(f"q{i}", None) for i in range(5)]
    return Evaluation(matcher=None, queries=queries, gold=np.array(GOLD), scores=scores)


def test_ranking_metrics_by_hand(hand: Evaluation) -> None:
    assert ranking_metrics(hand) == pytest.approx({"top1": 2 / 3, "mrr": (1 + 1 / 2 + 1) / 3})


def test_decision_metrics_by_hand(hand: Evaluation) -> None:
    m = decision_metrics(hand, THRESHOLDS)
    assert m["threshold"] == 0.8
    assert m["answered_correct"] == pytest.approx(2 / 3)
    assert m["oos_recall"] == pytest.approx(1 / 2)
    assert m["wrong_answer_rate"] == pytest.approx(2 / 5)
    assert m["decision_accuracy"] == pytest.approx(3 / 5)
    assert m["coverage"] == pytest.approx(4 / 5)
    assert m["methods"] == {
        "none": {"count": 1, "correct": 1},
        "semantic": {"count": 3, "correct": 1},
        "fuzzy": {"count": 1, "correct": 1},
    }


def test_calibrate_maximises_decision_accuracy(hand: Evaluation) -> None:
    # Above 0.85 q1 and q4 abstain: 4/5 right. The optimal band is (0.85, 0.9); midpoint 0.875.
    assert calibrate(hand, THRESHOLDS) == 0.875
    assert decision_metrics(hand, Thresholds(0.875, 0.9))["decision_accuracy"] == pytest.approx(4 / 5)


def test_sweep_moves_the_primary_threshold_only(hand: Evaluation) -> None:
    rows = sweep(hand, THRESHOLDS, grid=[0.0, 0.86, 1.0])
    assert [r["threshold"] for r in rows] == [0.0, 0.86, 1.0]
    assert [r["coverage"] for r in rows] == pytest.approx([1.0, 2 / 5, 1 / 5])  # fuzzy still answers q2


def test_ties_rank_in_faq_order() -> None:
    scores = Scores(None, np.array([[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]]), np.zeros(2, dtype=bool))
    evaluation = Evaluation(None, [Query("a", "x"), Query("b", "y")], np.array([0, 2]), scores)
    assert ranking_metrics(evaluation) == pytest.approx({"top1": 0.5, "mrr": (1 + 1 / 3) / 2})


def test_scores_from_the_served_matcher(faq_file: Path) -> None:
    matcher = Matcher(load_faq(faq_file), ConceptEncoder())
    queries = [Query("forgot my passcode", "reset-password"), Query("holiday", "request-pto"), Query("<@U1>", None)]
    evaluation = score_queries(matcher, queries, chunk=2)
    assert evaluation.gold.tolist() == [0, 1, -1]
    assert evaluation.scores.empty.tolist() == [False, False, True]
    for query, row in zip(queries, evaluation.scores.semantic):
        assert np.allclose(row, matcher.score([query.text]).semantic[0])


def test_load_queries(tmp_path: Path) -> None:
    path = write(tmp_path / "q.csv", 'text,faq_id\n"How, exactly, do I reset it",reset-password\nweather today,\n')
    assert load_queries(path, ["reset-password"]) == [
        Query("How, exactly, do I reset it", "reset-password"),
        Query("weather today", None),
    ]


def test_load_queries_reports_every_bad_line(tmp_path: Path) -> None:
    path = write(tmp_path / "q.csv", "text,faq_id\nfine,a\n,a\nhello,unknown-id\n")
    with pytest.raises(QueryFileError) as info:
        load_queries(path, ["a"])
    assert str(info.value).splitlines() == [
        f"{path}:3: empty text",
        f"{path}:4: faq_id 'unknown-id' is not an entry of the FAQ",
    ]


def test_load_queries_needs_the_header(tmp_path: Path) -> None:
    with pytest.raises(QueryFileError, match="missing: faq_id"):
        load_queries(write(tmp_path / "q.csv", "text,label\nhi,a\n"), ["a"])


def test_faq_side_queries_hide_the_phrasing_or_its_entry(faq_file: Path) -> None:
    matcher = Matcher(load_faq(faq_file), ConceptEncoder())
    evaluation = faq_side_queries(matcher)
    # All 3 entries have 2+ phrasings: 7 phrasings, each asked in scope and out of scope.
    assert len(evaluation.queries) == 14
    assert evaluation.gold.tolist() == [0, 0, 0, 1, 1, 2, 2] + [-1] * 7
    encoder = ConceptEncoder()
    forgot, others = encoder.encode(["i forgot my password"]), encoder.encode(["how do i reset my password", "pw reset"])
    assert evaluation.scores.semantic[1, 0] == pytest.approx(float((others @ forgot.T).max()))
    assert evaluation.scores.semantic[8, 0] == -np.inf  # its entry is hidden out of scope
    assert np.isfinite(evaluation.scores.semantic[8, 1:]).all()


def test_calibrating_on_the_faq_picks_a_usable_threshold(faq_file: Path) -> None:
    matcher = Matcher(load_faq(faq_file), ConceptEncoder())
    evaluation = faq_side_queries(matcher)
    threshold = calibrate(evaluation, matcher.thresholds)
    best = decision_metrics(evaluation, Thresholds(threshold, matcher.thresholds.fuzzy))["decision_accuracy"]
    for other in np.linspace(-1, 1.01, 41):
        assert decision_metrics(evaluation, Thresholds(float(other), matcher.thresholds.fuzzy))["decision_accuracy"] <= best
