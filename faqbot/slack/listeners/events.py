"""Events: answer questions in channel threads, always reply in DMs and to @mentions, and
draw the App Home tab."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from slack_bolt import App, BoltContext, SetStatus
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from faqbot.matching.channel_gate import looks_like_question
from faqbot.matching.matcher import Match
from faqbot.slack import home, replies
from faqbot.slack.listeners.handoff import ack_then
from faqbot.slack.listeners.messages_tab import show_loading
from faqbot.slack.replies import Reply
from faqbot.slack.services import Services, services_of
from faqbot.store.interface import Question

Event = dict[str, Any]
# Messages people write: plain, with a file attached, sent to the channel from a thread, /me.
PERSON_SUBTYPES = {None, "file_share", "thread_broadcast", "me_message"}
log = logging.getLogger(__name__)


def handle_app_mention(event: Event, context: BoltContext, client: WebClient) -> None:
    """An @mention anywhere: always reply, in a thread on the mention."""
    if _first_sight(event, context):
        _reply_always(event, "mention", services_of(context), client, in_thread=True)


def handle_message(event: Event, context: BoltContext, client: WebClient, set_status: SetStatus | None) -> None:
    """Every message the app can see; registered last, so no message goes unhandled."""
    text = event.get("text") or ""
    if event.get("channel_type") == "im":  # the Messages tab: no Assistant middleware, so answered here alone
        if _first_sight(event, context):
            show_loading(set_status, event, log)
            _reply_always(event, "dm", services_of(context), client, in_thread=bool(event.get("thread_ts")))
    elif context.bot_user_id and f"<@{context.bot_user_id}>" in text:
        return  # its app_mention event replies
    elif looks_like_question(text) and _first_sight(event, context):
        _reply_in_channel(event, services_of(context), client)


def handle_app_home_opened(event: Event, context: BoltContext, client: WebClient) -> None:
    """The Home tab: how to ask and the topics; for admins, proposals, last week's stats and gaps first."""
    if event.get("tab") != "home":
        return
    home.publish(client, services_of(context), event["user"])


def _first_sight(event: Event, context: BoltContext) -> bool:
    """A message by a person, not seen before: no bots, edits, deletions, joins or other subtypes."""
    if event.get("subtype") not in PERSON_SUBTYPES or event.get("bot_id") or event.get("hidden") or not event.get("user"):
        return False
    if event["user"] == context.bot_user_id:
        return False
    # One reply per message, however many events (message + app_mention) or retries
    # (X-Slack-Retry-Num, the same event_id again) bring it. Claimed here, after the ack, so
    # Slack's 3 seconds never wait on the database.
    if services_of(context).store.claim(f"message:{event['channel']}:{event['ts']}"):
        return True
    log.info("message %s/%s already handled: a retry, or its other event", event["channel"], event["ts"])
    return False


def _reply_always(event: Event, surface: str, services: Services, client: WebClient, in_thread: bool) -> None:
    """A DM or an @mention: the direct bar, and in a channel with a desk only its entries."""
    tags = services.desk(event["channel"]).tags
    match = services.matcher.match(event.get("text") or "", "direct", tags)
    question = replies.question_record(match, surface, event["user"], answered=match.entry is not None)
    thread_ts = (event.get("thread_ts") or event["ts"]) if in_thread else None
    reply = replies.reply_to(match, question, where=_where(event), handoff=_can_hand_off(services, match, event))
    _post(services, client, question, reply, event, thread_ts)


def _where(event: Event) -> str:
    """Where a question was asked, for "Ask a human": its channel and the thread it is (or starts)."""
    return f"{event['channel']}:{event.get('thread_ts') or event['ts']}"


def _can_hand_off(services: Services, match: Match, event: Event) -> bool:
    return services.can_hand_off([s.entry.id for s in match.suggestions], event["channel"])


def _reply_in_channel(event: Event, services: Services, client: WebClient) -> None:
    """Answer in a thread when confident; otherwise what the channel's mode says. A channel's
    desk picks the entries that may answer there, and its bar."""
    desk = services.desk(event["channel"])
    match = services.matcher.match(event["text"], "channel", desk.tags, desk.threshold)
    thread_ts = event.get("thread_ts") or event["ts"]
    mode = desk.mode
    if match.entry is not None and mode != "silent":
        question = replies.question_record(match, "channel", event["user"], answered=True)
        _post(services, client, question, replies.answer(match, question, where=_where(event)), event, thread_ts)
        return
    question = replies.question_record(match, "channel", event["user"], answered=False)
    services.store.record_question(question)
    if mode == "suggest" and match.suggestions:  # (suggest is not silent: so there was no answer)
        reply = replies.not_sure(match, question, _where(event), _can_hand_off(services, match, event))
        client.chat_postEphemeral(
            channel=event["channel"], user=event["user"], thread_ts=thread_ts, text=reply.text, blocks=reply.blocks
        )


def _post(services: Services, client: WebClient, question: Question, reply: Reply, event: Event,
          thread_ts: str | None) -> None:
    """Post the reply to `event`; the question is recorded either way, as unanswered if the post
    failed (the client has retried rate limits and server errors by then)."""
    try:
        client.chat_postMessage(channel=event["channel"], thread_ts=thread_ts, text=reply.text, blocks=reply.blocks,
                                unfurl_links=False, unfurl_media=False)  # no link previews under every answer
    except SlackApiError as exc:
        question = replace(question, answered=False)
        log.error("gave up replying to message %s in %s: HTTP %s %s", event["ts"], event["channel"],
                  exc.response.status_code, exc.response.get("error"))
    finally:
        services.store.record_question(question)


def register(app: App) -> None:
    app.event("app_home_opened")(**ack_then(handle_app_home_opened))
    app.event("app_mention")(**ack_then(handle_app_mention))
    app.event("message")(**ack_then(handle_message))  # the catch-all, last: Slack retries events left unhandled
