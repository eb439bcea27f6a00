"""Training inputs: every format, the errors they give, group merging and honest batches."""

from pathlib import Path

import numpy as np
import pytest

from faqbot.training.data import DataError, PairBatches, hold_out, load_training_groups, parse_spec, read_groups
from tests.conftest import SMALL_FAQ, write

QQP_HEADER = "id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate\n"


def test_formats_are_guessed_from_name_and_header(tmp_path: Path) -> None:
    qqp = write(tmp_path / "a.tsv", QQP_HEADER)
    groups = write(tmp_path / "b.csv", "text,label\n")
    pairs = write(tmp_path / "c.tsv", "x\ty\n")
    faq = write(tmp_path / "d.yaml", SMALL_FAQ)
    assert [parse_spec(str(p))[0] for p in (qqp, groups, pairs, faq, tmp_path)] == ["qqp", "groups", "pairs", "faq", "faq"]
    assert parse_spec(f"pairs:{groups}") == ("pairs", groups)
    with pytest.raises(DataError, match="no such file"):
        parse_spec(str(tmp_path / "missing.csv"))


def test_quora_question_pairs_keep_duplicates_only(tmp_path: Path) -> None:
    path = write(tmp_path / "qqp.tsv", QQP_HEADER + "1\t1\t2\tHow to learn Python?\tBest way to learn Python?\t1\n"
                 "2\t3\t4\tIs the earth flat?\tHow old is the earth?\t0\n")
    assert read_groups(str(path)) == [["How to learn Python?", "Best way to learn Python?"]]


def test_quora_errors_name_the_lines(tmp_path: Path) -> None:
    path = write(tmp_path / "qqp.tsv", QQP_HEADER + "1\t1\t2\ta\tb\tyes\n2\t3\t4\tonly five\tcolumns\n")
    with pytest.raises(DataError) as info:
        read_groups(str(path))
    assert str(info.value).splitlines() == [
        f"{path}:2: is_duplicate must be 0 or 1, not 'yes'",
        f"{path}:3: expected 6 tab-separated columns, found 5",
    ]


def test_pair_files_tsv_and_csv(tmp_path: Path) -> None:
    tsv = write(tmp_path / "p.tsv", "my laptop is slow\tcomputer runs slowly\n")
    csv_file = write(tmp_path / "p.csv", '"hello, world",hi world\n')
    assert read_groups(str(tsv)) == [["my laptop is slow", "computer runs slowly"]]
    assert read_groups(str(csv_file)) == [["hello, world", "hi world"]]
    bad = write(tmp_path / "bad.csv", "a,b,c\n,b\n")
    with pytest.raises(DataError) as info:
        read_groups(str(bad))
    assert str(info.value).splitlines() == [f"{bad}:1: expected 2 columns (a duplicate pair), found 3", f"{bad}:2: empty text"]


def test_many_bad_lines_are_summarised(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.tsv", "one column\n" * 25)
    with pytest.raises(DataError, match=r"and 15 more"):
        read_groups(str(bad))


def test_labelled_groups(tmp_path: Path) -> None:
    path = write(tmp_path / "g.csv", "text,label\nwake me at 7,alarm\nplay jazz,music\nset an alarm,alarm\n")
    assert read_groups(str(path)) == [["wake me at 7", "set an alarm"], ["play jazz"]]


def test_faq_entries_are_groups_and_faq_errors_pass_through(tmp_path: Path) -> None:
    faq = write(tmp_path / "faq.yaml", SMALL_FAQ)
    assert read_groups(str(faq))[1] == ["How do I request time off?", "booking vacation days"]
    broken = write(tmp_path / "broken.yaml", "faqs:\n  - id: x\n")
    with pytest.raises(DataError, match=r"broken.yaml:2: entry 'x': missing required key 'question'"):
        read_groups(str(broken))


def test_non_utf8_input(tmp_path: Path) -> None:
    path = tmp_path / "latin.tsv"
    path.write_bytes("caf\xe9\tcoffee\n".encode("latin-1"))
    with pytest.raises(DataError, match="not UTF-8"):
        read_groups(str(path))


def test_groups_sharing_a_text_are_merged_after_normalisation(tmp_path: Path) -> None:
    a = write(tmp_path / "a.tsv", "Reset password?\tI forgot my password\nvpn down\tvpn not working\n")
    b = write(tmp_path / "b.csv", "text,label\ni FORGOT my password!,acct\ncant log in,acct\n")
    assert load_training_groups([str(a), str(b)]) == [
        ["reset password", "i forgot my password", "cant log in"],
        ["vpn down", "vpn not working"],
    ]


def test_batches_never_hold_two_texts_of_one_group() -> None:
    groups = [[f"g{g} t{t}" for t in range(2 + g % 3)] for g in range(12)] + [["lonely"]]
    batches = PairBatches(groups, batch_size=8, rng=np.random.default_rng(0))
    assert len(batches.groups) == 12  # a group of one text cannot make a pair
    for _, (anchors, positives) in zip(range(50), batches):
        owners = [text.split()[0] for text in anchors]
        assert len(set(owners)) == 8 == len(anchors)
        assert owners == [text.split()[0] for text in positives]
        assert all(a != p for a, p in zip(anchors, positives))


def test_batches_need_pairs() -> None:
    with pytest.raises(DataError, match="no paraphrase group has two texts"):
        PairBatches([["a"], ["b"]], 4, np.random.default_rng(0))
    with pytest.raises(DataError, match="at least two groups"):
        PairBatches([["a", "b"]], 4, np.random.default_rng(0))


def test_hold_out_takes_one_text_from_groups_of_three_or_more() -> None:
    groups = [[f"g{g} t{t}" for t in range(3)] for g in range(20)] + [["x1", "x2"]]
    split = hold_out(groups, np.random.default_rng(0), fraction=0.25)
    assert len(split.held_out) == 5
    for text, g in split.held_out:
        assert text in groups[g] and text not in split.train[g] and len(split.train[g]) == 2
    assert split.train[-1] == ["x1", "x2"]
