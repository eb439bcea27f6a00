"""What people asked and how the answers landed: the records and the interface that keeps
them (faqbot.store.sql implements it on SQL).

The Slack app and the reports go through `Store` only. `claim` is here too because "have
we replied to this already?" must be answered by what all processes share.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Protocol
from uuid import uuid4

log = logging.getLogger(__name__)
CLAIM_TTL_S = 3600.0  # Slack retries an event for about 5 minutes; keep keys well past that


def _now() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return uuid4().hex


@dataclass(frozen=True)
class Question:
    """One question the bot handled, whether it answered or stayed silent. Only its
    normalised text is kept: mentions, links' targets and formatting are gone; and not
    where it was asked (channel and timestamp would name its author)."""

    normalized: str
    surface: str  # "channel", "dm", "mention" or "command"
    user: str
    entry_id: str | None  # the entry matched with confidence; None when nothing was
    score: float
    method: str  # "semantic", "fuzzy" or "none"
    answered: bool  # the answer was posted (a silent channel matches without answering)
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


@dataclass(frozen=True)
class Usage:
    """Counts over a period, computed by the database (a year of records is never loaded)."""

    by_day: list[tuple[date, str, int]]  # (UTC day, method or "none" when not answered, questions)
    feedback_by_day: list[tuple[date, bool, int]]  # (UTC day, helpful, clicks)
    top_entries: list[tuple[str, int]]  # (entry id, answers), most first, then by id
    most_unhelpful: list[tuple[str, int]]  # (entry id, 👎), most first, then by id


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

    def usage(self, since: datetime, top: int) -> Usage:
        """What `/faq stats` shows, counted by the database; `top` entries in each ranking."""
        ...

    def gaps(self, since: datetime, limit: int) -> list[tuple[Question, bool]]:
        """The newest `limit` questions with no entry, or answered and then 👎 (True), newest first."""
        ...

    def delete_before(self, cutoff: datetime) -> int:
        """Retention: forget records older than `cutoff`; returns how many went."""
        ...


class ResilientStore:
    """The store as the Slack listeners use it: a database failure costs a record, never a
    reply. A write that fails is logged and dropped; a claim that cannot be checked is
    granted (a rare second reply beats silence); reads, for admins, fail loudly."""

    def __init__(self, store: Store) -> None:
        self.inner = store

    def _write(self, what: str, write: Callable[[], None]) -> None:
        try:
            write()
        except Exception:
            log.exception("recording %s failed; the reply goes out anyway", what)

    def record_question(self, question: Question) -> None:
        self._write("a question", lambda: self.inner.record_question(question))

    def record_feedback(self, feedback: Feedback) -> None:
        self._write("feedback", lambda: self.inner.record_feedback(feedback))

    def record_choice(self, choice: Choice) -> None:
        self._write("a choice", lambda: self.inner.record_choice(choice))

    def claim(self, key: str) -> bool:
        try:
            return self.inner.claim(key)
        except Exception:
            log.exception("cannot check %s in the store; handling it as new", key)
            return True

    def questions(self, since: datetime) -> list[Question]:
        return self.inner.questions(since)

    def feedback(self, since: datetime) -> list[Feedback]:
        return self.inner.feedback(since)

    def choices(self, since: datetime) -> list[Choice]:
        return self.inner.choices(since)

    def usage(self, since: datetime, top: int) -> Usage:
        return self.inner.usage(since, top)

    def gaps(self, since: datetime, limit: int) -> list[tuple[Question, bool]]:
        return self.inner.gaps(since, limit)

    def delete_before(self, cutoff: datetime) -> int:
        return self.inner.delete_before(cutoff)
