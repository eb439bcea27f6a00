"""Handing a question to a human, through signed requests against the fake Slack: "Ask a
human" under a reply that was not sure (or after a 👎) -> the triage channel or the entry's
owners -> the conversation told -> "Resolved" -> the conversation told, and the answer that
solved it offered for the FAQ; counted in /faq stats."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from faqbot.slack import blocks
from faqbot.store.interface import PENDING
from tests.conftest import SMALL_FAQ, write
from tests.fake_slack import BOT_USER, TEAM, FakeSlack
from tests.test_slack_app import Bot, blocks_of, buttons, message, serve, texts
from tests.test_slack_capture import interact, view_of

DM, TRIAGE, ASKER, HELPER = "D0DM", "C0TRIAGE", "U0ASKER", "U0HELPER"
UNKNOWN = message("where is the cafeteria on floor two?", ts="1700000000.000100", channel=DM)
OWNED_FAQ = SMALL_FAQ.replace("    answer: Install GlobalProtect.\n",
                              "    answer: Install GlobalProtect.\n    owner: [U0NET, S0IT]\n")


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    slack = FakeSlack().start()
    slack.usergroups["S0IT"] = ["U0IT1", "U0NET"]
    slack.threads[(DM, UNKNOWN["ts"])] = [
        {"ts": UNKNOWN["ts"], "user": ASKER, "text": UNKNOWN["text"]},
        {"ts": "1700000000.000150", "user": BOT_USER, "bot_id": "BBOT", "text": "I don't know that one"},
        {"ts": "1700000000.000200", "user": HELPER, "text": "Floor 2, east wing, next to the lifts."},
    ]
    yield slack
    slack.stop()


@pytest.fixture
def bot(fake: FakeSlack, tmp_path: Path) -> Iterator[Bot]:
    yield from serve(fake, write(tmp_path / "faq.yaml", OWNED_FAQ), escalation_channel=TRIAGE, admins="U0ADMIN")


def click(bot: Bot, button: dict[str, Any], user: str = ASKER, channel: str = DM,
          message_blocks: list[dict[str, Any]] | None = None) -> tuple[int, str]:
    return interact(bot.url, {
        "type": "block_actions", "user": {"id": user, "team_id": TEAM}, "team": {"id": TEAM}, "trigger_id": "1.2.3",
        "channel": {"id": channel}, "container": {"type": "message", "message_ts": "1700000000.000300",
                                                  "channel_id": channel},
        "message": {"ts": "1700000000.000300", "blocks": message_blocks or []},
        "response_url": bot.fake.response_url("click"),
        "actions": [{"type": "button", "action_id": button["action_id"], "block_id": "b", "value": button["value"]}],
    })


def posted_to(fake: FakeSlack, channel: str) -> list[Any]:
    return [c for c in fake.of("chat.postMessage") if c.body.get("channel") == channel]


def test_a_question_goes_to_the_triage_channel_and_comes_back_resolved(bot: Bot) -> None:
    bot.event(UNKNOWN)
    [reply] = bot.fake.wait_for("chat.postMessage")
    [ask] = [b for b in buttons(blocks_of(reply)) if b["action_id"] == blocks.ASK_HUMAN]
    assert "A human may" in texts(blocks_of(reply))

    assert click(bot, ask)[0] == 200
    bot.executor.wait_idle()
    [triage] = posted_to(bot.fake, TRIAGE)
    assert f"<@{ASKER}> needs a human: “where is the cafeteria on floor two?”" in triage.body["text"]
    assert f"<https://test.slack.com/archives/{DM}/p1700000000000100|Reply in the conversation>" in triage.body["text"]
    [told] = [c for c in posted_to(bot.fake, DM) if c.body.get("thread_ts") == UNKNOWN["ts"]]
    assert f"I've asked <#{TRIAGE}>" in told.body["text"]
    click(bot, ask)  # again (or a retried click): asked once
    bot.executor.wait_idle()
    assert len(posted_to(bot.fake, TRIAGE)) == 1
    assert "asked about this already" in bot.fake.of("response/click")[-1].body["text"]

    [resolved] = [b for b in buttons(blocks_of(triage)) if b["action_id"] == blocks.RESOLVED]
    assert click(bot, resolved, user=HELPER, channel=TRIAGE, message_blocks=blocks_of(triage))[0] == 200
    bot.executor.wait_idle()
    updated, offer = bot.fake.of("response/click")[-2:]
    assert updated.body["replace_original"] is True and f"✅ Resolved by <@{HELPER}>" in texts(updated.body["blocks"])
    assert all(b["type"] != "actions" for b in updated.body["blocks"])  # no second "Resolved"
    assert any(f"<@{HELPER}> marked this resolved" in c.body["text"] for c in posted_to(bot.fake, DM))
    [add] = buttons(offer.body["blocks"])
    assert offer.body["response_type"] == "ephemeral" and add["action_id"] == blocks.RESOLVED_TO_FAQ

    click(bot, add, user=HELPER, channel=TRIAGE)
    modal = view_of(bot.fake.wait_for("views.update")[-1])
    fields = {b["block_id"]: b["element"] for b in modal["blocks"] if b["type"] == "input"}
    assert fields["question"]["initial_value"] == "where is the cafeteria on floor two?"
    assert fields["answer"]["initial_value"] == "Floor 2, east wing, next to the lifts."  # the human's, not the bot's

    bot.command("stats", user="U0ADMIN")
    [stats] = bot.fake.wait_for("response/command")
    assert "handed to a human: 1 (1 resolved)" in texts(stats.body["blocks"])
    assert bot.store.proposals((PENDING,), 10) == []  # nothing is proposed until the modal is submitted


def test_after_a_thumbs_down_a_human_can_be_asked(bot: Bot) -> None:
    bot.event(message("how do I connect to the VPN?", channel=DM))
    [answer] = bot.fake.wait_for("chat.postMessage")
    [down] = [b for b in buttons(blocks_of(answer)) if b["action_id"] == blocks.NOT_HELPFUL]
    click(bot, down)
    [replaced] = bot.fake.wait_for("response/click")
    assert blocks.ASK_HUMAN in [b["action_id"] for b in buttons(replaced.body["blocks"])]


def test_without_a_triage_channel_the_owners_are_asked_directly(fake: FakeSlack, tmp_path: Path) -> None:
    bot = next(serve(fake, write(tmp_path / "faq.yaml", OWNED_FAQ)))
    bot.event(message("is the tunnel thing down right now?", channel=DM))  # close to `vpn`, not sure
    [reply] = fake.wait_for("chat.postMessage")
    [ask] = [b for b in buttons(blocks_of(reply)) if b["action_id"] == blocks.ASK_HUMAN]
    value = json.loads(ask["value"])
    assert "vpn" in value["others"]
    click(bot, ask)
    bot.executor.wait_idle()
    assert sorted(c.body["channel"] for c in fake.of("chat.postMessage") if "needs a human" in c.body["text"]) == \
        ["U0IT1", "U0NET"]  # U0NET owns it and is in S0IT: asked once


def test_nobody_to_ask_means_no_button(fake: FakeSlack, tmp_path: Path) -> None:
    bot = next(serve(fake, write(tmp_path / "faq.yaml", SMALL_FAQ)))
    bot.event(UNKNOWN)
    [reply] = fake.wait_for("chat.postMessage")
    assert blocks.ASK_HUMAN not in [b["action_id"] for b in buttons(blocks_of(reply))]


def test_a_triage_channel_that_refuses_the_post_is_said_and_the_click_can_be_tried_again(bot: Bot) -> None:
    bot.event(UNKNOWN)
    [reply] = bot.fake.wait_for("chat.postMessage")
    [ask] = [b for b in buttons(blocks_of(reply)) if b["action_id"] == blocks.ASK_HUMAN]
    bot.fake.fail("chat.postMessage", 404, body={"ok": False, "error": "channel_not_found"})
    click(bot, ask)
    bot.executor.wait_idle()
    assert "could not reach anyone" in bot.fake.of("response/click")[-1].body["text"]
    assert posted_to(bot.fake, TRIAGE) == []
    click(bot, ask)  # the bot was invited meanwhile
    bot.executor.wait_idle()
    assert len(posted_to(bot.fake, TRIAGE)) == 1
