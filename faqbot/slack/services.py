"""What the listeners need from the rest of faqbot, handed to them through Bolt's context."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from slack_bolt import BoltContext

from faqbot.config import ChannelMode
from faqbot.faq.reload import FaqReloader
from faqbot.matching.matcher import Matcher
from faqbot.slack.admins import Admins
from faqbot.store.interface import Store

CONTEXT_KEY = "faqbot"


@dataclass
class Services:
    """The matcher (swapped whole when the FAQ is reloaded), the store, channel modes, who the
    admins are, and the reloader behind `/faq reload` (None when the FAQ is fixed)."""

    matcher: Matcher
    store: Store
    channel_mode: Callable[[str], ChannelMode]
    admins: Admins = field(default_factory=Admins)
    reloader: FaqReloader | None = None

    def __deepcopy__(self, memo: dict[int, object]) -> Services:
        """Shared, never copied: Bolt deep-copies the context it hands to lazy listeners, and
        every listener must see the one matcher that reloads swap."""
        return self


def services_of(context: BoltContext) -> Services:
    return context[CONTEXT_KEY]
