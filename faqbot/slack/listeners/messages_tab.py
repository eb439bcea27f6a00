"""The Messages tab, the app's front door, in Slack's agent messaging experience (`agent_view`
in manifest.yml; the `Assistant` class serves the older `assistant_view`). Opening the tab
(`app_home_opened`, tab `messages`) pins the most asked questions above the composer as
suggested prompts (those of the help desks in the person's channels first), and the first
time greets the person with them as buttons, for clients that show no prompts; a click
answers that entry. What people type there are DMs, answered
by events.handle_message, which shows a loading status when the answer goes to a thread."""

from __future__ import annotations

import re
from logging import Logger
from typing import Any

from slack_bolt import App, BoltContext, SetStatus, SetSuggestedPrompts
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from faqbot.faq.schema import Entry
from faqbot.insights.report import most_asked, since
from faqbot.slack import replies
from faqbot.slack.greeting import PROMPT_PREFIX, PROMPTS, PROMPTS_TITLE, greeting, prompts
from faqbot.slack.listeners.actions import GONE
from faqbot.slack.listeners.handoff import ack_then
from faqbot.slack.services import Services, services_of

Event = dict[str, Any]
MOST_ASKED_SINCE = "30d"  # the period whose most answered entries are suggested
GREETED_S = 10 * 365 * 24 * 3600.0  # greeted once: a claim that outlasts any install
LOADING = "is looking in the FAQ…"
USER_CHANNELS = 1000  # channels of one person read for their desks: Slack's largest page


def is_messages_tab(event: Event) -> bool:
    return event.get("tab") == "messages"


def handle_messages_tab_opened(event: Event, client: WebClient, context: BoltContext,
                               set_suggested_prompts: SetSuggestedPrompts, logger: Logger) -> None:
    """Prompts on every opening (they follow what is asked), the greeting on the first."""
    services = services_of(context)
    tags = _their_desks_tags(client, services, event["user"], logger)
    first = (lambda entry: entry.has_tag_in(tags)) if tags else None
    entries = most_asked(services.store, since(MOST_ASKED_SINCE), services.matcher.faq, PROMPTS, first)
    if entries:
        try:  # no thread_ts: in agent_view the prompts belong to the tab (with one, Slack drops the call)
            set_suggested_prompts(prompts=prompts(entries), title=PROMPTS_TITLE)
        except SlackApiError as exc:  # the app without agent_view, or installed before assistant:write
            logger.warning("no suggested prompts in the Messages tab: %s", exc.response.get("error"))
    _greet_once(client, services, event, entries, logger)


def _their_desks_tags(client: WebClient, services: Services, user: str, logger: Logger) -> frozenset[str]:
    """The tags of the help desks (channels.yaml) in the channels this person is in: their
    entries are suggested first. None known (no desks, a desk of every entry, or Slack
    would not say): nothing is put first."""
    if not services.desks.by_channel:
        return frozenset()
    try:
        found = client.users_conversations(user=user, types="public_channel,private_channel", exclude_archived=True,
                                           limit=USER_CHANNELS)
    except SlackApiError as exc:  # an install from before channels:read, a user Slack does not know
        logger.warning("suggesting the workspace's most asked: no channels for %s: %s", user, exc.response.get("error"))
        return frozenset()
    desks = [services.desks.get(c["id"]) for c in found.get("channels", []) if c.get("id") in services.desks.by_channel]
    if not desks or any(not desk.tags for desk in desks):
        return frozenset()
    return frozenset().union(*(desk.tags for desk in desks))


def _greet_once(client: WebClient, services: Services, event: Event, entries: list[Entry], logger: Logger) -> None:
    """Claimed after the ack, like a message; given back when the greeting could not be posted."""
    key = f"greeted:{event['user']}"
    if not services.store.claim(key, GREETED_S):
        return
    reply = greeting(event["user"], entries)
    try:
        client.chat_postMessage(channel=event["channel"], text=reply.text, blocks=reply.blocks)
    except SlackApiError as exc:
        services.store.release(key)  # the next opening tries again
        logger.warning("could not greet in %s: %s", event["channel"], exc.response.get("error"))


def handle_prompt(body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """A greeting's question clicked: its answer, as `/faq show` gives one (nothing was asked, so nothing to rate)."""
    channel = body["channel"]["id"]
    entry = services_of(context).matcher.faq.by_id.get(action.get("value", ""))
    if entry is None:
        client.chat_postMessage(channel=channel, text=GONE)
        return
    reply = replies.looked_up(entry, "one of the most asked")
    client.chat_postMessage(channel=channel, text=reply.text, blocks=reply.blocks, unfurl_links=False,
                            unfurl_media=False)


def show_loading(set_status: SetStatus | None, event: Event, logger: Logger) -> None:
    """A loading status on a DM's thread (an assistant thread, or a reply in agent_view), which
    the answer posted there clears; a DM answered outside a thread gets none, as it would linger."""
    if set_status is None or not event.get("thread_ts"):
        return
    try:
        set_status(status=LOADING)
    except SlackApiError as exc:  # a status is a nicety: the answer goes out anyway
        logger.warning("no loading status in %s: %s", event.get("channel"), exc.response.get("error"))


def register(app: App) -> None:
    # before events.register, whose app_home_opened listener (the Home tab) takes every tab
    app.event("app_home_opened", matchers=[is_messages_tab])(**ack_then(handle_messages_tab_opened))
    app.action(re.compile(f"^{PROMPT_PREFIX}\\d+$"))(**ack_then(handle_prompt))
