import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from faqbot.cli.main import cli
from faqbot.config import BUNDLED_MODEL
from faqbot.evaluate import PREDICTION_COLUMNS
from faqbot.matching.decision import Calibration
from tests.conftest import fused_calibration, setting_variables, write

REPO = Path(__file__).resolve().parent.parent
COMMANDS = ["serve", "run", "report", "suggest", "proposals", "import", "validate", "ask", "chat", "eval", "calibrate", "train",
            "teacher"]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No FAQBOT_* variable or .env file of the developer's may leak into a test.

    These tests are about the CLI, so they run without encoder (n-grams and fuzzy); the
    bundled model has its own. Beside the FAQ (`faq_file`, in tmp_path) lies a calibration
    for that pipeline whose confidence rises with the fused score alone: direct bar 0.6
    (fused 0.54), channel bar 0.9 (fused 0.72).
    """
    for name in setting_variables():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FAQBOT_MODEL", "none")
    monkeypatch.setenv("FAQBOT_INDEX_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    fused_calibration().save(tmp_path / "calibration.json")


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


def test_validate_names_skipped_paths_and_answers_too_long_for_slack(tmp_path: Path) -> None:
    long_answer = "".join(f"      {'x' * 2_999}\n" for _ in range(60))  # 60 lines of a block scalar
    write(tmp_path / "faqs" / "a.yaml", f"faqs:\n  - id: long\n    question: Long?\n    answer: |\n{long_answer}")
    write(tmp_path / "faqs" / "b.yaml", f"faqs:\n  - id: wide\n    question: Wide?\n    answer: {'y' * 4_000}\n")
    (tmp_path / "faqs" / "old.yaml").symlink_to(tmp_path / "nowhere.yaml")
    result = run("validate", str(tmp_path / "faqs"))
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("OK, 2 entries, 2 phrasings, 3 warning(s)\n")
    assert result.stderr.splitlines() == [
        f"warning: {tmp_path / 'faqs' / 'old.yaml'}: skipped: symlink to {tmp_path / 'nowhere.yaml'}, which does not exist",
        f"warning: {tmp_path / 'faqs' / 'a.yaml'}:2: entry 'long': the answer (179,999 characters) is longer than one"
        " Slack message shows: it is cut after about 129,000",
        f"warning: {tmp_path / 'faqs' / 'b.yaml'}:2: entry 'wide': 1 line(s) of the answer exceed Slack's 3,000"
        " characters per block: cut in pieces",
    ]


def test_validate_defaults_to_faq_path_from_environment(faq_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAQBOT_FAQ_PATH", str(faq_file))
    assert run("validate").output.startswith(f"{faq_file}: OK")


def test_ask_text(faq_file: Path) -> None:
    result = run("ask", "I forgot my password!", "--faq", str(faq_file))
    assert result.exit_code == 0
    assert "How do I reset my password?  [reset-password, confidence 0.99]" in result.output
    assert "Go to the reset page (https://id.example.com/reset)." in result.output


def test_ask_json(faq_file: Path) -> None:
    data = json.loads(run("ask", "<@U1> pw reset pls", "--faq", str(faq_file), "--json").output)
    assert data["method"] == "semantic" and data["entry"]["id"] == "reset-password"
    assert data["matched_phrasing"] == "pw reset"
    assert data["normalized"] == "pw reset pls"
    assert (data["surface"], data["small_talk"]) == ("direct", None)
    assert data["confidence"] >= 0.9 and data["score"] > 0.9
    assert {s["id"] for s in data["suggestions"]} <= {"request-pto", "vpn"}


def test_ask_without_an_answer_lists_suggestions(faq_file: Path) -> None:
    data = json.loads(run("ask", "how do I do that?", "--faq", str(faq_file), "--json").output)
    assert data["method"] == "none" and data["entry"] is None and data["confidence"] < 0.6
    assert len(data["suggestions"]) == 3


def test_ask_small_talk(faq_file: Path) -> None:
    assert run("ask", "thanks!", "--faq", str(faq_file)).output == "You're welcome!\n"
    data = json.loads(run("ask", "hello", "--faq", str(faq_file), "--json").output)
    assert (data["small_talk"], data["entry"], data["suggestions"]) == ("greeting", None, [])


def test_ask_in_a_channel_is_quiet_for_chatter(faq_file: Path) -> None:
    result = run("ask", "--surface", "channel", "--json", "thanks everyone", "--faq", str(faq_file))
    data = json.loads(result.output)
    assert data["entry"] is None and data["surface"] == "channel" and "quiet" in data
    assert run("ask", "--surface", "channel", "thanks everyone", "--faq", str(faq_file)).output.startswith("(quiet: ")


def test_ask_in_a_channel_answers_a_confident_question(faq_file: Path) -> None:
    data = json.loads(run("ask", "--surface", "channel", "--json", "how do i reset my password?",
                          "--faq", str(faq_file)).output)
    assert (data["surface"], data["method"], data["entry"]["id"]) == ("channel", "semantic", "reset-password")
    assert data["confidence"] >= 0.9


def test_ask_in_a_channel_needs_the_channel_bar(faq_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    question = ["ask", "forgot pw?", "--faq", str(faq_file), "--json"]
    dm = json.loads(run(*question).output)
    assert dm["entry"]["id"] == "reset-password" and 0.6 <= dm["confidence"] < 0.9
    channel = json.loads(run(*question, "--surface", "channel").output)
    assert (channel["entry"], channel["confidence"]) == (None, dm["confidence"])
    assert [s["id"] for s in channel["suggestions"]] == ["reset-password"]
    monkeypatch.setenv("FAQBOT_CHANNEL_THRESHOLD", "0.7")
    assert json.loads(run(*question, "--surface", "channel").output)["entry"]["id"] == "reset-password"


def test_direct_threshold_from_environment_or_flag_changes_the_decision(faq_file: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    question = ["ask", "forgot pw?", "--faq", str(faq_file), "--json"]  # confidence 0.77
    assert json.loads(run(*question).output)["method"] == "semantic"
    assert json.loads(run(*question, "--direct-threshold", "0.8").output)["method"] == "none"
    monkeypatch.setenv("FAQBOT_DIRECT_THRESHOLD", "0.8")
    assert json.loads(run(*question).output)["method"] == "none"
    assert json.loads(run(*question, "--direct-threshold", "0.7").output)["method"] == "semantic"  # the flag wins


def test_fuzzy_threshold_from_environment_changes_the_decision(faq_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # No confidence reaches 1, so the fuzzy fallback alone can answer.
    question = ["ask", "forgot my pasword", "--faq", str(faq_file), "--json", "--direct-threshold", "1"]
    data = json.loads(run(*question).output)
    assert (data["method"], data["entry"]["id"]) == ("fuzzy", "reset-password") and 0.9 <= data["score"] < 0.99
    monkeypatch.setenv("FAQBOT_FUZZY_THRESHOLD", "0.99")
    assert json.loads(run(*question).output)["method"] == "none"


@pytest.mark.parametrize("variable", ["FAQBOT_FUZZY_THRESHOLD", "FAQBOT_DIRECT_THRESHOLD", "FAQBOT_CHANNEL_THRESHOLD"])
def test_invalid_configuration_is_a_usage_error(faq_file: Path, monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    monkeypatch.setenv(variable, "7")
    result = CliRunner().invoke(cli, ["ask", "hi", "--faq", str(faq_file)])
    assert result.exit_code == 2
    assert f"invalid configuration: {variable}:" in result.output


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
    assert result.output.count("[reset-password, confidence 0.99]") == 1
    assert "I don't know that one" in result.output
    # "1" shows the first suggestion of the previous question in full.
    assert "How do I request time off?  [request-pto]\n\nUse Workday." in result.output
    assert result.output.rstrip().endswith("bye")


def test_eval_json(faq_file: Path, tmp_path: Path) -> None:
    queries = write(tmp_path / "q.csv", "text,faq_id\nforgot my password,reset-password\n"
                                        "vpn setup on my laptop please,vpn\nwhat is for lunch,\n")
    result = run("eval", "--faq", str(faq_file), "--queries", str(queries), "--json", "--sweep")
    data = json.loads(result.output)
    assert (data["n"], data["n_oos"], data["threshold"], data["channel"]["threshold"]) == (3, 1, 0.6, 0.9)
    assert data["top1"] == 1.0 and data["answered_correct"] == 1.0
    assert data["oos_recall"] == 1.0 and data["decision_accuracy"] == 1.0
    assert data["wrong_answer_share"] == 0.0 and data["coverage_at_90"] == 1.0 and data["coverage_at_95"] == 1.0
    assert data["channel"]["answered_correct"] == 1.0 and data["channel"]["coverage"] == pytest.approx(2 / 3)
    assert data["methods"]["semantic"] == {"count": 2, "correct": 2}
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
    assert "direct bar 0.5, channel bar 0.9" in result.output
    assert "top1               1.000" in result.output
    assert "coverage_at_90     1.000" in result.output and "wrong_answer_share 0.000" in result.output


def test_eval_writes_one_prediction_per_query(faq_file: Path, tmp_path: Path) -> None:
    queries = write(tmp_path / "q.csv", 'text,faq_id\nforgot my password,reset-password\nhow do I do that?,vpn\n'
                                        '"lunch, anyone?",\n<@U1>,\n')
    out = tmp_path / "out" / "predictions.csv"
    out.parent.mkdir()
    data = json.loads(run("eval", "--faq", str(faq_file), "--queries", str(queries), "--predictions", str(out),
                          "--json").output)
    assert data["predictions"] == str(out)
    with open(out, newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    assert rows[0] == list(PREDICTION_COLUMNS) == ["text", "faq_id", "top_id", "confidence", "answered_id", "method"]
    body = {row[0]: dict(zip(rows[0], row)) for row in rows[1:]}
    assert list(body) == ["forgot my password", "how do I do that?", "lunch, anyone?", "<@U1>"]
    right = body["forgot my password"]
    assert (right["faq_id"], right["top_id"], right["answered_id"], right["method"]) == (
        "reset-password", "reset-password", "reset-password", "semantic")
    assert float(right["confidence"]) >= 0.9
    for text in ("how do I do that?", "lunch, anyone?"):  # below the bar: a best entry, no answer
        row = body[text]
        assert row["top_id"] and (row["answered_id"], row["method"]) == ("", "none")
        assert float(row["confidence"]) < 0.6
    assert body["<@U1>"] == {"text": "<@U1>", "faq_id": "", "top_id": "", "confidence": "0.0000",
                             "answered_id": "", "method": "none"}


def test_calibrate_on_the_faq_writes_beside_it(faq_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "calibration.json"
    before = path.read_text()
    dry = json.loads(run("calibrate", "--faq", str(faq_file), "--json", "--dry-run").output)
    assert (dry["path"], dry["written"]) == (str(path), False) and path.read_text() == before
    data = json.loads(run("calibrate", "--faq", str(faq_file), "--json").output)
    assert (data["path"], data["written"], data["model"]) == (str(path), True, None)
    assert data["fitted"]["faq_side_questions"] == 14  # 7 phrasings, in and out of scope
    assert 0.0 < data["direct"] <= data["channel"] < 1.0
    written = Calibration.load(path)
    assert {k: data[k] for k in ("coef", "intercept", "direct", "channel", "fuzzy", "suggest")} == {
        "coef": list(written.coef), "intercept": written.intercept, "direct": written.direct,
        "channel": written.channel, "fuzzy": written.fuzzy, "suggest": written.suggest}
    assert {k: v for k, v in dry.items() if k != "written"} == {k: v for k, v in data.items() if k != "written"}
    text = run("calibrate", "--faq", str(faq_file)).output
    assert text.startswith(f"wrote {path}:\n  channel: answers unasked at confidence >= {written.channel:g}")


def test_eval_calibrate_on_the_faq(faq_file: Path, tmp_path: Path) -> None:
    queries = write(tmp_path / "q.csv", "text,faq_id\nforgot password,reset-password\n")
    data = json.loads(run("eval", "--faq", str(faq_file), "--queries", str(queries), "--calibrate", "faq",
                          "--json").output)
    expected = json.loads(run("calibrate", "--faq", str(faq_file), "--json", "--dry-run").output)
    assert data["calibrated_on"] == "faq" and data["threshold"] == expected["direct"]
    assert data["channel"]["threshold"] == expected["channel"]


def test_broken_model_is_a_clean_error(faq_file: Path, tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    result = CliRunner().invoke(cli, ["ask", "hi", "--faq", str(faq_file), "--model", str(tmp_path / "m")])
    assert result.exit_code == 1 and "cannot load the model" in result.output and "config.json: missing" in result.output


def test_fuzzy_fallback_can_be_switched_off(faq_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    question = ["ask", "I forgot my password!!", "--faq", str(faq_file), "--json", "--direct-threshold", "1"]
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


# --- clear errors instead of tracebacks ---------------------------------------------------------

def test_a_setting_error_names_its_environment_variable(monkeypatch: pytest.MonkeyPatch, faq_file: Path) -> None:
    monkeypatch.setenv("FAQBOT_CHANNEL_THRESHOLD", "2")
    result = CliRunner().invoke(cli, ["validate", str(faq_file)])
    assert result.exit_code == 2 and "invalid configuration: FAQBOT_CHANNEL_THRESHOLD: Input should be less" in result.output


def test_a_retired_variable_is_reported_not_ignored(monkeypatch: pytest.MonkeyPatch, faq_file: Path) -> None:
    monkeypatch.setenv("FAQBOT_SEMANTIC_THRESHOLD", "0.7")
    result = CliRunner().invoke(cli, ["validate", str(faq_file)])
    assert result.exit_code == 0
    assert "warning: FAQBOT_SEMANTIC_THRESHOLD is no longer read; use FAQBOT_CHANNEL_THRESHOLD" in result.stderr


@pytest.mark.parametrize(("content", "message"), [
    ("# caf\xe9 bot\nFAQBOT_LOG_LEVEL=INFO\n".encode("latin-1"), "cannot read .env: it is not UTF-8 text (byte 0xe9 at position 5)"),
])
def test_an_env_file_that_is_not_utf8_is_named(tmp_path: Path, faq_file: Path, content: bytes, message: str) -> None:
    (tmp_path / ".env").write_bytes(content)
    result = CliRunner().invoke(cli, ["validate", str(faq_file)])
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("period", ["999999d", "99999999999w"])
def test_a_period_too_long_is_an_error(faq_file: Path, period: str) -> None:
    result = CliRunner().invoke(cli, ["report", "--since", period])
    assert result.exit_code == 2 and f"'{period}'" in result.output and "shorter" in result.output


def test_eval_reads_excel_csv_with_a_bom_and_refuses_an_unterminated_quote(faq_file: Path, tmp_path: Path) -> None:
    bom = tmp_path / "bom.csv"
    bom.write_bytes("text,faq_id\nforgot my password,reset-password\n".encode("utf-8-sig"))
    assert json.loads(run("eval", "--faq", str(faq_file), "--queries", str(bom), "--json").output)["top1"] == 1.0
    broken = write(tmp_path / "broken.csv", 'text,faq_id\n"forgot my password,reset-password\nvpn setup,vpn\n')
    result = CliRunner().invoke(cli, ["eval", "--faq", str(faq_file), "--queries", str(broken)])
    assert result.exit_code == 1 and "unexpected end of data" in result.output


def test_a_busy_port_is_a_setup_error() -> None:
    import socket

    from faqbot.config import Settings
    from faqbot.slack.app import SlackSetupError
    from faqbot.slack.server import _listen

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SlackSetupError, match=f"cannot listen on 127.0.0.1:{port}: Address already in use"):
            _listen(Settings(host="127.0.0.1", port=port), lambda environ, start: [])
    with pytest.raises(SlackSetupError, match="cannot listen on no-such-host.invalid:3000"):
        _listen(Settings(host="no-such-host.invalid", port=3000), lambda environ, start: [])


def test_index_builds_the_cache_a_restart_reads(faq_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("FAQBOT_INDEX_CACHE", str(cache))
    result = CliRunner().invoke(cli, ["index", "--faq", str(faq_file), "--model", str(BUNDLED_MODEL)])
    assert result.exit_code == 0, result.output
    assert "3 entries, 7 phrasings indexed" in result.output
    assert {p.suffix for p in cache.iterdir()} >= {".sqlite3", ".npz", ".json"}
    monkeypatch.setenv("FAQBOT_INDEX_CACHE", "none")
    refused = CliRunner().invoke(cli, ["index", "--faq", str(faq_file)])
    assert refused.exit_code == 1 and "nowhere to keep the index" in refused.output


def test_an_index_built_at_deploy_time_keeps_the_moved_app_warm(faq_file: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A platform builds the app in one folder and runs it from another (Heroku's build dir,
    then /app; a Docker build stage): an index built with relative paths is warm there."""
    import shutil

    from faqbot.faq.loading import load_faq
    from faqbot.matching.encoder import LstmEncoder
    from faqbot.matching.matcher import Matcher

    build = tmp_path / "build"
    (build / "faq_data").mkdir(parents=True)
    shutil.copy(faq_file, build / "faq_data" / "faq.yaml")
    monkeypatch.chdir(build)
    monkeypatch.setenv("FAQBOT_INDEX_CACHE", "index-cache")
    result = CliRunner().invoke(cli, ["index", "--faq", "faq_data", "--model", str(BUNDLED_MODEL)])
    assert result.exit_code == 0, result.output
    app = tmp_path / "app"
    shutil.move(build, app)
    monkeypatch.chdir(app)
    kept = sorted(p.name for p in Path("index-cache").iterdir())
    encoded: list[str] = []
    encoder = LstmEncoder.load(BUNDLED_MODEL)
    encode = encoder.encode
    encoder.encode = lambda texts, **kw: encoded.extend(texts) or encode(texts, **kw)  # type: ignore[method-assign]
    matcher = Matcher(load_faq(Path("faq_data"), cache=Path("index-cache")), encoder, index_cache=Path("index-cache"))
    assert matcher.match("how do I reset my password?").answered
    assert encoded == ["how do i reset my password"]  # the question only: every phrasing came from the index
    assert sorted(p.name for p in Path("index-cache").iterdir()) == kept  # nothing parsed or indexed again
