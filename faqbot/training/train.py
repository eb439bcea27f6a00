"""Training the Siamese LSTM with Trax: from scratch, from a teacher, or fine-tuning on an FAQ.

Optional distillation first (student vector vs. a sentence-transformer's, loss 1 - cos),
then the triplet loss on paraphrase pairs. Held-out texts are scored with the NumPy
encoder that serves, so "retrieval accuracy" is what users would get. Everything is
written into `OUT.partial/` (checkpoints included, for --resume) and renamed to OUT only
when training has finished.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import pickle
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import trax
from tqdm import tqdm
from trax import layers as tl
from trax import optimizers

from faqbot.matching.encoder import CONFIG_FILE, VOCAB_FILE, WEIGHTS_FILE, LstmEncoder, ModelConfig, save_model
from faqbot.matching.tokenizer import PAD, UNK, Tokenizer
from faqbot.training import model as M
from faqbot.training.data import DataError, PairBatches, Split, hold_out, load_training_groups

log = logging.getLogger(__name__)
BUCKETS = (16, 32, 64, 128)  # padded lengths: few shapes, so JAX compiles few programs
CHECKPOINT = "checkpoint.pkl"
RUN_FILE = "run.json"  # what the run was started with: --resume must ask for the same
OWN_FILES = {CHECKPOINT, CHECKPOINT + ".tmp", RUN_FILE, CONFIG_FILE, VOCAB_FILE, WEIGHTS_FILE}


@dataclasses.dataclass(frozen=True)
class TrainOptions:
    """How to train; the model's shape is a `ModelConfig`."""

    steps: int = 2000  # triplet-loss steps; 0 with a teacher: distillation only
    batch_size: int = 128
    learning_rate: float = 1e-3
    margin: float = 0.25
    distill_steps: int = 0  # needs a teacher file
    distill_learning_rate: float = 1e-2
    eval_every: int = 100
    patience: int = 5  # evaluations without a better held-out accuracy before stopping
    # Share of the groups with >= 3 texts that give one text to validation (at most 500 texts).
    held_out_fraction: float = 0.2
    seed: int = 0
    min_count: int = 2  # word vocabulary: words seen fewer times are unknown
    float16: bool = True


# Named recipes. "design" is the Siamese LSTM exactly as designed (word vocabulary, triplet
# loss only); "distilled" adds sub-words and a teacher; "finetune" adapts a model to an FAQ.
PRESETS: dict[str, tuple[ModelConfig, TrainOptions]] = {
    # Learning rate 0.01: Banking77 FAQ-5 zero-shot top-1 0.375 against 0.109 with 0.001.
    "design": (ModelConfig(tokenizer="word"), TrainOptions(steps=2000, batch_size=128, learning_rate=0.01)),
    # 6,000 steps: the teacher file holds the training texts and two edited copies of each
    # (`faqbot teacher --augment 2`, 172k texts), about six passes over them.
    "distilled": (ModelConfig(tokenizer="wordpiece"),
                  TrainOptions(distill_steps=6000, steps=0, batch_size=128, eval_every=500)),
    # Margin 0.5 measured better than 0.25 for FAQ fine-tuning: Banking77 FAQ-5 top-1 0.710-0.713
    # over three seeds, against 0.693-0.707 with 0.25 (measured on the bundled model).
    # Every entry with 3+ phrasings holds one out: model selection on ~20% of the FAQ instead of
    # 15 texts, and `faqbot calibrate` asks only phrasings the model never trained on.
    "finetune": (ModelConfig(), TrainOptions(steps=300, batch_size=64, eval_every=50, patience=3, margin=0.5,
                                             held_out_fraction=1.0)),
}


@dataclasses.dataclass(frozen=True)
class Teacher:
    """Sentence vectors of a teacher model, reduced to d_model, and its token embeddings."""

    texts: list[str]
    vectors: np.ndarray  # (texts, d_model) unit rows
    vocab: tuple[str, ...]  # WordPiece vocabulary of the teacher
    embedding: np.ndarray  # (vocab, d_model): initialisation for a wordpiece student

    @classmethod
    def load(cls, path: Path) -> Teacher:
        try:
            with np.load(path, allow_pickle=False) as data:
                return cls(list(data["texts"]), data["vectors"], tuple(data["vocab"]), data["embedding"])
        except (OSError, KeyError, ValueError) as exc:
            raise DataError(f"{path}: not a teacher file made by `faqbot teacher` ({exc})") from exc


@dataclasses.dataclass(frozen=True)
class Validation:
    """Held-out results: retrieval accuracy first, the triplet loss to break its ties."""

    accuracy: float
    loss: float

    def better_than(self, other: Validation | None) -> bool:
        return other is None or (self.accuracy, -self.loss) > (other.accuracy, -other.loss)


@dataclasses.dataclass
class State:
    """Everything a checkpoint holds, so --resume continues exactly."""

    phase: str  # "distill" or "triplet"
    step: int
    weights: dict[str, np.ndarray]
    slots: Any
    rng: dict
    best: Validation | None = None
    best_weights: dict[str, np.ndarray] | None = None
    stale_evals: int = 0
    history: list[dict] = dataclasses.field(default_factory=list)


def train(
    inputs: list[str],
    out: Path,
    config: ModelConfig,
    options: TrainOptions,
    init: Path | None = None,
    teacher_path: Path | None = None,
    resume: bool = False,
) -> dict[str, Any]:
    """Train and write the model folder OUT; returns what config.json records of the run."""
    started = time.time()
    distill = teacher_path is not None and options.distill_steps > 0
    if not distill and options.steps == 0:
        raise DataError("nothing to train: give --steps, or --distill-steps with --teacher")
    out = out.absolute()  # `--out .` has no name to put ".partial" after
    _check_replaceable(out)
    partial = out.with_name(out.name + ".partial")
    run = {"inputs": list(inputs), "model": dataclasses.asdict(config), "options": dataclasses.asdict(options),
           "init": str(init) if init else None, "teacher": str(teacher_path) if teacher_path else None}
    rng = np.random.default_rng(options.seed)
    split = hold_out(load_training_groups(inputs), rng, fraction=options.held_out_fraction)
    teacher = Teacher.load(teacher_path) if teacher_path else None
    config, tokenizer, weights = _starting_point(split, config, options, init, teacher)
    encoder = M.init_encoder(config, len(tokenizer.vocab), seed=options.seed)
    if weights is not None:
        M.set_weights(encoder, config, weights)
    state = _load_checkpoint(partial, run) if resume else None
    if state is None:
        if partial.exists():
            _check_replaceable(partial)
            shutil.rmtree(partial)
        partial.mkdir(parents=True)
        (partial / RUN_FILE).write_text(json.dumps(run, indent=2), encoding="utf-8")
    else:
        M.set_weights(encoder, config, state.weights)
        rng.bit_generator.state = state.rng
    if distill and (state is None or state.phase == "distill"):
        state = _run_phase("distill", encoder, config, tokenizer, options, split, partial, rng, state, teacher)
    final = state
    if options.steps:
        final = _run_phase("triplet", encoder, config, tokenizer, options, split, partial, rng, state, None)
    record = {
        "inputs": inputs,
        "init": str(init) if init else None,
        "teacher": str(teacher_path) if teacher_path else None,
        "options": dataclasses.asdict(options),
        "groups": len(split.train),
        "texts": sum(map(len, split.train)),
        "held_out": len(split.held_out),
        "held_out_texts": sorted({text for text, _ in split.held_out}),  # calibration asks only these
        "best_held_out": dataclasses.asdict(final.best) if final.best else None,  # of the exported weights
        "steps": final.step,
        "seconds": round(time.time() - started, 1),
        "history": final.history,
    }
    save_model(partial, config, tokenizer, final.best_weights, record, float16=options.float16)
    (partial / CHECKPOINT).unlink(missing_ok=True)
    (partial / RUN_FILE).unlink(missing_ok=True)
    _replace_folder(partial, out)
    return record


def _starting_point(
    split: Split, config: ModelConfig, options: TrainOptions, init: Path | None, teacher: Teacher | None
) -> tuple[ModelConfig, Tokenizer, dict[str, np.ndarray] | None]:
    """Config, tokenizer and initial weights: from --init, from a teacher, or new."""
    texts = [t for g in split.train for t in g]
    if init is not None:
        base = LstmEncoder.load(init)
        tokenizer = base.tokenizer.grow(texts)  # word models learn the FAQ's own words
        weights = {name: w.astype(np.float32) for name, w in base.weights.items()}  # trained in float32
        weights["embedding"] = _grown_embedding(weights["embedding"], len(tokenizer.vocab), options.seed)
        return base.config, tokenizer, weights
    if config.tokenizer == "wordpiece":
        if teacher is None:
            raise DataError("a wordpiece model borrows its vocabulary from a teacher: give --teacher or --init")
        vocab = teacher.vocab
        embedding = teacher.embedding if teacher.embedding.shape[1] == config.d_model else None
        if embedding is None:
            raise DataError(f"teacher embedding has {teacher.embedding.shape[1]} dims, the model {config.d_model}")
        return config, Tokenizer("wordpiece", vocab, config.max_len), {"embedding": embedding}
    counts = Counter(w for t in texts for w in t.split())
    if teacher is not None:
        counts.update(w for t in teacher.texts for w in t.split())
    words = sorted((w for w, c in counts.items() if c >= options.min_count), key=lambda w: (-counts[w], w))
    return config, Tokenizer("word", (PAD, UNK, *words), config.max_len), None


def _grown_embedding(embedding: np.ndarray, rows: int, seed: int) -> np.ndarray:
    """New words start near the average word, with a little noise to tell them apart."""
    extra = rows - embedding.shape[0]
    if extra <= 0:
        return embedding
    noise = np.random.default_rng(seed).normal(0.0, embedding.std() * 0.1, (extra, embedding.shape[1]))
    return np.concatenate([embedding, embedding[1:].mean(axis=0) + noise.astype(np.float32)])


def _pad(ids: np.ndarray, longest: int) -> np.ndarray:
    """Right-pad to the bucket that fits `longest` tokens."""
    length = next((b for b in BUCKETS if b >= longest), longest)
    return np.pad(ids, ((0, 0), (0, length - ids.shape[1])))


def _batches(phase: str, tokenizer: Tokenizer, options: TrainOptions, split: Split, rng: np.random.Generator,
             teacher: Teacher | None) -> Iterator[tuple[np.ndarray, ...]]:
    if phase == "distill":
        size = options.batch_size
        while True:
            pick = rng.choice(len(teacher.texts), size=size, replace=False)
            ids = tokenizer.batch([teacher.texts[i] for i in pick])
            yield _pad(ids, ids.shape[1]), teacher.vectors[pick].astype(np.float32)
    for anchors, positives in PairBatches(split.train, options.batch_size, rng):
        a, p = tokenizer.batch(anchors), tokenizer.batch(positives)
        length = max(a.shape[1], p.shape[1])  # one bucket for both: fewer compiled shapes
        yield _pad(a, length), _pad(p, length)


def _run_phase(phase: str, encoder: tl.Layer, config: ModelConfig, tokenizer: Tokenizer, options: TrainOptions,
               split: Split, partial: Path, rng: np.random.Generator, state: State | None,
               teacher: Teacher | None) -> State:
    loss_layer = M.DistillLoss() if phase == "distill" else M.TripletLoss(options.margin)
    body = encoder if phase == "distill" else M.Siamese(encoder)
    model_with_loss = tl.Serial(body, loss_layer)
    batches = _batches(phase, tokenizer, options, split, rng, teacher)
    first = next(batches)
    vocab_size = len(tokenizer.vocab)
    current = M.get_weights(encoder, config, vocab_size)
    model_with_loss.init(tuple(trax.shapes.signature(x) for x in first))
    M.set_weights(encoder, config, current)  # init of a new combinator re-draws shared sublayers' weights
    rate = options.distill_learning_rate if phase == "distill" else options.learning_rate
    optimizer = optimizers.Adam(rate)
    optimizer.tree_init(model_with_loss.weights)
    trainer = optimizers.Trainer(model_with_loss, optimizer)
    if state is None or state.phase != phase:  # a new phase: fresh optimizer slots, history carried on
        history = list(state.history) if state is not None else []
        state = State(phase, 0, M.get_weights(encoder, config, vocab_size), optimizer.slots,
                      rng.bit_generator.state, history=history)
    else:
        trainer.slots = state.slots
    total = options.distill_steps if phase == "distill" else options.steps
    key = trax.fastmath.random.get_prng(options.seed)
    bar = tqdm(total=total, initial=state.step, desc=phase, unit="step", dynamic_ncols=True)
    batch, losses, tick = first, [], time.time()
    while state.step < total:
        loss, _ = trainer.one_step(batch, key, step=state.step, learning_rate=_cosine(rate, state.step, total))
        losses.append(float(loss))
        state.step += 1
        bar.update(1)
        if state.step % options.eval_every == 0 or state.step == total:
            pairs_per_s = options.batch_size * len(losses) / (time.time() - tick)
            state.weights = M.get_weights(encoder, config, vocab_size)
            check = _validate(config, tokenizer, state.weights, split, options.margin)
            row = {"phase": phase, "step": state.step, "loss": float(np.mean(losses)),
                   **({"held_out_accuracy": check.accuracy, "held_out_loss": check.loss} if check else {}),
                   "pairs_per_s": round(pairs_per_s, 1)}
            state.history.append(row)
            shown = {"acc": f"{check.accuracy:.3f}", "val_loss": f"{check.loss:.4f}"} if check else {}
            bar.set_postfix(loss=f"{row['loss']:.4f}", **shown, pairs_s=f"{pairs_per_s:.0f}")
            # Distillation follows its loss, so its latest weights are its best; so are those of a
            # run with nothing held out. Triplet training keeps its best held-out checkpoint.
            if phase == "distill" or check is None or check.better_than(state.best):
                state.best, state.best_weights, state.stale_evals = check, state.weights, 0
            else:
                state.stale_evals += 1
            state.slots, state.rng = optimizer.slots, rng.bit_generator.state
            _save_checkpoint(partial, state)
            losses, tick = [], time.time()
            if phase == "triplet" and state.stale_evals >= options.patience:
                log.info("early stop at step %d: held-out accuracy and loss not better in %d evaluations",
                         state.step, options.patience)
                break
        batch = next(batches)
    bar.close()  # every way out of the loop follows an evaluation, so state.weights are current
    return state


def _cosine(rate: float, step: int, total: int) -> float:
    """Cosine decay from `rate` to 0 over the phase: big steps early, settling at the end."""
    return rate * 0.5 * (1.0 + math.cos(math.pi * step / total))


def _validate(config: ModelConfig, tokenizer: Tokenizer, weights: dict[str, np.ndarray], split: Split,
              margin: float) -> Validation | None:
    """Score the held-out texts with the served (NumPy) encoder.

    Accuracy: the share of held-out texts whose nearest group (by its best text) is their own.
    Loss: the triplet loss of (held-out text, a training text of its group) pairs, one
    batch, every row from a different group.
    """
    if len(split.held_out) < 2:
        return None
    encoder = LstmEncoder(config, tokenizer, weights, name="validation")
    wanted = sorted({g for _, g in split.held_out})
    texts, owner = [], []
    for column, g in enumerate(wanted):
        for text in split.train[g][:5]:
            texts.append(text)
            owner.append(column)
    queries = encoder.encode([t for t, _ in split.held_out])
    scores = queries @ encoder.encode(texts).T  # (queries, texts)
    by_group = np.full((len(split.held_out), len(wanted)), -2.0, dtype=np.float32)
    np.maximum.at(by_group.T, np.array(owner), scores.T)
    gold = np.array([wanted.index(g) for _, g in split.held_out])
    positives = encoder.encode([split.train[g][0] for _, g in split.held_out])
    return Validation(
        accuracy=float((by_group.argmax(axis=1) == gold).mean()),
        loss=float(M.triplet_loss(queries, positives, margin)),
    )


def _save_checkpoint(partial: Path, state: State) -> None:
    tmp = partial / (CHECKPOINT + ".tmp")
    with open(tmp, "wb") as file:
        pickle.dump(dataclasses.replace(state, slots=trax.fastmath.nested_map(np.asarray, state.slots)), file)
    tmp.replace(partial / CHECKPOINT)  # atomic: a crash never leaves half a checkpoint


def _check_replaceable(folder: Path) -> None:
    """Training replaces only what it made: a model folder, or its own partial folder."""
    if not folder.exists():
        return
    if not folder.is_dir():
        raise DataError(f"{folder} is a file: give --out a folder for the model")
    strange = sorted(p.name for p in folder.iterdir() if p.name not in OWN_FILES)
    if strange:
        shown = ", ".join(strange[:5]) + (", …" if len(strange) > 5 else "")
        raise DataError(f"{folder} holds other files than a faqbot model ({shown}): training would replace it;"
                        " give --out a new folder or a model folder")


def _load_checkpoint(partial: Path, run: dict[str, Any]) -> State | None:
    path = partial / CHECKPOINT
    if not path.exists():
        log.warning("no checkpoint at %s: starting from the beginning", path)
        return None
    try:
        started = json.loads((partial / RUN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"{partial / RUN_FILE}: cannot tell what this checkpoint was trained with ({exc})") from exc
    changed = _differences(started, run)
    if changed:
        raise DataError("--resume needs the options the run started with; these differ: " + "; ".join(changed))
    with open(path, "rb") as file:
        return pickle.load(file)


def _differences(started: dict[str, Any], now: dict[str, Any], prefix: str = "") -> list[str]:
    """'name: started with A, now B' for each setting that differs, nested sections flattened."""
    found = []
    for key in sorted(set(started) | set(now)):
        was, new = started.get(key), now.get(key)
        if isinstance(was, dict) and isinstance(new, dict):
            found += _differences(was, new, f"{prefix}{key}.")
        elif was != new:
            found.append(f"{prefix}{key}: started with {was!r}, now {new!r}")
    return found


def _replace_folder(partial: Path, out: Path) -> None:
    """Swap the finished folder into place; the old model is removed only after."""
    old = out.with_name(out.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if out.exists():
        out.rename(old)
    partial.rename(out)
    if old.exists():
        shutil.rmtree(old)
    log.info("model written to %s: %s", out, json.dumps({"files": sorted(p.name for p in out.iterdir())}))
