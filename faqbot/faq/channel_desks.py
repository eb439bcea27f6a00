"""Per-channel help desks: `channels.yaml` beside the FAQ binds a channel to the entries that
answer there (by tag), what the bot does unasked (mode), and optionally its own bar and
the channel where "Ask a human" goes.

    channels:
      C012HELP:            # the channel's ID (channel details > About, at the bottom)
        name: it-help      # for people reading the file
        tags: [accounts, laptops]
        mode: suggest      # answer | suggest | silent
        threshold: 0.9     # confidence for unasked replies here
        escalation: C0ITTRIAGE

Admins edit it as they edit the FAQ, so it is read the same way: every problem reported as
file:line, all at once, and a broken file never half-applied (the reload keeps the last good
one). A tag that no entry has is a warning, not a problem: an entry's removal must not make
the FAQ refuse to load.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from faqbot.config import ChannelMode
from faqbot.faq.loading import CHANNELS_FILE, error_line, hint, key_line, read_yaml, type_name
from faqbot.faq.schema import Faq, FaqError, Problem

# A conversation the bot can be in: public channels C…, older private channels G….
CHANNEL_PATTERN = r"^[CG][A-Z0-9]{2,}$"
_Channel = Annotated[str, StringConstraints(strip_whitespace=True, pattern=CHANNEL_PATTERN)]
_Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class DeskSchema(BaseModel):
    """One channel's settings as written; what it leaves out comes from the environment."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: _Text | None = None
    tags: list[_Text] = []
    mode: ChannelMode | None = None
    threshold: Annotated[float, Field(ge=0.0, le=1.0)] | None = None
    escalation: _Channel | None = None


DESK_KEYS = tuple(DeskSchema.model_fields)


@dataclass(frozen=True)
class Desk:
    """What one channel's settings say: tags (lower case; empty: every entry answers), and
    None where it leaves the environment's setting."""

    tags: frozenset[str] = frozenset()
    mode: ChannelMode | None = None
    threshold: float | None = None
    escalation: str | None = None
    file: str = ""  # where it is written, for admins
    line: int = 0


@dataclass(frozen=True)
class ChannelDesks:
    """Every configured channel's desk, by channel ID, and what loading warns about."""

    by_channel: Mapping[str, Desk] = field(default_factory=dict)
    warnings: tuple[Problem, ...] = ()

    def get(self, channel: str) -> Desk:
        return self.by_channel.get(channel, NO_DESK)

    def checked(self, faq: Faq) -> ChannelDesks:
        """With a warning for each tag that no entry of `faq` has (the channel answers nothing for it)."""
        known = {tag.lower() for entry in faq.entries for tag in entry.tags}
        warnings = [
            Problem(desk.file, desk.line, f"channel {channel}: no FAQ entry has the tag '{tag}'{hint(tag, sorted(known))}")
            for channel, desk in self.by_channel.items() for tag in sorted(desk.tags - known)
        ]
        return ChannelDesks(self.by_channel, (*self.warnings, *warnings))


NO_DESK = Desk()


def desks_file(faq_folder: Path) -> Path:
    return faq_folder / CHANNELS_FILE


def load_desks(path: Path) -> ChannelDesks:
    """The desks in `path`; none when there is no such file. Raises FaqError listing every problem."""
    if not path.exists() and not path.is_symlink():
        return ChannelDesks()
    problems: list[Problem] = []
    document = read_yaml(path, problems)
    desks = {} if problems else dict(_desks(path, document, problems))
    if problems:
        raise FaqError(sorted(problems, key=lambda p: p.line))
    return ChannelDesks(desks)


def _desks(path: Path, document: Any, problems: list[Problem]) -> Iterator[tuple[str, Desk]]:
    if document is None:  # an empty file: no channel has a desk
        return
    file = str(path)
    if not isinstance(document, dict) or not isinstance(document.get("channels"), dict):
        problems.append(Problem(file, 1, "expected a mapping with a 'channels:' mapping of channel IDs"))
        return
    for key in document:
        if key != "channels":
            problems.append(Problem(file, key_line(document, key, 1), f"unknown key '{key}' (allowed: channels)"))
    channels = document["channels"]
    for channel, settings in channels.items():
        line = key_line(channels, channel, 1)
        if not isinstance(channel, str) or not re.fullmatch(CHANNEL_PATTERN, channel):
            problems.append(Problem(file, line, f"'{channel}' is not a channel ID (C… or G…: the channel's details >"
                                                " About, at the bottom)"))
            continue
        if not isinstance(settings, dict):
            problems.append(Problem(file, line, f"channel {channel}: expected a mapping of {', '.join(DESK_KEYS)},"
                                                f" not {type_name(settings)}"))
            continue
        try:
            desk = DeskSchema.model_validate(dict(settings))
        except ValidationError as exc:
            for error in exc.errors():
                problems.append(Problem(file, error_line(settings, error["loc"], line), _describe(channel, error)))
            continue
        yield channel, Desk(frozenset(t.lower() for t in desk.tags), desk.mode, desk.threshold, desk.escalation,
                            file, line)


def _describe(channel: str, error: Any) -> str:
    """An admin-readable sentence for one pydantic error in a channel's settings."""
    loc = error["loc"]
    key = str(loc[0]) if loc else "settings"
    value = error.get("input")
    if error["type"] == "extra_forbidden":
        what = f"unknown key '{key}'{hint(key, DESK_KEYS)}"
    elif error["type"] == "literal_error":
        what = f"'mode' must be answer, suggest or silent, not {value!r}"
    elif error["type"] == "string_pattern_mismatch":
        what = f"'{key}' must be a channel ID (C… or G…), not {value!r}"
    elif error["type"].startswith(("greater_than", "less_than")):
        what = f"'{key}' must be a confidence from 0 to 1, not {value!r}"
    elif error["type"] in ("float_type", "string_type", "list_type"):
        what = f"'{key}' must be {'a number' if key == 'threshold' else 'text'}, not {type_name(value)}"
    else:
        what = f"'{key}': {error['msg']}"
    return f"channel {channel}: {what}"
