"""OAuth mode: the app installed to several workspaces and org-wide, driven over HTTP like
the token-mode scenarios: the install link, Slack's redirect back with a code (exchanged at
the fake's oauth.v2.access), signed requests from each workspace answered with its own bot
token, rotated tokens refreshed, and uninstalls forgetting the installation."""

from __future__ import annotations

import base64
import http.client
import json
import logging
import time
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from faqbot.config import Settings
from faqbot.faq.loading import load_faq
from faqbot.matching.matcher import Matcher
from faqbot.slack.app import SlackSetupError, assemble, connection_mode, web_client
from faqbot.slack.installs import BOT_SCOPES, INSTALL_PATH, REDIRECT_PATH, oauth_settings
from faqbot.slack.server import HEALTH_PATH, wsgi_app
from faqbot.store import tables
from faqbot.slack.owner_digest import OwnerDigests
from faqbot.store.interface import Feedback, Question
from faqbot.store.sql import SqlStore
from tests.conftest import EPOCH, SMALL_FAQ, ConceptEncoder, write
from tests.fake_slack import TEAM, FakeSlack, Installed, LocalServer, signed_post
from tests.test_slack_app import (
    CALIBRATION, DM, FORM, MANIFEST, SECRET, USER, Bot, TrackingExecutor, last_reply, message, serve, texts,
)
from tests.test_slack_serve import free_port, start_faqbot, stop, wait_until_healthy

CLIENT_ID, CLIENT_SECRET = "1111.2222", "0123456789abcdef0123456789abcdef"
TEAM_A, TEAM_B, ORG, TEAM_IN_ORG = "T0AAA", "T0BBB", "E0ORG", "T0CCC"
ADMIN = "U0ADMIN"


@pytest.fixture
def bot(fake: FakeSlack, faq_file: Path) -> Iterator[Bot]:
    config = Settings(slack_client_id=CLIENT_ID, slack_client_secret=CLIENT_SECRET, slack_signing_secret=SECRET,
                      slack_api_url=fake.api_url, faq_path=faq_file, index_cache=None, admins=ADMIN)
    store = SqlStore.open(f"sqlite:///{faq_file.parent / 'faqbot.db'}")
    executor = TrackingExecutor()
    matcher = Matcher(load_faq(faq_file), ConceptEncoder(), CALIBRATION)
    app, services = assemble(config, matcher, store, connection_mode(config), web_client(None, fake.api_url),
                             executor, oauth_settings(config, store.engine))
    server = LocalServer(wsgi_app(app, SECRET))
    yield Bot(server.url, fake, store, executor, services)
    executor.wait_idle()
    server.close()
    executor.shutdown()


def get(base: str, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    """A browser's GET, redirects not followed."""
    host, port = urllib.parse.urlsplit(base).netloc.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    return response.status, dict(response.getheaders()), response.read().decode()


def start_install(bot: Bot) -> tuple[str, str]:
    """GET the install link: the state Slack will hand back, and the cookie it was set in."""
    status, headers, _ = get(bot.url, INSTALL_PATH)
    assert status == 302
    state = urllib.parse.parse_qs(urllib.parse.urlsplit(headers["Location"]).query)["state"][0]
    return state, headers["Set-Cookie"].split(";")[0]


def install(bot: Bot, team: str | None, enterprise: str | None = None, expires_in: int = 12 * 3600) -> str:
    """The whole flow, as an installer's browser goes through it; returns the bot token issued."""
    state, cookie = start_install(bot)
    code = f"code-{team or enterprise}"
    bot.fake.grant(code, team, enterprise, expires_in)
    status, _, page = get(bot.url, f"{REDIRECT_PATH}?code={code}&state={state}", {"Cookie": cookie})
    assert status == 200 and "Thank you!" in page
    return [t for t, i in bot.fake.tokens.items() if i == Installed(team, enterprise, expires_in)
            and t.startswith("xoxe.xoxb-")][-1]


def event_in(bot: Bot, team: str, event: dict[str, Any], enterprise: str | None = None,
             org_wide: bool = False) -> tuple[int, str]:
    """An event as Slack sends it to one installation: an org-wide one authorises the org, not the team."""
    bot._events += 1
    installed = Installed(None if org_wide else team, enterprise)
    body = {
        "token": "legacy", "team_id": team, "enterprise_id": enterprise, "api_app_id": "A0APP",
        "type": "event_callback", "event_id": f"Ev{bot._events:04d}", "event_time": int(time.time()),
        "authorizations": [{"enterprise_id": enterprise, "team_id": installed.team, "user_id": installed.bot_user,
                            "is_bot": True, "is_enterprise_install": org_wide}],
        "event": {"event_ts": event.get("ts", "1"), **event},
    }
    return bot.post(json.dumps(body))


def command_in(bot: Bot, team: str, words: str, user: str = USER, enterprise: str | None = None,
               org_wide: bool = False) -> tuple[int, str]:
    form = {"token": "legacy", "team_id": team, "enterprise_id": enterprise or "", "channel_id": "C0CHAN",
            "user_id": user, "command": "/faq", "text": words, "response_url": bot.fake.response_url(team),
            "trigger_id": "1.2.3", "api_app_id": "A0APP", "is_enterprise_install": str(org_wide).lower()}
    return bot.post(urllib.parse.urlencode(form), FORM)


def dm(number: int, words: str = "how do I connect to the vpn") -> dict[str, Any]:
    return message(words, ts=f"1700000000.{number:06d}", channel=DM)


def bots_of(bot: Bot) -> list[tuple[str | None, str | None]]:
    b = tables.slack_bots.c
    with bot.store.engine.connect() as connection:
        return [tuple(r) for r in connection.execute(select(b.team_id, b.enterprise_id).order_by(b.id))]


def test_the_install_link_redirects_to_slacks_authorize_page_with_state_and_scopes(bot: Bot) -> None:
    status, headers, _ = get(bot.url, INSTALL_PATH)
    assert status == 302
    url = urllib.parse.urlsplit(headers["Location"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == bot.fake.root + "oauth/v2/authorize"
    query = urllib.parse.parse_qs(url.query)
    assert query["client_id"] == [CLIENT_ID] and query["scope"] == [",".join(BOT_SCOPES)]
    assert "user_scope" not in query  # bot tokens only
    assert headers["Set-Cookie"].startswith(f"slack-app-oauth-state={query['state'][0]};")  # the browser's check
    assert get(bot.url, "/slack/elsewhere")[0] == 404 and get(bot.url, HEALTH_PATH)[0] == 200
    assert signed_post(bot.url + INSTALL_PATH, SECRET, "x=1", FORM, signature="v0=forged")[0] == 401  # POSTs: signed only


def test_the_callback_exchanges_the_code_and_each_workspace_is_answered_with_its_own_token(bot: Bot) -> None:
    token_a, token_b = install(bot, TEAM_A), install(bot, TEAM_B)
    exchanged = bot.fake.of("oauth.v2.access")
    assert [c.body["code"] for c in exchanged] == [f"code-{TEAM_A}", f"code-{TEAM_B}"]
    credentials = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert all(c.headers["Authorization"] == f"Basic {credentials}" for c in exchanged)  # the app's own credentials
    assert bots_of(bot) == [(TEAM_A, None), (TEAM_B, None)]
    event_in(bot, TEAM_B, dm(1))
    [reply] = bot.fake.wait_for("chat.postMessage")
    assert reply.headers["Authorization"] == f"Bearer {token_b}" and reply.body["channel"] == DM
    event_in(bot, TEAM_A, dm(2))
    assert bot.fake.wait_for("chat.postMessage", 2)[1].headers["Authorization"] == f"Bearer {token_a}"
    command_in(bot, TEAM_A, "how do I reset my password")
    [answer] = bot.fake.wait_for(f"response/{TEAM_A}")
    assert "the reset page" in texts(answer.body["blocks"])


def test_a_forged_or_replayed_state_is_refused_with_a_page_saying_why(bot: Bot) -> None:
    state, cookie = start_install(bot)
    status, _, page = get(bot.url, f"{REDIRECT_PATH}?code=stolen&state={state}")  # not the browser that started it
    assert status == 400 and "reason: invalid_browser" in page and f'href="{INSTALL_PATH}"' in page
    forged = "forged-state"
    status, _, page = get(bot.url, f"{REDIRECT_PATH}?code=stolen&state={forged}",
                          {"Cookie": f"slack-app-oauth-state={forged}"})
    assert status == 401 and "Something Went Wrong" in page and "reason: invalid_state" in page
    assert bot.fake.of("oauth.v2.access") == []  # no code was exchanged for a refused state
    bot.fake.grant("code-1", TEAM_A)
    assert get(bot.url, f"{REDIRECT_PATH}?code=code-1&state={state}", {"Cookie": cookie})[0] == 200
    status, _, page = get(bot.url, f"{REDIRECT_PATH}?code=code-1&state={state}", {"Cookie": cookie})  # replayed
    assert status == 401 and "reason: invalid_state" in page


def test_an_org_wide_install_answers_every_workspace_of_the_org(bot: Bot) -> None:
    token = install(bot, None, ORG)
    assert bots_of(bot) == [(None, ORG)]
    event_in(bot, TEAM_IN_ORG, dm(1), enterprise=ORG, org_wide=True)
    [reply] = bot.fake.wait_for("chat.postMessage")
    assert reply.headers["Authorization"] == f"Bearer {token}"
    command_in(bot, TEAM_A, "how do I reset my password", enterprise=ORG, org_wide=True)
    [answer] = bot.fake.wait_for(f"response/{TEAM_A}")
    assert "the reset page" in texts(answer.body["blocks"])
    bot.executor.wait_idle()
    assert sorted(q.team_id or "" for q in bot.store.questions(EPOCH)) == [TEAM_A, TEAM_IN_ORG]


def test_an_expiring_token_is_refreshed_with_its_refresh_token(bot: Bot) -> None:
    first = install(bot, TEAM_A, expires_in=60)  # less than the two hours before expiry Bolt refreshes at
    event_in(bot, TEAM_A, dm(1))
    [reply] = bot.fake.wait_for("chat.postMessage")
    [refresh] = [c for c in bot.fake.of("oauth.v2.access") if c.body.get("grant_type") == "refresh_token"]
    assert refresh.body["refresh_token"].startswith("xoxe-1-refresh-")
    assert reply.headers["Authorization"] not in ("", f"Bearer {first}")
    assert reply.headers["Authorization"].startswith(f"Bearer xoxe.xoxb-{TEAM_A}-")


def test_uninstalling_or_revoking_forgets_the_workspace(bot: Bot) -> None:
    install(bot, TEAM_A)
    install(bot, TEAM_B)
    assert bots_of(bot) == [(TEAM_A, None), (TEAM_B, None)]
    assert event_in(bot, TEAM_B, {"type": "app_uninstalled"})[0] == 200
    bot.fake.revoke(Installed(TEAM_B))
    assert event_in(bot, TEAM_A, {"type": "tokens_revoked", "tokens": {"bot": [Installed(TEAM_A).bot_user]}})[0] == 200
    bot.executor.wait_idle()
    assert bots_of(bot) == []
    event_in(bot, TEAM_B, dm(1))
    event_in(bot, TEAM_A, dm(2))
    bot.executor.wait_idle()
    assert bot.fake.of("chat.postMessage") == []


def test_uninstalling_an_org_wide_install_forgets_the_org(bot: Bot) -> None:
    install(bot, TEAM_A)
    install(bot, None, ORG)
    assert event_in(bot, TEAM_IN_ORG, {"type": "app_uninstalled"}, enterprise=ORG, org_wide=True)[0] == 200
    bot.fake.revoke(Installed(None, ORG))
    bot.executor.wait_idle()
    assert bots_of(bot) == [(TEAM_A, None)]  # the workspace installed on its own stays
    event_in(bot, TEAM_IN_ORG, dm(1), enterprise=ORG, org_wide=True)
    bot.executor.wait_idle()
    assert bot.fake.of("chat.postMessage") == []


def test_a_database_failing_during_an_uninstall_is_logged(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    install(bot, TEAM_A)
    with bot.store.engine.begin() as connection:
        connection.execute(text("DROP TABLE slack_bots"))
    with caplog.at_level(logging.ERROR):
        started = time.monotonic()
        assert event_in(bot, TEAM_A, {"type": "app_uninstalled"})[0] == 200  # acked all the same
        assert time.monotonic() - started < 2
        bot.executor.wait_idle()
    assert "forget_installation failed after the ack" in caplog.text


def test_records_carry_their_workspace_and_stats_count_their_own(bot: Bot) -> None:
    install(bot, TEAM_A)
    install(bot, TEAM_B)
    event_in(bot, TEAM_A, dm(1, "how do I reset my password"))
    event_in(bot, TEAM_B, dm(2))
    event_in(bot, TEAM_B, dm(3, "where is the cafeteria"))
    bot.fake.wait_for("chat.postMessage", 3)
    bot.executor.wait_idle()
    assert sorted(q.team_id or "" for q in bot.store.questions(EPOCH)) == [TEAM_A, TEAM_B, TEAM_B]
    command_in(bot, TEAM_A, "stats", user=ADMIN)
    shown_a = texts(bot.fake.wait_for(f"response/{TEAM_A}")[0].body["blocks"])
    assert "1 questions, 1 answered (100%)" in shown_a  # workspace B's two are not counted
    command_in(bot, TEAM_B, "stats", user=ADMIN)
    shown_b = texts(bot.fake.wait_for(f"response/{TEAM_B}")[0].body["blocks"])
    assert "2 questions, 1 answered (50%)" in shown_b
    command_in(bot, TEAM_A, "unanswered", user=ADMIN)
    assert "cafeteria" not in texts(bot.fake.wait_for(f"response/{TEAM_A}", 2)[1].body["blocks"])
    event_in(bot, TEAM_A, {"type": "app_home_opened", "user": ADMIN, "channel": "D0HOME", "tab": "home"})
    [home] = bot.fake.wait_for("views.publish")
    view = home.body["view"]
    assert "1 questions, 1 answered (100%)" in texts((json.loads(view) if isinstance(view, str) else view)["blocks"])


def test_token_mode_records_its_workspace_and_still_counts_older_records(fake: FakeSlack, faq_file: Path) -> None:
    for bot in serve(fake, faq_file, admins=ADMIN):
        bot.store.record_question(Question("where is lunch", "dm", USER, None, 0.1, "none", False))  # before 0006
        bot.command("how do I reset my password")
        bot.fake.wait_for("response/command")
        bot.executor.wait_idle()
        assert sorted(q.team_id or "" for q in bot.store.questions(EPOCH)) == ["", TEAM]
        bot.command("stats", user=ADMIN)
        assert "2 questions, 1 answered (50%)" in last_reply(bot, 2)


def test_a_refused_faq_edit_reaches_the_admin_through_the_workspace_they_are_in(bot: Bot, faq_file: Path) -> None:
    token_a, token_b = install(bot, TEAM_A), install(bot, TEAM_B)
    bot.fake.people[ADMIN] = TEAM_B
    write(faq_file, "faqs:\n  - id: broken\n")
    assert not bot.services.reloader.reload().ok
    tried = bot.fake.of("chat.postMessage")  # A's bot cannot reach B's member (channel_not_found), B's can
    assert [(c.body["channel"], c.headers["Authorization"]) for c in tried] == [
        (ADMIN, f"Bearer {token_a}"), (ADMIN, f"Bearer {token_b}")]
    assert "problem" in tried[1].body["text"]


def test_weekly_owner_reviews_go_out_through_each_installation(bot: Bot, faq_file: Path) -> None:
    token_a, token_b = install(bot, TEAM_A), install(bot, TEAM_B)
    write(faq_file, SMALL_FAQ.replace("    tags: [accounts]\n", "    tags: [accounts]\n    owner: U0IT\n")
          .replace("    tags: [hr]\n", "    tags: [hr]\n    owner: U0HR\n"))
    assert bot.services.reloader.reload().ok
    bot.fake.people.update({"U0IT": TEAM_A, "U0HR": TEAM_B})
    for team, helpful in ((TEAM_B, False), (TEAM_A, False), (TEAM_A, False)):  # 👎 on pto: once in B, twice in A
        bot.store.record_feedback(Feedback("q", "request-pto", "U0X", helpful, at=datetime.now(UTC), team_id=team))
    digests = OwnerDigests(bot.services, 180)
    now = datetime.now(UTC)
    monday = now - timedelta(days=now.weekday()) + timedelta(hours=23 - now.hour)  # this week's, from 09:00
    assert digests.check(monday) == 2
    assert digests.check(monday) is None  # each workspace's week is claimed
    tried = {(c.body["channel"], c.headers["Authorization"]): c.body["text"] for c in bot.fake.of("chat.postMessage")}
    assert len(tried) == 4  # each bot tries each owner; the other workspace's member is channel_not_found
    assert "`reset-password`" in tried["U0IT", f"Bearer {token_a}"]
    assert "`request-pto` (1×)" in tried["U0HR", f"Bearer {token_b}"]  # workspace B's 👎, not A's


def test_the_manifest_says_how_to_switch_to_oauth_mode() -> None:
    manifest = MANIFEST.read_text(encoding="utf-8")
    assert f"#   - https://faqbot.example.com{REDIRECT_PATH}" in manifest
    assert "token_rotation_enabled: false  # OAuth mode: true" in manifest


def test_faqbot_serve_runs_oauth_mode_from_its_environment(fake: FakeSlack, faq_file: Path, tmp_path: Path) -> None:
    port = free_port()
    env = {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET, "SLACK_SIGNING_SECRET": SECRET,
           "PORT": str(port), "FAQBOT_HOST": "127.0.0.1", "FAQBOT_SLACK_API_URL": fake.api_url}
    process = start_faqbot(faq_file, tmp_path, env)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_healthy(url, process)
        status, headers, _ = get(url, INSTALL_PATH)
        assert status == 302 and headers["Location"].startswith(fake.root + "oauth/v2/authorize?")
    finally:
        output = stop(process)
    assert f"OAuth mode: install at {INSTALL_PATH}" in output
    assert CLIENT_SECRET not in output and SECRET not in output


def test_oauth_mode_is_http_mode_with_no_bot_token() -> None:
    oauth = {"slack_client_id": CLIENT_ID, "slack_client_secret": CLIENT_SECRET, "slack_signing_secret": SECRET}
    assert connection_mode(Settings(**oauth)) == "http"
    with pytest.raises(SlackSetupError, match="needs HTTP mode"):
        connection_mode(Settings(**oauth, slack_app_token="xapp-1"))
    with pytest.raises(SlackSetupError, match="both set"):
        connection_mode(Settings(**oauth, slack_bot_token="xoxb-1"))
    with pytest.raises(SlackSetupError, match="SLACK_SIGNING_SECRET"):
        connection_mode(Settings(slack_client_id=CLIENT_ID, slack_client_secret=CLIENT_SECRET))
