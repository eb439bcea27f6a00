"""From a match to a Slack reply: what is said on each surface, and the record of it.

Listeners decide *whether* to speak (surface, channel mode); this module decides *what*
to say, so a channel answer, a DM answer and a `/faq` answer look the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from logging import Logger
from typing import Any

from slack_bolt import Respond

from faqbot.faq.schema import Entry, Faq
from faqbot.matching.matcher import Match
from faqbot.slack import blocks
from faqbot.slack.blocks import Block, ButtonValue
from faqbot.store.interface import Question

NO_WORDS = "Ask me a question: that message has no words I can match."
SMALL_TALK = {
    "greeting": "Hi! Ask me a question, like `how do I reset my password?`, and I'll answer from the FAQ.",
    "thanks": "You're welcome!",
}
NOTIFICATION_LIMIT = 300  # characters of the plain-text fallback shown in notifications


@dataclass(frozen=True)
class Reply:
    """A message to post: the blocks, and the plain text notifications and screen readers use."""

    text: str
    blocks: list[Block]


def question_record(match: Match, surface: str, user: str, answered: bool) -> Question:
    return Question(
        normalized=match.normalized, surface=surface, user=user,
        entry_id=match.entry.id if match.entry else None, score=match.score, method=match.method,
        answered=answered,
    )


def answer(match: Match, question: Question, shareable: bool = False, where: str = "") -> Reply:
    """The answer of a confident match, with its feedback buttons (`where` the question was asked:
    a 👎 then offers "Ask a human")."""
    assert match.entry is not None, "answer() needs a match with an entry"
    value = ButtonValue(
        question.id, match.entry.id,
        blocks.how_matched(match.method, match.confidence if match.method == "semantic" else match.score),
        others=tuple(s.entry.id for s in match.suggestions), asker=question.user, where=where,
        text=blocks.clip(match.query, blocks.ASKED_TEXT),
    )
    return Reply(plain(match.entry.answer), blocks.answer(match.entry, value, shareable))


def not_sure(match: Match, question: Question, where: str = "", handoff: bool = False) -> Reply:
    """No confident answer: say so, and offer the closest entries, and (`handoff`) a human;
    greetings and thanks get a word back."""
    if not match.normalized:
        return Reply(NO_WORDS, blocks.text_only(NO_WORDS))
    if match.small_talk:
        text = SMALL_TALK[match.small_talk]
        return Reply(text, blocks.text_only(text))
    entries = [s.entry for s in match.suggestions]
    asked = ButtonValue(question.id, "", others=tuple(e.id for e in entries), asker=question.user, where=where,
                        text=blocks.clip(match.query, blocks.ASKED_TEXT))
    message = blocks.not_sure(asked, entries, handoff)
    return Reply(message[0]["text"]["text"], message)


def reply_to(match: Match, question: Question, shareable: bool = False, where: str = "",
             handoff: bool = False) -> Reply:
    """Whatever the match supports: the answer, or "not sure" with suggestions (and a human)."""
    return answer(match, question, shareable, where) if match.entry else not_sure(match, question, where, handoff)


def chosen(faq: Faq, value: ButtonValue, shareable: bool) -> Reply | None:
    """The answer revealed by a suggestion button; None when the entry has left the FAQ."""
    entry = faq.by_id.get(value.entry)
    if entry is None:
        return None
    return Reply(plain(entry.answer), blocks.answer(entry, value, shareable))


def looked_up(entry: Entry, how: str, shareable: bool = False) -> Reply:
    """An entry someone looked up rather than asked about (`/faq show`, a greeting's question):
    its answer, with nothing to rate."""
    value = ButtonValue(question="", entry=entry.id, how=how)
    return Reply(plain(entry.answer), blocks.answer(entry, value, shareable=shareable, feedback=False))


def plain(text: str) -> str:
    """The notification text of an answer."""
    return blocks.clip(text, NOTIFICATION_LIMIT)


def send(respond: Respond, logger: Logger, **message: Any) -> bool:
    """Post through the response URL; a failure is logged (response URLs expire after 30 minutes)."""
    response = respond(**message)
    if response.status_code != 200:
        logger.error("posting to the response URL failed: HTTP %s %s", response.status_code, response.body)
        return False
    return True
