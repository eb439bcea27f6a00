"""Block Kit messages, built by pure functions so every reply can be tested without Slack.

Buttons carry what their click needs (question id, entry id, the other suggestions) in
their `value`, so a click is handled from the payload and the FAQ alone: no server-side
session, nothing lost when a process restarts.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from faqbot.faq.schema import Entry

Block = dict[str, Any]

HELPFUL, NOT_HELPFUL, SHARE = "faq_helpful", "faq_not_helpful", "faq_share"
ASK_HUMAN, RESOLVED, RESOLVED_TO_FAQ = "faq_ask_human", "faq_handoff_resolved", "faq_handoff_add_to_faq"
ASKED_TEXT = 300  # characters of the question a button carries, for the person it is handed to
SUGGESTION_PREFIX = "faq_suggestion_"  # + position: action ids must be unique in a block
SECTION_LIMIT = 3000  # characters of a section's text
MESSAGE_BLOCKS = 50  # blocks in one message
ANSWER_SECTIONS = MESSAGE_BLOCKS - 7  # context, note, buttons, 👎 suggestions (intro + buttons), "Ask a human" come after
BUTTON_LIMIT = 75  # characters of a button's label
COMMAND = "/faq"

HELP = (
    "*Ask the FAQ*\n"
    f"• `{COMMAND} <question>` answers privately; *Share in channel* posts the answer for everyone.\n"
    f"• `{COMMAND} list [tag]` lists the entries, `{COMMAND} show <id>` shows one.\n"
    "• Mention me or send me a direct message, and I'll always reply.\n"
    "• In channels I answer questions in a thread when I'm confident, and stay quiet otherwise.\n"
    f"• Admins: `{COMMAND} stats [7d]`, `{COMMAND} unanswered [7d]`, `{COMMAND} reload`."
)


@dataclass(frozen=True)
class ButtonValue:
    """What a button click needs: the question it answers, the entry, how it matched."""

    question: str  # Question.id in the store
    entry: str  # Entry.id
    how: str = ""  # the context line's wording: "semantic match, confidence 83%", "picked by <@U1>", ...
    others: tuple[str, ...] = field(default_factory=tuple)  # entry ids to offer after a 👎
    asker: str = ""  # Slack user ID of who asked: only they may change a public reply
    where: str = ""  # "channel:ts" of the question's message ("channel:" for /faq), for "Ask a human"
    text: str = ""  # the question as asked, clipped: what the human it is handed to reads

    def dump(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def load(cls, value: str) -> ButtonValue:
        data = json.loads(value)
        return cls(data["question"], data["entry"], data.get("how", ""), tuple(data.get("others", ())),
                   data.get("asker", ""), data.get("where", ""), data.get("text", ""))


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def sections(text: str) -> list[Block]:
    """Long answers split at line breaks into sections within Slack's size limit."""
    chunks: list[str] = []
    for line in text.strip().splitlines():
        if chunks and len(chunks[-1]) + 1 + len(line) <= SECTION_LIMIT:
            chunks[-1] += "\n" + line
        else:  # a line longer than a section is cut
            chunks.extend(line[i : i + SECTION_LIMIT] for i in range(0, len(line), SECTION_LIMIT))
    return [{"type": "section", "text": {"type": "mrkdwn", "text": c}} for c in chunks]


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def mention(owner: str) -> str:
    """An entry owner as Slack shows one: a member (U…, W…) or a user group (S…)."""
    return f"<@{owner}>" if owner[0] in "UW" else f"<!subteam^{owner}>"


def button(label: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button", "action_id": action_id, "value": value,
        "text": {"type": "plain_text", "text": clip(label, BUTTON_LIMIT), "emoji": True},
    }
    if style:
        button["style"] = style
    return button


def how_matched(method: str, score: float) -> str:
    """The context line's wording: the confidence of a semantic match, the ratio of a fuzzy one."""
    return f"{method} match, confidence {score:.0%}" if method == "semantic" else f"{method} match, {score:.0%}"


def answer(entry: Entry, value: ButtonValue, shareable: bool = False, feedback: bool = True,
           note: str | None = None) -> list[Block]:
    """An answer: the text, a context line saying what it answers and how it matched, and
    the buttons: Share for a private answer, 👍/👎 until feedback is given (then `note`)."""
    buttons = []
    if shareable:
        buttons.append(button("Share in channel", SHARE, value.dump(), style="primary"))
    if feedback:
        buttons += [button("👍 Helpful", HELPFUL, value.dump()), button("👎 Not helpful", NOT_HELPFUL, value.dump())]
    about = context(f"Answering _{entry.question}_ · {value.how}")
    if entry.source:
        about["elements"].append({"type": "mrkdwn", "text": f"<{entry.source}|Source>"})
    message = [*answer_sections(entry.answer), about]
    if note:
        message.append(context(note))
    if buttons:
        message.append({"type": "actions", "block_id": "faq_answer", "elements": buttons})
    return message


def answer_sections(text: str) -> list[Block]:
    """An answer's sections, cut to leave room in one message for its context line, a note,
    its buttons and a 👎's suggestions; a cut answer says so."""
    body = sections(text)
    if len(body) <= ANSWER_SECTIONS:
        return body
    note = f"…cut: the answer is longer than one Slack message can show ({len(text):,} characters)."
    return [*body[: ANSWER_SECTIONS - 1], context(note)]


def slack_limits(text: str) -> str | None:
    """What Slack will do to an answer of this length, for `faqbot validate`; None when it fits."""
    cut_lines = sum(len(line) > SECTION_LIMIT for line in text.splitlines())
    if len(sections(text)) > ANSWER_SECTIONS:
        return (f"the answer ({len(text):,} characters) is longer than one Slack message shows: it is cut after"
                f" about {ANSWER_SECTIONS * SECTION_LIMIT:,}")
    if cut_lines:
        return f"{cut_lines} line(s) of the answer exceed Slack's {SECTION_LIMIT:,} characters per block: cut in pieces"
    return None


def suggestions(asked: ButtonValue, entries: Sequence[Entry], intro: str) -> list[Block]:
    """ "Did you mean…?": up to three buttons, each revealing that entry's answer (`asked`: the question)."""
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": intro}}]
    if entries:
        blocks.append({
            "type": "actions", "block_id": "faq_suggestions",
            "elements": [
                button(e.question, f"{SUGGESTION_PREFIX}{i}", replace(asked, entry=e.id, how="chosen", others=()).dump())
                for i, e in enumerate(entries)
            ],
        })
    return blocks


def not_sure(asked: ButtonValue, entries: Sequence[Entry], handoff: bool = False) -> list[Block]:
    """No confident answer: the closest entries, and (`handoff`) a way to a person."""
    if entries:
        intro = "I'm not sure I know that one. Did you mean…?" + (" Or ask a human." if handoff else "")
    elif handoff:
        intro = "I don't know that one, sorry. A human may: ask one below."
    else:
        intro = f"I don't know that one, sorry. Try `{COMMAND} list` to see what I know."
    return suggestions(asked, entries, intro) + ([ask_human(asked)] if handoff else [])


def ask_human(asked: ButtonValue) -> Block:
    """"Ask a human": hands the question to the triage channel or its entry's owners."""
    return {"type": "actions", "block_id": "faq_handoff", "elements": [button("🙋 Ask a human", ASK_HUMAN, asked.dump())]}


def help_message() -> list[Block]:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": HELP}}]


def entry_list(entries: Sequence[Entry], tag: str | None, tags: Sequence[str], here: int = 0) -> list[Block]:
    """The entries (of one tag) as bullet lines with their ids, for `/faq show <id>`; the
    first `here` are the ones that answer in the channel asking, listed under their own heading."""
    if not entries:
        known = ", ".join(f"`{t}`" for t in tags) or "none"
        return [{"type": "section", "text": {"type": "mrkdwn", "text": f"No entries tagged `{tag}`. Tags: {known}."}}]
    title = f"*{len(entries)} FAQ entries" + (f" tagged `{tag}`*" if tag else "*")
    lines = [f"• {e.question} `{e.id}`" for e in entries]
    if 0 < here < len(lines):
        lines.insert(here, "_Elsewhere in the FAQ:_")
    if here:
        lines.insert(0, "_Answered in this channel:_")
    lines.insert(0, title)
    blocks = sections("\n".join(lines))
    if len(blocks) > MESSAGE_BLOCKS - 1:
        kept = blocks[: MESSAGE_BLOCKS - 2]
        blocks = [*kept, context(f"…and {len(entries) - bullets(kept)} more: give a tag to narrow the list.")]
    elif not tag and tags:
        blocks.append(context("Tags: " + ", ".join(f"`{t}`" for t in tags) + f" · `{COMMAND} show <id>` shows one"))
    return blocks


def bullets(sections_: Sequence[Block]) -> int:
    """How many "• " lines (entries) these sections show."""
    return sum(line.startswith("• ") for b in sections_ for line in b["text"]["text"].splitlines())


def text_only(text: str) -> list[Block]:
    return sections(text)[:MESSAGE_BLOCKS]
