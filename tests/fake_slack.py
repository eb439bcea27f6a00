"""A fake Slack on 127.0.0.1 for scenario tests: the Web API, response URLs, and requests
signed the way Slack signs them; and the app served locally to receive them.

The Web API side records every call and answers like Slack does (JSON with "ok"); a test
can make the next calls of a method fail with any status, headers and body, e.g. a 429
with Retry-After. For OAuth mode it hands out per-workspace tokens: `grant` prepares what
oauth.v2.access gives for a code (a workspace, or an Enterprise Grid org for an org-wide
install), rotated tokens are refreshed with their refresh token, and auth.test answers for
each token it issued (revoked ones: invalid_auth).
"""

from __future__ import annotations

import collections
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import waitress
from slack_sdk.signature import SignatureVerifier

BOT_USER = "UBOT"
BOT_ID = "BBOT"
TEAM = "T0001"


@dataclass
class Call:
    path: str  # "chat.postMessage", or "response/<name>" for a response URL
    body: dict[str, Any]
    headers: dict[str, str]
    status: int = 200
    at: float = field(default_factory=time.monotonic)  # when the fake answered it


@dataclass
class Failure:
    status: int
    headers: dict[str, str]
    body: dict[str, Any]
    times: int


@dataclass(frozen=True)
class Installed:
    """A workspace (or, with no team, an org-wide install on Enterprise Grid) that tokens were issued for."""

    team: str | None
    enterprise: str | None = None
    expires_in: int = 12 * 3600  # a rotated bot token's life

    @property
    def bot_user(self) -> str:
        return f"UBOT{self.team or self.enterprise}"


@dataclass
class FakeSlack:
    calls: list[Call] = field(default_factory=list)
    socket_url: str = "ws://127.0.0.1:9/"  # what apps.connections.open hands out
    workspace_admins: set[str] = field(default_factory=set)  # users.info says is_admin for these
    threads: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)  # (channel, ts) -> messages
    usergroups: dict[str, list[str]] = field(default_factory=dict)  # user group ID -> member IDs
    memberships: dict[str, list[str]] = field(default_factory=dict)  # user ID -> the channels they are in
    grants: dict[str, Installed] = field(default_factory=dict)  # OAuth code -> what installing gives
    tokens: dict[str, Installed] = field(default_factory=dict)  # bot tokens issued, and refresh tokens
    revoked: set[str] = field(default_factory=set)  # tokens auth.test refuses
    people: dict[str, str] = field(default_factory=dict)  # user ID -> the workspace (or org) whose bots may DM them
    _failures: dict[str, Failure] = field(default_factory=dict)
    _delays: dict[str, float] = field(default_factory=dict)
    _lock: threading.Condition = field(default_factory=threading.Condition)

    def start(self) -> FakeSlack:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    @property
    def api_url(self) -> str:
        return self.root + "api/"

    def response_url(self, name: str) -> str:
        return self.root + f"response/{name}"

    def fail(self, method: str, status: int, headers: dict[str, str] | None = None,
             body: dict[str, Any] | None = None, times: int = 1) -> None:
        self._failures[method] = Failure(status, headers or {}, body or {"ok": False, "error": "fake"}, times)

    def slow(self, path: str, seconds: float) -> None:
        """Answer calls to `path` (a method, or "response/" for response URLs) only after `seconds`."""
        self._delays[path] = seconds

    def grant(self, code: str, team: str | None, enterprise: str | None = None, expires_in: int = 12 * 3600) -> None:
        """oauth.v2.access with `code` installs to `team` (None: org-wide to `enterprise`)."""
        self.grants[code] = Installed(team, enterprise, expires_in)

    def revoke(self, installed: Installed) -> None:
        self.revoked |= {t for t, i in self.tokens.items() if i == installed}

    def of(self, path: str) -> list[Call]:
        """Successful calls to one method (or response URL prefix), in order."""
        with self._lock:
            return [c for c in self.calls if c.path.startswith(path) and c.status == 200]

    def wait_for(self, path: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.of(path)) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = collections.Counter(f"{c.path} {c.status}" for c in self.calls)
                    raise AssertionError(f"{count} call(s) to {path} expected; calls seen: {dict(seen)}")
                self._lock.wait(remaining)
            return self.of(path)

    def answer(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        time.sleep(max((s for p, s in self._delays.items() if path.startswith(p)), default=0.0))
        failure = self._failures.get(path)
        if failure and failure.times > 0:
            failure.times -= 1
            self._record(Call(path, body, headers, failure.status))
            return failure.status, failure.headers, failure.body
        self._record(Call(path, body, headers))
        if path.startswith("response/"):
            return 200, {}, "ok"
        return 200, {}, self._api(path, body, headers)

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)
            self._lock.notify_all()

    def _api(self, method: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        ts = f"{time.time():.6f}"
        if method == "auth.test":
            return self._auth_test(headers.get("Authorization", "").removeprefix("Bearer "))
        if method == "oauth.v2.access":
            return self._oauth_access(body)
        if method == "apps.connections.open":
            return {"ok": True, "url": self.socket_url}
        if method == "chat.postMessage":
            if not self._reaches(headers, body.get("channel", "")):
                return {"ok": False, "error": "channel_not_found"}
            return {"ok": True, "channel": body.get("channel"), "ts": ts, "message": {"text": body.get("text")}}
        if method == "users.info":
            user = body.get("user", "")
            return {"ok": True, "user": {"id": user, "is_admin": user in self.workspace_admins, "is_owner": False}}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method in ("views.open", "views.update", "views.publish"):
            view = body.get("view")
            view = json.loads(view) if isinstance(view, str) else view or {}
            return {"ok": True, "view": {**view, "id": body.get("view_id") or "V0VIEW", "hash": f"h{ts}"}}
        if method == "conversations.replies":
            messages = self.threads.get((body.get("channel", ""), body.get("ts", "")))
            return {"ok": True, "messages": messages} if messages else {"ok": False, "error": "thread_not_found"}
        if method == "usergroups.users.list":
            members = self.usergroups.get(body.get("usergroup", ""))
            return {"ok": True, "users": members} if members is not None else {"ok": False, "error": "no_such_subteam"}
        if method == "users.conversations":
            channels = self.memberships.get(body.get("user", ""))
            return {"ok": True, "channels": [{"id": c} for c in channels]} if channels is not None else {
                "ok": False, "error": "user_not_found"}
        if method == "chat.getPermalink":
            channel, message = body.get("channel", ""), body.get("message_ts", "").replace(".", "")
            return {"ok": True, "permalink": f"https://test.slack.com/archives/{channel}/p{message}"}
        return {"ok": True}

    def _reaches(self, headers: dict[str, str], channel: str) -> bool:
        """Whether a DM to `channel` (a user in `people`) can go out with this installation's token."""
        installed = self.tokens.get(headers.get("Authorization", "").removeprefix("Bearer "))
        home = self.people.get(channel)
        return installed is None or home is None or home in (installed.team, installed.enterprise)

    def _auth_test(self, token: str) -> dict[str, Any]:
        if token in self.revoked:
            return {"ok": False, "error": "invalid_auth"}
        installed = self.tokens.get(token)
        if installed is None:  # token mode's one workspace
            return {"ok": True, "user_id": BOT_USER, "bot_id": BOT_ID, "team_id": TEAM, "user": "faqbot",
                    "team": "Test", "url": "https://test.slack.com/"}
        return {"ok": True, "user_id": installed.bot_user, "bot_id": f"B{installed.bot_user}", "user": "faqbot",
                "team_id": installed.team, "enterprise_id": installed.enterprise,
                "is_enterprise_install": installed.team is None, "url": "https://org.enterprise.slack.com/"}

    def _oauth_access(self, body: dict[str, Any]) -> dict[str, Any]:
        """An install (a code) or a refresh (a refresh token): a new bot token and refresh token each time."""
        if body.get("grant_type") == "refresh_token":
            installed = self.tokens.get(body.get("refresh_token", ""))
        else:
            installed = self.grants.pop(body.get("code", ""), None)  # a code works once
        if installed is None:
            return {"ok": False, "error": "invalid_code" if "code" in body else "invalid_refresh_token"}
        serial = len(self.tokens)
        token, refresh = f"xoxe.xoxb-{installed.team or installed.enterprise}-{serial}", f"xoxe-1-refresh-{serial}"
        self.tokens |= {token: installed, refresh: installed}
        return {
            "ok": True, "app_id": "A0APP", "access_token": token, "token_type": "bot", "scope": "chat:write,commands",
            "bot_user_id": installed.bot_user, "refresh_token": refresh, "expires_in": installed.expires_in,
            "team": {"id": installed.team, "name": f"Team {installed.team}"} if installed.team else None,
            "enterprise": {"id": installed.enterprise, "name": "Org"} if installed.enterprise else None,
            "is_enterprise_install": installed.team is None, "authed_user": {"id": "U0INSTALLER"},
        }


def _handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            if "json" in self.headers.get("Content-Type", ""):
                body = json.loads(raw or "{}")
            else:
                body = {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}
            path = self.path.removeprefix("/api/").removeprefix("/").split("?")[0]
            status, headers, answer = fake.answer(path, body, dict(self.headers))
            data = (answer if isinstance(answer, str) else json.dumps(answer)).encode()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "text/plain" if isinstance(answer, str) else "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


def signed_post(url: str, secret: str, body: str | bytes, content_type: str, timestamp: int | None = None,
                headers: dict[str, str] | None = None, signature: str | None = None) -> tuple[int, str]:
    """POST as Slack does: X-Slack-Request-Timestamp and an HMAC signature over the body."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = signature or SignatureVerifier(secret).generate_signature(timestamp=str(timestamp), body=body)
    data = body if isinstance(body, bytes) else body.encode()
    request = urllib.request.Request(url, data=data, method="POST", headers={
        "Content-Type": content_type, "X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": signature,
        **(headers or {}),
    })
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


class LocalServer:
    """A WSGI app under waitress on 127.0.0.1, in a thread: the app as HTTP mode serves it."""

    def __init__(self, wsgi: Any, threads: int = 4) -> None:
        self._server = waitress.create_server(wsgi, host="127.0.0.1", port=0, threads=threads)
        self.url = f"http://127.0.0.1:{self._server.effective_port}"
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        try:
            self._server.run()
        except OSError:  # close() from another thread pulls the socket from under select()
            pass

    def close(self) -> None:
        self._server.close()
