"""The FAQ's indexes kept on disk, so a restart or an edit does not rebuild what it has.

- Encodings are content-addressed: one row per (model, phrasing key) in a SQLite file that
  every process on the machine shares. An edit encodes only the phrasings it changed, and
  rows that neither the FAQ now served nor the one before it uses are deleted.
- The n-gram index depends on every phrasing (its IDF), so it is one file per FAQ version,
  named by a hash of the phrasings; the newest `KEEP_VERSIONS` are kept, older ones deleted.

Nothing here is needed to answer: a cache that is missing, corrupt, unreadable or on a full
disk is logged and rebuilt or skipped, and the bot serves from memory.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import zipfile
from collections.abc import Callable, Sequence
from contextlib import closing
from pathlib import Path

import numpy as np

from faqbot.atomic_file import write_atomically
from faqbot.matching.encoder import Encoder
from faqbot.matching.lexical import NGRAMS, LexicalIndex

log = logging.getLogger(__name__)
LEXICAL_VERSION = f"lexical-char-wb-{NGRAMS[0]}-{NGRAMS[1]}-v5"
ENCODINGS_FILE = "encodings.sqlite3"
KEEP_VERSIONS = 2  # n-gram index files kept: the FAQ served, and the one before (another process may still use it)
FEW_KEYS = 2000  # encodings looked up one by one (an edit); more: the model's rows read at once
READ_CHUNK = 4096  # rows fetched at a time
SCHEMA = ("CREATE TABLE IF NOT EXISTS encodings (model TEXT NOT NULL, key INTEGER NOT NULL, vector BLOB NOT NULL, "
          "PRIMARY KEY (model, key)) WITHOUT ROWID")

def cache_key(name: str, texts: Sequence[str]) -> str:
    digest = hashlib.sha256(name.encode("utf-8"))
    for text in texts:
        digest.update(b"\0" + text.encode("utf-8"))
    return digest.hexdigest()[:32]


def cached_encode(encoder: Encoder, texts: Sequence[str], keys: np.ndarray, folder: Path | None,
                  keep: np.ndarray | None = None) -> np.ndarray:
    """encoder.encode(texts), each text's encoding read from `folder` when this model encoded
    it before; new ones are stored. With `keep` (at start-up: every phrasing of the FAQ), rows
    of this model whose key is not in it are deleted; an edit while running deletes nothing, so
    the store holds at most the phrasings a process saw since it started."""
    if folder is None:
        return encoder.encode(texts) if len(texts) else np.zeros((0, encoder.dim), dtype=np.float32)
    out = np.zeros((len(texts), encoder.dim), dtype=np.float32)
    store = _EncodingStore(folder / ENCODINGS_FILE)
    have, vectors = store.get(encoder.name, keys, encoder.dim)
    out[have] = vectors
    fresh = np.flatnonzero(~have)
    if len(fresh):
        out[fresh] = encoder.encode([texts[i] for i in fresh])
    store.update(encoder.name, keys[fresh], out[fresh], keep)
    return out


def _collect(rows: list[tuple[int, bytes]], dim: int, keys: list[np.ndarray], vectors: list[np.ndarray]) -> None:
    """Append the (key, vector) rows of width `dim` to `keys` and `vectors` as arrays."""
    rows = [(k, v) for k, v in rows if len(v) == 4 * dim]
    keys.append(np.array([k for k, _ in rows], dtype=np.int64).view(np.uint64))
    vectors.append(np.frombuffer(b"".join(v for _, v in rows), dtype=np.float32).reshape(len(rows), dim))


class _EncodingStore:
    """Encodings by (model, 64-bit phrasing key) in one SQLite file; WAL lets processes share it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=30)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(SCHEMA)
        return connection

    def get(self, model: str, keys: np.ndarray, dim: int) -> tuple[np.ndarray, np.ndarray]:
        """(found mask over keys, the found rows' vectors); rows of another width or not finite are not found."""
        stored, vectors = [np.zeros(0, dtype=np.uint64)], [np.zeros((0, dim), dtype=np.float32)]
        try:
            with closing(self._connect()) as connection:
                if len(keys) > FEW_KEYS:  # most of a model's rows: one scan beats a lookup per key
                    cursor = connection.execute("SELECT key, vector FROM encodings WHERE model = ?", (model,))
                    # in chunks: 100k blobs alive at once would leave 50 MB of freed heap the process keeps
                    while rows := cursor.fetchmany(READ_CHUNK):
                        _collect(rows, dim, stored, vectors)
                else:
                    for k in keys.view(np.int64):
                        _collect(connection.execute("SELECT key, vector FROM encodings WHERE model = ? AND key = ?",
                                                    (model, int(k))).fetchall(), dim, stored, vectors)
        except (sqlite3.DatabaseError, OSError) as exc:  # not a database, locked for 30 s, no folder
            self._broken(exc)
            return np.zeros(len(keys), dtype=bool), np.zeros((0, dim), dtype=np.float32)
        stored, vectors = np.concatenate(stored), np.concatenate(vectors)
        usable = np.isfinite(vectors).all(axis=1)
        stored, vectors = stored[usable], vectors[usable]
        order = np.argsort(stored)
        at = np.minimum(np.searchsorted(stored[order], keys), max(len(stored) - 1, 0))
        found = (stored[order][at] == keys) if len(stored) else np.zeros(len(keys), dtype=bool)
        return found, vectors[order[at[found]]]

    def update(self, model: str, keys: np.ndarray, vectors: np.ndarray, keep: np.ndarray | None) -> None:
        """Store new encodings; with `keep`, delete this model's rows whose key is not in it."""
        if not len(keys) and keep is None:
            return
        try:
            order = np.argsort(keys.view(np.int64))  # in key order: appending to the B-tree, 3x faster at 100k
            with closing(self._connect()) as connection, connection:
                connection.executemany(
                    "INSERT OR REPLACE INTO encodings (model, key, vector) VALUES (?, ?, ?)",
                    [(model, int(k), v.tobytes()) for k, v in zip(keys.view(np.int64)[order], vectors[order])])
                if keep is None:
                    return
                connection.execute("CREATE TEMP TABLE keep (key INTEGER PRIMARY KEY)")
                connection.executemany("INSERT OR IGNORE INTO keep VALUES (?)", [(int(k),) for k in keep.view(np.int64)])
                gone = connection.execute(
                    "DELETE FROM encodings WHERE model = ? AND key NOT IN (SELECT key FROM keep)", (model,)).rowcount
            if gone:
                log.info("index cache: deleted %d encodings no FAQ in use needs", gone)
        except (sqlite3.DatabaseError, OSError) as exc:  # a full disk, a read-only folder, a corrupt file
            self._broken(exc)

    def _broken(self, exc: Exception) -> None:
        log.warning("index cache %s is unusable (%s); encoding without it", self.path, exc)
        if "not a database" in str(exc) or "malformed" in str(exc):
            for suffix in ("", "-wal", "-shm"):  # a cache: start it again rather than fail on it forever
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)


def cached_lexical(texts: Sequence[str], folder: Path | None) -> LexicalIndex:
    """The lexical index of `texts`, read from `folder` when these texts were indexed before;
    else built, and stored there."""
    def valid(arrays: dict[str, np.ndarray]) -> bool:
        fields = LexicalIndex.__dataclass_fields__
        return all(k in arrays for k in fields) and len(arrays["row_ptr"]) == len(texts) + 1

    arrays = _cached(folder, cache_key(LEXICAL_VERSION, texts), lambda: LexicalIndex.build(texts).arrays(), valid)
    return LexicalIndex.from_arrays(arrays)


def keep_lexical(texts: Sequence[str], index: LexicalIndex, folder: Path | None) -> None:
    """Store the lexical index of `texts` (an edit's, updated from the one before) where the
    next start reads it."""
    if folder is not None:
        _store(folder, cache_key(LEXICAL_VERSION, texts), index.arrays())


def _cached(folder: Path | None, key: str, build: Callable[[], dict[str, np.ndarray]],
            valid: Callable[[dict[str, np.ndarray]], bool]) -> dict[str, np.ndarray]:
    """Arrays from `folder/key.npz`, or built (and stored there) when absent, unreadable or
    invalid; then only the newest KEEP_VERSIONS files stay."""
    if folder is None:
        return build()
    path = folder / f"{key}.npz"
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        if valid(arrays):
            os.utime(path)  # the newest again: pruning keeps it
            return arrays
        log.warning("index cache %s does not fit this FAQ; rebuilding", path)
    except FileNotFoundError:
        pass
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:  # .npz files are zip archives
        log.warning("index cache %s is unreadable (%s); rebuilding", path, exc)
    arrays = build()
    _store(folder, key, arrays)
    return arrays


def _store(folder: Path, key: str, arrays: dict[str, np.ndarray]) -> None:
    """Write `folder/key.npz` whole; then only the newest KEEP_VERSIONS files stay."""
    def save(tmp: Path) -> None:
        with open(tmp, "wb") as file:  # a file object: given a name, np.savez would add ".npz" to it
            np.savez(file, **arrays)

    try:
        write_atomically(folder / f"{key}.npz", save)
        prune(folder, "*.npz")
    except OSError as exc:  # a full disk, a read-only folder: serve from memory
        log.warning("cannot write the index cache in %s (%s); serving without it", folder, exc)


def prune(folder: Path, pattern: str) -> None:
    """Delete all but the newest KEEP_VERSIONS files matching `pattern` (one per FAQ version or graph)."""
    dated = []
    for file in folder.glob(pattern):
        try:
            dated.append((file.stat().st_mtime_ns, file))
        except FileNotFoundError:  # another process pruned it first
            continue
    for _, old in sorted(dated, reverse=True)[KEEP_VERSIONS:]:
        old.unlink(missing_ok=True)
