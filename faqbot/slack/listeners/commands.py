"""The `/faq` slash command: a private answer, help, the list of entries, one entry; and
for admins stats, unanswered questions and reloading the FAQ."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from logging import Logger
from typing import Any

from slack_bolt import App, BoltContext, Respond
from slack_sdk import WebClient

from faqbot.insights.report import DEFAULT_PERIOD, PeriodError, since, stats, unanswered_groups
from faqbot.slack import blocks, replies, views
from faqbot.slack.listeners.handoff import ack_then
from faqbot.slack.services import Services, services_of

Command = dict[str, Any]


@dataclass(frozen=True)
class Subcommand:
    arity: int  # most arguments it takes; with more, the text is a question
    admin: bool
    run: Callable[[list[str], Services, Command], replies.Reply]


def handle_faq(command: Command, respond: Respond, client: WebClient, context: BoltContext, logger: Logger) -> None:
    """Answer through the response URL, after the ack (Slack allows 3 seconds for that)."""
    services = services_of(context)
    words = (command.get("text") or "").split()
    name = words[0].lower() if words else "help"
    subcommand = SUBCOMMANDS.get(name)
    if subcommand is None or len(words) - 1 > subcommand.arity:
        reply = _question(" ".join(words), services, command)
    elif subcommand.admin and not services.admins.is_admin(client, command["user_id"]):
        reply = _text(f"Sorry, `{blocks.COMMAND} {name}` is for FAQ admins. `{blocks.COMMAND} help` shows what"
                      " everyone can do.")
    else:
        reply = subcommand.run(words[1:], services, command)
    replies.send(respond, logger, text=reply.text, blocks=reply.blocks, response_type="ephemeral")


def _question(text: str, services: Services, command: Command) -> replies.Reply:
    match = services.matcher.match(text, "direct")
    question = replies.question_record(match, "command", command["user_id"], answered=match.entry is not None)
    services.store.record_question(question)
    handoff = services.can_hand_off([s.entry.id for s in match.suggestions], command.get("channel_id", ""))
    return replies.reply_to(match, question, shareable=True, where=f"{command.get('channel_id', '')}:", handoff=handoff)


def _help(args: list[str], services: Services, command: Command) -> replies.Reply:
    return replies.Reply(blocks.HELP, blocks.help_message())


def _list(args: list[str], services: Services, command: Command) -> replies.Reply:
    """Every entry (or a tag's); in a channel with a desk, the channel's entries first."""
    matcher = services.matcher
    tag = args[0].lower() if args else None
    listed = [i for i, e in enumerate(matcher.faq.entries) if tag is None or e.has_tag_in({tag})]
    desk_tags = services.desk(command.get("channel_id", "")).tags
    answering = matcher.tagged(desk_tags) if desk_tags else None  # None: every entry answers there
    here = [i for i in listed if answering is not None and answering[i]]
    elsewhere = [i for i in listed if answering is None or not answering[i]]
    entries = [matcher.faq.entries[i] for i in here + elsewhere]
    tags = sorted({t for e in matcher.faq.entries for t in e.tags})
    message = blocks.entry_list(entries, tag, tags, here=len(here))
    return replies.Reply(f"{len(entries)} FAQ entries", message)


def _show(args: list[str], services: Services, command: Command) -> replies.Reply:
    if not args:
        return _text(f"Which entry? `{blocks.COMMAND} show <id>`; `{blocks.COMMAND} list` shows the ids.")
    faq = services.matcher.faq
    entry = faq.by_id.get(args[0].lower())
    if entry is None:
        close = difflib.get_close_matches(args[0].lower(), list(faq.by_id), n=3)
        hint = f" Did you mean {', '.join(f'`{c}`' for c in close)}?" if close else ""
        return _text(f"No entry `{args[0]}`.{hint}")
    return replies.looked_up(entry, f"`{blocks.COMMAND} show {entry.id}`", shareable=True)


def _text(text: str) -> replies.Reply:
    return replies.Reply(text, blocks.text_only(text))


def _over_period(args: list[str], report: Callable[[str, datetime], replies.Reply]) -> replies.Reply:
    """Run `report` over the period in `args` (default 7d); a malformed period says how to write one."""
    period = args[0] if args else DEFAULT_PERIOD
    try:
        start = since(period)
    except PeriodError as exc:
        return _text(str(exc))
    return report(period, start)


def _stats(args: list[str], services: Services, command: Command) -> replies.Reply:
    def report(period: str, start: datetime) -> replies.Reply:
        usage = stats(services.store, start)
        return replies.Reply(f"faqbot stats, last {period}", views.stats_blocks(usage, services.matcher.faq, period))

    return _over_period(args, report)


def _unanswered(args: list[str], services: Services, command: Command) -> replies.Reply:
    def report(period: str, start: datetime) -> replies.Reply:
        matcher = services.matcher
        groups = unanswered_groups(services.store, start, matcher.encoder)
        return replies.Reply(f"Unanswered questions, last {period}", views.unanswered_blocks(groups, period))

    return _over_period(args, report)


def _reload(args: list[str], services: Services, command: Command) -> replies.Reply:
    if services.reloader is None:
        return _text("This faqbot serves a fixed FAQ: it was started without reloading.")
    return _text(services.reloader.reload(notify=False).summary())  # the reply tells the admin


SUBCOMMANDS: dict[str, Subcommand] = {
    "help": Subcommand(0, False, _help),
    "list": Subcommand(1, False, _list),
    "show": Subcommand(1, False, _show),
    "stats": Subcommand(1, True, _stats),
    "unanswered": Subcommand(1, True, _unanswered),
    "reload": Subcommand(0, True, _reload),
}


def register(app: App) -> None:
    app.command(blocks.COMMAND)(**ack_then(handle_faq))
