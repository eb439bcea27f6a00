"""The matcher on the small FAQ with the concept encoder, and on n-grams alone.

The calibration is `fused_calibration()`: confidence = sigmoid(10 * fused - 5), direct bar 0.6
(fused score 0.54), channel bar 0.9 (fused 0.72), fuzzy 0.9, suggestions from fused 0.3.
"""

from pathlib import Path

import numpy as np
import pytest

from faqbot.faq.loading import load_faq
from faqbot.matching.decision import METHODS, SEMANTIC_WEIGHT, decide
from faqbot.matching.matcher import Matcher
from faqbot.matching.normalize import normalize
from tests.conftest import ConceptEncoder, fused_calibration, write


@pytest.fixture
def semantic(faq_file: Path) -> Matcher:
    return Matcher(load_faq(faq_file), ConceptEncoder(), fused_calibration())


@pytest.fixture
def lexical_only(faq_file: Path) -> Matcher:
    return Matcher(load_faq(faq_file), calibration=fused_calibration())


def test_the_encoder_finds_a_synonym_the_n_grams_alone_do_not(semantic: Matcher, lexical_only: Matcher) -> None:
    match = semantic.match("lost my passcode")  # concepts reset + password, no shared word
    assert (match.method, match.entry.id) == ("semantic", "reset-password")
    scores = semantic.score(["lost my passcode"])
    assert scores.semantic[0, 0] == pytest.approx(1.0)
    assert match.score == pytest.approx(SEMANTIC_WEIGHT * 1.0 + (1 - SEMANTIC_WEIGHT) * scores.lexical[0, 0])
    assert match.confidence == pytest.approx(1 / (1 + np.exp(-(10 * match.score - 5))))
    # Three phrasings have cosine 1; the n-grams decide which one is named.
    assert match.phrasing == "How do I reset my password?"
    assert lexical_only.match("lost my passcode").method == "none"


def test_phrasings_read_through_the_entries_are_each_entrys_in_order(semantic: Matcher) -> None:
    every = [p for entry in semantic.faq.entries for p in entry.phrasings]
    assert len(semantic.phrasings) == len(every) and semantic.phrasings[:] == every
    assert [semantic.phrasings[i] for i in (0, 5, -1)] == [every[0], every[5], every[-1]]
    assert semantic.phrasings[3:9:2] == every[3:9:2]
    with pytest.raises(IndexError):
        semantic.phrasings[len(every)]


def test_fuzzy_fallback_when_the_confidence_is_below_the_bar(semantic: Matcher) -> None:
    # Typos are unknown words to the encoder, but rapidfuzz sees the near-identical phrasing.
    match = semantic.match("how do i conect to the vpnn?")
    assert match.confidence < semantic.calibration.direct
    assert (match.method, match.entry.id) == ("fuzzy", "vpn")
    assert match.score >= 0.9
    assert match.phrasing == "How do I connect to the VPN?"


def test_no_answer_offers_closest_entries(semantic: Matcher) -> None:
    match = semantic.match("password for the wifi printer")
    assert match.method == "none" and match.entry is None and not match.answered
    assert match.confidence < semantic.calibration.direct
    assert [s.entry.id for s in match.suggestions] == ["reset-password"]  # the others are below 0.3
    assert match.score == pytest.approx(match.suggestions[0].score)


def test_answer_suggestions_are_the_other_entries_best_first(faq_file: Path) -> None:
    matcher = Matcher(load_faq(faq_file), ConceptEncoder(), fused_calibration(suggest=0.01))
    match = matcher.match("I forgot my password, what do I do on my laptop?")
    assert match.entry.id == "reset-password"
    assert [s.entry.id for s in match.suggestions] == ["vpn", "request-pto"]
    scores = [s.score for s in match.suggestions]
    assert scores == sorted(scores, reverse=True) and scores[-1] >= 0.01


def test_suggestions_skip_entries_with_nothing_in_common(semantic: Matcher) -> None:
    match = semantic.match("zzz qqq")  # unknown words and n-grams: 0 with every phrasing
    assert (match.method, match.score, match.suggestions) == ("none", 0.0, ())


def test_entry_scores_are_their_best_phrasing_and_fused(semantic: Matcher) -> None:
    scores = semantic.score(["booking vacation days", "vpn"])
    encoder = ConceptEncoder()
    phrasings = encoder.encode([normalize("How do I request time off?"), "booking vacation days"])
    query = encoder.encode(["booking vacation days"])[0]
    assert scores.semantic[0, 1] == pytest.approx(max(phrasings @ query))
    assert scores.semantic.shape == scores.lexical.shape == scores.fuzzy.shape == (2, 3)
    assert scores.lexical[0, 1] == pytest.approx(1.0) and scores.fuzzy[0, 1] == 1.0
    assert np.allclose(scores.fused, SEMANTIC_WEIGHT * scores.semantic + (1 - SEMANTIC_WEIGHT) * scores.lexical)


def test_without_encoder_the_n_grams_alone_decide(lexical_only: Matcher) -> None:
    match = lexical_only.match("I forgot my password!!")
    assert (match.method, match.entry.id, match.phrasing) == ("semantic", "reset-password", "I forgot my password")
    assert match.score == pytest.approx(1.0)
    scores = lexical_only.score(["vpn setup"])
    assert scores.semantic is None and scores.fused is scores.lexical


@pytest.mark.parametrize("text", ["", "   ", "<@U123>", ":wave: <!here>"])
def test_empty_messages_are_never_matched(semantic: Matcher, text: str) -> None:
    match = semantic.match(text)
    assert (match.method, match.entry, match.suggestions, match.confidence) == ("none", None, (), 0.0)


def test_function_words_alone_do_not_match(semantic: Matcher, lexical_only: Matcher) -> None:
    assert lexical_only.score(["how do I?"]).fuzzy.max() == 0.0  # no content word: the fuzzy guard refuses
    assert lexical_only.match("how do I?").method == "none"
    assert semantic.match("how do I?").method == "none"


def test_bars_are_inclusive_and_configurable(faq_file: Path, semantic: Matcher) -> None:
    faq = load_faq(faq_file)
    confidence = semantic.match("lost my passcode").confidence
    at_the_bar = Matcher(faq, ConceptEncoder(), fused_calibration(direct=confidence))
    assert at_the_bar.match("lost my passcode").method == "semantic"
    above = Matcher(faq, ConceptEncoder(), fused_calibration(direct=float(np.nextafter(confidence, 1.0))))
    assert above.match("lost my passcode").method == "none"
    strict = Matcher(faq, ConceptEncoder(), fused_calibration(direct=1.01, fuzzy=1.01))
    assert strict.match("pw reset").method == "none"
    exact = Matcher(faq, ConceptEncoder(), fused_calibration(direct=1.01, fuzzy=1.0))
    assert exact.match("pw reset").method == "fuzzy"


def test_a_question_between_the_bars_is_answered_directly_not_in_a_channel(semantic: Matcher) -> None:
    calibration = semantic.calibration
    direct, channel = semantic.match("my passcode?", "direct"), semantic.match("my passcode?", "channel")
    assert calibration.direct <= direct.confidence < calibration.channel
    assert direct.confidence == channel.confidence
    assert (direct.surface, direct.method, direct.entry.id) == ("direct", "semantic", "reset-password")
    assert (channel.surface, channel.method, channel.entry) == ("channel", "none", None)
    assert [s.entry.id for s in channel.suggestions] == ["reset-password"]  # what a suggest channel offers
    sure = semantic.match("lost my passcode", "channel")
    assert sure.confidence >= calibration.channel and sure.entry.id == "reset-password"


def test_fuzzy_answers_on_both_surfaces(semantic: Matcher) -> None:
    match = semantic.match("how do i conect to the vpnn?", "channel")
    assert (match.method, match.entry.id) == ("fuzzy", "vpn")


@pytest.mark.parametrize(("text", "kind"), [("thanks!", "thanks"), ("Thank you so much :tada:", "thanks"),
                                            ("hi", "greeting"), ("Good morning team!", "greeting")])
def test_small_talk_gets_no_entry_and_no_suggestions_whatever_the_bars(faq_file: Path, text: str, kind: str) -> None:
    anything = Matcher(load_faq(faq_file), ConceptEncoder(), fused_calibration(direct=0.0, channel=0.0, suggest=0.0))
    match = anything.match(text)
    assert (match.small_talk, match.entry, match.method, match.suggestions) == (kind, None, "none", ())
    # The same bars answer any other message, however weak the match.
    other = anything.match("thanks for the vpn")
    assert other.small_talk is None and other.entry is not None and other.suggestions


# --- a large FAQ: each question scores only its candidates -------------------------------------

SYLLABLES = "ka lo mi nu pe ri so tu va xe".split()


def project(i: int) -> str:
    """A made-up name per filler entry: three syllables, 1,000 of them."""
    return "".join(SYLLABLES[i // 10**k % 10] for k in range(3))


def large_faq(tmp_path: Path, faq_file: Path) -> Path:
    """The small FAQ and 400 filler entries of two phrasings each, about made-up projects."""
    extra = [
        f"  - id: filler-{i}\n    question: Where is the {project(i)} project report?\n"
        f"    alternates: [{project(i)} status notes]\n    answer: Filler {i}.\n"
        for i in range(400)
    ]
    return write(tmp_path / "large.yaml", faq_file.read_text() + "".join(extra))


QUESTIONS = ["lost my passcode", "how do i reset my pasword", "vpn", "booking vacation days please",
             f"where is the {project(17)} report", f"{project(123)} status", "anyone up for coffee?", "thanks!",
             "", "vpn tunnel for my laptop"]


@pytest.mark.parametrize("encoder", [ConceptEncoder(), None])
def test_candidates_decide_and_suggest_as_scoring_every_phrasing_does(tmp_path: Path, faq_file: Path, encoder) -> None:
    faq = load_faq(large_faq(tmp_path, faq_file))
    exact = Matcher(faq, encoder, fused_calibration())
    candidates = Matcher(faq, encoder, fused_calibration(), exact_max=0)
    assert exact.exact and not candidates.exact
    for question in QUESTIONS:
        for surface in ("direct", "channel"):
            got, want = candidates.match(question, surface), exact.match(question, surface)
            assert (got.method, got.entry, got.phrasing) == (want.method, want.entry, want.phrasing), question
            assert [s.entry.id for s in got.suggestions] == [s.entry.id for s in want.suggestions], question
            if want.answered:  # unanswered chatter may have a (meaningless) best outside the candidates
                assert (got.score, got.confidence) == pytest.approx((want.score, want.confidence), abs=1e-6)
    answerable = [q for q in QUESTIONS if exact.match(q).answered]
    scored, everything = candidates.score(answerable), exact.score(answerable)
    assert len(answerable) >= 5 and np.array_equal(scored.best[0], everything.best[0])
    assert np.allclose(scored.features, everything.features, atol=1e-6)
    # Non-candidates score nothing: most of the 403 entries.
    assert (np.isinf(scored.fused[0])).sum() > 300


@pytest.mark.parametrize("exact_max", [0, 10**6])
def test_a_question_decides_as_in_a_batch_though_fuzzy_matching_runs_only_when_unsure(
        tmp_path: Path, faq_file: Path, exact_max: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The served path skips fuzzy matching when the confidence answers (it could change
    nothing), and decides as `score` + `decide`, which compute every signal, do."""
    matcher = Matcher(load_faq(large_faq(tmp_path, faq_file)), ConceptEncoder(), fused_calibration(), exact_max=exact_max)
    fuzzy_runs: list[str] = []
    scores = matcher._fuzzy.scores
    monkeypatch.setattr(matcher._fuzzy, "scores", lambda queries, **kw: fuzzy_runs.extend(queries) or scores(queries, **kw))
    for question in [*QUESTIONS, "how do i conect to the vpnn?"]:
        for surface in ("direct", "channel"):
            fuzzy_runs.clear()
            got = matcher.match(question, surface)
            batch = decide(matcher.score([question]), matcher.calibration, surface)
            fuzzy_runs.remove(got.normalized)  # the batch's own run
            want = (METHODS[int(batch.method[0])], int(batch.entry[0]))
            index = matcher.faq.entries.index(got.entry) if got.entry else -1
            assert (got.method, index) == want or got.small_talk, (question, surface)
            assert bool(fuzzy_runs) == (got.method != "semantic" and bool(got.normalized) and not got.small_talk)
    assert matcher.match("how do i conect to the vpnn?").method == "fuzzy"


class CountingConcepts(ConceptEncoder):
    def __init__(self) -> None:
        self.texts: list[str] = []

    def encode(self, texts):
        self.texts.extend(texts)
        return super().encode(texts)


@pytest.mark.parametrize("exact_max", [0, 10**6])
def test_a_matcher_built_from_the_one_before_an_edit_answers_as_one_built_anew(
        tmp_path: Path, faq_file: Path, exact_max: int) -> None:
    encoder = CountingConcepts()
    before = Matcher(load_faq(large_faq(tmp_path, faq_file)), encoder, fused_calibration(), exact_max=exact_max)
    edited = large_faq(tmp_path, faq_file).read_text().replace("pw reset", "pw reset on my phone")
    edited = edited.replace(f"{project(5)} status notes", "parking for bikes")
    faq = load_faq(write(tmp_path / "large.yaml", edited))
    encoder.texts.clear()
    after = Matcher(faq, encoder, fused_calibration(), exact_max=exact_max, previous=before)
    assert sorted(encoder.texts) == ["parking for bikes", "pw reset on my phone"]
    fresh = Matcher(faq, ConceptEncoder(), fused_calibration(), exact_max=exact_max)
    assert np.array_equal(after.keys, fresh.keys) and np.array_equal(after._fuzzy._utf8, fresh._fuzzy._utf8)  # reused by row
    for question in [*QUESTIONS, "pw reset on my phone", "parking for bikes", f"{project(5)} status notes"]:
        got, want = after.match(question), fresh.match(question)
        assert (got.method, got.entry, got.phrasing) == (want.method, want.entry, want.phrasing), question
        assert got.score == pytest.approx(want.score, abs=1e-6)
