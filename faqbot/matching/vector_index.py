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

import hashlib
import logging
import os
import threading
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

ANN_MIN = 20_000  # phrasings; below, the exact scan is as fast and always right
CONNECTIVITY = 16  # HNSW graph degree
EXPANSION_ADD = 128  # candidates kept while inserting: a better graph for a slower build
EXPANSION_SEARCH = 96  # candidates kept while searching: recall against time (at least the k asked for)


def _change(graph, had: np.ndarray, keys: np.ndarray, fresh: np.ndarray,
            vectors: Callable[[], np.ndarray]) -> bool:
    """Make a graph of the keys `had` one of `keys`: remove the keys gone, add `keys[fresh]`
    with `vectors()` (asked for only when there are some); whether anything changed."""
    gone = np.setdiff1d(had, keys)
    if len(gone):
        graph.remove(gone)
    if len(fresh):
        graph.add(keys[fresh], np.ascontiguousarray(vectors(), dtype=np.float32), threads=1)
    return bool(len(gone) or len(fresh))


def _keep(graph, graph_file: Path | None) -> None:
    """Write the graph to `graph_file` (temp file, then rename); a full disk only costs the next start."""
    if graph_file is None:
        return
    tmp = graph_file.with_name(f"{graph_file.name}.{os.getpid()}.tmp")
    try:
        graph_file.parent.mkdir(parents=True, exist_ok=True)
        graph.save(str(tmp))
        os.replace(tmp, graph_file)
    except Exception as exc:  # noqa: BLE001 - OSError or usearch's RuntimeError on a full disk
        log.warning("cannot keep the HNSW graph in %s (%s); the next start builds it again", graph_file, exc)
        tmp.unlink(missing_ok=True)


def phrasing_keys(texts: Sequence[str]) -> np.ndarray:
    """A stable 64-bit key per normalised phrasing: what the graph knows it by across FAQ edits."""
    return np.array([int.from_bytes(hashlib.blake2b(t.encode("utf-8"), digest_size=8).digest(), "little")
                     for t in texts], dtype=np.uint64)


class VectorIndex:
    """Nearest rows of a fixed (n, dim) matrix of unit vectors, by cosine. Above `ann_min`
    rows the graph holds the only copy of the vectors (48 MB at 100k phrasings).

    `graph_file`: where the graph is kept between runs (the index cache). A graph found there
    is changed to these rows (what an edit since changed) instead of built again; a graph
    built or changed is written back. `background`: build in a thread and scan exactly until
    it is ready, so a large FAQ answers from its first second (the served app)."""

    def __init__(self, vectors: np.ndarray, keys: np.ndarray, ann_min: int = ANN_MIN, graph=None,
                 graph_file: Path | None = None, background: bool = False) -> None:
        self.keys = keys
        self._order = np.argsort(keys, kind="stable")
        self._sorted_keys = keys[self._order]  # once: a gather of every key per question cost 0.8 ms at 100k
        self._size = len(keys)
        self._vectors: np.ndarray | None = None
        self._graph = graph
        self.ready = threading.Event()  # set once the graph (if any) answers
        self._graph_file, self._background = graph_file, background  # for the index of the next edit
        if graph is not None or self._size < ann_min:
            self._vectors = None if graph is not None else np.ascontiguousarray(vectors, dtype=np.float32)
            self.ready.set()
            return
        self._vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if background:
            threading.Thread(target=self._make_graph, args=(graph_file,), name="faq-graph", daemon=True).start()
        else:
            self._make_graph(graph_file)

    def _make_graph(self, graph_file: Path | None) -> None:
        """Read (and change) or build the graph, keep it, then search it instead of scanning."""
        try:
            graph = self._kept(graph_file) if graph_file is not None else None
            if graph is None:
                graph = self._new_graph()
                graph.add(self.keys, self._vectors, threads=1)
                _keep(graph, graph_file)
            self._graph = graph  # first the graph, then no matrix: a reader that saw no matrix finds the graph
            self._vectors = None
        except Exception:  # no memory, a bug: keep scanning exactly, which is right, only slower
            log.exception("building the HNSW graph of %d phrasings failed; scanning them all instead", self._size)
        finally:
            self.ready.set()

    def _new_graph(self):
        from usearch.index import Index

        return Index(ndim=self._vectors.shape[1], metric="ip", dtype="f32", connectivity=CONNECTIVITY,
                     expansion_add=EXPANSION_ADD, expansion_search=EXPANSION_SEARCH)

    def _kept(self, graph_file: Path):
        """The graph kept in `graph_file`, changed to these rows; None when there is none that fits."""
        if not graph_file.is_file():
            return None
        graph = self._new_graph()
        try:
            graph.load(str(graph_file))
        except Exception as exc:  # noqa: BLE001 - truncated, another format: build anew
            log.warning("HNSW graph %s is unreadable (%s); building it again", graph_file, exc)
            return None
        if graph.ndim != self._vectors.shape[1]:
            return None
        stored = np.asarray(graph.keys, dtype=np.uint64)
        fresh = np.flatnonzero(~np.isin(self.keys, stored))
        if _change(graph, stored, self.keys, fresh, lambda: self._vectors[fresh]):
            _keep(graph, graph_file)
        return graph

    def updated(self, keys: np.ndarray, encode: Callable[[np.ndarray], np.ndarray],
                ann_min: int = ANN_MIN) -> VectorIndex:
        """The index of an edited FAQ's `keys`: vectors this one has are reused, `encode(rows)`
        gives the others. A graph is copied and changed by the rows removed and added
        (milliseconds) instead of built again (a minute at 100k); this one is left as it was."""
        found = self.contains(keys)
        fresh = np.flatnonzero(~found)
        if not self.approximate or len(keys) < ann_min:
            vectors = np.empty((len(keys), self.dim), dtype=np.float32)
            vectors[found] = self.take(self._rows(keys[found]))
            vectors[fresh] = encode(fresh)
            return VectorIndex(vectors, keys, ann_min, graph_file=self._graph_file, background=self._background)
        graph = self._graph.copy()  # a copy: the index being replaced keeps answering meanwhile
        _change(graph, self.keys, keys, fresh, lambda: encode(fresh))
        return VectorIndex(np.zeros((0, self.dim), dtype=np.float32), keys, ann_min, graph=graph,
                           graph_file=self._graph_file, background=self._background)

    @property
    def dim(self) -> int:
        vectors = self._vectors
        return vectors.shape[1] if vectors is not None else self._graph.ndim

    def contains(self, keys: np.ndarray) -> np.ndarray:
        """(len(keys),) whether each key is one of this index's rows."""
        if not self._size:
            return np.zeros(len(keys), dtype=bool)
        at = np.minimum(np.searchsorted(self._sorted_keys, keys), self._size - 1)
        return self._sorted_keys[at] == keys

    def _rows(self, keys: np.ndarray) -> np.ndarray:
        """Row indices of keys this index contains."""
        return self._order[np.searchsorted(self._sorted_keys, keys)]

    def __len__(self) -> int:
        return self._size

    @property
    def approximate(self) -> bool:
        """Whether questions search the graph (scanning every row until it is built)."""
        return self._vectors is None

    @cached_property
    def matrix(self) -> np.ndarray:
        """All the vectors, (n, dim); for a large FAQ a copy out of the graph, made once (only
        scoring every phrasing needs it, which a large FAQ does only when measured)."""
        vectors = self._vectors
        return vectors if vectors is not None else self.take(np.arange(self._size))

    def take(self, rows: np.ndarray) -> np.ndarray:
        """The vectors of `rows`, (len(rows), dim) float32, exactly as given."""
        vectors = self._vectors  # read once: a background build may drop it meanwhile
        if vectors is not None:
            return vectors[rows]
        return np.asarray(self._graph.get(self.keys[rows]), dtype=np.float32).reshape(len(rows), -1)

    def nearest(self, query: np.ndarray, k: int) -> np.ndarray:
        """Up to `k` row indices near one (dim,) query vector, unsorted."""
        if k >= self._size:
            return np.arange(self._size)
        vectors = self._vectors
        if vectors is not None:
            return np.argpartition(-(vectors @ query), k - 1)[:k]
        return self._rows(self._graph.search(query.astype(np.float32), k, threads=1).keys).astype(np.intp)
