from pathlib import Path

import numpy as np
import pytest

from faqbot.faq import load_faq
from faqbot.matching.matcher import FUZZY, NONE, SEMANTIC, Matcher, Scores, Thresholds, decide
from tests.conftest import ConceptEncoder


@pytest.fixture
def semantic(faq_file: Path) -> Matcher:
    return Matcher(load_faq(faq_file), ConceptEncoder(), Thresholds(semantic=0.8, fuzzy=0.9))


@pytest.fixture
def fuzzy_only(faq_file: Path) -> Matcher:
    return Matcher(load_faq(faq_file), thresholds=Thresholds(fuzzy=0.9))


def test_semantic_match_finds_a_synonym_fuzzy_cannot(semantic: Matcher, fuzzy_only: Matcher) -> None:
    match = semantic.match("lost my passcode")  # concepts reset + password, no shared word
    assert (match.method, match.entry.id) == ("semantic", "reset-password")
    assert match.score == pytest.approx(1.0)
    # Two phrasings score 1.0; ties go to the first in FAQ order, the main question.
    assert match.phrasing == "How do I reset my password?"
    assert fuzzy_only.match("lost my passcode").method == "none"


def test_fuzzy_fallback_when_semantic_is_below_threshold(semantic: Matcher) -> None:
    # Typos are unknown words to the encoder, but rapidfuzz sees the near-identical phrasing.
    match = semantic.match("how do i conect to the vpnn?")
    assert (match.method, match.entry.id) == ("fuzzy", "vpn")
    assert match.score >= 0.9
    assert match.phrasing == "How do I connect to the VPN?"


def test_no_answer_offers_closest_entries(semantic: Matcher) -> None:
    match = semantic.match("password for the wifi printer")
    assert match.method == "none" and match.entry is None and not match.answered
    assert match.suggestions[0].entry.id == "reset-password"
    assert match.score == pytest.approx(match.suggestions[0].score)
    assert match.score < 0.8


def test_answer_suggestions_are_the_other_entries_best_first(semantic: Matcher) -> None:
    match = semantic.match("forgot pw")
    assert match.entry.id == "reset-password"
    ids = [s.entry.id for s in match.suggestions]
    assert "reset-password" not in ids
    scores = [s.score for s in match.suggestions]
    assert scores == sorted(scores, reverse=True)


def test_suggestions_skip_entries_with_nothing_in_common(semantic: Matcher) -> None:
    match = semantic.match("zzz qqq")  # unknown words: cosine 0 with every phrasing
    assert (match.method, match.score, match.suggestions) == ("none", 0.0, ())


def test_entry_score_is_its_best_phrasing(semantic: Matcher) -> None:
    scores = semantic.score(["booking vacation days", "vpn"])
    encoder = ConceptEncoder()
    phrasings = encoder.encode(["how do i request time off", "booking vacation days"])
    query = encoder.encode(["booking vacation days"])[0]
    assert scores.semantic[0, 1] == pytest.approx(max(phrasings @ query))
    assert scores.semantic.shape == scores.fuzzy.shape == (2, 3)
    assert scores.fuzzy[0, 1] == 1.0


def test_without_encoder_fuzzy_alone_decides(fuzzy_only: Matcher) -> None:
    match = fuzzy_only.match("I forgot my password!!")
    assert (match.method, match.entry.id, match.score) == ("fuzzy", "reset-password", 1.0)
    assert fuzzy_only.score(["x"]).semantic is None


@pytest.mark.parametrize("text", ["", "   ", "<@U123>", ":wave: <!here>"])
def test_empty_messages_are_never_matched(semantic: Matcher, text: str) -> None:
    match = semantic.match(text)
    assert (match.method, match.entry, match.suggestions) == ("none", None, ())


def test_function_words_alone_do_not_fuzzy_match(fuzzy_only: Matcher) -> None:
    assert fuzzy_only.match("how do I?").method == "none"


def test_thresholds_are_inclusive_and_configurable(faq_file: Path) -> None:
    faq = load_faq(faq_file)
    strict = Matcher(faq, ConceptEncoder(), Thresholds(semantic=1.01, fuzzy=1.01))
    assert strict.match("lost my passcode").method == "none"
    exact = Matcher(faq, ConceptEncoder(), Thresholds(semantic=1.01, fuzzy=1.0))
    assert exact.match("pw reset").method == "fuzzy"


def test_decide_is_vectorised_over_a_batch() -> None:
    scores = Scores(
        semantic=np.array([[0.9, 0.1], [0.5, 0.6], [0.5, 0.6], [0.95, 0.0]]),
        fuzzy=np.array([[0.0, 0.0], [0.95, 0.2], [0.3, 0.3], [1.0, 1.0]]),
        empty=np.array([False, False, False, True]),
    )
    decisions = decide(scores, Thresholds(semantic=0.8, fuzzy=0.9))
    assert decisions.method.tolist() == [SEMANTIC, FUZZY, NONE, NONE]
    assert decisions.entry.tolist() == [0, 0, -1, -1]
    assert decisions.score.tolist() == [0.9, 0.95, 0.6, 0.95]
