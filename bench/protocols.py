"""Benchmark FAQ + query files built from ../shared/data/eval by the protocols in its README.

Each protocol writes `faq.yaml` and `queries.csv` (header `text,faq_id`) into its own
folder, ready for `faqbot eval`. The data sets stay in ../shared; only derived files
are written, under the git-ignored build folder.
"""

from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
BANKING_PHRASINGS = 5  # FAQ-5: the first five train rows of each category
OOS_EVERY = 7  # out-of-scope variant: every 7th category by name, from the 7th


@dataclass(frozen=True)
class FaqItem:
    id: str
    phrasings: list[str]  # the first is the main question
    answer: str


@dataclass(frozen=True)
class Protocol:
    name: str
    entries: list[FaqItem]
    queries: list[tuple[str, str]]  # (text, faq_id or "" for out of scope)

    def write(self, folder: Path) -> Path:
        """Write faq.yaml and queries.csv into folder/name and return that folder."""
        out = folder / self.name
        out.mkdir(parents=True, exist_ok=True)
        faqs = [
            {"id": e.id, "question": e.phrasings[0], "alternates": e.phrasings[1:], "answer": e.answer}
            for e in self.entries
        ]
        yaml = YAML()
        yaml.width = 4096
        with open(out / "faq.yaml", "w", encoding="utf-8") as file:
            yaml.dump({"faqs": faqs}, file)
        with open(out / "queries.csv", "w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(["text", "faq_id"])
            writer.writerows(self.queries)
        return out


def slug(name: str) -> str:
    """A category name as an FAQ id ("Refund_not_showing_up" -> "refund_not_showing_up")."""
    return re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-")


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def _banking_faq(data: Path) -> tuple[list[FaqItem], list[dict[str, str]]]:
    phrasings: dict[str, list[str]] = {}
    for row in _csv_rows(data / "eval" / "banking77" / "train.csv"):
        phrasings.setdefault(row["category"], []).append(row["text"])
    entries = [FaqItem(slug(cat), texts[:BANKING_PHRASINGS], cat) for cat, texts in phrasings.items()]
    return entries, _csv_rows(data / "eval" / "banking77" / "test.csv")


def banking77(data: Path = DATA) -> Protocol:
    """Banking77 FAQ-5: 77 entries of 5 phrasings; the 3,080 test rows as queries."""
    entries, test = _banking_faq(data)
    return Protocol("banking77", entries, [(r["text"], slug(r["category"])) for r in test])


def banking77_oos(data: Path = DATA) -> Protocol:
    """FAQ-5 without every 7th category: their test queries expect no answer."""
    entries, test = _banking_faq(data)
    # Sorted by the category name itself (the answer), not by the lower-cased id.
    removed = {e.id for e in sorted(entries, key=lambda e: e.answer)[OOS_EVERY - 1 :: OOS_EVERY]}
    kept = [e for e in entries if e.id not in removed]
    queries = [(r["text"], "" if slug(r["category"]) in removed else slug(r["category"])) for r in test]
    return Protocol("banking77-oos", kept, queries)


def stackfaq(data: Path = DATA) -> Protocol:
    """StackFAQ FAQ-1: one entry per qapair (its question), its rephrasings as queries.

    1,249 queries: of the 1,250 rephrasing slots, one is empty in the data.
    """
    root = ET.parse(data / "eval" / "stackfaq" / "stackExchange-FAQ.xml").getroot()
    entries, queries = [], []
    for number, pair in enumerate(root.iter("qapair"), start=1):
        entry_id = f"stackfaq-{number:03d}"
        answer = (pair.findtext("answer") or "").strip()
        entries.append(FaqItem(entry_id, [pair.findtext("question", "").strip()], " ".join(answer.split())))
        queries.extend((text, entry_id) for text in _rephrasings(pair))
    return Protocol("stackfaq", entries, queries)


def _rephrasings(pair: ET.Element) -> Iterable[str]:
    for node in pair.findall("rephr"):
        text = (node.text or "").strip()
        if text and text != "*":  # "*" separates two annotators' sets
            yield text


def scale(data: Path = DATA, entries: int = 1000, per_entry: int = 5, queries: int = 5000) -> Protocol:
    """A timing-only set at the size the foundation issue names: 1,000 entries, 5,000 queries.

    Banking77 texts in consecutive groups of five distinct texts; every query is marked
    out of scope, since only the run time of this set is reported.
    """
    from faqbot.matching.normalize import normalize

    rows = _csv_rows(data / "eval" / "banking77" / "train.csv") + _csv_rows(data / "eval" / "banking77" / "test.csv")
    seen: set[str] = set()
    texts = []
    for row in rows:
        key = normalize(row["text"])
        if key and key not in seen:
            seen.add(key)
            texts.append(row["text"])
    need = entries * per_entry
    if len(texts) < need + queries:
        raise ValueError(f"need {need + queries} distinct texts, found {len(texts)}")
    items = [
        FaqItem(f"scale-{i:04d}", texts[i * per_entry : (i + 1) * per_entry], "timing only") for i in range(entries)
    ]
    return Protocol("scale", items, [(t, "") for t in texts[need : need + queries]])


PROTOCOLS = {"banking77": banking77, "banking77-oos": banking77_oos, "stackfaq": stackfaq, "scale": scale}
