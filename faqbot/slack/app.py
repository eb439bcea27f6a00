"""Building the Bolt app: Web API client, credentials check, middleware and listeners.

Construction is kept apart from listener registration (listeners/), so tests build the
very app that is served, pointed at a fake Slack.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from typing import Any, Literal

from slack_bolt import App, BoltContext
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import HttpRequest, HttpResponse, RetryState
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator

from faqbot.config import Settings
from faqbot.faq.channel_desks import desks_file, load_desks
from faqbot.faq.reload import FaqReloader, ReloadResult
from faqbot.matching.matcher import Matcher
from faqbot.slack.admins import Admins
from faqbot.slack.listeners import register
from faqbot.slack.services import CONTEXT_KEY, Services
from faqbot.store.interface import ResilientStore, Store

Mode = Literal["http", "socket"]
RATE_LIMIT_RETRIES = 5  # each waits out Slack's Retry-After
SERVER_ERROR_RETRIES = 3  # after 0.5, 1 and 2 s (plus jitter)

log = logging.getLogger(__name__)


def _same_token(record: logging.LogRecord) -> bool:
    """Bolt warns that SLACK_BOT_TOKEN goes unused when given a client; ours is built with that token."""
    return "`token` will be unused" not in record.getMessage()


logging.getLogger("slack_bolt.App").addFilter(_same_token)


class SlackSetupError(Exception):
    """Missing or rejected credentials: the message says which variable to set."""


def connection_mode(settings: Settings, requested: str = "auto") -> Mode:
    """Socket Mode when an app token is set (or asked for), else HTTP mode; checks credentials."""
    if settings.slack_bot_token is None:
        raise SlackSetupError("SLACK_BOT_TOKEN is not set (the bot token, xoxb-...; see README: Connect to Slack)")
    mode: Mode = "socket" if requested == "socket" or (requested == "auto" and settings.slack_app_token) else "http"
    if mode == "socket" and settings.slack_app_token is None:
        raise SlackSetupError("Socket Mode needs SLACK_APP_TOKEN (an app-level token, xapp-..., with connections:write)")
    if mode == "http" and settings.slack_signing_secret is None:
        raise SlackSetupError("HTTP mode needs SLACK_SIGNING_SECRET (Basic Information > App Credentials)")
    return mode


class ServerErrorRetries(ServerErrorRetryHandler):
    """Every 5xx: slack_sdk's own handler retries 500 and 503 only, and Slack's edge also answers 502 and 504."""

    def _can_retry(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                   error: Exception | None = None) -> bool:
        return response is not None and response.status_code >= 500


def web_client(token: str, base_url: str = WebClient.BASE_URL) -> WebClient:
    """A Web API client that waits out rate limits (HTTP 429 + Retry-After), backs off from server
    errors and retries dropped connections: a bounded effort, after which the call raises."""
    retries = [
        ConnectionErrorRetryHandler(),
        RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        ServerErrorRetries(max_retry_count=SERVER_ERROR_RETRIES, interval_calculator=BackoffRetryIntervalCalculator()),
    ]
    return WebClient(token=token, base_url=base_url, retry_handlers=retries)


def create_app(settings: Settings, services: Services, mode: Mode, client: WebClient | None = None,
               listener_executor: Executor | None = None) -> App:
    """The app, with requests verified in HTTP mode (Socket Mode connections are authenticated instead)."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else ""
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    try:
        app = App(
            client=client or web_client(token, settings.slack_api_url),
            signing_secret=secret,
            request_verification_enabled=mode == "http",
            process_before_response=True,  # acks run in the request thread; the work is lazy (listeners/handoff.py)
            listener_executor=listener_executor,
        )
    except BoltError as exc:  # auth.test failed: a wrong or revoked token
        raise SlackSetupError(f"Slack rejected SLACK_BOT_TOKEN: {exc}") from exc
    except OSError as exc:
        raise SlackSetupError(f"cannot reach Slack at {settings.slack_api_url}: {exc}") from exc
    app.use(_provide(services))
    register(app)
    app.error(log_listener_error)
    return app


def assemble(settings: Settings, matcher: Matcher, store: Store, mode: Mode, client: WebClient | None = None,
             listener_executor: Executor | None = None) -> tuple[App, Services]:
    """The app and what its listeners use: admins from settings, the channels' help desks, and
    a FAQ reloader that tells the configured admins by DM when a change is refused (the
    watcher is started by the caller). FaqError when the channels file is broken."""
    desks_path = desks_file(settings.faq_folder)
    desks = load_desks(desks_path).checked(matcher.faq)  # FaqError: the app does not start on a broken file
    for warning in desks.warnings:
        log.warning("FAQ: %s", warning)
    services = Services(matcher, ResilientStore(store), settings.mode_of, Admins(settings.admins),
                        capture_file=settings.capture_path, stale_days=settings.stale_days,
                        escalation_channel=settings.escalation_channel, desks=desks)
    app = create_app(settings, services, mode, client, listener_executor)
    services.reloader = FaqReloader(
        settings.faq_path, lambda: services.matcher, lambda new: setattr(services, "matcher", new),
        settings.index_cache, on_problems=lambda result: tell_admins(app.client, settings.admins, result, store),
        calibration_path=settings.calibration_path, adjust=settings.overriding,
        desks_path=desks_path, replace_desks=lambda new: setattr(services, "desks", new),
    )
    return app, services


def tell_admins(client: WebClient, admins: Iterable[str], result: ReloadResult, store: Store) -> None:
    """A refused FAQ change, sent by DM to each configured admin: once for all processes,
    since every process watches the files and sees the same problems."""
    problems = hashlib.sha256("\n".join(result.problems).encode()).hexdigest()[:32]
    if not store.claim(f"faq-problems:{problems}"):
        return
    for admin in admins:
        try:
            client.chat_postMessage(channel=admin, text=result.summary())
        except SlackApiError as exc:
            log.error("could not tell admin %s about the FAQ problems: %s", admin, exc.response.get("error"))


def _provide(services: Services) -> Callable[..., None]:
    def provide_services(context: BoltContext, next_: Callable[[], None]) -> None:
        context[CONTEXT_KEY] = services
        next_()

    return provide_services


def log_listener_error(error: Exception, body: dict[str, Any], logger: logging.Logger) -> None:
    """A failed listener (e.g. a Slack API error) is logged; the app carries on."""
    kind = body.get("type")
    detail = body.get("event", {}).get("type") if kind == "event_callback" else body.get("command") or kind
    logger.error("handling %s failed: %s", detail, error, exc_info=error)
