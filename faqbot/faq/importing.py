"""Importing an existing FAQ: a CSV, a Rasa NLU + responses file, or an Azure QnA Maker /
question answering TSV export, turned into entries faqbot can load.

Every row read is accounted for: it becomes (part of) an entry, is merged into an earlier
one (the same question, or the same QnA pair), or is skipped with its file and line and why.
Ids are made from the questions. Phrasings are compared as the matcher compares them
(normalised), so an export's repeats that differ only in case or spacing become one.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from faqbot.faq.schema import URL_PATTERN, new_id
from faqbot.faq.writing import NewEntry
from faqbot.matching.normalize import normalize

FORMATS = ("csv", "rasa", "qna")
QNA_COLUMNS = ("Question", "Answer")  # the rest (Source, Metadata, QnaId, ...) is optional
LIST_SEPARATORS = ("\n", "|")  # between alternates (or tags) in one CSV cell


class ImportFileError(Exception):
    """A file that cannot be imported at all (unreadable, not the format); rows are never this."""


@dataclass(frozen=True)
class Row:
    """One question-answer pair as the source has it, and where."""

    where: str  # "file:line"
    question: str
    answer: str
    alternates: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    source: str | None = None
    group: str = ""  # rows of one group are one entry (a QnA pair's id, a Rasa intent)


@dataclass
class _Draft:
    """An entry being merged from rows."""

    id: str
    where: str  # the row that started it
    answer: str
    source: str | None
    phrasings: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


@dataclass
class Imported:
    """The entries made, and a line for every row that did not become its own entry."""

    entries: list[NewEntry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rows: int = 0


def read(format_: str, files: Sequence[Path]) -> Imported:
    """Read `files` in `format_` and make entries of them."""
    notes: list[str] = []
    rows = {"csv": _csv_rows, "rasa": _rasa_rows, "qna": _qna_rows}[format_](files, notes)
    imported = merge(rows)
    imported.notes[:0] = notes
    return imported


def merge(rows: Iterable[Row]) -> Imported:
    """Entries from rows: a group's rows (or rows with the same question) merged into one; a
    phrasing an earlier entry has is dropped from a later one, and said."""
    imported = Imported()
    by_key: dict[str, int] = {}  # group or normalised question -> draft index
    owner: dict[str, tuple[int, str]] = {}  # normalised phrasing -> (draft index, the row it came from)
    drafts: list[_Draft] = []
    for row in rows:
        imported.rows += 1
        question, answer = " ".join(row.question.split()), row.answer.strip()
        if not normalize(question):
            imported.notes.append(f"{row.where}: skipped: no question (or no words in it)")
            continue
        if not answer:
            imported.notes.append(f"{row.where}: skipped: no answer")
            continue
        key = row.group or normalize(question)
        if key not in by_key:
            by_key[key] = len(drafts)
            drafts.append(_Draft(new_id(question, {d.id for d in drafts}), row.where, answer, row.source))
        elif answer != drafts[by_key[key]].answer:
            draft = drafts[by_key[key]]
            imported.notes.append(f"{row.where}: merged into '{draft.id}' ({draft.where}); its different answer"
                                  " is not kept")
        elif not row.group:
            draft = drafts[by_key[key]]
            imported.notes.append(f"{row.where}: merged into '{draft.id}' (the same question as {draft.where})")
        index = by_key[key]
        draft = drafts[index]
        for phrasing in (question, *(" ".join(a.split()) for a in row.alternates)):
            phrased = normalize(phrasing)
            seen = owner.get(phrased)
            if not phrased:
                continue
            if seen is None:
                owner[phrased] = (index, row.where)
                draft.phrasings.append(phrasing)
            elif seen[0] != index:
                imported.notes.append(f"{row.where}: phrasing {phrasing!r} dropped: entry '{drafts[seen[0]].id}'"
                                      f" ({seen[1]}) has it already")
        draft.tags += [t for t in row.tags if t not in draft.tags]
    for draft in drafts:
        if not draft.phrasings:
            imported.notes.append(f"{draft.where}: skipped: every phrasing belongs to an earlier entry")
            continue
        question, *alternates = draft.phrasings
        imported.entries.append(NewEntry(draft.id, question, draft.answer, tuple(alternates), tuple(draft.tags),
                                         source=draft.source, reviewed=None))
    return imported


def _csv_rows(files: Sequence[Path], notes: list[str]) -> Iterable[Row]:
    """question,answer[,alternates,tags]: a header row names the columns; alternates and tags
    are separated by new lines or | inside their cell (tags by commas too)."""
    for file in files:
        text = _text(file)
        reader = csv.DictReader(io.StringIO(text, newline=""))
        columns = [c.strip().lower() for c in reader.fieldnames or []]
        if "question" not in columns or "answer" not in columns:
            raise ImportFileError(f"{file}: the first row must name the columns: question,answer[,alternates,tags]")
        reader.fieldnames = columns
        start = reader.line_num + 1  # a quoted cell may span lines: a row is named by its first
        for record in reader:
            where = f"{file}:{start}"
            start = reader.line_num + 1
            if None in record:  # more cells than columns
                notes.append(f"{where}: {len(record[None])} cell(s) past the last column ignored")
            yield Row(where, record.get("question") or "", record.get("answer") or "",
                      _split(record.get("alternates") or ""), _split((record.get("tags") or "").replace(",", "|")))


def _qna_rows(files: Sequence[Path], notes: list[str]) -> Iterable[Row]:
    """QnA Maker / question answering TSV: one question per row; rows with the same QnaId are
    one pair (its other questions); Metadata `key:value|...` become tags, Source a link."""
    for file in files:
        reader = csv.DictReader(io.StringIO(_text(file), newline=""), delimiter="\t")
        if not set(QNA_COLUMNS) <= set(reader.fieldnames or []):
            raise ImportFileError(f"{file}: not a QnA Maker export: its first row must name the columns"
                               " Question, Answer (then Source, Metadata, ..., QnaId)")
        for record in reader:
            tags = tuple(pair.partition(":")[2].strip() or pair.strip()
                         for pair in (record.get("Metadata") or "").split("|") if pair.strip())
            source = (record.get("Source") or "").strip()
            yield Row(f"{file}:{reader.line_num}", record.get("Question") or "", record.get("Answer") or "",
                      tags=tags, source=source if _is_url(source) else None,
                      group=f"qna:{record['QnaId']}" if (record.get("QnaId") or "").strip() else "")


def _rasa_rows(files: Sequence[Path], notes: list[str]) -> Iterable[Row]:
    """Rasa 2/3 YAML: `nlu:` intents with their `examples`, and `responses:` (in the same file
    or another: domain.yml, responses.yml) with `utter_<intent>` answers. A retrieval intent
    (faq/ask_wifi) and a plain one (ask_wifi) are read alike."""
    intents: list[tuple[str, str, list[str]]] = []  # (where, intent, examples)
    answers: dict[str, str] = {}
    for file in files:
        document = _rasa_document(file)
        for item in document.get("nlu") or []:
            if isinstance(item, dict) and isinstance(item.get("intent"), str):
                examples = item.get("examples") or ""
                lines = [line.strip()[2:] for line in str(examples).splitlines() if line.strip().startswith("- ")]
                line = item.lc.line + 1 if hasattr(item, "lc") else 0
                intents.append((f"{file}:{line}", item["intent"], lines))
        for name, variants in (document.get("responses") or {}).items():
            texts = [v.get("text") for v in variants or [] if isinstance(v, dict) and isinstance(v.get("text"), str)]
            if texts and isinstance(name, str):
                answers[name.removeprefix("utter_")] = texts[0]
    if not intents:
        raise ImportFileError("no `nlu:` intents with examples in " + ", ".join(map(str, files)))
    for where, intent, examples in intents:
        if not examples:
            notes.append(f"{where}: intent '{intent}' skipped: it has no examples")
            continue
        if intent not in answers:
            notes.append(f"{where}: intent '{intent}' skipped: no response utter_{intent} in the files given")
            continue
        yield Row(where, examples[0], answers[intent], tuple(examples[1:]), group=f"intent:{intent}")


def _rasa_document(file: Path) -> dict:
    try:
        document = YAML(typ="rt").load(_text(file))
    except YAMLError as exc:
        raise ImportFileError(f"{file}: not valid YAML ({exc})") from exc
    if not isinstance(document, dict):
        raise ImportFileError(f"{file}: not a Rasa file (expected `nlu:` or `responses:`)")
    return document


def _text(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8-sig")  # Excel writes a byte-order mark
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFileError(f"cannot read {file}: {exc}") from exc


def _split(cell: str) -> tuple[str, ...]:
    parts = [cell]
    for separator in LIST_SEPARATORS:
        parts = [piece for part in parts for piece in part.split(separator)]
    return tuple(p.strip() for p in parts if p.strip())


def _is_url(text: str) -> bool:
    return bool(re.match(URL_PATTERN, text))
