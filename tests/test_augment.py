"""Edited copies of the training texts, for the teacher to label."""

from faqbot.training.augment import augment

TEXTS = [
    "how do i reset my password",
    "where can i find the expense policy",
    "who is on call this week for the platform team",
    "book a meeting room for tomorrow morning",
]


def test_copies_are_new_texts_made_of_corpus_words() -> None:
    made = augment(TEXTS, copies=5)
    corpus = {w for t in TEXTS for w in t.split()}
    assert made == sorted(set(made))
    assert not set(made) & set(TEXTS)
    assert all(set(t.split()) <= corpus for t in made)
    assert 0 < len(made) <= 5 * len(TEXTS)


def test_copies_differ_from_their_sources_in_several_ways() -> None:
    made = augment(TEXTS, copies=20)
    longest = max(len(t.split()) for t in TEXTS)
    assert any(len(t.split()) > longest for t in made)  # joined with another text
    assert any(len(t.split()) < 4 for t in made)  # words dropped or a span kept


def test_the_same_seed_gives_the_same_copies() -> None:
    assert augment(TEXTS, 3, seed=1) == augment(TEXTS, 3, seed=1) != augment(TEXTS, 3, seed=2)


def test_no_copies_asked_none_made() -> None:
    assert augment(TEXTS, 0) == []
    assert augment([], 3) == []
