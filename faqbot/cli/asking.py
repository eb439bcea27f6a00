"""Asking the FAQ from the terminal: one question, or a chat."""

from __future__ import annotations

import json
from typing import Any

import click

from faqbot.cli.options import json_option, pipeline_options
from faqbot.cli.pipeline import build_matcher, settings
from faqbot.matching.channel_gate import looks_like_question
from faqbot.matching.matcher import Suggestion
from faqbot.terminal import match_to_json, mrkdwn_to_text, render_text


@click.command()
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


@click.command()
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
