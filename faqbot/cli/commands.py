"""The `faqbot` command line: serve (Slack) and run (Slack, or the local chat without
credentials); validate, ask, chat, eval and calibrate on a local FAQ; train and teacher for
the encoder (their heavy imports happen inside those commands only)."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from faqbot.cli.pipeline import build_matcher, open_store, serving_matcher, settings
from faqbot.config import RETIRED
from faqbot.faq.loading import load_faq
from faqbot.faq.schema import FaqError
from faqbot.logs import configure_logging
from faqbot.matching.channel_gate import looks_like_question
from faqbot.matching.decision import Calibration
from faqbot.matching.encoder import ModelError
from faqbot.matching.matcher import Matcher, Suggestion
from faqbot.slack.blocks import slack_limits
from faqbot.terminal import match_to_json, mrkdwn_to_text, render_report, render_text

faq_option = click.option(
    "--faq", "faq_path", type=click.Path(path_type=Path), default=None,
    help="FAQ YAML file or folder [env FAQBOT_FAQ_PATH; default faq_data].",
)
calibration_option = click.option(
    "--calibration", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Calibration file from `faqbot calibrate` [env FAQBOT_CALIBRATION; default calibration.json beside the FAQ].",
)
channel_option = click.option(
    "--channel-threshold", type=float, default=None,
    help="Confidence, 0-1, to answer unasked in a channel [env FAQBOT_CHANNEL_THRESHOLD; default: calibrated].",
)
direct_option = click.option(
    "--direct-threshold", type=float, default=None,
    help="Confidence, 0-1, to answer DMs, @mentions and /faq [env FAQBOT_DIRECT_THRESHOLD; default: calibrated].",
)
fuzzy_option = click.option(
    "--fuzzy-threshold", type=float, default=None,
    help="Guarded fuzzy ratio, 0-1, that answers typos [env FAQBOT_FUZZY_THRESHOLD; default: calibrated].",
)
fallback_option = click.option(
    "--fuzzy-fallback/--no-fuzzy-fallback", default=None,
    help="Answer by fuzzy matching when the encoder is not confident [env FAQBOT_FUZZY_FALLBACK; default on].",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
model_option = click.option(
    "--model", default=None,
    help="Model folder of the encoder, or 'none' for fuzzy matching only [env FAQBOT_MODEL; default: bundled model].",
)


def pipeline_options(command: Any) -> Any:
    """The options that configure the served pipeline, shared by every command that matches."""
    options = (faq_option, model_option, calibration_option, channel_option, direct_option, fuzzy_option, fallback_option)
    for option in reversed(options):
        command = option(command)
    return command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="faqbot")
def cli() -> None:
    """faqbot answers repeated questions from a YAML FAQ."""
    config = settings()
    configure_logging(config.log_level, config.secrets)
    for variable, replacement in RETIRED.items():
        if os.environ.get(variable):
            click.echo(f"warning: {variable} is no longer read; use {replacement}", err=True)


@cli.command()
@pipeline_options
@click.option("--mode", type=click.Choice(["auto", "http", "socket"]), default="auto", show_default=True,
              help="auto: Socket Mode when SLACK_APP_TOKEN is set, else HTTP mode.")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="HTTP mode's port [env PORT; default 3000].")
def serve(mode: str, port: int | None, **flags: Any) -> None:
    """Run the Slack app (Socket Mode, or HTTP mode on /slack/events)."""
    from faqbot.slack.app import SlackSetupError, connection_mode
    from faqbot.slack.server import serve as serve_slack

    config = settings(port=port, **flags)
    try:
        connection_mode(config, mode)  # before loading the model: a missing token fails fast
        matcher, fit_later = serving_matcher(config)
        serve_slack(config, matcher, open_store(config), mode, calibrate=fit_later)
    except SlackSetupError as exc:
        raise click.ClickException(str(exc)) from exc


@cli.command(name="run")
@pipeline_options
@click.pass_context
def run_command(ctx: click.Context, **flags: Any) -> None:
    """The bot on Slack when SLACK_BOT_TOKEN is set (environment or .env), else the local chat."""
    if settings(**flags).slack_bot_token is None:
        click.echo("SLACK_BOT_TOKEN is not set, so this is the local chat (README: Connect to Slack).", err=True)
        ctx.invoke(chat, **flags)
    else:
        ctx.invoke(serve, **flags)


def _in_a_folder(ctx: click.Context, param: click.Parameter, path: Path | None) -> Path | None:
    """A file to write: its folder is made if missing, before the work rather than after it."""
    if path is not None:
        try:
            path.absolute().parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise click.BadParameter(f"cannot make folder {path.absolute().parent}: {exc.strerror}", ctx=ctx,
                                     param=param) from exc
    return path


since_option = click.option("--since", "period", default="7d", show_default=True,
                            help="How far back: hours, days or weeks, like 24h, 7d or 2w.")


def _since(period: str) -> datetime:
    from faqbot.insights.report import PeriodError, since

    try:
        return since(period)
    except PeriodError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from exc


@cli.command()
@pipeline_options
@since_option
@click.option("--plot", type=click.Path(dir_okay=False, path_type=Path), default=None, callback=_in_a_folder,
              help="Also write a chart: questions per day by method, answer and helpful rates.")
@json_option
def report(period: str, plot: Path | None, as_json: bool, **flags: Any) -> None:
    """Usage stats and unanswered questions from the store (what admins see in Slack)."""
    from faqbot.insights.report import stats, unanswered_groups

    since = _since(period)
    config = settings(**flags)
    matcher = build_matcher(config)
    store = open_store(config, existing=True)
    usage, groups = stats(store, since), unanswered_groups(store, since, matcher.encoder)
    if plot:
        from faqbot.plot import plot_report

        plot_report(usage, plot, title=f"faqbot, last {period}")
    if as_json:
        click.echo(json.dumps(_finite(_report_json(usage, groups, plot)), indent=2, default=str))
        return
    click.echo(render_report(usage, groups, matcher.faq, period))
    if plot:
        click.echo(f"chart written to {plot}")


@cli.command()
@pipeline_options
@click.option("--since", "period", default="90d", show_default=True, help="How far back, like 30d or 12w.")
def suggest(period: str, **flags: Any) -> None:
    """Propose alternates from real questions: those whose askers picked or 👍 an entry."""
    from faqbot.suggest import as_yaml, proposals

    since = _since(period)
    config = settings(**flags)
    found = proposals(open_store(config, existing=True), build_matcher(config).faq, since)
    if not found:
        click.echo(f"No new phrasings in the last {period}: nobody picked a suggestion or rated an answer helpful"
                   " with words the FAQ lacks.")
        return
    count = sum(len(p.phrasings) for p in found)
    click.echo(f"# {count} new phrasings for {len(found)} entries, from the last {period}."
               " Review, then add them to each entry's alternates.\n")
    click.echo("\n\n".join(as_yaml(p) for p in found))


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
    warnings = [str(w) for w in faq.warnings]
    warnings += [f"{e.source}: entry '{e.id}': {limit}" for e in faq.entries if (limit := slack_limits(e.answer))]
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    phrasings = sum(len(e.phrasings) for e in faq.entries)
    noted = f", {len(warnings)} warning(s)" if warnings else ""
    click.echo(f"{config.faq_path}: OK, {len(faq)} entries, {phrasings} phrasings{noted}")


@cli.command()
@pipeline_options
def index(**flags: Any) -> None:
    """Build the FAQ's index cache (encodings, n-gram index, HNSW graph, parsed files, and the
    calibration when there is no file) in FAQBOT_INDEX_CACHE, so the next `faqbot serve` on
    that disk starts warm."""
    config = settings(**flags)
    if config.index_cache is None:
        raise click.ClickException("FAQBOT_INDEX_CACHE is 'none': there is nowhere to keep the index")
    start = time.perf_counter()
    matcher = build_matcher(config, calibrating_any_size=True)
    click.echo(f"{config.index_cache}: {len(matcher.faq)} entries, {len(matcher.phrasings)} phrasings indexed"
               f" in {time.perf_counter() - start:.1f} s")
    if "faq" in matcher.calibration.fitted:
        click.echo(f"no calibration file at {config.calibration_path}: calibrated on the FAQ, kept in the index cache")


@cli.command()
@click.argument("question")
@pipeline_options
@click.option("--surface", type=click.Choice(["dm", "channel"]), default="dm", show_default=True,
              help="Where it is asked: dm (also @mentions and /faq) or channel (unasked: question gate, higher bar).")
@json_option
def ask(question: str, surface: str, as_json: bool, **flags: Any) -> None:
    """Answer one QUESTION from the FAQ, as the bot would on that surface."""
    config = settings(**flags)
    matcher = build_matcher(config)
    if surface == "channel" and not looks_like_question(question):
        result = {"query": question, "surface": "channel", "entry": None,
                  "quiet": "does not look like a question, so the bot does not look it up in a channel"}
        click.echo(json.dumps(result, indent=2) if as_json else f"(quiet: {result['quiet']})")
        return
    match = matcher.match(question, "channel" if surface == "channel" else "direct")
    click.echo(json.dumps(match_to_json(match), indent=2) if as_json else render_text(match))


@cli.command()
@pipeline_options
def chat(**flags: Any) -> None:
    """Ask questions interactively; a number shows that suggestion. Ctrl-D quits."""
    config = settings(**flags)
    matcher = build_matcher(config)
    click.echo(f"faqbot: {len(matcher.faq)} entries from {config.faq_path}. Ask a question; Ctrl-D or Ctrl-C quits.")
    suggestions: list[Suggestion] = []
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
@pipeline_options
@click.option("--queries", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="CSV with header text,faq_id; an empty faq_id means out of scope.")
@click.option("--threshold", type=float, default=None, help="The direct surface's confidence bar (default: calibrated).")
@click.option("--calibrate", default=None,
              help="'faq': calibrate on the FAQ alone, as `faqbot calibrate` does; or a queries CSV: calibrate on the"
                   " FAQ, then choose the direct bar with the best decision accuracy on that CSV (hindsight).")
@click.option("--sweep", "do_sweep", is_flag=True, help="Also report metrics across bars.")
@click.option("--plot", type=click.Path(dir_okay=False, path_type=Path), default=None, callback=_in_a_folder,
              help="Write a PNG of the metrics against the bar.")
@click.option("--predictions", type=click.Path(dir_okay=False, path_type=Path), default=None, callback=_in_a_folder,
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
    click.echo(json.dumps(_finite(result), indent=2) if as_json else _eval_text(result))


def _fit(matcher: Matcher, semantic_weight: float | None = None) -> Calibration:
    from faqbot.matching.calibration import fit

    try:
        return fit(matcher, semantic_weight=semantic_weight)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


@cli.command()
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
        click.echo(json.dumps(_finite(result), indent=2))
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


@cli.command()
@click.argument("inputs", nargs=-1)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Model folder to write.")
@click.option("--faq", "faq_path", type=click.Path(exists=True, path_type=Path), default=None,
              help="Also train on this FAQ (its entries are paraphrase groups).")
@click.option("--init", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Fine-tune this model (default preset: finetune) instead of starting from scratch.")
@click.option("--preset", type=click.Choice(["design", "distilled", "finetune"]), default=None,
              help="Named recipe [default: finetune with --init, else design].")
@click.option("--teacher", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Teacher vectors from `faqbot teacher`, for distillation.")
@click.option("--steps", type=click.IntRange(0), default=None, help="Triplet-loss steps (0: distillation only).")
@click.option("--distill-steps", type=click.IntRange(0), default=None, help="Distillation steps (needs --teacher).")
@click.option("--batch-size", type=click.IntRange(2), default=None)
@click.option("--learning-rate", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Adam learning rate of the triplet phase.")
@click.option("--distill-learning-rate", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Adam learning rate of the distillation phase.")
@click.option("--margin", type=click.FloatRange(min=0), default=None, help="Triplet margin alpha [0.25].")
@click.option("--eval-every", type=click.IntRange(1), default=None, help="Steps between validations.")
@click.option("--patience", type=click.IntRange(1), default=None, help="Validations without progress before stopping.")
@click.option("--seed", type=int, default=None)
@click.option("--d-model", type=click.IntRange(1), default=None)
@click.option("--layers", "n_layers", type=click.IntRange(1), default=None)
@click.option("--bidirectional/--no-bidirectional", default=None,
              help="Each LSTM layer also reads the question backwards [default: off].")
@click.option("--tokenizer", type=click.Choice(["word", "wordpiece"]), default=None)
@click.option("--float32", is_flag=True, help="Save float32 weights instead of float16.")
@click.option("--resume", is_flag=True, help="Continue from the checkpoint in OUT.partial/.")
def train(inputs: tuple[str, ...], out: Path, faq_path: Path | None, init: Path | None, preset: str | None,
          teacher: Path | None, float32: bool, resume: bool, **overrides: Any) -> None:
    """Train the Siamese LSTM on INPUTS (qqp:, pairs:, groups:, faq: files; see README)."""
    from faqbot.training.data import DataError
    from faqbot.training.train import PRESETS, train as run_training

    specs = [*inputs, *([f"faq:{faq_path}"] if faq_path else [])]
    if not specs:
        raise click.UsageError("give training inputs, --faq, or both")
    model_config, options = PRESETS[preset or ("finetune" if init else "design")]
    given = {k: v for k, v in overrides.items() if v is not None}
    model_keys = {f.name for f in dataclasses.fields(model_config)}
    model_config = dataclasses.replace(model_config, **{k: v for k, v in given.items() if k in model_keys})
    options = dataclasses.replace(options, float16=not float32, **{k: v for k, v in given.items() if k not in model_keys})
    try:
        record = run_training(specs, out, model_config, options, init=init, teacher_path=teacher, resume=resume)
    except (DataError, ModelError) as exc:
        raise click.ClickException(str(exc)) from exc
    best = record["best_held_out"]
    score = f"held-out accuracy {best['accuracy']:.3f}, loss {best['loss']:.4f}" if best else "nothing held out"
    click.echo(f"{out}: {score} after {record['steps']} steps in {record['seconds']:.0f} s")


@cli.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Teacher file (.npz).")
@click.option("--dims", type=click.IntRange(1), default=128, show_default=True, help="The student's d_model.")
@click.option("--augment", type=click.IntRange(0), default=0, show_default=True,
              help="Also encode this many edited copies of every text (words dropped or swapped, spans, joins).")
def teacher(inputs: tuple[str, ...], out: Path, dims: int, augment: int) -> None:
    """Encode INPUTS with all-MiniLM-L6-v2 for distillation (needs the distill extra)."""
    from faqbot.training.data import DataError
    from faqbot.training.teacher import build_teacher

    try:
        count = build_teacher(list(inputs), out, dims, augment=augment)
    except (DataError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{out}: teacher vectors for {count} texts")


def _finite(value: Any) -> Any:
    """JSON has no NaN: a metric with nothing to count (no out-of-scope queries) is null."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _report_json(usage: Any, groups: list[Any], plot: Path | None) -> dict[str, Any]:
    return {
        **dataclasses.asdict(usage), "answered": usage.answered, "answer_rate": usage.answer_rate,
        "helpful_rate": usage.helpful_rate, "unanswered_groups": [dataclasses.asdict(g) for g in groups],
        "plot": str(plot) if plot else None,
    }


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


def main() -> None:
    cli(prog_name="faqbot")
