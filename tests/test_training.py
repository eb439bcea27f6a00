"""The Trax side: loss, training steps, parity with the NumPy encoder, `faqbot train` end to end."""

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

trax = pytest.importorskip("trax", reason="the train extra is not installed (make test installs it)")

from click.testing import CliRunner  # noqa: E402
from trax import layers as tl  # noqa: E402
from trax import optimizers  # noqa: E402

from faqbot.cli.main import cli  # noqa: E402
from faqbot.matching.encoder import LstmEncoder, ModelConfig, save_model  # noqa: E402
from faqbot.matching.tokenizer import PAD, UNK, Tokenizer  # noqa: E402
from faqbot.training import model as M  # noqa: E402
from tests.conftest import SMALL_FAQ, write  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def test_triplet_loss_by_hand() -> None:
    v1 = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
    v2 = np.array([[0.8, 0.6], [0.0, 1.0], [1.0, 0.0]])
    # scores rows: [.8 0 1], [.6 1 0], [.96 .8 .6]; positives .8 1 .6; mean negatives .5 .3 .88;
    # closest negative below the positive: 0, .6, none (row 3: both negatives are above .6).
    # margin .5: closest terms 0, .1, 0; mean terms .2, 0, .78 -> (0.2 + 0.1 + 0.78) / 3
    assert float(M.triplet_loss(v1, v2, margin=0.5)) == pytest.approx(0.36, abs=1e-6)
    assert float(M.TripletLoss(0.5)((v1, v2))) == pytest.approx(0.36, abs=1e-6)


def test_distill_loss_is_one_minus_cosine() -> None:
    v = np.array([[1.0, 0.0], [0.0, 1.0]])
    target = np.array([[1.0, 0.0], [1.0, 0.0]])
    assert float(M.DistillLoss()((v, target))) == pytest.approx(0.5)


def toy_batch(rng: np.random.Generator, vocab: int) -> tuple[np.ndarray, np.ndarray]:
    anchors = rng.integers(1, vocab, size=(8, 6)).astype(np.int32)
    positives = anchors.copy()
    positives[:, -2:] = 0  # a shorter version of the same text is its duplicate
    return anchors, positives


def test_one_step_changes_every_weight_and_lowers_the_loss() -> None:
    config = ModelConfig(d_model=16, n_layers=2)
    encoder = M.init_encoder(config, 40, seed=0)
    before = M.get_weights(encoder, config, 40)
    model_with_loss = tl.Serial(M.Siamese(encoder), M.TripletLoss(0.25))
    batch = toy_batch(np.random.default_rng(0), 40)
    model_with_loss.init(tuple(trax.shapes.signature(x) for x in batch))
    optimizer = optimizers.Adam(0.01)
    optimizer.tree_init(model_with_loss.weights)
    trainer = optimizers.Trainer(model_with_loss, optimizer)
    key = trax.fastmath.random.get_prng(0)
    first = float(trainer.one_step(batch, key, step=0)[0])
    after = M.get_weights(encoder, config, 40)
    for name in before:  # every weight, including each LSTM layer, moved
        assert not np.allclose(before[name], after[name]), name
    for step in range(1, 30):
        last = float(trainer.one_step(batch, key, step=step)[0])
    assert last < first


def test_the_siamese_branches_share_one_set_of_weights() -> None:
    config = ModelConfig(d_model=8)
    encoder = M.init_encoder(config, 20)
    siamese = M.Siamese(encoder)
    ids = np.array([[3, 4, 0]], dtype=np.int32)
    siamese.init((trax.shapes.signature(ids), trax.shapes.signature(ids)))
    assert len(trax.fastmath.tree_leaves(siamese.weights)) == 3  # embedding, kernel, bias: once
    v1, v2 = siamese((ids, ids))
    assert np.allclose(v1, v2)


@pytest.mark.parametrize("n_layers, bidirectional", [(1, False), (2, False), (1, True), (2, True)])
def test_numpy_encoder_equals_the_trax_model(tmp_path: Path, n_layers: int, bidirectional: bool) -> None:
    config = ModelConfig(d_model=32, n_layers=n_layers, bidirectional=bidirectional)
    vocab = (PAD, UNK, *[f"w{i}" for i in range(50)])
    encoder = M.init_encoder(config, len(vocab), seed=3)
    # Exported as float16 (what ships) and loaded back: both sides use the stored weights.
    save_model(tmp_path / "m", config, Tokenizer("word", vocab), M.get_weights(encoder, config, len(vocab)))
    served = LstmEncoder.load(tmp_path / "m")
    M.set_weights(encoder, config, served.weights)
    lengths = [1, 3, 7, 12, 30]
    rng = np.random.default_rng(0)
    ids = np.zeros((len(lengths), 30), dtype=np.int32)
    for row, n in enumerate(lengths):
        ids[row, :n] = rng.integers(1, len(vocab), n)
    trax_vectors = np.asarray(encoder(ids))
    numpy_vectors = served.encode_ids(ids)
    assert np.abs(trax_vectors - numpy_vectors).max() <= 1e-5
    # Batch invariance on the Trax side too: padding never changes an encoding.
    assert np.allclose(np.asarray(encoder(ids[:1, :1])), trax_vectors[:1], atol=1e-6)


def training_files(tmp_path: Path) -> list[str]:
    faq = write(tmp_path / "faq.yaml", SMALL_FAQ)
    qqp = write(tmp_path / "quora.tsv", "id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate\n"
                "1\t1\t2\tHow do I learn Python?\tWhat is the best way to learn Python?\t1\n"
                "2\t3\t4\tIs the earth flat?\tHow old is the earth?\t0\n"
                "3\t5\t6\tHow can I cook rice?\tWhat is the way to cook rice?\t1\n")
    pairs = write(tmp_path / "pairs.csv", "my laptop is slow,computer runs slowly\nprinter is jammed,paper stuck in printer\n")
    groups = write(tmp_path / "intents.csv", "text,label\nwake me at 7,alarm\nset an alarm for 7,alarm\n"
                   "alarm at seven please,alarm\nplay some jazz,music\nput on jazz music,music\nstart jazz,music\n")
    return [str(faq), str(qqp), str(pairs), str(groups)]


def run_cli(*args: str):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def test_train_from_scratch_then_fine_tune_on_an_faq(tmp_path: Path) -> None:
    inputs = training_files(tmp_path)
    out = tmp_path / "model"
    run_cli("train", *inputs, "--out", str(out), "--steps", "20", "--eval-every", "10", "--batch-size", "4",
            "--d-model", "16")
    assert sorted(p.name for p in out.iterdir()) == ["config.json", "vocab.txt", "weights.npz"]
    assert not (tmp_path / "model.partial").exists()
    record = json.loads((out / "config.json").read_text())["training"]
    # FAQ entries 3, Quora duplicates 2 (the Earth pair is not one), pairs 2, intents 2
    assert record["steps"] == 20 and record["groups"] == 3 + 2 + 2 + 2
    assert [h["step"] for h in record["history"]] == [10, 20]
    base = LstmEncoder.load(out)
    assert "python" in base.tokenizer.ids and "globalprotect" not in base.tokenizer.ids

    faq = write(tmp_path / "new.yaml", "faqs:\n  - id: gp\n    question: GlobalProtect keeps disconnecting\n"
                "    alternates: [globalprotect drops, vpn client disconnects]\n    answer: Update it.\n"
                "  - id: okta\n    question: Okta push not arriving\n    alternates: [no okta notification]\n"
                "    answer: Re-enrol.\n")
    tuned = tmp_path / "tuned"
    run_cli("train", "--init", str(out), "--faq", str(faq), "--out", str(tuned), "--steps", "5", "--eval-every", "5")
    adapted = LstmEncoder.load(tuned)
    # The FAQ's own words got ids of their own; the old ids are unchanged.
    assert adapted.tokenizer.vocab[: len(base.tokenizer.vocab)] == base.tokenizer.vocab
    assert adapted.tokenizer.unknown_rate(["globalprotect drops okta"]) == 0.0
    assert base.tokenizer.unknown_rate(["globalprotect drops okta"]) > 0.5
    assert adapted.weights["embedding"].shape[0] == len(adapted.tokenizer.vocab)
    # The finetune preset holds out one phrasing of every entry with three or more (here gp's),
    # records it, and the served encoder knows it never trained on it (calibration asks only those).
    tuned_record = json.loads((tuned / "config.json").read_text())["training"]
    assert tuned_record["held_out"] == 1 and tuned_record["texts"] == 5 - 1
    assert adapted.held_out_texts == frozenset(tuned_record["held_out_texts"])
    [held] = adapted.held_out_texts
    assert held in {"globalprotect keeps disconnecting", "globalprotect drops", "vpn client disconnects"}


def test_resume_continues_from_the_checkpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from faqbot.training import train as training

    inputs = training_files(tmp_path)
    out = tmp_path / "model"
    command = ["train", *inputs, "--out", str(out), "--batch-size", "4", "--d-model", "8", "--eval-every", "5",
               "--steps", "10", "--patience", "100"]
    real = training._validate
    calls = []

    def crash_on_second_validation(*args):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # killed after the step-5 checkpoint was written
        return real(*args)

    monkeypatch.setattr(training, "_validate", crash_on_second_validation)
    interrupted = CliRunner().invoke(cli, command)
    assert interrupted.exit_code == 1 and "Aborted" in interrupted.output
    partial = tmp_path / "model.partial"
    assert (partial / training.CHECKPOINT).exists() and not out.exists()
    run_cli(*command, "--resume")
    record = json.loads((out / "config.json").read_text())["training"]
    assert [h["step"] for h in record["history"]] == [5, 10]  # step 5 from the checkpoint, not run again
    assert len(calls) == 3
    assert not (out / training.CHECKPOINT).exists() and not partial.exists()


def test_resume_with_other_options_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from faqbot.training import train as training

    inputs = training_files(tmp_path)
    out = tmp_path / "model"
    command = ["train", *inputs, "--out", str(out), "--batch-size", "4", "--d-model", "8", "--eval-every", "5",
               "--steps", "10", "--patience", "100"]
    real, calls = training._validate, []

    def crash_on_second_validation(*args):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # after the step-5 checkpoint
        return real(*args)

    monkeypatch.setattr(training, "_validate", crash_on_second_validation)
    assert CliRunner().invoke(cli, command).exit_code == 1
    monkeypatch.undo()
    result = CliRunner().invoke(cli, [*command[:-4], "--steps", "20", "--patience", "100", "--resume"])
    assert result.exit_code == 1 and not out.exists()
    assert "--resume needs the options the run started with; these differ: options.steps: started with 10, now 20" \
        in result.output


@pytest.mark.parametrize("where", ["faq_data", "."])
def test_out_never_replaces_a_folder_that_is_not_a_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         where: str) -> None:
    inputs = training_files(tmp_path)
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "faq_data" / "it.yaml", "faqs: []\n")
    target = tmp_path / "faq_data" if where == "faq_data" else tmp_path
    result = CliRunner().invoke(cli, ["train", *inputs, "--out", where, "--steps", "2", "--d-model", "8"])
    assert result.exit_code == 1 and "holds other files than a faqbot model" in result.output
    assert f"{target} holds" in result.output and (tmp_path / "faq_data" / "it.yaml").read_text() == "faqs: []\n"


def test_bad_training_input_names_file_and_line(tmp_path: Path) -> None:
    bad = write(tmp_path / "pairs.tsv", "one\ttwo\nonly one column\n")
    result = CliRunner().invoke(cli, ["train", str(bad), "--out", str(tmp_path / "m")])
    assert result.exit_code == 1
    assert f"{bad}:2: expected 2 columns (a duplicate pair), found 1" in result.output
    assert not (tmp_path / "m").exists() and not (tmp_path / "m.partial").exists()


def test_serving_never_imports_the_training_stack(tmp_path: Path) -> None:
    model = tmp_path / "m"
    config = ModelConfig(d_model=8)
    vocab = (PAD, UNK, "vpn", "password")
    save_model(model, config, Tokenizer("word", vocab), M.get_weights(M.init_encoder(config, 4), config, 4))
    code = (
        "import sys; from faqbot.cli.main import main; sys.argv = ['faqbot', 'ask', 'vpn down', '--model', sys.argv[1],"
        " '--faq', sys.argv[2]]\ntry: main()\nexcept SystemExit: pass\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'trax', 'jax', 'jaxlib', 'tensorflow', 'torch'})\n"
        "print('HEAVY', heavy)"
    )
    done = subprocess.run([sys.executable, "-c", code, str(model), str(REPO / "faq_data")],
                          capture_output=True, text=True, cwd=tmp_path, env={"FAQBOT_INDEX_CACHE": "none", "PATH": ""})
    assert "HEAVY []" in done.stdout, done.stdout + done.stderr
    # an answer ("[entry-id, confidence 0.61]" or "[entry-id, fuzzy 0.93]"), or none
    assert re.search(r"  \[[a-z0-9-]+, (confidence|fuzzy) [01]\.\d\d\]\n", done.stdout) or "don't know" in done.stdout


def test_fine_tuning_starts_from_the_given_model(tmp_path: Path) -> None:
    inputs = training_files(tmp_path)
    base_dir, tuned_dir = tmp_path / "base", tmp_path / "tuned"
    run_cli("train", *inputs, "--out", str(base_dir), "--steps", "3", "--batch-size", "4", "--d-model", "8")
    # A vanishing learning rate: the tuned weights must still be the base model's.
    run_cli("train", "--init", str(base_dir), "--faq", inputs[0], "--out", str(tuned_dir), "--steps", "1",
            "--learning-rate", "1e-12", "--float32")
    base, tuned = LstmEncoder.load(base_dir), LstmEncoder.load(tuned_dir)
    rows = len(base.tokenizer.vocab)
    assert np.allclose(tuned.weights["embedding"][:rows], base.weights["embedding"], atol=1e-3)
    assert np.allclose(tuned.weights["lstm0/kernel"], base.weights["lstm0/kernel"], atol=1e-3)


def write_teacher(path: Path, texts: list[str], dims: int) -> Path:
    """A stand-in for `faqbot teacher` output: random unit targets, a tiny WordPiece vocabulary."""
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(len(texts), dims))
    vocab = [PAD, UNK, *sorted({w for t in texts for w in t.split()}), "##s"]
    np.savez(path, texts=np.array(texts), vectors=vectors / np.linalg.norm(vectors, axis=1, keepdims=True),
             vocab=np.array(vocab), embedding=rng.normal(0, 0.1, (len(vocab), dims)))
    return path


def test_distillation_then_triplet_with_a_wordpiece_student(tmp_path: Path) -> None:
    inputs = training_files(tmp_path)
    texts = ["how do i learn python", "what is the best way to learn python", "wake me at 7", "play some jazz"]
    teacher = write_teacher(tmp_path / "teacher.npz", texts, dims=8)
    out = tmp_path / "model"
    run_cli("train", *inputs, "--preset", "distilled", "--teacher", str(teacher), "--distill-steps", "6",
            "--steps", "4", "--eval-every", "2", "--batch-size", "4", "--d-model", "8", "--out", str(out))
    record = json.loads((out / "config.json").read_text())["training"]
    assert [(h["phase"], h["step"]) for h in record["history"]] == [
        ("distill", 2), ("distill", 4), ("distill", 6), ("triplet", 2), ("triplet", 4)]
    encoder = LstmEncoder.load(out)
    assert encoder.config.tokenizer == "wordpiece" and "python" in encoder.tokenizer.ids
    assert encoder.tokenizer.tokens("pythons") == ["python", "##s"]


def test_distillation_only_keeps_the_last_weights(tmp_path: Path) -> None:
    many = "".join(f"topic {g} way {t},label{g}\n" for g in range(10) for t in range(3))
    inputs = [*training_files(tmp_path), str(write(tmp_path / "many.csv", "text,label\n" + many))]
    teacher = write_teacher(tmp_path / "teacher.npz", ["learn python", "play jazz", "wake me"], dims=8)
    run_cli("train", *inputs, "--preset", "distilled", "--teacher", str(teacher), "--distill-steps", "3",
            "--steps", "0", "--eval-every", "3", "--batch-size", "2", "--d-model", "8", "--out", str(tmp_path / "m"))
    record = json.loads((tmp_path / "m" / "config.json").read_text())["training"]
    assert [h["phase"] for h in record["history"]] == ["distill"]
    last = record["history"][-1]
    assert record["best_held_out"] == {"accuracy": last["held_out_accuracy"], "loss": last["held_out_loss"]}


def test_nothing_to_train_is_an_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["train", *training_files(tmp_path), "--steps", "0", "--out", str(tmp_path / "m")])
    assert result.exit_code == 1 and "nothing to train" in result.output
    assert not (tmp_path / "m.partial").exists()  # refused before anything was written


def test_wordpiece_needs_a_teacher_or_a_base_model(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["train", *training_files(tmp_path), "--tokenizer", "wordpiece",
                                      "--out", str(tmp_path / "m")])
    assert result.exit_code == 1 and "give --teacher or --init" in result.output


def test_pca_keeps_the_main_directions() -> None:
    from faqbot.training.teacher import pca

    rng = np.random.default_rng(0)
    signal = rng.normal(size=(200, 1)) @ np.array([[3.0, 4.0, 0.0]]) / 5.0
    reduced = pca(signal + rng.normal(0, 0.01, (200, 3)), dims=1)
    assert reduced.shape == (200, 1)
    assert abs(np.corrcoef(reduced[:, 0], signal[:, 0])[0, 1]) > 0.99


def test_pairs_only_data_has_nothing_held_out_and_trains_to_the_end(tmp_path: Path) -> None:
    pairs = write(tmp_path / "p.tsv", "".join(f"question {i} a\tquestion {i} b\n" for i in range(6)))
    out = tmp_path / "m"
    run_cli("train", str(pairs), "--out", str(out), "--steps", "6", "--eval-every", "2", "--patience", "1",
            "--batch-size", "3", "--d-model", "8")
    record = json.loads((out / "config.json").read_text())["training"]
    assert [h["step"] for h in record["history"]] == [2, 4, 6]  # no early stop on a missing metric
    assert record["best_held_out"] is None and "held_out_accuracy" not in record["history"][0]


def test_validation_prefers_accuracy_then_lower_loss() -> None:
    from faqbot.training.train import Validation

    assert Validation(0.8, 0.3).better_than(None)
    assert Validation(0.8, 0.3).better_than(Validation(0.7, 0.1))
    assert Validation(0.8, 0.2).better_than(Validation(0.8, 0.3))
    assert not Validation(0.8, 0.3).better_than(Validation(0.8, 0.3))
