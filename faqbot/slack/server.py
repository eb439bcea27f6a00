"""Running the app: HTTP mode under waitress (a production WSGI server), or Socket Mode."""

from __future__ import annotations

import gc
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import waitress
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler

from faqbot.config import Settings
from faqbot.matching.decision import Calibration
from faqbot.matching.matcher import Matcher
from faqbot.slack.app import SlackSetupError, assemble, connection_mode
from faqbot.slack.installs import INSTALL_PATH, oauth_settings
from faqbot.slack.owner_digest import OwnerDigests
from faqbot.slack.request_guard import MAX_BODY_BYTES, guard
from faqbot.store.interface import Store
from faqbot.store.sql import SqlStore

EVENTS_PATH = "/slack/events"  # events, slash commands and interactivity all arrive here
HEALTH_PATH = "/healthz"
RETENTION_EVERY_S = 24 * 3600
SIGNING_SECRET_LENGTH = 32  # hex digits, under Basic Information > App Credentials

log = logging.getLogger(__name__)
Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def wsgi_app(app: App, signing_secret: str) -> Wsgi:
    """Bolt on EVENTS_PATH behind the request guard, plus a health check for load balancers and platforms.
    In OAuth mode Bolt also answers GET on the install and redirect paths, which Slack does not sign
    (the guard checks POSTs only; the OAuth state checks the redirect)."""
    slack = guard(SlackRequestHandler(app, path=EVENTS_PATH), signing_secret)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"ok\n"]
        return slack(environ, start_response)

    return application


def serve(settings: Settings, matcher: Matcher, store: SqlStore, requested_mode: str = "auto",
          calibrate: Callable[[Matcher], Calibration] | None = None) -> None:
    """Connect to Slack and serve until stopped; on SIGTERM (a platform restarting the
    process) or Ctrl-C, stop taking requests and finish the replies already under way.
    `calibrate`: the FAQ's calibration, fitted in the background once serving has started."""
    mode = connection_mode(settings, requested_mode)
    if settings.user_hash_key is None:
        log.warning("FAQBOT_USER_HASH_KEY is not set: user IDs are hashed with a public default key,"
                    " which anyone with the database and a member list can reverse")
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    if mode == "http" and len(secret) != SIGNING_SECRET_LENGTH:
        log.warning("SLACK_SIGNING_SECRET has %d characters where Slack's have %d: check it, or every request"
                    " will be refused as unsigned", len(secret), SIGNING_SECRET_LENGTH)
    listeners = ThreadPoolExecutor(thread_name_prefix="faqbot-listener")
    threading.Thread(target=_retention_loop, args=(store, settings.retention_days), daemon=True).start()
    oauth = oauth_settings(settings, store.engine) if settings.oauth else None
    app, services = assemble(settings, matcher, store, mode, listener_executor=listeners, oauth=oauth)
    OwnerDigests(services, settings.stale_days).start()
    if oauth is not None:
        log.info("OAuth mode: install at %s on this server", INSTALL_PATH)
    gc.freeze()  # the FAQ, model and indexes live as long as the process: out of the cycle collector's way
    if settings.watch_faq and services.reloader:
        services.reloader.start()
    if calibrate is not None and services.reloader:
        threading.Thread(target=services.reloader.recalibrate, args=(calibrate,), name="faq-calibration",
                         daemon=True).start()
    signal.signal(signal.SIGTERM, _exit)
    try:
        if mode == "socket":
            _serve_socket_mode(app, settings.slack_app_token.get_secret_value())
        else:
            _listen(settings, wsgi_app(app, secret)).run()
    finally:
        log.info("stopping: finishing the replies under way")
        listeners.shutdown(wait=True)


def _listen(settings: Settings, application: Wsgi) -> Any:
    """Waitress bound to HOST:PORT; a port in use or a host that does not resolve is a setup error."""
    try:
        server = waitress.create_server(application, host=settings.host, port=settings.port,
                                        threads=settings.http_threads, max_request_body_size=MAX_BODY_BYTES,
                                        ident="faqbot")
    except (OSError, ValueError) as exc:  # waitress says ValueError for a host that does not resolve
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise SlackSetupError(f"cannot listen on {settings.host}:{settings.port}: {reason}"
                              " (set PORT, or FAQBOT_HOST, to one this machine can use)") from exc
    log.info("HTTP mode: listening on http://%s:%s%s", settings.host, settings.port, EVENTS_PATH)
    return server


def _serve_socket_mode(app: App, app_token: str) -> None:
    handler = SocketModeHandler(app, app_token)
    log.info("Socket Mode: connecting to Slack")
    handler.connect()
    try:
        threading.Event().wait()
    finally:
        handler.close()


def apply_retention(store: Store, days: int) -> int:
    """Delete records older than `days`; returns how many went."""
    removed = store.delete_before(datetime.now(UTC) - timedelta(days=days))
    log.info("retention: %d records older than %d days deleted", removed, days)
    return removed


def _retention_loop(store: Store, days: int) -> None:
    """At start-up and once a day after; any process may do it, deleting twice is harmless."""
    while True:
        try:
            apply_retention(store, days)
        except Exception:
            log.exception("retention failed; trying again tomorrow")
        time.sleep(RETENTION_EVERY_S)


def _exit(signum: int, frame: object) -> None:
    raise SystemExit(0)
