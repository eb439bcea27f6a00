"""Text normalisation shared by every matcher, so a phrasing and a query compare alike.

Slack delivers messages in its own markup: mentions as ``<@U123>``, channels as
``<#C1|general>``, links as ``<https://x|label>``, broadcasts as ``<!here>``, emoji as
``:tada:``, and ``& < >`` escaped as entities. Mentions, broadcasts, emoji and fenced code
blocks carry no meaning for "which FAQ is this?" and are dropped; labels, link targets
and inline code keep their words. The result is lower-case words separated by single
spaces, or ``""`` for a message with nothing left to match.
"""

from __future__ import annotations

import html
import re
import unicodedata

# <...> tokens: the body is everything up to the closing '>', label after the first '|'.
_ANGLE = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")
_FENCED_CODE = re.compile(r"```.*?```", re.DOTALL)
_INLINE_CODE = re.compile(r"`([^`]*)`")
# Not inside a word, so a time like "10:30:45" is not taken for an emoji.
_EMOJI = re.compile(r"(?<![\w:]):[a-z0-9_+'-]+:(?::skin-tone-\d:)?(?!\w)", re.IGNORECASE)
_URL_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:(?://)?", re.IGNORECASE)
# Apostrophes join ("can't" -> "cant") so typed-without-apostrophe forms match.
_APOSTROPHES = re.compile(r"['\u2018\u2019\u02bc`]")
_NON_WORD = re.compile(r"[\W_]+")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([?!.,;:)])")  # where a link's label ended: "the wifi ?"


def _angle_token(match: re.Match[str]) -> str:
    """Replace one ``<...>`` Slack token by the words it shows a reader, if any."""
    body, label = match.group(1), match.group(2)
    if body.startswith(("@", "!")):
        # Mentions and broadcasts name people, not problems; a date keeps its fallback.
        return f" {label} " if body.startswith("!date") and label else " "
    if body.startswith("#"):
        return f" {label} " if label else " "
    if label:
        return f" {label} "
    return f" {_URL_SCHEME.sub('', body)} "


def _strip_accents(text: str) -> str:
    if text.isascii():  # most text: nothing to decompose (and a character loop costs seconds at 100k phrasings)
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _without_markup(text: str) -> str:
    """Mentions, broadcasts, emoji and code blocks gone; links as their labels; entities decoded."""
    text = unicodedata.normalize("NFKC", text)
    text = _FENCED_CODE.sub(" ", text)
    text = _INLINE_CODE.sub(r" \1 ", text)
    text = _ANGLE.sub(_angle_token, text)
    # Entities are decoded only now: a decoded '&lt;' must not start a Slack token.
    text = html.unescape(text)
    return _EMOJI.sub(" ", text)


def plain_text(text: str) -> str:
    """A Slack message as a person would retype it, case and punctuation kept: a question
    made into an FAQ entry."""
    return _SPACE_BEFORE_PUNCTUATION.sub(r"\1", " ".join(_without_markup(text).split()))


def normalize(text: str) -> str:
    """Return the matchable words of a Slack message or FAQ phrasing."""
    text = _strip_accents(_without_markup(text)).casefold()
    text = _APOSTROPHES.sub("", text)
    return " ".join(_NON_WORD.sub(" ", text).split())
