"""From configuration to what serves: the settings, the matcher and its calibration, the store.

Every command that matches builds the pipeline here, so `faqbot ask` answers as the Slack
app does; a bad setting, FAQ, model or database becomes a clean CLI error."""

from __future__ import annotations

import copy
import dataclasses
import functools
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from pydantic import ValidationError

from faqbot.config import Settings
from faqbot.faq.loading import load_faq
from faqbot.faq.schema import FaqError
from faqbot.matching.decision import Calibration, CalibrationError
from faqbot.matching.encoder import LstmEncoder, ModelError
from faqbot.matching.index_cache import cache_key
from faqbot.matching.matcher import Matcher

if TYPE_CHECKING:
    from faqbot.store.sql import SqlStore

log = logging.getLogger("faqbot")


def settings(**flags: Any) -> Settings:
    """Environment and .env, overridden by the flags that were given."""
    try:
        return Settings(**{k: v for k, v in flags.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(f"{_variable(e['loc'])}: {e['msg']}" for e in exc.errors())
        raise click.UsageError(f"invalid configuration: {problems}") from exc
    except UnicodeDecodeError as exc:
        raise click.UsageError(f"cannot read .env: it is not UTF-8 text (byte {exc.object[exc.start]:#x} at"
                               f" position {exc.start}); save it as UTF-8") from exc
    except OSError as exc:
        raise click.UsageError(f"cannot read .env: {exc.strerror}") from exc


def _variable(loc: tuple[Any, ...]) -> str:
    """Where a bad setting came from: its environment variable (or the flag of the same name)."""
    field = str(loc[0]) if loc else "?"
    return Settings.variable(field) if field in Settings.model_fields else field


def build_matcher(config: Settings, rewriting_calibration: bool = False, background: bool = False,
                  calibrating_any_size: bool = False) -> Matcher:
    """The served pipeline from configuration; FAQ and model problems become clean CLI errors.

    `rewriting_calibration`: for `faqbot calibrate`, see `read_calibration`; `background`: a
    large FAQ's graph is built while answering starts; `calibrating_any_size`: without a
    calibration file for the model, fit one on the FAQ whatever its size (`faqbot index`)
    rather than only up to what start-up affords."""
    return _pipeline(config, rewriting_calibration, background, calibrating_any_size)[0]


def serving_matcher(config: Settings) -> tuple[Matcher, Callable[[Matcher], Calibration] | None]:
    """For the Slack app, which starts answering at once: the matcher (its graph built in the
    background), and the fit of the FAQ's own calibration that start-up left for later (a FAQ
    too large to fit then, without a fit of this version kept), for `FaqReloader.recalibrate`;
    None when there is nothing to fit."""
    return _pipeline(config, background=True)


def _pipeline(config: Settings, rewriting_calibration: bool = False, background: bool = False,
              calibrating_any_size: bool = False) -> tuple[Matcher, Callable[[Matcher], Calibration] | None]:
    try:
        faq = load_faq(config.faq_path, cache=config.index_cache)
    except FaqError as exc:
        raise click.ClickException(f"the FAQ has {len(exc.problems)} problem(s):\n{exc}") from exc
    try:
        encoder = LstmEncoder.load(config.model) if config.model else None
    except ModelError as exc:
        raise click.ClickException(f"cannot load the model: {exc}") from exc
    written = read_calibration(config, rewriting=rewriting_calibration)
    matcher = Matcher(faq, encoder, written or Calibration(), index_cache=config.index_cache, background=background)
    fit_later = None
    if not rewriting_calibration and (written is None or not written.fits(encoder)):
        at_hand = "the built-in one" if written is None else f"{config.calibration_path}, fitted for another model"
        matcher.calibration, pending = _fitted_on_the_faq(matcher, config, calibrating_any_size, at_hand,
                                                          later=background)
        if pending:
            fit_later = functools.partial(_fit_later, config=config, base=written or Calibration(), at_hand=at_hand)
    matcher.calibration = config.overriding(matcher.calibration)
    return matcher, fit_later


def _fit_later(served: Matcher, config: Settings, base: Calibration, at_hand: str) -> Calibration:
    """The FAQ's own calibration, fitted from `base` (the file's or the built-in one, not the
    bars set by environment, which are laid over it after) and kept."""
    unconfigured = copy.copy(served)
    unconfigured.calibration = base
    return config.overriding(_fitted_on_the_faq(unconfigured, config, True, at_hand)[0])


def read_calibration(config: Settings, rewriting: bool = False) -> Calibration | None:
    """The calibration file's (None: there is none). `rewriting` (`faqbot calibrate`, which
    replaces the file): a broken file is no error."""
    path = config.calibration_path
    if path.is_file():
        try:
            return Calibration.load(path)
        except CalibrationError as exc:
            if not rewriting:
                raise click.ClickException(f"{exc} (run `faqbot calibrate` to write a new one)") from exc
            log.warning("%s; writing a new one", exc)
    elif config.calibration is not None and not rewriting:
        raise click.ClickException(f"no calibration file at {path}: run `faqbot calibrate` to write it")
    return None


def _fitted_on_the_faq(matcher: Matcher, config: Settings, any_size: bool, at_hand: str,
                       later: bool = False) -> tuple[Calibration, bool]:
    """No calibration file for this model: the FAQ's own, fitted as `faqbot calibrate` does
    and kept in the index cache, so the next start reads it (the built-in one, fitted on the
    sample FAQ, answered 33 of 150 unrelated questions in a DM at 250 phrasings, its own 2).

    Fitting takes seconds up to `MAX_PHRASINGS_AT_START` phrasings, so start-up does it there;
    `faqbot index` does it at any size (27 s at 100,000). A larger FAQ without one uses what an
    earlier version of it was fitted with, else `matcher.calibration` (`at_hand` says which):
    with `later` (the Slack app) until it is fitted in the background, else with a warning.
    Also whether that fit is left for later."""
    from faqbot.matching.calibration import MAX_PHRASINGS_AT_START, fit  # scikit-learn: only when fitting

    kept_file = _kept_calibration_file(config, matcher)
    kept = _kept_calibration(kept_file, matcher)
    version = cache_key("faq", matcher.normalized)
    if kept is not None and kept.fitted.get("faq") == version:
        return kept, False
    path, phrasings = config.calibration_path, len(matcher.phrasings)
    if any_size or phrasings <= MAX_PHRASINGS_AT_START:
        start = time.perf_counter()
        try:
            fitted = fit(matcher)
        except ValueError as exc:
            log.warning("no calibration at %s for this model, and %s: using %s", path, exc, at_hand)
            return matcher.calibration, False
        fitted = dataclasses.replace(fitted, fitted={**fitted.fitted, "faq": version})
        log.info("no calibration at %s for this model: calibrated on the FAQ in %.1f s%s", path,
                 time.perf_counter() - start, f", kept in {kept_file}" if _keep(fitted, kept_file) else "")
        return fitted, False
    if later:
        log.info("no calibration at %s for this model: calibrating on the FAQ in the background, serving %s until"
                 " then", path, "the one fitted on an earlier version of it" if kept is not None else at_hand)
        return kept or matcher.calibration, True
    if kept is not None:
        log.warning("no calibration at %s for this model: using the one fitted on an earlier version of this FAQ"
                    " (kept in %s); `faqbot index` fits it again", path, kept_file)
        return kept, False
    log.warning("no calibration at %s for this model, and this FAQ of %d phrasings is too large to calibrate at"
                " start-up: using %s, which answers more unrelated questions in DMs than the FAQ's own (BENCHMARKS.md,"
                " Scale); run `faqbot index` (kept in the index cache) or `faqbot calibrate`", path, phrasings, at_hand)
    return matcher.calibration, False


def _kept_calibration_file(config: Settings, matcher: Matcher) -> Path | None:
    if config.index_cache is None:
        return None
    return config.index_cache / f"calibration-{matcher.encoder.name if matcher.encoder else 'none'}.json"


def _kept_calibration(file: Path | None, matcher: Matcher) -> Calibration | None:
    """The calibration an earlier start or `faqbot index` fitted for this model; None when
    there is none or it cannot be read (it is fitted again)."""
    if file is None or not file.is_file():
        return None
    try:
        kept = Calibration.load(file)
    except CalibrationError as exc:
        log.warning("%s; fitting a new one", exc)
        return None
    return kept if kept.fits(matcher.encoder) else None


def _keep(calibration: Calibration, file: Path | None) -> bool:
    """Write the fitted calibration where the next start finds it; a full disk only costs a fit."""
    if file is None:
        return False
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        calibration.save(file)
    except OSError as exc:
        log.warning("cannot keep the calibration in %s (%s); the next start fits it again", file, exc)
        return False
    return True


def open_store(config: Settings, existing: bool = False) -> SqlStore:
    """The configured store, migrated; a bad URL or unreachable server is a clean CLI error.
    `existing`: for commands that read records, a SQLite file must already be there."""
    from faqbot.store.sql import DatabaseError, SqlStore, missing_sqlite_file  # only where needed

    missing = missing_sqlite_file(config.database_url) if existing else None
    if missing is not None:
        raise click.ClickException(
            f"no database at {missing}: run this where `faqbot serve` runs, or set DATABASE_URL or FAQBOT_DATABASE_URL"
        )
    key = config.user_hash_key.get_secret_value() if config.user_hash_key else None
    try:
        return SqlStore.open(config.database_url, key)
    except DatabaseError as exc:
        raise click.ClickException(str(exc)) from exc


