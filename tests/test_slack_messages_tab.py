"""The Messages tab, the app's front door, through signed requests against the fake Slack:
opening it suggests the most asked questions and greets once; a greeting's question answers
when clicked; a DM in a thread shows a loading status and is answered once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from faqbot.slack.greeting import PROMPT_PREFIX, PROMPTS_TITLE
from faqbot.slack.listeners.messages_tab import LOADING
from faqbot.store.interface import Question
from tests.fake_slack import FakeSlack
from tests.conftest import write
from tests.test_slack_app import DM, USER, Bot, blocks_of, buttons, manifest, message, serve, texts
from tests.test_slack_escalation import click


@pytest.fixture
def bot(fake: FakeSlack, faq_file: Path) -> Iterator[Bot]:
    yield from serve(fake, faq_file)


def open_tab(bot: Bot, user: str = USER, tab: str = "messages") -> None:
    assert bot.event({"type": "app_home_opened", "user": user, "channel": DM, "tab": tab})[0] == 200


def asked(bot: Bot, entry_id: str, times: int) -> None:
    for _ in range(times):
        bot.store.record_question(Question(entry_id, "dm", "U0OTHER", entry_id, 0.9, "semantic", answered=True))


def prompts_of(call: Any) -> list[dict[str, str]]:
    value = call.body["prompts"]
    return json.loads(value) if isinstance(value, str) else value


def test_opening_the_tab_suggests_the_most_asked_and_greets_once(bot: Bot) -> None:
    asked(bot, "vpn", 3)
    asked(bot, "request-pto", 1)
    asked(bot, "retired", 5)  # an entry no longer in the FAQ is not suggested
    bot.store.record_question(Question("pizza", "dm", "U0OTHER", None, 0.1, "none", answered=False))
    open_tab(bot)
    open_tab(bot)  # every opening refreshes the prompts; the greeting comes once
    first, second = bot.fake.wait_for("assistant.threads.setSuggestedPrompts", 2)
    assert first.body["channel_id"] == DM and "thread_ts" not in first.body  # agent_view: the tab's, not a thread's
    assert first.body["title"] == PROMPTS_TITLE
    # most answered first, then the FAQ's first entries fill the four places
    assert [p["message"] for p in prompts_of(first)] == ["How do I connect to the VPN?", "How do I request time off?",
                                                         "How do I reset my password?"]
    assert prompts_of(second) == prompts_of(first)
    bot.executor.wait_idle()
    [greeting] = bot.fake.of("chat.postMessage")
    assert greeting.body["channel"] == DM and f"Hi <@{USER}>!" in texts(blocks_of(greeting))
    assert [b["value"] for b in buttons(blocks_of(greeting))] == ["vpn", "request-pto", "reset-password"]
    assert buttons(blocks_of(greeting))[0]["action_id"] == f"{PROMPT_PREFIX}0"
    assert bot.fake.of("views.publish") == []  # the Home tab is not drawn for the Messages tab
    assert bot.fake.of("users.conversations") == []  # no help desks: their channels do not matter
    open_tab(bot, user="U0NEWCOMER")
    assert len(bot.fake.wait_for("chat.postMessage", 2)) == 2  # once per person


def test_without_records_the_faqs_first_entries_are_suggested(bot: Bot) -> None:
    open_tab(bot)
    [call] = bot.fake.wait_for("assistant.threads.setSuggestedPrompts")
    assert [p["title"] for p in prompts_of(call)] == ["How do I reset my password?", "How do I request time off?",
                                                      "How do I connect to the VPN?"]


def test_refused_prompts_still_greet_and_a_failed_greeting_is_tried_again(bot: Bot) -> None:
    bot.fake.fail("assistant.threads.setSuggestedPrompts", 200, body={"ok": False, "error": "missing_scope"})
    bot.fake.fail("chat.postMessage", 200, body={"ok": False, "error": "channel_not_found"})
    open_tab(bot)
    bot.executor.wait_idle()
    open_tab(bot)
    calls = bot.fake.wait_for("chat.postMessage", 2)  # the refused one, then the greeting it gave back
    assert "Hi <@" in texts(blocks_of(calls[1]))
    bot.executor.wait_idle()
    assert len(bot.fake.of("chat.postMessage")) == 2


def test_a_greetings_question_answers_when_clicked(bot: Bot) -> None:
    open_tab(bot)
    [greeting] = bot.fake.wait_for("chat.postMessage")
    vpn = buttons(blocks_of(greeting))[2]
    click(bot, vpn)
    answer = bot.fake.wait_for("chat.postMessage", 2)[1]
    assert answer.body["channel"] == DM and "Install GlobalProtect." in texts(blocks_of(answer))
    assert buttons(blocks_of(answer)) == []  # nothing was asked, so nothing to rate
    click(bot, {**vpn, "value": "gone-entry"})
    gone = bot.fake.wait_for("chat.postMessage", 3)[2]
    assert "no longer in the FAQ" in gone.body["text"]


def test_a_dm_in_a_thread_shows_a_loading_status_and_is_answered_once(bot: Bot) -> None:
    question = message("how do I connect to the vpn", ts="1700000000.000300", thread_ts="1700000000.000200",
                       channel=DM)
    bot.event(question)
    bot.event(question, headers={"X-Slack-Retry-Num": "1"})  # a retry: its claim says answered
    # the legacy assistant_view's thread root, edited by Slack: not a person's message
    bot.event({"type": "message", "subtype": "message_changed", "channel": DM, "channel_type": "im",
               "ts": "1700000000.000400", "message": {"subtype": "assistant_app_thread", "user": USER,
                                                      "ts": "1700000000.000200", "thread_ts": "1700000000.000200"}})
    bot.executor.wait_idle()
    [status] = bot.fake.of("assistant.threads.setStatus")
    [reply] = bot.fake.of("chat.postMessage")
    assert (status.body["channel_id"], status.body["thread_ts"], status.body["status"]) == (
        DM, "1700000000.000200", LOADING)
    assert reply.body["thread_ts"] == "1700000000.000200" and status.at <= reply.at  # the reply clears it
    assert "Install GlobalProtect." in texts(blocks_of(reply))


def test_a_top_level_dm_gets_no_status_and_a_refused_status_costs_nothing(bot: Bot) -> None:
    bot.event(message("booking vacation days", channel=DM))
    bot.fake.wait_for("chat.postMessage")
    bot.executor.wait_idle()
    assert bot.fake.of("assistant.threads.setStatus") == []  # its answer goes outside any thread
    bot.fake.fail("assistant.threads.setStatus", 200, body={"ok": False, "error": "not_allowed"})
    bot.event(message("booking vacation days", ts="1700000000.000600", thread_ts="1700000000.000500", channel=DM))
    reply = bot.fake.wait_for("chat.postMessage", 2)[1]
    assert "Use Workday." in texts(blocks_of(reply))


def test_the_manifest_declares_the_agent_messaging_experience() -> None:
    data = manifest()
    features = data["features"]
    assert features["agent_view"]["agent_description"]  # Slack requires it with agent_view
    assert "assistant_view" not in features  # the legacy experience, which the Assistant class serves
    assert "assistant:write" in data["oauth_config"]["scopes"]["bot"]  # assistant.threads.setSuggestedPrompts
    assert not [e for e in data["settings"]["event_subscriptions"]["bot_events"] if e.startswith("assistant_")]
    assert features["app_home"]["messages_tab_enabled"] is True


def test_the_help_desks_of_their_channels_come_first(fake: FakeSlack, faq_file: Path) -> None:
    write(faq_file.parent / "channels.yaml", "channels:\n  C0HR:\n    tags: [hr]\n  C0ALL: {}\n")
    fake.memberships.update({USER: ["C0RANDOM", "C0HR"], "U0ALL": ["C0ALL", "C0HR"]})  # C0ALL: every entry
    for bot in serve(fake, faq_file):
        asked(bot, "vpn", 3)
        for user in (USER, "U0ALL", "U0UNKNOWN"):  # the last: Slack says user_not_found
            open_tab(bot, user=user)
            bot.executor.wait_idle()
        calls = bot.fake.of("assistant.threads.setSuggestedPrompts")
        assert [[p["message"] for p in prompts_of(call)] for call in calls] == [
            ["How do I request time off?", "How do I connect to the VPN?", "How do I reset my password?"],
            ["How do I connect to the VPN?", "How do I reset my password?", "How do I request time off?"],
            ["How do I connect to the VPN?", "How do I reset my password?", "How do I request time off?"],
        ]
        assert [c.body["user"] for c in bot.fake.of("users.conversations")] == [USER, "U0ALL", "U0UNKNOWN"]
