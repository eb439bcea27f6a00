"""The phrasings nearest a query's encoding: exact for a small FAQ, HNSW for a large one.

Scanning every phrasing costs a dot product per phrasing: 0.2 ms at 5,000 phrasings but
3-9 ms at 100,000 (a 51 MB scan per message, slower still when another process competes
for memory bandwidth). Above `ANN_MIN` phrasings an HNSW graph (usearch) finds the nearest
in well under a millisecond; measured on the 100k scale protocol (BENCHMARKS.md), its
first hit is the exact one for 99% of queries, and the matcher rescores every candidate
exactly, so what can differ is only which phrasings are looked at. faiss's HNSW searched
as fast but cannot remove a phrasing, and its IVF lists needed 4x the time for the same
recall; usearch adds and removes by key, which an edited FAQ needs.

The graph only navigates, so it holds its vectors as int8 (49 MB at 100k phrasings, where
float32 took 81 MB, with the same first hits); the exact float32 rows stay in one NumPy
matrix, which candidates are rescored from (reading 300 rows back out of the graph cost
0.5 ms per question).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from faqbot.atomic_file import write_atomically
from faqbot.matching.alignment import dropped, reused
from faqbot.matching.heap import release_free_memory
from faqbot.matching.index_cache import prune

log = logging.getLogger(__name__)

ANN_MIN = 20_000  # phrasings; below, the exact scan is as fast and always right
CONNECTIVITY = 16  # HNSW graph degree
EXPANSION_ADD = 128  # candidates kept while inserting: a better graph for a slower build
EXPANSION_SEARCH = 96  # candidates kept while searching: recall against time (at least the k asked for)
GRAPH_DTYPE = "i8"  # how the graph stores vectors; part of its file's name


def _change(graph, gone: np.ndarray, added: np.ndarray, vectors: Callable[[], np.ndarray]) -> bool:
    """Remove the keys `gone` from a graph and add the keys `added` with `vectors()` (asked
    for only when there are some); whether anything changed."""
    if len(gone):
        graph.remove(gone)
    if len(added):
        graph.add(added, np.ascontiguousarray(vectors(), dtype=np.float32), threads=1)
    return bool(len(gone) or len(added))


def _keep(graph, graph_file: Path | None) -> None:
    """Write the graph to `graph_file` (temp file, then rename); a full disk only costs the next start."""
    if graph_file is None:
        return
    try:
        write_atomically(graph_file, lambda tmp: graph.save(str(tmp)))
        prune(graph_file.parent, "graph-*.usearch")  # another model's or format's
    except Exception as exc:  # noqa: BLE001 - OSError or usearch's RuntimeError on a full disk
        log.warning("cannot keep the HNSW graph in %s (%s); the next start builds it again", graph_file, exc)


def phrasing_keys(texts: Sequence[str]) -> np.ndarray:
    """A stable 64-bit key per normalised phrasing: what the graph knows it by across FAQ edits."""
    return np.array([int.from_bytes(hashlib.blake2b(t.encode("utf-8"), digest_size=8).digest(), "little")
                     for t in texts], dtype=np.uint64)


class VectorIndex:
    """Nearest rows of a fixed (n, dim) matrix of unit vectors, by cosine; above `ann_min`
    rows through an HNSW graph.

    `graph_file`: where the graph is kept between runs (the index cache). A graph found there
    is changed to these rows (what an edit since changed) instead of built again; a graph
    built or changed is written back. `background`: build in a thread and scan exactly until
    it is ready, so a large FAQ answers from its first second (the served app)."""

    def __init__(self, vectors: np.ndarray, keys: np.ndarray, ann_min: int = ANN_MIN, graph=None,
                 graph_file: Path | None = None, background: bool = False) -> None:
        self.keys = keys
        self.matrix = np.ascontiguousarray(vectors, dtype=np.float32)  # exactly as given
        self._order = np.argsort(keys, kind="stable")
        self._sorted_keys = keys[self._order]  # once: a gather of every key per question cost 0.8 ms at 100k
        self._graph = graph
        self._graph_file, self._background, self._ann_min = graph_file, background, ann_min  # for the next edit's
        self._start()

    def _start(self) -> None:
        """Search the graph given, or scan until one is read or built (in a thread with `background`)."""
        self.ready = threading.Event()  # set once the graph (if any) answers
        if self._graph is not None or len(self.keys) < self._ann_min:
            self.ready.set()
        elif self._background:
            threading.Thread(target=self._make_graph, args=(self._graph_file,), name="faq-graph", daemon=True).start()
        else:
            self._make_graph(self._graph_file)

    def __getstate__(self) -> dict:
        """For another process (faq/handover.py): the arrays, and the graph as the bytes of its
        file, which pickle protocol 5 passes out of band; a graph still being built is built
        again there."""
        state = {k: v for k, v in vars(self).items() if k not in ("ready", "_graph_bytes")}
        state["_graph"] = None if self._graph is None else np.frombuffer(self._graph.save(), dtype=np.uint8)
        return state

    def __setstate__(self, state: dict) -> None:
        vars(self).update(state)
        if self._graph is not None:  # the graph's bytes: searched where they lie (a view cannot change)
            self._graph_bytes, self._graph = self._graph, self._new_graph()
            self._graph.view(self._graph_bytes)
        self._start()

    def _make_graph(self, graph_file: Path | None) -> None:
        """Read (and change) or build the graph, keep it, then search it instead of scanning."""
        try:
            graph = self._kept(graph_file) if graph_file is not None else None
            if graph is None:
                graph = self._new_graph()
                graph.add(self.keys, self.matrix, threads=1)
                _keep(graph, graph_file)
            self._graph = graph
        except Exception:  # no memory, a bug: keep scanning exactly, which is right, only slower
            log.exception("building the HNSW graph of %d phrasings failed; scanning them all instead", len(self))
        finally:
            self.ready.set()
            release_free_memory()  # the kept graph's file buffer, the build's

    def _new_graph(self):
        from usearch.index import Index

        return Index(ndim=self.dim, metric="ip", dtype=GRAPH_DTYPE, connectivity=CONNECTIVITY,
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
        if graph.ndim != self.dim:
            return None
        stored = np.asarray(graph.keys, dtype=np.uint64)
        fresh = np.flatnonzero(~np.isin(self.keys, stored))
        if _change(graph, np.setdiff1d(stored, self.keys), self.keys[fresh], lambda: self.matrix[fresh]):
            _keep(graph, graph_file)
        return graph

    def updated(self, keys: np.ndarray, encode: Callable[[np.ndarray], np.ndarray],
                ann_min: int = ANN_MIN, rows: np.ndarray | None = None) -> VectorIndex:
        """The index of an edited FAQ's `keys`: vectors this one has are reused, `encode(rows)`
        gives the others. `rows[i]`: the row of keys[i] here (-1: none), when the caller knows
        it. A graph is copied and changed by the rows removed and added (milliseconds)
        instead of built again (a minute at 100k); this one is left as it was."""
        if rows is None:
            found = self.contains(keys)
            rows = np.full(len(keys), -1, dtype=np.int64)
            rows[found] = self._rows(keys[found])
        vectors = reused(self.matrix, rows, encode)
        fresh = np.flatnonzero(rows < 0)
        graph = self._graph
        if graph is not None and len(keys) >= ann_min:
            graph = graph.copy()  # a copy: the index being replaced keeps answering (and may be a view)
            _change(graph, self.keys[dropped(rows, len(self))], keys[fresh], lambda: vectors[fresh])
        else:
            graph = None  # built anew (or kept scanning) by the new index
        return VectorIndex(vectors, keys, ann_min, graph=graph, graph_file=self._graph_file,
                           background=self._background)

    @property
    def dim(self) -> int:
        return self.matrix.shape[1]

    def contains(self, keys: np.ndarray) -> np.ndarray:
        """(len(keys),) whether each key is one of this index's rows."""
        if not len(self):
            return np.zeros(len(keys), dtype=bool)
        at = np.minimum(np.searchsorted(self._sorted_keys, keys), len(self) - 1)
        return self._sorted_keys[at] == keys

    def _rows(self, keys: np.ndarray) -> np.ndarray:
        """Row indices of keys this index contains."""
        return self._order[np.searchsorted(self._sorted_keys, keys)]

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def approximate(self) -> bool:
        """Whether questions search the graph (scanning every row until it is built)."""
        return self._graph is not None

    def take(self, rows: np.ndarray) -> np.ndarray:
        """The vectors of `rows`, (len(rows), dim) float32, exactly as given."""
        return self.matrix[rows]

    def nearest(self, query: np.ndarray, k: int) -> np.ndarray:
        """Up to `k` row indices near one (dim,) query vector, unsorted."""
        if k >= len(self):
            return np.arange(len(self))
        graph = self._graph  # read once: a background build may set it meanwhile
        if graph is None:
            return np.argpartition(-(self.matrix @ query), k - 1)[:k]
        return self._rows(graph.search(query.astype(np.float32), k, threads=1).keys).astype(np.intp)
