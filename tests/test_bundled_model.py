"""The model that ships: loads from the package, is small, and answers the sample FAQ."""

import dataclasses
import json
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from faqbot.cli.main import cli
from faqbot.cli.pipeline import build_matcher, settings
from faqbot.config import BUNDLED_MODEL, CALIBRATION_FILE
from faqbot.faq.loading import load_faq
from faqbot.matching.decision import Calibration
from faqbot.matching.encoder import LstmEncoder
from faqbot.matching.index_cache import ENCODINGS_FILE
from faqbot.matching.matcher import Matcher
from faqbot.matching.normalize import normalize
from tests.conftest import setting_variables

REPO = Path(__file__).resolve().parent.parent


SUPERSET = ("please do not reset my password, I want to know how expenses get approved by finance and who "
            "signs off on them")


@pytest.fixture(scope="module")
def bundled() -> LstmEncoder:
    return LstmEncoder.load(BUNDLED_MODEL)


@pytest.fixture(scope="module")
def shipped(bundled: LstmEncoder) -> Matcher:
    """The sample FAQ with the bundled model and the calibration shipped beside it."""
    return Matcher(load_faq(REPO / "faq_data"), bundled, Calibration.load(REPO / "faq_data" / CALIBRATION_FILE))


def test_ships_inside_the_package_and_is_small(bundled: LstmEncoder) -> None:
    assert BUNDLED_MODEL.parent.parent == REPO / "faqbot"
    assert sum(p.stat().st_size for p in BUNDLED_MODEL.iterdir()) <= 10_000_000
    assert bundled.config.tokenizer == "wordpiece" and bundled.dim == 128
    record = json.loads((BUNDLED_MODEL / "config.json").read_text())["training"]
    assert all("shared/data/eval" not in spec for spec in record["inputs"])  # never trained on eval data


def test_no_word_of_the_sample_faq_is_unknown(bundled: LstmEncoder) -> None:
    phrasings = [normalize(p) for e in load_faq(REPO / "faq_data").entries for p in e.phrasings]
    assert bundled.tokenizer.unknown_rate(phrasings) == 0.0


def test_answers_a_paraphrase_by_meaning(bundled: LstmEncoder, shipped: Matcher) -> None:
    match = shipped.match("vpn keeps dropping")
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
    phrasings = sum(len(e.phrasings) for e in load_faq(REPO / "faq_data").entries)
    [n_grams] = [np.load(f) for f in (tmp_path / "cache").glob("*.npz")]
    with closing(sqlite3.connect(tmp_path / "cache" / ENCODINGS_FILE)) as connection:
        [(rows, width)] = connection.execute("SELECT count(*), max(length(vector)) FROM encodings").fetchall()
    assert (rows, width) == (phrasings, 128 * 4) and len(n_grams["row_ptr"]) == phrasings + 1


def test_the_shipped_calibration_is_for_the_bundled_model_and_is_what_the_app_reads(
        bundled: LstmEncoder, shipped: Matcher, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert shipped.calibration.model == bundled.name  # else the app would fall back to the built-in one
    assert shipped.calibration.direct <= shipped.calibration.channel
    for name in setting_variables():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    served = build_matcher(settings(faq_path=REPO / "faq_data", index_cache="none"))
    assert served.calibration == shipped.calibration


@pytest.mark.parametrize("text", ["what should I do now?", "how do I change it?", SUPERSET, "anyone up for coffee?"])
def test_chatter_gets_no_channel_answer(shipped: Matcher, text: str) -> None:
    match = shipped.match(text, "channel")
    assert match.entry is None, (match.method, match.entry.id, match.confidence, match.score)


@pytest.mark.parametrize("text", ["how do i reset my pasword", "I forgot my password"])
def test_password_questions_get_a_channel_answer(shipped: Matcher, text: str) -> None:
    match = shipped.match(text, "channel")
    assert match.entry is not None and match.entry.id == "reset-password", (match.method, match.confidence)


@pytest.mark.parametrize(("text", "kind"), [("hi", "greeting"), ("thanks!", "thanks"),
                                            ("what is the airspeed velocity of an unladen swallow?", None)])
def test_greetings_thanks_and_nonsense_get_no_entry_and_no_suggestions(shipped: Matcher, text: str,
                                                                       kind: str | None) -> None:
    match = shipped.match(text, "direct")
    assert (match.entry, match.suggestions, match.small_talk) == (None, (), kind), (match.method, match.confidence)


def test_the_built_in_calibration_is_the_shipped_one(shipped: Matcher) -> None:
    """Without a calibration file the bundled model falls back to the built-in one: the same numbers."""
    assert dataclasses.replace(Calibration(), fitted=shipped.calibration.fitted) == shipped.calibration


def test_another_model_without_a_calibration_is_calibrated_at_start_up(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The built-in calibration's scores mean something else without the encoder: fit one on the FAQ."""
    for name in setting_variables():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    faq = tmp_path / "faq"
    shutil.copytree(REPO / "faq_data", faq, ignore=shutil.ignore_patterns("calibration.json"))
    served = build_matcher(settings(faq_path=faq, model="none", index_cache="none"))
    assert served.calibration.model is None and served.calibration != Calibration()
    assert served.calibration.fitted["faq_side_questions"] > 0
    assert not (faq / "calibration.json").exists()  # `faqbot calibrate` writes; start-up does not
