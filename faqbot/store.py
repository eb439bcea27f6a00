"""What people asked and how the answers landed: the records and the interface that keeps
them (faqbot.database implements it on SQL).

The Slack app and the reports go through `Store` only. `claim` is here too because "have
we replied to this already?" must be answered by what all processes share.
"""

from __future__ import annotations

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

    def questions(self, since: datetime) -> list[Question]: ...

    def feedback(self, since: datetime) -> list[Feedback]: ...

    def choices(self, since: datetime) -> list[Choice]: ...

    def delete_before(self, cutoff: datetime) -> int:
        """Retention: forget records older than `cutoff`; returns how many went."""
        ...
