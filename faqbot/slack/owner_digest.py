"""The weekly message to each FAQ entry owner: their entries not reviewed for
`FAQBOT_STALE_DAYS` (or never), and those of theirs with most 👎 last week.

Every process runs the loop; the first to claim the week in the store sends (on Mondays
from 09:00 UTC, or as soon after as one runs). Owners may be user groups: their members
each get the message (usergroups.users.list). In OAuth mode each installation claims and
sends its own week, through its own bot and with its own workspace's 👎: an owner gets
the message from the workspace they are in (the others' DMs to them fail and are logged).
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from faqbot.insights.freshness import Stale, by_owner, stale_entries
from faqbot.slack.blocks import clip
from faqbot.slack.services import Services
from faqbot.store.workspace import WorkspaceStore

SEND_FROM = (0, 9)  # Monday, 09:00 UTC: the week's message goes out from then on
CHECK_EVERY_S = 3600.0
CLAIM_S = 8 * 24 * 3600.0  # a week's claim outlives the week
SHOWN = 15  # entries listed in one message
UNHELPFUL_TOP = 50

log = logging.getLogger(__name__)


def due(now: datetime) -> str | None:
    """The claim key of this week's message once it is due, else None."""
    year, week, weekday = now.isocalendar()
    return f"owner-digest:{year}-W{week:02d}" if (weekday - 1, now.hour) >= SEND_FROM else None


def send(client: WebClient, services: Services, stale_days: int, today: date) -> int:
    """Message every owner with something to review; returns how many people were messaged."""
    stale = by_owner(stale_entries(services.matcher.faq, today, stale_days))
    since = datetime.combine(today, datetime.min.time(), UTC) - timedelta(days=7)
    unhelpful = dict(services.store.usage(since, UNHELPFUL_TOP).most_unhelpful)
    disliked: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for entry in services.matcher.faq.entries:
        for owner in entry.owners:
            if entry.id in unhelpful:
                disliked[owner].append((entry.id, unhelpful[entry.id]))
    people: dict[str, set[str]] = defaultdict(set)  # person -> the owner IDs (theirs or their groups') to report
    for owner in {*stale, *disliked}:
        for person in members(client, owner):
            people[person].add(owner)
    sent = 0
    for person, owners in sorted(people.items()):
        items = list({s.entry.id: s for o in sorted(owners) for s in stale.get(o, [])}.values())
        bad = sorted({pair for o in owners for pair in disliked.get(o, [])}, key=lambda p: (-p[1], p[0]))
        try:
            client.chat_postMessage(channel=person, text=_text(items, bad, stale_days), unfurl_links=False)
            sent += 1
        except SlackApiError as exc:
            log.warning("could not send the weekly FAQ review to %s: %s", person, exc.response.get("error"))
    return sent


def members(client: WebClient, owner: str) -> list[str]:
    """The people an owner ID stands for: a user, or a user group's members."""
    if not owner.startswith("S"):
        return [owner]
    try:
        return list(client.usergroups_users_list(usergroup=owner)["users"])
    except SlackApiError as exc:
        log.warning("cannot list the members of user group %s (%s): its entries' review goes unsent",
                    owner, exc.response.get("error"))
        return []


def _text(stale: list[Stale], disliked: list[tuple[str, int]], days: int) -> str:
    lines = ["*Your FAQ entries, this week*"]
    if stale:
        lines.append(f"Not reviewed for {days} days, or never: check each answer, then set its `reviewed:` date.")
        for item in stale[:SHOWN]:
            when = "never reviewed" if item.days is None else f"reviewed {item.days} days ago"
            lines.append(f"• {clip(item.entry.question, 120)} `{item.entry.id}` ({item.entry.location}, {when})")
        if len(stale) > SHOWN:
            lines.append(f"…and {len(stale) - SHOWN} more.")
    if disliked:
        lines.append("Marked 👎 last week: " + ", ".join(f"`{e}` ({n}×)" for e, n in disliked[:SHOWN]))
    return "\n".join(lines)


class OwnerDigests:
    """The loop that sends the week's messages to the workspaces `services.workspaces` names; it
    survives any failure (the next check retries)."""

    def __init__(self, services: Services, stale_days: int,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC), every_s: float = CHECK_EVERY_S) -> None:
        self.services, self.stale_days = services, stale_days
        self._clock, self._every_s = clock, every_s
        self._stop = threading.Event()

    def start(self) -> OwnerDigests:
        threading.Thread(target=self._run, name="owner-digest", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def check(self, now: datetime) -> int | None:
        """Send the week's messages of each workspace that is due and that no process has sent;
        how many were sent (None: none this time)."""
        week = due(now)
        if week is None:
            return None
        sent = None
        for team, client in self.services.workspaces():
            key = f"{week}:{team}" if team else week
            if not self.services.store.claim(key, CLAIM_S):
                continue
            services = self.services if team is None else replace(
                self.services, store=WorkspaceStore(self.services.store, team, only=True))
            try:
                sent = (sent or 0) + send(client, services, self.stale_days, now.date())
            except Exception:
                self.services.store.release(key)  # the next check, in any process, sends it
                raise
        return sent

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                sent = self.check(self._clock())
                if sent is not None:
                    log.info("weekly FAQ review sent to %d owner(s)", sent)
            except Exception:
                log.exception("the weekly FAQ review failed; trying again in an hour")
            self._stop.wait(self._every_s)
