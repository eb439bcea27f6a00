"""Training the encoder (Trax, behind the `train` extra) and its distillation teacher."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import click

from faqbot.matching.encoder import ModelError


@click.command()
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


@click.command()
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
