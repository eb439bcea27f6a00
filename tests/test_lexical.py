"""The character n-gram TF-IDF index: scikit-learn's weighting in NumPy, and its on-disk cache."""

from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from faqbot.faq.loading import load_faq
from faqbot.matching import index_cache, lexical
from faqbot.matching.index_cache import cached_lexical
from faqbot.matching.lexical import LexicalIndex
from faqbot.matching.normalize import normalize

SAMPLE_FAQ = Path(__file__).resolve().parent.parent / "faq_data"
PHRASINGS = [normalize(p) for p in (
    "How do I reset my password?", "I forgot my password", "pw reset", "How do I request time off?",
    "booking vacation days", "How do I connect to the VPN?", "vpn setup on my laptop", "a", "ok ok ok ok",
    "Where's the S3 bucket for CI artefacts (prod-eu-1)?",
)]
QUERIES = [normalize(q) for q in (
    "forgot my passwrod", "reset pw", "vpn", "vacation booking for my laptop", "a b c", "ok",
    "how do i request a new vpn password", "s3 bucket prod eu 1", "password password password",
)]


def sklearn_cosines(phrasings: list[str], queries: list[str]) -> np.ndarray:
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)
    rows = vectorizer.fit_transform(phrasings)
    return (vectorizer.transform(queries) @ rows.T).toarray()


def test_n_grams_are_scikit_learns() -> None:
    """Short words, one-letter words, digits and other scripts give sklearn's n-grams: each
    text alone as the FAQ, its own TF-IDF row equals sklearn's."""
    for text in [*PHRASINGS, *QUERIES, "x", "xy", "abc", "x y", "café über straße", "привет мир 42", "東京 駅"]:
        normalized = normalize(text)
        vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)
        vectorizer.fit([normalized, "zzz"])
        index = LexicalIndex.build([normalized, "zzz"])
        assert np.allclose(index.scores([normalized, "zz"]), sklearn_cosines([normalized, "zzz"], [normalized, "zz"]),
                           atol=1e-5), text
        [terms] = index.query_terms([normalized])
        assert len(terms.terms) == len(set(vectorizer.build_analyzer()(normalized)))


def test_cosines_equal_scikit_learns_tfidf() -> None:
    index = LexicalIndex.build(PHRASINGS)
    got = index.scores(QUERIES)
    assert got.shape == (len(QUERIES), len(PHRASINGS))
    assert np.allclose(got, sklearn_cosines(PHRASINGS, QUERIES), atol=1e-5)
    # A phrasing against itself is 1.
    assert np.allclose(np.diag(index.scores(PHRASINGS)), 1.0, atol=1e-5)


def test_cosines_equal_scikit_learns_on_the_sample_faq() -> None:
    phrasings = [normalize(p) for e in load_faq(SAMPLE_FAQ).entries for p in e.phrasings]
    queries = ["my laptop will not turn on", "how do i expense a taxi", "vpn keeps dropping", "reset mfa"]
    got = LexicalIndex.build(phrasings).scores(queries)
    assert np.allclose(got, sklearn_cosines(phrasings, queries), atol=1e-5)


def test_a_query_scores_the_same_alone_and_in_any_batch() -> None:
    index = LexicalIndex.build(PHRASINGS)
    batch = index.scores(QUERIES)
    for i, query in enumerate(QUERIES):
        assert np.array_equal(index.scores([query])[0], batch[i])
    assert np.array_equal(index.scores(QUERIES[::-1]), batch[::-1])


@pytest.mark.parametrize("query", ["zzqx", "", "qqq zzz"])
def test_a_query_with_no_known_n_gram_scores_zero(query: str) -> None:
    index = LexicalIndex.build(PHRASINGS)
    assert len(index.query_terms([query])[0].terms) == 0
    scores = index.scores([query, "vpn"])
    assert scores[0].tolist() == [0.0] * len(PHRASINGS) and scores[1].max() > 0


def test_round_trip_through_arrays_and_an_npz_file(tmp_path: Path) -> None:
    index = LexicalIndex.build(PHRASINGS)
    again = LexicalIndex.from_arrays(index.arrays())
    assert np.array_equal(again.scores(QUERIES), index.scores(QUERIES))
    np.savez(tmp_path / "index.npz", **index.arrays())
    with np.load(tmp_path / "index.npz", allow_pickle=False) as data:
        loaded = LexicalIndex.from_arrays({k: data[k] for k in data.files})
    assert loaded.n_phrasings == len(PHRASINGS)
    for name, array in index.arrays().items():
        assert np.array_equal(loaded.arrays()[name], array), name
    assert np.array_equal(loaded.scores(QUERIES), index.scores(QUERIES))


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times the cache had to build an index (it wraps the real build)."""
    calls: list[int] = []
    build = LexicalIndex.build

    def counting(phrasings):
        calls.append(len(phrasings))
        return build(phrasings)

    monkeypatch.setattr(index_cache.LexicalIndex, "build", staticmethod(counting))
    return calls


def test_the_cache_reads_back_what_it_wrote(tmp_path: Path, builds: list[int]) -> None:
    first = cached_lexical(PHRASINGS, tmp_path)
    [file] = tmp_path.glob("*.npz")
    second = cached_lexical(PHRASINGS, tmp_path)
    assert builds == [len(PHRASINGS)]
    assert np.array_equal(second.scores(QUERIES), first.scores(QUERIES))
    assert np.array_equal(second.scores(QUERIES), LexicalIndex.build(PHRASINGS).scores(QUERIES))
    # Other phrasings are another file; no folder, no file.
    cached_lexical(PHRASINGS[:3], tmp_path)
    assert len(list(tmp_path.glob("*.npz"))) == 2 and file.exists()
    cached_lexical(PHRASINGS, None)
    assert builds == [len(PHRASINGS), len(PHRASINGS), 3, len(PHRASINGS)]


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "another index"])
def test_a_corrupt_cache_file_is_rebuilt(tmp_path: Path, builds: list[int], damage: str) -> None:
    expected = cached_lexical(PHRASINGS, tmp_path).scores(QUERIES)
    [file] = tmp_path.glob("*.npz")
    if damage == "garbage":
        file.write_bytes(b"not an npz file")
    elif damage == "truncated":
        file.write_bytes(file.read_bytes()[: file.stat().st_size // 2])
    elif damage == "empty":
        file.write_bytes(b"")
    else:  # a readable index of other phrasings under this name
        np.savez(file, **LexicalIndex.build(PHRASINGS[:2]).arrays())
    builds.clear()
    rebuilt = cached_lexical(PHRASINGS, tmp_path)
    assert builds == [len(PHRASINGS)] and np.array_equal(rebuilt.scores(QUERIES), expected)
    assert np.array_equal(cached_lexical(PHRASINGS, tmp_path).scores(QUERIES), expected)  # rewritten whole
    assert builds == [len(PHRASINGS)]


def test_scores_of_chosen_phrasings_equal_the_full_scores() -> None:
    index = LexicalIndex.build(PHRASINGS)
    full = index.scores(QUERIES)
    rows = np.array([9, 0, 3, 3, 7])
    for query, terms in zip(QUERIES, index.query_terms(QUERIES)):
        assert np.allclose(index.row_scores(terms, rows), full[QUERIES.index(query)][rows], atol=1e-6)
    assert index.row_scores(index.query_terms(["zzqx"])[0], rows).tolist() == [0.0] * len(rows)


def test_candidates_come_from_rare_n_grams_and_hold_the_best_phrasing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Common n-grams (here: in more than one phrasing of 400) find nothing; rare ones find the
    phrasings that share them, best first among those kept."""
    monkeypatch.setattr("faqbot.matching.lexical.RARE_MIN", 1)
    filler = [f"item number {i} of the list" for i in range(390)]
    phrasings = filler + [normalize(p) for p in PHRASINGS]
    index = LexicalIndex.build(phrasings)
    [query] = index.query_terms([normalize("forgot my passwrod")])
    found = index.candidates(query, k=3)
    assert 391 in found and len(found) <= 3  # "i forgot my password"
    assert index.scores(["forgot my passwrod"])[0].argmax() == 391
    [common] = index.query_terms(["item number"])
    assert len(index.candidates(common, k=3)) == 0


@pytest.mark.parametrize("edit", ["one changed", "removed and added", "reordered", "new character", "nothing"])
def test_an_update_scores_as_a_fresh_build(edit: str) -> None:
    """Reusing the counted n-grams of unchanged phrasings gives the scores of building anew."""
    old = LexicalIndex.build(PHRASINGS)
    if edit == "one changed":
        new = [*PHRASINGS[:2], "pw reset on my phone", *PHRASINGS[3:]]
    elif edit == "removed and added":
        new = [*PHRASINGS[1:7], "expense a taxi ride", "s3 bucket"]
    elif edit == "reordered":
        new = PHRASINGS[::-1]
    elif edit == "new character":
        new = [*PHRASINGS, normalize("Zürich office wifi")]
    else:
        new = list(PHRASINGS)
    rows = np.array([PHRASINGS.index(p) if p in PHRASINGS else -1 for p in new])
    updated = LexicalIndex.build(new, previous=old, previous_rows=rows)
    fresh = LexicalIndex.build(new)
    assert np.allclose(updated.scores(QUERIES), fresh.scores(QUERIES), atol=1e-6)
    assert np.allclose(updated.scores(QUERIES), sklearn_cosines(new, QUERIES), atol=1e-5)
    # document frequencies worked out from the previous ones: as counted (0 for n-grams gone)
    shared = np.searchsorted(updated.keys, fresh.keys)
    assert np.array_equal(updated.df[shared], fresh.df) and updated.df.sum() == fresh.df.sum()
    for mine, theirs in zip(updated.query_terms(QUERIES), fresh.query_terms(QUERIES)):  # the rare postings too
        assert set(updated.candidates(mine, 100)) == set(fresh.candidates(theirs, 100))


@pytest.mark.parametrize("rows", [8, 3])
def test_phrasings_without_n_grams_score_zero_wherever_they_lie(rows: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Empty rows at the start, in the middle and at the end (a phrasing before trailing
    empty rows once lost its last n-gram's product), and of a block of summed norms."""
    monkeypatch.setattr(lexical, "SUM_ROWS", rows)
    phrasings = ["", "vpn setup", "", "", "reset my password", "vpn", ""]
    index = LexicalIndex.build(phrasings)
    assert np.allclose(index.scores(QUERIES), sklearn_cosines(phrasings, QUERIES), atol=1e-5)
    assert index.row_norms[[0, 2, 3, 6]].tolist() == [0.0] * 4


def test_n_grams_only_a_removed_phrasing_had_are_unknown_to_queries() -> None:
    """An update keeps their columns (so kept rows need no renumbering), but as scikit-learn
    would, a query ignores them: its other n-grams are weighted as in a fresh build."""
    old = LexicalIndex.build(["zebra crossing", "vpn setup", "vpn reset"])
    updated = LexicalIndex.build(["vpn setup", "vpn reset", "spring"], previous=old, previous_rows=np.array([1, 2, -1]))
    fresh = LexicalIndex.build(["vpn setup", "vpn reset", "spring"])
    for query in ["zebra", "zebra vpn", "spring crossing reset"]:
        assert np.allclose(updated.scores([query]), fresh.scores([query]), atol=1e-6)
    assert not updated.scores(["zebra"]).any() and len(updated.keys) > len(fresh.keys)


def test_candidates_read_the_rarest_n_grams_first_within_a_postings_budget() -> None:
    """A long query's candidates come from its rarest n-grams; a budget below every term's
    postings still reads the rarest one."""
    phrasings = [f"item{i // 10} text" for i in range(300)] + ["zyxwv quokka"]
    index = LexicalIndex.build(phrasings)
    query = index.query_terms(["zyxwv quokka item7"])[0]  # item7's n-grams are in 10 to 30 phrasings
    assert 300 in index.candidates(query, k=5, postings=1)
    assert set(index.candidates(query, k=400, postings=1)) == {300}
    assert len(index.candidates(query, k=400, postings=10**6)) > 1


def test_counting_in_chunks_builds_the_same_index(monkeypatch: pytest.MonkeyPatch) -> None:
    """Large FAQs count their n-grams a chunk of phrasings at a time, to bound memory."""
    import faqbot.matching.lexical as lexical

    whole = LexicalIndex.build(PHRASINGS)
    monkeypatch.setattr(lexical, "COUNT_CHUNK", 3)
    chunked = LexicalIndex.build(PHRASINGS)
    for name, array in whole.arrays().items():
        assert np.array_equal(array, chunked.arrays()[name]) and array.dtype == chunked.arrays()[name].dtype, name
