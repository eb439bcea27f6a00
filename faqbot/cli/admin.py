"""Looking after the FAQ and learning from its use: validate the files, report on use,
suggest alternates, review proposals, import an existing FAQ."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from faqbot.cli.options import (
    finite, in_a_folder, json_option, pipeline_options, since_of, since_option, team_option,
)
from faqbot.cli.pipeline import build_matcher, open_store, settings
from faqbot.faq.channel_desks import desks_file, load_desks
from faqbot.faq.importing import FORMATS as IMPORT_FORMATS
from faqbot.faq.loading import load_faq
from faqbot.faq.schema import FaqError, Problem
from faqbot.slack.blocks import slack_limits
from faqbot.terminal import render_report

if TYPE_CHECKING:
    from faqbot.store.interface import Store
    from faqbot.store.sql import SqlStore

PROPOSALS_SHOWN = 500  # newest first; a backlog longer than this is a conversation, not a list


@click.command()
@click.argument("path", type=click.Path(path_type=Path), required=False)
def validate(path: Path | None) -> None:
    """Check FAQ files, and the channels' help desks beside them, and print every problem (exit 1 if any)."""
    config = settings(faq_path=path)
    problems: list[Problem] = []
    try:
        faq = load_faq(config.faq_path)
    except FaqError as exc:
        problems.extend(exc.problems)
    try:
        desks = load_desks(desks_file(config.faq_folder))
    except FaqError as exc:  # reported with the FAQ's: an admin fixes both in one go
        problems.extend(exc.problems)
    if problems:
        click.echo("\n".join(str(p) for p in problems), err=True)
        raise SystemExit(1)
    desks = desks.checked(faq)
    warnings = [str(w) for w in (*faq.warnings, *desks.warnings)]
    warnings += [f"{e.location}: entry '{e.id}': {limit}" for e in faq.entries if (limit := slack_limits(e.answer))]
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    phrasings = sum(len(e.phrasings) for e in faq.entries)
    noted = f", {len(warnings)} warning(s)" if warnings else ""
    click.echo(f"{config.faq_path}: OK, {len(faq)} entries, {phrasings} phrasings{noted}")


@click.command()
@pipeline_options
@since_option
@click.option("--plot", type=click.Path(dir_okay=False, path_type=Path), default=None, callback=in_a_folder,
              help="Also write a chart: questions per day by method, answer and helpful rates.")
@team_option
@json_option
def report(period: str, plot: Path | None, team: str | None, as_json: bool, **flags: Any) -> None:
    """Usage stats and unanswered questions from the store (what admins see in Slack)."""
    from faqbot.insights.report import stats, unanswered_groups

    since = since_of(period)
    config = settings(**flags)
    matcher = build_matcher(config)
    store = _of_team(open_store(config, existing=True), team)
    usage, groups = stats(store, since), unanswered_groups(store, since, matcher.encoder)
    if plot:
        from faqbot.plot import plot_report

        plot_report(usage, plot, title=f"faqbot, last {period}")
    if as_json:
        click.echo(json.dumps(finite(_report_json(usage, groups, plot)), indent=2, default=str))
        return
    click.echo(render_report(usage, groups, matcher.faq, period))
    if plot:
        click.echo(f"chart written to {plot}")


@click.command()
@pipeline_options
@click.option("--since", "period", default="90d", show_default=True, help="How far back, like 30d or 12w.")
@click.option("--propose", is_flag=True, help="File them as proposals, for admins to approve in the App Home.")
def suggest(period: str, propose: bool, **flags: Any) -> None:
    """Propose alternates from real questions: those whose askers picked or 👍 an entry."""
    from faqbot.insights.suggest import as_proposals, as_yaml, learnt_alternates

    since = since_of(period)
    config = settings(**flags)
    store = open_store(config, existing=True)
    found = learnt_alternates(store, build_matcher(config).faq, since)
    if not found:
        click.echo(f"No new phrasings in the last {period}: nobody picked a suggestion or rated an answer helpful"
                   " with words the FAQ lacks.")
        return
    if propose:
        filed = as_proposals(found, store)
        for proposal in filed:
            store.add_proposal(proposal)
        waiting = f" ({len(found) - len(filed)} entries' were pending already)" if len(found) > len(filed) else ""
        click.echo(f"{len(filed)} proposal(s) filed for review in the App Home{waiting}.")
        return
    count = sum(len(p.phrasings) for p in found)
    click.echo(f"# {count} new phrasings for {len(found)} entries, from the last {period}."
               " Review, then add them to each entry's alternates.\n")
    click.echo("\n\n".join(as_yaml(p) for p in found))


def _of_team(store: SqlStore, team: str | None) -> Store:
    """The store, reading one workspace's records when `team` is given."""
    from faqbot.store.workspace import WorkspaceStore

    return WorkspaceStore(store, team, only=True) if team else store


def _report_json(usage: Any, groups: list[Any], plot: Path | None) -> dict[str, Any]:
    return {
        **dataclasses.asdict(usage), "answered": usage.answered, "answer_rate": usage.answer_rate,
        "helpful_rate": usage.helpful_rate, "unanswered_groups": [dataclasses.asdict(g) for g in groups],
        "plot": str(plot) if plot else None,
    }


@click.command()
@pipeline_options
@click.option("--apply", "apply_them", is_flag=True,
              help="Write the approved proposals into this FAQ (a writable checkout), then commit them.")
@team_option
def proposals(apply_them: bool, team: str | None, **flags: Any) -> None:
    """FAQ changes proposed in Slack: pending ones, and approved ones the served FAQ could not
    take (read-only), as YAML; --apply writes the approved ones here."""
    from faqbot.faq import review
    from faqbot.faq.writing import FaqWriteError
    from faqbot.store.interface import APPROVED, PENDING, TO_APPLY

    config = settings(**flags)
    store = _of_team(open_store(config, existing=True), team)
    waiting = store.proposals((PENDING, TO_APPLY), limit=PROPOSALS_SHOWN)
    if not apply_them:
        if not waiting:
            click.echo("No proposals pending or waiting to be applied.")
        for proposal in waiting:
            state = "pending review" if proposal.status == PENDING else "approved, to apply"
            by = f" by {proposal.proposer}" if proposal.proposer else f" ({proposal.origin})"
            click.echo(f"# {proposal.id}: {state}; proposed{by} on {proposal.at:%Y-%m-%d}\n{review.as_yaml(proposal)}")
        return
    faq = load_faq(config.faq_path)
    applied = 0
    for proposal in (p for p in waiting if p.status == TO_APPLY):
        try:
            file = review.target_file(proposal, faq, config.capture_path)
            click.echo(f"{proposal.id}: {review.apply(proposal, faq, file)} {file}")
        except FaqWriteError as exc:
            click.echo(f"{proposal.id}: not applied: {exc}", err=True)
            continue
        store.move_proposal(proposal.id, (TO_APPLY,), APPROVED, proposal.reviewer)
        applied += 1
        faq = load_faq(config.faq_path)  # the next one is checked against this one too
    click.echo(f"{applied} proposal(s) applied; review the changes and commit them.")


@click.command(name="import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "format_", type=click.Choice(IMPORT_FORMATS), default=None,
              help="csv (question,answer[,alternates,tags]), rasa (NLU + responses YAML) or qna (QnA Maker TSV"
                   " export) [default: by extension: .csv, .yml/.yaml, .tsv].")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The FAQ file to write, e.g. faq_data/imported.yaml (an existing file is not overwritten).")
def import_command(files: tuple[Path, ...], format_: str | None, out: Path) -> None:
    """Turn an existing FAQ (FILES) into faqbot YAML: duplicates merged, ids made from the
    questions, every row not imported as its own entry named with its line."""
    from faqbot.faq.importing import ImportFileError, read
    from faqbot.faq.writing import write_new_file

    format_ = format_ or _format_of(files)
    if out.exists():
        raise click.ClickException(f"{out} exists: give another --out (faqbot never overwrites an FAQ file)")
    try:
        imported = read(format_, list(files))
    except ImportFileError as exc:
        raise click.ClickException(str(exc)) from exc
    for note in imported.notes:
        click.echo(f"note: {note}", err=True)
    if not imported.entries:
        raise click.ClickException(f"no entries: none of the {imported.rows} rows had both a question and an answer")
    header = f"# Imported by `faqbot import` from {', '.join(f.name for f in files)}. Review, then commit.\n"
    try:
        write_new_file(out, imported.entries, header)
    except OSError as exc:
        raise click.ClickException(f"cannot write {out}: {exc.strerror or exc}") from exc
    faq = load_faq(out)  # what was written loads, as faqbot serve will load it
    phrasings = sum(len(e.phrasings) for e in faq.entries)
    click.echo(f"{out}: {len(faq)} entries, {phrasings} phrasings from {imported.rows} rows"
               f" ({len(imported.notes)} note(s) above). Check it with `faqbot validate`.")


def _format_of(files: tuple[Path, ...]) -> str:
    suffixes = {f.suffix.lower() for f in files}
    for format_, known in (("csv", {".csv"}), ("qna", {".tsv", ".txt"}), ("rasa", {".yml", ".yaml"})):
        if suffixes <= known:
            return format_
    raise click.UsageError("give --format: the files' extensions do not say whether they are csv, rasa or qna")
