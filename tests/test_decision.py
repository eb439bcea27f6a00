"""The decision on hand-made scores: fused ranking, the confidence's features, each surface's bar,
the fuzzy fallback and empty queries."""

import warnings

import numpy as np
import pytest

from faqbot.matching.decision import (
    FUZZY,
    NONE,
    SEMANTIC,
    SEMANTIC_WEIGHT,
    Calibration,
    Scores,
    confidences,
    decide,
)
from tests.conftest import fused_calibration


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + np.exp(-z))


def conf_at(fused: float) -> float:
    """What `fused_calibration` gives a best fused score of `fused`."""
    return sigmoid(10 * fused - 5)


def scores(fused: list[list[float]], fuzzy: list[list[float]], empty: list[bool] | None = None) -> Scores:
    """Scores whose fused score is `fused`: encoder and n-gram cosines equal to it."""
    array = np.array(fused, dtype=np.float64)
    return Scores(array, array.copy(), np.array(fuzzy, dtype=np.float64),
                  np.array(empty if empty is not None else [False] * len(fused)))


def test_fused_score_weights_encoder_and_n_grams() -> None:
    semantic, lexical = np.array([[0.9, 0.2]]), np.array([[0.4, 0.6]])
    both = Scores(semantic, lexical, np.zeros((1, 2)), np.zeros(1, bool))
    assert np.allclose(both.fused, SEMANTIC_WEIGHT * semantic + (1 - SEMANTIC_WEIGHT) * lexical)
    assert both.best[0].tolist() == [0]
    without_encoder = Scores(None, lexical, np.zeros((1, 2)), np.zeros(1, bool))
    assert without_encoder.fused is lexical and without_encoder.best[0].tolist() == [1]


def test_features_are_the_best_score_and_its_margin() -> None:
    s = scores([[0.3, 0.9, 0.5], [0.7, 0.7, 0.1]], [[0] * 3] * 2)
    assert np.allclose(s.features, [[0.9, 0.4], [0.7, 0.0]])
    # A hidden entry (-inf, FAQ-side calibration) counts as nothing there.
    hidden = Scores(None, np.array([[-np.inf, 0.6, 0.2], [-np.inf, -np.inf, 0.5]]), np.zeros((2, 3)), np.zeros(2, bool))
    assert np.allclose(hidden.features, [[0.6, 0.4], [0.5, 0.5]])
    # With one entry there is no runner-up: the margin is the whole score.
    single = Scores(None, np.array([[0.8]]), np.zeros((1, 1)), np.zeros(1, bool))
    assert np.allclose(single.features, [[0.8, 0.8]])


def test_confidence_is_the_logistic_model_and_never_overflows() -> None:
    calibration = Calibration(coef=(3.0, 2.0), intercept=-1.5)
    features = np.array([[0.5, 0.25], [0.0, 0.0], [1e6, 1e6], [-1e6, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow in exp
        got = calibration.confidence(features)
    assert got[:2] == pytest.approx([sigmoid(3 * 0.5 + 2 * 0.25 - 1.5), sigmoid(-1.5)])
    assert got[2:].tolist() == [1.0, 0.0]


def test_decide_is_vectorised_over_a_batch() -> None:
    s = scores(
        fused=[[0.9, 0.1], [0.5, 0.6], [0.5, 0.6], [0.95, 0.0]],
        fuzzy=[[0.0, 0.0], [0.95, 0.2], [0.3, 0.3], [1.0, 1.0]],
        empty=[False, False, False, True],
    )
    calibration = fused_calibration(direct=conf_at(0.8), fuzzy=0.9)
    decisions = decide(s, calibration, "direct")
    assert decisions.method.tolist() == [SEMANTIC, FUZZY, NONE, NONE]
    # The fuzzy answer is the best fuzzy entry (0), not the best fused one (1).
    assert decisions.entry.tolist() == [0, 0, -1, -1]
    assert decisions.confidence == pytest.approx([conf_at(0.9), conf_at(0.6), conf_at(0.6), 0.0])
    assert np.array_equal(decisions.confidence, confidences(s, calibration))


def test_each_surface_has_its_bar_and_bar_overrides_it() -> None:
    s = scores([[0.9, 0.1], [0.7, 0.2], [0.5, 0.1]], [[0.0, 0.0]] * 3)
    calibration = fused_calibration(channel=conf_at(0.8), direct=conf_at(0.6))
    assert (calibration.bar("channel"), calibration.bar("direct")) == (calibration.channel, calibration.direct)
    assert decide(s, calibration, "channel").entry.tolist() == [0, -1, -1]
    assert decide(s, calibration, "direct").entry.tolist() == [0, 0, -1]
    assert decide(s, calibration, "channel", bar=conf_at(0.45)).entry.tolist() == [0, 0, 0]
    assert decide(s, calibration, "direct", bar=1.01).entry.tolist() == [-1, -1, -1]


def test_an_empty_query_is_never_answered_even_at_bar_zero() -> None:
    s = scores([[1.0, 1.0]], [[1.0, 1.0]], empty=[True])
    decisions = decide(s, fused_calibration(direct=0.0, fuzzy=0.0), "direct")
    assert (decisions.method.tolist(), decisions.entry.tolist(), decisions.confidence.tolist()) == ([NONE], [-1], [0.0])


def test_concat_keeps_every_signal_in_order() -> None:
    a = scores([[0.1, 0.2]], [[0.3, 0.4]])
    b = scores([[0.5, 0.6], [0.7, 0.8]], [[0.9, 1.0], [0.0, 0.1]], empty=[False, True])
    joined = Scores.concat([a, b])
    assert np.array_equal(joined.semantic, [[0.1, 0.2], [0.5, 0.6], [0.7, 0.8]])
    assert np.array_equal(joined.fuzzy, [[0.3, 0.4], [0.9, 1.0], [0.0, 0.1]])
    assert joined.empty.tolist() == [False, False, True]
    no_encoder = Scores.concat([Scores(None, a.lexical, a.fuzzy, a.empty)] * 2)
    assert no_encoder.semantic is None and no_encoder.lexical.shape == (2, 2)
