"""The serving encoder (NumPy only): model folders, tokenisers, batch invariance, index cache."""

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest

from faqbot.faq.loading import load_faq
from faqbot.matching.encoder import LstmEncoder, ModelConfig, ModelError, save_model
from faqbot.matching.index_cache import ENCODINGS_FILE, cached_encode
from faqbot.matching.matcher import Matcher
from faqbot.matching.tokenizer import PAD, UNK, Tokenizer
from faqbot.matching.vector_index import phrasing_keys
from tests.conftest import ConceptEncoder

WORDS = (PAD, UNK, "reset", "my", "password", "vpn", "is", "down", "how", "do", "i")


def random_model(folder: Path, config: ModelConfig = ModelConfig(d_model=8, n_layers=2), seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    tokenizer = Tokenizer(config.tokenizer, WORDS, config.max_len)
    weights = {k: rng.normal(0, 0.5, shape) for k, shape in config.weight_shapes(len(WORDS)).items()}
    save_model(folder, config, tokenizer, weights, training={"note": "test"})
    return folder


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    folder = random_model(tmp_path / "m")
    encoder = LstmEncoder.load(folder)
    assert encoder.config == ModelConfig(d_model=8, n_layers=2)
    assert encoder.tokenizer.vocab == WORDS
    vectors = encoder.encode(["reset my password", "vpn is down", "zzz unknown words"])
    assert vectors.shape == (3, 8) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert json.loads((folder / "config.json").read_text())["training"] == {"note": "test"}
    assert LstmEncoder.load(folder).name == encoder.name  # stable: the index cache relies on it
    assert LstmEncoder.load(random_model(tmp_path / "other", seed=1)).name != encoder.name


@pytest.mark.parametrize("bidirectional", [False, True])
def test_encoding_does_not_depend_on_the_batch(tmp_path: Path, bidirectional: bool) -> None:
    config = ModelConfig(d_model=8, n_layers=2, bidirectional=bidirectional)
    encoder = LstmEncoder.load(random_model(tmp_path / "m", config))
    alone = encoder.encode(["reset my password"])
    crowd = encoder.encode(["how do i reset my password vpn is down", "reset my password", "vpn"])
    assert np.allclose(alone[0], crowd[1], atol=1e-6)
    ids = encoder.tokenizer.batch(["reset my password"])
    padded = np.pad(ids, ((0, 0), (0, 7)))
    assert np.allclose(encoder.encode_ids(ids), encoder.encode_ids(padded), atol=1e-6)


def test_empty_text_encodes_to_zero(tmp_path: Path) -> None:
    encoder = LstmEncoder.load(random_model(tmp_path / "m"))
    assert not encoder.encode([""]).any()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda f: (f / "config.json").unlink(), "config.json: missing"),
        (lambda f: (f / "config.json").write_text("{not json"), "config.json: not valid JSON"),
        (lambda f: (f / "config.json").write_text('{"format": 99}'), "not a faqbot model of format 1"),
        (lambda f: (f / "config.json").write_text('{"format": 1, "model": {"depth": 3}}'), "bad 'model' section"),
        (lambda f: (f / "vocab.txt").unlink(), "vocab.txt: missing"),
        (lambda f: (f / "vocab.txt").write_text("hello\n"), "vocab.txt: unusable vocabulary"),
        (lambda f: (f / "weights.npz").unlink(), "weights.npz: missing"),
        (lambda f: (f / "weights.npz").write_bytes((f / "weights.npz").read_bytes()[:100]), "corrupt or truncated"),
        (lambda f: np.savez(f / "weights.npz", embedding=np.zeros((3, 8))), "weight 'embedding' has shape (3, 8)"),
        (lambda f: np.savez(f / "weights.npz", embedding=np.zeros((len(WORDS), 8))), "weight 'lstm0/kernel' is missing"),
        (lambda f: np.savez(f / "weights.npz", **{**np.load(f / "weights.npz"), "lstm0/bias": np.full(32, np.nan)}),
         "weight 'lstm0/bias' holds NaN or infinite values"),
        (lambda f: (f / "config.json").write_text('{"format": 1, "model": {"max_len": 0}}'),
         "'model.max_len' must be a whole number of at least 1, not 0"),
    ],
)
def test_broken_model_folders_give_clear_errors(tmp_path: Path, damage, message: str) -> None:
    folder = random_model(tmp_path / "m")
    damage(folder)
    with pytest.raises(ModelError, match=message.replace("(", r"\(").replace(")", r"\)")):
        LstmEncoder.load(folder)


def test_missing_model_folder(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="no such model folder"):
        LstmEncoder.load(tmp_path / "nope")


def test_word_tokenizer_and_growth() -> None:
    tokenizer = Tokenizer("word", WORDS, max_len=4)
    assert tokenizer.encode("reset my okta password now") == [2, 3, 1, 4]  # unknown -> 1, cut at 4
    assert tokenizer.batch(["vpn", "", "is down"]).tolist() == [[5, 0], [0, 0], [6, 7]]
    grown = tokenizer.grow(["okta password", "okta sso"])
    assert grown.vocab[: len(WORDS)] == WORDS and grown.vocab[len(WORDS):] == ("okta", "sso")
    assert grown.encode("reset okta") == [2, len(WORDS)]
    assert tokenizer.unknown_rate(["okta sso reset"]) == pytest.approx(2 / 3)
    assert grown.unknown_rate(["okta sso reset"]) == 0.0


def test_wordpiece_tokenizer_splits_unknown_words_into_known_pieces() -> None:
    vocab = (PAD, UNK, "strike", "##through", "git", "##hub", "on", "s", "##t")
    tokenizer = Tokenizer("wordpiece", vocab)
    assert tokenizer.tokens("strikethrough on github") == ["strike", "##through", "on", "git", "##hub"]
    assert tokenizer.tokens("st xyz") == ["s", "##t", UNK]
    assert tokenizer.grow(["anything"]) is tokenizer
    short = Tokenizer("wordpiece", vocab, max_len=4)
    for text in ["strikethrough on github", "github github st", "st xyz on", ""] * 2:  # again: remembered words
        assert short.encode(text) == [short.ids[t] for t in short.tokens(text)]  # cut at 4 pieces, mid-word too


def test_tokenizer_rejects_a_vocabulary_without_pad_first() -> None:
    with pytest.raises(ValueError, match="must start with"):
        Tokenizer("word", (UNK, PAD))
    with pytest.raises(ValueError, match="unknown tokenizer kind"):
        Tokenizer("bpe", WORDS)


class CountingEncoder(ConceptEncoder):
    def __init__(self) -> None:
        self.calls = 0
        self.texts: list[str] = []

    def encode(self, texts):
        self.calls += 1
        self.texts.extend(texts)
        return super().encode(texts)


def encode_cached(encoder: ConceptEncoder, texts: list[str], folder: Path, keep: list[str] | None = None) -> np.ndarray:
    return cached_encode(encoder, texts, phrasing_keys(texts), folder, keep=phrasing_keys(keep) if keep else None)


def stored(folder: Path) -> list[tuple[str, int]]:
    with closing(sqlite3.connect(folder / ENCODINGS_FILE)) as connection:
        return sorted(connection.execute("SELECT model, key FROM encodings").fetchall())


def test_index_cache_skips_re_encoding_an_unchanged_faq(faq_file: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    faq = load_faq(faq_file)
    first, second = CountingEncoder(), CountingEncoder()
    Matcher(faq, first, index_cache=cache)
    matcher = Matcher(faq, second, index_cache=cache)
    assert (first.calls, second.calls) == (1, 0)
    assert matcher.match("lost my passcode").entry.id == "reset-password"
    changed = CountingEncoder()
    Matcher(load_faq(faq_file), changed, index_cache=None)
    assert changed.calls == 1


def test_an_edit_encodes_only_what_changed_and_a_start_deletes_what_is_not_in_use(tmp_path: Path) -> None:
    encoder = CountingEncoder()
    first = encode_cached(encoder, ["a", "b", "c"], tmp_path, keep=["a", "b", "c"])  # start-up
    second = encode_cached(encoder, ["a", "c", "d"], tmp_path)  # an edit while running: "b" out, "d" in
    assert encoder.texts == ["a", "b", "c", "d"]
    assert np.array_equal(second[:2], first[[0, 2]])
    assert len(stored(tmp_path)) == 4  # an edit deletes nothing
    encode_cached(encoder, ["a", "c", "d"], tmp_path, keep=["a", "c", "d"])  # the next start
    assert encoder.texts == ["a", "b", "c", "d"] and len(stored(tmp_path)) == 3  # "b" deleted now
    encoder.name = "concepts-v2"  # another model's encodings are not this one's
    encode_cached(encoder, ["a"], tmp_path, keep=["a"])
    assert encoder.texts[-1:] == ["a"] and [m for m, _ in stored(tmp_path)].count("concepts-v2") == 1
    assert len(stored(tmp_path)) == 4  # and pruning one model's rows leaves the other's


@pytest.mark.parametrize("damage", ["garbage", "empty", "other width", "nan"])
def test_corrupt_index_cache_is_rebuilt(tmp_path: Path, damage: str) -> None:
    encoder = CountingEncoder()
    expected = encode_cached(encoder, ["vpn"], tmp_path)
    file = tmp_path / ENCODINGS_FILE
    if damage in ("garbage", "empty"):
        for suffix in ("-wal", "-shm"):
            Path(f"{file}{suffix}").unlink(missing_ok=True)
        file.write_bytes(b"garbage" * 1000 if damage == "garbage" else b"")
    else:
        vector = np.zeros(8 if damage == "other width" else ConceptEncoder.DIM, dtype=np.float32)
        vector[:] = np.nan if damage == "nan" else 0.0
        with closing(sqlite3.connect(file)) as connection, connection:
            connection.execute("UPDATE encodings SET vector = ?", (vector.tobytes(),))
    vectors = encode_cached(encoder, ["vpn"], tmp_path)
    assert np.array_equal(vectors, expected)
    assert encoder.calls == 2
    again = encode_cached(encoder, ["vpn"], tmp_path)  # stored again, read back
    assert np.array_equal(again, expected) and encoder.calls == 2


def test_unwritable_index_cache_still_serves(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    vectors = encode_cached(CountingEncoder(), ["vpn"], blocker / "cache")
    assert vectors.shape == (1, ConceptEncoder.DIM)


def test_a_bidirectional_model_reads_the_question_backwards_too(tmp_path: Path) -> None:
    """Its backward LSTM has weights of its own, and reversing them changes the encoding;
    word order matters in both directions (no bag of words)."""
    config = ModelConfig(d_model=8, n_layers=1, bidirectional=True)
    assert "lstm0/backward/kernel" in config.weight_shapes(len(WORDS))
    folder = random_model(tmp_path / "m", config)
    encoder = LstmEncoder.load(folder)
    assert encoder.config == config
    one_way = LstmEncoder(ModelConfig(d_model=8, n_layers=1), encoder.tokenizer,
                          {k: v for k, v in encoder.weights.items() if "backward" not in k}, name="one-way")
    text = ["how do i reset my password"]
    assert not np.allclose(encoder.encode(text), one_way.encode(text), atol=1e-3)
    assert not np.allclose(encoder.encode(text), encoder.encode(["password my reset i do how"]), atol=1e-3)
