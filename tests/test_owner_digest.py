"""Owners and freshness: entries not reviewed for FAQBOT_STALE_DAYS are listed to admins in
the Home tab and sent to their owners (user groups' members too) once a week, by one process."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from faqbot.faq.loading import load_faq
from faqbot.faq.schema import Entry
from faqbot.insights.freshness import Stale, stale_entries
from faqbot.matching.matcher import Matcher
from faqbot.slack.app import web_client
from faqbot.slack.owner_digest import OwnerDigests, due
from faqbot.slack.services import Services
from faqbot.slack.views import stale_blocks
from faqbot.store.interface import Feedback, ResilientStore
from faqbot.store.sql import SqlStore
from tests.conftest import write
from tests.fake_slack import FakeSlack
from tests.test_slack_app import TOKEN, Bot, serve, texts
from tests.test_slack_capture import view_of

OWNED = """\
faqs:
  - id: vpn
    question: How do I connect to the VPN?
    answer: Install GlobalProtect.
    owner: [U0NET, S0IT]
    reviewed: 2026-01-10
  - id: pto
    question: How do I request time off?
    answer: Use Workday.
    owner: U0HR
  - id: parking
    question: Where do I park?
    answer: Level -2.
    owner: U0HR
    reviewed: 2026-11-01
  - id: lunch
    question: Where is lunch?
    answer: Floor 2.
"""
TODAY = date(2026, 11, 25)  # a Wednesday
WEDNESDAY = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    slack = FakeSlack().start()
    slack.usergroups["S0IT"] = ["U0IT1", "U0NET"]
    yield slack
    slack.stop()


@pytest.fixture
def faq_path(tmp_path: Path) -> Path:
    return write(tmp_path / "faq" / "owned.yaml", OWNED)


def services(faq_path: Path, store: SqlStore, fake: FakeSlack) -> Services:
    """Token mode's: one workspace, reached with the one token."""
    return Services(Matcher(load_faq(faq_path)), ResilientStore(store), lambda _: "answer", stale_days=180,
                    workspaces=lambda: [(None, web_client(TOKEN, fake.api_url))])


def test_stale_entries_are_the_never_reviewed_then_the_oldest(faq_path: Path) -> None:
    faq = load_faq(faq_path)
    assert [(s.entry.id, s.days) for s in stale_entries(faq, TODAY, 180)] == [
        ("pto", None), ("lunch", None), ("vpn", 319)]
    assert [s.entry.id for s in stale_entries(faq, TODAY, 400)] == ["pto", "lunch"]


def test_the_week_is_due_from_monday_nine_utc() -> None:
    assert due(datetime(2026, 11, 23, 8, 59, tzinfo=UTC)) is None
    assert due(datetime(2026, 11, 23, 9, 0, tzinfo=UTC)) == "owner-digest:2026-W48"
    assert due(datetime(2026, 11, 29, 23, 0, tzinfo=UTC)) == "owner-digest:2026-W48"  # Sunday: still due


def test_each_owner_hears_once_a_week_of_their_entries(fake: FakeSlack, faq_path: Path, store: SqlStore) -> None:
    store.record_feedback(Feedback("q1", "parking", "U0X", False, at=WEDNESDAY))
    digests = OwnerDigests(services(faq_path, store, fake), 180)
    assert digests.check(WEDNESDAY) == 3  # U0NET (an owner, and in S0IT: once), U0IT1 (in S0IT), U0HR
    assert digests.check(WEDNESDAY) is None  # this week's went out
    other_process = OwnerDigests(services(faq_path, store, fake), 180)
    assert other_process.check(WEDNESDAY) is None
    sent = {c.body["channel"]: c.body["text"] for c in fake.of("chat.postMessage")}
    assert sorted(sent) == ["U0HR", "U0IT1", "U0NET"] and len(fake.of("chat.postMessage")) == 3
    assert "`pto`" in sent["U0HR"] and "never reviewed" in sent["U0HR"] and "`parking` (1×)" in sent["U0HR"]
    assert "`vpn`" in sent["U0NET"] and "reviewed 319 days ago" in sent["U0NET"] and "`pto`" not in sent["U0NET"]


def test_a_failure_costs_one_check_never_the_loop(fake: FakeSlack, faq_path: Path, store: SqlStore) -> None:
    class FlakyStore(SqlStore):
        failures = 1

        def usage(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            if self.failures:
                self.failures -= 1
                raise OSError("database unreachable")
            return super().usage(*args, **kwargs)

    flaky = FlakyStore(store.engine)
    digests = OwnerDigests(services(faq_path, flaky, fake), 180, clock=lambda: WEDNESDAY, every_s=0.05).start()
    try:
        fake.wait_for("chat.postMessage", 3, timeout=5)  # the failed check gave the week back: the next one sends
    finally:
        digests.stop()
    assert flaky.failures == 0


@pytest.fixture
def bot(fake: FakeSlack, faq_path: Path) -> Iterator[Bot]:
    yield from serve(fake, faq_path.parent, admins="U0ADMIN")


def test_admins_see_stale_entries_in_the_home_tab(bot: Bot) -> None:
    bot.event({"type": "app_home_opened", "user": "U0ADMIN", "tab": "home"})
    shown = texts(view_of(bot.fake.wait_for("views.publish")[0])["blocks"])
    assert "*Entries to review*: 3 not reviewed for 180 days" in shown
    assert "`pto`: never reviewed, <@U0HR>" in shown and "<!subteam^S0IT>" in shown
    bot.event({"type": "app_home_opened", "user": "U0SOMEONE", "tab": "home"})
    assert "Entries to review" not in texts(view_of(bot.fake.wait_for("views.publish", 2)[1])["blocks"])


def test_a_faq_that_dates_no_entry_gets_a_hint_not_a_list_of_everything() -> None:
    undated = [Stale(Entry(id=f"e{i}", question=f"Q{i}?", answer="a"), None) for i in range(3)]
    assert "no entry has a `reviewed:` date yet" in texts(stale_blocks(undated, 180, 3))
    assert "3 not reviewed for 180 days" in texts(stale_blocks(undated, 180, 4))
