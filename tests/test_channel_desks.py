"""channels.yaml, the channels' help desks: read and checked like the FAQ, never read as FAQ
entries; and the matcher answering from a desk's entries only."""

from __future__ import annotations

from pathlib import Path

import pytest

from faqbot.faq.channel_desks import ChannelDesks, Desk, desks_file, load_desks
from faqbot.faq.loading import load_faq
from faqbot.faq.schema import FaqError
from faqbot.matching.matcher import Matcher
from tests.conftest import ConceptEncoder, fused_calibration, write
from tests.test_cli import run

REPO = Path(__file__).resolve().parent.parent
DESKS = """\
channels:
  C0HR:
    name: hr-help
    tags: [HR]
  C0IT:
    tags: [accounts, laptops]
    mode: suggest
    threshold: 0.95
    escalation: C0ITTRIAGE
"""


def test_desks_are_read_with_their_settings(tmp_path: Path) -> None:
    desks = load_desks(write(tmp_path / "channels.yaml", DESKS))
    assert desks.get("C0HR") == Desk(frozenset({"hr"}), file=str(tmp_path / "channels.yaml"), line=2)
    it = desks.get("C0IT")
    assert (it.tags, it.mode, it.threshold, it.escalation) == (frozenset({"accounts", "laptops"}), "suggest", 0.95,
                                                                "C0ITTRIAGE")
    assert desks.get("C0ELSE") == Desk()  # not listed: every entry, the environment's mode


@pytest.mark.parametrize("text", ["", "# nothing here yet\n"])
def test_no_file_or_an_empty_one_means_no_desks(tmp_path: Path, text: str) -> None:
    assert load_desks(tmp_path / "channels.yaml") == ChannelDesks()
    assert load_desks(write(tmp_path / "channels.yaml", text)) == ChannelDesks()


def test_every_problem_is_reported_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path / "channels.yaml", """\
        channels:
          C0BAD:
            mode: loud
            threshold: 2
            tagz: [x]
            escalation: '#it-triage'
          it-help:
            mode: answer
          C0NUM: 3
          C0TYPES:
            threshold: yes
            tags: hr
        desks: {}
        """)
    with pytest.raises(FaqError) as caught:
        load_desks(path)
    assert [str(p).replace(str(path), "channels.yaml") for p in caught.value.problems] == [
        "channels.yaml:3: channel C0BAD: 'mode' must be answer, suggest or silent, not 'loud'",
        "channels.yaml:4: channel C0BAD: 'threshold' must be a confidence from 0 to 1, not 2",
        "channels.yaml:5: channel C0BAD: unknown key 'tagz' (did you mean 'tags'?)",
        "channels.yaml:6: channel C0BAD: 'escalation' must be a channel ID (C… or G…), not '#it-triage'",
        "channels.yaml:7: 'it-help' is not a channel ID (C… or G…: the channel's details > About, at the bottom)",
        "channels.yaml:9: channel C0NUM: expected a mapping of name, tags, mode, threshold, escalation,"
        " not the number 3 (quote it to make it text)",
        "channels.yaml:11: channel C0TYPES: 'threshold' must be a number, not the single text 'yes'",
        "channels.yaml:12: channel C0TYPES: 'tags' must be text, not the single text 'hr'",
        "channels.yaml:13: unknown key 'desks' (allowed: channels)",
    ]


@pytest.mark.parametrize("text", ["- C0HR\n", "channels: [C0HR]\n", "channels:\n  C0HR: {mode: answer\n"])
def test_a_file_of_another_shape_is_refused(tmp_path: Path, text: str) -> None:
    with pytest.raises(FaqError, match=r"channels.yaml:\d+: (expected a mapping with a 'channels:'|invalid YAML)"):
        load_desks(write(tmp_path / "channels.yaml", text))


def test_a_tag_no_entry_has_is_a_warning(tmp_path: Path, faq_file: Path) -> None:
    desks = load_desks(write(tmp_path / "channels.yaml", "channels:\n  C0HR:\n    tags: [hr, acounts]\n"))
    [warning] = desks.checked(load_faq(faq_file)).warnings
    assert str(warning) == f"{tmp_path / 'channels.yaml'}:2: channel C0HR: no FAQ entry has the tag 'acounts'" \
                           " (did you mean 'accounts'?)"


def test_the_faq_never_reads_the_channels_file_as_entries(tmp_path: Path, faq_file: Path) -> None:
    write(tmp_path / "channels.yaml", DESKS)
    assert len(load_faq(tmp_path)) == 3  # the folder: faq.yaml only
    write(tmp_path / "teams" / "channels.yaml", DESKS)  # below the FAQ's folder it is not the desks file
    with pytest.raises(FaqError, match="expected a mapping with a 'faqs:' list of entries \\(channels go in"
                                       " channels.yaml in the FAQ's folder\\)"):
        load_faq(tmp_path)


def test_the_bundled_channels_file_is_an_example_that_binds_nothing() -> None:
    assert load_desks(desks_file(REPO / "faq_data")) == ChannelDesks()


def test_validate_checks_the_channels_file_with_the_faq(tmp_path: Path, faq_file: Path) -> None:
    write(tmp_path / "channels.yaml", "channels:\n  C0HR:\n    mode: loud\n")
    result = run("validate", str(tmp_path))
    assert result.exit_code == 1
    assert "channels.yaml:3: channel C0HR: 'mode' must be answer, suggest or silent, not 'loud'" in result.output
    write(tmp_path / "channels.yaml", "channels:\n  C0HR:\n    tags: [hr, payroll]\n")
    result = run("validate", str(tmp_path))
    assert result.exit_code == 0
    assert "channel C0HR: no FAQ entry has the tag 'payroll'" in result.output
    assert result.output.endswith("OK, 3 entries, 7 phrasings, 1 warning(s)\n")


# --- the matcher, answering for a desk --------------------------------------------------------

@pytest.fixture
def matcher(faq_file: Path) -> Matcher:
    return Matcher(load_faq(faq_file), ConceptEncoder(), fused_calibration(channel=0.85, direct=0.6, suggest=0.3))


def test_only_entries_with_the_desks_tags_answer_or_are_suggested(matcher: Matcher) -> None:
    assert matcher.match("pw reset", "direct").entry.id == "reset-password"
    assert matcher.match("pw reset", "direct", frozenset({"accounts"})).entry.id == "reset-password"
    elsewhere = matcher.match("pw reset", "direct", frozenset({"hr"}))
    assert (elsewhere.entry, elsewhere.method) == (None, "none")
    assert all("hr" in s.entry.tags for s in elsewhere.suggestions)
    both = matcher.match("pw reset or vacation", "direct", frozenset({"hr"}))
    assert matcher.match("pw reset or vacation", "direct").entry.id == "reset-password"
    assert (both.entry, [s.entry.id for s in both.suggestions]) == (None, ["request-pto"])


def test_an_entry_outside_the_desk_that_fits_better_keeps_the_answer_back(matcher: Matcher) -> None:
    """Scored among its own entries only, "vpn laptop password" would go to reset-password with
    a wide margin; over every entry, the VPN entry leads, so the accounts desk stays silent."""
    question = "vpn on my laptop, password?"
    assert matcher.match(question, "direct").entry.id == "vpn"
    assert matcher.match(question, "direct", frozenset({"accounts"})).entry is None


def test_a_desk_bar_replaces_the_surfaces(matcher: Matcher) -> None:
    question = "I forgot my password, how do I get back in?"  # not near-verbatim: fuzzy stays out of it
    confidence = matcher.match(question, "channel").confidence
    assert matcher.match(question, "channel").entry is not None
    assert matcher.match(question, "channel", bar=min(confidence + 0.01, 1.0)).entry is None
    assert matcher.match("my passcode?", "channel").entry is None
    assert matcher.match("my passcode?", "channel", bar=0.5).entry.id == "reset-password"


def test_tag_masks_follow_the_faq(matcher: Matcher) -> None:
    assert matcher.tagged(frozenset({"hr"})).tolist() == [False, True, False]
    assert matcher.tagged(frozenset({"hr", "accounts"})).tolist() == [True, True, False]
    assert matcher.tagged(frozenset({"none-such"})).tolist() == [False, False, False]
