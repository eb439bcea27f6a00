"""Nearest phrasings by encoding: the exact scan and the HNSW graph of a large FAQ."""

import os
from pathlib import Path

import numpy as np
import pytest

from faqbot.matching import vector_index
from faqbot.matching.vector_index import VectorIndex, phrasing_keys


def unit_rows(n: int, dim: int, seed: int) -> np.ndarray:
    rows = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def keys(n: int, start: int = 0) -> np.ndarray:
    return phrasing_keys([f"phrasing {i}" for i in range(start, start + n)])


def test_the_exact_scan_returns_the_k_nearest() -> None:
    vectors, queries = unit_rows(500, 16, 0), unit_rows(20, 16, 1)
    index = VectorIndex(vectors, keys(500))
    assert not index.approximate and len(index) == 500
    for query in queries:
        assert set(index.nearest(query, 5)) == set(np.argsort(-(vectors @ query))[:5])
    assert sorted(index.nearest(queries[0], 900)) == list(range(500))  # k past the size: everything


def test_the_graph_finds_the_nearest_and_keeps_the_vectors_exactly() -> None:
    vectors, queries = unit_rows(3000, 32, 2), unit_rows(200, 32, 3)
    index = VectorIndex(vectors, keys(3000), ann_min=1000)
    assert index.approximate
    exact = (queries @ vectors.T).argmax(axis=1)
    found = [exact[i] in index.nearest(q, 16) for i, q in enumerate(queries)]
    assert np.mean(found) >= 0.97
    rows = np.array([5, 2999, 0, 5])
    assert np.array_equal(index.take(rows), vectors[rows]) and np.array_equal(index.matrix, vectors)


def test_phrasing_keys_are_stable_and_distinct() -> None:
    assert phrasing_keys(["vpn", "pw reset"]).tolist() == phrasing_keys(["vpn", "pw reset"]).tolist()
    assert len(set(keys(10_000).tolist())) == 10_000


@pytest.mark.parametrize("ann_min", [1000, 10**9])
def test_an_edited_faq_reuses_what_it_had_and_encodes_only_the_rest(ann_min: int) -> None:
    """Rows 0-99 removed, 3000-3199 added: only those 200 are encoded; the copied graph (or
    the gathered matrix) answers as one built anew, and the old index, still serving, is untouched."""
    vectors = unit_rows(3200, 32, 4)
    old = VectorIndex(vectors[:3000], keys(3000), ann_min=ann_min)
    asked: list[int] = []

    def encode(rows: np.ndarray) -> np.ndarray:
        asked.extend(rows.tolist())
        return vectors[100:][rows]

    new = old.updated(keys(3100, start=100), encode)
    assert asked == list(range(2900, 3100)) and new.approximate == (ann_min == 1000)
    assert len(new) == 3100 and len(old) == 3000
    assert np.array_equal(new.matrix, vectors[100:]) and np.array_equal(old.matrix, vectors[:3000])
    queries = unit_rows(100, 32, 5)
    exact = (queries @ vectors[100:].T).argmax(axis=1)
    assert np.mean([exact[i] in new.nearest(q, 16) for i, q in enumerate(queries)]) >= 0.97
    assert new.contains(keys(200, start=0)).tolist() == [False] * 100 + [True] * 100


def test_an_edit_shares_the_graph_and_scores_what_it_lacks_exactly() -> None:
    """Rows 0-99 removed, 3000-3199 added: the new index searches the served index's graph,
    finds each added row as its own nearest, never returns a removed one (its key would
    find some other row), and a second edit adding 0-99 back finds them again."""
    vectors, queries = unit_rows(3200, 32, 13), unit_rows(100, 32, 14)
    old = VectorIndex(vectors[:3000], keys(3000), ann_min=1000)
    new = old.updated(keys(3100, start=100), lambda rows: vectors[100:][rows])
    assert new.graph is old.graph and new.approximate
    assert all(new.nearest(vectors[100 + row], 1).tolist() == [row] for row in range(2900, 3100))
    for removed in vectors[:100]:  # its graph key is gone: the hits are this index's own rows
        assert set(new.nearest(removed, 8)) <= set(np.argsort(-(new.matrix @ removed))[:40])
    exact = (queries @ vectors[100:].T).argmax(axis=1)
    assert np.mean([exact[i] in new.nearest(q, 16) for i, q in enumerate(queries)]) >= 0.97
    back = new.updated(keys(3000), lambda rows: vectors[rows])
    assert back.graph is old.graph
    assert all(back.nearest(vectors[row], 1).tolist() == [row] for row in range(100))
    exact = (queries @ vectors[:3000].T).argmax(axis=1)
    assert np.mean([exact[i] in back.nearest(q, 16) for i, q in enumerate(queries)]) >= 0.97


def test_past_the_delta_limit_an_edit_changes_a_copy_of_the_graph(monkeypatch: pytest.MonkeyPatch) -> None:
    vectors, queries = unit_rows(3200, 32, 15), unit_rows(100, 32, 16)
    old = VectorIndex(vectors[:3000], keys(3000), ann_min=1000)
    before = [sorted(old.nearest(q, 16)) for q in queries]
    monkeypatch.setattr(vector_index, "DELTA_MAX", 250)
    new = old.updated(keys(3100, start=100), lambda rows: vectors[100:][rows])  # 300 rows changed
    assert new.graph is not old.graph and new.approximate
    assert sorted(np.asarray(new.graph.index.keys).tolist()) == sorted(keys(3100, start=100).tolist())
    exact = (queries @ vectors[100:].T).argmax(axis=1)
    assert np.mean([exact[i] in new.nearest(q, 16) for i, q in enumerate(queries)]) >= 0.97
    assert [sorted(old.nearest(q, 16)) for q in queries] == before  # the served index is untouched


def test_the_graph_is_kept_in_the_cache_and_changed_to_an_edited_faq(tmp_path: Path) -> None:
    vectors = unit_rows(3200, 32, 6)
    file = tmp_path / "graph.usearch"
    VectorIndex(vectors[:3000], keys(3000), ann_min=1000, graph_file=file)
    assert file.is_file()
    again = VectorIndex(vectors[100:], keys(3100, start=100), ann_min=1000, graph_file=file)  # a restart after edits
    assert again.approximate and np.array_equal(again.matrix, vectors[100:])
    from usearch.index import Index

    kept = Index(ndim=32, metric="ip")
    kept.load(str(file))
    assert sorted(np.asarray(kept.keys).tolist()) == sorted(keys(3100, start=100).tolist())  # written back changed
    file.write_bytes(b"not a graph")
    rebuilt = VectorIndex(vectors[:3000], keys(3000), ann_min=1000, graph_file=file)
    assert rebuilt.approximate and np.array_equal(rebuilt.take(np.array([7])), vectors[7:8])


def test_a_graph_built_in_the_background_answers_from_the_start(tmp_path: Path) -> None:
    vectors, queries = unit_rows(5000, 32, 7), unit_rows(50, 32, 8)
    index = VectorIndex(vectors, keys(5000), ann_min=1000, background=True)
    exact = (queries @ vectors.T).argmax(axis=1)
    early = [exact[i] in index.nearest(q, 16) for i, q in enumerate(queries)]  # scanning, or the graph if ready
    assert index.ready.wait(60) and index.approximate
    late = [exact[i] in index.nearest(q, 16) for i, q in enumerate(queries)]
    assert np.mean(early) >= 0.97 and np.mean(late) >= 0.97


def test_writing_a_graph_deletes_all_but_the_newest_graph_files(tmp_path: Path) -> None:
    """Graphs of another model or of an older format are not left to fill the cache folder."""
    for age, name in enumerate(["graph-old-model.f32.usearch", "graph-older-model.i8.usearch"]):
        (tmp_path / name).write_bytes(b"stale")
        os.utime(tmp_path / name, (1_000_000 + age, 1_000_000 + age))
    VectorIndex(unit_rows(1200, 16, 9), keys(1200), ann_min=1000, graph_file=tmp_path / "graph-this.i8.usearch")
    assert sorted(p.name for p in tmp_path.glob("graph-*")) == ["graph-older-model.i8.usearch", "graph-this.i8.usearch"]


def test_an_index_pickled_out_of_band_searches_its_graph_where_the_bytes_lie() -> None:
    """What the reload's hand-over does (faq/handover.py): arrays and the graph's bytes out of
    band; the copy answers as the original, and an edit of it leaves it unchanged."""
    import pickle

    vectors, queries = unit_rows(3200, 32, 10), unit_rows(50, 32, 11)
    original = VectorIndex(vectors[:3000], keys(3000), ann_min=1000)
    buffers: list[pickle.PickleBuffer] = []
    data = pickle.dumps(original, protocol=5, buffer_callback=buffers.append)
    assert len(data) < 10_000  # the graph and the matrix went out of band
    copy = pickle.loads(data, buffers=[bytes(b.raw()) for b in buffers])  # read-only, as a mapped file is
    assert copy.approximate and copy.ready.is_set() and not copy.matrix.flags.writeable
    for query in queries:
        assert sorted(copy.nearest(query, 16)) == sorted(original.nearest(query, 16))
    edited = copy.updated(keys(3100, start=100), lambda rows: vectors[100:][rows])
    assert edited.approximate and len(copy) == 3000
    exact = (queries @ vectors[100:].T).argmax(axis=1)
    assert np.mean([exact[i] in edited.nearest(q, 16) for i, q in enumerate(queries)]) >= 0.97
    assert [sorted(copy.nearest(q, 16)) for q in queries] == [sorted(original.nearest(q, 16)) for q in queries]


def test_an_index_pickled_while_its_graph_is_built_ends_with_one_there() -> None:
    """Pickled at once, the graph is most likely still being built: the copy builds its own."""
    import pickle

    vectors = unit_rows(3000, 32, 12)
    building = VectorIndex(vectors, keys(3000), ann_min=1000, background=True)
    copy = pickle.loads(pickle.dumps(building, protocol=5))
    assert copy.ready.wait(60) and copy.approximate and np.array_equal(copy.matrix, vectors)
    assert building.ready.wait(60) and building.approximate


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
# JAX (imported by the training tests in the same session) warns at every fork; this child uses none of it
@pytest.mark.filterwarnings("ignore:os.fork\\(\\) was called:RuntimeWarning")
def test_a_child_forked_while_another_thread_searches_can_search_the_graph() -> None:
    """A reload's or calibration's child searches the served graph. Forked while a listener
    thread was inside usearch, every such child hung at its first search (it is stopped only
    after 10 minutes); a fork now waits for the search under way."""
    import signal
    import threading

    vectors = unit_rows(4000, 32, 7)
    index = VectorIndex(vectors, keys(4000), ann_min=1000)
    stop = threading.Event()

    def answering() -> None:
        while not stop.is_set():
            index.nearest(vectors[7], 16)

    thread = threading.Thread(target=answering, daemon=True)
    thread.start()
    try:
        for _ in range(5):
            child = os.fork()
            if child == 0:  # pragma: no cover - the child's exit status is the assertion
                signal.alarm(10)  # a hung child is killed by SIGALRM
                os._exit(0 if 7 in index.nearest(vectors[7], 16) else 1)
            _, status = os.waitpid(child, 0)
            assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, "the child hung or searched wrongly"
    finally:
        stop.set()
        thread.join()
