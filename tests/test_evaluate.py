from pathlib import Path

import numpy as np
import pytest

from faqbot.evaluate import (
    Evaluation,
    Query,
    QueryFileError,
    best_bar,
    coverage_at_precision,
    decision_metrics,
    load_queries,
    ranking_metrics,
    score_queries,
    sweep,
)
from faqbot.faq.loading import load_faq
from faqbot.matching.decision import Scores, confidences
from faqbot.matching.matcher import Matcher
from tests.conftest import ConceptEncoder, fused_calibration, write


def conf_at(fused: float) -> float:
    """The confidence `fused_calibration` gives a best fused score of `fused` (monotone)."""
    return float(1.0 / (1.0 + np.exp(-(10 * fused - 5))))


# Six queries, three entries, worked by hand. Bars are set between confidences, given here
# by the fused score they correspond to: direct 0.75, channel 0.87; fuzzy 0.9.
#   q0 gold 0: fused 0.90 -> entry 0, right                 rank 1
#   q1 gold 1: fused 0.85 -> entry 0, wrong                 rank 2
#   q2 gold 2: fused 0.50 low, fuzzy 0.95 -> entry 2 right  rank 1
#   q3 out of scope: nothing passes -> right abstention
#   q4 out of scope: fused 0.82 -> entry 0, wrong
#   q5 gold 1: fused 0.60 low, fuzzy low -> no answer      rank 1
FUSED = [[0.9, 0.1, 0.2], [0.85, 0.7, 0.1], [0.3, 0.2, 0.5], [0.4, 0.3, 0.2], [0.82, 0.1, 0.1], [0.2, 0.6, 0.1]]
FUZZY = [[0.5, 0.1, 0.1], [0.2, 0.6, 0.1], [0.1, 0.2, 0.95], [0.5, 0.5, 0.5], [0.3, 0.1, 0.1], [0.1, 0.3, 0.1]]
GOLD = [0, 1, 2, -1, -1, 1]
CALIBRATION = fused_calibration(direct=conf_at(0.75), channel=conf_at(0.87), fuzzy=0.9)


@pytest.fixture
def hand() -> Evaluation:
    scores = Scores(None, np.array(FUSED), np.array(FUZZY), np.zeros(6, dtype=bool))  # fused = lexical
    queries = [Query(f"q{i}", None) for i in range(6)]
    return Evaluation(matcher=None, queries=queries, gold=np.array(GOLD), scores=scores)


def test_ranking_metrics_by_hand(hand: Evaluation) -> None:
    assert ranking_metrics(hand) == pytest.approx({"top1": 3 / 4, "mrr": (1 + 1 / 2 + 1 + 1) / 4})


def test_decision_metrics_by_hand(hand: Evaluation) -> None:
    m = decision_metrics(hand, CALIBRATION)
    assert m["threshold"] == CALIBRATION.direct
    assert m["answered_correct"] == pytest.approx(2 / 4)
    assert m["oos_recall"] == pytest.approx(1 / 2)
    assert m["wrong_answer_rate"] == pytest.approx(2 / 6)
    assert m["wrong_answer_share"] == pytest.approx(2 / 4)
    assert m["decision_accuracy"] == pytest.approx(3 / 6)
    assert m["coverage"] == pytest.approx(4 / 6)
    assert m["methods"] == {
        "none": {"count": 2, "correct": 1},
        "semantic": {"count": 3, "correct": 1},
        "fuzzy": {"count": 1, "correct": 1},
    }


def test_the_channel_surface_answers_at_its_own_bar(hand: Evaluation) -> None:
    m = decision_metrics(hand, CALIBRATION, "channel")
    assert m["threshold"] == CALIBRATION.channel
    # Only q0 (0.90) passes the channel bar; q2 is still answered by fuzzy.
    assert (m["coverage"], m["answered_correct"], m["wrong_answer_share"]) == pytest.approx((2 / 6, 2 / 4, 0.0))


def test_best_bar_maximises_decision_accuracy_and_takes_the_highest_of_equals(hand: Evaluation) -> None:
    # 4/6 right at the bars of q0, q1, q5 and q2 (q1 is wrong either way, q5 right only below);
    # the highest, q0's confidence, answers least wrongly.
    assert best_bar(hand, CALIBRATION) == round(conf_at(0.9), 4)
    for fused in (0.9, 0.85, 0.6, 0.5):
        assert decision_metrics(hand, CALIBRATION, bar=conf_at(fused))["decision_accuracy"] == pytest.approx(4 / 6)
    assert decision_metrics(hand, CALIBRATION, bar=conf_at(0.82))["decision_accuracy"] == pytest.approx(3 / 6)


def test_coverage_at_precision_by_hand(hand: Evaluation) -> None:
    # At q0's bar the answers (q0, fuzzy q2) are all right: 2 of 4 in scope. Lower bars add q1
    # and q4 (wrong) before q5 (right): 3 of 5 answers right from q5's bar down.
    assert coverage_at_precision(hand, CALIBRATION, 0.90) == pytest.approx(2 / 4)
    assert coverage_at_precision(hand, CALIBRATION, 0.95) == pytest.approx(2 / 4)
    assert coverage_at_precision(hand, CALIBRATION, 0.60) == pytest.approx(3 / 4)
    assert coverage_at_precision(hand, CALIBRATION, 1.01) == 0.0  # no bar gets there


def test_sweep_moves_the_direct_bar_only(hand: Evaluation) -> None:
    rows = sweep(hand, CALIBRATION, grid=[0.0, conf_at(0.86), 1.0])
    assert [r["threshold"] for r in rows] == [0.0, conf_at(0.86), 1.0]
    assert [r["coverage"] for r in rows] == pytest.approx([1.0, 2 / 6, 1 / 6])  # fuzzy still answers q2


def test_ties_rank_in_faq_order() -> None:
    scores = Scores(None, np.full((2, 3), 0.5), np.zeros((2, 3)), np.zeros(2, dtype=bool))
    evaluation = Evaluation(None, [Query("a", "x"), Query("b", "y")], np.array([0, 2]), scores)
    assert ranking_metrics(evaluation) == pytest.approx({"top1": 0.5, "mrr": (1 + 1 / 3) / 2})


def test_scores_from_the_served_matcher(faq_file: Path) -> None:
    matcher = Matcher(load_faq(faq_file), ConceptEncoder(), fused_calibration())
    queries = [Query("forgot my passcode", "reset-password"), Query("holiday", "request-pto"), Query("<@U1>", None)]
    evaluation = score_queries(matcher, queries, chunk=2)
    assert evaluation.gold.tolist() == [0, 1, -1]
    assert evaluation.scores.empty.tolist() == [False, False, True]
    for i, query in enumerate(queries):
        alone = matcher.score([query.text])
        for signal in ("semantic", "lexical", "fuzzy", "fused"):
            assert np.allclose(getattr(evaluation.scores, signal)[i], getattr(alone, signal)[0])
        # The decision on the batch is the served decision.
        match = matcher.match(query.text)
        assert confidences(evaluation.scores, matcher.calibration)[i] == pytest.approx(match.confidence)


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
