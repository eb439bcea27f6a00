"""The training-data recipe follows ../shared/data/train/*/SOURCE.txt; runs where that data exists (CI)."""

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from faqbot.training.data import read_groups
from recipes.train_data import LICENCES, READERS, build, main
from tests.conftest import SHARED_DATA, needs_shared_data

pytestmark = [
    needs_shared_data,
    pytest.mark.skipif(not (SHARED_DATA / "train").is_dir(), reason=f"no training data at {SHARED_DATA / 'train'}"),
]

GROUPS = ("hwu64", "snips", "atis", "nlu-braun")
PAIRS = ("qqp-sample", "medical-qp", "mrpc", "sick", "sts-benchmark", "semeval-sts")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build(SHARED_DATA, tmp_path_factory.mktemp("train"))


def rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.reader(file))


def test_every_source_has_a_reader_and_a_licence() -> None:
    assert set(READERS) == set(LICENCES) == {*GROUPS, *PAIRS}


def test_every_expected_file_is_written(built: dict[str, Path]) -> None:
    assert {s: p.name for s, p in built.items()} == {
        **{s: f"{s}.groups.csv" for s in GROUPS}, **{s: f"{s}.pairs.csv" for s in PAIRS},
    }
    assert all(path.is_file() for path in built.values())


def test_groups_files_have_a_header_and_two_columns(built: dict[str, Path]) -> None:
    for source in GROUPS:
        header, *body = rows(built[source])
        assert header == ["text", "label"]
        assert body and all(len(r) == 2 and r[0] and r[1].startswith(f"{source}:") for r in body), source


def test_pairs_files_have_two_non_empty_columns(built: dict[str, Path]) -> None:
    for source in PAIRS:
        body = rows(built[source])
        assert body and all(len(r) == 2 and r[0] and r[1] for r in body), source


def test_hwu64_is_the_deduplicated_ten_folds(built: dict[str, Path]) -> None:
    _header, *body = rows(built["hwu64"])
    assert len(body) == 11036 == len({tuple(r) for r in body})
    assert len({label for _text, label in body}) == 64
    assert ["wake me up at five am this week", "hwu64:alarm_set"] in body


def test_pair_counts_match_source_txt(built: dict[str, Path]) -> None:
    assert len(rows(built["qqp-sample"])) == 5367  # 5,368 lines, the last one empty
    assert len(rows(built["medical-qp"])) == 1524  # the label-1 half
    assert len(rows(built["mrpc"])) == 2407 + 346 + 1147  # Quality 1 in train, val, test


def test_faqbot_reads_every_file_as_its_format(built: dict[str, Path]) -> None:
    assert len(read_groups(str(built["hwu64"]))) == 64
    assert len(read_groups(str(built["nlu-braun"]))) == 13  # 15 intents less the 2 catch-all "None"
    assert len(read_groups(str(built["sick"]))) == len(rows(built["sick"]))


def test_commercial_only_writes_the_permissive_sources(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--data", str(SHARED_DATA), "--out", str(tmp_path), "--commercial-only"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "hwu64.groups.csv", "nlu-braun.groups.csv", "snips.groups.csv",
    ]
    assert "hwu64.groups.csv: 11036 rows, 64 labels" in result.output


def test_missing_data_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1 and "training data not found" in result.output
    assert not (tmp_path / "out").exists()
