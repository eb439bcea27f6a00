"""The question encoder that serves: the trained Siamese LSTM branch run in NumPy.

The matcher depends only on the `Encoder` interface (texts in, unit vectors out), so it
knows nothing of LSTMs and tests can plug in a small encoder of their own. Serving never
imports trax, jax or tensorflow: `LstmEncoder` rebuilds the model from its folder
(config.json, vocab.txt, weights.npz) and reproduces the Trax forward pass exactly.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from faqbot.matching.tokenizer import Tokenizer, padded


class Encoder(Protocol):
    """Maps normalised texts to L2-normalised rows, so a dot product is a cosine."""

    @property
    def name(self) -> str:
        """Identifies the weights, so cached encodings are never reused across models."""
        ...

    @property
    def dim(self) -> int:
        """The width of an encoding."""
        ...

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Return a float32 array (len(texts), dim) of unit rows, each independent of the batch."""
        ...


MODEL_FORMAT = 1
CONFIG_FILE, VOCAB_FILE, WEIGHTS_FILE = "config.json", "vocab.txt", "weights.npz"
L2_EPSILON = 1e-12  # the same in the Trax model, so an all-padding row maps to 0, not NaN


class ModelError(Exception):
    """A model directory that cannot be used; the message says which file and why."""


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """The shape of the Siamese LSTM; saved in config.json so a model rebuilds from its folder."""

    d_model: int = 128
    n_layers: int = 1
    tokenizer: str = "word"
    max_len: int = 64
    # Each layer also reads the question backwards (over its real tokens only, so padding still
    # never counts) and adds that LSTM's outputs to the forward one's.
    bidirectional: bool = False

    def weight_shapes(self, vocab_size: int) -> dict[str, tuple[int, ...]]:
        """Names and shapes of every weight, in the order of the Trax model's flattened weights."""
        d = self.d_model
        shapes = {"embedding": (vocab_size, d)}
        for layer in range(self.n_layers):
            for direction in ("", "/backward") if self.bidirectional else ("",):
                shapes[f"lstm{layer}{direction}/kernel"] = (2 * d, 4 * d)  # [x, h] -> gates i, j, f, o
                shapes[f"lstm{layer}{direction}/bias"] = (4 * d,)
        return shapes


def reverse_tokens(x: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """(batch, time, d) with each row's real tokens in reverse order, its padding left in place
    (right-padded ids; its own inverse)."""
    lengths = (ids != 0).sum(axis=1, keepdims=True)
    t = np.arange(ids.shape[1])[None, :]
    source = np.where(t < lengths, lengths - 1 - t, t)  # (batch, time)
    return np.take_along_axis(x, source[..., None], axis=1)


def serving_gates(kernel: np.ndarray, bias: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kernel and bias for `lstm_layer`: the sigmoid gates' (i, f, o) columns halved, since
    sigmoid(z) = (tanh(z / 2) + 1) / 2 and halving is exact, so one tanh serves all gates; and
    the columns reordered to (j, i, f, o), so the three sigmoids are one contiguous slice."""
    d = kernel.shape[1] // 4
    scale = np.full(4 * d, 0.5, dtype=np.float32)
    scale[d : 2 * d] = 1.0  # j is a tanh
    order = np.r_[d : 2 * d, 0:d, 2 * d : 4 * d]
    return np.ascontiguousarray((kernel * scale)[:, order]), (bias * scale)[order]


def lstm_layer(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Trax's LSTM over (batch, time, d) from a zero state: gates i, j, f, o; state (c, h).
    `kernel` and `bias` come through `serving_gates`.

    A question's encoding is a dozen steps of a (1, 4d) row, where NumPy's per-call overhead
    is most of the time: each step is nine calls writing into arrays made once."""
    batch, steps, d_in = x.shape
    d = kernel.shape[1] // 4
    from_input = (x.reshape(-1, d_in) @ kernel[:d_in] + bias).reshape(batch, steps, 4 * d)  # all steps at once
    recurrent = kernel[d_in:]
    gates = np.empty((batch, 4 * d), dtype=x.dtype)
    j, sigmoids, i, f, o = gates[:, :d], gates[:, d:], gates[:, d : 2 * d], gates[:, 2 * d : 3 * d], gates[:, 3 * d :]
    c = np.zeros((batch, d), dtype=x.dtype)
    h = np.zeros((batch, d), dtype=x.dtype)
    ij = np.empty((batch, d), dtype=x.dtype)
    out = np.empty((batch, steps, d), dtype=x.dtype)
    for t in range(steps):
        np.matmul(h, recurrent, out=gates)
        gates += from_input[:, t]
        np.tanh(gates, out=gates)
        sigmoids *= 0.5
        sigmoids += 0.5
        c *= f
        c += np.multiply(i, j, out=ij)
        np.tanh(c, out=h)
        h *= o
        out[:, t] = h
    return out


class LstmEncoder:
    """The trained Siamese branch run in NumPy: Embedding -> LSTM -> masked mean -> L2."""

    def __init__(self, config: ModelConfig, tokenizer: Tokenizer, weights: dict[str, np.ndarray], name: str,
                 held_out_texts: frozenset[str] = frozenset()) -> None:
        self.config = config
        self.tokenizer = tokenizer
        # as stored (float16 for the bundled model, where the embedding is most of the weights):
        # rows widen to float32 as they are looked up, which is exact
        self.weights = {k: np.asarray(v, dtype=np.float16 if v.dtype == np.float16 else np.float32)
                        for k, v in weights.items()}
        self._lstm: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # per layer and direction, for lstm_layer
        for weight in self.weights:
            if weight.endswith("/kernel"):
                layer = weight.removesuffix("/kernel")
                self._lstm[layer] = serving_gates(self.weights[weight].astype(np.float32),
                                                        self.weights[f"{layer}/bias"].astype(np.float32))
        self._name = name
        # Normalised texts its training held out: questions it has never seen, for calibration.
        self.held_out_texts = held_out_texts

    @property
    def name(self) -> str:
        return self._name

    @property
    def dim(self) -> int:
        return self.config.d_model

    def encode(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        """Unit rows (len(texts), d_model); texts of as many tokens batched together, so
        little of a batch is padding."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        ids = [self.tokenizer.encode(t) for t in texts]
        order = sorted(range(len(texts)), key=lambda i: len(ids[i]))
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            out[chunk] = self.encode_ids(padded([ids[i] for i in chunk]))
        return out

    def encode_ids(self, ids: np.ndarray) -> np.ndarray:
        """(batch, time) right-padded ids -> (batch, d_model); padding never counts."""
        x = self.weights["embedding"][ids].astype(np.float32)  # (batch, time, d)
        for layer in range(self.config.n_layers):
            forward = lstm_layer(x, *self._lstm[f"lstm{layer}"])
            if self.config.bidirectional:
                backward = lstm_layer(reverse_tokens(x, ids), *self._lstm[f"lstm{layer}/backward"])
                forward = forward + reverse_tokens(backward, ids)
            x = forward
        mask = (ids != 0)[..., None].astype(np.float32)
        mean = (x * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1.0)
        return mean / np.sqrt((mean * mean).sum(axis=-1, keepdims=True) + L2_EPSILON)

    @classmethod
    def load(cls, folder: str | Path) -> LstmEncoder:
        """Rebuild the encoder from a model folder alone; ModelError says what is wrong."""
        folder = Path(folder)
        config = read_config(folder)
        tokenizer = _read_vocab(folder, config)
        weights = _read_weights(folder, config, len(tokenizer.vocab))
        digest = hashlib.sha256()
        for file in (CONFIG_FILE, VOCAB_FILE, WEIGHTS_FILE):
            digest.update((folder / file).read_bytes())
        return cls(config, tokenizer, weights, name=f"lstm-{digest.hexdigest()[:16]}",
                   held_out_texts=_read_held_out(folder))


def read_config(folder: Path) -> ModelConfig:
    path = folder / CONFIG_FILE
    if not folder.is_dir():
        raise ModelError(f"{folder}: no such model folder")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelError(f"{path}: missing; a model folder holds {CONFIG_FILE}, {VOCAB_FILE} and {WEIGHTS_FILE}") from exc
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict) or data.get("format") != MODEL_FORMAT:
        raise ModelError(f"{path}: not a faqbot model of format {MODEL_FORMAT}")
    try:
        config = ModelConfig(**data["model"])
    except (KeyError, TypeError) as exc:
        raise ModelError(f"{path}: bad 'model' section ({exc})") from exc
    for name in ("d_model", "n_layers", "max_len"):
        value = getattr(config, name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ModelError(f"{path}: 'model.{name}' must be a whole number of at least 1, not {value!r}")
    if config.tokenizer not in ("word", "wordpiece"):
        raise ModelError(f"{path}: 'model.tokenizer' must be word or wordpiece, not {config.tokenizer!r}")
    return config


def _read_held_out(folder: Path) -> frozenset[str]:
    """The texts config.json records as held out of training (read_config has checked the file)."""
    training = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8")).get("training")
    texts = training.get("held_out_texts") if isinstance(training, dict) else None
    return frozenset(t for t in texts if isinstance(t, str)) if isinstance(texts, list) else frozenset()


def _read_vocab(folder: Path, config: ModelConfig) -> Tokenizer:
    path = folder / VOCAB_FILE
    try:
        return Tokenizer.load(path, config.tokenizer, config.max_len)
    except FileNotFoundError as exc:
        raise ModelError(f"{path}: missing") from exc
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ModelError(f"{path}: unusable vocabulary ({exc})") from exc


def _read_weights(folder: Path, config: ModelConfig, vocab_size: int) -> dict[str, np.ndarray]:
    path = folder / WEIGHTS_FILE
    try:
        with np.load(path, allow_pickle=False) as archive:
            weights = {name: archive[name] for name in archive.files}
    except FileNotFoundError as exc:
        raise ModelError(f"{path}: missing") from exc
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise ModelError(f"{path}: corrupt or truncated weights ({exc})") from exc
    for name, shape in config.weight_shapes(vocab_size).items():
        if name not in weights:
            raise ModelError(f"{path}: weight '{name}' is missing")
        if weights[name].shape != shape:
            raise ModelError(f"{path}: weight '{name}' has shape {weights[name].shape}, expected {shape}")
        if not np.isfinite(weights[name]).all():
            raise ModelError(f"{path}: weight '{name}' holds NaN or infinite values (a training run that diverged?)")
    return weights


def save_model(
    folder: Path, config: ModelConfig, tokenizer: Tokenizer, weights: dict[str, np.ndarray],
    training: dict | None = None, float16: bool = True,
) -> None:
    """Write a model folder that `LstmEncoder.load` rebuilds; float16 halves its size."""
    folder.mkdir(parents=True, exist_ok=True)
    meta = {"format": MODEL_FORMAT, "model": dataclasses.asdict(config), "training": training or {}}
    (folder / CONFIG_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    tokenizer.save(folder / VOCAB_FILE)
    dtype = np.float16 if float16 else np.float32
    np.savez_compressed(folder / WEIGHTS_FILE, **{k: np.asarray(v, dtype=dtype) for k, v in weights.items()})
