"""The guarded fuzzy fallback: typos of a whole phrasing still match; subsets, supersets and
questions with too little content do not."""

from pathlib import Path

import numpy as np
import pytest
from rapidfuzz import fuzz

from faqbot.faq.loading import load_faq
from faqbot.matching.fuzzy import MAX_LENGTH_RATIO, MIN_CONTENT_WORDS, FuzzyIndex, content_words
from faqbot.matching.normalize import normalize

SAMPLE_FAQ = Path(__file__).resolve().parent.parent / "faq_data"
SUPERSET = ("please do not reset my password, I want to know how expenses get approved by finance and who "
            "signs off on them")


@pytest.fixture(scope="module")
def sample() -> FuzzyIndex:
    return FuzzyIndex([normalize(p) for e in load_faq(SAMPLE_FAQ).entries for p in e.phrasings])


def best(index: FuzzyIndex, text: str) -> float:
    return float(index.scores([normalize(text)]).max())


def test_a_typo_of_a_whole_phrasing_still_matches(sample: FuzzyIndex) -> None:
    index = FuzzyIndex([normalize("How do I reset my password?")])
    assert index.scores([normalize("how do i reset my pasword")])[0, 0] >= 0.9
    assert best(sample, "how do i reset my pasword") >= 0.9
    assert index.scores([normalize("reset my password")])[0, 0] == 1.0  # function words do not count
    assert index.scores([normalize("password, reset it")])[0, 0] == 1.0  # nor does word order


@pytest.mark.parametrize("text", ["what should I do now?", "how do I change it?", SUPERSET, "anyone up for coffee?"])
def test_chatter_subsets_and_supersets_stay_below_the_fuzzy_bar(sample: FuzzyIndex, text: str) -> None:
    assert best(sample, text) < 0.9


def test_the_guards() -> None:
    index = FuzzyIndex([normalize("How do I reset my password?"), normalize("pw reset")])
    # Too little content: "change it" has one content word.
    assert content_words(normalize("how do I change it?")) == "change"
    assert MIN_CONTENT_WORDS == 2 and index.scores([normalize("how do I change it?")]).max() == 0.0
    assert index.scores([normalize("password?")]).max() == 0.0
    # Lopsided: all of a phrasing's words inside a much longer question.
    long = normalize("I want to reset my password and also my laptop and my vpn token please")
    assert fuzz.token_set_ratio(content_words(long), "reset password") == 100  # what token_set_ratio scored
    assert len(content_words(long)) > MAX_LENGTH_RATIO * len("reset password")
    assert index.scores([long]).max() == 0.0
    assert best(index, SUPERSET) == 0.0


def test_scores_are_a_batch_of_ratios_in_0_1(sample: FuzzyIndex) -> None:
    texts = [normalize(t) for t in ("how do i reset my pasword", "vpn keeps dropping", "", "expense a taxi")]
    batch = sample.scores(texts)
    assert batch.shape[0] == 4 and batch.dtype == np.float64
    assert ((batch >= 0) & (batch <= 1)).all()
    assert batch[2].max() == 0.0  # nothing to compare
    for i, text in enumerate(texts):
        assert np.array_equal(sample.scores([text])[0], batch[i])
    assert np.array_equal(sample.scores(texts, workers=2), batch)


def test_an_edited_index_reuses_runs_of_rows_and_scores_as_one_built_anew() -> None:
    """Rows kept in runs, others removed and added, non-ASCII words among them: the edited
    index compares each phrasing by the same words as one built from scratch."""
    before = [normalize(t) for t in ("Where is the café?", "reset my password", "the vpn", "how do i book a room",
                                     "expense a déjeuner", "laptop broken")]
    after = [before[0], before[1], normalize("Où est le café ?"), before[3], before[4], normalize("new badge please")]
    old = FuzzyIndex(before)
    edited = FuzzyIndex(after, old, np.array([0, 1, -1, 3, 4, -1]))
    fresh = FuzzyIndex(after)
    rows = np.arange(len(after))
    assert edited.choices(rows) == fresh.choices(rows) == [content_words(t) or t for t in after]
    queries = ["where is the cafe", "ou est le cafe", "expense a dejeuner", "new badge pls"]
    assert np.array_equal(edited.scores([normalize(q) for q in queries]), fresh.scores([normalize(q) for q in queries]))


@pytest.mark.parametrize("cutoff", [0.5, 0.8, 0.9, 0.95, 1.0])
def test_a_cutoff_keeps_every_ratio_that_reaches_it(sample: FuzzyIndex, cutoff: float) -> None:
    """The served path asks only whether a phrasing reaches the fuzzy bar: with a cutoff, the
    ratios at or above it are the same (phrasings too short or too long to reach it are not
    compared), the rest may be 0."""
    phrasings = [content_words(p) for p in sample.choices(np.arange(len(sample)))]
    texts = ["how do i reset my pasword", "reset password", "vpn keeps dropping out on me", "expense a taxi ride",
             "how do i reset my password or my vpn token", *[p + "s" for p in phrasings[:20]]]
    full = sample.scores([normalize(t) for t in texts])
    cut = sample.scores([normalize(t) for t in texts], cutoff=cutoff)
    reached = full >= cutoff
    assert reached.any() and (~reached).any()
    assert np.array_equal(cut[reached], full[reached])
    assert (cut[~reached] < cutoff).all()
