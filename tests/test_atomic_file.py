"""Files written whole or not at all: what caches and the calibration rely on."""

from pathlib import Path

import pytest

from faqbot.atomic_file import write_atomically


def test_the_new_content_replaces_the_old_in_one_step(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "file.json"
    write_atomically(path, lambda tmp: tmp.write_text("one"))
    write_atomically(path, lambda tmp: tmp.write_text("two"))
    assert path.read_text() == "two" and [p.name for p in path.parent.iterdir()] == ["file.json"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(tmp_path: Path) -> None:
    path = tmp_path / "file.json"
    path.write_text("old")

    def half(tmp: Path) -> None:
        tmp.write_text("half of the new")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        write_atomically(path, half)
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["file.json"]
