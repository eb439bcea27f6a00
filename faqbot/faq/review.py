"""Reviewing proposed FAQ changes: an approval writes the change into the FAQ's YAML once,
however many admins (in however many processes) click at once; a rejection keeps why.

Where the FAQ cannot be written (a checkout deployed read-only), an approval is kept as
"to apply": `faqbot proposals --apply`, run in a writable checkout, writes those, and the
admin commits them. Nothing here knows of Slack; the App Home and the CLI both use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from faqbot.faq.schema import Faq
from faqbot.faq.writing import FaqWriteError, NewEntry, add_alternates, add_entry, dumped, sample_style, writable
from faqbot.store.interface import APPROVED, APPROVING, PENDING, REJECTED, TO_APPLY, Proposal, Store


@dataclass(frozen=True)
class Outcome:
    """What became of a review action, in a sentence for the admin."""

    done: bool
    message: str


def target_file(proposal: Proposal, faq: Faq, capture_file: Path) -> Path:
    """Where the change goes: a new entry to the capture file, alternates to their entry's
    own file (FaqWriteError when that entry is gone)."""
    if proposal.kind == "entry":
        return capture_file
    entry = faq.by_id.get(proposal.entry_id)
    if entry is None:
        raise FaqWriteError(f"entry '{proposal.entry_id}' is no longer in the FAQ")
    return Path(entry.location.rsplit(":", 1)[0])


def approve(store: Store, proposal_id: str, reviewer: str, faq: Faq, capture_file: Path) -> Outcome:
    """Write the proposal into the FAQ (or keep it to apply where the FAQ is read-only)."""
    if not store.move_proposal(proposal_id, (PENDING,), APPROVING, reviewer, retake_stale=True):
        return Outcome(False, _taken(store, proposal_id))
    proposal = store.proposal(proposal_id)
    try:
        file = target_file(proposal, faq, capture_file)
        if not writable(file):
            store.move_proposal(proposal_id, (APPROVING,), TO_APPLY, reviewer)
            return Outcome(True, f"Approved. {file} is read-only here: run `faqbot proposals --apply` in a"
                                 " checkout of the FAQ and commit the change.")
        written = apply(proposal, faq, file)
    except FaqWriteError as exc:
        store.move_proposal(proposal_id, (APPROVING,), PENDING, note=str(exc))
        return Outcome(False, f"Not written: {exc}. The proposal is still pending; edit it or reject it.")
    store.move_proposal(proposal_id, (APPROVING,), APPROVED, reviewer)
    return Outcome(True, f"Approved and {written} {file}; it is served once the FAQ reloads.")


def new_entry(proposal: Proposal) -> NewEntry:
    return NewEntry(proposal.entry_id, proposal.question, proposal.answer, proposal.alternates, proposal.tags)


def apply(proposal: Proposal, faq: Faq, file: Path) -> str:
    """Write an approved proposal into `file`; says what was written (FaqWriteError if it cannot be)."""
    if proposal.kind == "entry":
        add_entry(file, new_entry(proposal), faq)
        return f"added entry '{proposal.entry_id}' to"
    added = add_alternates(file, proposal.entry_id, proposal.alternates, faq)
    if not added:
        return f"found every alternate already in '{proposal.entry_id}' of"
    return f"added {len(added)} alternate(s) to '{proposal.entry_id}' in"


def reject(store: Store, proposal_id: str, reviewer: str, note: str = "") -> Outcome:
    if not store.move_proposal(proposal_id, (PENDING,), REJECTED, reviewer, note):
        return Outcome(False, _taken(store, proposal_id))
    return Outcome(True, "Rejected.")


def edit(store: Store, changed: Proposal, reviewer: str) -> Outcome:
    """Replace a pending proposal's content with an admin's edit; it stays pending."""
    if not store.move_proposal(changed.id, (PENDING,), PENDING, reviewer, changes=changed):
        return Outcome(False, _taken(store, changed.id))
    return Outcome(True, "Saved; still pending.")


def _taken(store: Store, proposal_id: str) -> str:
    """Why a review action found the proposal no longer pending."""
    proposal = store.proposal(proposal_id)
    if proposal is None:
        return "That proposal no longer exists."
    by = f" by <@{proposal.reviewer}>" if proposal.reviewer else ""
    return {
        APPROVING: f"It is being approved{by} right now.",
        APPROVED: f"It was approved{by} already.",
        TO_APPLY: f"It was approved{by} already, to apply with `faqbot proposals --apply`.",
        REJECTED: f"It was rejected{by}.",
    }.get(proposal.status, f"It is {proposal.status}.")


def as_yaml(proposal: Proposal) -> str:
    """The change as an admin would paste it: a new entry, or the entry's id and new alternates."""
    item = new_entry(proposal).as_yaml() if proposal.kind == "entry" else \
        {"id": proposal.entry_id, "alternates": list(proposal.alternates)}
    return dumped(sample_style(), [item])
