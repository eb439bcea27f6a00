"""What an FAQ is: entries as admins write them in YAML, and the problems a load can find.

An entry's schema is strict (pydantic), so YAML's `yes`/`123` are never taken for text.
"""

from __future__ import annotations

from collections.abc import Container, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints
from slugify import slugify

from faqbot.matching.normalize import normalize

SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
SLUG_MAX = 64  # ids travel in Slack button values (2,000 characters) and database columns
# A member (U..., or W... on Enterprise Grid) or a user group (S...): who answers for an entry.
OWNER_PATTERN = r"^[UWS][A-Z0-9]{2,}$"
URL_PATTERN = r"^https?://[^\s<>|]+$"  # shown as a Slack link, which <, > and | would break

_Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
_Owner = Annotated[str, StringConstraints(strip_whitespace=True, pattern=OWNER_PATTERN)]


def _one_or_many(value: Any) -> Any:
    """`owner: U123` or `owner: [U123, S456]`."""
    return [value] if isinstance(value, str) else value


def _day(value: Any) -> Any:
    """A date as YAML writes one (`2026-03-01`), or quoted; a time of day is not wanted."""
    if isinstance(value, datetime):
        raise ValueError("must be a date (2026-03-01), without a time")
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"must be a date written 2026-03-01, not {value!r}") from None
    return value


class EntrySchema(BaseModel):
    """What one entry may contain; strict, so YAML's `yes`/`123` are not taken for text."""

    model_config = ConfigDict(extra="forbid", strict=True)

    id: Annotated[str, StringConstraints(strip_whitespace=True, pattern=SLUG_PATTERN, max_length=SLUG_MAX)]
    question: _Text
    alternates: list[_Text] = []
    answer: _Text
    tags: list[_Text] = []
    owner: Annotated[list[_Owner], BeforeValidator(_one_or_many)] = []
    source: Annotated[str, StringConstraints(strip_whitespace=True, pattern=URL_PATTERN)] | None = None
    reviewed: Annotated[date, BeforeValidator(_day)] | None = None


ENTRY_KEYS = tuple(EntrySchema.model_fields)


def new_id(question: str, taken: Container[str] = ()) -> str:
    """An entry id made of a question's words ("How do I reset my password?" ->
    how-do-i-reset-my-password), numbered when `taken` has it already."""
    base = slugify(question, max_length=SLUG_MAX - 8, word_boundary=True) or "entry"
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = f"{base}-{number}"
    return candidate
TOP_LEVEL_KEYS = ("faqs",)


@dataclass(frozen=True, slots=True)
class Entry:
    """One FAQ entry: a question, other ways people ask it, and the answer (Slack mrkdwn)."""

    id: str
    question: str
    answer: str
    alternates: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    location: str = ""  # "file:line", so admins can find the entry
    owners: tuple[str, ...] = ()  # Slack user or user-group IDs who answer for it
    source: str | None = None  # where the answer comes from (a URL), shown under it
    reviewed: date | None = None  # when an owner last checked it

    @property
    def phrasings(self) -> tuple[str, ...]:
        return (self.question, *self.alternates)

    def has_tag_in(self, tags: Container[str]) -> bool:
        """Whether one of its tags, in lower case, is in `tags` (lower case: admins write `HR` or `hr`)."""
        return any(tag.lower() in tags for tag in self.tags)


@dataclass(frozen=True)
class Faq:
    """A validated FAQ: entries in file order (files sorted by path), and what loading skipped."""

    entries: tuple[Entry, ...]
    warnings: tuple[Problem, ...] = ()  # paths skipped (dangling or looping links, unreadable folders)
    # each file read, by its identity (path, inode, size, time): a reload parses only changed files
    files: Mapping[tuple, Any] = field(default_factory=dict, compare=False, repr=False)
    # every phrasing normalised (entry order), as validation compared them: the matcher reuses them
    # (a list, not a tuple: a reload's hand-over builds it in steps, and a tuple only at once)
    normalized: Sequence[str] | None = field(default=None, compare=False, repr=False)

    @cached_property
    def by_id(self) -> dict[str, Entry]:
        return {entry.id: entry for entry in self.entries}

    def phrasing_keys(self) -> Sequence[str]:
        """Every phrasing normalised as the matcher compares them, in entry order: the list
        loading kept (the same object, which an edit's hand-over shares), else worked out."""
        count = sum(1 + len(entry.alternates) for entry in self.entries)
        if self.normalized is not None and len(self.normalized) == count:
            return self.normalized
        return [normalize(p) for entry in self.entries for p in entry.phrasings]

    def keyed_phrasings(self) -> Iterator[tuple[str, Entry]]:
        """(normalised phrasing, its entry) for every phrasing, in entry order."""
        return zip(self.phrasing_keys(), (entry for entry in self.entries for _ in entry.phrasings))

    def __getstate__(self) -> dict:
        """Pickled without `by_id`, which is worked out again where it is used."""
        return {k: v for k, v in vars(self).items() if k != "by_id"}

    def __len__(self) -> int:
        return len(self.entries)


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the FAQ files, located for the admin who must fix it."""

    path: str
    line: int  # 1-based; 0 when the problem is the file itself
    message: str
    entry: str | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        who = f" entry '{self.entry}':" if self.entry else ""
        return f"{where}:{who} {self.message}"


class FaqError(Exception):
    """The FAQ could not be loaded; ``problems`` lists everything that is wrong."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
