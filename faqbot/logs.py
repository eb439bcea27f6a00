"""Logging set-up that never writes a credential, whatever a library logs at DEBUG.

slack_sdk and Bolt log request bodies and URLs when debugging; those can hold tokens,
response URLs (which let anyone post as the app) and socket-mode tickets. A filter on
the handler rewrites every record's final text, so no logger can get around it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

_PATTERNS = (
    re.compile(r"\bxox[a-z]-[A-Za-z0-9-]+"),  # bot, user and legacy tokens
    re.compile(r"\bxapp-[A-Za-z0-9-]+"),  # app-level tokens (Socket Mode)
    re.compile(r"https://hooks\.slack(?:-gov)?\.com/\S+"),  # response URLs and webhooks
    re.compile(r"https?%3A%2F%2Fhooks\.slack(?:-gov)?\.com[^\s&\"']*", re.IGNORECASE),  # the same, form-encoded
    re.compile(r"(ticket=)[^&\s'\"]+"),  # Socket Mode connection URLs
    re.compile(r"(://[^:/@\s]+:)[^@\s]+(?=@)"),  # passwords in database URLs
    # the legacy verification token every payload carries: JSON, dict repr, or form-encoded
    re.compile(r"""(\btoken["']?\s*[:=]\s*["']?)[^"'&\s,}]+"""),
)
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
MIN_SECRET = 8  # a shorter "secret" is ordinary text: redacting it would shred every line
MAX_MESSAGE = 2000  # characters of one message; a request body can be megabytes
QUIET = {"alembic.runtime.plugins": logging.WARNING}  # a line per plugin on every start-up


class RedactSecrets(logging.Filter):
    """Replace known secrets and anything shaped like a Slack credential with [redacted];
    and keep each message one bounded line, so text from a request cannot forge a log line."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = sorted((s for s in secrets if len(s) >= MIN_SECRET), key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        for pattern in _PATTERNS:
            text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + "[redacted]", text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = _one_line(self.redact(message)), None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


def _one_line(message: str) -> str:
    if len(message) > MAX_MESSAGE:
        message = f"{message[:MAX_MESSAGE]}… ({len(message) - MAX_MESSAGE} more characters)"
    return message.replace("\r", "\\r").replace("\n", "\\n")


def configure_logging(level: str, secrets: Iterable[str] = (), stream: object = None) -> logging.Handler:
    """Root logging to stderr (or `stream`) through the redacting filter; returns the handler."""
    handler = logging.StreamHandler(stream)  # type: ignore[arg-type]
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "faqbot", False):
            root.removeHandler(old)
    handler.faqbot = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    for name, quiet in QUIET.items():
        logging.getLogger(name).setLevel(max(quiet, logging.getLevelName(level)))
    return handler
