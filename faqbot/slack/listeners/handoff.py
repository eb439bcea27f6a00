"""Ack in the request thread, work after: Bolt's ack/lazy listener pairs.

The app runs with `process_before_response=True`, so an ack function runs in the thread
that answers Slack's HTTP request (or Socket Mode envelope) and nothing queued can delay
it past Slack's 3 seconds. Matching, the database and Web API calls run as lazy listeners
on the listener executor, after the response has gone.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack

log = logging.getLogger(__name__)


def ack_at_once(ack: Ack) -> None:
    ack()


def logged(work: Callable[..., None]) -> Callable[..., None]:
    """A lazy listener whose failure is logged with its traceback (Bolt logs one line, without it);
    the request was acked already, so the user sees nothing of it."""

    @functools.wraps(work)  # Bolt injects arguments by the names of the wrapped function
    def run(**kwargs: Any) -> None:
        try:
            work(**kwargs)
        except Exception:
            log.exception("%s failed after the ack", work.__name__)

    return run


def ack_then(work: Callable[..., None]) -> dict[str, Any]:
    """Arguments for `app.event(...)(**ack_then(work))` and the like."""
    return {"ack": ack_at_once, "lazy": [logged(work)]}
