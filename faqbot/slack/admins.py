"""Who may use the admin commands: the users in FAQBOT_ADMINS, and the workspace's admins
and owners (asked of Slack with users.info, remembered for a while)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

CACHE_S = 600.0  # a promotion or demotion in Slack is seen within 10 minutes

log = logging.getLogger(__name__)


class Admins:
    """Answers "is this user an admin?"; the configured IDs need no call to Slack."""

    def __init__(self, configured: Iterable[str] = ()) -> None:
        self.configured = frozenset(configured)
        self._seen: dict[str, tuple[bool, float]] = {}  # user -> (workspace admin?, when asked)
        self._lock = threading.Lock()

    def is_admin(self, client: WebClient, user: str) -> bool:
        if user in self.configured:
            return True
        with self._lock:
            known = self._seen.get(user)
        if known and time.monotonic() - known[1] < CACHE_S:
            return known[0]
        try:
            profile = client.users_info(user=user)["user"]
        except SlackApiError as exc:  # e.g. missing users:read: fail closed, say why
            log.error("users.info for %s failed (%s): treating as not an admin", user, exc.response.get("error"))
            return False
        except OSError as exc:  # Slack unreachable after the client's retries
            log.error("users.info for %s failed (%s): treating as not an admin", user, exc)
            return False
        admin = bool(profile.get("is_admin") or profile.get("is_owner") or profile.get("is_primary_owner"))
        with self._lock:
            self._seen[user] = (admin, time.monotonic())
        return admin
