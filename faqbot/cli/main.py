"""The `faqbot` command: its group, which sets up logging, and every command, by module
(serving, asking, measuring, admin, training). Heavy imports happen inside the commands
that need them."""

from __future__ import annotations

import os

import click

from faqbot.cli import admin, asking, measuring, serving, training
from faqbot.cli.pipeline import settings
from faqbot.config import RETIRED
from faqbot.logs import configure_logging


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="faqbot")
def cli() -> None:
    """faqbot answers repeated questions from a YAML FAQ."""
    config = settings()
    configure_logging(config.log_level, config.secrets)
    for variable, replacement in RETIRED.items():
        if os.environ.get(variable):
            click.echo(f"warning: {variable} is no longer read; use {replacement}", err=True)


for command in (serving.serve, serving.run_command, serving.index, asking.ask, asking.chat, measuring.eval_command,
                measuring.calibrate, admin.validate, admin.report, admin.suggest,
                admin.proposals, admin.import_command, training.train, training.teacher):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="faqbot")
