import contextlib
import io
import logging

from slack_sdk.webhook import WebhookClient

from faqbot.logs import RedactSecrets, configure_logging
from tests.fake_slack import FakeSlack


def test_known_secrets_and_credential_shapes_are_redacted() -> None:
    redact = RedactSecrets(["my-signing-secret"]).redact
    text = ("token=xoxb-123-456-abcDEF app xapp-1-A1-2-ff secret my-signing-secret "
            "url https://hooks.slack.com/actions/T1/2/abc wss://x.slack.com/link/?ticket=t-123&app_id=A1 "
            "db postgres://faqbot:pa55word@db.example.com:5432/faqbot "
            'payload {"token": "verif1cation", "team_id": "T1"} form token=verif2cation&team_id=T1')
    redacted = redact(text)
    for secret in ("xoxb-123", "xapp-1", "my-signing-secret", "hooks.slack.com/actions", "t-123", "pa55word",
                   "verif1cation", "verif2cation"):
        assert secret not in redacted
    assert redacted.count("[redacted]") == 8 and "app_id=A1" in redacted and "team_id=T1" in redacted
    assert "postgres://faqbot:[redacted]@db.example.com" in redacted


def test_the_handler_redacts_messages_arguments_and_tracebacks() -> None:
    stream = io.StringIO()
    handler = configure_logging("DEBUG", ["s3cr3t-value"], stream=stream)
    try:
        log = logging.getLogger("faqbot.test")
        log.debug("calling with %s", {"token": "xoxp-1-2-3"})
        try:
            raise RuntimeError("bad secret s3cr3t-value")
        except RuntimeError:
            log.exception("failed")
    finally:
        logging.getLogger().removeHandler(handler)
        logging.getLogger().setLevel(logging.WARNING)
    output = stream.getvalue()
    assert "calling with {'token': '[redacted]'}" in output
    assert "RuntimeError: bad secret [redacted]" in output
    assert "s3cr3t" not in output and "xoxp" not in output


def test_a_response_url_slack_sdk_logs_is_redacted() -> None:
    """slack_sdk logs the whole response URL at DEBUG before posting to it (Bolt's `respond`);
    whoever holds one can post as the app for 30 minutes. Without the filter it would reach
    the log. The post itself goes nowhere: its proxy is a local server that cannot tunnel."""
    url = "https://hooks.slack.com/actions/T0001/123/s3cretResponsePath"
    slack = FakeSlack().start()
    stream = io.StringIO()
    handler = configure_logging("DEBUG", stream=stream)
    try:
        with contextlib.suppress(Exception):
            WebhookClient(url, proxy=slack.root.rstrip("/"), timeout=5).send(text="hi")
    finally:
        logging.getLogger().removeHandler(handler)
        logging.getLogger().setLevel(logging.WARNING)
        slack.stop()
    output = stream.getvalue()
    assert "Sending a request - url: [redacted]" in output
    assert "s3cretResponsePath" not in output


def test_a_form_encoded_response_url_is_redacted() -> None:
    form = "command=%2Ffaq&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT0%2F1%2Fs3cret&text=hi"
    assert RedactSecrets().redact(form) == "command=%2Ffaq&response_url=[redacted]&text=hi"


def test_a_short_secret_is_not_redacted_from_every_word() -> None:
    assert RedactSecrets(["s"]).redact("messages sent") == "messages sent"


def test_a_message_is_one_bounded_line() -> None:
    stream = io.StringIO()
    handler = configure_logging("INFO", stream=stream)
    try:
        log = logging.getLogger("faqbot.test")
        log.warning("text: %s", "hi\n2026-01-01 ERROR forged\r\nline")
        log.warning("body: %s", "x" * 3_000_000)
    finally:
        logging.getLogger().removeHandler(handler)
        logging.getLogger().setLevel(logging.WARNING)
    first, second = stream.getvalue().splitlines()
    assert first.endswith("text: hi\\n2026-01-01 ERROR forged\\r\\nline")
    assert len(second) < 2200 and second.endswith("(2998006 more characters)")
