"""What the listeners need from the rest of faqbot, handed to them through Bolt's context."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from slack_bolt import BoltContext

from faqbot.config import ChannelMode
from faqbot.faq.channel_desks import ChannelDesks, Desk
from faqbot.faq.reload import FaqReloader
from faqbot.matching.matcher import Matcher
from faqbot.slack.admins import Admins
from faqbot.slack.installs import Workspace
from faqbot.store.interface import Store

CONTEXT_KEY = "faqbot"


@dataclass
class Services:
    """The matcher (swapped whole when the FAQ is reloaded), the store, channel modes from the
    environment, who the admins are, the reloader behind `/faq reload` (None when the FAQ is
    fixed), the file approved new entries are written to, when an entry counts as stale, where
    questions go that need a human, and the channels' help desks (swapped with the FAQ)."""

    matcher: Matcher
    store: Store
    channel_mode: Callable[[str], ChannelMode]
    admins: Admins = field(default_factory=Admins)
    reloader: FaqReloader | None = None
    capture_file: Path = Path("faq_data/from-slack.yaml")
    stale_days: int = 180  # entries not reviewed for longer are listed to admins
    escalation_channel: str | None = None  # where "Ask a human" posts questions
    desks: ChannelDesks = field(default_factory=ChannelDesks)
    # the workspaces that work no request starts goes to (slack/app.py workspaces())
    workspaces: Callable[[], Iterable[Workspace]] = lambda: ()

    def desk(self, channel: str) -> Desk:
        """A channel's desk, its mode and escalation channel filled in from the environment
        (FAQBOT_CHANNEL_MODES, FAQBOT_CHANNEL_MODE, FAQBOT_ESCALATION_CHANNEL) where it has none."""
        desk = self.desks.get(channel)
        return replace(desk, mode=desk.mode or self.channel_mode(channel),
                       escalation=desk.escalation or self.escalation_channel)

    def owners_of(self, entry_ids: Sequence[str]) -> tuple[str, tuple[str, ...]]:
        """The first of these entries that has owners, and its owners ("", () when none has)."""
        for entry_id in entry_ids:
            entry = self.matcher.faq.by_id.get(entry_id)
            if entry is not None and entry.owners:
                return entry.id, entry.owners
        return "", ()

    def can_hand_off(self, entry_ids: Sequence[str], channel: str) -> bool:
        """Whether "Ask a human" has someone to go to from `channel`: its triage channel, or an entry's owners."""
        return bool(self.desk(channel).escalation) or bool(self.owners_of(entry_ids)[1])

    def __deepcopy__(self, memo: dict[int, object]) -> Services:
        """Shared, never copied: Bolt deep-copies the context it hands to lazy listeners, and
        every listener must see the one matcher that reloads swap."""
        return self


def services_of(context: BoltContext) -> Services:
    return context[CONTEXT_KEY]
