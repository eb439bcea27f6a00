"""Shared fixtures: a small FAQ written to disk, a toy encoder, and the shared data path."""

from __future__ import annotations

import textwrap
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
needs_shared_data = pytest.mark.skipif(
    not (SHARED_DATA / "eval").is_dir(),
    reason=f"benchmark data not found at {SHARED_DATA} (a fresh clone has no ../shared; CI does)",
)

SMALL_FAQ = """\
faqs:
  - id: reset-password
    question: How do I reset my password?
    alternates:
      - I forgot my password
      - pw reset
    answer: Go to <https://id.example.com/reset|the reset page>.
    tags: [accounts]
  - id: request-pto
    question: How do I request time off?
    alternates:
      - booking vacation days
    answer: Use Workday.
    tags: [hr]
  - id: vpn
    question: How do I connect to the VPN?
    alternates: [vpn setup on my laptop]
    answer: Install GlobalProtect.
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def faq_file(tmp_path: Path) -> Path:
    return write(tmp_path / "faq.yaml", SMALL_FAQ)


class ConceptEncoder:
    """A test encoder that knows synonyms: a bag of concepts and hashed words, L2-normalised.

    It stands in for the LSTM so matcher decisions can be tested with known similarities.
    Function words are ignored; other unknown words get their own (hashed) dimension.
    """

    name = "concepts-v1"
    CONCEPTS = {
        "password": 0, "pw": 0, "passcode": 0, "login": 0,
        "time": 1, "off": 1, "vacation": 1, "holiday": 1, "pto": 1, "leave": 1,
        "vpn": 2, "tunnel": 2,
        "reset": 3, "forgot": 3, "lost": 3,
        "laptop": 4, "computer": 4,
    }
    IGNORED = frozenset("how do i my the to a for on".split())
    DIM = 1024

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.DIM), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.split():
                if word not in self.IGNORED:
                    known = self.CONCEPTS.get(word)
                    out[row, known if known is not None else 8 + zlib.crc32(word.encode()) % (self.DIM - 8)] += 1
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)
