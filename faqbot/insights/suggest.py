"""Learning from use, with a human in the loop: real phrasings people used for an entry,
proposed as YAML `alternates` for an admin to review and paste.

A question's (normalised) wording counts for an entry once per person who asked it and
then picked that entry under "Did you mean…?" or rated its answer 👍: repeating a pick
adds nothing, and bystanders' clicks are about the answer, not the asker's words.
Wordings the entry already has (after normalisation) are left out.
"""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from ruamel.yaml import YAML

from faqbot.faq.schema import Faq
from faqbot.matching.normalize import normalize
from faqbot.store.interface import PENDING, Proposal, Store


@dataclass(frozen=True)
class LearntAlternates:
    """New alternates for one entry, each with how many times people confirmed it."""

    entry_id: str
    location: str  # "file:line" of the entry
    phrasings: list[tuple[str, int]]  # (normalised wording, people confirming it), most first


def learnt_alternates(store: Store, faq: Faq, since: datetime) -> list[LearntAlternates]:
    questions = {q.id: q for q in store.questions(since)}
    confirmations = {(c.question_id, c.entry_id, c.user) for c in store.choices(since)}
    confirmations |= {(f.question_id, f.entry_id, f.user) for f in store.feedback(since) if f.helpful}
    people: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for question_id, entry_id, user in confirmations:
        question, entry = questions.get(question_id), faq.by_id.get(entry_id)
        # Only the asker knows what their words meant; someone else's click is about the answer.
        if question is None or entry is None or not question.normalized or user != question.user:
            continue
        if question.normalized not in {normalize(p) for p in entry.phrasings}:
            people[entry_id][question.normalized].add(user)
    result = [
        LearntAlternates(e.id, e.location, sorted(((w, len(u)) for w, u in people[e.id].items()), key=lambda p: (-p[1], p[0])))
        for e in faq.entries if e.id in people
    ]
    return sorted(result, key=lambda p: -sum(c for _, c in p.phrasings))


def as_yaml(proposal: LearntAlternates) -> str:
    """A snippet to merge into the entry: its id and the new alternates, counts as comments."""
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 1_000_000  # one line per phrasing, so each can carry its count as a comment
    snippet = io.StringIO()
    yaml.dump([{"id": proposal.entry_id, "alternates": [p for p, _ in proposal.phrasings]}], snippet)
    lines = snippet.getvalue().splitlines()
    counts = iter(proposal.phrasings)
    out = [f"# {proposal.entry_id} ({proposal.location}): add to its alternates"]
    for line in lines:
        if line.lstrip().startswith("- ") and not line.lstrip().startswith("- id:"):
            line += f"  # confirmed {next(counts)[1]}×"
        out.append(line)
    return "\n".join(out)


def as_proposals(found: list[LearntAlternates], store: Store) -> list[Proposal]:
    """Each entry's learnt alternates as a proposal for admins to review in the App Home,
    less the phrasings a pending proposal already offers for that entry."""
    offered = {(p.entry_id, normalize(a)) for p in store.proposals((PENDING,), limit=10_000) for a in p.alternates}
    out = []
    for learnt in found:
        fresh = tuple(w for w, _ in learnt.phrasings if (learnt.entry_id, normalize(w)) not in offered)
        if fresh:
            out.append(Proposal(kind="alternates", entry_id=learnt.entry_id, answer="", alternates=fresh,
                                origin="suggest"))
    return out
