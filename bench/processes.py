"""Several `faqbot serve --mode http` processes behind one port, on one PostgreSQL database:
is each message still answered once and recorded once when Slack's retries land on other processes?

The processes are real (the bundled model, the sample FAQ, one index cache folder), each on
its own port; a small round-robin proxy here is the one port Slack would see, so deliveries
of one event go to different processes. Their Web API calls go to the tests' fake Slack,
which records every reply. The messages are FAQ questions and chatter, in channels and DMs,
each from its own user (so a record tells whose message it was). A share is retried as Slack
retries after a lost acknowledgement: retry 1 at once, while the first delivery is being
handled, retries 2 and 3 later (Slack backs off between retries; here they come once the burst
has been handled). Every message is claimed in the database before it is answered, so the
figures to expect are 0 duplicate replies and 0 lost or duplicate records.
Prints one JSON object: `python -m bench.processes [--processes N] [--events N] [--retry-share F]`.
"""

from __future__ import annotations

import collections
import functools
import http.client
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import click
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from bench.chatter import CHATTER
from bench.slack import ROOT, SECRET, TOKEN, event, percentiles
from faqbot.faq.loading import load_faq
from faqbot.matching.channel_gate import looks_like_question
from faqbot.slack.server import EVENTS_PATH, HEALTH_PATH
from faqbot.store import tables
from faqbot.store.sql import SqlStore, connect, make_url_safe
from tests.fake_slack import FakeSlack, signed_post

POSTGRES = os.environ.get("FAQBOT_TEST_POSTGRES_URL", "postgresql://faqbot:faqbot@127.0.0.1:5432/faqbot_test")
USER_KEY = "bench-user-hash-key"  # every process hashes user IDs with it, and so does the tally
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Message:
    """One event of the burst; DMs each have their own channel, so a reply (no thread in a DM) names its message."""

    n: int
    text: str
    dm: bool

    @property
    def user(self) -> str:
        return f"U{self.n:08d}"

    @property
    def channel(self) -> str:
        return f"D{self.n:08d}" if self.dm else "C0BENCH"

    @property
    def body(self) -> str:
        return event(self.text, self.n, self.channel, "im" if self.dm else "channel", self.user)

    @property
    def reply_key(self) -> tuple[str, str | None]:
        """(channel, thread_ts) of its reply: a DM is answered in the conversation, a channel message in its thread."""
        return self.channel, None if self.dm else json.loads(self.body)["event"]["ts"]

    @property
    def recorded(self) -> bool:
        """The app records every DM, and every channel message that looks like a question."""
        return self.dm or looks_like_question(self.text)


@dataclass(frozen=True)
class Delivery:
    message: Message
    retry: int  # 0: the first delivery; else X-Slack-Retry-Num


def messages(count: int, dm_share: float, faq_share: float, rng: random.Random) -> list[Message]:
    """FAQ phrasings asked as questions, and channel chatter (questions or not), in channels and DMs."""
    faq = [f"{p}?" for e in load_faq(ROOT / "faq_data").entries for p in e.phrasings]
    return [Message(n, rng.choice(faq if rng.random() < faq_share else CHATTER), rng.random() < dm_share)
            for n in range(count)]


def schedule(burst: list[Message], retry_share: float, rng: random.Random) -> tuple[list[Delivery], list[Delivery]]:
    """The burst (each retried message's retry 1 right behind its first delivery) and the later retries (2 and 3)."""
    now, later = [], []
    for message in burst:
        now.append(Delivery(message, 0))
        if rng.random() < retry_share:
            retries = rng.randint(1, 3)
            now.append(Delivery(message, 1))
            later += [Delivery(message, r) for r in range(2, retries + 1)]
    return now, later


class RoundRobin:
    """The one port in front of the processes, as a load balancer: each request goes to the next process in turn."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = ports
        self.routes: list[tuple[int, bytes]] = []  # (process, body) of each request
        self.acks: list[tuple[int, float]] = []  # (status, ms until the process answered)
        self._lock = threading.Lock()
        self._server = _Listener(("127.0.0.1", 0), _forwarder(self))
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def forward(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, bytes]:
        """(status, content type, body) of the next process's answer; 502 when it cannot be reached."""
        with self._lock:
            process = len(self.routes) % len(self.ports)
            self.routes.append((process, body))
        start = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", self.ports[process], timeout=30)
        try:
            connection.request("POST", path, body, headers)
            response = connection.getresponse()
            answer = response.status, response.getheader("Content-Type", "text/plain"), response.read()
        except OSError as exc:
            answer = 502, "text/plain", f"process {process}: {exc}".encode()
        finally:
            connection.close()
        with self._lock:
            self.acks.append((answer[0], (time.monotonic() - start) * 1000))
        return answer

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class _Listener(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 resets connections when 16 senders arrive at once


def _forwarder(proxy: RoundRobin) -> type[BaseHTTPRequestHandler]:
    class Forward(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            kept = {k: v for k, v in self.headers.items()
                    if k.lower() == "content-type" or k.lower().startswith("x-slack-")}
            status, content_type, answer = proxy.forward(self.path, body, kept)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    return Forward


@contextmanager
def bench_schema(server_url: str) -> Iterator[str]:
    """A fresh schema on the server for this run (dropped after): the URL of a database that has only it."""
    schema = f"faqbot_bench_{secrets.token_hex(4)}"
    engine = connect(server_url)
    try:
        with engine.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    except OperationalError as exc:
        raise click.ClickException(f"cannot use PostgreSQL at {make_url_safe(server_url)} (.ci/postgres starts one,"
                                   f" or pass --postgres): {str(exc.orig).strip()}") from exc
    try:
        yield f"{server_url}{'&' if '?' in server_url else '?'}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def process_environment(i: int, port: int, database: str, api_url: str, cache: Path) -> dict[str, str]:
    """Process i's settings: its own port and bot token (the fake tells replies apart by it), the rest shared;
    none of the caller's faqbot or Slack settings."""
    inherited = {k: v for k, v in os.environ.items()
                 if not k.startswith(("FAQBOT_", "SLACK_")) and k not in ("DATABASE_URL", "PORT")}
    return {**inherited, "SLACK_BOT_TOKEN": f"{TOKEN}-{i}", "SLACK_SIGNING_SECRET": SECRET,
            "FAQBOT_SLACK_API_URL": api_url, "DATABASE_URL": database, "PORT": str(port), "FAQBOT_HOST": "127.0.0.1",
            "FAQBOT_FAQ_PATH": str(ROOT / "faq_data"), "FAQBOT_INDEX_CACHE": str(cache),
            "FAQBOT_USER_HASH_KEY": USER_KEY, "FAQBOT_LOG_LEVEL": "WARNING"}


@dataclass(frozen=True)
class Served:
    """One `faqbot serve --mode http` process: its port and its log."""

    port: int
    process: subprocess.Popen
    log: Path

    def wait_healthy(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise click.ClickException(f"faqbot serve exited with {self.process.returncode}:\n{self.tail()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{HEALTH_PATH}", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise click.ClickException(f"faqbot serve on port {self.port} not healthy in time:\n{self.tail()}")

    def tail(self) -> str:
        return self.log.read_text()[-3000:]

    def rss_mb(self) -> float:
        """Resident memory now: what each process costs, since each loads the FAQ and the model (Linux)."""
        with open(f"/proc/{self.process.pid}/statm") as file:
            return int(file.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@contextmanager
def serving(count: int, environment: Callable[[int, int], dict[str, str]], workdir: Path,
            timeout: float) -> Iterator[list[Served]]:
    """`count` processes, healthy; stopped (SIGTERM, as a platform does) after."""
    served: list[Served] = []
    try:
        for i in range(count):
            port, log = free_port(), workdir / f"serve-{i}.log"
            with log.open("wb") as out:
                process = subprocess.Popen([sys.executable, "-m", "faqbot", "serve", "--mode", "http"], cwd=workdir,
                                           env=environment(i, port), stdout=out, stderr=subprocess.STDOUT)
            served.append(Served(port, process, log))
        deadline = time.monotonic() + timeout
        for one in served:
            one.wait_healthy(deadline)
        yield served
    finally:
        for one in served:
            one.process.terminate()
        for one in served:
            try:
                one.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                one.process.kill()
                one.process.wait()


def record_count(store: SqlStore) -> int:
    with store.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(tables.questions)).scalar_one()


def wait_for_records(store: SqlStore, expected: int, timeout: float) -> None:
    """Until `expected` records are in (each is written after its reply, if any), or the timeout."""
    deadline = time.monotonic() + timeout
    while record_count(store) < expected and time.monotonic() < deadline:
        time.sleep(0.1)


def tally(burst: list[Message], deliveries: list[Delivery], sent_at: dict[Delivery, float], fake: FakeSlack,
          store: SqlStore, proxy: RoundRobin) -> dict[str, Any]:
    """Replies and records per message, against what the app does with each."""
    by_reply = {m.reply_key: m for m in burst}
    by_user = {store.hash_user(m.user): m for m in burst}
    by_body = {m.body.encode(): m for m in burst}
    replies: dict[Message, list[Any]] = collections.defaultdict(list)
    unexpected_replies = 0
    for call in fake.of("chat."):
        message = by_reply.get((call.body.get("channel"), call.body.get("thread_ts")))
        if message is None:
            unexpected_replies += 1
        else:
            replies[message].append(call)
    records = collections.defaultdict(list)
    for question in store.questions(EPOCH):
        records[by_user.get(question.user)].append(question)
    answered = {m for m in burst if m.dm or any(q.answered for q in records[m])}  # what gets a reply
    processes = collections.defaultdict(set)
    for process, body in proxy.routes:
        processes[by_body[body]].add(process)
    retried = {d.message for d in deliveries if d.retry}
    tokens = [call.headers.get("Authorization", "") for calls in replies.values() for call in calls]
    return {
        "replies": {
            "posted": sum(map(len, replies.values())), "messages_answered": len(replies),
            "duplicates": sum(len(calls) > 1 for calls in replies.values()),
            "missing": sum(not replies[m] for m in answered),
            "unexpected": unexpected_replies + sum(bool(replies[m]) for m in burst if m not in answered),
            "per_process": [sum(t.endswith(f"-{i}") for t in tokens) for i in range(len(proxy.ports))],
        },
        "records": {
            "expected": sum(m.recorded for m in burst), "written": sum(map(len, records.values())),
            "lost": sum(not records[m] for m in burst if m.recorded),
            "duplicates": sum(len(records[m]) > 1 for m in burst),
            "unexpected": len(records[None]) + sum(bool(records[m]) for m in burst if not m.recorded),
        },
        "retried_messages_on_several_processes": sum(len(processes[m]) > 1 for m in retried),
        "retries_before_the_reply": sum(sent_at[d] < replies[d.message][0].at for d in deliveries
                                        if d.retry and replies[d.message]),
    }


def run(burst: list[Message], now: list[Delivery], later: list[Delivery], ports: list[int], fake: FakeSlack,
        store: SqlStore, senders: int, settle: float, timeout: float) -> dict[str, Any]:
    """Send the burst through the proxy, wait until it is handled, send the later retries; tally."""
    proxy = RoundRobin(ports)
    sent_at: dict[Delivery, float] = {}

    def send(delivery: Delivery) -> int:
        retry = {"X-Slack-Retry-Num": str(delivery.retry), "X-Slack-Retry-Reason": "http_timeout"}
        sent_at[delivery] = time.monotonic()
        try:
            status, _ = signed_post(proxy.url + EVENTS_PATH, SECRET, delivery.message.body, "application/json",
                                    headers=retry if delivery.retry else None)
        except OSError:
            return 0  # no answer at all: counted with the refused ones
        return status

    try:
        started = time.monotonic()
        with ThreadPoolExecutor(senders) as pool:
            statuses = list(pool.map(send, now))
            wait_for_records(store, sum(m.recorded for m in burst), timeout)
            handled = time.monotonic() - started
            time.sleep(settle)
            statuses += pool.map(send, later)
        time.sleep(settle)
        wall = time.monotonic() - started
    finally:
        proxy.close()
    retries = [d for d in now + later if d.retry]
    return {
        "deliveries": len(statuses), "retries": {"sent": len(retries), "at_once": sum(d.retry == 1 for d in retries),
                                                 "later": len(later)},
        "non_200": sum(s != 200 for s in statuses), "ack_ms": percentiles([ms for _, ms in proxy.acks]),
        "handled_s": handled, "events_per_s": len(burst) / handled, "wall_s": wall,
        "requests_per_process": [sum(p == i for p, _ in proxy.routes) for i in range(len(ports))],
        **tally(burst, now + later, sent_at, fake, store, proxy),
    }


@click.command()
@click.option("--processes", "count", type=click.IntRange(1), default=3, show_default=True)
@click.option("--events", type=click.IntRange(1), default=1000, show_default=True, help="Distinct messages.")
@click.option("--retry-share", type=click.FloatRange(0, 1), default=0.25, show_default=True,
              help="Share of the messages Slack retries (1 to 3 times).")
@click.option("--dm-share", type=click.FloatRange(0, 1), default=0.3, show_default=True)
@click.option("--faq-share", type=click.FloatRange(0, 1), default=0.6, show_default=True,
              help="Share of the messages that are FAQ phrasings; the rest is chatter.")
@click.option("--senders", type=click.IntRange(1), default=16, show_default=True)
@click.option("--api-delay", type=click.FloatRange(0), default=0.3, show_default=True,
              help="Seconds the fake Web API takes to answer each call.")
@click.option("--settle", type=click.FloatRange(0), default=2.0, show_default=True,
              help="Seconds to wait for duplicates after the records are in, and after the later retries.")
@click.option("--timeout", type=click.FloatRange(1), default=120.0, show_default=True,
              help="Seconds to wait for the burst's records; the missing ones count as lost.")
@click.option("--postgres", default=POSTGRES, show_default=True,
              help="A PostgreSQL database whose role may create schemas; the run gets a schema of its own.")
@click.option("--seed", type=int, default=0, show_default=True)
def main(count: int, events: int, retry_share: float, dm_share: float, faq_share: float, senders: int,
         api_delay: float, settle: float, timeout: float, postgres: str, seed: int) -> None:
    signal.signal(signal.SIGTERM, _exit)  # stop the processes (finally) when stopped
    rng = random.Random(seed)
    burst = messages(events, dm_share, faq_share, rng)
    now, later = schedule(burst, retry_share, rng)
    workdir = Path(tempfile.mkdtemp(prefix="faqbot-processes-"))
    fake = FakeSlack().start()
    fake.slow("chat.", api_delay)
    try:
        with bench_schema(postgres) as database:
            store = SqlStore.open(database, USER_KEY)  # migrated before the processes start
            environment = functools.partial(process_environment, database=database, api_url=fake.api_url,
                                            cache=workdir / "cache")
            started = time.monotonic()
            with serving(count, environment, workdir, timeout=300) as served:
                startup = time.monotonic() - started
                result = run(burst, now, later, [s.port for s in served], fake, store, senders, settle, timeout)
                rss = [round(s.rss_mb()) for s in served]
            store.engine.dispose()
        errors = sum(" ERROR " in line for log in workdir.glob("serve-*.log") for line in log.read_text().splitlines())
    finally:
        fake.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    click.echo(json.dumps({"processes": count, "events": events, "dms": sum(m.dm for m in burst),
                           "senders": senders, "api_delay_s": api_delay, "startup_s": startup, **result,
                           "rss_mb_per_process": rss, "errors_logged": errors}, indent=2))


def _exit(signum: int, frame: object) -> None:
    raise SystemExit(1)


if __name__ == "__main__":
    main()
