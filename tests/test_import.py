"""`faqbot import`: CSV, Rasa and QnA Maker exports made into FAQ YAML that loads, with every
row not imported as its own entry named with its line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from faqbot.cli.main import cli
from faqbot.faq.importing import ImportFileError, read
from faqbot.faq.loading import load_faq
from tests.conftest import write

CSV = """\
question,answer,alternates,tags
How do I reset my password?,Use the reset page.,"I forgot my password|pw reset",accounts
How do I request time off?,Use Workday.,booking vacation days,"hr, leave"
how do I reset my  PASSWORD,Use the reset page.,,
,An answer without a question,,
Where is the office?,,,
Where is the cafeteria?,Floor 2.,"pw reset
lunch place",office
"""


def test_csv_rows_become_entries_and_the_rest_is_accounted_for(tmp_path: Path) -> None:
    source = write(tmp_path / "faq.csv", CSV)
    imported = read("csv", [source])
    assert [(e.id, e.question, e.alternates, e.tags) for e in imported.entries] == [
        ("how-do-i-reset-my-password", "How do I reset my password?", ("I forgot my password", "pw reset"),
         ("accounts",)),
        ("how-do-i-request-time-off", "How do I request time off?", ("booking vacation days",), ("hr", "leave")),
        ("where-is-the-cafeteria", "Where is the cafeteria?", ("lunch place",), ("office",)),
    ]
    assert imported.rows == 6 and imported.notes == [
        f"{source}:4: merged into 'how-do-i-reset-my-password' (the same question as {source}:2)",
        f"{source}:5: skipped: no question (or no words in it)",
        f"{source}:6: skipped: no answer",
        f"{source}:7: phrasing 'pw reset' dropped: entry 'how-do-i-reset-my-password' ({source}:2) has it already",
    ]


def test_a_csv_without_the_columns_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="must name the columns"):
        read("csv", [write(tmp_path / "faq.csv", "q,a\nx,y\n")])


QNA = (
    "\ufeffQuestion\tAnswer\tSource\tMetadata\tSuggestedQuestions\tIsContextOnly\tPrompts\tQnaId\n"
    "How do I reset my password?\tUse the reset page.\thttps://wiki.example.com/pw\tcategory:accounts\t[]\tfalse\t[]\t1\n"
    "I forgot my password\tUse the reset page.\thttps://wiki.example.com/pw\tcategory:accounts\t[]\tfalse\t[]\t1\n"
    "i forgot  my PASSWORD\tUse the reset page.\thttps://wiki.example.com/pw\tcategory:accounts\t[]\tfalse\t[]\t1\n"
    "Hi\tHello!\tqna_chitchat_Friendly.tsv\teditorial:chitchat\t[]\tfalse\t[]\t2\n"
)


def test_a_qna_maker_export_groups_questions_by_pair(tmp_path: Path) -> None:
    imported = read("qna", [write(tmp_path / "kb.tsv", QNA)])
    first, second = imported.entries
    assert (first.id, first.question, first.alternates, first.tags, first.source) == (
        "how-do-i-reset-my-password", "How do I reset my password?", ("I forgot my password",), ("accounts",),
        "https://wiki.example.com/pw")
    assert (second.id, second.answer, second.tags, second.source) == ("hi", "Hello!", ("chitchat",), None)
    assert imported.notes == []  # the repeat in another case is the same phrasing: dropped quietly


NLU = """\
version: "3.1"
nlu:
- intent: faq/ask_wifi
  examples: |
    - How do guests get wifi?
    - guest wifi password
- intent: faq/ask_parking
  examples: |
    - Where do I park?
- intent: greet
  examples: |
    - hello
"""
RESPONSES = """\
responses:
  utter_faq/ask_wifi:
  - text: "Use *Acme-Guest*."
  utter_faq/ask_parking:
  - text: Level -2.
    image: parking.png
"""


def test_rasa_intents_with_their_responses(tmp_path: Path) -> None:
    nlu, responses = write(tmp_path / "nlu.yml", NLU), write(tmp_path / "responses.yml", RESPONSES)
    imported = read("rasa", [nlu, responses])
    assert [(e.id, e.question, e.alternates, e.answer) for e in imported.entries] == [
        ("how-do-guests-get-wifi", "How do guests get wifi?", ("guest wifi password",), "Use *Acme-Guest*."),
        ("where-do-i-park", "Where do I park?", (), "Level -2."),
    ]
    assert imported.notes == [f"{nlu}:10: intent 'greet' skipped: no response utter_greet in the files given"]
    with pytest.raises(ImportFileError, match="no `nlu:` intents"):
        read("rasa", [responses])


def test_the_command_writes_a_faq_that_loads_and_never_overwrites(tmp_path: Path) -> None:
    source = write(tmp_path / "faq.csv", CSV)
    out = tmp_path / "faq_data" / "imported.yaml"
    result = CliRunner().invoke(cli, ["import", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"{out}: 3 entries, 7 phrasings from 6 rows (4 note(s) above)" in result.output
    assert f"note: {source}:6: skipped: no answer" in result.output
    faq = load_faq(out)
    assert faq.by_id["where-is-the-cafeteria"].answer == "Floor 2." and faq.warnings == ()
    again = CliRunner().invoke(cli, ["import", str(source), "--out", str(out)])
    assert again.exit_code == 1 and "exists" in again.output
    unknown = CliRunner().invoke(cli, ["import", str(write(tmp_path / "faq.json", "{}")), "--out", str(tmp_path / "x.yaml")])
    assert unknown.exit_code == 2 and "give --format" in unknown.output
