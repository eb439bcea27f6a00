"""The benchmark sets follow ../shared/data/README.md; these run where that data exists (CI)."""

from pathlib import Path

from bench.protocols import banking77, banking77_oos, scale, stackfaq
from faqbot.evaluate import load_queries
from faqbot.faq.loading import load_faq
from tests.conftest import SHARED_DATA, needs_shared_data

pytestmark = needs_shared_data


def written(protocol, tmp_path: Path):
    folder = protocol.write(tmp_path)
    faq = load_faq(folder / "faq.yaml")  # the generated FAQ passes validation
    return faq, load_queries(folder / "queries.csv", list(faq.by_id))


def test_banking77_faq5(tmp_path: Path) -> None:
    faq, queries = written(banking77(SHARED_DATA), tmp_path)
    assert len(faq) == 77 and all(len(e.phrasings) == 5 for e in faq.entries)
    first = faq.by_id["card_arrival"]
    assert first.question == "I am still waiting on my card?" and first.answer == "card_arrival"
    assert len(queries) == 3080 and all(q.faq_id for q in queries)


def test_banking77_out_of_scope_variant(tmp_path: Path) -> None:
    faq, queries = written(banking77_oos(SHARED_DATA), tmp_path)
    assert len(faq) == 66
    assert "balance_not_updated_after_bank_transfer" not in faq.by_id  # 7th by name
    assert "card_delivery_estimate" not in faq.by_id  # 14th
    assert len(queries) == 3080
    assert sum(q.faq_id is None for q in queries) == 11 * 40


def test_stackfaq_faq1(tmp_path: Path) -> None:
    faq, queries = written(stackfaq(SHARED_DATA), tmp_path)
    assert len(faq) == 125 and all(not e.alternates for e in faq.entries)
    assert faq.entries[0].question == "Strikethrough with GitHub Markdown"
    assert faq.entries[0].answer == "Use ~~tildes around the words~~."
    # 1,250 rephrasing slots; one (in the "oldest commit" pair) is empty in the data.
    assert len(queries) == 1249 and "*" not in {q.text for q in queries}


def test_scale_set_size(tmp_path: Path) -> None:
    faq, queries = written(scale(SHARED_DATA), tmp_path)
    assert len(faq) == 1000 and sum(len(e.phrasings) for e in faq.entries) == 5000
    assert len(queries) == 5000


def test_the_scale_protocol_grows_by_prefixes_of_valid_faqs(tmp_path: Path) -> None:
    from bench.scale import BUNDLED, OFF_DOMAIN, PARTS, protocols, write_parts
    from faqbot.matching.encoder import LstmEncoder
    from faqbot.matching.normalize import normalize

    small, large = protocols(SHARED_DATA, sizes=(250, 1000))
    assert large.entries[: len(small.entries)] == small.entries and small.queries == large.queries
    faq, queries = written(large, tmp_path)
    assert sum(len(e.phrasings) for e in faq.entries) == 1000 and len(faq) == 200
    assert len(queries) == 300 + OFF_DOMAIN and all(q.faq_id is None for q in queries)  # nothing to find
    phrasings = {p for e in faq.entries for p in e.phrasings}
    assert not phrasings & {q.text for q in queries}  # held out
    held_out = LstmEncoder.load(BUNDLED).held_out_texts  # of the model's training: calibration would ask only those
    assert not {normalize(p) for p in phrasings} & held_out
    parts = write_parts(large, tmp_path / large.name)
    assert len(list(parts.glob("*.yaml"))) == PARTS  # a folder of 100 valid files, the same FAQ
    assert [e.id for e in load_faq(parts).entries] == [e.id for e in faq.entries]
