"""Serving: the Slack app, `make run`'s choice between Slack and the local chat, and the
release step that builds the index cache."""

from __future__ import annotations

import time
from typing import Any

import click

from faqbot.cli.asking import chat
from faqbot.cli.options import pipeline_options
from faqbot.cli.pipeline import build_matcher, open_store, serving_matcher, settings
from faqbot.faq.schema import FaqError


@click.command()
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
    except FaqError as exc:  # the channels' help desks file
        raise click.ClickException(f"{len(exc.problems)} problem(s):\n{exc}") from exc


@click.command(name="run")
@pipeline_options
@click.pass_context
def run_command(ctx: click.Context, **flags: Any) -> None:
    """The bot on Slack when SLACK_BOT_TOKEN (or OAuth mode's client ID and secret) is set
    (environment or .env), else the local chat."""
    config = settings(**flags)
    if config.slack_bot_token is None and not config.oauth:
        click.echo("SLACK_BOT_TOKEN is not set, so this is the local chat (README: Connect to Slack).", err=True)
        ctx.invoke(chat, **flags)
    else:
        ctx.invoke(serve, **flags)


@click.command()
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
