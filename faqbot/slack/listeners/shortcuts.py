"""Shortcuts: "Add to FAQ" on a message proposes an entry made of it, for admins to review.

The modal opens at once with a placeholder (a trigger id expires 3 s after the click), then
is filled in: the thread's first message as the question, the chosen message as the answer,
the entries closest to the question as "alternates of" choices, and recent unanswered
wordings of the same question as alternates.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from logging import Logger
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from faqbot.faq.schema import new_id
from faqbot.insights.report import close_wordings, since
from faqbot.matching.channel_gate import looks_like_question
from faqbot.matching.normalize import normalize, plain_text
from faqbot.slack.listeners.handoff import ack_then
from faqbot.slack.proposal_views import ADD_TO_FAQ, NEW, Draft, loading_modal, proposal_modal
from faqbot.slack.services import Services, services_of

Body = dict[str, Any]
WORDINGS_SINCE = "90d"  # how far back recorded questions are looked through for alternates
CLOSEST = 3  # entries offered as "alternates of"


def handle_add_to_faq(body: Body, client: WebClient, context: BoltContext, logger: Logger) -> None:
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id", "")
    open_proposal(client, body["trigger_id"], services_of(context),
                  lambda: _question_and_answer(client, channel, message, logger),
                  permalink(client, channel, message.get("ts", ""), logger))


def open_proposal(client: WebClient, trigger_id: str, services: Services, read: Callable[[], tuple[str, str]],
                  link: str) -> None:
    """The placeholder at once, then the modal filled in with `read()`'s question and answer."""
    opened = client.views_open(trigger_id=trigger_id, view=loading_modal(ADD_TO_FAQ))["view"]
    question, answer = read()
    draft, closest = draft_for(services, question, answer)
    client.views_update(view_id=opened["id"], hash=opened.get("hash"),
                        view=proposal_modal(draft, closest, ADD_TO_FAQ, {"link": link}))


def draft_for(services: Services, question: str, answer: str) -> tuple[Draft, list]:
    """The proposal a question and its answer suggest, and the entries closest to the question."""
    matcher = services.matcher
    match = matcher.match(question, "direct") if question else None
    closest = [] if match is None else [e for e in (match.entry, *(s.entry for s in match.suggestions)) if e]
    wordings = close_wordings(services.store, since(WORDINGS_SINCE), matcher.encoder, normalize(question))
    entry_id = new_id(question, matcher.faq.by_id) if question else ""
    return Draft(NEW, entry_id, question, answer, tuple(wordings)), closest[:CLOSEST]


def _question_and_answer(client: WebClient, channel: str, message: dict[str, Any], logger: Logger) -> tuple[str, str]:
    """A reply in a thread answers the thread's first message; a message on its own is the
    question if it reads like one, else the answer."""
    text = message.get("text") or ""
    thread = message.get("thread_ts")
    if thread and thread != message.get("ts"):
        try:
            parent = client.conversations_replies(channel=channel, ts=thread, limit=1)["messages"][0]
            return plain_text(parent.get("text") or ""), text
        except (SlackApiError, KeyError, IndexError) as exc:  # not in the channel, or the thread is gone
            logger.warning("could not read the thread %s in %s: %s", thread, channel, exc)
            return "", text
    return (plain_text(text), "") if looks_like_question(text) else ("", text)


def thread_question_and_answer(client: WebClient, channel: str, ts: str, bot_user: str | None,
                               logger: Logger) -> tuple[str, str]:
    """A thread's first message as the question, and its last reply by a person as the answer
    (what a resolved hand-off ended with)."""
    try:
        messages = client.conversations_replies(channel=channel, ts=ts, limit=200)["messages"]
    except (SlackApiError, KeyError) as exc:
        logger.warning("could not read the thread %s in %s: %s", ts, channel, exc)
        return "", ""
    people = [m for m in messages[1:] if m.get("user") and m.get("user") != bot_user and not m.get("bot_id")]
    return plain_text(messages[0].get("text") or "") if messages else "", people[-1].get("text", "") if people else ""


def permalink(client: WebClient, channel: str, ts: str, logger: Logger) -> str:
    if not channel or not ts:
        return ""
    try:
        return client.chat_getPermalink(channel=channel, message_ts=ts).get("permalink", "")
    except SlackApiError as exc:
        logger.warning("no permalink for %s/%s: %s", channel, ts, exc.response.get("error"))
        return ""


def metadata_of(view: dict[str, Any]) -> dict[str, str]:
    """A modal's private metadata ({} when missing or not ours)."""
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except (ValueError, AttributeError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}


def register(app: App) -> None:
    app.shortcut(ADD_TO_FAQ)(**ack_then(handle_add_to_faq))
