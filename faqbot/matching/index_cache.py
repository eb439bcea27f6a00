"""The FAQ's indexes kept on disk, so a restart does not rebuild them for an unchanged FAQ.

File names hash what the index depends on: the encoder's name (which hashes its weights)
for encodings, the lexical index's version for n-grams, and the exact normalised
phrasings, so any change to the model or the FAQ misses the cache by itself.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from faqbot.matching.encoder import Encoder
from faqbot.matching.lexical import NGRAMS, LexicalIndex

log = logging.getLogger(__name__)
LEXICAL_VERSION = f"lexical-char-wb-{NGRAMS[0]}-{NGRAMS[1]}-v2"


def cache_key(name: str, texts: Sequence[str]) -> str:
    digest = hashlib.sha256(name.encode("utf-8"))
    for text in texts:
        digest.update(b"\0" + text.encode("utf-8"))
    return digest.hexdigest()[:32]


def cached_encode(encoder: Encoder, texts: Sequence[str], folder: Path | None) -> np.ndarray:
    """encoder.encode(texts), read from `folder` when this model has encoded these texts before."""
    def valid(arrays: dict[str, np.ndarray]) -> bool:
        vectors = arrays["vectors"]
        return vectors.shape == (len(texts), encoder.dim) and bool(np.isfinite(vectors).all())

    build = lambda: {"vectors": encoder.encode(texts)}  # noqa: E731
    return _cached(folder, cache_key(encoder.name, texts), build, valid)["vectors"]


def cached_lexical(texts: Sequence[str], folder: Path | None) -> LexicalIndex:
    """The lexical index of `texts`, read from `folder` when these texts were indexed before."""
    def valid(arrays: dict[str, np.ndarray]) -> bool:
        fields = LexicalIndex.__dataclass_fields__
        return all(k in arrays for k in fields) and len(arrays["row_ptr"]) == len(texts) + 1

    build = lambda: LexicalIndex.build(texts).arrays()  # noqa: E731
    return LexicalIndex.from_arrays(_cached(folder, cache_key(LEXICAL_VERSION, texts), build, valid))


def _cached(folder: Path | None, key: str, build: Callable[[], dict[str, np.ndarray]],
            valid: Callable[[dict[str, np.ndarray]], bool]) -> dict[str, np.ndarray]:
    """Arrays from `folder/key.npz`, or built (and stored there) when absent, unreadable or invalid."""
    if folder is None:
        return build()
    path = folder / f"{key}.npz"
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        if valid(arrays):
            return arrays
        log.warning("index cache %s does not fit this FAQ; rebuilding", path)
    except FileNotFoundError:
        pass
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:  # .npz files are zip archives
        log.warning("index cache %s is unreadable (%s); rebuilding", path, exc)
    arrays = build()
    tmp = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".npz.tmp", delete=False) as tmp:
            np.savez(tmp, **arrays)
        os.replace(tmp.name, path)  # readers never see half a file
    except OSError as exc:  # a full disk, a read-only folder: serve from memory
        log.warning("cannot write the index cache in %s (%s); serving without it", folder, exc)
        if tmp is not None:
            Path(tmp.name).unlink(missing_ok=True)  # no half-written file left to fill the disk
    return arrays
