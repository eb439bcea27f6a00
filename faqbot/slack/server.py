"""Running the app: HTTP mode under waitress (a production WSGI server), or Socket Mode."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import waitress
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler

from faqbot.config import Settings
from faqbot.matcher import Matcher
from faqbot.slack.app import connection_mode, create_app
from faqbot.slack.services import Services
from faqbot.store import MemoryStore, Store

EVENTS_PATH = "/slack/events"  # events, slash commands and interactivity all arrive here
HEALTH_PATH = "/healthz"

log = logging.getLogger(__name__)
Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def wsgi_app(app: App) -> Wsgi:
    """Bolt on EVENTS_PATH, plus a health check for load balancers and platforms."""
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"ok\n"]
        return slack(environ, start_response)

    return application


def serve(settings: Settings, matcher: Matcher, requested_mode: str = "auto", store: Store | None = None) -> None:
    """Connect to Slack and serve until stopped; on SIGTERM (a platform restarting the
    process) or Ctrl-C, stop taking requests and finish the replies already under way."""
    mode = connection_mode(settings, requested_mode)
    services = Services(matcher, store or MemoryStore(), settings.mode_of)
    listeners = ThreadPoolExecutor(thread_name_prefix="faqbot-listener")
    app = create_app(settings, services, mode, listener_executor=listeners)
    signal.signal(signal.SIGTERM, _exit)
    try:
        if mode == "socket":
            _serve_socket_mode(app, settings.slack_app_token.get_secret_value())
        else:
            log.info("HTTP mode: listening on http://%s:%s%s", settings.host, settings.port, EVENTS_PATH)
            waitress.serve(wsgi_app(app), host=settings.host, port=settings.port, threads=settings.http_threads,
                           ident="faqbot")
    finally:
        log.info("stopping: finishing the replies under way")
        listeners.shutdown(wait=True)


def _serve_socket_mode(app: App, app_token: str) -> None:
    handler = SocketModeHandler(app, app_token)
    log.info("Socket Mode: connecting to Slack")
    handler.connect()
    try:
        threading.Event().wait()
    finally:
        handler.close()


def _exit(signum: int, frame: object) -> None:
    raise SystemExit(0)
