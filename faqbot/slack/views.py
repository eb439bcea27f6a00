"""Block Kit for admins and the App Home tab: usage stats, unanswered questions, topics.
Pure functions, like blocks.py."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from faqbot.faq.schema import Faq
from faqbot.insights.freshness import Stale
from faqbot.insights.report import Group, Stats, percent
from faqbot.slack.blocks import COMMAND, HELP, Block, bullets, clip, mention, sections

HOME_BLOCKS = 100  # blocks in a Home tab view
GROUPS_SHOWN = 10
STALE_SHOWN = 10
UNTAGGED = "other"


def _entry(faq: Faq, entry_id: str) -> str:
    entry = faq.by_id.get(entry_id)
    return f"{entry.question} `{entry_id}`" if entry else f"`{entry_id}` (no longer in the FAQ)"


def stats_blocks(stats: Stats, faq: Faq, period: str) -> list[Block]:
    m = stats.by_method
    lines = [
        f"*Last {period}* (since {stats.since:%Y-%m-%d %H:%M} UTC)",
        f"• {stats.questions} questions, {stats.answered} answered ({percent(stats.answer_rate)}):"
        f" semantic {m['semantic']}, fuzzy {m['fuzzy']}; not answered {m['none']}",
        f"• 👍 {stats.helpful} / 👎 {stats.not_helpful}: {percent(stats.helpful_rate)} helpful",
        f"• 🙋 handed to a human: {stats.handoffs} ({stats.resolved} resolved)",
    ]
    blocks = sections("\n".join(lines))
    if stats.top_entries:
        top = "\n".join(f"{i}. {_entry(faq, e)}: {n}" for i, (e, n) in enumerate(stats.top_entries, 1))
        blocks += sections(f"*Most answered*\n{top}")
    if stats.most_unhelpful:
        worst = "\n".join(f"{i}. {_entry(faq, e)}: {n} 👎" for i, (e, n) in enumerate(stats.most_unhelpful, 1))
        blocks += sections(f"*Most 👎*\n{worst}")
    return blocks


def unanswered_blocks(groups: Sequence[Group], period: str) -> list[Block]:
    if not groups:
        return sections(f"No unanswered or 👎 questions in the last {period}.")
    shown = groups[:GROUPS_SHOWN]
    lines = [f"*Unanswered and 👎 questions, last {period}*: {len(groups)} groups, most asked first"]
    for i, g in enumerate(shown, 1):
        examples = " · ".join(f"“{clip(e, 80)}”" for e in g.examples)
        lines.append(f"{i}. *{g.count}×* ({g.unanswered} unanswered, {g.not_helpful} 👎) {examples}")
    if len(groups) > len(shown):
        lines.append(f"…and {len(groups) - len(shown)} smaller groups (`faqbot report` lists them all)")
    return sections("\n".join(lines))


def stale_blocks(stale: Sequence[Stale], days: int, entries: int) -> list[Block]:
    """Entries not reviewed for `days` (or never), oldest first, with their owners; an FAQ
    that dates no entry at all gets how to start instead of a list of all of them."""
    if not stale:
        return sections(f"Every entry was reviewed in the last {days} days.")
    if len(stale) == entries and all(s.days is None for s in stale):
        return sections(f"*Entries to review*: no entry has a `reviewed:` date yet. Give an entry one (and an"
                        f" `owner:`) when it is checked; those not reviewed for {days} days are listed here.")
    lines = [f"*Entries to review*: {len(stale)} not reviewed for {days} days (set `reviewed:` once checked;"
             " owners hear of theirs every Monday)"]
    for item in stale[:STALE_SHOWN]:
        when = "never reviewed" if item.days is None else f"{item.days} days ago"
        owners = " ".join(mention(o) for o in item.entry.owners) or "no owner"
        lines.append(f"• {clip(item.entry.question, 100)} `{item.entry.id}`: {when}, {owners}")
    if len(stale) > STALE_SHOWN:
        lines.append(f"…and {len(stale) - STALE_SHOWN} more")
    return sections("\n".join(lines))


def topics_blocks(faq: Faq) -> list[Block]:
    """The entries by topic (first tag), for browsing; a long topic takes several sections."""
    by_topic: dict[str, list[str]] = defaultdict(list)
    for entry in faq.entries:
        by_topic[entry.tags[0] if entry.tags else UNTAGGED].append(f"• {entry.question} `{entry.id}`")
    return [b for topic, lines in sorted(by_topic.items()) for b in sections(f"*{topic}*\n" + "\n".join(lines))]


def home_view(faq: Faq, admin_sections: Sequence[Block] = ()) -> dict[str, Any]:
    """The App Home tab: for admins their reports first; for everyone how to ask and the topics."""
    blocks: list[Block] = [{"type": "header", "text": {"type": "plain_text", "text": "FAQ"}}]
    if admin_sections:
        blocks += [*admin_sections, {"type": "divider"}]
    blocks += [*sections(HELP), {"type": "divider"}, *sections(f"*Topics* · `{COMMAND} show <id>` shows one")]
    topics = topics_blocks(faq)
    room = HOME_BLOCKS - len(blocks)
    if len(topics) > room:
        shown = topics[: room - 1]
        topics = [*shown, {"type": "context", "elements": [{"type": "mrkdwn", "text":
                  f"…and {len(faq) - bullets(shown)} more entries: `{COMMAND} list <tag>` lists a topic"}]}]
    return {"type": "home", "blocks": blocks + topics}
