"""Slack HTTP mode under load: how fast requests are acked and replies arrive.

The served app (waitress, the bundled model, the sample FAQ) gets signed message events
from several senders at once; its Web API calls go to the fake Slack of the tests, which
can answer slowly (`--api-delay`). While the burst runs, a probe sends a `/faq` command and
a button click every `--probe-every` seconds, until the last reply is posted, and times their acks: Slack gives up on an
ack after 3 s, however busy the app is. Client, server and fake share one process (and
its GIL), so these are upper bounds.
Prints one JSON object: `python -m bench.slack [--events N] [--senders N] [--api-delay S]`.
"""

from __future__ import annotations

import json
import logging
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click
import numpy as np

from faqbot.cli.pipeline import build_matcher
from faqbot.config import Settings
from faqbot.matching.channel_gate import looks_like_question
from faqbot.slack.app import assemble, web_client
from faqbot.slack.server import EVENTS_PATH, wsgi_app
from faqbot.store.sql import SqlStore
from tests.fake_slack import TEAM, FakeSlack, LocalServer, signed_post

ROOT = Path(__file__).resolve().parent.parent
TOKEN, SECRET = "xoxb-bench-token", "bench-signing-secret"


def event(text: str, n: int, channel: str = "C0BENCH", channel_type: str = "channel", user: str = "U0BENCH") -> str:
    """The body Slack POSTs for message number `n` (its ts and event_id follow from `n`)."""
    ts = f"1700000000.{n:06d}"
    return json.dumps({
        "type": "event_callback", "team_id": TEAM, "api_app_id": "A0APP", "event_id": f"Ev{n:08d}",
        "event_time": 1700000000,
        "event": {"type": "message", "channel": channel, "channel_type": channel_type, "user": user,
                  "text": text, "ts": ts, "event_ts": ts},
    })


def command_body(n: int, response_url: str) -> str:
    return urllib.parse.urlencode({"team_id": TEAM, "channel_id": "C0BENCH", "user_id": f"U0PROBE{n}",
                                   "command": "/faq", "text": "how do I reset my password", "trigger_id": "1.2.3",
                                   "response_url": response_url, "api_app_id": "A0APP"})


def click_body(n: int, response_url: str) -> str:
    value = json.dumps({"question": f"{n:032d}", "entry": "reset-password", "how": "bench", "asker": "U0PROBE"})
    payload = {"type": "block_actions", "user": {"id": "U0PROBE", "team_id": TEAM}, "team": {"id": TEAM},
               "api_app_id": "A0APP", "trigger_id": "1.2.3", "channel": {"id": "C0BENCH"},
               "container": {"type": "message", "message_ts": "1700000000.000001", "channel_id": "C0BENCH",
                             "is_ephemeral": True},
               "response_url": response_url,
               "actions": [{"type": "button", "action_id": "faq_helpful", "block_id": "b", "value": value,
                            "action_ts": "1700000000.1"}]}
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


def percentiles(values: list[float]) -> dict[str, float]:
    return {"p50": float(np.percentile(values, 50)), "p99": float(np.percentile(values, 99)),
            "max": float(np.max(values))}


@click.command()
@click.option("--events", type=click.IntRange(1), default=1000, show_default=True)
@click.option("--senders", type=click.IntRange(1), default=16, show_default=True)
@click.option("--api-delay", type=click.FloatRange(0), default=0.0, show_default=True,
              help="Seconds the fake Web API and response URLs take to answer each call.")
@click.option("--probe-every", type=click.FloatRange(0.01), default=0.25, show_default=True,
              help="Seconds between /faq and click probes during the burst.")
def main(events: int, senders: int, api_delay: float, probe_every: float) -> None:
    workdir = tempfile.mkdtemp(prefix="faqbot-bench-")
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "all threads busy" is the point here
    fake = FakeSlack().start()
    fake.slow("chat.", api_delay)
    fake.slow("response/", api_delay)
    settings = Settings(slack_bot_token=TOKEN, slack_signing_secret=SECRET, faq_path=ROOT / "faq_data",
                        index_cache=None)
    matcher = build_matcher(settings)
    # Phrasings the bot answers in a channel, so every event gets exactly one reply.
    questions = [q for e in matcher.faq.entries for q in (f"{p}?" for p in e.alternates) 
                 if looks_like_question(q) and matcher.match(q, "channel").entry]
    store = SqlStore.open(f"sqlite:///{workdir}/bench.db")
    app, _ = assemble(settings, matcher, store, "http", web_client(TOKEN, fake.api_url))
    server = LocalServer(wsgi_app(app, SECRET), threads=settings.http_threads)
    url = server.url + EVENTS_PATH
    sent: dict[str, float] = {}
    acks: list[float] = []

    def send(n: int) -> int:
        body = event(questions[n % len(questions)], n)
        sent[json.loads(body)["event"]["ts"]] = start = time.monotonic()
        status, _ = signed_post(url, SECRET, body, "application/json")
        acks.append((time.monotonic() - start) * 1000)
        return status

    probes: dict[str, list[tuple[int, float]]] = {"command": [], "click": []}
    burst_over = threading.Event()

    def probe() -> None:
        n = 0
        while not burst_over.wait(probe_every):
            n += 1
            for kind, body in (("command", command_body(n, fake.response_url(f"probe-command-{n}"))),
                               ("click", click_body(n, fake.response_url(f"probe-click-{n}")))):
                start = time.monotonic()
                status, _ = signed_post(url, SECRET, body, "application/x-www-form-urlencoded")
                probes[kind].append((status, (time.monotonic() - start) * 1000))

    prober = threading.Thread(target=probe)
    started = time.monotonic()
    prober.start()
    with ThreadPoolExecutor(senders) as pool:
        statuses = list(pool.map(send, range(events)))
    replies = fake.wait_for("chat.postMessage", count=events, timeout=600)
    wall = time.monotonic() - started
    burst_over.set()  # probed until the last reply: the listeners were busy all that time
    prober.join()
    fake.wait_for("response/probe-", count=sum(map(len, probes.values())), timeout=600)  # before the fake stops
    reply_ms = [(r.at - sent[r.body["thread_ts"]]) * 1000 for r in replies]
    server.close()
    fake.stop()
    click.echo(json.dumps({
        "events": events, "distinct_questions": len(questions), "senders": senders, "http_threads": settings.http_threads,
        "non_200": sum(s != 200 for s in statuses), "replies": len(replies),
        "ack_ms": percentiles(acks), "reply_ms": percentiles(reply_ms), "events_per_s": events / wall,
        "api_delay_s": api_delay,
        "probes": {kind: {"sent": len(got), "non_200": sum(s != 200 for s, _ in got),
                          "over_3s": sum(ms > 3000 for _, ms in got),
                          "ack_ms": percentiles([ms for _, ms in got]) if got else None}
                   for kind, got in probes.items()},
    }, indent=2))


if __name__ == "__main__":
    main()
