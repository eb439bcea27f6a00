"""Per-channel help desks through signed requests against the fake Slack: a channel answers
from its tags' entries, with its own mode, bar and triage channel; `/faq list` there puts its
entries first; edits to channels.yaml are served without a restart, broken ones refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from faqbot.faq.schema import FaqError
from faqbot.slack import blocks
from tests.conftest import EPOCH, write
from tests.fake_slack import FakeSlack
from tests.test_slack_app import CALIBRATION, Bot, blocks_of, buttons, message, serve, texts

HR, IT, QUIET, TRIAGE = "C0HR", "C0IT", "C0QUIET", "C0ITTRIAGE"
DESKS = f"""\
channels:
  {HR}:
    name: hr-help
    tags: [hr]
  {IT}:
    tags: [accounts]
    mode: suggest
    threshold: 0.99
    escalation: {TRIAGE}
  {QUIET}:
    mode: answer  # FAQBOT_CHANNEL_MODES says silent: the file wins
"""


@pytest.fixture
def desk_bot(fake: FakeSlack, faq_file: Path) -> Iterator[Bot]:
    write(faq_file.parent / "channels.yaml", DESKS)
    yield from serve(fake, faq_file, channel_modes=f"{QUIET}=silent", admins="U0ADMIN")


def test_a_desk_answers_from_its_entries_only(desk_bot: Bot) -> None:
    desk_bot.event(message("booking vacation days?", channel=HR))
    [call] = desk_bot.fake.wait_for("chat.postMessage")
    assert call.body["channel"] == HR and "Use Workday." in texts(blocks_of(call))
    desk_bot.event(message("How do I reset my password?", ts="1700000000.000200", channel=HR))
    desk_bot.executor.wait_idle()
    assert len(desk_bot.fake.of("chat.")) == 1  # not HR's to answer: silence
    desk_bot.event(message("How do I reset my password?", ts="1700000000.000300"))  # a channel without a desk
    answered = desk_bot.fake.wait_for("chat.postMessage", 2)[1]
    assert "the reset page" in texts(blocks_of(answered))
    desk_bot.executor.wait_idle()
    records = {q.entry_id: q.answered for q in desk_bot.store.questions(EPOCH)}
    assert records == {"request-pto": True, None: False, "reset-password": True}


def test_a_mention_in_a_desk_offers_its_entries_only(desk_bot: Bot) -> None:
    desk_bot.event({"type": "app_mention", "channel": HR, "user": "U0ASKER", "ts": "1700000000.000100",
                    "text": "<@UBOT> I forgot my password, what now?"})
    [call] = desk_bot.fake.wait_for("chat.postMessage")
    shown = texts(blocks_of(call))
    assert "the reset page" not in shown
    assert all(json.loads(b["value"]).get("entry") != "reset-password" for b in buttons(blocks_of(call)))


def test_a_desks_mode_and_bar(desk_bot: Bot) -> None:
    question = "I forgot my password, how do I get back in?"
    confidence = desk_bot.services.matcher.match(question, "channel").confidence
    assert CALIBRATION.channel <= confidence < 0.99  # answered anywhere else, not under IT's bar
    desk_bot.event(message(question, channel=IT))
    [offer] = desk_bot.fake.wait_for("chat.postEphemeral")  # suggest: "Did you mean" to the asker
    assert [json.loads(b["value"])["entry"] for b in buttons(blocks_of(offer))
            if b["action_id"].startswith(blocks.SUGGESTION_PREFIX)] == ["reset-password"]
    assert desk_bot.fake.of("chat.postMessage") == []
    desk_bot.event(message(question, ts="1700000000.000200", channel=QUIET))
    [call] = desk_bot.fake.wait_for("chat.postMessage")  # the file's mode over the environment's
    assert call.body["channel"] == QUIET


def test_ask_a_human_goes_to_the_desks_triage_channel(desk_bot: Bot) -> None:
    desk_bot.event({"type": "app_mention", "channel": IT, "user": "U0ASKER", "ts": "1700000000.000100",
                    "text": "<@UBOT> where is the cafeteria on floor two?"})
    [reply] = desk_bot.fake.wait_for("chat.postMessage")
    [ask] = [b for b in buttons(blocks_of(reply)) if b["action_id"] == blocks.ASK_HUMAN]  # no owners, no env channel
    desk_bot.click(ask)
    triage = desk_bot.fake.wait_for("chat.postMessage", 3)[1]
    assert triage.body["channel"] == TRIAGE and "where is the cafeteria" in triage.body["text"]
    desk_bot.event(message("where is the cafeteria on floor two?", ts="1700000000.000500", channel="D0DM"))
    dm_reply = desk_bot.fake.wait_for("chat.postMessage", 4)[3]
    assert blocks.ASK_HUMAN not in [b["action_id"] for b in buttons(blocks_of(dm_reply))]  # DMs: nobody set up


def test_faq_list_in_a_desk_lists_its_entries_first(desk_bot: Bot) -> None:
    desk_bot.command("list", channel=HR)
    [here] = desk_bot.fake.wait_for("response/command")
    lines = texts(here.body["blocks"]).splitlines()
    assert lines[:3] == ["*3 FAQ entries*", "_Answered in this channel:_", "• How do I request time off? `request-pto`"]
    assert lines[3] == "_Elsewhere in the FAQ:_"
    desk_bot.command("list", channel="C0CHAN")
    elsewhere = desk_bot.fake.wait_for("response/command", 2)[1]
    assert texts(elsewhere.body["blocks"]).splitlines()[1] == "• How do I reset my password? `reset-password`"


def test_an_edited_channels_file_is_served_without_a_restart(desk_bot: Bot, faq_file: Path) -> None:
    reloader = desk_bot.services.reloader
    before = reloader.fingerprint()
    write(faq_file.parent / "channels.yaml", DESKS.replace("tags: [hr]", "tags: [hr, accounts]"))
    assert reloader.fingerprint() != before  # the watcher sees the edit
    assert reloader.reload().ok
    desk_bot.event(message("How do I reset my password?", channel=HR))
    [call] = desk_bot.fake.wait_for("chat.postMessage")
    assert "the reset page" in texts(blocks_of(call))


def test_a_broken_channels_file_keeps_the_last_good_desks_and_tells_admins(desk_bot: Bot, faq_file: Path) -> None:
    write(faq_file.parent / "channels.yaml", DESKS.replace("mode: suggest", "mode: loud"))
    result = desk_bot.services.reloader.reload()
    assert not result.ok
    assert result.problems == (f"{faq_file.parent / 'channels.yaml'}:7: channel {IT}: 'mode' must be answer,"
                               " suggest or silent, not 'loud'",)
    [told] = desk_bot.fake.wait_for("chat.postMessage")
    assert told.body["channel"] == "U0ADMIN" and "'mode' must be answer" in told.body["text"]
    assert desk_bot.services.desk(IT).mode == "suggest"


def test_the_app_does_not_start_on_a_broken_channels_file(fake: FakeSlack, faq_file: Path) -> None:
    write(faq_file.parent / "channels.yaml", "channels:\n  it-help: {}\n")
    with pytest.raises(FaqError, match="'it-help' is not a channel ID"):
        next(serve(fake, faq_file))
