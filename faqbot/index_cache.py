"""Encoded FAQ phrasings kept on disk, so a restart does not re-encode an unchanged FAQ.

The file name is a hash of the encoder's name (which hashes its weights) and of the exact
normalised phrasings, so any change to the model or the FAQ misses the cache by itself.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from faqbot.encoder import Encoder

log = logging.getLogger(__name__)


def cache_key(encoder_name: str, texts: Sequence[str]) -> str:
    digest = hashlib.sha256(encoder_name.encode("utf-8"))
    for text in texts:
        digest.update(b"\0" + text.encode("utf-8"))
    return digest.hexdigest()[:32]


def cached_encode(encoder: Encoder, texts: Sequence[str], folder: Path | None) -> np.ndarray:
    """encoder.encode(texts), read from `folder` when this model has encoded these texts before."""
    if folder is None:
        return encoder.encode(texts)
    path = folder / f"{cache_key(encoder.name, texts)}.npy"
    try:
        vectors = np.load(path, allow_pickle=False)
        if vectors.shape[0] == len(texts):
            return vectors
        log.warning("index cache %s has %d rows for %d phrasings; re-encoding", path, vectors.shape[0], len(texts))
    except FileNotFoundError:
        pass
    except (OSError, ValueError, EOFError) as exc:
        log.warning("index cache %s is unreadable (%s); re-encoding", path, exc)
    vectors = encoder.encode(texts)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".npy", delete=False) as tmp:
            np.save(tmp, vectors)
        os.replace(tmp.name, path)  # readers never see half a file
    except OSError as exc:
        log.warning("cannot write the index cache in %s (%s); serving without it", folder, exc)
    return vectors
