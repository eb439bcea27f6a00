import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from faqbot.cli import cli
from tests.conftest import setting_variables, write

REPO = Path(__file__).resolve().parent.parent
COMMANDS = ["serve", "run", "report", "suggest", "validate", "ask", "chat", "eval", "calibrate", "train", "teacher"]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No FAQBOT_* variable or .env file of the developer's may leak into a test.

    These tests are about the CLI, so they run fuzzy-only; the bundled model has its own.
    """
    for name in setting_variables():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FAQBOT_MODEL", "none")
    monkeypatch.setenv("FAQBOT_INDEX_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    result = run(command, "--help")
    assert result.exit_code == 0
    assert f"Usage: cli {command}" in result.output


def test_python_dash_m_runs_the_cli() -> None:
    done = subprocess.run([sys.executable, "-m", "faqbot", "--help"], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0
    assert all(c in done.stdout for c in COMMANDS)


def test_validate_ok(faq_file: Path) -> None:
    result = run("validate", str(faq_file))
    assert result.exit_code == 0
    assert result.output == f"{faq_file}: OK, 3 entries, 7 phrasings\n"


def test_validate_prints_all_problems_and_fails(tmp_path: Path) -> None:
    write(tmp_path / "faqs" / "a.yaml", "faqs:\n  - id: a\n    question: q\n")
    write(tmp_path / "faqs" / "b.yaml", "faqs:\n  - id: a\n    question: q2\n    answr: x\n")
    result = run("validate", str(tmp_path / "faqs"))
    assert result.exit_code == 1
    assert "a.yaml:2: entry 'a': missing required key 'answer'" in result.output
    assert "b.yaml:4: entry 'a': unknown key 'answr' (did you mean 'answer'?)" in result.output


def test_validate_defaults_to_faq_path_from_environment(faq_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAQBOT_FAQ_PATH", str(faq_file))
    assert run("validate").output.startswith(f"{faq_file}: OK")


def test_ask_text(faq_file: Path) -> None:
    result = run("ask", "I forgot my password!", "--faq", str(faq_file))
    assert result.exit_code == 0
    assert "How do I reset my password?  [reset-password, fuzzy 1.00]" in result.output
    assert "Go to the reset page (https://id.example.com/reset)." in result.output


def test_ask_json(faq_file: Path) -> None:
    data = json.loads(run("ask", "<@U1> pw reset pls", "--faq", str(faq_file), "--json").output)
    assert data["method"] == "fuzzy" and data["entry"]["id"] == "reset-password"
    assert data["matched_phrasing"] == "pw reset"
    assert data["normalized"] == "pw reset pls"
    assert {s["id"] for s in data["suggestions"]} <= {"request-pto", "vpn"}


def test_ask_without_an_answer_lists_suggestions(faq_file: Path) -> None:
    data = json.loads(run("ask", "password for the vpn printer", "--faq", str(faq_file), "--json").output)
    assert data["method"] == "none" and data["entry"] is None
    assert len(data["suggestions"]) == 3


def test_threshold_from_environment_changes_the_decision(faq_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    question = ["ask", "forgot my pasword", "--faq", str(faq_file), "--json"]
    assert json.loads(run(*question).output)["method"] == "fuzzy"
    monkeypatch.setenv("FAQBOT_FUZZY_THRESHOLD", "0.99")
    assert json.loads(run(*question).output)["method"] == "none"


def test_invalid_configuration_is_a_usage_error(faq_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAQBOT_FUZZY_THRESHOLD", "7")
    result = CliRunner().invoke(cli, ["ask", "hi", "--faq", str(faq_file)])
    assert result.exit_code == 2
    assert "fuzzy_threshold" in result.output


def test_broken_faq_is_a_clean_error(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.yaml", "faqs:\n  - id: x\n")
    result = CliRunner().invoke(cli, ["ask", "hi", "--faq", str(path)])
    assert result.exit_code == 1
    assert f"{path}:2: entry 'x': missing required key 'question'" in result.output


def test_chat_reads_questions_until_eof(faq_file: Path) -> None:
    result = run("chat", "--faq", str(faq_file), "--fuzzy-threshold", "0.99",
                 input="pw reset\n\ntime off for vacation\n1\n")
    assert result.exit_code == 0
    assert "3 entries" in result.output
    assert result.output.count("[reset-password, fuzzy 1.00]") == 1
    assert "I don't know that one" in result.output
    # "1" shows the first suggestion of the previous question in full.
    assert "How do I request time off?  [request-pto]\n\nUse Workday." in result.output
    assert result.output.rstrip().endswith("bye")


def test_eval_json(faq_file: Path, tmp_path: Path) -> None:
    queries = write(tmp_path / "q.csv", "text,faq_id\nforgot my password,reset-password\n"
                                        "vpn setup on my laptop please,vpn\nwhat is for lunch,\n")
    result = run("eval", "--faq", str(faq_file), "--queries", str(queries), "--json", "--sweep")
    data = json.loads(result.output)
    assert (data["n"], data["n_oos"], data["primary"], data["threshold"]) == (3, 1, "fuzzy", 0.9)
    assert data["top1"] == 1.0 and data["answered_correct"] == 1.0
    assert data["oos_recall"] == 1.0 and data["decision_accuracy"] == 1.0
    assert data["methods"]["fuzzy"] == {"count": 2, "correct": 2}
    assert data["ms_per_query_p50"] > 0 and data["ms_per_query_p99"] >= data["ms_per_query_p50"]
    assert [row["threshold"] for row in data["sweep"]] == [i / 20 for i in range(21)]


def test_eval_calibrate_and_plot(faq_file: Path, tmp_path: Path) -> None:
    queries = write(tmp_path / "q.csv", "text,faq_id\nforgot password,reset-password\nlunch menu,\n")
    plot = tmp_path / "out" / "sweep.png"
    data = json.loads(run("eval", "--faq", str(faq_file), "--queries", str(queries), "--calibrate",
                          str(queries), "--plot", str(plot), "--json").output)
    assert data["decision_accuracy"] == 1.0 and data["calibrated_on"] == str(queries)
    assert plot.read_bytes().startswith(b"\x89PNG")


def test_eval_threshold_and_calibrate_are_exclusive(faq_file: Path, tmp_path: Path) -> None:
    queries = write(tmp_path / "q.csv", "text,faq_id\nhi,\n")
    result = CliRunner().invoke(cli, ["eval", "--faq", str(faq_file), "--queries", str(queries),
                                      "--threshold", "0.5", "--calibrate", str(queries)])
    assert result.exit_code == 2 and "not both" in result.output


def test_eval_bad_queries_file(faq_file: Path, tmp_path: Path) -> None:
    queries = write(tmp_path / "q.csv", "text,faq_id\nhi,nope\n")
    result = CliRunner().invoke(cli, ["eval", "--faq", str(faq_file), "--queries", str(queries)])
    assert result.exit_code == 1 and "faq_id 'nope' is not an entry" in result.output


def test_eval_text_report(faq_file: Path, tmp_path: Path) -> None:
    queries = write(tmp_path / "q.csv", "text,faq_id\nforgot my password,reset-password\n")
    result = run("eval", "--faq", str(faq_file), "--queries", str(queries), "--threshold", "0.5")
    assert "primary fuzzy threshold 0.5" in result.output
    assert "top1               1.000" in result.output


def test_calibrate_on_the_faq(faq_file: Path) -> None:
    data = json.loads(run("calibrate", "--faq", str(faq_file), "--json").output)
    assert data["primary"] == "fuzzy" and data["variable"] == "FAQBOT_FUZZY_THRESHOLD"
    assert data["held_out_queries"] == 14 and 0.0 <= data["threshold"] <= 1.01
    text = run("calibrate", "--faq", str(faq_file)).output
    assert text.startswith(f"FAQBOT_FUZZY_THRESHOLD={data['threshold']:g}\n")


def test_eval_calibrate_on_the_faq(faq_file: Path, tmp_path: Path) -> None:
    queries = write(tmp_path / "q.csv", "text,faq_id\nforgot password,reset-password\n")
    data = json.loads(run("eval", "--faq", str(faq_file), "--queries", str(queries), "--calibrate", "faq",
                          "--json").output)
    expected = json.loads(run("calibrate", "--faq", str(faq_file), "--json").output)["threshold"]
    assert data["calibrated_on"] == "faq" and data["threshold"] == expected


def test_broken_model_is_a_clean_error(faq_file: Path, tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    result = CliRunner().invoke(cli, ["ask", "hi", "--faq", str(faq_file), "--model", str(tmp_path / "m")])
    assert result.exit_code == 1 and "cannot load the model" in result.output and "config.json: missing" in result.output


def test_fuzzy_fallback_can_be_switched_off(faq_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    question = ["ask", "I forgot my password!!", "--faq", str(faq_file), "--json"]
    assert json.loads(run(*question).output)["method"] == "fuzzy"
    assert json.loads(run(*question, "--no-fuzzy-fallback").output)["method"] == "none"
    monkeypatch.setenv("FAQBOT_FUZZY_FALLBACK", "false")
    assert json.loads(run(*question).output)["method"] == "none"


def test_run_without_slack_credentials_is_the_local_chat(faq_file: Path) -> None:
    result = run("run", "--faq", str(faq_file), input="pw reset\n")
    assert result.exit_code == 0
    assert "SLACK_BOT_TOKEN is not set, so this is the local chat" in result.output
    assert "the reset page (https://id.example.com/reset)" in result.output


def test_run_with_a_bot_token_serves_slack(faq_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1-2-3")
    result = run("run", "--faq", str(faq_file))
    assert result.exit_code == 1
    assert "HTTP mode needs SLACK_SIGNING_SECRET" in result.output  # serve's credential check
