"""The `/faq` slash command: a private answer, help, the list of entries, one entry."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from logging import Logger
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from faqbot.slack import blocks, replies
from faqbot.slack.blocks import ButtonValue
from faqbot.slack.services import Services, services_of

Command = dict[str, Any]
Subcommand = Callable[[list[str], Services, Command], replies.Reply]


def handle_faq(ack: Ack, command: Command, respond: Respond, context: BoltContext, logger: Logger) -> None:
    """Ack at once (Slack allows 3 seconds), then answer through the response URL."""
    ack()
    services = services_of(context)
    words = (command.get("text") or "").split()
    name = words[0].lower() if words else "help"
    arity, subcommand = SUBCOMMANDS.get(name, (-1, None))
    if subcommand is not None and len(words) - 1 <= arity:
        reply = subcommand(words[1:], services, command)
    else:
        reply = _question(" ".join(words), services, command)
    replies.send(respond, logger, text=reply.text, blocks=reply.blocks, response_type="ephemeral")


def _question(text: str, services: Services, command: Command) -> replies.Reply:
    match = services.matcher.match(text)
    question = replies.question_record(
        match, "command", command["user_id"], command["channel_id"], answered=match.entry is not None
    )
    services.store.record_question(question)
    return replies.reply_to(match, question.id, shareable=True)


def _help(args: list[str], services: Services, command: Command) -> replies.Reply:
    return replies.Reply(blocks.HELP, blocks.help_message())


def _list(args: list[str], services: Services, command: Command) -> replies.Reply:
    faq = services.matcher.faq
    tag = args[0].lower() if args else None
    entries = [e for e in faq.entries if tag is None or tag in (t.lower() for t in e.tags)]
    tags = sorted({t for e in faq.entries for t in e.tags})
    message = blocks.entry_list(entries, tag, tags)
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
    value = ButtonValue(question="", entry=entry.id, how=f"`{blocks.COMMAND} show {entry.id}`")
    return replies.Reply(replies.plain(entry.answer), blocks.answer(entry, value, shareable=True, feedback=False))


def _text(text: str) -> replies.Reply:
    return replies.Reply(text, blocks.text_only(text))


# name -> (most arguments it takes, handler); anything else is a question.
SUBCOMMANDS: dict[str, tuple[int, Subcommand]] = {"help": (0, _help), "list": (1, _list), "show": (1, _show)}


def register(app: App) -> None:
    app.command(blocks.COMMAND)(handle_faq)
