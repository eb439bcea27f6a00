"""Modal submissions: a proposal from "Add to FAQ", and an admin's edit of one.

What was submitted is checked in the ack, against the FAQ in memory, so a bad field is
shown under that field at once and nothing is stored; the rest (the store, messages to
people) happens after the ack.
"""

from __future__ import annotations

from dataclasses import replace
from logging import Logger
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from faqbot.faq import review
from faqbot.slack import home
from faqbot.slack.listeners.handoff import logged
from faqbot.slack.listeners.shortcuts import metadata_of
from faqbot.slack.proposal_views import ADD_TO_FAQ, EDIT_PROPOSAL, read_submission
from faqbot.slack.services import services_of

Body = dict[str, Any]


def check_submission(ack: Ack, body: Body, context: BoltContext) -> None:
    """Close the modal, or keep it open with each problem under its field."""
    _, errors = read_submission(body.get("view"), services_of(context).matcher.faq)
    if errors:
        ack(response_action="errors", errors=errors)
    else:
        ack()


def handle_proposal(body: Body, client: WebClient, context: BoltContext, logger: Logger) -> None:
    """Keep the proposal for review and tell its author; a store that fails is said, not hidden."""
    services = services_of(context)
    proposal, errors = read_submission(body["view"], services.matcher.faq)
    user = body["user"]["id"]
    if proposal is None:  # the ack showed why, and the form is still open (or the FAQ changed since the ack)
        logger.info("a proposal from %s was not kept: %s", user, " ".join(errors.values()))
        return
    proposal = replace(proposal, proposer=user, link=metadata_of(body["view"]).get("link", ""))
    try:
        services.store.add_proposal(proposal)
    except Exception:
        logger.exception("could not keep a proposal")
        client.chat_postMessage(channel=user, text="Sorry, your proposal could not be saved: the bot's database is"
                                " unavailable. Please try again later.")
        return
    what = f"the new entry `{proposal.entry_id}`" if proposal.kind == "entry" else \
        f"{len(proposal.alternates)} new wording(s) of `{proposal.entry_id}`"
    client.chat_postMessage(channel=user, text=f"Thanks! Your proposal of {what} is waiting for an FAQ admin's review."
                            " You'll hear back here.")


def handle_edit(body: Body, client: WebClient, context: BoltContext, logger: Logger) -> None:
    services = services_of(context)
    user = body["user"]["id"]
    if not services.admins.is_admin(client, user):
        client.chat_postMessage(channel=user, text="Only FAQ admins can edit proposals.")
        return
    edited, errors = read_submission(body["view"], services.matcher.faq)
    proposal_id = metadata_of(body["view"]).get("proposal", "")
    if edited is None:  # the ack showed why; the form is still open
        return
    if not proposal_id:
        home.publish(client, services, user, notice="Not saved: the form did not say which proposal it edits.")
        return
    outcome = review.edit(services.store, replace(edited, id=proposal_id), user)
    home.publish(client, services, user, notice=outcome.message)


def register(app: App) -> None:
    app.view(ADD_TO_FAQ)(ack=check_submission, lazy=[logged(handle_proposal)])
    app.view(EDIT_PROPOSAL)(ack=check_submission, lazy=[logged(handle_edit)])
