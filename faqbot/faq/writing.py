"""Writing approved changes into the FAQ's YAML files, the way an admin would edit them.

ruamel.yaml reads and writes the file round-trip, so comments, key order, quoting and the
file's own indentation stay as its authors left them; only the new entry or alternates
appear. The edited file is written beside the original under a hidden name (the loader
and the watcher skip hidden files), loaded and checked against the rest of the FAQ, and
only then renamed over the original: a change that would break the FAQ is refused with
the loader's own message and leaves the file as it was. One change at a time per folder
(an advisory lock), so two approvals never overwrite each other's edit.
"""

from __future__ import annotations

import fcntl
import io
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import LiteralScalarString
from ruamel.yaml.util import load_yaml_guess_indent

from faqbot.atomic_file import write_atomically
from faqbot.faq.loading import load_faq
from faqbot.faq.schema import Faq, FaqError
from faqbot.matching.normalize import normalize

NEW_FILE_HEADER = (
    "# Entries added from Slack: proposed with \"Add to FAQ\", approved by an admin.\n"
    "# Edit them like any other entry; faqbot keeps your changes and comments.\n"
)


class FaqWriteError(Exception):
    """The change cannot be written; the message says why (a read-only folder, a clash, a full disk)."""


@dataclass(frozen=True)
class NewEntry:
    """An entry as an approval writes it."""

    id: str
    question: str
    answer: str
    alternates: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    source: str | None = None
    reviewed: date | None = field(default_factory=date.today)

    def as_yaml(self) -> CommentedMap:
        """The entry's mapping, keys in the order admins write them; a multi-line answer as a `|` block."""
        item = CommentedMap(id=self.id, question=self.question)
        if self.alternates:
            item["alternates"] = CommentedSeq(self.alternates)
        item["answer"] = LiteralScalarString(self.answer + "\n") if "\n" in self.answer else self.answer
        if self.tags:
            item["tags"] = _flow(self.tags)
        if self.owners:
            item["owner"] = _flow(self.owners)
        if self.source:
            item["source"] = self.source
        if self.reviewed:
            item["reviewed"] = self.reviewed
        return item


def sample_style(indent: int = 4, offset: int = 2) -> YAML:
    """Round-trip YAML that writes as the sample FAQ does (or with `indent` and the dash's
    `offset` of a file's own style), never folding a long answer into new lines."""
    yaml = YAML(typ="rt")
    yaml.width = 4096
    yaml.indent(mapping=indent, sequence=indent, offset=offset)  # ruamel's recipe for a guessed style
    return yaml


def dumped(yaml: YAML, document: Any) -> str:
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()


def write_new_file(file: Path, entries: Sequence[NewEntry], header: str) -> None:
    """A new FAQ file of `entries` (`faqbot import`), in the sample FAQ's style."""
    text = header + dumped(sample_style(), CommentedMap(faqs=CommentedSeq(e.as_yaml() for e in entries)))
    write_atomically(file, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def writable(file: Path) -> bool:
    """Whether `file` can be changed (or created) in place."""
    target = Path(os.path.realpath(file))
    if target.exists():
        return target.is_file() and os.access(target, os.W_OK) and os.access(target.parent, os.W_OK)
    return target.parent.is_dir() and os.access(target.parent, os.W_OK)


def add_entry(file: Path, entry: NewEntry, faq: Faq) -> None:
    """Append `entry` to `file` (created with a header if missing), checked against `faq`."""

    def change(document: Any) -> None:
        document["faqs"].append(entry.as_yaml())

    _edit(file, change, faq)


def add_alternates(file: Path, entry_id: str, phrasings: Sequence[str], faq: Faq) -> list[str]:
    """Add `phrasings` to the alternates of entry `entry_id` in `file`; those it (or another
    entry) already has, once normalised, are left out. Returns the phrasings added."""
    taken = set(faq.phrasing_keys())
    fresh: list[str] = []
    for phrasing in phrasings:
        key = normalize(phrasing)
        if key and key not in taken:
            taken.add(key)
            fresh.append(phrasing.strip())
    if not fresh:
        return []

    def change(document: Any) -> None:
        item = next((i for i in document["faqs"] if isinstance(i, dict) and i.get("id") == entry_id), None)
        if item is None:
            raise FaqWriteError(f"{file}: has no entry '{entry_id}' any more")
        own = dict(item.non_merged_items())  # not what a merge key (`<<: *base`) brings: that is another entry's
        if isinstance(own.get("alternates"), list):
            own["alternates"].extend(fresh)
        else:
            at = list(own).index("question") + 1 if "question" in own else len(own)
            item.insert(at, "alternates", CommentedSeq(fresh))

    _edit(file, change, faq)
    return fresh


def _edit(file: Path, change: Any, faq: Faq) -> None:
    """Read `file` round-trip, `change(document)`, check the result, replace the file."""
    target = Path(os.path.realpath(file))  # a symlinked file is changed where it lies, the link kept
    if not writable(file):
        raise FaqWriteError(f"{file} cannot be written here (a read-only FAQ folder?): apply approved proposals"
                            " in a checkout with `faqbot proposals --apply` and commit them")
    with _folder_lock(target.parent):
        text, yaml = _read(target)
        document = yaml.load(text) if text.strip() else None
        if document is None:
            document = CommentedMap(faqs=CommentedSeq())
        if not isinstance(document, dict) or not isinstance(document.get("faqs"), list):
            raise FaqWriteError(f"{file}: expected a mapping with a 'faqs:' list; not changed")
        change(document)
        new = ("" if text.strip() else NEW_FILE_HEADER) + dumped(yaml, document)
        checked = target.with_name(f".{target.name}.check.yaml")  # hidden: no reload sees it
        try:
            checked.write_text(new, encoding="utf-8")
            _check(checked, file, faq)
            write_atomically(target, lambda tmp: tmp.write_text(new, encoding="utf-8"))
        except OSError as exc:
            raise FaqWriteError(f"cannot write {file}: {exc.strerror or exc}; it is unchanged") from exc
        finally:
            checked.unlink(missing_ok=True)


def _read(file: Path) -> tuple[str, YAML]:
    """The file's text and a round-trip YAML set to write it back in its own indentation."""
    try:
        text = file.read_text(encoding="utf-8") if file.exists() else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise FaqWriteError(f"cannot read {file}: {exc}") from exc
    indent, offset = 4, 2  # the sample FAQ's style, for a new file
    if text.strip():
        try:
            _, guessed, dash = load_yaml_guess_indent(text)
        except YAMLError as exc:
            raise FaqWriteError(f"{file} is not valid YAML ({exc}); fix it first") from exc
        indent, offset = guessed or indent, dash if dash is not None else offset
    yaml = sample_style(indent, offset)
    yaml.preserve_quotes = True
    return text, yaml


def _check(checked: Path, file: Path, faq: Faq) -> None:
    """The edited file alone loads, and nothing in it clashes with the FAQ's other files."""
    try:
        alone = load_faq(checked)
    except FaqError as exc:
        raise FaqWriteError(str(exc).replace(str(checked), str(file))) from exc
    elsewhere = f"{file}:"
    ids = {e.id: e for e in faq.entries if not e.location.startswith(elsewhere)}
    phrasings = {key: e for key, e in faq.keyed_phrasings() if not e.location.startswith(elsewhere)}
    for entry in alone.entries:
        if entry.id in ids:
            raise FaqWriteError(f"id '{entry.id}' is already an entry ({ids[entry.id].location})")
        for phrasing in entry.phrasings:
            other = phrasings.get(normalize(phrasing))
            if other is not None:
                raise FaqWriteError(f"phrasing {phrasing!r} is already a phrasing of entry '{other.id}' ({other.location})")


@contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """One edit at a time in `folder`, across processes: a lock on the folder itself, so
    nothing is added to an admin's checkout."""
    handle = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # releases the lock


def _flow(items: Sequence[str]) -> CommentedSeq:
    """A short list written on one line, `[a, b]`, as the sample FAQ writes tags."""
    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq
