import dataclasses
import datetime as dt
import os
from pathlib import Path

import pytest

from faqbot.faq.loading import load_faq
from faqbot.faq.schema import FaqError
from faqbot.matching.normalize import normalize
from tests.conftest import SMALL_FAQ, write

REPO = Path(__file__).resolve().parent.parent


def problems(path: Path) -> list[str]:
    with pytest.raises(FaqError) as info:
        load_faq(path)
    return [str(p) for p in info.value.problems]


def test_loads_entries_in_order_with_phrasings(faq_file: Path) -> None:
    faq = load_faq(faq_file)
    assert [e.id for e in faq.entries] == ["reset-password", "request-pto", "vpn"]
    entry = faq.by_id["reset-password"]
    assert entry.phrasings == ("How do I reset my password?", "I forgot my password", "pw reset")
    assert entry.tags == ("accounts",)
    assert entry.location == f"{faq_file}:2"
    assert faq.by_id["vpn"].tags == ()


def test_folder_merges_files_sorted_by_name(tmp_path: Path) -> None:
    write(tmp_path / "b.yml", "faqs:\n  - {id: b, question: second file, answer: B}\n")
    write(tmp_path / "sub" / "c.yaml", "faqs:\n  - {id: c, question: nested file, answer: C}\n")
    write(tmp_path / "a.yaml", "faqs:\n  - {id: a, question: first file, answer: A}\n")
    write(tmp_path / "notes.txt", "not yaml")
    assert [e.id for e in load_faq(tmp_path).entries] == ["a", "b", "c"]


def test_invalid_yaml_reports_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path / "faq.yaml", "faqs:\n  - id: x\n    question: [unclosed\n    answer: y\n")
    [message] = problems(path)
    assert message.startswith(f"{path}:4: invalid YAML")
    assert "started at line 3" in message


def test_duplicate_key_in_an_entry_is_invalid_yaml(tmp_path: Path) -> None:
    path = write(tmp_path / "faq.yaml", "faqs:\n  - id: x\n    id: y\n    question: q\n    answer: a\n")
    [message] = problems(path)
    assert message.startswith(f"{path}:3: invalid YAML") and 'duplicate key "id"' in message


def test_missing_and_empty_fields(tmp_path: Path) -> None:
    path = write(
        tmp_path / "faq.yaml",
        """\
        faqs:
          - id: no-answer
            question: Where is the office?
          - id: empty-question
            question: "   "
            answer: here
          - id: empty-alternate
            question: q
            alternates:
              - fine
              - ""
            answer: a
        """,
    )
    assert problems(path) == [
        f"{path}:2: entry 'no-answer': missing required key 'answer'",
        f"{path}:5: entry 'empty-question': 'question' is empty",
        f"{path}:11: entry 'empty-alternate': 'alternates' item 2 is empty",
    ]


def test_wrong_types(tmp_path: Path) -> None:
    path = write(
        tmp_path / "faq.yaml",
        """\
        faqs:
          - id: numbers
            question: 42
            answer: [a, list]
            tags: accounts
          - just a string
          - id: Not A Slug
            question: q
            answer: a
        """,
    )
    assert problems(path) == [
        f"{path}:3: entry 'numbers': 'question' must be text, not the number 42 (quote it to make it text)",
        f"{path}:4: entry 'numbers': 'answer' must be text, not a list",
        f"{path}:5: entry 'numbers': 'tags' must be a list of texts, not the single text 'accounts'",
        f"{path}:6: entry #2 must be a mapping with id, question and answer",
        f"{path}:7: entry 'Not A Slug': 'id' must be a slug of lowercase letters, digits, '-' or '_' (got 'Not A Slug')",
    ]


def test_file_without_faqs_list(tmp_path: Path) -> None:
    assert problems(write(tmp_path / "a.yaml", "- just\n- a list\n")) == [
        f"{tmp_path / 'a.yaml'}:1: expected a mapping with a 'faqs:' list of entries"
    ]
    assert problems(write(tmp_path / "b.yaml", "faqs: nope\n")) == [
        f"{tmp_path / 'b.yaml'}:1: 'faqs' must be a list of entries"
    ]


def test_unknown_keys_get_a_did_you_mean_hint(tmp_path: Path) -> None:
    path = write(
        tmp_path / "faq.yaml",
        """\
        faqs:
          - id: typo
            question: q
            anwser: a
            colour: red
        faq: []
        """,
    )
    assert problems(path) == [
        f"{path}:2: entry 'typo': missing required key 'answer'",
        f"{path}:4: entry 'typo': unknown key 'anwser' (did you mean 'answer'?)",
        f"{path}:5: entry 'typo': unknown key 'colour' (allowed: id, question, alternates, answer, tags, owner, source, reviewed)",
        f"{path}:6: unknown key 'faq' (did you mean 'faqs'?)",
    ]


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", "faqs:\n  - {id: vpn, question: How do I set up the VPN, answer: A}\n")
    write(tmp_path / "b.yaml", "faqs:\n  - id: other\n    question: x\n    answer: y\n  - {id: vpn, question: VPN down, answer: B}\n")
    assert problems(tmp_path) == [
        f"{tmp_path / 'b.yaml'}:5: entry 'vpn': duplicate id (first defined at {tmp_path / 'a.yaml'}:2)"
    ]


def test_same_phrasing_in_two_entries_after_normalisation(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", "faqs:\n  - id: a\n    question: I forgot my password\n    answer: A\n")
    write(
        tmp_path / "b.yaml",
        """\
        faqs:
          - id: b
            question: Account locked
            alternates:
              - "  i FORGOT my password!! "
              - locked out
              - Locked out?
            answer: B
          - id: c
            question: ":wave: <@U1>"
            answer: C
        """,
    )
    assert problems(tmp_path) == [
        f"{tmp_path / 'b.yaml'}:5: entry 'b': phrasing 'i FORGOT my password!!' is also a phrasing of entry 'a' "
        f"({tmp_path / 'a.yaml'}:2)",
        f"{tmp_path / 'b.yaml'}:10: entry 'c': phrasing ':wave: <@U1>' has no words to match",
    ]


@pytest.mark.parametrize("fast", [True, False])
def test_phrasings_repeated_in_one_entry_are_dropped_with_a_warning(tmp_path: Path, fast: bool) -> None:
    """Exports repeat phrasings that differ only in case or spacing: the FAQ loads without
    them, and each is named (both parsers: `fast` leaves the file valid, else another file
    is broken and fixed, which sends the first load through ruamel)."""
    path = write(
        tmp_path / "faq.yaml",
        """\
        faqs:
          - id: locked
            question: Account locked
            alternates:
              - locked out
              - "Locked  OUT"
              - account locked.
              - I am locked out of my account
            answer: B
        """,
    )
    if not fast:
        write(tmp_path / "broken.yaml", "faqs: [\n")
        problems(tmp_path)
        (tmp_path / "broken.yaml").unlink()
    faq = load_faq(tmp_path)
    assert faq.by_id["locked"].phrasings == ("Account locked", "locked out", "I am locked out of my account")
    assert faq.normalized == [normalize(p) for p in faq.by_id["locked"].phrasings]
    assert [str(w) for w in faq.warnings] == [
        f"{path}:6: entry 'locked': phrasing 'Locked  OUT' repeats 'locked out' once case and spacing are ignored: dropped",
        f"{path}:7: entry 'locked': phrasing 'account locked.' repeats 'Account locked' once case and spacing are"
        " ignored: dropped",
    ]


def test_owner_source_and_reviewed_are_read_and_checked(tmp_path: Path) -> None:
    path = write(
        tmp_path / "faq.yaml",
        """\
        faqs:
          - id: vpn
            question: How do I connect to the VPN?
            answer: Install GlobalProtect.
            owner: [U024BE7LH, S0614TZR7]
            source: https://wiki.example.com/vpn
            reviewed: 2026-03-01
          - id: pto
            question: How do I request time off?
            answer: Use Workday.
            owner: W012A3CDE
            reviewed: "2025-12-24"
        """,
    )
    faq = load_faq(path)
    vpn, pto = faq.by_id["vpn"], faq.by_id["pto"]
    assert (vpn.owners, vpn.source, vpn.reviewed) == (("U024BE7LH", "S0614TZR7"), "https://wiki.example.com/vpn",
                                                        dt.date(2026, 3, 1))
    assert (pto.owners, pto.source, pto.reviewed) == (("W012A3CDE",), None, dt.date(2025, 12, 24))
    bad = write(
        tmp_path / "bad.yaml",
        """\
        faqs:
          - id: vpn
            question: How do I connect to the VPN?
            answer: Install GlobalProtect.
            owner: alice
            source: wiki/vpn
            reviewed: 2026-03-01 10:00:00
          - id: pto
            question: How do I request time off?
            answer: Use Workday.
            reviewed: last week
        """,
    )
    found = problems(bad)
    assert len(found) == 4, found
    assert found[0].startswith(f"{bad}:5: entry 'vpn': 'owner' item 1 must be a Slack user or user-group ID")
    assert found[1].startswith(f"{bad}:6: entry 'vpn': 'source' must be a link")
    assert found[2] == f"{bad}:7: entry 'vpn': 'reviewed' must be a date (2026-03-01), without a time"
    assert found[3] == f"{bad}:11: entry 'pto': 'reviewed' must be a date written 2026-03-01, not 'last week'"


def test_every_problem_of_every_file_is_reported(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", "faqs:\n  - id: a\n    question: q\n")
    write(tmp_path / "b.yaml", "faqs: [\n")
    write(tmp_path / "c.yaml", SMALL_FAQ.replace("answer: Use Workday.", "answer: ''"))
    found = problems(tmp_path)
    assert [m.split(":")[0] for m in found] == [str(tmp_path / n) for n in ("a.yaml", "b.yaml", "c.yaml")]


def test_missing_path_and_empty_folder(tmp_path: Path) -> None:
    assert problems(tmp_path / "nope.yaml") == [f"{tmp_path / 'nope.yaml'}: no such file or folder"]
    assert problems(tmp_path) == [f"{tmp_path}: folder holds no .yaml or .yml files"]
    write(tmp_path / "empty.yaml", "faqs: []\n")
    assert problems(tmp_path) == [f"{tmp_path}: no FAQ entries found"]


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "latin.yaml"
    path.write_bytes("faqs:\n  - {id: a, question: caf\xe9, answer: b}\n".encode("latin-1"))
    [message] = problems(path)
    assert message.startswith(f"{path}: not UTF-8 text")


def test_bundled_sample_faq_is_valid_and_realistic() -> None:
    faq = load_faq(REPO / "faq_data")
    assert len(faq) >= 40
    assert all(len(e.alternates) >= 3 for e in faq.entries)
    topics = {e.tags[0] for e in faq.entries if e.tags}
    assert {"accounts", "laptops", "vpn", "hr", "expenses", "dev-tooling", "on-call", "slack"} <= topics
    phrasings = [normalize(p) for e in faq.entries for p in e.phrasings]
    assert len(phrasings) == len(set(phrasings))


# --- YAML features and deploy layouts --------------------------------------------------------

def test_merge_keys_inherit_fields_and_errors_point_at_the_entry(tmp_path: Path) -> None:
    base = "faqs:\n  - &base\n    id: base\n    question: Where is the office?\n    answer: Floor 3.\n    tags: [office]\n"
    path = write(tmp_path / "faq.yaml", base + "  - <<: *base\n    id: parking\n    question: Where do I park?\n")
    parking = load_faq(path).by_id["parking"]
    assert (parking.question, parking.answer, parking.tags) == ("Where do I park?", "Floor 3.", ("office",))
    same = write(tmp_path / "same.yaml", base + "  - <<: *base\n    id: copy\n")  # inherits the question too
    assert problems(same) == [f"{same}:7: entry 'copy': phrasing 'Where is the office?' is also a phrasing of"
                              f" entry 'base' ({same}:2)"]
    broken = "faqs:\n  - &base {id: base, question: Hi there?, answer: 42}\n  - <<: *base\n    id: copy\n"
    assert problems(write(tmp_path / "broken.yaml", broken)) == [
        f"{tmp_path / 'broken.yaml'}:2: entry 'base': 'answer' must be text, not the number 42 (quote it to make it text)",
        f"{tmp_path / 'broken.yaml'}:3: entry 'copy': 'answer' must be text, not the number 42 (quote it to make it text)",
    ]


def test_nesting_hundreds_deep_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    # deeper than Python's recursion limit lets ruamel compose (about 490 levels); ruamel's
    # scanner takes time growing with the square of the depth, so not deeper (3,000: 70 s)
    path = write(tmp_path / "faq.yaml", "faqs: " + "[" * 600 + "]" * 600 + "\n")
    assert problems(path) == [f"{path}: nested too deeply to read (an FAQ entry is a flat mapping)"]


def test_hidden_files_and_folders_are_not_read(tmp_path: Path) -> None:
    write(tmp_path / "faq.yaml", "faqs:\n  - {id: a, question: Real question?, answer: A}\n")
    write(tmp_path / ".github" / "workflows" / "ci.yaml", "on: push\njobs: {}\n")
    write(tmp_path / ".pre-commit-config.yaml", "repos: []\n")
    faq = load_faq(tmp_path)
    assert [e.id for e in faq.entries] == ["a"] and faq.warnings == ()


def test_symlinks_are_followed_and_upper_case_suffixes_read(tmp_path: Path) -> None:
    write(tmp_path / "shared" / "hr.yml", "faqs:\n  - {id: hr, question: Who is in HR?, answer: Ann}\n")
    write(tmp_path / "faq" / "IT.YAML", "faqs:\n  - {id: it, question: Who is in IT?, answer: Bob}\n")
    (tmp_path / "faq" / "hr").symlink_to(tmp_path / "shared")
    assert [e.id for e in load_faq(tmp_path / "faq").entries] == ["it", "hr"]


def test_dangling_and_looping_links_are_skipped_and_named(tmp_path: Path) -> None:
    write(tmp_path / "faq.yaml", "faqs:\n  - {id: a, question: Real question?, answer: A}\n")
    (tmp_path / "gone.yaml").symlink_to(tmp_path / "missing.yaml")
    (tmp_path / "loop").symlink_to(tmp_path)
    faq = load_faq(tmp_path)
    assert [e.id for e in faq.entries] == ["a"]
    assert sorted(str(w) for w in faq.warnings) == [
        f"{tmp_path / 'gone.yaml'}: skipped: symlink to {tmp_path / 'missing.yaml'}, which does not exist",
        f"{tmp_path / 'loop'}: skipped: a link back to a folder already read",
    ]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every folder, so none can be made unreadable")
def test_an_unreadable_folder_is_skipped_and_named(tmp_path: Path) -> None:
    write(tmp_path / "faq.yaml", "faqs:\n  - {id: a, question: Real question?, answer: A}\n")
    locked = tmp_path / "locked"
    write(locked / "more.yaml", "faqs: []\n")
    locked.chmod(0)
    try:
        assert [str(w) for w in load_faq(tmp_path).warnings] == [
            f"{locked}: skipped: cannot read this folder (Permission denied)"]
    finally:
        locked.chmod(0o755)


def test_a_dangling_faq_path_says_where_it_points(tmp_path: Path) -> None:
    (tmp_path / "current").symlink_to(tmp_path / "releases" / "v9")
    assert problems(tmp_path / "current") == [f"{tmp_path / 'current'}: symlink to {tmp_path / 'releases' / 'v9'}, which does not exist"]


# --- the fast path: libyaml for a valid FAQ, ruamel for problems -------------------------------

TRICKY = """\
# comments, anchors, merge keys, flow and block styles, YAML 1.2 types
defaults: &defaults
faqs:
  - &office
    id: office
    question: Where is the office?
    answer: >
      Floor 3,
      by the lifts.
    tags: [office, "building"]
  - <<: *office
    id: parking
    question: 'Where do I park?'
    alternates:
      - car park
      - "bike racks?"   # quoted
  - {id: yes-no, question: yes, answer: no, alternates: [on, off, '12:30', "0x1F is hex"]}
  - id: long
    question: |
      A question
      on two lines?
    answer: "Tabs\\tand unicode: café ✓"
"""


@pytest.mark.parametrize("layout", ["sample", "tricky", "folder"])
def test_the_fast_path_loads_what_ruamel_loads(tmp_path: Path, layout: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if layout == "sample":
        path = REPO / "faq_data"
    elif layout == "tricky":
        path = write(tmp_path / "faq.yaml", TRICKY.replace("defaults: &defaults\n", ""))
    else:
        path = tmp_path / "faq"
        write(path / "a.yaml", TRICKY.replace("defaults: &defaults\n", ""))
        write(path / "b" / "c.yml", SMALL_FAQ)
    fast = load_faq(path)
    from faqbot.faq import loading

    monkeypatch.setattr(loading, "_load_fast", lambda *args: None)
    careful = load_faq(path)
    assert fast == careful and len(fast) >= 4
    if layout == "tricky":
        assert fast.by_id["yes-no"].question == "yes" and fast.by_id["yes-no"].alternates[:3] == ("on", "off", "12:30")
        assert fast.by_id["parking"].answer == "Floor 3, by the lifts." and fast.by_id["parking"].location.endswith(":10")


@pytest.mark.parametrize("text, expected", [
    ("faqs:\n  - id: a\n    id: b\n    question: Q?\n    answer: A.\n", 'duplicate key "id"'),
    ("faqs:\n  - id: a\n    question: 2024-01-01\n    answer: A.\n", "'question' must be text, not date"),
    ("faqs:\n  - id: a\n    question: !custom Q?\n    answer: A.\n", "'question'"),
    ("faqs:\n  - id: a\n    question: Q?\n    answer: A.\nfaqs: []\n", 'duplicate key "faqs"'),
])
def test_what_ruamel_refuses_the_fast_path_does_not_accept(tmp_path: Path, text: str, expected: str) -> None:
    [problem] = problems(write(tmp_path / "faq.yaml", text))
    assert expected in problem, problem


def test_a_reload_parses_only_the_files_that_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from faqbot.faq import loading

    folder = tmp_path / "faq"
    write(folder / "a.yaml", SMALL_FAQ)
    write(folder / "b.yaml", "faqs:\n  - {id: parking, question: Where do I park?, answer: Level -1.}\n")
    read: list[str] = []
    fast = loading._load_file_fast
    monkeypatch.setattr(loading, "_load_file_fast", lambda file: read.append(file.name) or fast(file))
    first = load_faq(folder)
    write(folder / "b.yaml", "faqs:\n  - {id: parking, question: Where can I park?, answer: Level -2.}\n")
    second = load_faq(folder, previous=first)
    assert read == ["a.yaml", "b.yaml", "b.yaml"]
    assert second.by_id["parking"].answer == "Level -2." and second.entries[:3] == first.entries[:3]
    (folder / "a.yaml").unlink()
    third = load_faq(folder, previous=second)
    assert [e.id for e in third.entries] == ["parking"] and len(third.files) == 1
    assert read == ["a.yaml", "b.yaml", "b.yaml"]  # b.yaml unchanged since: not parsed again


def test_a_restart_reads_valid_files_parsed_from_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from faqbot.faq import loading

    faq = write(tmp_path / "faq" / "a.yaml", SMALL_FAQ)
    cache = tmp_path / "cache"
    first = load_faq(faq.parent, cache=cache)
    [kept] = cache.glob("faq-*.json")
    parsed: list[str] = []
    fast = loading._load_file_fast
    monkeypatch.setattr(loading, "_load_file_fast", lambda file, data=None: parsed.append(file.name) or fast(file, data))
    moved = write(tmp_path / "moved" / "b.yaml", SMALL_FAQ)  # the same bytes elsewhere: the same parse
    again = load_faq(moved.parent, cache=cache)
    same = [dataclasses.replace(e, location=e.location.replace(str(faq), str(moved))) for e in first.entries]
    assert parsed == [] and list(again.entries) == same and again.normalized == first.normalized
    assert again.by_id["vpn"].location == f"{moved}:15"
    kept.write_text("[[1, 2]", encoding="utf-8")  # cut short
    assert load_faq(faq.parent, cache=cache).entries == first.entries and parsed == ["a.yaml"]
    write(faq, SMALL_FAQ.replace("Install GlobalProtect.", "Install the VPN client."))
    assert load_faq(faq.parent, cache=cache).by_id["vpn"].answer == "Install the VPN client."
    assert parsed == ["a.yaml", "a.yaml"]
    assert len(list(cache.glob("faq-*.json"))) == 1  # a start keeps only what its FAQ is made of
