"""The serving encoder (NumPy only): model folders, tokenisers, batch invariance, index cache."""

import json
from pathlib import Path

import numpy as np
import pytest

from faqbot.faq.loading import load_faq
from faqbot.matching.encoder import LstmEncoder, ModelConfig, ModelError, save_model
from faqbot.matching.index_cache import cached_encode
from faqbot.matching.matcher import Matcher
from faqbot.matching.tokenizer import PAD, UNK, Tokenizer
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


def test_tokenizer_rejects_a_vocabulary_without_pad_first() -> None:
    with pytest.raises(ValueError, match="must start with"):
        Tokenizer("word", (UNK, PAD))
    with pytest.raises(ValueError, match="unknown tokenizer kind"):
        Tokenizer("bpe", WORDS)


class CountingEncoder(ConceptEncoder):
    def __init__(self) -> None:
        self.calls = 0

    def encode(self, texts):
        self.calls += 1
        return super().encode(texts)


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


def test_index_cache_key_follows_model_and_texts(tmp_path: Path) -> None:
    encoder = CountingEncoder()
    cached_encode(encoder, ["a", "b"], tmp_path)
    cached_encode(encoder, ["a", "b", "c"], tmp_path)
    encoder.name = "concepts-v2"
    cached_encode(encoder, ["a", "b"], tmp_path)
    assert encoder.calls == 3 and len(list(tmp_path.glob("*.npz"))) == 3
    cached_encode(encoder, ["a", "b"], tmp_path)
    assert encoder.calls == 3  # read back


@pytest.mark.parametrize("damage", ["garbage", "truncated", "other texts", "other width", "nan"])
def test_corrupt_index_cache_is_rebuilt(tmp_path: Path, damage: str) -> None:
    encoder = CountingEncoder()
    expected = cached_encode(encoder, ["vpn"], tmp_path)
    [file] = tmp_path.glob("*.npz")
    if damage == "garbage":
        file.write_bytes(b"garbage")
    elif damage == "truncated":  # e.g. a copy cut short: a broken zip archive
        file.write_bytes(file.read_bytes()[: file.stat().st_size // 2])
    elif damage == "other texts":  # readable, but not this FAQ's: two rows for one text
        np.savez(file, vectors=np.zeros((2, ConceptEncoder.DIM), dtype=np.float32))
    elif damage == "other width":  # another model's encodings under this name
        np.savez(file, vectors=np.zeros((1, 8), dtype=np.float32))
    else:
        np.savez(file, vectors=np.full((1, ConceptEncoder.DIM), np.nan, dtype=np.float32))
    vectors = cached_encode(encoder, ["vpn"], tmp_path)
    assert encoder.calls == 2 and np.array_equal(vectors, expected)
    with np.load(file) as rewritten:
        assert np.array_equal(rewritten["vectors"], expected)


def test_unwritable_index_cache_still_serves(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    vectors = cached_encode(CountingEncoder(), ["vpn"], blocker / "cache")
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
