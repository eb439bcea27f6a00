"""The store as one Slack request sees it: what it records carries the request's workspace,
and in OAuth mode, where several workspaces share the database, what it reads for admins
(stats, unanswered questions, proposals to review) is that workspace's only."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from faqbot.store.interface import Choice, Feedback, Handoff, Proposal, Question, Store, Usage


@dataclasses.dataclass(frozen=True)
class WorkspaceStore:
    """`inner` with `team` stamped on every record; reads keep to `team` when `only`.
    Everything else (claims, hand-off resolution, retention, proposals by id, the CLI's reads) is `inner`'s."""

    inner: Store
    team: str | None
    only: bool  # OAuth mode: reads keep to `team`; token mode: one workspace, every record counts (NULL ones too)

    def __getattr__(self, name: str) -> Any:
        if name == "inner":  # not set yet (a copy under construction): no recursion
            raise AttributeError(name)
        return getattr(self.inner, name)

    @property
    def _reads(self) -> str | None:
        return self.team if self.only else None

    def record_question(self, question: Question) -> None:
        self.inner.record_question(dataclasses.replace(question, team_id=self.team))

    def record_feedback(self, feedback: Feedback) -> None:
        self.inner.record_feedback(dataclasses.replace(feedback, team_id=self.team))

    def record_choice(self, choice: Choice) -> None:
        self.inner.record_choice(dataclasses.replace(choice, team_id=self.team))

    def record_handoff(self, handoff: Handoff) -> None:
        self.inner.record_handoff(dataclasses.replace(handoff, team_id=self.team))

    def add_proposal(self, proposal: Proposal) -> None:
        self.inner.add_proposal(dataclasses.replace(proposal, team_id=self.team))

    def usage(self, since: datetime, top: int, team: str | None = None) -> Usage:
        return self.inner.usage(since, top, team or self._reads)

    def gaps(self, since: datetime, limit: int, team: str | None = None) -> list[tuple[Question, bool]]:
        return self.inner.gaps(since, limit, team or self._reads)

    def proposals(self, statuses: tuple[str, ...], limit: int, team: str | None = None) -> list[Proposal]:
        return self.inner.proposals(statuses, limit, team or self._reads)
