"""What the listeners need from the rest of faqbot, handed to them through Bolt's context."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from slack_bolt import BoltContext

from faqbot.config import ChannelMode
from faqbot.matcher import Matcher
from faqbot.store import Store

CONTEXT_KEY = "faqbot"


@dataclass
class Services:
    """The matcher (swapped whole when the FAQ is reloaded), the store, and channel modes."""

    matcher: Matcher
    store: Store
    channel_mode: Callable[[str], ChannelMode]


def services_of(context: BoltContext) -> Services:
    return context[CONTEXT_KEY]
