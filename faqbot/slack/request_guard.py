"""What reaches Bolt in HTTP mode: signed, bounded, well-formed Slack requests only.

Anyone on the internet can POST to the events URL. Bolt reads the whole body before it
checks the signature, answers a malformed signed body with a 500 and a traceback, and logs
rejected bodies whole. This guard runs first: it refuses an oversized body unread (413), one that is not UTF-8 (400),
a bad or stale signature (401) and a signed body that is not what Slack sends (400),
each with one log line that quotes nothing from the request.
"""

from __future__ import annotations

import io
import json
import logging
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any

from slack_sdk.signature import SignatureVerifier

# Slack's largest payloads (a 40,000-character message with its rich-text blocks, a modal's
# view state) are a few hundred KB; 1 MiB leaves room and keeps an attacker's bodies small.
MAX_BODY_BYTES = 1024 * 1024

log = logging.getLogger(__name__)
Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Refused(Exception):
    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def guard(app: Wsgi, signing_secret: str) -> Wsgi:
    """Wrap the Bolt WSGI app: only requests that pass every check reach it."""
    verifier = SignatureVerifier(signing_secret)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            return app(environ, start_response)
        try:
            body = _checked_body(environ, verifier)
        except Refused as refused:
            log.warning("refused a request from %s: %s", environ.get("REMOTE_ADDR", "?"), refused)
            start_response(refused.status, [("Content-Type", "text/plain; charset=utf-8")])
            return [f"{refused}\n".encode()]
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return app(environ, start_response)

    return application


def _checked_body(environ: dict[str, Any], verifier: SignatureVerifier) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise Refused("400 Bad Request", "unreadable Content-Length") from None
    if length > MAX_BODY_BYTES:
        raise Refused("413 Content Too Large", f"body of {length} bytes (the limit is {MAX_BODY_BYTES})")
    body = environ["wsgi.input"].read(length)
    try:
        text = body.decode("utf-8")  # Slack sends nothing else, and the signature check needs text
    except UnicodeDecodeError:
        raise Refused("400 Bad Request", "the body is not UTF-8") from None
    timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
    signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
    if not verifier.is_valid(text, timestamp, signature):
        raise Refused("401 Unauthorized", "missing, wrong or stale Slack signature")
    problem = _malformed(text, environ.get("CONTENT_TYPE", ""))
    if problem:
        raise Refused("400 Bad Request", f"signed, but {problem}")
    return body


def _malformed(text: str, content_type: str) -> str | None:
    """Why a signed body is not a Slack request, or None: events are a JSON object; commands
    and interactions a form, whose `payload` (interactions) is a JSON object."""
    if content_type.startswith("application/json"):
        return _not_an_object(text, "the JSON body")
    if content_type.startswith("application/x-www-form-urlencoded"):
        form = urllib.parse.parse_qs(text, keep_blank_values=True)
        if "payload" not in form:
            return None
        problem = _not_an_object(form["payload"][0], "the form's payload")
        return problem or _unlike_an_interaction(json.loads(form["payload"][0]))
    return f"content type {content_type[:60]!r} is neither JSON nor a form"


def _not_an_object(text: str, what: str) -> str | None:
    try:
        value = json.loads(text)
    except ValueError:
        return f"{what} is not JSON"
    return None if isinstance(value, dict) else f"{what} is not a JSON object"


def _unlike_an_interaction(payload: dict[str, Any]) -> str | None:
    """What Bolt reads of an interaction without checking it (a KeyError is its 500): a
    type; a view's type for submissions; each action's id for clicks."""
    kind = payload.get("type")
    if not isinstance(kind, str):
        return "the interaction has no type"
    if kind in ("view_submission", "view_closed"):
        view = payload.get("view")
        if not isinstance(view, dict) or not isinstance(view.get("type"), str):
            return f"the {kind} has no view of a type"
    if kind == "block_actions":
        actions = payload.get("actions")
        if not isinstance(actions, list) or not all(isinstance(a, dict) and isinstance(a.get("action_id"), str)
                                                    for a in actions):
            return "the block_actions' actions are not a list of actions with ids"
    return None
