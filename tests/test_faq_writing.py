"""Approved changes written into the FAQ's YAML as an admin would write them: round-trip
(comments, order, quoting and indentation kept), checked before the file is replaced."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from faqbot.faq.loading import load_faq
from faqbot.faq.schema import new_id
from faqbot.faq.writing import FaqWriteError, NewEntry, add_alternates, add_entry
from tests.conftest import SMALL_FAQ, write

TWO_SPACE = """\
# Laptops. Owner: IT.
faqs:
- id: laptop-slow   # the most asked
  question: "Why is my laptop slow?"
  answer: Restart it.
- &base
  id: dock
  question: My dock does not work
  alternates:
  - dock broken
  answer: Replug it.
- <<: *base
  id: monitor
  question: My monitor stays black
  alternates: [screen stays dark]
"""


def test_a_new_entry_is_appended_and_everything_else_is_kept(tmp_path: Path) -> None:
    faq_file = write(tmp_path / "faq" / "laptops.yaml", TWO_SPACE)
    faq = load_faq(tmp_path / "faq")
    entry = NewEntry("guest-wifi", "How do guests get wifi?", "Use *Acme-Guest*.\nThe password is on the board.",
                     ("guest wifi password",), ("office",), reviewed=dt.date(2026, 11, 29))
    add_entry(faq_file, entry, faq)
    text = faq_file.read_text(encoding="utf-8")
    assert text.startswith(TWO_SPACE)  # nothing before it moved, its two-space style kept
    assert text[len(TWO_SPACE):] == (
        "- id: guest-wifi\n"
        "  question: How do guests get wifi?\n"
        "  alternates:\n"
        "  - guest wifi password\n"
        "  answer: |\n"
        "    Use *Acme-Guest*.\n"
        "    The password is on the board.\n"
        "  tags: [office]\n"
        "  reviewed: 2026-11-29\n"
    )
    written = load_faq(tmp_path / "faq").by_id["guest-wifi"]
    assert (written.answer, written.alternates, written.reviewed) == (entry.answer, entry.alternates, entry.reviewed)


def test_a_missing_capture_file_is_created_with_a_header(tmp_path: Path) -> None:
    write(tmp_path / "faq" / "main.yaml", SMALL_FAQ)
    add_entry(tmp_path / "faq" / "from-slack.yaml", NewEntry("parking", "Where do I park?", "Level -2."),
              load_faq(tmp_path / "faq"))
    text = (tmp_path / "faq" / "from-slack.yaml").read_text(encoding="utf-8")
    assert text.startswith("# Entries added from Slack") and "  - id: parking\n" in text
    assert len(load_faq(tmp_path / "faq")) == 4


def test_alternates_join_their_entry_and_an_anchor_it_merges_is_untouched(tmp_path: Path) -> None:
    faq_file = write(tmp_path / "laptops.yaml", TWO_SPACE)
    faq = load_faq(faq_file)
    added = add_alternates(faq_file, "dock", ["Dock is broken", "usb-c dock dead", "dock broken!", "SCREEN stays dark"],
                           faq)
    assert added == ["Dock is broken", "usb-c dock dead"]  # the others are phrasings already, once normalised
    faq = load_faq(faq_file)
    assert faq.by_id["dock"].alternates == ("dock broken", "Dock is broken", "usb-c dock dead")
    assert add_alternates(faq_file, "monitor", ["screen is black"], faq) == ["screen is black"]
    faq = load_faq(faq_file)
    assert faq.by_id["monitor"].alternates == ("screen stays dark", "screen is black")
    assert faq.by_id["monitor"].answer == "Replug it."  # still merged from the dock entry
    assert faq.by_id["dock"].alternates == ("dock broken", "Dock is broken", "usb-c dock dead")
    assert "# the most asked" in faq_file.read_text(encoding="utf-8")
    assert add_alternates(faq_file, "monitor", ["screen is black"], faq) == []


def test_a_change_that_would_break_the_faq_is_refused_and_nothing_changes(tmp_path: Path) -> None:
    write(tmp_path / "faq" / "main.yaml", SMALL_FAQ)
    capture = write(tmp_path / "faq" / "from-slack.yaml", "faqs:\n  - {id: parking, question: Where do I park?, answer: L2}\n")
    before = capture.read_text(encoding="utf-8")
    faq = load_faq(tmp_path / "faq")
    with pytest.raises(FaqWriteError, match=r"id 'vpn' is already an entry \(.*main.yaml:"):
        add_entry(capture, NewEntry("vpn", "VPN down?", "Restart it."), faq)
    with pytest.raises(FaqWriteError, match="'PW RESET' is already a phrasing of entry 'reset-password'"):
        add_entry(capture, NewEntry("pw", "PW RESET", "Ask IT."), faq)
    with pytest.raises(FaqWriteError, match="must be a slug"):
        add_entry(capture, NewEntry("Bad Id", "Something else?", "x"), faq)
    assert capture.read_text(encoding="utf-8") == before
    assert sorted(p.name for p in (tmp_path / "faq").iterdir()) == ["from-slack.yaml", "main.yaml"]  # no leftovers


def test_a_file_that_cannot_be_written_is_a_clear_error(tmp_path: Path) -> None:
    faq_file = write(tmp_path / "faq.yaml", SMALL_FAQ)
    faq = load_faq(faq_file)
    blocked = tmp_path / "faq.yaml" / "from-slack.yaml"  # a "folder" that is a file
    with pytest.raises(FaqWriteError, match="cannot be written here"):
        add_entry(blocked, NewEntry("parking", "Where do I park?", "Level -2."), faq)
    broken = write(tmp_path / "broken.yaml", "faqs: [\n")
    with pytest.raises(FaqWriteError, match="not valid YAML"):
        add_entry(broken, NewEntry("parking", "Where do I park?", "Level -2."), faq)


def test_a_symlinked_file_is_changed_where_it_lies(tmp_path: Path) -> None:
    real = write(tmp_path / "releases" / "v1" / "faq.yaml", SMALL_FAQ)
    (tmp_path / "faq").mkdir()
    os.symlink(real, tmp_path / "faq" / "faq.yaml")
    faq = load_faq(tmp_path / "faq")
    add_alternates(tmp_path / "faq" / "faq.yaml", "vpn", ["tunnel down"], faq)
    assert (tmp_path / "faq" / "faq.yaml").is_symlink()
    assert load_faq(real).by_id["vpn"].alternates == ("vpn setup on my laptop", "tunnel down")


def test_ids_are_made_from_questions() -> None:
    assert new_id("How do I reset my password?") == "how-do-i-reset-my-password"
    assert new_id("Привет, как дела?") == "privet-kak-dela"
    assert new_id("How do I reset my password?", {"how-do-i-reset-my-password"}) == "how-do-i-reset-my-password-2"
    assert new_id("???") == "entry"
    assert len(new_id("word " * 40)) <= 56
