"""Shared fixtures: a small FAQ written to disk, a toy encoder, the shared data path, the
databases the store runs on, and the fake Slack."""

from __future__ import annotations

import functools
import os
import textwrap
import zlib
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import psycopg
import pytest

from pydantic import AliasChoices

from faqbot.config import Settings
from faqbot.matching.decision import SEMANTIC_WEIGHT, Calibration
from faqbot.store.sql import SqlStore, make_url_safe
from tests.fake_slack import FakeSlack

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


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    """The fake Slack the Slack scenario tests send to and read from."""
    slack = FakeSlack().start()
    yield slack
    slack.stop()


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
    dim = DIM

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.DIM), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.split():
                if word not in self.IGNORED:
                    known = self.CONCEPTS.get(word)
                    out[row, known if known is not None else 8 + zlib.crc32(word.encode()) % (self.DIM - 8)] += 1
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)


def fused_calibration(channel: float = 0.9, direct: float = 0.6, suggest: float = 0.3, fuzzy: float = 0.9,
                      model: str | None = None) -> Calibration:
    """A calibration whose confidence is sigmoid(10 * fused score - 5), a monotone function of the
    fused score alone (0.5 at 0.5, 0.73 at 0.6, 0.88 at 0.7, 0.95 at 0.8, 0.993 at 1), so tests
    about decisions know which questions pass which bar without the built-in fit."""
    return Calibration(coef=(10.0, 0.0), intercept=-5.0, channel=channel, direct=direct, fuzzy=fuzzy,
                       suggest=suggest, semantic_weight=SEMANTIC_WEIGHT, model=model)


# PostgreSQL for the store tests: .ci/run starts one on 127.0.0.1 (see .ci/postgres).
POSTGRES_URL = os.environ.get("FAQBOT_TEST_POSTGRES_URL", "postgresql://faqbot:faqbot@127.0.0.1:5432/faqbot_test")
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # "since the beginning", for reading every record back


@functools.cache
def postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used (None when it can); asked once per test session."""
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]


def reset_postgres() -> None:
    """An empty database for the next test; only a database named *_test is ever wiped."""
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        name = connection.execute("SELECT current_database()").fetchone()[0]
        assert name.endswith("_test"), f"refusing to wipe database {name!r}: test databases end in _test"
        connection.execute("DROP SCHEMA public CASCADE")
        connection.execute("CREATE SCHEMA public")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The store's tests run on both databases faqbot supports."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'faqbot.db'}"
    problem = postgres_problem()
    if problem:
        pytest.skip(f"no PostgreSQL server reachable at {make_url_safe(POSTGRES_URL)} ({problem});"
                    " .ci/run starts one, or set FAQBOT_TEST_POSTGRES_URL")
    reset_postgres()
    return POSTGRES_URL


@pytest.fixture
def store(tmp_path: Path) -> SqlStore:
    """A store on a fresh SQLite file, for tests about something else."""
    return SqlStore.open(f"sqlite:///{tmp_path / 'store.db'}")


def setting_variables() -> list[str]:
    """Every environment variable Settings reads (FAQBOT_* and the Slack/platform names)."""
    names: list[str] = []
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names += [a for a in alias.choices if isinstance(a, str) and a.isupper()]
        else:
            names.append(alias if isinstance(alias, str) else f"FAQBOT_{name.upper()}")
    return names
