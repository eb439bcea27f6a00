"""Handing a question to a human: "Ask a human" under a reply that was not sure (or after a
👎) posts the question, with a link to where it was asked, in the triage channel (the
asking channel's `escalation` in channels.yaml, else FAQBOT_ESCALATION_CHANNEL), naming the
owners of its closest entry; without a triage channel, the owners get it directly. The
conversation is told who was asked. "Resolved" on the triage post closes the loop in both
places and offers to add the answer to the FAQ.
"""

from __future__ import annotations

import json
from logging import Logger
from typing import Any

from slack_bolt import App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from faqbot.faq.loading import CHANNELS_FILE
from faqbot.slack import blocks, replies
from faqbot.slack.blocks import ButtonValue
from faqbot.slack.listeners.handoff import ack_then
from faqbot.slack.listeners.shortcuts import open_proposal, permalink, thread_question_and_answer
from faqbot.slack.owner_digest import members
from faqbot.slack.services import services_of
from faqbot.store.interface import Handoff

Body = dict[str, Any]
CLAIM_S = 3600.0  # a question is handed off once an hour at most, however often it is clicked


def handle_ask_human(body: Body, action: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext,
                     logger: Logger) -> None:
    services = services_of(context)
    value = ButtonValue.load(action["value"])
    user = body["user"]["id"]
    entry_id, owners = services.owners_of([i for i in (value.entry, *value.others) if i])
    where_channel, _, where_ts = value.where.partition(":")
    channel = services.desk(where_channel).escalation
    if not channel and not owners:
        replies.send(respond, logger, response_type="ephemeral", replace_original=False,
                     text="Nobody is set up to take questions yet: ask an FAQ admin to set FAQBOT_ESCALATION_CHANNEL"
                          f" (or this channel's escalation in {CHANNELS_FILE}).")
        return
    if not services.store.claim(f"handoff:{value.question}", CLAIM_S):  # a double click, a retried request
        replies.send(respond, logger, response_type="ephemeral", replace_original=False,
                     text="Someone has been asked about this already; they'll reply in the conversation.")
        return
    handoff = Handoff(value.question, user, channel or ",".join(owners))
    link = permalink(client, where_channel, where_ts, logger) if where_ts else ""
    post = _triage_post(value, user, link, entry_id, owners, handoff.id)
    people = [] if channel else sorted({person for owner in owners for person in members(client, owner)})
    try:
        for target in [channel] if channel else people:
            client.chat_postMessage(channel=target, unfurl_links=False, **post)
    except SlackApiError as exc:  # the bot is not in the triage channel, the channel is archived, ...
        logger.error("handing question %s to %s failed: %s", value.question, channel or people, exc.response.get("error"))
        services.store.release(f"handoff:{value.question}")  # a later click tries again
        replies.send(respond, logger, response_type="ephemeral", replace_original=False,
                     text="Sorry, I could not reach anyone just now (an admin can see why in the log). Please try"
                          " again later, or ask in the help channel yourself.")
        return
    asked = f"<#{channel}>" if channel else " ".join(f"<@{p}>" for p in people) or "the entry's owners"
    services.store.record_handoff(handoff)
    note = f"🙋 I've asked {asked} for help with this; the answer will come here."
    if where_ts:
        client.chat_postMessage(channel=where_channel, thread_ts=where_ts, text=note)
    else:  # /faq: nothing to reply under, the asker alone is told
        replies.send(respond, logger, response_type="ephemeral", replace_original=False,
                     text=note.replace("will come here", "will come to you"))


def _triage_post(value: ButtonValue, user: str, link: str, entry_id: str, owners: tuple[str, ...],
                 handoff_id: str) -> dict[str, Any]:
    asker = value.asker or user
    lines = [f"🙋 <@{asker}> needs a human: “{value.text or '(no text)'}”"]
    if link:
        lines.append(f"<{link}|Reply in the conversation>")
    if owners:
        mentions = " ".join(blocks.mention(o) for o in owners)
        lines.append(f"Closest FAQ entry: `{entry_id}`, owned by {mentions}")
    resolved = {"handoff": handoff_id, "where": value.where, "question": value.question}
    text = "\n".join(lines)
    return {"text": text, "blocks": [*blocks.sections(text), {"type": "actions", "block_id": "faq_triage", "elements": [
        blocks.button("✅ Resolved", blocks.RESOLVED, json.dumps(resolved, separators=(",", ":")), "primary")]}]}


def handle_resolved(body: Body, action: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext,
                    logger: Logger) -> None:
    """Close the loop: the triage post says who resolved it, so does the conversation, and the
    resolver may add the answer that solved it to the FAQ."""
    services = services_of(context)
    user = body["user"]["id"]
    try:
        value = json.loads(action["value"])
        handoff_id, where = str(value["handoff"]), str(value.get("where", ""))
    except (ValueError, KeyError, TypeError):
        logger.warning("a Resolved click with a malformed value")
        return
    if not services.store.resolve_handoff(handoff_id, user):
        replies.send(respond, logger, response_type="ephemeral", replace_original=False, text="Resolved already.")
        return
    kept = [b for b in (body.get("message") or {}).get("blocks", []) if b.get("type") != "actions"]
    replies.send(respond, logger, replace_original=True, text=f"Resolved by <@{user}>",
                 blocks=[*kept, blocks.context(f"✅ Resolved by <@{user}>")])
    channel, _, ts = where.partition(":")
    if ts:
        try:
            client.chat_postMessage(channel=channel, thread_ts=ts, text=f"✅ <@{user}> marked this resolved.")
        except SlackApiError as exc:  # the bot left the channel since
            logger.warning("could not tell the conversation %s it was resolved: %s", where, exc.response.get("error"))
        replies.send(respond, logger, response_type="ephemeral", replace_original=False,
                     text="Resolved. Worth keeping the answer for next time?",
                     blocks=[*blocks.sections("Resolved. Worth keeping the answer for next time?"),
                             {"type": "actions", "block_id": "faq_resolved", "elements": [
                                 blocks.button("Add to FAQ", blocks.RESOLVED_TO_FAQ, where)]}])


def handle_resolved_to_faq(body: Body, action: dict[str, Any], client: WebClient, context: BoltContext,
                           logger: Logger) -> None:
    """The "Add to FAQ" modal, filled in from the resolved conversation: its first message and last reply."""
    channel, _, ts = str(action.get("value", "")).partition(":")
    open_proposal(client, body["trigger_id"], services_of(context),
                  lambda: thread_question_and_answer(client, channel, ts, context.bot_user_id, logger),
                  permalink(client, channel, ts, logger))


def register(app: App) -> None:
    app.action(blocks.ASK_HUMAN)(**ack_then(handle_ask_human))
    app.action(blocks.RESOLVED)(**ack_then(handle_resolved))
    app.action(blocks.RESOLVED_TO_FAQ)(**ack_then(handle_resolved_to_faq))
