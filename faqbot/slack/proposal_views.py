"""Block Kit for proposing FAQ changes and reviewing them: the "Add to FAQ" modal (also
the admins' Edit), reading what was submitted, and the review list of the App Home. Pure
functions, like blocks.py: what is in the FAQ comes in as arguments."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from faqbot.faq.schema import SLUG_MAX, SLUG_PATTERN, Entry, Faq, new_id
from faqbot.matching.normalize import normalize
from faqbot.slack.blocks import Block, button, clip, context, sections
from faqbot.store.interface import Proposal

ADD_TO_FAQ = "add_to_faq"  # the message shortcut, and the modal it opens
EDIT_PROPOSAL = "edit_proposal"  # an admin's Edit of a pending proposal
APPROVE, EDIT, REJECT = "proposal_approve", "proposal_edit", "proposal_reject"
NEW = "new"
ALTERNATES_OF = "alternates:"  # + an entry id: the phrasings join that entry
TEXT_MAX = 3000  # Slack's limit for a plain-text input
PHRASING_MAX = 500
ALTERNATES_MAX = 50
TAG_MAX = 50
SHOWN = 5  # proposals listed in the Home tab (3 blocks each), oldest first


@dataclass(frozen=True)
class Draft:
    """What the modal shows: a proposal being written (or edited)."""

    target: str  # NEW, or ALTERNATES_OF + the id of an existing entry
    id: str
    question: str
    answer: str
    alternates: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    @classmethod
    def of(cls, proposal: Proposal) -> Draft:
        if proposal.kind == "entry":
            return cls(NEW, proposal.entry_id, proposal.question, proposal.answer, proposal.alternates, proposal.tags)
        first, *rest = proposal.alternates or ("",)
        return cls(ALTERNATES_OF + proposal.entry_id, "", first, "", tuple(rest))


def loading_modal(callback_id: str) -> dict[str, Any]:
    """Opened at once (a trigger expires in 3 s), then replaced by the filled-in modal."""
    return {"type": "modal", "callback_id": callback_id, "title": _plain("Add to FAQ"),
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Reading the thread…"}}]}


def proposal_modal(draft: Draft, closest: Sequence[Entry], callback_id: str = ADD_TO_FAQ,
                   metadata: dict[str, str] | None = None) -> dict[str, Any]:
    """The form: a new entry, or alternates of one of the `closest` entries."""
    options = [_option("A new entry", NEW)]
    known = {e.id for e in closest}
    targets = [*closest]
    for entry in targets:
        options.append(_option(f"Alternates of: {entry.question}", ALTERNATES_OF + entry.id))
    if draft.target.startswith(ALTERNATES_OF) and draft.target.removeprefix(ALTERNATES_OF) not in known:
        options.append(_option(f"Alternates of: {draft.target.removeprefix(ALTERNATES_OF)}", draft.target))
    initial = next(o for o in options if o["value"] == draft.target) if draft.target != NEW else options[0]
    editing = callback_id == EDIT_PROPOSAL
    return {
        "type": "modal", "callback_id": callback_id, "title": _plain("Edit proposal" if editing else "Add to FAQ"),
        "submit": _plain("Save" if editing else "Propose"), "close": _plain("Cancel"),
        "private_metadata": json.dumps(metadata or {}),
        "blocks": [
            {"type": "context", "elements": [{"type": "mrkdwn", "text":
                "An admin reviews every proposal before it joins the FAQ."}]},
            _input("target", "Add as", {"type": "static_select", "options": options, "initial_option": initial}),
            _input("question", "Question", _text(draft.question, PHRASING_MAX)),
            _input("alternates", "Other ways people ask it (one per line)", _text("\n".join(draft.alternates),
                   TEXT_MAX, multiline=True), optional=True),
            _input("answer", "Answer (for a new entry; Slack formatting works)", _text(draft.answer, TEXT_MAX,
                   multiline=True), optional=True),
            _input("id", "Id (for a new entry)", _text(draft.id, SLUG_MAX), optional=True,
                   hint="lowercase letters, digits, - and _; left empty, one is made from the question"),
            _input("tags", "Tags (for a new entry, separated by commas)", _text(", ".join(draft.tags), 500),
                   optional=True),
        ],
    }


def read_submission(view: Any, faq: Faq) -> tuple[Proposal | None, dict[str, str]]:
    """The proposal a submitted modal describes, or the errors to show under its fields.
    Anything missing or malformed is an error on a field, never an exception."""
    state = view.get("state") if isinstance(view, dict) else None
    values = state.get("values") if isinstance(state, dict) else None
    values = values if isinstance(values, dict) else {}
    target = _value(values, "target", selected=True)
    question = " ".join(_value(values, "question").split())
    alternates = tuple(dict.fromkeys(" ".join(line.split()) for line in _value(values, "alternates").splitlines()
                                     if line.strip()))
    answer = _value(values, "answer").strip()
    errors: dict[str, str] = {}
    if not question or not normalize(question):
        errors["question"] = "Write the question, with words that can be matched."
    elif len(question) > PHRASING_MAX:
        errors["question"] = f"At most {PHRASING_MAX} characters."
    too_long = next((a for a in alternates if len(a) > PHRASING_MAX), None)
    if too_long or len(alternates) > ALTERNATES_MAX:
        errors["alternates"] = f"At most {ALTERNATES_MAX} lines of {PHRASING_MAX} characters each."
    if target == NEW:
        proposal, more = _new_entry(values, faq, question, alternates, answer)
    elif target.startswith(ALTERNATES_OF) and target.removeprefix(ALTERNATES_OF) in faq.by_id:
        entry_id = target.removeprefix(ALTERNATES_OF)
        proposal, more = Proposal("alternates", entry_id, "", alternates=(question, *alternates)), {}
        more.update(_taken_elsewhere([question, *alternates], faq, entry_id))
    else:
        proposal, more = None, {"target": "That entry is no longer in the FAQ: pick another, or a new entry."}
    errors.update(more)
    return (None if errors else proposal), errors


def _new_entry(values: dict, faq: Faq, question: str, alternates: tuple[str, ...],
               answer: str) -> tuple[Proposal | None, dict[str, str]]:
    errors: dict[str, str] = {}
    entry_id = _value(values, "id").strip().lower()
    if not entry_id:
        entry_id = new_id(question, faq.by_id)
    elif len(entry_id) > SLUG_MAX or not re.match(SLUG_PATTERN, entry_id):
        errors["id"] = f"Lowercase letters, digits, - and _ only, at most {SLUG_MAX}."
    elif entry_id in faq.by_id:
        errors["id"] = f"`{entry_id}` is an entry already: pick another id, or add these as its alternates."
    if not answer:
        errors["answer"] = "A new entry needs its answer."
    tags = tuple(dict.fromkeys(t.strip() for t in _value(values, "tags").split(",") if t.strip()))
    if any(len(t) > TAG_MAX for t in tags):
        errors["tags"] = f"Tags of at most {TAG_MAX} characters."
    errors.update(_taken_elsewhere([question, *alternates], faq, None))
    proposal = Proposal("entry", entry_id, answer, question=question, alternates=alternates, tags=tags)
    return proposal, errors


def _taken_elsewhere(phrasings: Sequence[str], faq: Faq, entry_id: str | None) -> dict[str, str]:
    """An error for the first phrasing another entry than `entry_id` has, once normalised."""
    for field, phrasing in zip(["question", *["alternates"] * (len(phrasings) - 1)], phrasings):
        other = _owner(faq, normalize(phrasing))
        if other is not None and other.id != entry_id:
            return {field: f"“{clip(phrasing, 60)}” is a phrasing of `{other.id}` already: add to that entry instead."}
    return {}


def _owner(faq: Faq, key: str) -> Entry | None:
    """The entry with this normalised phrasing: a scan of the FAQ's normalised phrasings (a
    millisecond at 100,000; an index of them would cost megabytes for a rare question)."""
    try:
        at = faq.phrasing_keys().index(key)  # in C: the form is checked in the ack
    except ValueError:
        return None
    for entry in faq.entries:
        if at < len(entry.phrasings):
            return entry
        at -= len(entry.phrasings)
    return None


def review_blocks(pending: Sequence[Proposal], total: int, faq: Faq) -> list[Block]:
    """The Home tab's review list for admins: each proposal with Approve, Edit and Reject."""
    if not pending:
        return sections("*Proposals*: none waiting. People propose entries with the *Add to FAQ* message shortcut.")
    shown = pending[:SHOWN]
    more = f" (the {len(shown)} oldest shown)" if total > len(shown) else ""
    blocks: list[Block] = [*sections(f"*Proposals to review*: {total} waiting{more}")]
    for proposal in shown:
        blocks += [*sections(_describe(proposal, faq)), context(_provenance(proposal)), {
            "type": "actions", "block_id": f"proposal:{proposal.id}", "elements": [
                button("Approve", APPROVE, proposal.id, "primary"), button("Edit", EDIT, proposal.id),
                {**button("Reject", REJECT, proposal.id, "danger"), "confirm": {
                    "title": _plain("Reject this proposal?"), "text": _plain("Its proposer is told."),
                    "confirm": _plain("Reject"), "deny": _plain("Keep it")}},
            ]}]
    return blocks


def _describe(proposal: Proposal, faq: Faq) -> str:
    if proposal.kind == "entry":
        lines = [f"*New entry* `{proposal.entry_id}`: {clip(proposal.question, 200)}",
                 *(f"> {clip(line, 300)}" for line in proposal.answer.splitlines()[:6])]
        if proposal.alternates:
            lines.append("Also asked as: " + " · ".join(clip(a, 80) for a in proposal.alternates[:8]))
        if proposal.tags:
            lines.append("Tags: " + ", ".join(proposal.tags))
        return "\n".join(lines)
    entry = faq.by_id.get(proposal.entry_id)
    name = f"{clip(entry.question, 120)} `{entry.id}`" if entry else f"`{proposal.entry_id}` (no longer in the FAQ)"
    return f"*New alternates of* {name}:\n" + "\n".join(f"• {clip(a, 200)}" for a in proposal.alternates[:10])


def _provenance(proposal: Proposal) -> str:
    who = f"<@{proposal.proposer}>" if proposal.proposer else "`faqbot suggest` (learnt from use)"
    where = f" from <{proposal.link}|this message>" if proposal.link else ""
    note = f" · last attempt: {clip(proposal.note, 200)}" if proposal.note else ""
    return f"Proposed by {who}{where} on {proposal.at:%Y-%m-%d}{note}"


def _value(values: dict, block: str, selected: bool = False) -> str:
    """A field's submitted value ("" when missing or not text)."""
    try:
        field = values[block][block]
        value = field["selected_option"]["value"] if selected else field.get("value")
    except (KeyError, TypeError, AttributeError):
        return ""
    return value if isinstance(value, str) else ""


def _input(block: str, label: str, element: dict[str, Any], optional: bool = False, hint: str = "") -> Block:
    block_json: Block = {"type": "input", "block_id": block, "label": _plain(label), "optional": optional,
                         "element": {**element, "action_id": block}}
    if hint:
        block_json["hint"] = _plain(hint)
    return block_json


def _text(initial: str, limit: int, multiline: bool = False) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "multiline": multiline, "max_length": limit}
    if initial:
        element["initial_value"] = initial[:limit]
    return element


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": _plain(clip(text, 75)), "value": value}


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}
