"""Loading the FAQ: YAML files that admins edit, found, parsed and validated.

Admins fix what they can find, so every problem is reported as ``file:line: entry 'x':
what is wrong``, all of them at once, and a broken FAQ is never half-loaded.

Two parsers read the files. libyaml (PyYAML's C parser, with YAML 1.2's types as ruamel
reads them) loads a valid FAQ of 100,000 phrasings in a few seconds; ruamel.yaml, ten
times slower, reports problems best (duplicate keys, the line a merged key came from). A
load tries libyaml first and keeps its result only when nothing at all is wrong; anything
else (a syntax error, a bad entry, a duplicate phrasing across files) loads again with
ruamel, so what admins read about a problem never depends on the fast path.

A folder is read the way deployments lay it out: symlinks are followed (a `current ->
releases/v1` link, a Kubernetes ConfigMap's `..data`), hidden files and folders are not
read (`.github/`, `.pre-commit-config.yaml`, the ConfigMap's dated copy), nor is the
channels' configuration (`channels.yaml`) beside the FAQ files, and every path
that cannot be read (a dangling or looping link, an unreadable folder) is named in the
FAQ's warnings.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import logging
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from faqbot.atomic_file import write_atomically
from faqbot.faq.schema import ENTRY_KEYS, TOP_LEVEL_KEYS, Entry, EntrySchema, Faq, FaqError, Problem
from faqbot.matching import normalize as normalizer
from faqbot.matching.normalize import normalize

YAML_SUFFIXES = (".yaml", ".yml")  # in any case: ".YAML" too
# In the FAQ's folder: which channels answer from which entries (faq/channel_desks.py), not entries.
CHANNELS_FILE = "channels.yaml"
log = logging.getLogger(__name__)
_NORMALIZER = Path(normalizer.__file__).read_bytes()  # part of a parsed file's cache name


@dataclass(frozen=True)
class _Located:
    """An entry with where it and each of its phrasings stand, for cross-entry checks."""

    entry: Entry
    path: str
    line: int
    phrasing_lines: tuple[int, ...]
    normalized: tuple[str, ...]  # the phrasings as matched: cross-entry checks compare these


def load_faq(path: str | Path, previous: Faq | None = None, cache: Path | None = None) -> Faq:
    """Load one YAML file, or every YAML file under a folder, merged; raise FaqError.

    `previous`: the FAQ loaded from this path before; its files that have not changed since
    (same path, inode, size and time) are not parsed again. `cache`: a folder where valid
    files are kept parsed, by content, so a restart does not parse them again either."""
    problems: list[Problem] = []
    warnings: list[Problem] = []
    files = faq_files(Path(path), problems, warnings)
    parsed_before = previous.files if previous is not None else {}
    kept = _ParsedFiles(cache) if cache else None
    fast = None if problems else _load_fast(files, parsed_before, kept, warnings)
    if fast is not None:
        located, parsed = fast
        if kept is not None and previous is None:  # a start: what this FAQ does not use goes
            kept.prune()
        return Faq(tuple(item.entry for item in located), tuple(warnings), parsed, _normalized(located))
    located: list[_Located] = []
    for file in files:
        located.extend(_load_file(file, problems))
    if files and not located and not problems:
        problems.append(Problem(str(path), 0, "no FAQ entries found"))
    located = _without_repeats(located, warnings)
    problems.extend(_cross_entry_problems(located))
    if problems:
        raise FaqError(sorted(problems, key=lambda p: (p.path, p.line)))
    return Faq(tuple(item.entry for item in located), tuple(warnings), normalized=_normalized(located))


class _Yaml12Loader(yaml.CSafeLoader):
    """libyaml with YAML 1.2's implicit types, as ruamel reads them: `yes`, `on` and `12:30`
    stay text; timestamps stay dates (which the schema refuses, as it does after ruamel)."""

    yaml_implicit_resolvers: dict = {}


for _tag, _pattern, _first in (
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("int", r"^(?:[-+]?[0-9][0-9_]*|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    ("float", r"^(?:[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
     "-+.0123456789"),
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("merge", r"^(?:<<)$", "<"),
    ("timestamp", r"^[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:(?:[Tt]|[ \t]+)[0-9].*)?$", "0123456789"),
):
    _Yaml12Loader.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", re.compile(_pattern), list(_first))


Mark = tuple[str, str, int, int, int]  # path, where it leads, inode, size, modification time


def file_mark(file: Path) -> Mark:
    """What a file is now, as far as a reload cares (OSError when it is gone): a change to
    any part, a swapped symlink included, means it must be read again."""
    stat = file.stat()
    return (str(file), os.path.realpath(file), stat.st_ino, stat.st_size, stat.st_mtime_ns)


def _load_fast(files: list[Path], parsed: Mapping[tuple, Any], kept: _ParsedFiles | None,
               warnings: list[Problem]) -> tuple[list[_Located], dict[Mark, Any]] | None:
    """Every file's entries through libyaml (or `parsed` before, or `kept` on disk), without
    the phrasings an entry repeats (named in `warnings`), and each file's entries by its
    identity; None when anything needs the careful path."""
    located: list[_Located] = []
    seen = {}
    for file in files:
        try:
            identity = file_mark(file)
        except OSError:
            return None
        entries = parsed.get(identity) or (kept.load(file) if kept else _load_file_fast(file))
        if not entries:
            return None
        seen[identity] = entries
        located.extend(entries)
    dropped: list[Problem] = []
    located = _without_repeats(located, dropped)
    if next(_cross_entry_problems(located), None) is not None:
        return None
    warnings.extend(dropped)
    return located, seen


class _ParsedFiles:
    """Valid FAQ files kept parsed in a cache folder, one JSON file each, named by a hash of
    the file's bytes and of the normaliser's code (a new normaliser reads every file again)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.used: set[str] = set()

    def load(self, file: Path) -> list[_Located] | None:
        try:
            data = file.read_bytes()
        except OSError:
            return None
        kept = self.folder / f"faq-{hashlib.sha256(_NORMALIZER + data).hexdigest()[:32]}.json"
        self.used.add(kept.name)
        try:
            rows = json.loads(kept.read_text(encoding="utf-8"))
            return [_Located(Entry(id, question, answer, tuple(alternates), tuple(tags), f"{file}:{line}", tuple(owners),
                                   source, date.fromisoformat(reviewed) if reviewed else None),
                             str(file), line, tuple(lines), tuple(normalized))
                    for id, question, answer, alternates, tags, owners, source, reviewed, line, lines, normalized in rows]
        except FileNotFoundError:
            pass
        except (OSError, ValueError, TypeError) as exc:  # truncated, another format: parse the file again
            log.warning("parsed FAQ cache %s is unreadable (%s); parsing %s again", kept, exc, file)
        located = _load_file_fast(file, data)
        if located:
            rows = [[i.entry.id, i.entry.question, i.entry.answer, i.entry.alternates, i.entry.tags, i.entry.owners,
                     i.entry.source, i.entry.reviewed.isoformat() if i.entry.reviewed else None, i.line,
                     i.phrasing_lines, i.normalized] for i in located]
            try:
                write_atomically(kept, lambda tmp: tmp.write_text(json.dumps(rows), encoding="utf-8"))
            except OSError as exc:  # a full disk: the next start parses it again
                log.warning("cannot keep %s parsed in %s (%s)", file, self.folder, exc)
        return located

    def prune(self) -> None:
        """Delete the parsed files this load did not use (older versions of the FAQ's files)."""
        for old in self.folder.glob("faq-*.json"):
            if old.name not in self.used:
                old.unlink(missing_ok=True)


def _load_file_fast(file: Path, data: bytes | None = None) -> list[_Located] | None:
    """A file's entries with their lines, or None at the first sign of a problem."""
    try:
        loader = _Yaml12Loader((file.read_bytes() if data is None else data).decode("utf-8"))
        try:
            root = loader.get_single_node()
            if root is None or not isinstance(root, yaml.MappingNode) or _duplicate_keys(root):
                return None
            items = next((v for k, v in root.value if k.value == "faqs"), None)
            if not isinstance(items, yaml.SequenceNode) or any(_duplicate_keys(node) for node in items.value):
                return None  # checked before constructing: merge keys are flattened into the nodes then
            document = loader.construct_document(root)
        finally:
            loader.dispose()
    except Exception:  # noqa: BLE001 - any failure at all: ruamel reads it again and says what is wrong
        return None
    if not isinstance(document, dict) or set(document) != {"faqs"} or not isinstance(document["faqs"], list):
        return None
    out = []
    for node, item in zip(items.value, document["faqs"]):
        if not isinstance(item, dict):
            return None
        try:
            data = EntrySchema.model_validate(item)
        except ValidationError:
            return None
        line = node.start_mark.line + 1
        keys = {k.value: (k, v) for k, v in node.value}
        question_line = keys["question"][0].start_mark.line + 1 if "question" in keys else line
        alternates = keys["alternates"][1].value if "alternates" in keys else []
        entry = _entry(data, f"{file}:{line}")
        lines = (question_line, *(a.start_mark.line + 1 for a in alternates))
        out.append(_Located(entry, str(file), line, lines, tuple(normalize(p) for p in entry.phrasings)))
    return out


def _entry(data: EntrySchema, location: str) -> Entry:
    return Entry(id=data.id, question=data.question, answer=data.answer, alternates=tuple(data.alternates),
                 tags=tuple(data.tags), location=location, owners=tuple(data.owner), source=data.source,
                 reviewed=data.reviewed)


def _duplicate_keys(node: yaml.Node) -> bool:
    """Whether a mapping node names a key twice (libyaml keeps the last; ruamel refuses)."""
    if not isinstance(node, yaml.MappingNode):
        return False
    own = [k.value for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge"]
    return len(own) != len(set(own))


def _normalized(located: list[_Located]) -> list[str]:
    return [text for item in located for text in item.normalized]


def _is_yaml(name: str) -> bool:
    return not name.startswith(".") and name.lower().endswith(YAML_SUFFIXES)


def faq_files(path: Path, problems: list[Problem], warnings: list[Problem]) -> list[Path]:
    """The FAQ's files: `path` itself, or the visible YAML files under it, sorted."""
    if path.is_file():
        return [path]
    if path.is_dir():
        files = sorted(Path(entry.path) for entry, _ in _walk(path, warnings))
        if not files:
            problems.append(Problem(str(path), 0, "folder holds no .yaml or .yml files"))
        return files
    if path.is_symlink():
        problems.append(Problem(str(path), 0, _dangling(path)))
    else:
        problems.append(Problem(str(path), 0, "no such file or folder"))
    return []


def faq_marks(path: Path) -> tuple[Mark, ...]:
    """The mark of each FAQ file under `path` (a folder or one file), as the watcher compares
    them four times a second. One stat a file: the folder listing tells links and files
    apart, and each folder's real path is resolved once. Every system call lets an answering
    thread take the interpreter, and waiting to get it back made the watcher's look, at
    three calls a file, raise the p99 answer at 100 files from 5 to 8.5 ms."""
    if not path.is_dir():
        return tuple(_marks(faq_files(path, [], [])))
    marks = []
    for entry, real_folder in _walk(path, []):
        try:
            real = os.path.realpath(entry.path) if entry.is_symlink() else os.path.join(real_folder, entry.name)
            stat = entry.stat()
        except OSError:  # gone since it was listed: the next look sees the new state
            continue
        marks.append((entry.path, real, stat.st_ino, stat.st_size, stat.st_mtime_ns))
    return tuple(marks)


def _marks(files: Iterable[Path]) -> Iterator[Mark]:
    """`file_mark` of each file that is still there."""
    for file in files:
        try:
            yield file_mark(file)
        except OSError:
            continue


def _walk(root: Path, warnings: list[Problem]) -> Iterator[tuple[os.DirEntry, str]]:
    """Visible YAML files under `root` and the real path of the folder of each, following
    symlinked folders once each."""
    seen: set[str] = set()

    def folder_files(folder: str, real: str) -> Iterator[tuple[os.DirEntry, str]]:
        seen.add(real)
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as error:
            warnings.append(Problem(folder, 0, f"skipped: cannot read this folder ({error.strerror})"))
            return
        for entry in entries:
            if entry.name.startswith(".") or (folder == str(root) and entry.name == CHANNELS_FILE):
                continue
            if entry.is_dir():
                real_sub = os.path.realpath(entry.path)
                if real_sub in seen:
                    warnings.append(Problem(entry.path, 0, "skipped: a link back to a folder already read"))
                else:
                    yield from folder_files(entry.path, real_sub)
            elif not _is_yaml(entry.name):
                continue
            elif entry.is_file():
                yield entry, real
            elif entry.is_symlink():
                warnings.append(Problem(entry.path, 0, f"skipped: {_dangling(Path(entry.path))}"))
            else:
                warnings.append(Problem(entry.path, 0, "skipped: not a regular file"))

    yield from folder_files(str(root), os.path.realpath(root))


def _dangling(link: Path) -> str:
    return f"symlink to {os.readlink(link)}, which does not exist"


def read_yaml(file: Path, problems: list[Problem]) -> Any:
    """A YAML file parsed round-trip (ruamel keeps each key's line); None, after recording
    why, when it cannot be read."""
    try:
        return YAML(typ="rt").load(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        problems.append(Problem(str(file), 0, f"not UTF-8 text ({exc.reason})"))
    except MarkedYAMLError as exc:
        problems.append(_yaml_problem(file, exc))
    except RecursionError:
        problems.append(Problem(str(file), 0, "nested too deeply to read (an FAQ entry is a flat mapping)"))
    except (YAMLError, OSError) as exc:
        problems.append(Problem(str(file), 0, f"cannot read: {exc}"))
    return None


def _load_file(file: Path, problems: list[Problem]) -> list[_Located]:
    before = len(problems)
    document = read_yaml(file, problems)
    if len(problems) > before:
        return []
    items = _faq_items(file, document, problems)
    entries = []
    for number, item in enumerate(items, start=1):
        entry = _parse_entry(file, number, item, _item_line(items, number - 1, 1), problems)
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
        channels = isinstance(document, dict) and "channels" in document
        elsewhere = f" (channels go in {CHANNELS_FILE} in the FAQ's folder)" if channels else ""
        problems.append(Problem(str(file), 1, f"expected a mapping with a 'faqs:' list of entries{elsewhere}"))
        return []
    for key in document:
        if key not in TOP_LEVEL_KEYS:
            line = key_line(document, key, 1)
            problems.append(Problem(str(file), line, f"unknown key '{key}'{hint(key, TOP_LEVEL_KEYS)}"))
    items = document["faqs"]
    if not isinstance(items, list):
        line = key_line(document, "faqs", 1)
        problems.append(Problem(str(file), line, "'faqs' must be a list of entries"))
        return []
    return items


def _parse_entry(file: Path, number: int, item: Any, line: int, problems: list[Problem]) -> _Located | None:
    if not isinstance(item, dict):
        problems.append(Problem(str(file), line, f"entry #{number} must be a mapping with id, question and answer"))
        return None
    label = item["id"] if isinstance(item.get("id"), str) else f"#{number}"
    try:
        data = EntrySchema.model_validate(dict(item))
    except ValidationError as exc:
        for error in exc.errors():
            at = error_line(item, error["loc"], line)
            problems.append(Problem(str(file), at, _describe(error), label))
        return None
    entry = _entry(data, f"{file}:{line}")
    question_line = key_line(item, "question", line)
    alternates = item.get("alternates")
    alternate_lines = [_item_line(alternates, i, question_line) for i in range(len(data.alternates))]
    return _Located(entry, str(file), line, (question_line, *alternate_lines), tuple(normalize(p) for p in entry.phrasings))


def key_line(mapping: Any, key: str, default: int) -> int:
    """The line of `key` in a parsed mapping; `default` for a key inherited through a merge
    key (`<<: *base`), which has no line of its own in this entry."""
    try:
        return mapping.lc.key(key)[0] + 1
    except (KeyError, AttributeError):
        return default


def _item_line(sequence: Any, index: int, default: int) -> int:
    try:
        return sequence.lc.item(index)[0] + 1
    except (KeyError, AttributeError, IndexError):
        return default


def error_line(item: Any, loc: tuple[int | str, ...], entry_line: int) -> int:
    """The line a pydantic error location points at inside a ruamel-parsed entry."""
    key = loc[0] if loc else None
    if key not in item:
        return entry_line
    value = item[key]
    line = key_line(item, str(key), entry_line)
    if len(loc) > 1 and isinstance(value, list) and isinstance(loc[1], int):
        return _item_line(value, loc[1], line)
    return line


_MESSAGES = {
    "missing": "missing required key '{field}'",
    "extra_forbidden": "unknown key '{field}'{hint}",
    "string_too_short": "{where} is empty",
    "string_type": "{where} must be text, not {kind}",
    "list_type": "{where} must be a list of texts, not {kind}",
    "value_error": "{where} {reason}",
}
_PATTERNS = {  # what a field's pattern asks for, in words
    "id": "{where} must be a slug of lowercase letters, digits, '-' or '_' (got {value!r})",
    "owner": "{where} must be a Slack user or user-group ID (U…, W… or S…: a profile's ⋮ menu > Copy member ID),"
             " not {value!r}",
    "source": "{where} must be a link starting with https:// or http://, not {value!r}",
}


def _describe(error: Any) -> str:
    """An admin-readable sentence for one pydantic error."""
    loc = error["loc"]
    field = str(loc[0]) if loc else "entry"
    value = error.get("input")
    message = _PATTERNS[field] if error["type"] == "string_pattern_mismatch" else _MESSAGES.get(error["type"])
    return (message or "{where}: {msg}").format(
        field=field,
        where=f"'{field}' item {loc[1] + 1}" if len(loc) > 1 else f"'{field}'",
        hint=hint(field, ENTRY_KEYS),
        value=value,
        kind=type_name(value),
        msg=error["msg"],
        reason=error.get("ctx", {}).get("error", ""),
    )


def type_name(value: Any) -> str:
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


def hint(word: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(word), list(known), n=1)
    if close:
        return f" (did you mean '{close[0]}'?)"
    return f" (allowed: {', '.join(known)})"


def _without_repeats(located: list[_Located], warnings: list[Problem]) -> list[_Located]:
    """Each entry without the phrasings that repeat one before them in it once normalised (they
    differ in case, spacing or punctuation: real exports are full of them), each named in
    `warnings`. The matcher could not tell them apart, so nothing is lost."""
    out = []
    for item in located:
        first: dict[str, str] = {}
        keep = []
        for i, (phrasing, key) in enumerate(zip(item.entry.phrasings, item.normalized)):
            if key and key in first:
                message = f"phrasing {phrasing!r} repeats {first[key]!r} once case and spacing are ignored: dropped"
                warnings.append(Problem(item.path, item.phrasing_lines[i], message, item.entry.id))
            else:
                first.setdefault(key, phrasing)
                keep.append(i)
        if len(keep) == len(item.normalized):
            out.append(item)
            continue
        alternates = tuple(item.entry.phrasings[i] for i in keep[1:])  # the question is always first, and kept
        out.append(dataclasses.replace(item, entry=dataclasses.replace(item.entry, alternates=alternates),
                                       phrasing_lines=tuple(item.phrasing_lines[i] for i in keep),
                                       normalized=tuple(item.normalized[i] for i in keep)))
    return out


def _cross_entry_problems(located: list[_Located]) -> Iterator[Problem]:
    """Duplicate ids, and one phrasing claimed twice (the matcher could not choose)."""
    first_id: dict[str, Entry] = {}
    owner: dict[str, Entry] = {}
    for item in located:
        entry = item.entry
        if entry.id in first_id:
            message = f"duplicate id (first defined at {first_id[entry.id].location})"
            yield Problem(item.path, item.line, message, entry.id)
            continue
        first_id[entry.id] = entry
        for phrasing, key, line in zip(entry.phrasings, item.normalized, item.phrasing_lines):
            if not key:
                yield Problem(item.path, line, f"phrasing {phrasing!r} has no words to match", entry.id)
            elif key not in owner:
                owner[key] = entry
            else:
                other = owner[key]
                message = f"phrasing {phrasing!r} is also a phrasing of entry '{other.id}' ({other.location})"
                yield Problem(item.path, line, message, entry.id)
