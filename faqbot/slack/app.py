"""Building the Bolt app: Web API client, credentials check, middleware and listeners.

Construction is kept apart from listener registration (listeners/), so tests build the
very app that is served, pointed at a fake Slack.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from typing import Any, Literal

from slack_bolt import App, BoltContext
from slack_bolt.error import BoltError
from slack_bolt.oauth.oauth_settings import OAuthSettings
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
from faqbot.slack.installs import Installations, Workspace
from faqbot.slack.listeners import register
from faqbot.slack.services import CONTEXT_KEY, Services
from faqbot.store.interface import ResilientStore, Store
from faqbot.store.workspace import WorkspaceStore

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
    """Socket Mode when an app token is set (or asked for), else HTTP mode; checks credentials.
    OAuth mode (SLACK_CLIENT_ID and SLACK_CLIENT_SECRET) is HTTP mode: Slack sends installs to its redirect URL."""
    if settings.oauth and settings.slack_bot_token is not None:
        raise SlackSetupError("SLACK_BOT_TOKEN and SLACK_CLIENT_ID/SLACK_CLIENT_SECRET are both set: unset"
                              " SLACK_BOT_TOKEN to install to several workspaces, or the client ones for one workspace")
    if settings.slack_bot_token is None and not settings.oauth:
        raise SlackSetupError("SLACK_BOT_TOKEN is not set (the bot token, xoxb-...; see README: Connect to Slack),"
                              " nor SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (OAuth mode, several workspaces)")
    mode: Mode = "socket" if requested == "socket" or (requested == "auto" and settings.slack_app_token) else "http"
    if mode == "socket" and settings.oauth:
        raise SlackSetupError("OAuth mode (SLACK_CLIENT_ID and SLACK_CLIENT_SECRET) needs HTTP mode, whose public URL"
                              " serves the install and redirect pages: unset SLACK_APP_TOKEN and leave --mode at auto or http")
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


def web_client(token: str | None, base_url: str = WebClient.BASE_URL) -> WebClient:
    """A Web API client that waits out rate limits (HTTP 429 + Retry-After), backs off from server
    errors and retries dropped connections: a bounded effort, after which the call raises.
    No token in OAuth mode: each request's client gets its workspace's."""
    retries = [
        ConnectionErrorRetryHandler(),
        RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        ServerErrorRetries(max_retry_count=SERVER_ERROR_RETRIES, interval_calculator=BackoffRetryIntervalCalculator()),
    ]
    return WebClient(token=token, base_url=base_url, retry_handlers=retries)


def create_app(settings: Settings, services: Services, mode: Mode, client: WebClient | None = None,
               listener_executor: Executor | None = None, oauth: OAuthSettings | None = None) -> App:
    """The app, with requests verified in HTTP mode (Socket Mode connections are authenticated instead).
    `oauth`: OAuth mode (faqbot/slack/installs.py), each request authorised by its workspace's installation;
    the installation store is given to the App too, so token rotation goes through `client` (Slack's URL, retries)."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    try:
        app = App(
            client=client or web_client(token, settings.slack_api_url),
            signing_secret=secret,
            request_verification_enabled=mode == "http",
            process_before_response=True,  # acks run in the request thread; the work is lazy (listeners/handoff.py)
            listener_executor=listener_executor,
            oauth_settings=oauth,
            installation_store=oauth.installation_store if oauth else None,
            installation_store_bot_only=oauth.installation_store_bot_only if oauth else None,
        )
    except BoltError as exc:  # auth.test failed: a wrong or revoked token
        raise SlackSetupError(f"Slack rejected SLACK_BOT_TOKEN: {exc}") from exc
    except OSError as exc:
        raise SlackSetupError(f"cannot reach Slack at {settings.slack_api_url}: {exc}") from exc
    app.use(_provide(services, only_own_records=oauth is not None))
    register(app)
    app.error(log_listener_error)
    return app


def assemble(settings: Settings, matcher: Matcher, store: Store, mode: Mode, client: WebClient | None = None,
             listener_executor: Executor | None = None, oauth: OAuthSettings | None = None) -> tuple[App, Services]:
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
    app = create_app(settings, services, mode, client, listener_executor, oauth)
    services.workspaces = workspaces(app, oauth)
    services.reloader = FaqReloader(
        settings.faq_path, lambda: services.matcher, lambda new: setattr(services, "matcher", new),
        settings.index_cache, on_problems=lambda result: tell_admins(services.workspaces, settings.admins, result, store),
        calibration_path=settings.calibration_path, adjust=settings.overriding,
        desks_path=desks_path, replace_desks=lambda new: setattr(services, "desks", new),
    )
    return app, services


def workspaces(app: App, oauth: OAuthSettings | None) -> Callable[[], Iterable[Workspace]]:
    """Where work no request starts is sent: token mode's one workspace (no ID needed: its records
    are all of them), or in OAuth mode every installation, read afresh each time."""
    if oauth is None:
        return lambda: [(None, app.client)]
    return Installations.of(oauth, app.client).clients


def tell_admins(clients: Callable[[], Iterable[Workspace]], admins: Iterable[str], result: ReloadResult,
                store: Store) -> None:
    """A refused FAQ change, sent by DM to each configured admin: once for all processes,
    since every process watches the files and sees the same problems. In OAuth mode through
    the first installation whose bot can reach the admin."""
    problems = hashlib.sha256("\n".join(result.problems).encode()).hexdigest()[:32]
    if not store.claim(f"faq-problems:{problems}"):
        return
    reachable = list(clients())
    for admin in admins:
        errors = []
        for _, client in reachable:
            try:
                client.chat_postMessage(channel=admin, text=result.summary())
                break
            except SlackApiError as exc:  # another workspace's member (OAuth mode), a deactivated account
                errors.append(str(exc.response.get("error")))
        else:
            log.error("could not tell admin %s about the FAQ problems: %s", admin, ", ".join(errors) or "not installed")


def _provide(services: Services, only_own_records: bool) -> Callable[..., None]:
    """The services for one request: its store stamps the request's workspace on records and,
    with `only_own_records` (OAuth mode), reads that workspace's only."""

    def provide_services(context: BoltContext, body: dict[str, Any], next_: Callable[[], None]) -> None:
        store = WorkspaceStore(services.store, _workspace_of(context, body), only_own_records)
        context[CONTEXT_KEY] = dataclasses.replace(services, store=store)
        next_()

    return provide_services


def _workspace_of(context: BoltContext, body: dict[str, Any]) -> str | None:
    """The workspace a request came from: Bolt's team, else (an org-wide install's events carry
    no team in their authorization) the event's own team, else the Enterprise Grid org."""
    return context.team_id or body.get("team_id") or context.enterprise_id


def log_listener_error(error: Exception, body: dict[str, Any], logger: logging.Logger) -> None:
    """A failed listener (e.g. a Slack API error) is logged; the app carries on."""
    kind = body.get("type")
    detail = body.get("event", {}).get("type") if kind == "event_callback" else body.get("command") or kind
    logger.error("handling %s failed: %s", detail, error, exc_info=error)
