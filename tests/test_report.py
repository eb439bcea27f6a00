"""Admin reports from seeded records: stats, unanswered groups, the chart, `faqbot report`
and `faqbot suggest`."""

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from faqbot.cli.main import cli
from faqbot.config import BUNDLED_MODEL
from faqbot.faq.loading import load_faq
from faqbot.insights.report import GROUP_COSINE, PeriodError, parse_period, stats, unanswered_groups
from faqbot.matching.encoder import LstmEncoder
from faqbot.matching.matcher import Matcher
from faqbot.matching.normalize import normalize
from faqbot.store.interface import PENDING, Choice, Feedback, Proposal, Question
from faqbot.store.sql import SqlStore
from faqbot.insights.suggest import as_yaml, learnt_alternates
from tests.conftest import EPOCH, fused_calibration, setting_variables

NOW = datetime.now(UTC)


def asked(text: str, entry_id: str | None, method: str = "semantic", days_ago: float = 0, **extra: object) -> Question:
    answered = extra.pop("answered", entry_id is not None)
    at = extra.pop("at", NOW - timedelta(days=days_ago))
    user = str(extra.pop("user", "U1"))
    return Question(normalized=normalize(text), surface="channel", user=user,
                    entry_id=entry_id, score=0.9 if entry_id else 0.2, method=method if entry_id else "none",
                    answered=answered, at=at, **extra)


@pytest.fixture
def seeded(store: SqlStore) -> SqlStore:
    """Two days of use: answers, a silent-channel match, unanswered questions, feedback, a pick."""
    rows = [
        asked("How do I reset my password?", "reset-password", days_ago=1),
        asked("forgot my password again", "reset-password", days_ago=1),
        asked("vpn setup on my laptop", "vpn", method="fuzzy", days_ago=0),
        asked("how do I request time off", "request-pto", answered=False, days_ago=0),  # silent channel
        asked("where is the cafeteria?", None, days_ago=0),
        asked("where's the cafeteria", None, days_ago=1),
        asked("cafeteria location?", None, days_ago=0),
        asked("what is the wifi password for guests", None, days_ago=0),
        asked("very old question", None, days_ago=30),
    ]
    for row in rows:
        store.record_question(row)
    store.record_feedback(Feedback(rows[0].id, "reset-password", "U2", True))
    store.record_feedback(Feedback(rows[1].id, "reset-password", "U3", False))
    store.record_feedback(Feedback(rows[2].id, "vpn", "U3", True))
    store.record_choice(Choice(rows[7].id, "reset-password", "U1"))
    return store


def test_periods() -> None:
    assert parse_period("7d") == timedelta(days=7)
    assert parse_period("24h") == timedelta(hours=24)
    assert parse_period(" 2W ") == timedelta(weeks=2)
    for bad in ("7", "0d", "7x", "-1d", "week"):
        with pytest.raises(PeriodError, match="24h, 7d or 2w"):
            parse_period(bad)


def test_stats_count_questions_methods_feedback_and_entries(seeded: SqlStore) -> None:
    usage = stats(seeded, NOW - timedelta(days=7))
    assert usage.questions == 8  # the 30-day-old one is outside the period
    assert usage.by_method == {"semantic": 2, "fuzzy": 1, "none": 5}  # the silent match was not answered
    assert (usage.answered, usage.answer_rate) == (3, 3 / 8)
    assert (usage.helpful, usage.not_helpful, usage.helpful_rate) == (2, 1, 2 / 3)
    assert usage.top_entries == [("reset-password", 2), ("vpn", 1)]
    assert usage.most_unhelpful == [("reset-password", 1)]
    assert [d.questions for d in usage.days] == [3, 5]  # yesterday, today
    assert sum(d.helpful for d in usage.days) == 2


def test_stats_of_an_empty_period(store: SqlStore) -> None:
    usage = stats(store, NOW - timedelta(days=7))
    assert (usage.questions, usage.answer_rate, usage.helpful_rate, usage.days) == (0, None, None, [])


@pytest.mark.parametrize("encoder", [LstmEncoder.load(BUNDLED_MODEL), None], ids=["bundled-lstm", "fuzzy"])
def test_unanswered_and_unhelpful_questions_group_by_similarity(seeded: SqlStore, encoder: object) -> None:
    groups = unanswered_groups(seeded, NOW - timedelta(days=7), encoder)
    assert [g.count for g in groups] == [3, 1, 1]
    cafeteria, *rest = groups
    assert (cafeteria.unanswered, cafeteria.not_helpful) == (3, 0)
    assert set(cafeteria.examples) == {"where is the cafeteria", "wheres the cafeteria", "cafeteria location"}
    assert {g.examples[0] for g in rest} == {"forgot my password again", "what is the wifi password for guests"}
    assert [g.not_helpful for g in rest if g.examples[0] == "forgot my password again"] == [1]


def test_the_grouping_cosine_is_configurable(seeded: SqlStore) -> None:
    encoder = LstmEncoder.load(BUNDLED_MODEL)
    start = NOW - timedelta(days=7)
    assert GROUP_COSINE < 1.0
    assert [g.count for g in unanswered_groups(seeded, start, encoder, cosine=GROUP_COSINE)] == [3, 1, 1]
    # Nothing is that close (a wording repeated verbatim would be): every question alone.
    assert [g.count for g in unanswered_groups(seeded, start, encoder, cosine=1.01)] == [1] * 5
    # Anything is: one group of all five.
    assert [g.count for g in unanswered_groups(seeded, start, encoder, cosine=-1.01)] == [5]


def test_report_chart_is_written(seeded: SqlStore, tmp_path: Path) -> None:
    from faqbot.plot import plot_report

    path = tmp_path / "charts" / "report.png"
    plot_report(stats(seeded, NOW - timedelta(days=7)), path, "test")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000


def test_suggest_proposes_picked_and_helpful_wordings_the_faq_lacks(seeded: SqlStore, faq_file: Path,
                                                                 tmp_path: Path) -> None:
    faq = load_faq(faq_file)
    [proposal] = learnt_alternates(seeded, faq, EPOCH)
    # "How do I reset my password?" was rated helpful but is the entry's own question: not proposed.
    assert proposal.entry_id == "reset-password"
    assert proposal.phrasings == [("what is the wifi password for guests", 1)]
    snippet = as_yaml(proposal)
    assert snippet.startswith("# reset-password (") and "confirmed 1×" in snippet
    # An admin pastes the alternates into the entry: the FAQ stays valid and now answers it.
    [parsed] = YAML(typ="safe").load(snippet)
    document = YAML(typ="safe").load(faq_file.read_text())
    document["faqs"][0]["alternates"] += parsed["alternates"]
    edited = tmp_path / "edited.yaml"
    YAML().dump(document, edited)
    question = "what is the wifi password for guests"
    assert Matcher(faq, calibration=fused_calibration()).match(question, "channel").entry is None
    match = Matcher(load_faq(edited), calibration=fused_calibration()).match(question, "channel")
    assert match.entry is not None and match.entry.id == "reset-password" and match.phrasing == question


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, seeded: SqlStore, faq_file: Path, tmp_path: Path) -> None:
    for name in setting_variables():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FAQBOT_DATABASE_URL", str(seeded.engine.url))
    monkeypatch.setenv("FAQBOT_FAQ_PATH", str(faq_file))
    monkeypatch.setenv("FAQBOT_MODEL", "none")


def test_report_command_text_json_and_plot(cli_env: None, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["report", "--since", "7d", "--plot", str(tmp_path / "r.png")])
    assert result.exit_code == 0, result.output
    assert "questions      8" in result.output and "answered       3 (38%): semantic 2, fuzzy 1" in result.output
    assert "1. 3× (3 unanswered, 0 not helpful)" in result.output
    assert (tmp_path / "r.png").exists() and f"chart written to {tmp_path / 'r.png'}" in result.output
    data = json.loads(runner.invoke(cli, ["report", "--json", "--since", "30d"]).stdout)
    assert data["questions"] == 8 and data["unanswered_groups"][0]["count"] == 3
    data = json.loads(runner.invoke(cli, ["report", "--json", "--since", "31d"]).stdout)
    assert data["questions"] == 9
    bad = runner.invoke(cli, ["report", "--since", "soon"])
    assert bad.exit_code == 2 and "24h, 7d or 2w" in bad.output


def test_report_and_proposals_keep_to_one_workspace_with_team(cli_env: None, seeded: SqlStore) -> None:
    seeded.record_question(asked("vpn please", "vpn", team_id="T0A"))
    seeded.record_question(asked("where is the canteen", None, team_id="T0A"))
    seeded.add_proposal(Proposal("entry", "canteen", "Floor 2.", "Where is the canteen?", team_id="T0A"))
    seeded.add_proposal(Proposal("entry", "parking", "Level -2.", "Where do I park?", team_id="T0B"))
    runner = CliRunner()
    one = json.loads(runner.invoke(cli, ["report", "--json", "--team", "T0A"]).stdout)
    assert (one["questions"], one["answered"]) == (2, 1)
    assert [g["examples"] for g in one["unanswered_groups"]] == [["where is the canteen"]]
    assert json.loads(runner.invoke(cli, ["report", "--json"]).stdout)["questions"] == 10  # every workspace's
    listed = runner.invoke(cli, ["proposals", "--team", "T0B"])
    assert listed.exit_code == 0 and "id: parking" in listed.output and "canteen" not in listed.output


def test_a_plot_goes_into_a_new_folder_or_says_why_it_cannot(cli_env: None, tmp_path: Path) -> None:
    assert CliRunner().invoke(cli, ["report", "--plot", str(tmp_path / "new" / "r.png")]).exit_code == 0
    assert (tmp_path / "new" / "r.png").exists()
    (tmp_path / "file").write_text("a file, not a folder")
    result = CliRunner().invoke(cli, ["report", "--plot", str(tmp_path / "file" / "r.png")])
    assert result.exit_code == 2 and f"cannot make folder {tmp_path / 'file'}: File exists" in result.output


def test_suggest_command_prints_yaml(cli_env: None) -> None:
    result = CliRunner().invoke(cli, ["suggest"])
    assert result.exit_code == 0, result.output
    assert "# 1 new phrasings for 1 entries" in result.output
    assert "- what is the wifi password for guests  # confirmed 1×" in result.output


def test_suggest_counts_a_question_once_and_keeps_long_phrasings_on_one_line(store: SqlStore, faq_file: Path) -> None:
    long = "my laptop keeps asking me for a new password every single morning after the update " * 2
    question = asked(long, "reset-password")
    store.record_question(question)
    store.record_choice(Choice(question.id, "reset-password", "U1"))
    store.record_feedback(Feedback(question.id, "reset-password", "U1", True))  # the same confirmation again
    [proposal] = learnt_alternates(store, load_faq(faq_file), EPOCH)
    assert proposal.phrasings == [(normalize(long), 1)]
    [parsed] = YAML(typ="safe").load(as_yaml(proposal))
    assert parsed["alternates"] == [normalize(long)]


def test_suggest_counts_people_who_asked_not_clicks_or_bystanders(store: SqlStore, faq_file: Path) -> None:
    wording = "cannot get into my account after the holidays"
    for _ in range(3):  # one person asks three times and picks each time
        question = asked(wording, None, user="U1")
        store.record_question(question)
        store.record_choice(Choice(question.id, "reset-password", "U1"))
    other = asked(wording, None, user="U2")
    store.record_question(other)
    store.record_feedback(Feedback(other.id, "reset-password", "U2", True))
    for bystander in ("U7", "U8", "U9"):  # someone else's 👍 says the answer helped them, not what U1 meant
        store.record_feedback(Feedback(question.id, "vpn", bystander, True))
    [proposal] = learnt_alternates(store, load_faq(faq_file), EPOCH)
    assert (proposal.entry_id, proposal.phrasings) == ("reset-password", [(normalize(wording), 2)])


def test_times_in_other_zones_are_stored_and_compared_as_instants(store: SqlStore) -> None:
    pacific = timezone(timedelta(hours=-8))
    at = datetime.now(pacific) - timedelta(minutes=30)
    store.record_question(asked("vpn setup on my laptop", "vpn", at=at))
    [back] = store.questions(datetime.now(pacific) - timedelta(hours=1))
    assert back.at == at and back.at.tzinfo == UTC
    assert store.questions(datetime.now(pacific) - timedelta(minutes=10)) == []


def test_recorded_questions_are_encoded_once_across_reports() -> None:
    """The Home tab groups mostly what it grouped at its last open: only new texts are encoded."""
    from faqbot.insights.report import RememberedEncodings

    encoder = LstmEncoder.load(BUNDLED_MODEL)
    asked: list[list[str]] = []

    class Counting:
        name, dim = encoder.name, encoder.dim

        def encode(self, texts):
            asked.append(list(texts))
            return encoder.encode(texts)

    remembered = RememberedEncodings(size=3)
    first = remembered.encode(Counting(), ["vpn setup", "pw reset", "vpn setup"])
    second = remembered.encode(Counting(), ["pw reset", "parking", "vpn setup"])
    assert asked == [["vpn setup", "pw reset"], ["parking"]]
    assert np.allclose(second, encoder.encode(["pw reset", "parking", "vpn setup"]), atol=1e-6)
    assert np.array_equal(first[0], first[2])
    remembered.encode(Counting(), ["wifi"])  # the oldest ("pw reset" was used before "parking") goes
    remembered.encode(Counting(), ["pw reset"])
    assert asked[-1] == ["pw reset"]


def test_suggest_files_its_alternates_for_review_once(cli_env: None, seeded: SqlStore) -> None:
    result = CliRunner().invoke(cli, ["suggest", "--propose"])
    assert result.exit_code == 0, result.output
    assert "1 proposal(s) filed for review in the App Home" in result.output
    [proposal] = seeded.proposals((PENDING,), 10)
    assert (proposal.kind, proposal.entry_id, proposal.alternates, proposal.origin) == \
        ("alternates", "reset-password", ("what is the wifi password for guests",), "suggest")
    again = CliRunner().invoke(cli, ["suggest", "--propose"])
    assert "0 proposal(s) filed" in again.output and len(seeded.proposals((PENDING,), 10)) == 1
