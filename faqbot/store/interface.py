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
    team_id: str | None = None  # the Slack workspace (or Grid org) it came from; None: unknown (before 0006)


@dataclass(frozen=True)
class Feedback:
    """A 👍 or 👎 on an answer."""

    question_id: str
    entry_id: str
    user: str
    helpful: bool
    at: datetime = field(default_factory=_now)
    team_id: str | None = None  # as Question.team_id


@dataclass(frozen=True)
class Choice:
    """A "Did you mean…?" pick: the entry the asker turned out to mean."""

    question_id: str
    entry_id: str
    user: str
    at: datetime = field(default_factory=_now)
    team_id: str | None = None  # as Question.team_id


@dataclass(frozen=True)
class Handoff:
    """A question handed to a human ("Ask a human"), and whether someone resolved it."""

    question_id: str
    user: str  # who asked for a human
    target: str  # the triage channel, or the owners asked, as Slack IDs
    id: str = field(default_factory=_new_id)
    at: datetime = field(default_factory=_now)
    team_id: str | None = None  # as Question.team_id


@dataclass(frozen=True)
class Proposal:
    """A change to the FAQ that someone proposed and an admin reviews: a new entry, or new
    alternates of an existing one. Unlike the records above it names people (Slack IDs):
    the admin sees who proposed it, and the proposer hears how it went."""

    kind: str  # "entry" (new) or "alternates" (of the existing entry `entry_id`)
    entry_id: str
    answer: str  # "" for alternates
    question: str = ""  # "" for alternates
    alternates: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    proposer: str = ""  # Slack user ID; "" when `faqbot suggest` proposed it
    origin: str = "slack"  # "slack" (Add to FAQ), "suggest" (learnt from use)
    link: str = ""  # the message it was made from
    status: str = "pending"  # see PENDING and the others below
    reviewer: str = ""  # who decided
    note: str = ""  # why it was rejected, or why writing it failed
    id: str = field(default_factory=_new_id)
    at: datetime = field(default_factory=_now)
    decided_at: datetime | None = None
    team_id: str | None = None  # as Question.team_id


# A proposal's life: pending -> approving (being written) -> approved (in the YAML), or to_apply
# (approved where the FAQ is read-only: `faqbot proposals --apply` writes it), or rejected.
PENDING, APPROVING, APPROVED, TO_APPLY, REJECTED = "pending", "approving", "approved", "to_apply", "rejected"


@dataclass(frozen=True)
class Usage:
    """Counts over a period, computed by the database (a year of records is never loaded)."""

    by_day: list[tuple[date, str, int]]  # (UTC day, method or "none" when not answered, questions)
    feedback_by_day: list[tuple[date, bool, int]]  # (UTC day, helpful, clicks)
    top_entries: list[tuple[str, int]]  # (entry id, answers), most first, then by id
    most_unhelpful: list[tuple[str, int]]  # (entry id, 👎), most first, then by id
    handoffs: int = 0  # questions handed to a human
    resolved: int = 0  # ... of which someone marked resolved


class Store(Protocol):
    """Where interactions are recorded; implementations must be safe across threads."""

    def record_question(self, question: Question) -> None: ...

    def record_feedback(self, feedback: Feedback) -> None: ...

    def record_choice(self, choice: Choice) -> None: ...

    def record_handoff(self, handoff: Handoff) -> None: ...

    def resolve_handoff(self, handoff_id: str, user: str) -> bool:
        """Mark a hand-off resolved by `user`: True for the first, False after (or if unknown)."""
        ...

    def claim(self, key: str, ttl_s: float | None = None) -> bool:
        """True for the first caller with this key (within a TTL: `ttl_s`, or the store's), False
        for every later one."""
        ...

    def release(self, key: str) -> None:
        """Give a claim back: the work it guarded failed, and may be tried again at once."""
        ...

    def questions(self, since: datetime) -> list[Question]: ...

    def feedback(self, since: datetime) -> list[Feedback]: ...

    def choices(self, since: datetime) -> list[Choice]: ...

    def usage(self, since: datetime, top: int, team: str | None = None) -> Usage:
        """What `/faq stats` shows, counted by the database; `top` entries in each ranking.
        `team`: that workspace's records only (None: every record)."""
        ...

    def gaps(self, since: datetime, limit: int, team: str | None = None) -> list[tuple[Question, bool]]:
        """The newest `limit` questions with no entry, or answered and then 👎 (True), newest first."""
        ...

    def delete_before(self, cutoff: datetime) -> int:
        """Retention: forget records (and decided proposals) older than `cutoff`; returns how many went."""
        ...

    def add_proposal(self, proposal: Proposal) -> None: ...

    def proposal(self, proposal_id: str) -> Proposal | None: ...

    def proposals(self, statuses: tuple[str, ...], limit: int, team: str | None = None) -> list[Proposal]:
        """The newest `limit` proposals in these statuses, oldest first."""
        ...

    def move_proposal(self, proposal_id: str, before: tuple[str, ...], after: str, reviewer: str = "",
                      note: str = "", changes: Proposal | None = None, retake_stale: bool = False) -> bool:
        """Set a proposal's status to `after` if it is in one of `before` now (its content to
        `changes`' when given): True for exactly one of several concurrent callers.
        `retake_stale`: also if it has been "approving" so long that the approval died."""
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

    def record_handoff(self, handoff: Handoff) -> None:
        self._write("a hand-off", lambda: self.inner.record_handoff(handoff))

    def resolve_handoff(self, handoff_id: str, user: str) -> bool:
        try:
            return self.inner.resolve_handoff(handoff_id, user)
        except Exception:
            log.exception("cannot record hand-off %s as resolved; shown as resolved anyway", handoff_id)
            return True

    def claim(self, key: str, ttl_s: float | None = None) -> bool:
        try:
            return self.inner.claim(key, ttl_s)
        except Exception:
            log.exception("cannot check %s in the store; handling it as new", key)
            return True

    def release(self, key: str) -> None:
        self._write(f"the release of {key}", lambda: self.inner.release(key))

    def questions(self, since: datetime) -> list[Question]:
        return self.inner.questions(since)

    def feedback(self, since: datetime) -> list[Feedback]:
        return self.inner.feedback(since)

    def choices(self, since: datetime) -> list[Choice]:
        return self.inner.choices(since)

    def usage(self, since: datetime, top: int, team: str | None = None) -> Usage:
        return self.inner.usage(since, top, team)

    def gaps(self, since: datetime, limit: int, team: str | None = None) -> list[tuple[Question, bool]]:
        return self.inner.gaps(since, limit, team)

    def delete_before(self, cutoff: datetime) -> int:
        return self.inner.delete_before(cutoff)

    def add_proposal(self, proposal: Proposal) -> None:
        self.inner.add_proposal(proposal)  # the proposer is told whether it was kept: it must not vanish

    def proposal(self, proposal_id: str) -> Proposal | None:
        return self.inner.proposal(proposal_id)

    def proposals(self, statuses: tuple[str, ...], limit: int, team: str | None = None) -> list[Proposal]:
        return self.inner.proposals(statuses, limit, team)

    def move_proposal(self, proposal_id: str, before: tuple[str, ...], after: str, reviewer: str = "",
                      note: str = "", changes: Proposal | None = None, retake_stale: bool = False) -> bool:
        return self.inner.move_proposal(proposal_id, before, after, reviewer, note, changes, retake_stale)
