"""Capturing answers into the FAQ, end to end through signed requests against the fake Slack:
the "Add to FAQ" shortcut -> views.open -> view_submission -> a proposal in the store ->
an admin's Approve in the App Home -> the YAML written -> the entry served. Also: alternates
of an existing entry, an admin's Edit, Reject, a non-admin approving, two admins approving
at once, malformed submissions, and a read-only FAQ folder (`faqbot serve` as a deployment
runs it, where the files cannot be written)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from faqbot.cli.main import cli
from faqbot.faq.loading import load_faq
from faqbot.slack import proposal_views
from faqbot.slack.server import EVENTS_PATH
from faqbot.store.interface import APPROVED, PENDING, REJECTED, TO_APPLY
from faqbot.store.sql import SqlStore
from tests.conftest import SMALL_FAQ, write
from tests.fake_slack import TEAM, FakeSlack, signed_post
from tests.test_slack_app import FORM, SECRET, Bot, serve, texts
from tests.test_slack_serve import free_port, start_faqbot, stop, wait_until_healthy

ADMIN, OTHER_ADMIN, HELPER = "U0ADMIN", "U0ADMIN2", "U0HELPER"
ASKER = "U0ASKER"
CHANNEL = "C0HELP"
PARENT = {"ts": "1700000000.000100", "text": "How do guests get on the <https://wifi.example.com|wifi>? :wave:",
          "user": ASKER}
REPLY = {"ts": "1700000000.000200", "thread_ts": PARENT["ts"], "text": "Use *Acme-Guest*; the password is on the board.",
         "user": HELPER, "type": "message"}
COMMENTED = "# HR questions: keep this comment\n" + SMALL_FAQ


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    slack = FakeSlack().start()
    slack.threads[(CHANNEL, PARENT["ts"])] = [PARENT, REPLY]
    yield slack
    slack.stop()


@pytest.fixture
def faq_folder(tmp_path: Path) -> Path:
    write(tmp_path / "faq" / "main.yaml", COMMENTED)
    return tmp_path / "faq"


@pytest.fixture
def bot(fake: FakeSlack, faq_folder: Path) -> Iterator[Bot]:
    yield from serve(fake, faq_folder, admins=f"{ADMIN},{OTHER_ADMIN}")


def interact(url: str, payload: dict[str, Any]) -> tuple[int, str]:
    body = urllib.parse.urlencode({"payload": json.dumps(payload)})
    return signed_post(url + EVENTS_PATH, SECRET, body, FORM)


def shortcut(url: str, message: dict[str, Any], user: str = ASKER) -> tuple[int, str]:
    return interact(url, {
        "type": "message_action", "callback_id": proposal_views.ADD_TO_FAQ, "trigger_id": "1.2.shortcut",
        "team": {"id": TEAM}, "user": {"id": user, "team_id": TEAM}, "channel": {"id": CHANNEL},
        "message": message, "message_ts": message["ts"], "response_url": "https://hooks.slack.com/x",
    })


def state_of(view: dict[str, Any], **changes: str) -> dict[str, Any]:
    """What Slack submits for a modal: each input's initial value, with `changes` typed over them."""
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element, name = block["element"], block["block_id"]
        if element["type"] == "static_select":
            chosen = changes.get(name, element["initial_option"]["value"])
            values[name] = {name: {"type": "static_select", "selected_option": {"value": chosen}}}
        else:
            values[name] = {name: {"type": "plain_text_input", "value": changes.get(name, element.get("initial_value"))}}
    return {"values": values}


def submit(url: str, view: dict[str, Any], user: str = ASKER, **changes: str) -> tuple[int, dict[str, Any]]:
    status, body = interact(url, {
        "type": "view_submission", "team": {"id": TEAM}, "user": {"id": user, "team_id": TEAM},
        "trigger_id": "1.2.submit", "view": {"id": "V0VIEW", "type": "modal", "callback_id": view["callback_id"],
                                              "private_metadata": view.get("private_metadata", ""),
                                              "state": state_of(view, **changes)},
    })
    return status, json.loads(body) if body.strip() else {}


def review(url: str, action_id: str, proposal_id: str, user: str = ADMIN) -> tuple[int, str]:
    return interact(url, {
        "type": "block_actions", "team": {"id": TEAM}, "user": {"id": user, "team_id": TEAM}, "trigger_id": "1.2.review",
        "container": {"type": "view", "view_id": "V0HOME"}, "view": {"id": "V0HOME", "type": "home"},
        "actions": [{"type": "button", "action_id": action_id, "block_id": f"proposal:{proposal_id}",
                     "value": proposal_id, "action_ts": str(time.time())}],
    })


def view_of(call: Any) -> dict[str, Any]:
    view = call.body["view"]
    return json.loads(view) if isinstance(view, str) else view


def filled_modal(fake: FakeSlack, count: int = 1) -> dict[str, Any]:
    """The modal as filled in after the placeholder: the last views.update."""
    return view_of(fake.wait_for("views.update", count)[-1])


def published(fake: FakeSlack, count: int) -> list[dict[str, Any]]:
    """The blocks of the `count`-th Home tab published."""
    return view_of(fake.wait_for("views.publish", count)[count - 1])["blocks"]


def dms_to(fake: FakeSlack, user: str) -> list[str]:
    return [c.body["text"] for c in fake.of("chat.postMessage") if c.body.get("channel") == user]


def propose(bot: Bot, **changes: str) -> str:
    """Shortcut on the good reply, submit the modal (with `changes`), return the proposal's id."""
    assert shortcut(bot.url, REPLY)[0] == 200
    status, answer = submit(bot.url, filled_modal(bot.fake), **changes)
    assert (status, answer) == (200, {})
    bot.executor.wait_idle()
    [proposal] = bot.store.proposals((PENDING,), 10)
    return proposal.id


def test_a_good_reply_becomes_a_served_entry(bot: Bot, faq_folder: Path) -> None:
    assert shortcut(bot.url, REPLY)[0] == 200
    [loading] = bot.fake.wait_for("views.open")
    assert loading.body["trigger_id"] == "1.2.shortcut"
    modal = filled_modal(bot.fake)
    fields = {b["block_id"]: b["element"] for b in modal["blocks"] if b["type"] == "input"}
    assert fields["question"]["initial_value"] == "How do guests get on the wifi?"  # link label kept, emoji gone
    assert fields["answer"]["initial_value"] == REPLY["text"]
    assert fields["id"]["initial_value"] == "how-do-guests-get-on-the-wifi"
    assert fields["target"]["initial_option"]["value"] == proposal_views.NEW

    status, answer = submit(bot.url, modal, tags="office, wifi")
    assert (status, answer) == (200, {})  # the modal closes
    bot.executor.wait_idle()
    [proposal] = bot.store.proposals((PENDING,), 10)
    assert (proposal.kind, proposal.entry_id, proposal.proposer, proposal.tags) == \
        ("entry", "how-do-guests-get-on-the-wifi", ASKER, ("office", "wifi"))
    assert proposal.link == f"https://test.slack.com/archives/{CHANNEL}/p1700000000000200"
    assert any("waiting for an FAQ admin" in t for t in dms_to(bot.fake, ASKER))

    assert bot.event({"type": "app_home_opened", "user": ADMIN, "tab": "home"})[0] == 200
    home = published(bot.fake, 1)
    approve = next(e for b in home if b["type"] == "actions" for e in b["elements"]
                   if e["action_id"] == proposal_views.APPROVE)
    assert approve["value"] == proposal.id and "how-do-guests-get-on-the-wifi" in texts(home)

    assert review(bot.url, proposal_views.APPROVE, proposal.id)[0] == 200
    home = published(bot.fake, 2)
    assert "Approved and added entry 'how-do-guests-get-on-the-wifi'" in texts(home)
    written = load_faq(faq_folder / "from-slack.yaml").by_id["how-do-guests-get-on-the-wifi"]
    assert (written.answer, written.tags) == (REPLY["text"], ("office", "wifi"))
    assert bot.store.proposal(proposal.id).status == APPROVED
    assert any("was approved and is in the FAQ now" in t for t in dms_to(bot.fake, ASKER))
    match = bot.services.matcher.match("how do guests get on the wifi", "direct")  # served, no restart
    assert match.entry is not None and match.entry.id == "how-do-guests-get-on-the-wifi"


def test_alternates_of_an_existing_entry_join_it_in_its_own_file(bot: Bot, faq_folder: Path, fake: FakeSlack) -> None:
    reply = {**REPLY, "ts": "1700000000.000300", "text": "Use the reset page."}
    fake.threads[(CHANNEL, PARENT["ts"])] = [{**PARENT, "text": "locked out, need a new passcode"}, reply]
    assert shortcut(bot.url, reply)[0] == 200
    modal = filled_modal(fake)
    targets = [o["value"] for b in modal["blocks"] if b.get("block_id") == "target" for o in b["element"]["options"]]
    assert proposal_views.ALTERNATES_OF + "reset-password" in targets  # the encoder's closest entry
    assert submit(bot.url, modal, target=proposal_views.ALTERNATES_OF + "reset-password",
                  alternates="my password expired\nI forgot my password")[0] == 200
    bot.executor.wait_idle()
    [proposal] = bot.store.proposals((PENDING,), 10)
    assert (proposal.kind, proposal.alternates) == ("alternates", ("locked out, need a new passcode",
                                                                     "my password expired", "I forgot my password"))
    review(bot.url, proposal_views.APPROVE, proposal.id)
    assert "added 2 alternate(s) to 'reset-password'" in texts(published(bot.fake, 1))
    text = (faq_folder / "main.yaml").read_text(encoding="utf-8")
    assert text.startswith("# HR questions: keep this comment\n")
    assert text.replace("      - locked out, need a new passcode\n      - my password expired\n", "") == COMMENTED
    assert not (faq_folder / "from-slack.yaml").exists()


def test_an_admin_edits_then_approves_and_another_rejects(bot: Bot, faq_folder: Path) -> None:
    first = propose(bot)
    review(bot.url, proposal_views.EDIT, first)
    bot.executor.wait_idle()
    modal = view_of(bot.fake.wait_for("views.open", 2)[1])
    assert modal["callback_id"] == proposal_views.EDIT_PROPOSAL
    assert submit(bot.url, modal, user=ADMIN, answer="Join *Acme-Guest*.", id="guest-wifi")[0] == 200
    bot.executor.wait_idle()
    edited = bot.store.proposal(first)
    assert (edited.status, edited.entry_id, edited.answer, edited.proposer) == (PENDING, "guest-wifi",
                                                                              "Join *Acme-Guest*.", ASKER)
    review(bot.url, proposal_views.APPROVE, first)
    bot.executor.wait_idle()
    assert load_faq(faq_folder).by_id["guest-wifi"].answer == "Join *Acme-Guest*."

    second = propose(bot, question="Where is the guest network password?", id="guest-password")
    review(bot.url, proposal_views.REJECT, second, user=OTHER_ADMIN)
    bot.executor.wait_idle()
    assert bot.store.proposal(second).status == REJECTED
    assert "guest-password" not in load_faq(faq_folder).by_id
    assert any("was not taken" in t and f"<@{OTHER_ADMIN}>" in t for t in dms_to(bot.fake, ASKER))


def test_someone_who_is_not_an_admin_cannot_approve(bot: Bot, faq_folder: Path) -> None:
    proposal = propose(bot)
    assert review(bot.url, proposal_views.APPROVE, proposal, user=HELPER)[0] == 200
    bot.executor.wait_idle()
    assert any("Only FAQ admins" in t for t in dms_to(bot.fake, HELPER))
    assert bot.store.proposal(proposal).status == PENDING
    assert not (faq_folder / "from-slack.yaml").exists()


def test_two_admins_approving_at_once_write_it_once(bot: Bot, faq_folder: Path) -> None:
    proposal = propose(bot)
    clicks = [threading.Thread(target=review, args=(bot.url, proposal_views.APPROVE, proposal, admin))
              for admin in (ADMIN, OTHER_ADMIN)]
    for click in clicks:
        click.start()
    for click in clicks:
        click.join()
    bot.executor.wait_idle()
    published(bot.fake, 2)
    notices = [texts(view_of(call)["blocks"]) for call in bot.fake.of("views.publish")]
    assert sum("Approved and added" in n for n in notices) == 1
    assert sum("being approved" in n or "approved already" in n for n in notices) == 1
    assert (faq_folder / "from-slack.yaml").read_text(encoding="utf-8").count("id: how-do-guests-get-on-the-wifi") == 1
    assert bot.store.proposal(proposal).status == APPROVED


@pytest.mark.parametrize(("changes", "field", "says"), [
    ({"question": "  "}, "question", "Write the question"),
    ({"answer": ""}, "answer", "needs its answer"),
    ({"id": "Not A Slug!"}, "id", "Lowercase letters"),
    ({"id": "vpn"}, "id", "is an entry already"),
    ({"alternates": "pw reset"}, "alternates", "is a phrasing of `reset-password` already"),
    ({"target": proposal_views.ALTERNATES_OF + "no-such-entry"}, "target", "no longer in the FAQ"),
])
def test_a_bad_field_is_shown_under_it_and_nothing_is_kept(bot: Bot, changes: dict[str, str], field: str,
                                                           says: str) -> None:
    assert shortcut(bot.url, REPLY)[0] == 200
    status, answer = submit(bot.url, filled_modal(bot.fake), **changes)
    assert status == 200 and answer["response_action"] == "errors" and says in answer["errors"][field]
    bot.executor.wait_idle()
    assert bot.store.proposals((PENDING,), 10) == []


def test_a_malformed_submission_gets_errors_not_a_traceback(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    modal = {"type": "modal", "callback_id": proposal_views.ADD_TO_FAQ}
    for view in (modal, {**modal, "state": 7}, {**modal, "state": {"values": {"question": {"question": None}}}},
                 {**modal, "state": {"values": {"target": {"target": {"selected_option": "new"}}}}}):
        status, body = interact(bot.url, {"type": "view_submission", "team": {"id": TEAM},
                                          "user": {"id": ASKER, "team_id": TEAM}, "view": view})
        assert status == 200 and json.loads(body)["response_action"] == "errors"
    for broken in ({"type": "view_submission", "view": {"callback_id": proposal_views.ADD_TO_FAQ}},
                   {"type": "view_submission", "view": "a view"}, {"type": "block_actions", "actions": [{}]},
                   {"callback_id": proposal_views.ADD_TO_FAQ}):
        assert interact(bot.url, {**broken, "team": {"id": TEAM}, "user": {"id": ASKER}})[0] == 400  # refused before Bolt
    bot.executor.wait_idle()
    assert bot.store.proposals((PENDING,), 10) == []
    assert "Traceback" not in caplog.text


def read_only(folder: Path) -> list[str] | None:
    """A command prefix under which `folder` cannot be written (None: none can be made here).
    Root writes through file modes, so as root the folder is mounted read-only for the server
    alone (a mount namespace), as a ConfigMap or a read-only image layer is."""
    if os.geteuid() != 0:
        for path in (folder, *folder.iterdir()):
            path.chmod(0o555 if path.is_dir() else 0o444)
        return []
    script = 'mount --bind -o ro "$0" "$0" && exec "$@"'
    probe = subprocess.run(["unshare", "--mount", "sh", "-c", script, str(folder), "true"], capture_output=True)
    return ["unshare", "--mount", "sh", "-c", script, str(folder)] if probe.returncode == 0 else None


def test_a_read_only_faq_keeps_approvals_for_faqbot_proposals_apply(fake: FakeSlack, faq_folder: Path,
                                                                   tmp_path: Path) -> None:
    """`faqbot serve` as a deployment runs it, on a FAQ folder it cannot write (a checkout
    deployed as is): an approval is kept to apply, and `faqbot proposals --apply` in a
    writable checkout writes it."""
    wrapper = read_only(faq_folder)
    if wrapper is None:
        pytest.skip("running as root without the right to mount: no folder can be made read-only for the server")
    port = free_port()
    database = f"sqlite:///{tmp_path / 'faqbot.db'}"
    env = {"SLACK_BOT_TOKEN": "xoxb-9-9-servetoken", "SLACK_SIGNING_SECRET": SECRET, "PORT": str(port),
           "FAQBOT_SLACK_API_URL": fake.api_url, "FAQBOT_ADMINS": ADMIN, "FAQBOT_DATABASE_URL": database}
    server = start_faqbot(faq_folder, tmp_path, env, "--mode", "http", wrapper=wrapper)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, server)
        assert shortcut(url, REPLY)[0] == 200
        assert submit(url, filled_modal(fake))[0] == 200
        store = SqlStore.open(database)
        deadline = time.monotonic() + 10
        while not store.proposals((PENDING,), 10) and time.monotonic() < deadline:
            time.sleep(0.05)
        [proposal] = store.proposals((PENDING,), 10)
        assert review(url, proposal_views.APPROVE, proposal.id)[0] == 200
        assert "read-only here: run `faqbot proposals --apply`" in texts(published(fake, 1))
    finally:
        output = stop(server)
    assert "Traceback" not in output, output
    assert store.proposal(proposal.id).status == TO_APPLY
    assert not (faq_folder / "from-slack.yaml").exists()

    checkout = tmp_path / "checkout"  # where an admin applies and commits it
    shutil.copytree(faq_folder, checkout)
    for path in (checkout, *checkout.iterdir()):
        path.chmod(0o755 if path.is_dir() else 0o644)
    env = {"FAQBOT_DATABASE_URL": database, "FAQBOT_MODEL": "none", "FAQBOT_INDEX_CACHE": "none"}
    listed = CliRunner().invoke(cli, ["proposals", "--faq", str(checkout)], env=env)
    assert listed.exit_code == 0, listed.output
    assert "approved, to apply" in listed.output and "id: how-do-guests-get-on-the-wifi" in listed.output
    applied = CliRunner().invoke(cli, ["proposals", "--apply", "--faq", str(checkout)], env=env)
    assert applied.exit_code == 0, applied.output
    assert "1 proposal(s) applied" in applied.output
    assert "how-do-guests-get-on-the-wifi" in load_faq(checkout).by_id
    assert store.proposal(proposal.id).status == APPROVED
