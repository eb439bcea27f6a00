"""The encoder interface the matcher depends on: texts in, unit vectors out.

The Siamese LSTM implements it; the matcher only needs `encode`, so it knows nothing of
how vectors are made (and tests can plug in a small encoder of their own).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np


class Encoder(Protocol):
    """Maps normalised texts to L2-normalised rows, so a dot product is a cosine."""

    @property
    def name(self) -> str:
        """Identifies the weights, so cached encodings are never reused across models."""
        ...

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Return a float32 array (len(texts), dim) of unit rows, each independent of the batch."""
        ...
