"""Training data: paraphrase groups from any mix of files, and batches that never lie.

Inputs (format guessed from the name and header, or forced with a `format:` prefix):
- `qqp:`    Quora Question Pairs TSV (`id qid1 qid2 question1 question2 is_duplicate`);
- `pairs:`  two columns per line, no header (TSV, or CSV for `.csv`), each line a duplicate pair;
- `groups:` CSV with header `text,label`: texts with the same label are paraphrases;
- `faq:`    FAQ YAML (file or folder): an entry's question and alternates are one group.

Every text is normalised as served. Pairs and groups that share a text are merged, so two
phrasings of one group can never be each other's negatives in a triplet batch.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from faqbot.faq.loading import load_faq
from faqbot.faq.schema import FaqError
from faqbot.matching.normalize import normalize

FORMATS = ("qqp", "pairs", "groups", "faq")
QQP_COLUMNS = ("id", "qid1", "qid2", "question1", "question2", "is_duplicate")
MAX_REPORTED = 10  # bad lines listed per file before "and N more"


class DataError(ValueError):
    """A training input that cannot be used; the message names the file and lines."""


def parse_spec(spec: str) -> tuple[str, Path]:
    """`format:path` or a bare path whose format is guessed."""
    head, sep, rest = spec.partition(":")
    if sep and head in FORMATS:
        return head, Path(rest)
    path = Path(spec)
    if path.is_dir() or path.suffix in (".yaml", ".yml"):
        return "faq", path
    if not path.is_file():
        raise DataError(f"{path}: no such file or folder")
    with open(path, encoding="utf-8", errors="replace") as file:
        header = file.readline().rstrip("\r\n")
    if header.split("\t") == list(QQP_COLUMNS):
        return "qqp", path
    if [c.strip() for c in header.split(",")] == ["text", "label"]:
        return "groups", path
    return "pairs", path


def read_groups(spec: str) -> list[list[str]]:
    """The paraphrase groups of one input, as raw texts."""
    kind, path = parse_spec(spec)
    if kind == "faq":
        try:
            return [list(entry.phrasings) for entry in load_faq(path).entries]
        except FaqError as exc:
            raise DataError(str(exc)) from exc
    readers = {"qqp": _qqp_rows, "pairs": _pair_rows, "groups": _group_rows}
    problems: list[str] = []
    rows = list(readers[kind](path, problems))
    if problems:
        more = f"\n... and {len(problems) - MAX_REPORTED} more" if len(problems) > MAX_REPORTED else ""
        raise DataError("\n".join(problems[:MAX_REPORTED]) + more)
    if kind == "groups":
        by_label: dict[str, list[str]] = {}
        for text, label in rows:
            by_label.setdefault(label, []).append(text)
        return list(by_label.values())
    return [list(pair) for pair in rows]


def _open_csv(path: Path, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as file:  # -sig: Excel's "CSV UTF-8" starts with a BOM
            reader = csv.reader(file, delimiter=delimiter, strict=True)
            for row in reader:
                yield reader.line_num, row
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({exc.reason})") from exc
    except csv.Error as exc:
        raise DataError(f"{path}: {exc}") from exc


def _qqp_rows(path: Path, problems: list[str]) -> Iterator[tuple[str, str]]:
    rows = _open_csv(path, "\t")
    next(rows, None)  # header
    for line, row in rows:
        if len(row) != len(QQP_COLUMNS):
            problems.append(f"{path}:{line}: expected {len(QQP_COLUMNS)} tab-separated columns, found {len(row)}")
        elif row[5] not in ("0", "1"):
            problems.append(f"{path}:{line}: is_duplicate must be 0 or 1, not {row[5]!r}")
        elif row[5] == "1":
            yield row[3], row[4]


def _two_columns(path: Path, rows: Iterator[tuple[int, list[str]]], columns: str, empty: str,
                 problems: list[str]) -> Iterator[tuple[str, str]]:
    """Rows of exactly two non-empty cells; the others become problems naming their line."""
    for line, row in rows:
        if len(row) != 2:
            problems.append(f"{path}:{line}: expected 2 columns ({columns}), found {len(row)}")
        elif not row[0].strip() or not row[1].strip():
            problems.append(f"{path}:{line}: {empty}")
        else:
            yield row[0], row[1]


def _pair_rows(path: Path, problems: list[str]) -> Iterator[tuple[str, str]]:
    rows = _open_csv(path, "," if path.suffix == ".csv" else "\t")
    return _two_columns(path, rows, "a duplicate pair", "empty text", problems)


def _group_rows(path: Path, problems: list[str]) -> Iterator[tuple[str, str]]:
    rows = _open_csv(path, ",")
    next(rows, None)  # header
    return _two_columns(path, rows, "text,label", "empty text or label", problems)


def merge_groups(raw_groups: Sequence[Sequence[str]]) -> list[list[str]]:
    """Normalise, then merge groups that share a text (union-find); order is first-seen."""
    parent: dict[str, str] = {}

    def root(text: str) -> str:
        while parent[text] != text:
            parent[text] = parent[parent[text]]
            text = parent[text]
        return text

    for group in raw_groups:
        texts = [t for t in map(normalize, group) if t]
        for text in texts:
            parent.setdefault(text, text)
        for text in texts[1:]:
            parent[root(text)] = root(texts[0])
    merged: dict[str, list[str]] = {}
    for text in parent:
        merged.setdefault(root(text), []).append(text)
    return list(merged.values())


def load_training_groups(specs: Sequence[str]) -> list[list[str]]:
    """Every input read, normalised and merged into paraphrase groups."""
    return merge_groups([group for spec in specs for group in read_groups(spec)])


@dataclass(frozen=True)
class Split:
    """Training groups, and held-out texts with the group each should retrieve."""

    train: list[list[str]]
    held_out: list[tuple[str, int]]  # (text, index into train)


def hold_out(groups: list[list[str]], rng: np.random.Generator, max_queries: int = 500, fraction: float = 0.2) -> Split:
    """Hold out one text of some groups with >= 3 texts (so 2 remain to train on)."""
    eligible = [i for i, g in enumerate(groups) if len(g) >= 3]
    count = min(max_queries, max(1, int(len(eligible) * fraction))) if eligible else 0
    chosen = set(rng.choice(eligible, size=count, replace=False).tolist()) if count else set()
    train, held_out = [], []
    for i, group in enumerate(groups):
        if i in chosen:
            pick = int(rng.integers(len(group)))
            held_out.append((group[pick], i))
            group = group[:pick] + group[pick + 1 :]
        train.append(group)
    return Split(train, held_out)


class PairBatches:
    """Endless (anchors, positives) batches: each row from a different group, so every
    off-diagonal pair is a true negative."""

    def __init__(self, groups: list[list[str]], batch_size: int, rng: np.random.Generator) -> None:
        self.groups = [g for g in groups if len(g) >= 2]
        if not self.groups:
            raise DataError("no paraphrase group has two texts: add alternates or duplicate pairs")
        self.batch_size = min(batch_size, len(self.groups))
        if self.batch_size < 2:
            raise DataError("triplet batches need at least two groups with two texts each")
        self.rng = rng

    def __iter__(self) -> Iterator[tuple[list[str], list[str]]]:
        while True:
            anchors, positives = [], []
            for g in self.rng.choice(len(self.groups), size=self.batch_size, replace=False):
                group = self.groups[g]
                a, p = self.rng.choice(len(group), size=2, replace=False)
                anchors.append(group[a])
                positives.append(group[p])
            yield anchors, positives
