"""Workflow Builder: the custom step "Answer from the FAQ". A question in; the answer, the
entry's id and the confidence out, so a request form or a workflow can answer before it
routes to a person. Matched as a DM is (the direct bar), and recorded like one."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import App, BoltContext, Complete, Fail

from faqbot.slack import replies
from faqbot.slack.listeners.handoff import ack_at_once, logged
from faqbot.slack.services import services_of

ANSWER_FROM_FAQ = "answer_from_faq"  # the step's callback id in manifest.yml
QUESTION_MAX = 3000


def handle_answer_from_faq(inputs: dict[str, Any], complete: Complete, fail: Fail, context: BoltContext,
                           logger: Logger) -> None:
    """Complete the step with the FAQ's answer, or fail it with why: a step left neither
    would hold its workflow until Slack times it out."""
    question = inputs.get("question") if isinstance(inputs, dict) else None
    if not isinstance(question, str) or not question.strip():
        fail("The step needs a question (a text input).")
        return
    try:
        services = services_of(context)
        match = services.matcher.match(question[:QUESTION_MAX], "direct")
        services.store.record_question(replies.question_record(match, "workflow", context.user_id or "",
                                                               answered=match.entry is not None))
        complete(outputs={
            "answer": match.entry.answer if match.entry else "",
            "entry_id": match.entry.id if match.entry else "",
            "confidence": round(match.confidence, 4),
            "answered": match.entry is not None,
        })
    except Exception as exc:
        logger.exception("the Answer from the FAQ step failed")
        fail(f"faqbot could not answer: {type(exc).__name__}")


def register(app: App) -> None:
    # acknowledged in the request thread; matched after (acks never wait)
    app.function(ANSWER_FROM_FAQ, auto_acknowledge=False)(ack=ack_at_once, lazy=[logged(handle_answer_from_faq)])
