"""Button clicks: 👍/👎 on answers, "Did you mean…?" picks, and sharing a private answer."""

from __future__ import annotations

import re
from dataclasses import replace
from logging import Logger
from typing import Any

from slack_bolt import App, BoltContext, Respond

from faqbot.slack import blocks, replies
from faqbot.slack.blocks import ButtonValue
from faqbot.slack.listeners.handoff import ack_then
from faqbot.slack.services import services_of
from faqbot.store.interface import Choice, Feedback

Body = dict[str, Any]
GONE = "That entry is no longer in the FAQ."


def handle_feedback(body: Body, action: dict[str, Any], respond: Respond, context: BoltContext,
                    logger: Logger) -> None:
    """Record the click. The asker's click replaces the buttons with thanks, and after a 👎
    offers the other suggestions; anyone else is thanked privately and the reply stays as it is."""
    services = services_of(context)
    value = ButtonValue.load(action["value"])
    user = body["user"]["id"]
    helpful = action["action_id"] == blocks.HELPFUL
    services.store.record_feedback(Feedback(value.question, value.entry, user, helpful))
    faq = services.matcher.faq
    entry = faq.by_id.get(value.entry)
    if entry is None or not _by_asker(body, value):
        text = f"Thanks — noted. {GONE}" if entry is None else "Thanks — noted (just for you: the answer stays as it is)."
        replies.send(respond, logger, text=text, response_type="ephemeral", replace_original=False)
        return
    note = "Thanks — noted: this helped." if helpful else "Thanks — noted."
    message = blocks.answer(entry, value, shareable=_is_ephemeral(body), feedback=False, note=note)
    others = [faq.by_id[i] for i in value.others if i in faq.by_id]
    if not helpful and others:
        message += blocks.suggestions(value, others, "Maybe one of these?")
    replies.send(respond, logger, text=replies.plain(entry.answer), blocks=message, replace_original=True)


def handle_suggestion(body: Body, action: dict[str, Any], respond: Respond, context: BoltContext,
                      logger: Logger) -> None:
    """A "Did you mean…?" pick: record it; the asker's pick reveals that answer in place of the
    suggestions, anyone else's shows it to them alone."""
    services = services_of(context)
    value = ButtonValue.load(action["value"])
    user = body["user"]["id"]
    services.store.record_choice(Choice(value.question, value.entry, user))
    by_asker = _by_asker(body, value)
    chosen = replace(value, how=f"picked by <@{user}>" if by_asker else "picked by you")
    reply = replies.chosen(services.matcher.faq, chosen, shareable=_is_ephemeral(body))
    if reply is None:
        replies.send(respond, logger, text=GONE, response_type="ephemeral", replace_original=False)
    elif by_asker:
        replies.send(respond, logger, text=reply.text, blocks=reply.blocks, replace_original=True)
    else:
        replies.send(respond, logger, text=reply.text, blocks=reply.blocks, response_type="ephemeral",
                     replace_original=False)


def handle_share(body: Body, action: dict[str, Any], respond: Respond, context: BoltContext,
                 logger: Logger) -> None:
    """Post a private `/faq` answer to the channel, through the response URL (works where the bot isn't a member)."""
    value = ButtonValue.load(action["value"])
    entry = services_of(context).matcher.faq.by_id.get(value.entry)
    if entry is None:
        replies.send(respond, logger, text=GONE, response_type="ephemeral", replace_original=False)
        return
    shared = replace(value, how=f"{value.how} · shared by <@{body['user']['id']}>")
    feedback = bool(value.question)  # `/faq show` answers no question, so there is nothing to rate
    message = blocks.answer(entry, shared, feedback=feedback)
    if replies.send(respond, logger, delete_original=True):
        replies.send(respond, logger, text=replies.plain(entry.answer), blocks=message, response_type="in_channel",
                     unfurl_links=False, unfurl_media=False)


def _is_ephemeral(body: Body) -> bool:
    return bool(body.get("container", {}).get("is_ephemeral"))


def _by_asker(body: Body, value: ButtonValue) -> bool:
    """Only the asker changes a reply others can see; a private reply is theirs alone anyway.
    Buttons without an asker (posted by older versions) count as someone else's."""
    return _is_ephemeral(body) or (bool(value.asker) and body["user"]["id"] == value.asker)


def register(app: App) -> None:
    app.action(blocks.HELPFUL)(**ack_then(handle_feedback))
    app.action(blocks.NOT_HELPFUL)(**ack_then(handle_feedback))
    app.action(re.compile(f"^{blocks.SUGGESTION_PREFIX}\\d+$"))(**ack_then(handle_suggestion))
    app.action(blocks.SHARE)(**ack_then(handle_share))
