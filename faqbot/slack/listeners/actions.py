"""Button clicks: 👍/👎 on answers, "Did you mean…?" picks, sharing a private answer, and
admins' Approve / Edit / Reject of proposals in the App Home."""

from __future__ import annotations

import re
from dataclasses import replace
from logging import Logger
from typing import Any

from slack_bolt import App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from faqbot.faq import review
from faqbot.slack import blocks, home, proposal_views, replies
from faqbot.slack.blocks import ButtonValue
from faqbot.slack.listeners.handoff import ack_then
from faqbot.slack.services import services_of
from faqbot.store.interface import APPROVED, PENDING, REJECTED, TO_APPLY, Choice, Feedback, Proposal

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
    if not helpful and services.can_hand_off([value.entry, *value.others], value.where.partition(":")[0]):
        message.append(blocks.ask_human(value))
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


def handle_review(body: Body, action: dict[str, Any], client: WebClient, context: BoltContext,
                  logger: Logger) -> None:
    """Approve (write the YAML, then serve it) or reject a proposal; its proposer hears which.
    Only admins: a click from anyone else (an old view, a forged request) changes nothing."""
    services = services_of(context)
    user, proposal_id = body["user"]["id"], action.get("value", "")
    if not services.admins.is_admin(client, user):
        client.chat_postMessage(channel=user, text="Only FAQ admins can review proposals.")
        return
    try:
        if action["action_id"] == proposal_views.APPROVE:
            outcome = review.approve(services.store, proposal_id, user, services.matcher.faq, services.capture_file)
            if outcome.done and services.reloader is not None:
                services.reloader.reload(notify=False)  # served now, not at the watcher's next look
        else:
            outcome = review.reject(services.store, proposal_id, user)
    except Exception:
        logger.exception("reviewing proposal %s failed", proposal_id)
        home.publish(client, services, user, notice="That did not work: the bot's database is unavailable. Try again.")
        return
    if outcome.done:
        _tell_proposer(client, services.store.proposal(proposal_id), user, logger)
    home.publish(client, services, user, notice=outcome.message)


def handle_edit_proposal(body: Body, action: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """Open the proposal in the modal, for an admin to change before approving."""
    services = services_of(context)
    user = body["user"]["id"]
    proposal = services.store.proposal(action.get("value", ""))
    if not services.admins.is_admin(client, user) or proposal is None or proposal.status != PENDING:
        home.publish(client, services, user, notice="That proposal cannot be edited (no longer pending?).")
        return
    closest = [services.matcher.faq.by_id[proposal.entry_id]] if proposal.entry_id in services.matcher.faq.by_id else []
    view = proposal_views.proposal_modal(proposal_views.Draft.of(proposal), closest, proposal_views.EDIT_PROPOSAL,
                                         {"proposal": proposal.id})
    client.views_open(trigger_id=body["trigger_id"], view=view)


def _tell_proposer(client: WebClient, proposal: Proposal | None, reviewer: str, logger: Logger) -> None:
    if proposal is None or not proposal.proposer:
        return
    what = f"`{proposal.entry_id}`" if proposal.kind == "entry" else f"new wordings of `{proposal.entry_id}`"
    verdict = {APPROVED: "was approved and is in the FAQ now", TO_APPLY: "was approved, and joins the FAQ with its"
               " next release", REJECTED: "was not taken"}.get(proposal.status, proposal.status)
    try:
        client.chat_postMessage(channel=proposal.proposer, text=f"Your FAQ proposal of {what} {verdict}"
                                f" (reviewed by <@{reviewer}>).")
    except SlackApiError as exc:
        logger.warning("could not tell %s about their proposal: %s", proposal.proposer, exc.response.get("error"))


def _is_ephemeral(body: Body) -> bool:
    return bool(body.get("container", {}).get("is_ephemeral"))


def _by_asker(body: Body, value: ButtonValue) -> bool:
    """Only the asker changes a reply others can see; a private reply is theirs alone anyway.
    Buttons without an asker (posted by older versions) count as someone else's."""
    return _is_ephemeral(body) or (bool(value.asker) and body["user"]["id"] == value.asker)


def register(app: App) -> None:
    app.action(proposal_views.APPROVE)(**ack_then(handle_review))
    app.action(proposal_views.REJECT)(**ack_then(handle_review))
    app.action(proposal_views.EDIT)(**ack_then(handle_edit_proposal))
    app.action(blocks.HELPFUL)(**ack_then(handle_feedback))
    app.action(blocks.NOT_HELPFUL)(**ack_then(handle_feedback))
    app.action(re.compile(f"^{blocks.SUGGESTION_PREFIX}\\d+$"))(**ack_then(handle_suggestion))
    app.action(blocks.SHARE)(**ack_then(handle_share))
