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

An edit does not change the graph the served index searches. The edited index shares it
and keeps a small delta: its rows the graph lacks (scored exactly, a few hundred dot
products) and the graph's keys it no longer has (filtered out of the graph's hits). Only
when the delta passes `DELTA_MAX` rows is a copy of the graph changed. So a reload in a
child process hands back no graph: viewing the new one's 49 MB held the interpreter for
25-38 ms, which answers waited for.
"""

from __future__ import annotations

import hashlib
import logging
import os
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
# Candidates kept while searching (at least the k asked for): recall against time. 96 made the
# same decisions as 64 on 1,250 questions at 100k phrasings and one more of them at 25k, for
# 0.14 ms more a message (build/exp/cfgagree.py, cfgab.py).
EXPANSION_SEARCH = 64
GRAPH_DTYPE = "i8"  # how the graph stores vectors; part of its file's name
DELTA_MAX = 2_000  # rows added and keys removed since the graph was changed, searched beside it
ADD_ROWS = 4096  # rows added to a graph at a time (a 100k build takes a minute; a fork waits for one step)

# Every usearch call holds this lock, and a fork takes it first: a child forked while another
# thread was inside usearch (answering a question) hung at its first search of that graph, 10
# times in 10 (build/exp/forkhang2.py), and the children that index an edit or fit a
# calibration search it. A fork waits at most for one search, or one step of a build.
_USEARCH = threading.Lock()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_USEARCH.acquire, after_in_parent=_USEARCH.release, after_in_child=_USEARCH.release)


class Graph:
    """A usearch HNSW graph. Pickled as the bytes of its file, which pickle protocol 5 passes
    out of band; unpickled, it is searched where those bytes lie (a view, which cannot change:
    `copy` first)."""

    def __init__(self, index, data: np.ndarray | None = None) -> None:
        self.index = index
        self._data = data  # the bytes a view searches: kept alive with it

    @staticmethod
    def new(dim: int) -> Graph:
        from usearch.index import Index

        return Graph(Index(ndim=dim, metric="ip", dtype=GRAPH_DTYPE, connectivity=CONNECTIVITY,
                           expansion_add=EXPANSION_ADD, expansion_search=EXPANSION_SEARCH))

    def __reduce__(self) -> tuple:
        with _USEARCH:
            data = self.index.save()
        return _viewed, (np.frombuffer(data, dtype=np.uint8), self.index.ndim)

    def copy(self) -> Graph:
        with _USEARCH:
            return Graph(self.index.copy())

    def change(self, gone: np.ndarray, added: np.ndarray, vectors: Callable[[], np.ndarray]) -> bool:
        """Remove the keys `gone` and add the keys `added` with `vectors()` (asked for only
        when there are some); whether anything changed."""
        if len(gone):
            with _USEARCH:
                self.index.remove(gone)
        if len(added):
            rows = np.ascontiguousarray(vectors(), dtype=np.float32)
            for start in range(0, len(added), ADD_ROWS):
                with _USEARCH:
                    self.index.add(added[start : start + ADD_ROWS], rows[start : start + ADD_ROWS], threads=1)
        return bool(len(gone) or len(added))

    def search(self, query: np.ndarray, k: int) -> np.ndarray:
        """The keys of up to `k` vectors near `query`, nearest first."""
        with _USEARCH:
            found = self.index.search(query.astype(np.float32), k, threads=1)
        return np.asarray(found.keys, dtype=np.uint64)

    def keep(self, graph_file: Path | None) -> None:
        """Write to `graph_file` (temp file, then rename); a full disk only costs the next start."""
        if graph_file is None:
            return
        def save(tmp: Path) -> None:
            with _USEARCH:
                self.index.save(str(tmp))

        try:
            write_atomically(graph_file, save)
            prune(graph_file.parent, "graph-*.usearch")  # another model's or format's
        except Exception as exc:  # noqa: BLE001 - OSError or usearch's RuntimeError on a full disk
            log.warning("cannot keep the HNSW graph in %s (%s); the next start builds it again", graph_file, exc)


def _viewed(data: np.ndarray, dim: int) -> Graph:
    graph = Graph.new(dim)
    with _USEARCH:
        graph.index.view(data)
    graph._data = data
    return graph


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
    it is ready, so a large FAQ answers from its first second (the served app). `delta`:
    (rows the graph lacks, graph keys that are not rows), for a graph shared with the index
    of the FAQ before an edit."""

    def __init__(self, vectors: np.ndarray, keys: np.ndarray, ann_min: int = ANN_MIN, graph: Graph | None = None,
                 graph_file: Path | None = None, background: bool = False,
                 delta: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        self.keys = keys
        self.matrix = np.ascontiguousarray(vectors, dtype=np.float32)  # exactly as given
        self._order = np.argsort(keys, kind="stable")
        self._sorted_keys = keys[self._order]  # once: a gather of every key per question cost 0.8 ms at 100k
        self._graph = graph
        self._extra, self._gone = delta if delta is not None else (np.zeros(0, np.intp), np.zeros(0, np.uint64))
        self._extra_matrix = self.matrix[self._extra]  # scored beside the graph's hits, contiguous
        self._graph_file, self._background, self._ann_min = graph_file, background, ann_min  # an edit's index keeps them
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
        """For another process (faq/handover.py): the arrays and the graph (as its file's bytes)
        out of band; a graph still being built is built again there."""
        return {k: v for k, v in vars(self).items() if k != "ready"}

    def __setstate__(self, state: dict) -> None:
        vars(self).update(state)
        self._start()

    @property
    def graph(self) -> Graph | None:
        """The graph searched (None: every row is scanned); an edited FAQ's index may share it."""
        return self._graph

    def _make_graph(self, graph_file: Path | None) -> None:
        """Read (and change) or build the graph, keep it, then search it instead of scanning."""
        try:
            graph = self._kept(graph_file) if graph_file is not None else None
            if graph is None:
                graph = Graph.new(self.dim)
                graph.change(np.zeros(0, np.uint64), self.keys, lambda: self.matrix)
                graph.keep(graph_file)
            self._graph = graph
        except Exception:  # no memory, a bug: keep scanning exactly, which is right, only slower
            log.exception("building the HNSW graph of %d phrasings failed; scanning them all instead", len(self))
        finally:
            self.ready.set()
            release_free_memory()  # the kept graph's file buffer, the build's

    def _kept(self, graph_file: Path) -> Graph | None:
        """The graph kept in `graph_file`, changed to these rows; None when there is none that fits."""
        if not graph_file.is_file():
            return None
        graph = Graph.new(self.dim)
        try:
            with _USEARCH:
                graph.index.load(str(graph_file))
        except Exception as exc:  # noqa: BLE001 - truncated, another format: build anew
            log.warning("HNSW graph %s is unreadable (%s); building it again", graph_file, exc)
            return None
        if graph.index.ndim != self.dim:
            return None
        stored = np.asarray(graph.index.keys, dtype=np.uint64)
        fresh = np.flatnonzero(~np.isin(self.keys, stored))
        if graph.change(np.setdiff1d(stored, self.keys), self.keys[fresh], lambda: self.matrix[fresh]):
            graph.keep(graph_file)
        return graph

    def updated(self, keys: np.ndarray, encode: Callable[[np.ndarray], np.ndarray],
                rows: np.ndarray | None = None) -> VectorIndex:
        """The index of an edited FAQ's `keys`: vectors this one has are reused, `encode(rows)`
        gives the others. `rows[i]`: the row of keys[i] here (-1: none), when the caller knows
        it. The graph is shared, with the rows it lacks and the keys gone as a delta; past
        `DELTA_MAX` of them a copy is changed (milliseconds, where building one takes a minute
        at 100k). This index is left as it was: it keeps answering until the new one is served."""
        if rows is None:
            found = self.contains(keys)
            rows = np.full(len(keys), -1, dtype=np.int64)
            rows[found] = self._rows(keys[found])
        vectors = reused(self.matrix, rows, encode)
        graph, delta = self._graph, None
        if graph is not None and len(keys) >= self._ann_min:
            in_graph = np.ones(len(self), dtype=bool)
            in_graph[self._extra] = False
            extra = np.flatnonzero((rows < 0) | ~in_graph[np.maximum(rows, 0)])
            lost = dropped(rows, len(self))
            gone = np.union1d(self._gone, self.keys[lost[in_graph[lost]]])  # a key added again stays out too
            delta = (extra, gone)
            if len(extra) + len(gone) > DELTA_MAX:
                graph, delta = graph.copy(), None  # a copy: the served index may be searching (or viewing) it
                graph.change(gone, keys[extra], lambda: vectors[extra])
        else:
            graph = None  # built anew (or kept scanning) by the new index
        return VectorIndex(vectors, keys, self._ann_min, graph=graph, graph_file=self._graph_file,
                           background=self._background, delta=delta)

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
        # gone keys may take some of the hits: ask for more, within the search's own beam
        found = graph.search(query, max(k, min(k + len(self._gone), EXPANSION_SEARCH)))
        if len(self._gone):
            at = np.minimum(np.searchsorted(self._gone, found), len(self._gone) - 1)
            found = found[self._gone[at] != found][:k]
        rows = self._rows(found).astype(np.intp)
        if not len(self._extra):
            return rows
        # against the rows the graph lacks, by exact scores (the graph's are of int8 vectors)
        scores = np.concatenate([self.matrix[rows] @ query, self._extra_matrix @ query])
        rows = np.concatenate([rows, self._extra])
        return rows if len(rows) <= k else rows[np.argpartition(-scores, k - 1)[:k]]
