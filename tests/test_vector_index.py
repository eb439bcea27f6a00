"""Nearest phrasings by encoding: the exact scan and the HNSW graph of a large FAQ."""

import numpy as np

from faqbot.matching.vector_index import VectorIndex


def unit_rows(n: int, dim: int, seed: int) -> np.ndarray:
    rows = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_the_exact_scan_returns_the_k_nearest() -> None:
    vectors, queries = unit_rows(500, 16, 0), unit_rows(20, 16, 1)
    index = VectorIndex(vectors)
    assert not index.approximate and len(index) == 500
    for query in queries:
        assert set(index.nearest(query, 5)) == set(np.argsort(-(vectors @ query))[:5])
    assert sorted(index.nearest(queries[0], 900)) == list(range(500))  # k past the size: everything


def test_the_graph_finds_the_nearest_and_keeps_the_vectors_exactly() -> None:
    vectors, queries = unit_rows(3000, 32, 2), unit_rows(200, 32, 3)
    index = VectorIndex(vectors, ann_min=1000)
    assert index.approximate
    exact = (queries @ vectors.T).argmax(axis=1)
    found = [exact[i] in index.nearest(q, 16) for i, q in enumerate(queries)]
    assert np.mean(found) >= 0.97
    rows = np.array([5, 2999, 0, 5])
    assert np.array_equal(index.take(rows), vectors[rows]) and np.array_equal(index.matrix, vectors)
