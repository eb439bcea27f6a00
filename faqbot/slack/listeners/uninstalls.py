"""app_uninstalled and tokens_revoked: in OAuth mode the workspace's (or org's) installation
is deleted, so its requests are no longer answered and its tokens not kept; in token mode
the log says why the bot has stopped working there. Acked at once; the deletion runs after,
and a database failure is logged with the event (Slack does not send it again)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext
from slack_bolt.listener.builtins import TokenRevocationListeners

from faqbot.slack.listeners.handoff import ack_then

log = logging.getLogger(__name__)


def _where(context: BoltContext) -> str:
    return f"workspace {context.team_id}" if context.team_id else f"Enterprise Grid org {context.enterprise_id}"


def register(app: App) -> None:
    if app.installation_store is None:
        app.event("app_uninstalled")(**ack_then(_token_mode_uninstalled))
        app.event("tokens_revoked")(**ack_then(_token_mode_revoked))
        return
    revocations = TokenRevocationListeners(app.installation_store)  # Bolt's deletions, run after the ack

    def forget_installation(context: BoltContext) -> None:
        revocations.handle_app_uninstalled_events(context)
        log.info("uninstalled from %s: its installation is deleted", _where(context))

    def forget_tokens(event: dict[str, Any], context: BoltContext) -> None:
        revocations.handle_tokens_revoked_events(event, context)
        log.info("tokens revoked in %s: deleted", _where(context))

    app.event("app_uninstalled")(**ack_then(forget_installation))
    app.event("tokens_revoked")(**ack_then(forget_tokens))


def _token_mode_uninstalled(context: BoltContext) -> None:
    log.warning("faqbot was uninstalled from %s: SLACK_BOT_TOKEN no longer works there", _where(context))


def _token_mode_revoked(context: BoltContext) -> None:
    log.warning("tokens were revoked in %s: if SLACK_BOT_TOKEN was one, reinstall the app for a new one",
                _where(context))
