"""`python -m recipes.train_data`: the public paraphrase sets in ../shared/data/train, as
faqbot training inputs.

faqbot's trainer reads two plain formats (see `faqbot.training.data`), so each source is
converted once into one of them, under the git-ignored build folder:
- `<source>.groups.csv`: header `text,label`; rows with one label are paraphrases;
- `<source>.pairs.csv`: no header, two columns; each row is a duplicate pair.
The data sets themselves stay in ../shared (never copied into the repository), and every
source carries its licence, so a model card can say what its model was trained on.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import click

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
OUT = Path(__file__).resolve().parent.parent / "build" / "train"

Row = tuple[str, str]  # (text, label) for groups, (text, text) for pairs
Reader = Callable[[Path], Iterable[Row]]

# From each folder's SOURCE.txt: (licence, may a commercially used model train on it).
LICENCES: dict[str, tuple[str, bool]] = {
    "hwu64": ("CC BY 4.0", True),
    "snips": ("CC0 1.0 (snipsco/nlu-benchmark; the Goo et al. split used here has no licence of its own)", True),
    "atis": ("no licence stated; ATIS is an LDC corpus: research only", False),
    "nlu-braun": ("CC BY-SA 3.0", True),
    "qqp-sample": ("Quora data, non-commercial terms (the repository's MIT licence covers its code only)", False),
    "medical-qp": ("no licence (default copyright): research only, ask the authors", False),
    "mrpc": ("Microsoft Research Shared Source License: non-commercial", False),
    "sick": ("CC BY-NC-SA 3.0", False),
    "sts-benchmark": ("scores CC BY-SA 4.0; sentences under per-source licences (Microsoft Research terms for MSR*)", False),
    "semeval-sts": ("per subset (CC BY-SA 3.0 StackExchange, Microsoft Research terms for MSR*, others)", False),
}

READERS: dict[str, tuple[str, Reader]] = {}  # source -> (kind, reader of its folder)

STS_MIN_SCORE = 4.0  # similarity 0-5: "equivalent" or "mostly equivalent"
SICK_MIN_RELATEDNESS = 4.5  # relatedness 1-5; below this, pairs are related but not paraphrases


def reader(source: str, kind: str) -> Callable[[Reader], Reader]:
    """Register the reader of one source, whose rows go to `<source>.<kind>.csv`."""

    def register(read: Reader) -> Reader:
        READERS[source] = (kind, read)
        return read

    return register


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _tab_rows(path: Path) -> Iterator[list[str]]:
    """Tab-split lines: these files quote nothing, so a csv reader would trip on stray quotes."""
    with open(path, encoding="utf-8-sig") as file:
        for line in file:
            yield line.rstrip("\r\n").split("\t")


def _tab_records(path: Path) -> Iterator[dict[str, str]]:
    """Rows of a tab-separated file with a header line, by column name."""
    rows = _tab_rows(path)
    header = next(rows)
    for row in rows:
        yield dict(zip(header, row, strict=True))


def _seq_split(folder: Path, prefix: str) -> Iterator[Row]:
    """The Goo et al. (SlotGated-SLU) layout: line-aligned seq.in and label per split."""
    for split in ("train", "valid", "test"):
        texts, labels = _lines(folder / split / "seq.in"), _lines(folder / split / "label")
        for text, label in zip(texts, labels, strict=True):
            yield text, f"{prefix}:{label}"


@reader("hwu64", "groups")
def hwu64(folder: Path) -> Iterable[Row]:
    """The 10 CV test folds together; deduplicated in case a fold repeats a row."""
    rows: dict[Row, None] = {}
    for path in sorted(folder.glob("KFold_*/testset/csv/*.csv")):
        with open(path, newline="", encoding="utf-8") as file:
            for row in csv.DictReader(file, delimiter=";"):
                rows[row["answer_from_anno"].strip(), f"hwu64:{row['scenario']}_{row['intent']}"] = None
    return rows


@reader("snips", "groups")
def snips(folder: Path) -> Iterable[Row]:
    return _seq_split(folder, "snips")


@reader("atis", "groups")
def atis(folder: Path) -> Iterable[Row]:
    return _seq_split(folder, "atis")


@reader("nlu-braun", "groups")
def nlu_braun(folder: Path) -> Iterator[Row]:
    """Every corpus; intent "None" is a catch-all of unrelated questions, not a paraphrase group."""
    for path in sorted(folder.glob("*.json")):
        corpus = json.loads(path.read_text(encoding="utf-8"))
        for sentence in corpus["sentences"]:
            if sentence["intent"] != "None":
                yield sentence["text"], f"nlu-braun:{corpus['name']}:{sentence['intent']}"


@reader("qqp-sample", "pairs")
def qqp_sample(folder: Path) -> Iterable[Row]:
    return zip(_lines(folder / "val.q1"), _lines(folder / "val.q2"), strict=True)


@reader("medical-qp", "pairs")
def medical_qp(folder: Path) -> Iterator[Row]:
    """Label 1 only: label 0 rows are hard negatives."""
    with open(folder / "mqp.csv", newline="", encoding="utf-8") as file:
        for _dr_id, first, second, label in csv.reader(file):
            if label == "1":
                yield first, second


@reader("mrpc", "pairs")
def mrpc(folder: Path) -> Iterator[Row]:
    for path in sorted(folder.glob("msr-para-*.tsv")):
        for record in _tab_records(path):
            if record["Quality"] == "1":
                yield record["#1 String"], record["#2 String"]


@reader("sick", "pairs")
def sick(folder: Path) -> Iterator[Row]:
    for path in sorted(folder.glob("SICK_*.txt")):
        for record in _tab_records(path):
            if float(record["relatedness_score"]) >= SICK_MIN_RELATEDNESS:
                yield record["sentence_A"], record["sentence_B"]


@reader("sts-benchmark", "pairs")
def sts_benchmark(folder: Path) -> Iterator[Row]:
    """genre, file, year, id, score, sentence1, sentence2, then optional licence fields."""
    for path in sorted(folder.glob("sts-*.csv")):
        for row in _tab_rows(path):
            if float(row[4]) >= STS_MIN_SCORE:
                yield row[5], row[6]


@reader("semeval-sts", "pairs")
def semeval_sts(folder: Path) -> Iterator[Row]:
    """score, sentence1, sentence2; an empty score marks an unscored distractor pair."""
    for path in sorted(folder.glob("*/*.tsv")):
        for score, first, second in _tab_rows(path):
            if score and float(score) >= STS_MIN_SCORE:
                yield first, second


def _clean(rows: Iterable[Row]) -> Iterator[Row]:
    """Stripped rows, without those that lost a text (an empty text teaches nothing)."""
    for first, second in rows:
        first, second = first.strip(), second.strip()
        if first and second:
            yield first, second


def write_source(source: str, data: Path, out: Path) -> Path:
    """Convert one source and return the file written."""
    kind, read = READERS[source]
    path = out / f"{source}.{kind}.csv"
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, lineterminator="\n")
        if kind == "groups":
            writer.writerow(("text", "label"))
        writer.writerows(_clean(read(data / "train" / source)))
    return path


def build(data: Path, out: Path, commercial_only: bool = False) -> dict[str, Path]:
    """Write every source (or only those whose licence allows commercial use) into out."""
    out.mkdir(parents=True, exist_ok=True)
    return {
        source: write_source(source, data, out)
        for source in READERS
        if LICENCES[source][1] or not commercial_only
    }


def summary(path: Path) -> str:
    """One line for the console, counted from the file as written."""
    with open(path, newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    if path.name.endswith(".groups.csv"):
        labels = {label for _text, label in rows[1:]}
        return f"{path.name}: {len(rows) - 1} rows, {len(labels)} labels"
    return f"{path.name}: {len(rows)} rows"


@click.command()
@click.option("--data", type=click.Path(path_type=Path), default=DATA, show_default=True,
              help="The shared data folder (holding train/).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=OUT, show_default=True)
@click.option("--commercial-only", is_flag=True, help="Only the sources whose licence allows commercial use.")
def main(data: Path, out: Path, commercial_only: bool) -> None:
    """Convert the training sets in DATA/train into groups and pairs CSVs in OUT."""
    if not (data / "train").is_dir():
        raise click.ClickException(f"training data not found at {data / 'train'} (expected ../shared/data/train)")
    if out.resolve().is_relative_to(data.resolve()):
        raise click.ClickException(f"--out {out} is inside the shared data folder {data}; write elsewhere")
    for path in build(data, out, commercial_only).values():
        click.echo(summary(path))


if __name__ == "__main__":
    main()
