"""What people asked and how the answers landed: the records, the interface that keeps
them, and an in-memory implementation.

The Slack app writes through `Store` only, so a database can stand behind it without the
listeners changing. `claim` is here too because "have we replied to this already?" must
be answered by whatever all processes share once there is more than one.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol
from uuid import uuid4

CLAIM_TTL_S = 3600.0  # Slack retries an event for about 5 minutes; keep keys well past that


def _now() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return uuid4().hex


@dataclass(frozen=True)
class Question:
    """One question the bot handled, whether it answered or stayed silent."""

    text: str
    normalized: str
    surface: str  # "channel", "dm", "mention" or "command"
    user: str
    channel: str
    entry_id: str | None  # the entry matched with confidence; None when nothing was
    score: float
    method: str  # "semantic", "fuzzy" or "none"
    answered: bool  # the answer was posted (a silent channel matches without answering)
    ts: str | None = None  # the message's timestamp (None for slash commands)
    thread_ts: str | None = None
    id: str = field(default_factory=_new_id)
    at: datetime = field(default_factory=_now)


@dataclass(frozen=True)
class Feedback:
    """A 👍 or 👎 on an answer."""

    question_id: str
    entry_id: str
    user: str
    helpful: bool
    at: datetime = field(default_factory=_now)


@dataclass(frozen=True)
class Choice:
    """A "Did you mean…?" pick: the entry the asker turned out to mean."""

    question_id: str
    entry_id: str
    user: str
    at: datetime = field(default_factory=_now)


class Store(Protocol):
    """Where interactions are recorded; implementations must be safe across threads."""

    def record_question(self, question: Question) -> None: ...

    def record_feedback(self, feedback: Feedback) -> None: ...

    def record_choice(self, choice: Choice) -> None: ...

    def claim(self, key: str) -> bool:
        """True for the first caller with this key (within a TTL), False for every later one."""
        ...


class MemoryStore:
    """The store of one process, lost on restart: enough for a single worker and for tests."""

    def __init__(self, claim_ttl_s: float = CLAIM_TTL_S) -> None:
        self.questions: list[Question] = []
        self.feedback: list[Feedback] = []
        self.choices: list[Choice] = []
        self._claims: dict[str, float] = {}  # key -> monotonic expiry
        self._claim_ttl_s = claim_ttl_s
        self._lock = threading.Lock()

    def record_question(self, question: Question) -> None:
        with self._lock:
            self.questions.append(question)

    def record_feedback(self, feedback: Feedback) -> None:
        with self._lock:
            self.feedback.append(feedback)

    def record_choice(self, choice: Choice) -> None:
        with self._lock:
            self.choices.append(choice)

    def claim(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            if self._claims.get(key, 0.0) > now:
                return False
            if len(self._claims) > 10_000:  # forget expired keys now and then, not on every call
                self._claims = {k: t for k, t in self._claims.items() if t > now}
            self._claims[key] = now + self._claim_ttl_s
            return True
