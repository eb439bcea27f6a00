"""Scenario tests: the real app, served by waitress, driven over HTTP with signed requests
the way Slack sends them; its Web API calls and response-URL posts go to a fake Slack."""

from __future__ import annotations

import io
import json
import logging
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from faqbot.config import Settings
from faqbot.faq.loading import load_faq
from faqbot.logs import configure_logging
from faqbot.matching.decision import Calibration
from faqbot.matching.matcher import Matcher
from faqbot.slack import blocks
from faqbot.slack.listeners.functions import ANSWER_FROM_FAQ
from faqbot.slack.proposal_views import ADD_TO_FAQ
from faqbot.slack.app import assemble, web_client
from faqbot.slack.installs import BOT_SCOPES
from faqbot.slack.server import EVENTS_PATH, HEALTH_PATH, wsgi_app
from faqbot.slack.services import Services
from faqbot.store.sql import SqlStore
from tests.conftest import EPOCH, ConceptEncoder, fused_calibration, write
from tests.fake_slack import BOT_ID, BOT_USER, TEAM, FakeSlack, LocalServer, signed_post

TOKEN = "xoxb-1111-2222-secrettokenvalue"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
CHANNEL, DM, USER = "C0CHAN", "D0DM", "U0ASKER"
FORM = "application/x-www-form-urlencoded"
# Confidence rises with the fused score alone: DMs, mentions and /faq answer from fused 0.54,
# channels from 0.67; "Did you mean" offers entries from 0.3.
CALIBRATION = fused_calibration(channel=0.85, direct=0.6, suggest=0.3)


class TrackingExecutor(ThreadPoolExecutor):
    """Bolt runs listeners here; tests wait until it is idle before asserting "no reply"."""

    def __init__(self) -> None:
        super().__init__(max_workers=8)
        self.futures: list[Future[Any]] = []

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        future = super().submit(fn, *args, **kwargs)
        self.futures.append(future)
        return future

    def wait_idle(self) -> None:
        done, pending = wait(list(self.futures), timeout=15)
        assert not pending, "listeners still running after 15 s"


@dataclass
class Bot:
    """The served app, its fake Slack, and helpers that send what Slack would send."""

    url: str
    fake: FakeSlack
    store: SqlStore
    executor: TrackingExecutor
    services: Services
    _events: int = field(default=0)

    def post(self, body: str | bytes, content_type: str = "application/json", **kwargs: Any) -> tuple[int, str]:
        return signed_post(self.url + EVENTS_PATH, SECRET, body, content_type, **kwargs)

    def event(self, event: dict[str, Any], event_id: str | None = None, **kwargs: Any) -> tuple[int, str]:
        self._events += 1
        body = {
            "token": "legacy", "team_id": TEAM, "api_app_id": "A0APP", "type": "event_callback",
            "event_id": event_id or f"Ev{self._events:04d}", "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
            "event": {"event_ts": event.get("ts", "1"), **event},
        }
        return self.post(json.dumps(body), **kwargs)

    def command(self, text: str, user: str = USER, channel: str = CHANNEL) -> tuple[int, str]:
        form = {"token": "legacy", "team_id": TEAM, "channel_id": channel, "user_id": user, "command": "/faq",
                "text": text, "response_url": self.fake.response_url("command"), "trigger_id": "1.2.3",
                "api_app_id": "A0APP"}
        return self.post(urllib.parse.urlencode(form), FORM)

    def click(self, button: dict[str, Any], ephemeral: bool = False, user: str = USER) -> tuple[int, str]:
        payload = {
            "type": "block_actions", "user": {"id": user, "team_id": TEAM}, "team": {"id": TEAM},
            "api_app_id": "A0APP", "trigger_id": "1.2.3", "channel": {"id": CHANNEL},
            "container": {"type": "message", "message_ts": "1700000000.000200", "channel_id": CHANNEL,
                          "is_ephemeral": ephemeral},
            "response_url": self.fake.response_url("click"),
            "actions": [{"type": "button", "action_id": button["action_id"], "block_id": "b",
                         "value": button["value"], "action_ts": str(time.time())}],
        }
        return self.post(urllib.parse.urlencode({"payload": json.dumps(payload)}), FORM)


def message(text: str, ts: str = "1700000000.000100", channel: str = CHANNEL, **extra: Any) -> dict[str, Any]:
    channel_type = "im" if channel.startswith("D") else "channel"
    return {"type": "message", "channel": channel, "channel_type": channel_type, "user": USER, "text": text,
            "ts": ts, **extra}


def buttons(message_blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in message_blocks if b["type"] == "actions" for e in b["elements"]]


def texts(message_blocks: list[dict[str, Any]]) -> str:
    parts = [b["text"]["text"] for b in message_blocks if b["type"] == "section"]
    parts += [e["text"] for b in message_blocks if b["type"] == "context" for e in b["elements"]]
    return "\n".join(parts)


def blocks_of(call: Any) -> list[dict[str, Any]]:
    value = call.body.get("blocks", [])
    return json.loads(value) if isinstance(value, str) else value


def serve(fake: FakeSlack, faq_file: Path, calibration: Calibration = CALIBRATION, **settings: Any) -> Iterator[Bot]:
    config = Settings(slack_bot_token=TOKEN, slack_signing_secret=SECRET, faq_path=faq_file, index_cache=None,
                      **settings)
    store = SqlStore.open(f"sqlite:///{faq_file.parent / 'faqbot.db'}")
    matcher = Matcher(load_faq(faq_file), ConceptEncoder(), calibration)
    executor = TrackingExecutor()
    app, services = assemble(config, matcher, store, "http", web_client(TOKEN, fake.api_url), executor)
    server = LocalServer(wsgi_app(app, SECRET))
    yield Bot(server.url, fake, store, executor, services)
    executor.wait_idle()
    server.close()
    executor.shutdown()


@pytest.fixture
def bot(fake: FakeSlack, faq_file: Path) -> Iterator[Bot]:
    yield from serve(fake, faq_file, channel_modes="C0QUIET=silent,C0HELPFUL=suggest")


# --- channels ------------------------------------------------------------------------------

def test_a_confident_channel_question_is_answered_in_a_thread(bot: Bot) -> None:
    status, _ = bot.event(message("I forgot my password, how do I get back in?"))
    assert status == 200
    [call] = bot.fake.wait_for("chat.postMessage")
    assert call.body["channel"] == CHANNEL
    assert call.body["thread_ts"] == "1700000000.000100"
    shown = texts(blocks_of(call))
    assert "the reset page" in shown and "Answering _How do I reset my password?_" in shown
    confidence = bot.services.matcher.match("I forgot my password, how do I get back in?", "channel").confidence
    assert confidence >= CALIBRATION.channel and f"semantic match, confidence {confidence:.0%}" in shown
    assert call.body["text"].startswith("Go to")
    assert call.body["unfurl_links"] is False  # the reset page's link preview would bury the answer
    assert [b["action_id"] for b in buttons(blocks_of(call))] == [blocks.HELPFUL, blocks.NOT_HELPFUL]
    bot.executor.wait_idle()
    [question] = bot.store.questions(EPOCH)
    assert (question.entry_id, question.answered, question.surface) == ("reset-password", True, "channel")


def test_a_reply_inside_a_thread_stays_in_that_thread(bot: Bot) -> None:
    bot.event(message("how do I connect to the vpn?", ts="1700000000.000300", thread_ts="1700000000.000001"))
    [call] = bot.fake.wait_for("chat.postMessage")
    assert call.body["thread_ts"] == "1700000000.000001"


@pytest.mark.parametrize("text", ["thanks, password reset worked", "how is the new office?"])
def test_chatter_and_unknown_questions_get_no_reply_in_channels(bot: Bot, text: str) -> None:
    bot.event(message(text))
    bot.executor.wait_idle()
    assert bot.fake.of("chat.") == []


def test_silent_channels_record_but_never_reply(bot: Bot) -> None:
    bot.event(message("How do I reset my password?", channel="C0QUIET"))
    bot.executor.wait_idle()
    assert bot.fake.of("chat.") == []
    [question] = bot.store.questions(EPOCH)
    assert (question.entry_id, question.answered) == ("reset-password", False)


def test_a_channel_question_is_answered_only_at_the_channel_bar(bot: Bot) -> None:
    question = "my passcode?"  # reset-password, but confidence 0.75: enough for a DM, not for a channel
    assert CALIBRATION.direct <= bot.services.matcher.match(question).confidence < CALIBRATION.channel
    bot.event(message(question))
    bot.executor.wait_idle()
    assert bot.fake.of("chat.") == []
    [question_record] = bot.store.questions(EPOCH)
    assert (question_record.entry_id, question_record.answered, question_record.method) == (None, False, "none")
    bot.event(message(question, ts="1700000000.000200", channel=DM))  # asked directly, it is answered
    [call] = bot.fake.wait_for("chat.postMessage")
    assert call.body["channel"] == DM and "the reset page" in texts(blocks_of(call))
    # Where the mode is suggest, the asker alone is offered the entry.
    bot.event(message(question, ts="1700000000.000300", channel="C0HELPFUL"))
    [offer] = bot.fake.wait_for("chat.postEphemeral")
    assert [json.loads(b["value"])["entry"] for b in buttons(blocks_of(offer))] == ["reset-password"]


def test_a_lower_channel_bar_answers_in_the_channel(fake: FakeSlack, faq_file: Path) -> None:
    for bot in serve(fake, faq_file, calibration=fused_calibration(channel=0.7, direct=0.6, suggest=0.3)):
        bot.event(message("my passcode?"))
        [call] = bot.fake.wait_for("chat.postMessage")
        assert call.body["channel"] == CHANNEL and "the reset page" in texts(blocks_of(call))


def test_suggest_channels_offer_did_you_mean_privately(bot: Bot) -> None:
    bot.event(message("is my laptop broken?", channel="C0HELPFUL"))
    [call] = bot.fake.wait_for("chat.postEphemeral")
    assert (call.body["channel"], call.body["user"], call.body["thread_ts"]) == ("C0HELPFUL", USER, "1700000000.000100")
    assert "Did you mean" in texts(blocks_of(call))
    assert [b["text"]["text"] for b in buttons(blocks_of(call))] == ["How do I connect to the VPN?"]
    assert bot.fake.of("chat.postMessage") == []


@pytest.mark.parametrize("extra", [
    {"bot_id": "B0OTHER"},
    {"subtype": "message_changed"},
    {"subtype": "message_deleted"},
    {"subtype": "channel_join"},
    {"user": BOT_USER},
    {"user": BOT_USER, "bot_id": BOT_ID},
])
def test_bots_itself_and_subtypes_get_no_reply(bot: Bot, extra: dict[str, Any]) -> None:
    status, _ = bot.event(message("How do I reset my password?", **extra))
    assert status == 200
    bot.executor.wait_idle()
    assert bot.fake.of("chat.") == []


def test_a_retried_event_is_answered_once(bot: Bot) -> None:
    event = message("How do I reset my password?")
    assert bot.event(event, event_id="Ev0RETRY")[0] == 200
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert bot.event(event, event_id="Ev0RETRY", headers=retry)[0] == 200
    bot.executor.wait_idle()
    assert len(bot.fake.of("chat.postMessage")) == 1
    assert len(bot.store.questions(EPOCH)) == 1


def test_the_same_message_under_two_event_ids_is_answered_once(bot: Bot) -> None:
    bot.event(message("How do I reset my password?"))
    bot.event(message("How do I reset my password?"))
    bot.executor.wait_idle()
    assert len(bot.fake.of("chat.postMessage")) == 1


@pytest.mark.parametrize(("subtype", "channel"), [("file_share", DM), ("file_share", CHANNEL),
                                                  ("thread_broadcast", CHANNEL)])
def test_a_message_with_a_file_or_broadcast_from_a_thread_is_answered(bot: Bot, subtype: str, channel: str) -> None:
    files = {"files": [{"id": "F1", "name": "screenshot.png"}]} if subtype == "file_share" else {}
    bot.event(message("How do I reset my password?", channel=channel, subtype=subtype, **files))
    [call] = bot.fake.wait_for("chat.postMessage")
    assert call.body["channel"] == channel and "the reset page" in texts(blocks_of(call))


# --- DMs and mentions ----------------------------------------------------------------------

def test_a_dm_is_answered_in_the_conversation(bot: Bot) -> None:
    bot.event(message("booking vacation days", channel=DM))
    [call] = bot.fake.wait_for("chat.postMessage")
    assert call.body["channel"] == DM and "thread_ts" not in call.body
    assert "Use Workday." in texts(blocks_of(call))


def test_a_dm_without_a_confident_answer_says_so_and_offers_suggestions(bot: Bot) -> None:
    bot.event(message("my laptop is broken", channel=DM))
    [call] = bot.fake.wait_for("chat.postMessage")
    assert "not sure" in texts(blocks_of(call))
    [suggestion] = buttons(blocks_of(call))
    assert suggestion["action_id"] == f"{blocks.SUGGESTION_PREFIX}0"
    assert json.loads(suggestion["value"])["entry"] == "vpn"


@pytest.mark.parametrize(("text", "reply"), [("thanks!", "You're welcome!"), ("Thank you so much", "You're welcome!"),
                                             ("hi", "Hi! Ask me a question")])
def test_a_dm_of_thanks_or_hello_gets_a_word_back_and_no_buttons(bot: Bot, text: str, reply: str) -> None:
    bot.event(message(text, channel=DM))
    [call] = bot.fake.wait_for("chat.postMessage")
    assert call.body["channel"] == DM and call.body["text"].startswith(reply)
    assert texts(blocks_of(call)).startswith(reply) and buttons(blocks_of(call)) == []
    bot.executor.wait_idle()
    [question] = bot.store.questions(EPOCH)
    assert (question.entry_id, question.answered, question.method) == (None, False, "none")


def test_a_mention_is_answered_in_a_thread_once(bot: Bot) -> None:
    text = f"<@{BOT_USER}> where is the cafeteria"
    bot.event({"type": "app_mention", "channel": CHANNEL, "user": USER, "text": text, "ts": "1700000000.000500"})
    bot.event(message(text, ts="1700000000.000500"))  # Slack also sends the plain message event
    bot.executor.wait_idle()
    [call] = bot.fake.of("chat.postMessage")
    assert call.body["thread_ts"] == "1700000000.000500"
    assert "I don't know that one" in texts(blocks_of(call))


# --- Slack's rules -------------------------------------------------------------------------

def test_bad_signatures_and_stale_requests_are_refused(bot: Bot) -> None:
    body = json.dumps({"type": "event_callback", "event_id": "Ev0BAD", "team_id": TEAM,
                       "event": message("How do I reset my password?")})
    assert bot.post(body, signature="v0=" + "0" * 64)[0] == 401
    assert bot.post(body, timestamp=int(time.time()) - 10 * 60)[0] == 401
    bot.executor.wait_idle()
    assert bot.fake.of("chat.") == [] and bot.store.questions(EPOCH) == []


FORGED_COMMAND = urllib.parse.urlencode({"command": "/faq", "text": "hi\nERROR forged line", "user_id": USER,
                                         "response_url": "https://hooks.slack.com/commands/T0/1/secret"})


@pytest.mark.parametrize(("body", "content_type", "signed", "status", "reason"), [
    (b"not json at all", "application/json", True, 400, "the JSON body is not JSON"),
    (b'["an", "array"]', "application/json", True, 400, "the JSON body is not a JSON object"),
    (b'{"type": "\xff\xfe"}', "application/json", False, 400, "the body is not UTF-8"),
    (b"payload=%7Bnot+json", FORM, True, 400, "the form's payload is not JSON"),
    (b"payload=%5B1%5D", FORM, True, 400, "the form's payload is not a JSON object"),
    (b"<xml/>", "text/xml", True, 400, "content type 'text/xml' is neither JSON nor a form"),
    (b"not json at all", "application/json", False, 401, "missing, wrong or stale Slack signature"),
    (FORGED_COMMAND.encode(), FORM, False, 401, "missing, wrong or stale Slack signature"),
])
def test_bad_bodies_are_refused_with_one_log_line(bot: Bot, caplog: pytest.LogCaptureFixture, body: bytes,
                                                 content_type: str, signed: bool, status: int, reason: str) -> None:
    with caplog.at_level(logging.DEBUG):
        assert bot.post(body, content_type, **({} if signed else {"signature": "v0=" + "0" * 64}))[0] == status
        bot.executor.wait_idle()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    [line] = [r for r in caplog.records if r.name == "faqbot.slack.request_guard"]
    signed_note = "signed, but " if signed else ""
    assert line.getMessage() == f"refused a request from 127.0.0.1: {signed_note}{reason}" and line.exc_info is None
    logged = caplog.text
    assert "forged" not in logged and "hooks.slack.com" not in logged and "array" not in logged
    assert bot.fake.calls == [] or all(c.path == "auth.test" for c in bot.fake.calls)


def test_an_oversized_body_is_refused_unread(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        status, text = bot.post(b"x" * (2 * 1024 * 1024), signature="v0=" + "0" * 64)
    assert status == 413 and "the limit is 1048576" in text
    assert caplog.text.count("refused a request") == 1 and "xxxx" not in caplog.text


def test_requests_are_acked_before_slow_work(bot: Bot) -> None:
    """Slack waits 3 seconds for the HTTP response; replying may take longer."""
    bot.fake.slow("chat.postMessage", 4)
    bot.fake.slow("response/", 4)
    assert bot.event(message("How do I reset my password?"))[0] == 200
    assert bot.command("vpn setup")[0] == 200
    assert bot.fake.of("chat.postMessage") == [] and bot.fake.of("response/") == []  # acked, replies to come
    assert bot.fake.wait_for("chat.postMessage") and bot.fake.wait_for("response/command")


def test_commands_and_clicks_are_acked_however_busy_the_listeners_are(bot: Bot) -> None:
    """Every listener worker stuck on a slow Web API: the ack runs in the request thread anyway."""
    helpful = answered_buttons(bot, "I forgot my password")[blocks.HELPFUL]
    bot.fake.slow("chat.postMessage", 2)
    for i in range(24):  # three times the workers
        assert bot.event(message("How do I reset my password?", ts=f"1700000001.{i:06d}", user=f"U{i % 16}"))[0] == 200
    for send in (lambda: bot.command("vpn setup"), lambda: bot.click(helpful, ephemeral=True)):
        started = time.monotonic()
        assert send()[0] == 200
        assert time.monotonic() - started < 1.0
    assert len(bot.fake.of("chat.postMessage")) < 8  # the burst was still being answered
    assert bot.fake.wait_for("response/command", 2, timeout=30) and bot.fake.wait_for("response/click", timeout=30)


class BrokenMatcher:
    faq = None

    def match(self, text: str, surface: str) -> None:
        raise RuntimeError("matcher exploded")


def test_a_listener_failing_after_the_ack_is_logged_whole(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    bot.services.matcher = BrokenMatcher()
    with caplog.at_level(logging.ERROR):
        assert bot.command("vpn setup")[0] == 200
        bot.executor.wait_idle()
    [record] = [r for r in caplog.records if "failed after the ack" in r.getMessage()]
    assert record.getMessage() == "handle_faq failed after the ack" and "matcher exploded" in str(record.exc_info[1])


def test_a_rate_limited_reply_is_retried_after_retry_after(bot: Bot) -> None:
    bot.fake.fail("chat.postMessage", 429, headers={"Retry-After": "1"}, body={"ok": False, "error": "ratelimited"})
    started = time.monotonic()
    bot.event(message("How do I reset my password?"))
    [call] = bot.fake.wait_for("chat.postMessage")
    assert time.monotonic() - started >= 1.0
    assert [c.status for c in bot.fake.calls if c.path == "chat.postMessage"] == [429, 200]
    assert call.body["thread_ts"] == "1700000000.000100"


def test_four_rate_limits_in_a_row_still_deliver_the_reply(bot: Bot) -> None:
    bot.fake.fail("chat.postMessage", 429, headers={"Retry-After": "0"}, body={"ok": False, "error": "ratelimited"},
                  times=4)
    bot.event(message("How do I reset my password?"))
    assert bot.fake.wait_for("chat.postMessage")
    assert [c.status for c in bot.fake.calls if c.path == "chat.postMessage"] == [429] * 4 + [200]


def test_server_errors_are_retried_with_backoff(bot: Bot) -> None:
    bot.fake.fail("chat.postMessage", 502, body={"ok": False, "error": "bad_gateway"}, times=2)
    bot.event(message("How do I reset my password?"))
    assert bot.fake.wait_for("chat.postMessage")
    assert [c.status for c in bot.fake.calls if c.path == "chat.postMessage"] == [502, 502, 200]


def test_a_reply_is_given_up_after_a_bounded_logged_effort(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    bot.fake.fail("chat.postMessage", 500, body={"ok": False, "error": "internal_error"}, times=100)
    with caplog.at_level(logging.ERROR):
        bot.event(message("How do I reset my password?"))
        bot.executor.wait_idle()
    assert [c.status for c in bot.fake.calls if c.path == "chat.postMessage"] == [500] * 4
    assert "gave up replying to message 1700000000.000100 in C0CHAN: HTTP 500 internal_error" in caplog.text
    [question] = bot.store.questions(EPOCH)
    assert question.answered is False


def test_an_api_error_is_logged_and_the_app_carries_on(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    bot.fake.fail("chat.postMessage", 200, body={"ok": False, "error": "channel_not_found"})
    with caplog.at_level(logging.ERROR):
        bot.event(message("How do I reset my password?"))
        bot.executor.wait_idle()
    assert "channel_not_found" in caplog.text
    [question] = bot.store.questions(EPOCH)
    assert question.answered is False  # recorded, as not answered
    bot.event(message("How do I connect to the VPN?", ts="1700000000.000900"))
    assert bot.fake.wait_for("chat.postMessage")


def test_url_verification_and_health_check(bot: Bot) -> None:
    status, body = bot.post(json.dumps({"type": "url_verification", "challenge": "abc123", "token": "x"}))
    assert (status, json.loads(body)["challenge"] if body.startswith("{") else body) == (200, "abc123")
    with urllib.request.urlopen(bot.url + HEALTH_PATH, timeout=5) as response:
        assert response.status == 200


def test_no_token_or_secret_reaches_the_logs(fake: FakeSlack, faq_file: Path) -> None:
    stream = io.StringIO()
    handler = configure_logging("DEBUG", [TOKEN, SECRET], stream=stream)
    try:
        for bot in serve(fake, faq_file):
            bot.event(message("How do I reset my password?"))
            bot.fake.wait_for("chat.postMessage")
            bot.command("vpn setup")
            bot.fake.wait_for("response/command")
    finally:
        logging.getLogger().removeHandler(handler)
        logging.getLogger().setLevel(logging.WARNING)
    logged = stream.getvalue()
    assert "chat.postMessage" in logged  # slack_sdk did log its requests at DEBUG
    assert TOKEN not in logged and SECRET not in logged and "xoxb-" not in logged


# --- /faq ----------------------------------------------------------------------------------

def test_faq_command_answers_privately_with_share_and_feedback(bot: Bot) -> None:
    status, _ = bot.command("how do I connect to the vpn")
    assert status == 200
    [call] = bot.fake.wait_for("response/command")
    assert call.body["response_type"] == "ephemeral"
    assert "Install GlobalProtect." in texts(call.body["blocks"])
    assert [b["action_id"] for b in buttons(call.body["blocks"])] == [blocks.SHARE, blocks.HELPFUL, blocks.NOT_HELPFUL]
    bot.executor.wait_idle()
    [question] = bot.store.questions(EPOCH)
    assert (question.surface, question.entry_id, question.user) == ("command", "vpn", bot.store.hash_user(USER))


@pytest.mark.parametrize("text", ["", "help", "HELP"])
def test_faq_command_help(bot: Bot, text: str) -> None:
    bot.command(text)
    [call] = bot.fake.wait_for("response/command")
    assert "/faq list [tag]" in texts(call.body["blocks"])


def test_faq_list_and_list_by_tag(bot: Bot) -> None:
    bot.command("list")
    bot.command("list hr")
    bot.command("list nosuchtag")
    calls = bot.fake.wait_for("response/command", 3)
    shown = {texts(c.body["blocks"]).splitlines()[0]: texts(c.body["blocks"]) for c in calls}
    assert "`reset-password`" in shown["*3 FAQ entries*"] and "`vpn`" in shown["*3 FAQ entries*"]
    assert "`request-pto`" in shown["*1 FAQ entries tagged `hr`*"]
    assert "`vpn`" not in shown["*1 FAQ entries tagged `hr`*"]
    assert "Tags: `accounts`, `hr`" in shown["No entries tagged `nosuchtag`. Tags: `accounts`, `hr`."]


def test_faq_show_an_entry_and_a_misspelt_one(bot: Bot) -> None:
    bot.command("show vpn")
    [shown] = bot.fake.wait_for("response/command")
    assert "Install GlobalProtect." in texts(shown.body["blocks"])
    assert [b["action_id"] for b in buttons(shown.body["blocks"])] == [blocks.SHARE]
    bot.command("show vnp")
    _, missing = bot.fake.wait_for("response/command", 2)
    assert texts(missing.body["blocks"]) == "No entry `vnp`. Did you mean `vpn`?"
    assert bot.store.questions(EPOCH) == []  # lookups by id are not questions


# --- buttons -------------------------------------------------------------------------------

def answered_buttons(bot: Bot, text: str) -> dict[str, dict[str, Any]]:
    bot.command(text)
    [call] = bot.fake.wait_for("response/command")
    return {b["action_id"]: b for b in buttons(call.body["blocks"])}


def test_helpful_is_recorded_and_the_buttons_become_thanks(bot: Bot) -> None:
    helpful = answered_buttons(bot, "I forgot my password")[blocks.HELPFUL]
    assert bot.click(helpful, ephemeral=True)[0] == 200
    [update] = bot.fake.wait_for("response/click")
    assert update.body["replace_original"] is True
    shown = texts(update.body["blocks"])
    assert "the reset page" in shown and "Thanks — noted: this helped." in shown
    assert [b["action_id"] for b in buttons(update.body["blocks"])] == [blocks.SHARE]  # still shareable
    [feedback] = bot.store.feedback(EPOCH)
    assert (feedback.question_id, feedback.entry_id, feedback.helpful) == (
        bot.store.questions(EPOCH)[0].id, "reset-password", True)


def test_not_helpful_offers_the_other_suggestions(bot: Bot) -> None:
    bot.event(message("I forgot my password, what do I do on my laptop?", channel=DM))
    [answer] = bot.fake.wait_for("chat.postMessage")
    not_helpful = {b["action_id"]: b for b in buttons(blocks_of(answer))}[blocks.NOT_HELPFUL]
    bot.click(not_helpful)
    [update] = bot.fake.wait_for("response/click")
    assert "Maybe one of these?" in texts(update.body["blocks"])
    offered = [b for b in buttons(update.body["blocks"]) if b["action_id"].startswith(blocks.SUGGESTION_PREFIX)]
    assert [json.loads(b["value"])["entry"] for b in offered] == ["vpn"]
    assert bot.store.feedback(EPOCH)[0].helpful is False


def test_a_suggestion_click_reveals_its_answer_and_is_recorded(bot: Bot) -> None:
    suggestion = answered_buttons(bot, "my laptop is broken")[f"{blocks.SUGGESTION_PREFIX}0"]
    bot.click(suggestion, ephemeral=True, user="U0OTHER")
    [update] = bot.fake.wait_for("response/click")
    shown = texts(update.body["blocks"])
    assert "Install GlobalProtect." in shown and "picked by <@U0OTHER>" in shown
    assert {b["action_id"] for b in buttons(update.body["blocks"])} == {blocks.SHARE, blocks.HELPFUL, blocks.NOT_HELPFUL}
    [choice] = bot.store.choices(EPOCH)
    assert (choice.entry_id, choice.user, choice.question_id) == (
        "vpn", bot.store.hash_user("U0OTHER"), bot.store.questions(EPOCH)[0].id)


def public_answer(bot: Bot, text: str) -> dict[str, dict[str, Any]]:
    bot.event(message(text))
    [answer] = bot.fake.wait_for("chat.postMessage")
    return {b["action_id"]: b for b in buttons(blocks_of(answer))}


def test_a_bystanders_feedback_is_recorded_and_answered_privately(bot: Bot) -> None:
    not_helpful = public_answer(bot, "I forgot my password, how do I get back in?")[blocks.NOT_HELPFUL]
    assert bot.click(not_helpful, user="U0BYSTANDER")[0] == 200
    [reply] = bot.fake.wait_for("response/click")
    assert reply.body["response_type"] == "ephemeral" and reply.body["replace_original"] is False
    assert "answer stays as it is" in reply.body["text"] and "U0BYSTANDER" not in json.dumps(reply.body)
    [feedback] = bot.store.feedback(EPOCH)
    assert (feedback.user, feedback.helpful) == (bot.store.hash_user("U0BYSTANDER"), False)


def test_the_askers_feedback_updates_the_public_answer_without_naming_anyone(bot: Bot) -> None:
    helpful = public_answer(bot, "I forgot my password, how do I get back in?")[blocks.HELPFUL]
    bot.click(helpful, user=USER)
    [update] = bot.fake.wait_for("response/click")
    assert update.body["replace_original"] is True and USER not in json.dumps(update.body)


def test_a_bystanders_pick_shows_them_the_answer_and_leaves_the_public_one(bot: Bot) -> None:
    bot.event(message("I forgot my password, what do I do on my laptop?", channel=DM))
    [answer] = bot.fake.wait_for("chat.postMessage")
    bot.click({b["action_id"]: b for b in buttons(blocks_of(answer))}[blocks.NOT_HELPFUL])
    [update] = bot.fake.wait_for("response/click")
    suggestion = next(b for b in buttons(update.body["blocks"]) if b["action_id"].startswith(blocks.SUGGESTION_PREFIX))
    bot.click(suggestion, user="U0BYSTANDER")
    _, picked = bot.fake.wait_for("response/click", 2)
    assert picked.body["response_type"] == "ephemeral" and picked.body["replace_original"] is False
    assert "Install GlobalProtect." in texts(picked.body["blocks"]) and "picked by you" in texts(picked.body["blocks"])
    bot.click(suggestion, user=USER)
    *_, swapped = bot.fake.wait_for("response/click", 3)
    assert swapped.body["replace_original"] is True and f"picked by <@{USER}>" in texts(swapped.body["blocks"])


def test_share_posts_the_answer_in_the_channel(bot: Bot) -> None:
    share = answered_buttons(bot, "how do I connect to the vpn")[blocks.SHARE]
    bot.click(share, ephemeral=True)
    delete, shared = bot.fake.wait_for("response/click", 2)
    assert delete.body["delete_original"] is True
    assert shared.body["response_type"] == "in_channel" and shared.body["unfurl_links"] is False
    assert f"shared by <@{USER}>" in texts(shared.body["blocks"])
    assert [b["action_id"] for b in buttons(shared.body["blocks"])] == [blocks.HELPFUL, blocks.NOT_HELPFUL]


def test_a_click_on_an_entry_that_left_the_faq_is_handled(bot: Bot, tmp_path: Path) -> None:
    helpful = answered_buttons(bot, "how do I connect to the vpn")[blocks.HELPFUL]
    smaller = tmp_path / "smaller.yaml"
    smaller.write_text("faqs:\n  - id: other\n    question: Other?\n    answer: Other.\n", encoding="utf-8")
    bot.services.matcher = Matcher(load_faq(smaller))
    bot.click(helpful, ephemeral=True)
    [reply] = bot.fake.wait_for("response/click")
    assert "no longer in the FAQ" in reply.body["text"] and reply.body["replace_original"] is False


# --- the manifest matches the app ------------------------------------------------------------

MANIFEST = Path(__file__).resolve().parent.parent / "manifest.yml"
# What each subscribed event needs (api.slack.com/events), plus replying and the slash command.
EVENT_SCOPES = {"app_home_opened": None, "app_mention": "app_mentions:read", "message.channels": "channels:history",
                "message.groups": "groups:history", "message.im": "im:history", "message.mpim": "mpim:history",
                "function_executed": None, "app_uninstalled": None, "tokens_revoked": None}


def manifest() -> dict[str, Any]:
    from ruamel.yaml import YAML

    return YAML(typ="safe").load(MANIFEST.read_text(encoding="utf-8"))


def test_manifest_asks_for_exactly_the_scopes_its_events_and_replies_need() -> None:
    data = manifest()
    events = data["settings"]["event_subscriptions"]["bot_events"]
    assert set(events) == set(EVENT_SCOPES)
    # users:read: admins; usergroups:read: user groups owning entries; assistant:write: the Messages tab's prompts,
    # channels:read and groups:read: the help desks of a person's channels among them
    needed = [s for s in EVENT_SCOPES.values() if s] + ["chat:write", "commands", "users:read", "usergroups:read",
                                                        "assistant:write", "channels:read", "groups:read"]
    assert sorted(data["oauth_config"]["scopes"]["bot"]) == sorted(needed)
    assert [c["command"] for c in data["features"]["slash_commands"]] == [blocks.COMMAND]
    assert [(s["callback_id"], s["type"]) for s in data["features"]["shortcuts"]] == [(ADD_TO_FAQ, "message")]
    step = data["functions"][ANSWER_FROM_FAQ]  # the Workflow Builder step, which needs an org-ready app
    assert list(step["input_parameters"]["properties"]) == ["question"]
    assert sorted(step["output_parameters"]["properties"]) == ["answer", "answered", "confidence", "entry_id"]
    assert list(data["functions"]) == [ANSWER_FROM_FAQ] and data["settings"]["function_runtime"] == "remote"
    assert data["settings"]["org_deploy_enabled"] is True
    assert data["settings"]["interactivity"]["is_enabled"] is True
    assert data["features"]["app_home"]["messages_tab_enabled"] is True  # people can DM it
    assert data["features"]["app_home"]["messages_tab_read_only_enabled"] is False
    assert data["features"]["app_home"]["home_tab_enabled"] is True
    assert MANIFEST.read_text(encoding="utf-8").count(f"https://faqbot.example.com{EVENTS_PATH}") == 3
    assert sorted(data["oauth_config"]["scopes"]["bot"]) == sorted(BOT_SCOPES)  # what OAuth mode asks for


@pytest.mark.parametrize("subscription", list(EVENT_SCOPES))
def test_every_subscribed_event_has_a_listener(bot: Bot, subscription: str) -> None:
    """Bolt answers 404 to an event no listener takes, and Slack then retries it."""
    event_type, _, channel_type = subscription.partition(".")
    event = {"type": event_type, "channel": "G0PRIV", "user": USER, "text": "hello there", "ts": "1700000000.000700",
             "tab": "home"}
    if channel_type:
        event["channel_type"] = {"channels": "channel", "groups": "group"}.get(channel_type, channel_type)
    if event_type == "function_executed":
        event.update(function={"callback_id": ANSWER_FROM_FAQ}, inputs={"question": "vpn"}, function_execution_id="Fx1")
    assert bot.event(event)[0] == 200



# --- admins ----------------------------------------------------------------------------------

ADMIN = "U0ADMIN"
PARKING = """\
  - id: parking
    question: Where can I park my car?
    answer: Level -2.
"""


@pytest.fixture
def admin_bot(fake: FakeSlack, faq_file: Path) -> Iterator[Bot]:
    yield from serve(fake, faq_file, admins=f"{ADMIN},U0OTHERADMIN")


def last_reply(bot: Bot, count: int) -> str:
    return texts(bot.fake.wait_for("response/command", count)[-1].body["blocks"])


@pytest.mark.parametrize("text", ["stats", "stats 30d", "unanswered", "reload"])
def test_admin_commands_are_refused_politely_to_everyone_else(bot: Bot, text: str) -> None:
    bot.command(text)
    assert f"Sorry, `/faq {text.split()[0]}` is for FAQ admins." in last_reply(bot, 1)


def test_workspace_admins_and_owners_are_admins_too(bot: Bot) -> None:
    bot.fake.workspace_admins.add(USER)
    bot.command("stats")
    bot.fake.wait_for("response/command")
    bot.command("stats 24h")
    assert "questions" in last_reply(bot, 2) and "Sorry" not in last_reply(bot, 2)
    assert len(bot.fake.of("users.info")) == 1  # remembered, not asked again


@pytest.mark.parametrize("period", ["99999999d", "soon"])
def test_a_bad_stats_period_gets_a_reply_saying_so(admin_bot: Bot, period: str) -> None:
    admin_bot.command(f"stats {period}", user=ADMIN)
    reply = last_reply(admin_bot, 1)
    assert f"'{period}'" in reply and ("shorter" in reply or "like 24h, 7d or 2w" in reply)


def test_stats_count_what_happened(admin_bot: Bot) -> None:
    admin_bot.event(message("How do I reset my password?"))
    admin_bot.fake.wait_for("chat.postMessage")
    admin_bot.command("where is the cafeteria", user="U0SOMEONE")
    admin_bot.fake.wait_for("response/command")
    admin_bot.executor.wait_idle()
    admin_bot.command("stats 7d", user=ADMIN)
    shown = last_reply(admin_bot, 2)
    assert "2 questions, 1 answered (50%): semantic 1, fuzzy 0; not answered 1" in shown
    assert "*Most answered*\n1. How do I reset my password? `reset-password`: 1" in shown
    assert len(admin_bot.fake.of("users.info")) == 0  # FAQBOT_ADMINS needs no call to Slack
    admin_bot.command("stats soon", user=ADMIN)
    assert "24h, 7d or 2w" in last_reply(admin_bot, 3)


def test_unanswered_questions_are_grouped(admin_bot: Bot) -> None:
    for question in ("where is the cafeteria", "where is the cafeteria?", "is there parking"):
        admin_bot.command(question, user="U0SOMEONE")
    admin_bot.fake.wait_for("response/command", 3)
    admin_bot.executor.wait_idle()
    admin_bot.command("unanswered", user=ADMIN)
    shown = last_reply(admin_bot, 4)
    assert "2 groups, most asked first" in shown
    assert "1. *2×* (2 unanswered, 0 👎)" in shown and "2. *1×*" in shown


def test_reload_serves_a_valid_edit_and_refuses_a_broken_one(admin_bot: Bot, faq_file: Path) -> None:
    faq_file.write_text(faq_file.read_text() + PARKING, encoding="utf-8")
    admin_bot.command("reload", user=ADMIN)
    assert last_reply(admin_bot, 1) == "FAQ reloaded: 4 entries."
    admin_bot.command("where can I park my car")
    assert "Level -2." in last_reply(admin_bot, 2)
    faq_file.write_text(faq_file.read_text().replace("answer: Level -2.", "anser: Level -2."), encoding="utf-8")
    admin_bot.command("reload", user=ADMIN)
    refused = last_reply(admin_bot, 3)
    assert "the last good FAQ (4 entries) stays" in refused
    assert "faq.yaml:21: entry 'parking': unknown key 'anser' (did you mean 'answer'?)" in refused
    admin_bot.command("where can I park my car")
    assert "Level -2." in last_reply(admin_bot, 4)  # still served
    assert admin_bot.fake.of("chat.postMessage") == []  # the reply told the admin; no DM as well


def test_reload_serves_a_calibration_written_beside_the_faq(fake: FakeSlack, faq_file: Path) -> None:
    """`faqbot calibrate` on a running bot: `/faq reload` (or the watcher) serves what it
    wrote, with the bars set by environment still laid over it."""
    for bot in serve(fake, faq_file, admins=ADMIN, fuzzy_threshold=0.95):
        replace(CALIBRATION, channel=0.99, fuzzy=0.5, model=ConceptEncoder.name).save(
            faq_file.parent / "calibration.json")
        bot.command("reload", user=ADMIN)
        assert last_reply(bot, 1) == "FAQ reloaded: 3 entries."
        assert bot.services.matcher.calibration.channel == 0.99  # from the file
        assert bot.services.matcher.calibration.fuzzy == 0.95  # FAQBOT_FUZZY_THRESHOLD wins


def test_a_broken_change_seen_by_the_watcher_is_sent_to_admins_by_dm(admin_bot: Bot, faq_file: Path) -> None:
    faq_file.write_text("faqs: [", encoding="utf-8")
    assert admin_bot.services.reloader is not None
    admin_bot.services.reloader.reload()  # what the watcher calls on a change
    dms = admin_bot.fake.wait_for("chat.postMessage", 2)
    assert sorted(d.body["channel"] for d in dms) == sorted([ADMIN, "U0OTHERADMIN"])
    assert all("the last good FAQ (3 entries) stays" in d.body["text"] for d in dms)


def test_app_home_shows_topics_to_everyone_and_reports_to_admins(admin_bot: Bot) -> None:
    admin_bot.event({"type": "app_home_opened", "user": USER, "channel": "D0HOME", "tab": "home"})
    [published] = admin_bot.fake.wait_for("views.publish")
    view = json.loads(published.body["view"]) if isinstance(published.body["view"], str) else published.body["view"]
    assert published.body["user_id"] == USER and view["type"] == "home"
    shown = texts(view["blocks"])
    assert "/faq <question>" in shown
    assert "*accounts*\n• How do I reset my password? `reset-password`" in shown and "*other*" in shown
    assert "questions" not in shown.split("Ask the FAQ")[0]
    admin_bot.event({"type": "app_home_opened", "user": ADMIN, "channel": "D0HOME2", "tab": "home"})
    view = admin_bot.fake.wait_for("views.publish", 2)[1].body["view"]
    view = json.loads(view) if isinstance(view, str) else view
    admin_text = texts(view["blocks"])
    assert "*Last 7d*" in admin_text and "No unanswered or 👎 questions" in admin_text
    assert len(view["blocks"]) <= 100


def test_refused_changes_are_sent_once_though_every_process_sees_them(admin_bot: Bot, faq_file: Path) -> None:
    faq_file.write_text("faqs: [", encoding="utf-8")
    assert admin_bot.services.reloader is not None
    admin_bot.services.reloader.reload()
    admin_bot.services.reloader.reload()  # another process's watcher, same store, same problems
    admin_bot.fake.wait_for("chat.postMessage", 2)
    admin_bot.executor.wait_idle()
    assert len(admin_bot.fake.of("chat.postMessage")) == 2  # one per admin, not per process


def test_a_long_topic_fits_the_home_tab(fake: FakeSlack, tmp_path: Path) -> None:
    # A first topic too long for one section (100 entries), then 200 topics of one entry each.
    many = "faqs:\n" + "".join(
        f"  - id: topic-entry-{i}\n    question: How do I handle case number {i} of the long topic?\n"
        f"    answer: Like this.\n    tags: [{'a-long-topic' if i < 100 else f'topic-{i:03d}'}]\n" for i in range(300))
    faq = write(tmp_path / "big.yaml", many)
    for bot in serve(fake, faq):
        bot.event({"type": "app_home_opened", "user": USER, "channel": "D0HOME", "tab": "home"})
        view = bot.fake.wait_for("views.publish")[0].body["view"]
        view = json.loads(view) if isinstance(view, str) else view
        assert len(view["blocks"]) <= 100
        sections = [b for b in view["blocks"] if b["type"] == "section"]
        assert all(len(b["text"]["text"]) <= blocks.SECTION_LIMIT for b in sections)
        topics = sections[[i for i, b in enumerate(sections) if b["text"]["text"].startswith("*Topics*")][0] + 1:]
        shown = blocks.bullets(topics)
        assert 100 < shown < 300 and topics[0]["text"]["text"].startswith("*a-long-topic*")
        assert topics[1]["text"]["text"].startswith("• ")  # the long topic went on in a second section
        assert view["blocks"][-1]["elements"][0]["text"].startswith(f"…and {300 - shown} more entries")


def test_a_dm_that_mentions_the_bot_is_answered_once(bot: Bot) -> None:
    text = f"<@{BOT_USER}> how do I connect to the vpn"
    bot.event({"type": "app_mention", "channel": DM, "user": USER, "text": text, "ts": "1700000000.000800"})
    bot.event(message(text, ts="1700000000.000800", channel=DM))
    bot.executor.wait_idle()
    assert len(bot.fake.of("chat.postMessage")) == 1  # the claim on the message, not the mention check


def test_mentions_and_user_ids_never_reach_the_database(bot: Bot) -> None:
    bot.event(message("<@U0COLLEAGUE> how do I reset my password?"))
    bot.fake.wait_for("chat.postMessage")
    bot.executor.wait_idle()
    with bot.store.engine.connect() as connection:
        stored = " ".join(str(v) for t in ("questions", "claims")
                          for row in connection.execute(text(f"SELECT * FROM {t}")) for v in row)
    assert "reset my password" in stored
    assert "U0COLLEAGUE" not in stored and USER not in stored


def test_a_broken_database_costs_records_not_replies(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    with bot.store.engine.begin() as connection:
        connection.execute(text("DROP TABLE questions"))
        connection.execute(text("DROP TABLE claims"))
    with caplog.at_level(logging.ERROR):
        bot.event(message("How do I reset my password?"))
        [reply] = bot.fake.wait_for("chat.postMessage")
        bot.command("how do I connect to the vpn")
        bot.fake.wait_for("response/command")
        bot.executor.wait_idle()
    assert reply.body["thread_ts"] == "1700000000.000100"
    assert "cannot check message:" in caplog.text and "recording a question failed" in caplog.text



# --- the Workflow Builder step ----------------------------------------------------------------

def step(bot: Bot, inputs: dict[str, Any], execution: str = "Fx0001") -> tuple[int, str]:
    return bot.event({"type": "function_executed", "function": {"callback_id": ANSWER_FROM_FAQ, "id": "Fn0001"},
                      "inputs": inputs, "function_execution_id": execution, "workflow_execution_id": "Wx0001",
                      "bot_access_token": "xwfp-step-token", "event_ts": "1700000000.000900"})


def test_the_workflow_step_outputs_the_answer_its_entry_and_the_confidence(bot: Bot) -> None:
    assert step(bot, {"question": "how do I connect to the VPN?"})[0] == 200
    [done] = bot.fake.wait_for("functions.completeSuccess")
    outputs = json.loads(done.body["outputs"]) if isinstance(done.body["outputs"], str) else done.body["outputs"]
    assert (outputs["answer"], outputs["entry_id"], outputs["answered"]) == ("Install GlobalProtect.", "vpn", True)
    assert 0.6 <= outputs["confidence"] <= 1 and done.body["function_execution_id"] == "Fx0001"
    assert done.headers["Authorization"] == "Bearer xwfp-step-token"  # the execution's own token
    step(bot, {"question": "what is the meaning of life"}, "Fx0002")
    unknown = json.loads(bot.fake.wait_for("functions.completeSuccess", 2)[1].body["outputs"])
    assert (unknown["answer"], unknown["entry_id"], unknown["answered"]) == ("", "", False)
    bot.executor.wait_idle()
    assert [q.surface for q in bot.store.questions(EPOCH)] == ["workflow", "workflow"]


def test_a_workflow_step_without_a_question_fails_with_why(bot: Bot) -> None:
    step(bot, {"question": "   "})
    [failed] = bot.fake.wait_for("functions.completeError")
    assert "needs a question" in failed.body["error"]
    assert bot.fake.of("functions.completeSuccess") == []
