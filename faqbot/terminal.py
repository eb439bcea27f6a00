"""Plain text for the terminal: a match (`faqbot ask`, `faqbot chat`) and the admin
report (`faqbot report`)."""

from __future__ import annotations

import re
from typing import Any

from faqbot.faq.schema import Faq
from faqbot.insights.report import Group, Stats, percent
from faqbot.matching.matcher import Match

SMALL_TALK = {"greeting": "Hi! Ask me a question about anything in the FAQ.", "thanks": "You're welcome!"}
_LINK = re.compile(r"<([^<>|]+)\|([^<>]+)>")
_CHANNEL = re.compile(r"<#[A-Z0-9]+\|([^<>]+)>")
_BARE = re.compile(r"<((?:https?|mailto):[^<>]+)>")


def mrkdwn_to_text(text: str) -> str:
    """Slack links as a terminal shows them: `<url|label>` becomes `label (url)`."""
    text = _CHANNEL.sub(r"#\1", text)
    text = _LINK.sub(r"\2 (\1)", text)
    return _BARE.sub(r"\1", text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def render_text(match: Match) -> str:
    """A reply a person can read: the answer and where it came from, or the closest entries."""
    if not match.normalized:
        return "Ask me a question: that message has no words I can match."
    if match.small_talk:
        return SMALL_TALK[match.small_talk]
    lines = []
    if match.entry is not None:
        how = f"confidence {match.confidence:.2f}" if match.method == "semantic" else f"fuzzy {match.score:.2f}"
        lines.append(f"{match.entry.question}  [{match.entry.id}, {how}]")
        lines.append("")
        lines.append(mrkdwn_to_text(match.entry.answer).rstrip())
        if match.entry.source:
            lines.append(f"Source: {match.entry.source}")
        title = "Related:"
    else:
        lines.append(f"I don't know that one (confidence {match.confidence:.2f}).")
        title = "Closest entries:"
    if match.suggestions:
        lines.append("")
        lines.append(title)
        for number, s in enumerate(match.suggestions, start=1):
            lines.append(f"  {number}. {s.entry.question}  [{s.entry.id}, {s.score:.2f}]")
    return "\n".join(lines)


def match_to_json(match: Match) -> dict[str, Any]:
    entry = match.entry
    return {
        "query": match.query,
        "normalized": match.normalized,
        "surface": match.surface,
        "method": match.method,
        "score": round(match.score, 4),
        "confidence": round(match.confidence, 4),
        "small_talk": match.small_talk,
        "entry": None if entry is None else {"id": entry.id, "question": entry.question, "answer": entry.answer,
                                             "source": entry.source},
        "matched_phrasing": match.phrasing,
        "suggestions": [
            {"id": s.entry.id, "question": s.entry.question, "score": round(s.score, 4)} for s in match.suggestions
        ],
    }


def _entries(faq: Faq, counts: list[tuple[str, int]], unit: str) -> list[str]:
    return [f"  {i}. {faq.by_id[e].question if e in faq.by_id else '(no longer in the FAQ)'} [{e}] {n}{unit}"
            for i, (e, n) in enumerate(counts, start=1)]


def render_report(stats: Stats, groups: list[Group], faq: Faq, period: str) -> str:
    m = stats.by_method
    lines = [
        f"Last {period}, since {stats.since:%Y-%m-%d %H:%M} UTC",
        f"  questions      {stats.questions}",
        f"  answered       {stats.answered} ({percent(stats.answer_rate)}): semantic {m['semantic']}, fuzzy {m['fuzzy']}",
        f"  not answered   {m['none']}",
        f"  helpful        {stats.helpful} of {stats.helpful + stats.not_helpful} rated ({percent(stats.helpful_rate)})",
        f"  to a human     {stats.handoffs} ({stats.resolved} resolved)",
        "Most answered:", *(_entries(faq, stats.top_entries, "") or ["  none"]),
        "Most not helpful:", *(_entries(faq, stats.most_unhelpful, " 👎") or ["  none"]),
        f"Unanswered and not helpful, grouped by similarity ({len(groups)} groups):",
    ]
    for i, g in enumerate(groups, start=1):
        examples = " · ".join(f'"{e}"' for e in g.examples)
        lines.append(f"  {i}. {g.count}× ({g.unanswered} unanswered, {g.not_helpful} not helpful): {examples}")
    return "\n".join(lines if groups else [*lines, "  none"])
