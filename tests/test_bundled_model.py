"""The model that ships: loads from the package, is small, and answers the sample FAQ."""

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from faqbot.cli import cli
from faqbot.config import BUNDLED_MODEL
from faqbot.matching.encoder import LstmEncoder
from faqbot.faq import load_faq
from faqbot.matching.matcher import Matcher
from faqbot.matching.normalize import normalize

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def bundled() -> LstmEncoder:
    return LstmEncoder.load(BUNDLED_MODEL)


def test_ships_inside_the_package_and_is_small(bundled: LstmEncoder) -> None:
    assert BUNDLED_MODEL.parent.parent == REPO / "faqbot"
    assert sum(p.stat().st_size for p in BUNDLED_MODEL.iterdir()) <= 10_000_000
    assert bundled.config.tokenizer == "wordpiece" and bundled.dim == 128
    record = json.loads((BUNDLED_MODEL / "config.json").read_text())["training"]
    assert all("shared/data/eval" not in spec for spec in record["inputs"])  # never trained on eval data


def test_no_word_of_the_sample_faq_is_unknown(bundled: LstmEncoder) -> None:
    phrasings = [normalize(p) for e in load_faq(REPO / "faq_data").entries for p in e.phrasings]
    assert bundled.tokenizer.unknown_rate(phrasings) == 0.0


def test_answers_a_paraphrase_by_meaning(bundled: LstmEncoder) -> None:
    matcher = Matcher(load_faq(REPO / "faq_data"), bundled)
    match = matcher.match("vpn keeps dropping")
    assert (match.method, match.entry.id) == ("semantic", "vpn-not-connecting")
    vectors = bundled.encode(["vpn keeps dropping", "my vpn disconnects all the time", "submit my expenses"])
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_cli_uses_it_by_default_and_caches_the_index(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("FAQBOT_MODEL", raising=False)
    monkeypatch.setenv("FAQBOT_INDEX_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(REPO)
    for _ in range(2):
        result = CliRunner().invoke(cli, ["ask", "vpn keeps dropping", "--json"], catch_exceptions=False)
        assert json.loads(result.output)["method"] == "semantic"
    [cached] = (tmp_path / "cache").glob("*.npy")
    assert np.load(cached).shape == (sum(len(e.phrasings) for e in load_faq(REPO / "faq_data").entries), 128)
