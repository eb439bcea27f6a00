"""Calibration on the FAQ alone: the FAQ-side questions, the fit, the file `faqbot calibrate`
writes, and how the app reads it (or refuses it cleanly)."""

import dataclasses
import json
import logging
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from faqbot.cli.main import cli
from faqbot.cli.pipeline import build_matcher, serving_matcher, settings
from faqbot.config import BUNDLED_MODEL
from faqbot.evaluate import Evaluation, Query, decision_metrics
from faqbot.faq.loading import load_faq
from faqbot.faq.reload import FaqReloader
from faqbot.matching.calibration import BARS, DIRECT_MIN, faq_side, fit
from faqbot.matching.decision import FEATURES, Calibration, CalibrationError
from faqbot.matching.encoder import LstmEncoder
from faqbot.matching.matcher import Matcher
from faqbot.matching.normalize import normalize
from tests.conftest import SMALL_FAQ, ConceptEncoder, fused_calibration, setting_variables, write

SAMPLE_FAQ = Path(__file__).resolve().parent.parent / "faq_data"
ONE_PHRASING = """\
  - id: parking
    question: Where can I park my car?
    answer: Level -2.
"""


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No FAQBOT_* variable or .env of the developer's; no encoder, so the CLI is quick."""
    for name in setting_variables():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FAQBOT_MODEL", "none")
    monkeypatch.setenv("FAQBOT_INDEX_CACHE", "none")
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def faq_folder(tmp_path: Path) -> Path:
    write(tmp_path / "faq" / "it.yaml", SMALL_FAQ)
    return tmp_path / "faq"


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


# --- the FAQ-side questions and the fit --------------------------------------------------------

def test_faq_side_asks_each_phrasing_without_itself_and_without_its_entry(tmp_path: Path) -> None:
    faq = load_faq(write(tmp_path / "faq.yaml", SMALL_FAQ + ONE_PHRASING))
    matcher = Matcher(faq, ConceptEncoder())
    side = faq_side(matcher)
    # 7 phrasings of entries with two or more (parking has one: not asked), in scope then out of scope.
    assert side.texts == [p for e in faq.entries[:3] for p in e.phrasings] * 2
    assert side.gold.tolist() == [0, 0, 0, 1, 1, 2, 2] + [-1] * 7
    assert side.scores.semantic.shape == (14, 4)
    encoder = ConceptEncoder()
    forgot = encoder.encode([normalize("I forgot my password")])
    others = encoder.encode([normalize("How do I reset my password?"), "pw reset"])
    assert side.scores.semantic[1, 0] == pytest.approx(float((others @ forgot.T).max()))  # its siblings only
    for signal in ("semantic", "lexical", "fuzzy"):
        assert getattr(side.scores, signal)[8, 0] == -np.inf  # its entry is hidden out of scope
        assert np.isfinite(getattr(side.scores, signal)[8, 1:]).all()
    assert side.scores.features[8, 0] >= 0.0  # a hidden entry counts as nothing there


def test_fit_is_deterministic_and_the_channel_bar_is_the_higher(faq_file: Path) -> None:
    faq = load_faq(faq_file)
    for encoder in (ConceptEncoder(), None):
        first, second = fit(Matcher(faq, encoder)), fit(Matcher(faq, encoder))
        assert first == second
        assert first.direct in BARS and first.channel in BARS and first.channel >= first.direct
        assert first.model == (encoder.name if encoder else None)
        assert len(first.coef) == len(FEATURES) and first.coef[0] > 0  # a higher score is more likely right
        assert first.fitted["faq_side_questions"] == 14


def test_the_direct_bar_has_the_best_decision_accuracy_and_the_channel_bar_the_precision() -> None:
    """The direct bar: the best decision accuracy among bars of at least DIRECT_MIN (where the
    best entry is more likely right than wrong), or among all bars with no floor."""
    matcher = Matcher(load_faq(SAMPLE_FAQ))  # n-grams alone: about half the held-out alternates are found
    # Out-of-scope questions weigh as much as in-scope ones, so accuracy is the plain count.
    calibration = fit(matcher, direct_out_of_scope=0.5, channel_precision=0.85)
    unfloored = fit(matcher, direct_out_of_scope=0.5, channel_precision=0.85, direct_min=0.0)
    side = faq_side(matcher)
    evaluation = Evaluation(matcher, [Query(t, None) for t in side.texts], side.gold, side.scores)
    confidence_only = dataclasses.replace(calibration, fuzzy=math.inf)

    def metrics(bar: float) -> dict:
        return decision_metrics(evaluation, confidence_only, bar=bar)

    assert unfloored.direct < DIRECT_MIN <= calibration.direct  # this FAQ's best of all is below the floor
    best = metrics(unfloored.direct)["decision_accuracy"]
    assert all(metrics(float(bar))["decision_accuracy"] <= best for bar in BARS)
    best_floored = metrics(calibration.direct)["decision_accuracy"]
    assert all(metrics(float(bar))["decision_accuracy"] <= best_floored for bar in BARS[BARS >= DIRECT_MIN])
    assert 0.5 < best_floored <= best < 1.0
    # The channel bar is the lowest whose answers are right 85% of the time.
    assert calibration.direct < calibration.channel < BARS[-1]
    assert 1 - metrics(calibration.channel)["wrong_answer_share"] >= 0.85
    for below in BARS[BARS < calibration.channel]:
        assert 1 - metrics(float(below))["wrong_answer_share"] < 0.85


def test_fit_needs_alternates(tmp_path: Path) -> None:
    faq = load_faq(write(tmp_path / "faq.yaml", "faqs:\n" + ONE_PHRASING))
    with pytest.raises(ValueError, match="no entry has two phrasings"):
        fit(Matcher(faq))


# --- the file ----------------------------------------------------------------------------------

def test_save_and_load_round_trip(faq_file: Path, tmp_path: Path) -> None:
    fitted = fit(Matcher(load_faq(faq_file), ConceptEncoder()))
    path = tmp_path / "calibration.json"
    fitted.save(path)
    assert Calibration.load(path) == fitted
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("calibration")] == ["calibration.json"]
    data = json.loads(path.read_text())
    assert (data["format"], data["features"], data["model"]) == (1, list(FEATURES), "concepts-v1")
    fused_calibration().save(path)  # replaced whole
    assert Calibration.load(path) == fused_calibration()


def valid() -> dict:
    return {"format": 1, "features": list(FEATURES), "coef": [10.0, 0.0], "intercept": -5.0, "channel": 0.9,
            "direct": 0.6, "fuzzy": 0.9, "suggest": 0.3, "model": None, "fitted": {}}


@pytest.mark.parametrize(("content", "problem"), [
    ("{\"format\": 1,", "cannot read the calibration"),
    (b"\xff\xfe{}", "cannot read the calibration"),
    ("[1, 2]", "not a calibration written by this faqbot"),
    (json.dumps({"name": "a package.json, say"}), "not a calibration written by this faqbot"),
    (json.dumps({**valid(), "format": 2}), "not a calibration written by this faqbot"),
    (json.dumps({**valid(), "features": ["score"]}), "not a calibration written by this faqbot"),
    (json.dumps({k: v for k, v in valid().items() if k != "direct"}), "field missing or not a number"),
    (json.dumps({**valid(), "channel": "high"}), "field missing or not a number"),
    (json.dumps({**valid(), "coef": [1.0, 2.0, 3.0]}), "3 coefficients"),
    (json.dumps({**valid(), "intercept": float("nan")}), "non-finite"),
], ids=["truncated", "not-utf8", "a-list", "foreign", "format", "features", "missing", "not-a-number",
        "coefficients", "nan"])
def test_a_broken_or_foreign_file_is_refused(tmp_path: Path, content: str | bytes, problem: str) -> None:
    path = tmp_path / "calibration.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(CalibrationError, match=problem) as info:
        Calibration.load(path)
    assert str(info.value).startswith(f"{path}: ")
    with pytest.raises(CalibrationError, match="cannot read"):
        Calibration.load(tmp_path / "missing.json")


def test_the_valid_file_of_the_refusal_tests_loads(tmp_path: Path) -> None:
    path = write(tmp_path / "calibration.json", json.dumps(valid()))
    assert Calibration.load(path) == fused_calibration()


# --- faqbot calibrate, and the app reading what it wrote ----------------------------------------

@pytest.mark.usefixtures("clean_environment")
def test_calibrate_writes_beside_the_faq_where_the_app_reads_it(faq_folder: Path) -> None:
    path = faq_folder / "calibration.json"
    # none yet: calibrated at start-up (not written there), as the fit gives it
    assert same_fit(build_matcher(settings(faq_path=faq_folder)).calibration, fit(Matcher(load_faq(faq_folder))))
    assert not path.exists()
    result = run("calibrate", "--faq", str(faq_folder))
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"wrote {path}:")
    written = Calibration.load(path)
    assert written == fit(Matcher(load_faq(faq_folder)))  # what the fit gives, for the configured pipeline
    assert build_matcher(settings(faq_path=faq_folder)).calibration == written
    # and `ask` answers with it, not with the built-in one
    data = json.loads(run("ask", "pw reset", "--faq", str(faq_folder), "--json").output)
    faq = load_faq(faq_folder)
    assert data["confidence"] == round(Matcher(faq, calibration=written).match("pw reset").confidence, 4)
    assert data["confidence"] != round(Matcher(faq).match("pw reset").confidence, 4)


@pytest.mark.usefixtures("clean_environment")
def test_calibrate_writes_to_a_new_calibration_path(faq_folder: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "elsewhere.json"
    result = run("calibrate", "--faq", str(faq_folder), "--calibration", str(elsewhere))
    assert result.exit_code == 0, result.output
    assert elsewhere.is_file() and not (faq_folder / "calibration.json").exists()
    monkeypatch.setenv("FAQBOT_CALIBRATION", str(elsewhere))
    assert build_matcher(settings(faq_path=faq_folder)).calibration == Calibration.load(elsewhere)
    # Asked to read one that is not there, the app says so.
    missing = run("ask", "hi", "--faq", str(faq_folder), "--calibration", str(tmp_path / "nope.json"))
    assert missing.exit_code == 1 and "no calibration file at" in missing.output


@pytest.mark.usefixtures("clean_environment")
def test_overrides_apply_on_top_of_the_file(faq_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fused_calibration().save(faq_folder / "calibration.json")
    monkeypatch.setenv("FAQBOT_CHANNEL_THRESHOLD", "0.95")
    monkeypatch.setenv("FAQBOT_DIRECT_THRESHOLD", "0.4")
    calibration = build_matcher(settings(faq_path=faq_folder, fuzzy_threshold=0.8)).calibration
    assert calibration == fused_calibration(channel=0.95, direct=0.4, fuzzy=0.8)
    off = build_matcher(settings(faq_path=faq_folder, fuzzy_fallback=False)).calibration
    assert off.fuzzy == math.inf


@pytest.mark.usefixtures("clean_environment")
def test_switching_fuzzy_off_is_not_written_into_the_file(faq_folder: Path) -> None:
    result = run("calibrate", "--faq", str(faq_folder), "--no-fuzzy-fallback")
    assert result.exit_code == 0, result.output
    path = faq_folder / "calibration.json"
    assert "Infinity" not in path.read_text()  # not even valid JSON
    assert Calibration.load(path).fuzzy == Calibration().fuzzy


def same_fit(served: Calibration, fitted: Calibration) -> bool:
    """Equal but for the FAQ version a calibration fitted at start-up records."""
    assert served.fitted.get("faq"), "fitted at start-up, so it records the FAQ version"
    return dataclasses.replace(served, fitted={k: v for k, v in served.fitted.items() if k != "faq"}) == fitted


@pytest.mark.usefixtures("clean_environment")
def test_a_calibration_of_another_model_is_ignored(faq_folder: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = faq_folder / "calibration.json"
    fused_calibration(model="lstm-0123456789abcdef").save(path)
    faq = load_faq(faq_folder)
    with caplog.at_level(logging.INFO):  # n-grams alone here: calibrated on the FAQ at start-up
        served = build_matcher(settings(faq_path=faq_folder)).calibration
    assert same_fit(served, fit(Matcher(faq, calibration=fused_calibration(model="lstm-0123456789abcdef"))))
    assert f"no calibration at {path} for this model: calibrated on the FAQ in" in caplog.text
    fused_calibration(model=None).save(path)  # fitted without encoder, served with the bundled model
    with_model = build_matcher(settings(faq_path=faq_folder, model=BUNDLED_MODEL)).calibration
    assert same_fit(with_model, fit(Matcher(faq, LstmEncoder.load(BUNDLED_MODEL), fused_calibration(model=None))))
    assert build_matcher(settings(faq_path=faq_folder)).calibration == fused_calibration()


@pytest.fixture
def kept_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An index cache, where a calibration fitted at start-up is kept."""
    monkeypatch.setenv("FAQBOT_INDEX_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "calibration-none.json"


@pytest.mark.usefixtures("clean_environment")
def test_without_a_file_the_faq_calibrated_at_start_up_is_kept_for_the_next(
        faq_folder: Path, kept_in: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The built-in calibration answered 33 of 150 unrelated questions in a DM at 250
    phrasings, the FAQ's own 2: a FAQ without a file gets its own, fitted once per version."""
    with caplog.at_level(logging.INFO):
        first = build_matcher(settings(faq_path=faq_folder)).calibration
    assert same_fit(first, fit(Matcher(load_faq(faq_folder))))
    assert "calibrated on the FAQ in" in caplog.text and f"kept in {kept_in}" in caplog.text
    assert Calibration.load(kept_in) == first and not (faq_folder / "calibration.json").exists()
    caplog.clear()
    written = kept_in.stat().st_mtime_ns
    with caplog.at_level(logging.INFO):  # the next start reads it
        assert build_matcher(settings(faq_path=faq_folder)).calibration == first
    assert "calibrated on the FAQ" not in caplog.text and kept_in.stat().st_mtime_ns == written
    # an edited FAQ is another version: fitted again
    write(faq_folder / "more.yaml", "faqs:\n  - id: parking\n    question: Where can I park my car?\n"
                                    "    alternates: [car park, where to park]\n    answer: Level -2.\n")
    edited = build_matcher(settings(faq_path=faq_folder)).calibration
    assert edited.fitted["faq"] != first.fitted["faq"] and same_fit(edited, fit(Matcher(load_faq(faq_folder))))
    assert Calibration.load(kept_in) == edited
    # the bars set by environment lie over it, and are not kept
    overridden = build_matcher(settings(faq_path=faq_folder, direct_threshold=0.93)).calibration
    assert overridden == dataclasses.replace(edited, direct=0.93) and Calibration.load(kept_in) == edited


@pytest.mark.usefixtures("clean_environment")
def test_a_large_faq_is_calibrated_by_faqbot_index_and_served_with_it(
        faq_folder: Path, kept_in: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past what start-up affords, the built-in calibration with a warning; `faqbot index`
    fits it at any size; an edit keeps serving that one until the next index."""
    import faqbot.matching.calibration as calibration_module

    monkeypatch.setattr(calibration_module, "MAX_PHRASINGS_AT_START", 5)
    configured = settings(faq_path=faq_folder)
    with caplog.at_level(logging.WARNING):
        assert build_matcher(configured).calibration == Calibration()
    assert "too large to calibrate at start-up: using the built-in one" in caplog.text
    assert "run `faqbot index`" in caplog.text and not kept_in.exists()
    result = run("index", "--faq", str(faq_folder))
    assert result.exit_code == 0, result.output
    assert "calibrated on the FAQ, kept in the index cache" in result.output
    kept = Calibration.load(kept_in)
    assert same_fit(kept, fit(Matcher(load_faq(faq_folder))))
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert build_matcher(configured).calibration == kept
    assert caplog.text == ""
    write(faq_folder / "more.yaml", "faqs:\n  - id: parking\n    question: Where can I park my car?\n"
                                    "    alternates: [car park]\n    answer: Level -2.\n")
    with caplog.at_level(logging.WARNING):
        assert build_matcher(configured).calibration == kept
    assert "fitted on an earlier version of this FAQ" in caplog.text and "`faqbot index` fits it again" in caplog.text


@pytest.mark.usefixtures("clean_environment")
def test_the_slack_app_calibrates_a_large_faq_in_the_background(
        faq_folder: Path, kept_in: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    """It answers at once with the built-in calibration; the FAQ's own is fitted in a forked
    child (as an edit is indexed), served, and kept for the next start."""
    import faqbot.matching.calibration as calibration_module

    monkeypatch.setattr(calibration_module, "MAX_PHRASINGS_AT_START", 5)
    configured = settings(faq_path=faq_folder, direct_threshold=0.93)
    with caplog.at_level(logging.INFO):
        matcher, later = serving_matcher(configured)
    assert "calibrating on the FAQ in the background, serving the built-in one until then" in caplog.text
    assert matcher.calibration == dataclasses.replace(Calibration(), direct=0.93)
    served = [matcher]
    reloader = FaqReloader(faq_folder, lambda: served[0], lambda new: served.__setitem__(0, new),
                           index_cache=configured.index_cache)
    failing = reloader.recalibrate(lambda m: 1 / 0)
    assert not failing and served[0] is matcher and "calibrating on the FAQ failed" in caplog.text
    assert later is not None and reloader.recalibrate(later)
    fitted = fit(Matcher(load_faq(faq_folder)))
    assert same_fit(served[0].calibration, dataclasses.replace(fitted, direct=0.93))  # the bar set by environment
    assert same_fit(Calibration.load(kept_in), fitted)  # kept as fitted
    assert served[0].faq.entries == matcher.faq.entries
    assert served[0].match("pw reset").confidence == pytest.approx(float(
        served[0].calibration.confidence(served[0].score(["pw reset"]).features)[0]))
    restarted, left = serving_matcher(configured)
    assert restarted.calibration == served[0].calibration and left is None  # nothing left to fit
    fitted.save(faq_folder / "calibration.json")  # a file: nothing to fit, ever
    kept_in.unlink()
    assert serving_matcher(configured)[1] is None


@pytest.mark.usefixtures("clean_environment")
def test_a_kept_calibration_that_is_broken_or_cannot_be_written_costs_only_a_fit(
        faq_folder: Path, kept_in: Path, caplog: pytest.LogCaptureFixture) -> None:
    expected = fit(Matcher(load_faq(faq_folder)))
    write(kept_in, '{"format": 1, "coef": [1')
    with caplog.at_level(logging.WARNING):
        assert same_fit(build_matcher(settings(faq_path=faq_folder)).calibration, expected)
    assert "cannot read the calibration" in caplog.text and "fitting a new one" in caplog.text
    assert same_fit(Calibration.load(kept_in), expected)  # replaced
    kept_in.unlink()
    kept_in.mkdir()  # where the file should go, something it cannot replace
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert same_fit(build_matcher(settings(faq_path=faq_folder)).calibration, expected)
    assert "cannot keep the calibration in" in caplog.text and "the next start fits it again" in caplog.text


@pytest.mark.usefixtures("clean_environment")
def test_a_faq_that_cannot_teach_a_calibration_is_served_with_the_built_in_one(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "bare"
    write(folder / "faq.yaml", "faqs:\n" + ONE_PHRASING)
    with caplog.at_level(logging.WARNING):
        assert build_matcher(settings(faq_path=folder)).calibration == Calibration()
    assert "no entry has two phrasings" in caplog.text and "using the built-in one" in caplog.text


@pytest.mark.usefixtures("clean_environment")
@pytest.mark.parametrize("command", [["ask", "how do I reset my password?"], ["chat"], ["report"]])
def test_a_corrupt_calibration_is_a_clean_error(faq_folder: Path, command: list[str]) -> None:
    (faq_folder / "calibration.json").write_text('{"format": 1, "coef": [1', encoding="utf-8")
    result = run(*command, "--faq", str(faq_folder))
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert f"Error: {faq_folder / 'calibration.json'}: cannot read the calibration" in result.output
    assert "run `faqbot calibrate` to write a new one" in result.output


@pytest.mark.usefixtures("clean_environment")
def test_calibrate_replaces_a_corrupt_calibration(faq_folder: Path) -> None:
    path = faq_folder / "calibration.json"
    path.write_text("{not json", encoding="utf-8")
    result = run("calibrate", "--faq", str(faq_folder))
    assert result.exit_code == 0, result.output
    assert Calibration.load(path) == fit(Matcher(load_faq(faq_folder)))
    assert run("ask", "pw reset", "--faq", str(faq_folder)).exit_code == 0


@pytest.mark.usefixtures("clean_environment")
def test_calibrate_on_a_faq_without_alternates_is_a_clean_error(tmp_path: Path) -> None:
    folder = tmp_path / "bare"
    write(folder / "faq.yaml", "faqs:\n" + ONE_PHRASING)
    result = run("calibrate", "--faq", str(folder))
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "no entry has two phrasings" in result.output and not (folder / "calibration.json").exists()


def test_a_fine_tuned_model_is_calibrated_on_the_phrasings_its_training_held_out() -> None:
    """A model has learnt the phrasings it trained on; asking those would make it look surer than it is."""
    faq = load_faq(SAMPLE_FAQ)
    encoder = ConceptEncoder()
    matcher = Matcher(faq, encoder)
    everything = faq_side(matcher)
    unseen = sorted({normalize(e.alternates[0]) for e in faq.entries if len(e.phrasings) >= 3})
    encoder.held_out_texts = frozenset(unseen)
    asked = faq_side(matcher)
    assert len(unseen) >= 20 and len(asked.texts) == 2 * len(unseen) < len(everything.texts)
    assert {normalize(t) for t in asked.texts} == set(unseen)
    encoder.held_out_texts = frozenset(unseen[:5])  # too few to calibrate on: every phrasing is asked
    assert len(faq_side(matcher).texts) == len(everything.texts)


@pytest.mark.parametrize("encoder", [LstmEncoder.load(BUNDLED_MODEL), None], ids=["bundled", "n-grams"])
def test_a_large_faq_calibrates_on_candidates_as_a_small_one_on_everything(encoder, monkeypatch) -> None:
    """The sample FAQ asked through the candidate path (as a 100k FAQ is) gives the same
    questions and the same calibration, give or take a bar step; capped questions are spread."""
    faq = load_faq(SAMPLE_FAQ)
    everything, candidates = Matcher(faq, encoder), Matcher(faq, encoder, exact_max=0)
    whole, sampled = faq_side(everything), faq_side(candidates)
    assert sampled.texts == whole.texts and np.array_equal(sampled.gold, whole.gold)
    assert sampled.columns is not None and sampled.columns.shape[1] < len(faq)
    assert (sampled.entries(sampled.scores.best[0]) == whole.entries(whole.scores.best[0])).mean() >= 0.98
    exact, approximate = fit(everything), fit(candidates)
    assert exact.semantic_weight == approximate.semantic_weight
    assert abs(exact.direct - approximate.direct) <= 0.02 and abs(exact.channel - approximate.channel) <= 0.02
    monkeypatch.setattr("faqbot.matching.calibration.MAX_ASKED", 10)
    capped = faq_side(candidates)
    half = len(whole.texts) // 2  # the first half asks without itself, the second without its entry
    assert len(capped.texts) == 20 and capped.texts[0] == whole.texts[0] and capped.texts[9] == whole.texts[half - 1]
