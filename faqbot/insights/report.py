"""What admins see: how the bot is used, and what people ask that the FAQ does not answer.

Both are computed from the store's records, so `/faq stats`, the App Home tab and
`faqbot report` show the same numbers.
"""

from __future__ import annotations

import re
import threading
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import islice

import numpy as np
from rapidfuzz import fuzz, process

from faqbot.faq.schema import Entry, Faq
from faqbot.matching.encoder import Encoder
from faqbot.matching.fuzzy import content_words
from faqbot.store.interface import Question, Store

METHODS = ("semantic", "fuzzy", "none")
DEFAULT_PERIOD = "7d"
TOP = 5
GROUP_FUZZY = 0.8  # token-set ratio of content words at which two questions count as one, without an encoder
GROUP_COSINE = 0.62  # encoder cosine at which two questions count as one (they would share an answer)
EXAMPLES = 3
MAX_GROUPED = 2000  # newest unanswered or 👎 questions grouped for the Home tab and reports
_PERIOD = re.compile(r"^(\d+)([hdw])$")
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


class PeriodError(ValueError):
    """A period that is not like 24h, 7d or 2w."""


def percent(rate: float | None) -> str:
    """A rate for people: "–" when there was nothing to count."""
    return "–" if rate is None else f"{rate:.0%}"


def since(period: str) -> datetime:
    """The start of the last `period` (like 7d) from now."""
    try:
        return datetime.now(UTC) - parse_period(period)
    except OverflowError:
        raise PeriodError(f"'{period}' reaches back before the year 1: give a shorter period") from None


def parse_period(text: str) -> timedelta:
    """'7d' -> 7 days; hours (h), days (d) and weeks (w)."""
    found = _PERIOD.match(text.strip().lower())
    if not found or int(found.group(1)) == 0:
        raise PeriodError(f"'{text}' is not a period: use hours, days or weeks, like 24h, 7d or 2w")
    try:
        return timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})
    except OverflowError:
        raise PeriodError(f"'{text}' is too long a period: give a shorter one") from None


@dataclass(frozen=True)
class Day:
    """One day's questions by method (none = not answered), and its 👍/👎."""

    day: date
    by_method: dict[str, int]
    helpful: int
    not_helpful: int

    @property
    def questions(self) -> int:
        return sum(self.by_method.values())


@dataclass(frozen=True)
class Stats:
    since: datetime
    questions: int
    by_method: dict[str, int]  # answered questions by method; "none": not answered
    helpful: int
    not_helpful: int
    top_entries: list[tuple[str, int]]  # (entry id, answers), most first
    most_unhelpful: list[tuple[str, int]]  # (entry id, 👎), most first
    days: list[Day] = field(default_factory=list)
    handoffs: int = 0  # questions handed to a human ("Ask a human")
    resolved: int = 0  # ... and marked resolved

    @property
    def answered(self) -> int:
        return self.questions - self.by_method.get("none", 0)

    @property
    def answer_rate(self) -> float | None:
        return self.answered / self.questions if self.questions else None

    @property
    def helpful_rate(self) -> float | None:
        rated = self.helpful + self.not_helpful
        return self.helpful / rated if rated else None


def stats(store: Store, since: datetime) -> Stats:
    """The period's usage, from counts the database makes."""
    usage = store.usage(since, TOP)
    daily: dict[date, Counter[str]] = defaultdict(Counter)
    by_method: Counter[str] = Counter()
    for day, method, count in usage.by_day:
        daily[day][method] += count
        by_method[method] += count
    helpful: Counter[bool] = Counter()
    for day, good, count in usage.feedback_by_day:
        daily[day]["helpful" if good else "not_helpful"] += count
        helpful[good] += count
    days = [
        Day(d, {m: c[m] for m in METHODS}, c["helpful"], c["not_helpful"]) for d, c in sorted(daily.items())
    ]
    return Stats(
        since=since, questions=sum(by_method.values()), by_method={m: by_method[m] for m in METHODS},
        helpful=helpful[True], not_helpful=helpful[False], top_entries=usage.top_entries,
        most_unhelpful=usage.most_unhelpful, days=days, handoffs=usage.handoffs, resolved=usage.resolved,
    )


def most_asked(store: Store, since: datetime, faq: Faq, count: int,
               first: Callable[[Entry], bool] | None = None) -> list[Entry]:
    """The `count` entries that answered most questions since then and are still in the FAQ,
    topped up with the FAQ's first entries (a new install has no records yet); the ones
    `first` picks (the person's channels' entries) ahead of the others."""
    spares = 2 * count if first is None else 10 * count  # for entries that left the FAQ, or `first` passes over
    answered = [faq.by_id[e] for e, _ in store.usage(since, spares).top_entries if e in faq.by_id]
    ahead = [] if first is None else [e for e in answered if first(e)] + list(
        islice((e for e in faq.entries if first(e)), count))
    return list({e.id: e for e in [*ahead, *answered, *faq.entries[:count]]}.values())[:count]


@dataclass(frozen=True)
class Group:
    """Questions the FAQ did not answer well that ask the same thing: a candidate new entry."""

    count: int
    unanswered: int
    not_helpful: int  # answered, then 👎
    examples: list[str]  # distinct wordings, most frequent first


def unanswered_groups(store: Store, since: datetime, encoder: Encoder | None, cosine: float = GROUP_COSINE,
                      limit: int = MAX_GROUPED) -> list[Group]:
    """Unanswered and 👎 questions grouped by similarity, most frequent group first.

    With an encoder, questions group at `cosine`; without one, by the fuzzy token-set ratio
    (grouping, unlike answering, may pair a question with a longer one). Only the newest
    `limit` such questions are grouped: the database selects them, and grouping costs
    (questions x groups), so the admin Home tab opens in a second whatever was recorded."""
    found = store.gaps(since, limit)[::-1]  # oldest first, as they were asked
    asked = [q for q, _ in found]
    disliked = {q.id for q, bad in found if bad}
    members = _group(asked, encoder, cosine)
    groups = []
    for indices in members:
        wordings = Counter(asked[i].normalized for i in indices)
        bad = sum(asked[i].id in disliked for i in indices)
        groups.append(Group(len(indices), len(indices) - bad, bad, [t for t, _ in wordings.most_common(EXAMPLES)]))
    return sorted(groups, key=lambda g: (-g.count, g.examples[0]))


def close_wordings(store: Store, since: datetime, encoder: Encoder | None, question: str, limit: int = 5,
                   cosine: float = GROUP_COSINE) -> list[str]:
    """Wordings of recent unanswered or 👎 questions that ask what `question` (normalised) asks,
    closest first: alternates for an entry made of it. By the encoder's cosine, else by the
    fuzzy token-set ratio, as the questions are grouped."""
    asked = list(dict.fromkeys(q.normalized for q, _ in store.gaps(since, MAX_GROUPED) if q.normalized != question))
    if not asked or not question:
        return []
    if encoder is not None:
        vectors = _REMEMBERED.encode(encoder, asked)
        scores = vectors @ encoder.encode([question])[0]
        bar = cosine
    else:
        scores = process.cdist([content_words(question) or question], [content_words(a) or a for a in asked],
                               scorer=fuzz.token_set_ratio)[0] / 100.0
        bar = GROUP_FUZZY
    order = np.argsort(-scores, kind="stable")
    return [asked[i] for i in order[:limit] if scores[i] >= bar]


class RememberedEncodings:
    """Encodings of recorded questions, the newest `size` kept: every open of the Home tab
    groups mostly the questions it grouped last time (encoding 2,000 took 0.4 s)."""

    def __init__(self, size: int = 2 * MAX_GROUPED) -> None:
        self.size = size
        self._kept: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()  # (model, text), oldest first
        self._lock = threading.Lock()  # Home tabs open in several listener threads

    def encode(self, encoder: Encoder, texts: Sequence[str]) -> np.ndarray:
        """encoder.encode(texts), encoding only the texts not kept."""
        with self._lock:
            new = [t for t in dict.fromkeys(texts) if (encoder.name, t) not in self._kept]
        fresh = dict(zip(new, encoder.encode(new))) if new else {}
        with self._lock:
            for text, vector in fresh.items():
                self._kept[(encoder.name, text)] = vector
            rows = [fresh[t] if t in fresh else self._kept[(encoder.name, t)] for t in texts]
            for text in texts:
                if (encoder.name, text) in self._kept:
                    self._kept.move_to_end((encoder.name, text))
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return np.stack(rows) if rows else np.zeros((0, encoder.dim), dtype=np.float32)


_REMEMBERED = RememberedEncodings()


def _group(asked: Sequence[Question], encoder: Encoder | None, cosine: float) -> list[list[int]]:
    """Leader clustering: each question joins the first group whose leader is close enough."""
    leaders: list[int] = []
    members: list[list[int]] = []
    vectors = _REMEMBERED.encode(encoder, [q.normalized for q in asked]) if encoder is not None and asked else None
    for i, q in enumerate(asked):
        if vectors is not None and leaders:
            scores = vectors[leaders] @ vectors[i]
            best = int(np.argmax(scores))
            close = scores[best] >= cosine
        elif leaders:
            choices = [content_words(asked[j].normalized) or asked[j].normalized for j in leaders]
            scores = process.cdist([content_words(q.normalized) or q.normalized], choices, scorer=fuzz.token_set_ratio)[0]
            best = int(np.argmax(scores))
            close = scores[best] >= 100 * GROUP_FUZZY
        else:
            close = False
        if close:
            members[best].append(i)
        else:
            leaders.append(i)
            members.append([i])
    return members
