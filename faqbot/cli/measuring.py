"""Measuring and tuning the pipeline: eval on labelled queries, calibrate on the FAQ."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import click

from faqbot.cli.options import finite, in_a_folder, json_option, pipeline_options
from faqbot.cli.pipeline import build_matcher, settings
from faqbot.matching.decision import Calibration
from faqbot.matching.matcher import Matcher


@click.command(name="eval")
@pipeline_options
@click.option("--queries", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="CSV with header text,faq_id; an empty faq_id means out of scope.")
@click.option("--threshold", type=float, default=None, help="The direct surface's confidence bar (default: calibrated).")
@click.option("--calibrate", default=None,
              help="'faq': calibrate on the FAQ alone, as `faqbot calibrate` does; or a queries CSV: calibrate on the"
                   " FAQ, then choose the direct bar with the best decision accuracy on that CSV (hindsight).")
@click.option("--sweep", "do_sweep", is_flag=True, help="Also report metrics across bars.")
@click.option("--plot", type=click.Path(dir_okay=False, path_type=Path), default=None, callback=in_a_folder,
              help="Write a PNG of the metrics against the bar.")
@click.option("--predictions", type=click.Path(dir_okay=False, path_type=Path), default=None, callback=in_a_folder,
              help="Write one CSV row per query: text,faq_id,top_id,confidence,answered_id,method.")
@click.option("--latency-sample", type=click.IntRange(1), default=300, show_default=True,
              help="Queries timed one by one through the served path.")
@click.option("--semantic-weight", type=click.FloatRange(0, 1), default=None,
              help="Encoder share of the fused score, for comparisons (1: encoder alone, 0: n-grams alone).")
@json_option
def eval_command(queries: Path, threshold: float | None, calibrate: str | None, do_sweep: bool,
                 plot: Path | None, predictions: Path | None, latency_sample: int, semantic_weight: float | None,
                 as_json: bool, **flags: Any) -> None:
    """Measure the served pipeline on labelled queries."""
    from faqbot import evaluate

    if threshold is not None and calibrate is not None:
        raise click.UsageError("give --threshold or --calibrate, not both")
    config = settings(**flags)
    matcher = build_matcher(config, rewriting_calibration=calibrate is not None)  # calibrated below anyway
    if semantic_weight is not None:
        matcher.calibration = dataclasses.replace(matcher.calibration, semantic_weight=semantic_weight)
    ids = list(matcher.faq.by_id)
    try:
        evaluation = evaluate.score_queries(matcher, evaluate.load_queries(queries, ids))
        hindsight = evaluate.score_queries(matcher, evaluate.load_queries(calibrate, ids)) \
            if calibrate and calibrate != "faq" else None
    except evaluate.QueryFileError as exc:
        raise click.ClickException(str(exc)) from exc
    calibration = _fit(matcher, semantic_weight) if calibrate else matcher.calibration
    # the scores were fused with the configured share; a calibration may have chosen another
    evaluation = evaluate.with_weight(evaluation, calibration.semantic_weight)
    if hindsight is not None:
        hindsight = evaluate.with_weight(hindsight, calibration.semantic_weight)
        threshold = evaluate.best_bar(hindsight, calibration)
    if threshold is not None:
        calibration = dataclasses.replace(calibration, direct=threshold)
    result: dict[str, Any] = {"faq": str(config.faq_path), "queries": str(queries),
                              **evaluate.report(evaluation, calibration, latency_sample)}
    if calibrate:
        result["calibrated_on"] = calibrate
    fine = evaluate.sweep(evaluation, calibration, grid=[i / 100 for i in range(101)]) if plot or do_sweep else []
    if do_sweep:
        result["sweep"] = [row for row in fine if round(row["threshold"] * 100) % 5 == 0]
    if plot:
        from faqbot.plot import plot_sweep

        plot_sweep(fine, result["threshold"], plot, title=f"{queries} on {config.faq_path}")
        result["plot"] = str(plot)
    if predictions:
        try:
            evaluate.write_predictions(evaluation, calibration, predictions)
        except OSError as exc:
            raise click.ClickException(f"cannot write predictions to {predictions}: {exc}") from exc
        result["predictions"] = str(predictions)
    click.echo(json.dumps(finite(result), indent=2) if as_json else _eval_text(result))


def _fit(matcher: Matcher, semantic_weight: float | None = None) -> Calibration:
    from faqbot.matching.calibration import fit

    try:
        return fit(matcher, semantic_weight=semantic_weight)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


@click.command()
@pipeline_options
@click.option("--dry-run", is_flag=True, help="Print what it would write, write nothing.")
@json_option
def calibrate(dry_run: bool, as_json: bool, **flags: Any) -> None:
    """Fit the confidence and each surface's bar on the FAQ alone, and write them where the app reads them."""
    config = settings(**flags)
    matcher = build_matcher(config, rewriting_calibration=True)  # the file it replaces may be missing or broken
    calibration = _fit(matcher)
    if not math.isfinite(calibration.fuzzy):  # --no-fuzzy-fallback (math.inf) is applied at load, not written
        calibration = dataclasses.replace(calibration, fuzzy=Calibration().fuzzy)
    path = config.calibration_path
    if not dry_run:
        try:
            calibration.save(path)
        except OSError as exc:
            raise click.ClickException(f"cannot write the calibration to {path}: {exc}") from exc
    result = {"path": str(path), "written": not dry_run, **dataclasses.asdict(calibration)}
    if as_json:
        click.echo(json.dumps(finite(result), indent=2))
        return
    fitted = calibration.fitted
    click.echo(f"{'would write' if dry_run else 'wrote'} {path}:")
    click.echo(f"  channel: answers unasked at confidence >= {calibration.channel:g}"
               f" (answers {fitted['channel_precision']:.0%} right on the FAQ's held-out alternates)")
    click.echo(f"  direct (DMs, @mentions, /faq): answers at confidence >= {calibration.direct:g},"
               f" else offers \"Did you mean\" (best decision accuracy with {fitted['direct_out_of_scope']:.0%}"
               f" of questions outside the FAQ, at {fitted.get('direct_min', 0):g} or more)")
    click.echo(f"  from {fitted['faq_side_questions']} questions made of the FAQ's alternates"
               f" ({fitted['in_scope_found']:.0%} of them find their own entry)")


def _eval_text(result: dict[str, Any]) -> str:
    lines = [f"{result['queries']} on {result['faq']}: n={result['n']} (out of scope {result['n_oos']}), "
             f"direct bar {result['threshold']:g}, channel bar {result['channel']['threshold']:g}"]
    for key in ("top1", "mrr", "answered_correct", "oos_recall", "wrong_answer_rate", "wrong_answer_share",
                "decision_accuracy", "coverage", "coverage_at_90", "coverage_at_95", "ms_per_query_p50",
                "ms_per_query_p99"):
        lines.append(f"  {key:<18} {result[key]:.3f}")
    channel = result["channel"]
    lines.append(f"  channel            answered correctly {channel['answered_correct']:.3f}, coverage"
                 f" {channel['coverage']:.3f}, wrong among answers {channel['wrong_answer_share']:.3f}")
    methods = ", ".join(f"{name} {m['count']} ({m['correct']} right)" for name, m in result["methods"].items())
    lines.append(f"  methods            {methods}")
    if "sweep" in result:
        lines.append("  threshold  accuracy  answered_correct  wrong  coverage  oos_recall")
        for row in result["sweep"]:
            lines.append(f"  {row['threshold']:9.2f}  {row['decision_accuracy']:8.3f}  {row['answered_correct']:16.3f}"
                         f"  {row['wrong_answer_rate']:5.3f}  {row['coverage']:8.3f}  {row['oos_recall']:10.3f}")
    if "plot" in result:
        lines.append(f"  plot written to {result['plot']}")
    return "\n".join(lines)
