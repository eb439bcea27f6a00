"""The phrasings nearest a query's encoding: exact for a small FAQ, HNSW for a large one.

Scanning every phrasing costs a dot product per phrasing: 0.2 ms at 5,000 phrasings but
3-9 ms at 100,000 (a 51 MB scan per message, slower still when another process competes
for memory bandwidth). Above `ANN_MIN` phrasings an HNSW graph (usearch) finds the nearest
in well under a millisecond; measured on the 100k scale protocol (BENCHMARKS.md), its
first hit is the exact one for 99% of queries, and the matcher rescores every candidate
exactly, so what can differ is only which phrasings are looked at. faiss's HNSW searched
as fast but cannot remove a phrasing, and its IVF lists needed 4x the time for the same
recall; usearch adds and removes by key, which an edited FAQ needs.
"""

from __future__ import annotations

import numpy as np

ANN_MIN = 20_000  # phrasings; below, the exact scan is as fast and always right
CONNECTIVITY = 16  # HNSW graph degree
EXPANSION_ADD = 128  # candidates kept while inserting: a better graph for a slower build
EXPANSION_SEARCH = 96  # candidates kept while searching: recall against time (at least the k asked for)


class VectorIndex:
    """Nearest rows of a fixed (n, dim) matrix of unit vectors, by cosine. Above `ann_min`
    rows the graph holds the only copy of the vectors (48 MB at 100k phrasings)."""

    def __init__(self, vectors: np.ndarray, ann_min: int = ANN_MIN) -> None:
        self._vectors: np.ndarray | None = np.ascontiguousarray(vectors, dtype=np.float32)
        self._graph = None
        if len(vectors) >= ann_min:
            from usearch.index import Index

            self._graph = Index(ndim=vectors.shape[1], metric="ip", dtype="f32", connectivity=CONNECTIVITY,
                                expansion_add=EXPANSION_ADD, expansion_search=EXPANSION_SEARCH)
            self._graph.add(np.arange(len(vectors), dtype=np.uint64), self._vectors, threads=1)
            self._vectors = None
        self._size = len(vectors)

    def __len__(self) -> int:
        return self._size

    @property
    def approximate(self) -> bool:
        return self._graph is not None

    @property
    def matrix(self) -> np.ndarray:
        """All the vectors, (n, dim); a copy out of the graph for a large FAQ (scoring everything is rare there)."""
        if self._vectors is not None:
            return self._vectors
        return self.take(np.arange(self._size))

    def take(self, rows: np.ndarray) -> np.ndarray:
        """The vectors of `rows`, (len(rows), dim) float32, exactly as given."""
        if self._vectors is not None:
            return self._vectors[rows]
        return np.asarray(self._graph.get(rows.astype(np.uint64)), dtype=np.float32).reshape(len(rows), -1)

    def nearest(self, query: np.ndarray, k: int) -> np.ndarray:
        """Up to `k` row indices near one (dim,) query vector, unsorted."""
        if k >= self._size:
            return np.arange(self._size)
        if self._graph is None:
            return np.argpartition(-(self._vectors @ query), k - 1)[:k]
        found = self._graph.search(query.astype(np.float32), k, threads=1)
        return found.keys.astype(np.intp)
