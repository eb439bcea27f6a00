"""OAuth mode: faqbot installed to several workspaces (or org-wide on Enterprise Grid)
through Slack's OAuth flow, instead of one workspace's SLACK_BOT_TOKEN.

Bolt serves the install page and the redirect URL, exchanges the code with oauth.v2.access
and looks each request's bot token up by its team (or, for an org-wide install, its
enterprise). Installations and OAuth states are kept by slack_sdk's SQLAlchemy stores in
faqbot's own database, whose tables migration 0006 creates. Tokens rotate: Bolt refreshes
a bot token when it is due to expire, from the refresh token kept with it.

Work no request starts (the weekly owner reviews, DMs to admins about a refused FAQ edit)
goes through every installation's bot in turn (`Installations`), each token refreshed
first when it is due, as Bolt does for a request.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackTokenRotationError
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from slack_sdk.oauth.token_rotation import TokenRotator
from sqlalchemy import Engine, select

from faqbot.config import Settings

# manifest.yml's oauth_config.scopes.bot, which say why each is needed; a test keeps the two equal.
BOT_SCOPES = ("app_mentions:read", "channels:history", "groups:history", "im:history", "mpim:history",
              "chat:write", "assistant:write", "commands", "channels:read", "groups:read", "users:read",
              "usergroups:read")
INSTALL_PATH = "/slack/install"  # Bolt's defaults, named here because the HTTP server routes them
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_EXPIRATION_S = 600  # from the install link to Slack's redirect back
ROTATE_BEFORE_MINUTES = 120  # a rotated bot token (12 hours) is refreshed when it has less left than this

log = logging.getLogger(__name__)


def authorization_url(api_url: str) -> str:
    """Slack's authorize page beside its Web API (https://slack.com/oauth/v2/authorize; GovSlack's for slack-gov.com)."""
    return api_url.rstrip("/").removesuffix("/api") + "/oauth/v2/authorize"


def oauth_settings(settings: Settings, engine: Engine) -> OAuthSettings:
    """Bolt's OAuth settings on `engine`: bot tokens only (faqbot asks for no user scopes),
    the install link redirecting straight to Slack, and a log line for each install and refusal."""
    if settings.slack_client_id is None or settings.slack_client_secret is None:
        raise ValueError("OAuth mode needs SLACK_CLIENT_ID and SLACK_CLIENT_SECRET")
    client_id = settings.slack_client_id
    return OAuthSettings(
        client_id=client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=list(BOT_SCOPES),
        user_scopes=[],
        redirect_uri=settings.slack_redirect_uri,
        install_path=INSTALL_PATH,
        install_page_rendering_enabled=False,  # /slack/install goes to Slack's page at once
        redirect_uri_path=REDIRECT_PATH,
        authorization_url=authorization_url(settings.slack_api_url),
        installation_store=SQLAlchemyInstallationStore(client_id, engine),
        installation_store_bot_only=True,
        token_rotation_expiration_minutes=ROTATE_BEFORE_MINUTES,
        state_store=SQLAlchemyOAuthStateStore(STATE_EXPIRATION_S, engine),
        state_expiration_seconds=STATE_EXPIRATION_S,
        callback_options=CallbackOptions(success=_installed, failure=_refused),
    )


def _installed(args: SuccessArgs) -> BoltResponse:
    installation = args.installation
    where = (f"org-wide on Enterprise Grid org {installation.enterprise_id}" if installation.is_enterprise_install
             else f"to workspace {installation.team_id}")
    log.info("installed %s by %s", where, installation.user_id)
    return args.default.success(args)


def _refused(args: FailureArgs) -> BoltResponse:
    """Bolt's page, which names the reason (invalid_state: a forged, used or expired link) and links to a new install."""
    log.warning("refused an install: %s%s", args.reason, f" ({args.error})" if args.error else "")
    return args.default.failure(args)


Workspace = tuple[str | None, WebClient]  # a workspace's (or org's) ID, and a client with its bot token


@dataclass(frozen=True)
class Installations:
    """Every installation's bot, for background work: `clients()` reads them afresh each time,
    so an install or uninstall since is seen. `client` is the app's (Slack's URL, retries):
    refreshes go through it, and each bot's client is made like it."""

    store: SQLAlchemyInstallationStore
    rotator: TokenRotator
    client: WebClient

    @classmethod
    def of(cls, oauth: OAuthSettings, client: WebClient) -> Installations:
        rotator = TokenRotator(client_id=oauth.client_id, client_secret=oauth.client_secret, client=client)
        return cls(oauth.installation_store, rotator, client)

    def clients(self) -> Iterator[Workspace]:
        """(workspace or org ID, its bot's client) for each installation; one whose token cannot be
        refreshed (uninstalled since, a revoked refresh token) is logged and left out."""
        bots = self.store.bots.c
        query = select(bots.enterprise_id, bots.team_id, bots.is_enterprise_install).where(
            bots.client_id == self.store.client_id).distinct()
        with self.store.engine.connect() as connection:
            found = connection.execute(query).all()
        for enterprise_id, team_id, org_wide in found:
            bot = self.store.find_bot(enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=org_wide)
            if bot is None:
                continue
            try:
                refreshed = self.rotator.perform_bot_token_rotation(bot=bot,
                                                                    minutes_before_expiration=ROTATE_BEFORE_MINUTES)
            except SlackTokenRotationError as exc:
                log.warning("cannot refresh the bot token of %s: %s", team_id or enterprise_id, exc)
                continue
            if refreshed is not None:
                self.store.save_bot(refreshed)
                bot = refreshed
            yield team_id or enterprise_id, WebClient(token=bot.bot_token, base_url=self.client.base_url,
                                                      retry_handlers=self.client.retry_handlers)
