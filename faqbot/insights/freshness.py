"""Entries that may have gone stale: not reviewed for `FAQBOT_STALE_DAYS` (or never), for
the admins' Home tab and the weekly message to each entry's owners."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from faqbot.faq.schema import Entry, Faq


@dataclass(frozen=True)
class Stale:
    entry: Entry
    days: int | None  # since it was reviewed; None: never


def stale_entries(faq: Faq, today: date, days: int) -> list[Stale]:
    """Entries reviewed more than `days` ago or never: the never reviewed first, then the oldest."""
    found = [Stale(e, None if e.reviewed is None else (today - e.reviewed).days) for e in faq.entries]
    stale = [s for s in found if s.days is None or s.days > days]
    return sorted(stale, key=lambda s: (s.days is not None, -(s.days or 0)))


def by_owner(stale: Sequence[Stale]) -> dict[str, list[Stale]]:
    """Each owner (a user or a user group ID) and their stale entries, in order."""
    owned: dict[str, list[Stale]] = defaultdict(list)
    for item in stale:
        for owner in item.entry.owners:
            owned[owner].append(item)
    return dict(owned)
