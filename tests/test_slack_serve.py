"""`faqbot serve` as a deployment runs it: a subprocess configured by environment variables,
in HTTP mode (waitress) and in Socket Mode (against a WebSocket stub), talking to a fake Slack."""

from __future__ import annotations

import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.server import ServerConnection
from websockets.sync.server import serve as websocket_server

from faqbot.store.interface import Question
from faqbot.store.sql import SqlStore
from tests.conftest import EPOCH
from tests.fake_slack import TEAM, FakeSlack, signed_post

TOKEN, SECRET, APP_TOKEN = "xoxb-9-9-servetoken", "servesecret0123456789", "xapp-1-A0APP-1-appleveltoken"
QUESTION = {"type": "message", "channel": "C0CHAN", "channel_type": "channel", "user": "U0ASKER",
            "text": "How do I reset my password?", "ts": "1700000000.000100"}


QUESTION_RECORD = Question(normalized="old", surface="dm", user="U1", entry_id=None,
                           score=0.1, method="none", answered=False)


def event_body(event_id: str) -> dict[str, Any]:
    return {"type": "event_callback", "team_id": TEAM, "api_app_id": "A0APP", "event_id": event_id,
            "event_time": int(time.time()), "event": QUESTION}


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    slack = FakeSlack().start()
    yield slack
    slack.stop()


def start_faqbot(faq_file: Path, tmp_path: Path, env: dict[str, str], *args: str,
                 wrapper: Sequence[str] = ()) -> subprocess.Popen[str]:
    """`faqbot serve` with only `env` configuring it; `wrapper`: a command it runs under."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "FAQBOT_")) and k != "PORT"}
    clean.update(FAQBOT_FAQ_PATH=str(faq_file), FAQBOT_MODEL="none", FAQBOT_INDEX_CACHE="none", **env)
    return subprocess.Popen([*wrapper, sys.executable, "-m", "faqbot", "serve", *args], cwd=tmp_path, env=clean,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def stop(process: subprocess.Popen[str]) -> str:
    process.terminate()
    output, _ = process.communicate(timeout=10)
    return output


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_healthy(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1):
                return
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline, stop(process)
            time.sleep(0.1)


def test_http_mode_serves_slack_events_on_port(fake: FakeSlack, faq_file: Path, tmp_path: Path) -> None:
    old = SqlStore.open(f"sqlite:///{tmp_path / 'faqbot.db'}")  # the default database, in the working folder
    old.record_question(replace(QUESTION_RECORD, at=datetime.now(UTC) - timedelta(days=400)))
    port = free_port()
    env = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "PORT": str(port),
           "FAQBOT_HOST": "127.0.0.1", "FAQBOT_SLACK_API_URL": fake.api_url}
    process = start_faqbot(faq_file, tmp_path, env)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_healthy(url, process)
        status, _ = signed_post(url + "/slack/events", SECRET, json.dumps(event_body("Ev0HTTP")), "application/json")
        assert status == 200
        [reply] = fake.wait_for("chat.postMessage")
        assert reply.body["thread_ts"] == QUESTION["ts"]
        assert reply.headers["Authorization"] == f"Bearer {TOKEN}"
    finally:
        output = stop(process)  # SIGTERM: the listener under way finishes, its record included
    [recorded] = old.questions(EPOCH)  # the 400-day-old record went at start-up (retention 180 days)
    assert (recorded.surface, recorded.entry_id, recorded.answered) == ("channel", "reset-password", True)
    assert "retention: 1 records older than 180 days deleted" in output
    assert f"HTTP mode: listening on http://127.0.0.1:{port}/slack/events" in output
    assert TOKEN not in output and SECRET not in output


def test_socket_mode_connects_acks_envelopes_and_replies(fake: FakeSlack, faq_file: Path, tmp_path: Path) -> None:
    received: queue.Queue[dict[str, Any]] = queue.Queue()

    def slack_socket(connection: ServerConnection) -> None:
        connection.send(json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0APP"}}))
        connection.send(json.dumps({"envelope_id": "env-1", "type": "events_api", "accepts_response_payload": False,
                                    "retry_attempt": 0, "retry_reason": "", "payload": event_body("Ev0SOCKET")}))
        for raw in connection:
            received.put(json.loads(raw))

    with websocket_server(slack_socket, "127.0.0.1", 0) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        fake.socket_url = f"ws://127.0.0.1:{server.socket.getsockname()[1]}/link"
        env = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_APP_TOKEN": APP_TOKEN, "FAQBOT_SLACK_API_URL": fake.api_url}
        process = start_faqbot(faq_file, tmp_path, env)
        try:
            assert received.get(timeout=30) == {"envelope_id": "env-1"}  # the ack
            [reply] = fake.wait_for("chat.postMessage", timeout=10)
        finally:
            output = stop(process)
            server.shutdown()
    [opened] = fake.of("apps.connections.open")
    assert opened.headers["Authorization"] == f"Bearer {APP_TOKEN}"
    assert reply.body["thread_ts"] == QUESTION["ts"] and reply.headers["Authorization"] == f"Bearer {TOKEN}"
    assert APP_TOKEN not in output and TOKEN not in output


@pytest.mark.parametrize(("env", "expected"), [
    ({}, "SLACK_BOT_TOKEN is not set"),
    ({"SLACK_BOT_TOKEN": TOKEN}, "HTTP mode needs SLACK_SIGNING_SECRET"),
])
def test_serve_without_credentials_says_what_to_set(faq_file: Path, tmp_path: Path, env: dict[str, str],
                                                    expected: str) -> None:
    process = start_faqbot(faq_file, tmp_path, env)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 1
    assert expected in output


def test_sigterm_finishes_the_reply_under_way(fake: FakeSlack, faq_file: Path, tmp_path: Path) -> None:
    port = free_port()
    env = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "PORT": str(port),
           "FAQBOT_HOST": "127.0.0.1", "FAQBOT_SLACK_API_URL": fake.api_url}
    fake.slow("chat.postMessage", 2)
    process = start_faqbot(faq_file, tmp_path, env)
    url = f"http://127.0.0.1:{port}"
    wait_until_healthy(url, process)
    status, _ = signed_post(url + "/slack/events", SECRET, json.dumps(event_body("Ev0TERM")), "application/json")
    assert status == 200
    process.terminate()  # while the reply is still being posted
    output, _ = process.communicate(timeout=15)
    assert process.returncode == 0, output
    assert len(fake.of("chat.postMessage")) == 1
    assert "finishing the replies under way" in output
