"""The FAQ knowledge base: YAML files that admins edit, loaded and validated.

Admins fix what they can find, so every problem is reported as ``file:line: entry 'x':
what is wrong``, all of them at once, and a broken FAQ is never half-loaded.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from faqbot.matching.normalize import normalize

YAML_SUFFIXES = (".yaml", ".yml")
SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
SLUG_MAX = 64  # ids travel in Slack button values (2,000 characters) and database columns

_Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _EntrySchema(BaseModel):
    """What one entry may contain; strict, so YAML's `yes`/`123` are not taken for text."""

    model_config = ConfigDict(extra="forbid", strict=True)

    id: Annotated[str, StringConstraints(strip_whitespace=True, pattern=SLUG_PATTERN, max_length=SLUG_MAX)]
    question: _Text
    alternates: list[_Text] = []
    answer: _Text
    tags: list[_Text] = []


ENTRY_KEYS = tuple(_EntrySchema.model_fields)
TOP_LEVEL_KEYS = ("faqs",)


@dataclass(frozen=True)
class Entry:
    """One FAQ entry: a question, other ways people ask it, and the answer (Slack mrkdwn)."""

    id: str
    question: str
    answer: str
    alternates: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    source: str = ""  # "file:line", so admins can find the entry

    @property
    def phrasings(self) -> tuple[str, ...]:
        return (self.question, *self.alternates)


@dataclass(frozen=True)
class Faq:
    """A validated FAQ: entries in file order (files sorted by name)."""

    entries: tuple[Entry, ...]

    @cached_property
    def by_id(self) -> dict[str, Entry]:
        return {entry.id: entry for entry in self.entries}

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


@dataclass(frozen=True)
class _Located:
    """An entry with where it and each of its phrasings stand, for cross-entry checks."""

    entry: Entry
    path: str
    line: int
    phrasing_lines: tuple[int, ...]


def load_faq(path: str | Path) -> Faq:
    """Load one YAML file, or every YAML file under a folder, merged; raise FaqError."""
    problems: list[Problem] = []
    located: list[_Located] = []
    files = _yaml_files(Path(path), problems)
    for file in files:
        located.extend(_load_file(file, problems))
    if files and not located and not problems:
        problems.append(Problem(str(path), 0, "no FAQ entries found"))
    problems.extend(_cross_entry_problems(located))
    if problems:
        raise FaqError(sorted(problems, key=lambda p: (p.path, p.line)))
    return Faq(tuple(item.entry for item in located))


def _yaml_files(path: Path, problems: list[Problem]) -> list[Path]:
    if path.is_file():
        return [path]
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix in YAML_SUFFIXES and p.is_file())
        if not files:
            problems.append(Problem(str(path), 0, "folder holds no .yaml or .yml files"))
        return files
    problems.append(Problem(str(path), 0, "no such file or folder"))
    return []


def _load_file(file: Path, problems: list[Problem]) -> list[_Located]:
    try:
        document = YAML(typ="rt").load(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        problems.append(Problem(str(file), 0, f"not UTF-8 text ({exc.reason})"))
        return []
    except MarkedYAMLError as exc:
        problems.append(_yaml_problem(file, exc))
        return []
    except (YAMLError, OSError) as exc:
        problems.append(Problem(str(file), 0, f"cannot read: {exc}"))
        return []
    items = _faq_items(file, document, problems)
    entries = []
    for number, item in enumerate(items, start=1):
        entry = _parse_entry(file, number, item, items.lc.item(number - 1)[0] + 1, problems)
        if entry:
            entries.append(entry)
    return entries


def _yaml_problem(file: Path, exc: MarkedYAMLError) -> Problem:
    line = exc.problem_mark.line + 1 if exc.problem_mark else 0
    message = f"invalid YAML: {exc.problem or exc.context}"
    if exc.context and exc.context_mark and exc.context_mark.line + 1 != line:
        message += f" ({exc.context} started at line {exc.context_mark.line + 1})"
    return Problem(str(file), line, message)


def _faq_items(file: Path, document: Any, problems: list[Problem]) -> list[Any]:
    """The `faqs:` list of a parsed file, or [] after recording why there is none."""
    if not isinstance(document, dict) or "faqs" not in document:
        problems.append(Problem(str(file), 1, "expected a mapping with a 'faqs:' list of entries"))
        return []
    for key in document:
        if key not in TOP_LEVEL_KEYS:
            line = document.lc.key(key)[0] + 1
            problems.append(Problem(str(file), line, f"unknown key '{key}'{_hint(key, TOP_LEVEL_KEYS)}"))
    items = document["faqs"]
    if not isinstance(items, list):
        line = document.lc.key("faqs")[0] + 1
        problems.append(Problem(str(file), line, "'faqs' must be a list of entries"))
        return []
    return items


def _parse_entry(file: Path, number: int, item: Any, line: int, problems: list[Problem]) -> _Located | None:
    if not isinstance(item, dict):
        problems.append(Problem(str(file), line, f"entry #{number} must be a mapping with id, question and answer"))
        return None
    label = item["id"] if isinstance(item.get("id"), str) else f"#{number}"
    try:
        data = _EntrySchema.model_validate(dict(item))
    except ValidationError as exc:
        for error in exc.errors():
            at = _error_line(item, error["loc"], line)
            problems.append(Problem(str(file), at, _describe(error), label))
        return None
    entry = Entry(
        id=data.id,
        question=data.question,
        answer=data.answer,
        alternates=tuple(data.alternates),
        tags=tuple(data.tags),
        source=f"{file}:{line}",
    )
    alternate_lines = [item["alternates"].lc.item(i)[0] + 1 for i in range(len(data.alternates))]
    question_line = item.lc.key("question")[0] + 1
    return _Located(entry, str(file), line, (question_line, *alternate_lines))


def _error_line(item: Any, loc: tuple[int | str, ...], entry_line: int) -> int:
    """The line a pydantic error location points at inside a ruamel-parsed entry."""
    key = loc[0] if loc else None
    if key not in item:
        return entry_line
    value = item[key]
    if len(loc) > 1 and isinstance(value, list) and isinstance(loc[1], int):
        return value.lc.item(loc[1])[0] + 1
    return item.lc.key(key)[0] + 1


_MESSAGES = {
    "missing": "missing required key '{field}'",
    "extra_forbidden": "unknown key '{field}'{hint}",
    "string_too_short": "{where} is empty",
    "string_pattern_mismatch": "{where} must be a slug of lowercase letters, digits, '-' or '_' (got {value!r})",
    "string_type": "{where} must be text, not {kind}",
    "list_type": "{where} must be a list of texts, not {kind}",
}


def _describe(error: Any) -> str:
    """An admin-readable sentence for one pydantic error."""
    loc = error["loc"]
    field = str(loc[0]) if loc else "entry"
    value = error.get("input")
    return _MESSAGES.get(error["type"], "{where}: {msg}").format(
        field=field,
        where=f"'{field}' item {loc[1] + 1}" if len(loc) > 1 else f"'{field}'",
        hint=_hint(field, ENTRY_KEYS),
        value=value,
        kind=_type_name(value),
        msg=error["msg"],
    )


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()} (quote it to make it text)"
    if isinstance(value, (int, float)):
        return f"the number {value} (quote it to make it text)"
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return f"the single text {value!r}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _hint(word: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(word), list(known), n=1)
    if close:
        return f" (did you mean '{close[0]}'?)"
    return f" (allowed: {', '.join(known)})"


def _cross_entry_problems(located: list[_Located]) -> Iterator[Problem]:
    """Duplicate ids, and one phrasing claimed twice (the matcher could not choose)."""
    first_id: dict[str, Entry] = {}
    owner: dict[str, Entry] = {}
    for item in located:
        entry = item.entry
        if entry.id in first_id:
            message = f"duplicate id (first defined at {first_id[entry.id].source})"
            yield Problem(item.path, item.line, message, entry.id)
            continue
        first_id[entry.id] = entry
        for phrasing, line in zip(entry.phrasings, item.phrasing_lines):
            key = normalize(phrasing)
            if not key:
                yield Problem(item.path, line, f"phrasing {phrasing!r} has no words to match", entry.id)
            elif key not in owner:
                owner[key] = entry
            elif owner[key] is entry:
                yield Problem(item.path, line, f"phrasing {phrasing!r} is repeated in this entry", entry.id)
            else:
                other = owner[key]
                message = f"phrasing {phrasing!r} is also a phrasing of entry '{other.id}' ({other.source})"
                yield Problem(item.path, line, message, entry.id)
