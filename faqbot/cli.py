"""The `faqbot` command line: validate, ask, chat and eval on a local FAQ."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from faqbot.config import Settings
from faqbot.faq import FaqError, load_faq
from faqbot.matcher import Matcher, Thresholds
from faqbot.terminal import match_to_json, mrkdwn_to_text, render_text

faq_option = click.option(
    "--faq", "faq_path", type=click.Path(path_type=Path), default=None,
    help="FAQ YAML file or folder [env FAQBOT_FAQ_PATH; default faq_data].",
)
semantic_option = click.option(
    "--semantic-threshold", type=float, default=None,
    help="Minimum encoder cosine to answer [env FAQBOT_SEMANTIC_THRESHOLD].",
)
fuzzy_option = click.option(
    "--fuzzy-threshold", type=float, default=None,
    help="Minimum fuzzy ratio, 0-1, to answer [env FAQBOT_FUZZY_THRESHOLD].",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")


def settings(**flags: Any) -> Settings:
    """Environment and .env, overridden by the flags that were given."""
    try:
        return Settings(**{k: v for k, v in flags.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise click.UsageError(f"invalid configuration: {problems}") from exc


def build_matcher(config: Settings) -> Matcher:
    """The served pipeline from configuration; FAQ problems become a clean CLI error."""
    try:
        faq = load_faq(config.faq_path)
    except FaqError as exc:
        raise click.ClickException(f"the FAQ has {len(exc.problems)} problem(s):\n{exc}") from exc
    thresholds = Thresholds(semantic=config.semantic_threshold, fuzzy=config.fuzzy_threshold)
    return Matcher(faq, thresholds=thresholds)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="faqbot")
def cli() -> None:
    """faqbot answers repeated questions from a YAML FAQ."""
    logging.basicConfig(level=settings().log_level, format="%(levelname)s %(name)s: %(message)s")


@cli.command()
@click.argument("path", type=click.Path(path_type=Path), required=False)
def validate(path: Path | None) -> None:
    """Check FAQ files and print every problem (exit 1 if any)."""
    config = settings(faq_path=path)
    try:
        faq = load_faq(config.faq_path)
    except FaqError as exc:
        click.echo(str(exc), err=True)
        raise SystemExit(1) from exc
    phrasings = sum(len(e.phrasings) for e in faq.entries)
    click.echo(f"{config.faq_path}: OK, {len(faq)} entries, {phrasings} phrasings")


@cli.command()
@click.argument("question")
@faq_option
@semantic_option
@fuzzy_option
@json_option
def ask(question: str, faq_path: Path | None, semantic_threshold: float | None,
        fuzzy_threshold: float | None, as_json: bool) -> None:
    """Answer one QUESTION from the FAQ."""
    config = settings(faq_path=faq_path, semantic_threshold=semantic_threshold, fuzzy_threshold=fuzzy_threshold)
    match = build_matcher(config).match(question)
    click.echo(json.dumps(match_to_json(match), indent=2) if as_json else render_text(match))


@cli.command()
@faq_option
@semantic_option
@fuzzy_option
def chat(faq_path: Path | None, semantic_threshold: float | None, fuzzy_threshold: float | None) -> None:
    """Ask questions interactively; a number shows that suggestion. Ctrl-D quits."""
    config = settings(faq_path=faq_path, semantic_threshold=semantic_threshold, fuzzy_threshold=fuzzy_threshold)
    matcher = build_matcher(config)
    click.echo(f"faqbot: {len(matcher.faq)} entries from {config.faq_path}. Ask a question; Ctrl-D or Ctrl-C quits.")
    suggestions: list = []
    while True:
        try:
            line = input("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            click.echo("\nbye")
            return
        if line.isdigit() and 1 <= int(line) <= len(suggestions):
            entry = suggestions[int(line) - 1].entry
            click.echo(f"{entry.question}  [{entry.id}]\n\n{mrkdwn_to_text(entry.answer).rstrip()}\n")
            continue
        if line:
            match = matcher.match(line)
            suggestions = list(match.suggestions)
            click.echo(render_text(match) + "\n")


@cli.command(name="eval")
@faq_option
@click.option("--queries", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="CSV with header text,faq_id; an empty faq_id means out of scope.")
@click.option("--threshold", type=float, default=None, help="Primary matcher's threshold (default: configured).")
@click.option("--calibrate", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Queries CSV to choose the threshold on (max decision accuracy).")
@semantic_option
@fuzzy_option
@click.option("--sweep", "do_sweep", is_flag=True, help="Also report metrics across thresholds.")
@click.option("--plot", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write a PNG of the metrics against the threshold.")
@click.option("--latency-sample", type=click.IntRange(1), default=300, show_default=True,
              help="Queries timed one by one through the served path.")
@json_option
def eval_command(faq_path: Path | None, queries: Path, threshold: float | None, calibrate: Path | None,
                 semantic_threshold: float | None, fuzzy_threshold: float | None, do_sweep: bool,
                 plot: Path | None, latency_sample: int, as_json: bool) -> None:
    """Measure the served pipeline on labelled queries."""
    from faqbot import evaluate

    if threshold is not None and calibrate is not None:
        raise click.UsageError("give --threshold or --calibrate, not both")
    config = settings(faq_path=faq_path, semantic_threshold=semantic_threshold, fuzzy_threshold=fuzzy_threshold)
    matcher = build_matcher(config)
    ids = list(matcher.faq.by_id)
    try:
        evaluation = evaluate.score_queries(matcher, evaluate.load_queries(queries, ids))
        tuning = evaluate.score_queries(matcher, evaluate.load_queries(calibrate, ids)) if calibrate else None
    except evaluate.QueryFileError as exc:
        raise click.ClickException(str(exc)) from exc
    thresholds = matcher.thresholds
    if tuning is not None:
        threshold = evaluate.calibrate(tuning, thresholds)
    if threshold is not None:
        thresholds = evaluate.with_primary(evaluation, thresholds, threshold)
    result: dict[str, Any] = {"faq": str(config.faq_path), "queries": str(queries),
                              **evaluate.report(evaluation, thresholds, latency_sample)}
    if calibrate:
        result["calibrated_on"] = str(calibrate)
    fine = evaluate.sweep(evaluation, thresholds, grid=[i / 100 for i in range(101)]) if plot or do_sweep else []
    if do_sweep:
        result["sweep"] = [row for row in fine if round(row["threshold"] * 100) % 5 == 0]
    if plot:
        from faqbot.plot import plot_sweep

        plot_sweep(fine, result["threshold"], plot, title=f"{queries} on {config.faq_path}")
        result["plot"] = str(plot)
    click.echo(json.dumps(_finite(result), indent=2) if as_json else _eval_text(result))


def _finite(value: Any) -> Any:
    """JSON has no NaN: a metric with nothing to count (no out-of-scope queries) is null."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _eval_text(result: dict[str, Any]) -> str:
    lines = [f"{result['queries']} on {result['faq']}: n={result['n']} (out of scope {result['n_oos']}), "
             f"primary {result['primary']} threshold {result['threshold']:g}"]
    for key in ("top1", "mrr", "answered_correct", "oos_recall", "wrong_answer_rate", "decision_accuracy",
                "coverage", "ms_per_query_p50", "ms_per_query_p99"):
        lines.append(f"  {key:<18} {result[key]:.3f}")
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


def main() -> None:
    cli(prog_name="faqbot")
