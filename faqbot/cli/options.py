"""Options and helpers that several `faqbot` commands share."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from typing import Any

import click

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


def in_a_folder(ctx: click.Context, param: click.Parameter, path: Path | None) -> Path | None:
    """A file to write: its folder is made if missing, before the work rather than after it."""
    if path is not None:
        try:
            path.absolute().parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise click.BadParameter(f"cannot make folder {path.absolute().parent}: {exc.strerror}", ctx=ctx,
                                     param=param) from exc
    return path


team_option = click.option(
    "--team", default=None, metavar="T0123ABC",
    help="Only this workspace's records (OAuth mode keeps several workspaces' in one database) [default: all].",
)
since_option = click.option("--since", "period", default="7d", show_default=True,
                            help="How far back: hours, days or weeks, like 24h, 7d or 2w.")


def since_of(period: str) -> datetime:
    from faqbot.insights.report import PeriodError, since

    try:
        return since(period)
    except PeriodError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from exc


def finite(value: Any) -> Any:
    """JSON has no NaN: a metric with nothing to count (no out-of-scope queries) is null."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite(v) for v in value]
    return value
