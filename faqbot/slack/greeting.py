"""The Messages tab's front door, as Block Kit and prompts: the greeting a person gets the
first time they open the tab, and the suggested prompts pinned above its composer."""

from __future__ import annotations

from collections.abc import Sequence

from faqbot.faq.schema import Entry
from faqbot.slack.blocks import BUTTON_LIMIT, COMMAND, button, clip, context
from faqbot.slack.replies import Reply

PROMPT_PREFIX = "faq_prompt_"  # + position: the greeting's question buttons
PROMPTS = 4  # Slack shows up to four suggested prompts
PROMPTS_TITLE = "Most asked"


def prompts(entries: Sequence[Entry]) -> list[dict[str, str]]:
    """Suggested prompts: a click sends the entry's question as the person's message."""
    return [{"title": clip(e.question, BUTTON_LIMIT), "message": e.question} for e in entries]


def greeting(user: str, entries: Sequence[Entry]) -> Reply:
    """Hello, how to ask, and the questions as buttons (for clients that show no prompts)."""
    hello = f"Hi <@{user}>! I answer questions from the team's FAQ: ask me anything here, in your own words."
    message = [{"type": "section", "text": {"type": "mrkdwn", "text": hello}}]
    if entries:
        message.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*{PROMPTS_TITLE}*"}})
        message.append({"type": "actions", "block_id": "faq_prompts",
                        "elements": [button(e.question, f"{PROMPT_PREFIX}{i}", e.id) for i, e in enumerate(entries)]})
    message.append(context(f"`{COMMAND} help` in any channel shows what else I do."))
    return Reply(hello, message)
