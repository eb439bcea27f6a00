"""Slack HTTP mode under load: how fast requests are acked and replies arrive.

The served app (waitress, the bundled model, the sample FAQ) gets signed message events
from several senders at once; its Web API calls go to the fake Slack of the tests. Client,
server and fake share one process (and its GIL), so these are upper bounds.
Prints one JSON object: `python -m bench.slack [--events N] [--senders N]`.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click
import numpy as np

from faqbot.cli import build_matcher
from faqbot.config import Settings
from faqbot.matching.channel_gate import looks_like_question
from faqbot.slack.app import assemble, web_client
from faqbot.slack.server import EVENTS_PATH, wsgi_app
from faqbot.store.sql import SqlStore
from tests.fake_slack import TEAM, FakeSlack, LocalServer, signed_post

ROOT = Path(__file__).resolve().parent.parent
TOKEN, SECRET = "xoxb-bench-token", "bench-signing-secret"


def event(text: str, n: int) -> str:
    ts = f"1700000000.{n:06d}"
    return json.dumps({
        "type": "event_callback", "team_id": TEAM, "api_app_id": "A0APP", "event_id": f"Ev{n:08d}",
        "event_time": 1700000000,
        "event": {"type": "message", "channel": "C0BENCH", "channel_type": "channel", "user": "U0BENCH",
                  "text": text, "ts": ts, "event_ts": ts},
    })


def percentiles(values: list[float]) -> dict[str, float]:
    return {"p50": float(np.percentile(values, 50)), "p99": float(np.percentile(values, 99)),
            "max": float(np.max(values))}


@click.command()
@click.option("--events", type=click.IntRange(1), default=1000, show_default=True)
@click.option("--senders", type=click.IntRange(1), default=16, show_default=True)
def main(events: int, senders: int) -> None:
    workdir = tempfile.mkdtemp(prefix="faqbot-bench-")
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "all threads busy" is the point here
    fake = FakeSlack().start()
    settings = Settings(slack_bot_token=TOKEN, slack_signing_secret=SECRET, faq_path=ROOT / "faq_data",
                        index_cache=None)
    matcher = build_matcher(settings)
    # Phrasings the bot answers in a channel, so every event gets exactly one reply.
    questions = [q for e in matcher.faq.entries for q in (f"{p}?" for p in e.alternates) 
                 if looks_like_question(q) and matcher.match(q).entry]
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

    started = time.monotonic()
    with ThreadPoolExecutor(senders) as pool:
        statuses = list(pool.map(send, range(events)))
    replies = fake.wait_for("chat.postMessage", count=events, timeout=120)
    wall = time.monotonic() - started
    reply_ms = [(r.at - sent[r.body["thread_ts"]]) * 1000 for r in replies]
    server.close()
    fake.stop()
    click.echo(json.dumps({
        "events": events, "distinct_questions": len(questions), "senders": senders, "http_threads": settings.http_threads,
        "non_200": sum(s != 200 for s in statuses), "replies": len(replies),
        "ack_ms": percentiles(acks), "reply_ms": percentiles(reply_ms), "events_per_s": events / wall,
    }, indent=2))


if __name__ == "__main__":
    main()
