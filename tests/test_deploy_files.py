"""Deployment files agree with the code: Procfile commands, .env.example and the README's
configuration table name exactly the settings that exist."""

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from faqbot.cli.main import cli
from faqbot.config import Settings
from tests.conftest import setting_variables

REPO = Path(__file__).resolve().parent.parent


def procfile() -> dict[str, str]:
    lines = (REPO / "Procfile").read_text(encoding="utf-8").splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def test_procfile_runs_http_mode_on_web_and_socket_mode_on_worker() -> None:
    processes = procfile()
    assert processes == {"web": "faqbot serve --mode http", "worker": "faqbot serve --mode socket"}


@pytest.mark.parametrize("process", ["web", "worker"])
def test_procfile_commands_are_valid_and_ask_for_credentials(process: str, monkeypatch: pytest.MonkeyPatch,
                                                             tmp_path: Path) -> None:
    for name in setting_variables():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here
    args = procfile()[process].split()[1:]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert "SLACK_BOT_TOKEN is not set" in result.output


def test_env_example_names_every_setting_and_nothing_else() -> None:
    text = (REPO / ".env.example").read_text(encoding="utf-8")
    named = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE))
    assert named == set(setting_variables())


def test_env_example_as_a_dot_env_means_the_local_chat() -> None:
    settings = Settings(_env_file=REPO / ".env.example")
    assert settings.slack_bot_token is None and settings.slack_app_token is None
    assert settings.channel_mode == "answer"


def test_readme_configuration_table_lists_every_setting() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", readme, flags=re.MULTILINE))
    assert rows == set(setting_variables())


def test_channel_modes_parse_and_bad_ones_are_refused() -> None:
    settings = Settings(channel_modes="C1=silent, C2=suggest", channel_mode="answer")
    assert [settings.mode_of(c) for c in ("C1", "C2", "C3")] == ["silent", "suggest", "answer"]
    with pytest.raises(ValueError, match="CHANNEL_ID=mode"):
        Settings(channel_modes="C1")
    with pytest.raises(ValueError, match="'answer', 'suggest' or 'silent'"):
        Settings(channel_modes="C1=loud")
