"""The Siamese LSTM and its losses, defined in Trax.

Encoder: Embedding -> LSTM (x n_layers) -> mean over real tokens -> L2 normalise.
The Siamese model runs the *same* encoder object on both inputs, so Trax shares one set
of weights between the branches. `faqbot.matching.encoder.LstmEncoder` is the NumPy twin of
`Encoder`; a test holds them equal.
"""

from __future__ import annotations

import numpy as np
import trax
from trax import layers as tl
from trax.fastmath import numpy as jnp

from faqbot.matching.encoder import L2_EPSILON, ModelConfig


def _masked_mean(x, ids):
    """(batch, time, d), (batch, time) -> (batch, d): padding (id 0) never counts."""
    mask = (ids != 0).astype(jnp.float32)[..., None]
    return jnp.sum(x * mask, axis=1) / jnp.maximum(jnp.sum(mask, axis=1), 1.0)


def _l2_normalize(x):
    return x / jnp.sqrt(jnp.sum(x * x, axis=-1, keepdims=True) + L2_EPSILON)


def _reverse_tokens(x, ids):
    """Each row's real tokens in reverse order, padding in place: `encoder.reverse_tokens`."""
    lengths = jnp.sum(ids != 0, axis=1, keepdims=True)
    t = jnp.arange(ids.shape[1])[None, :]
    source = jnp.where(t < lengths, lengths - 1 - t, t)
    return jnp.take_along_axis(x, source[..., None], axis=1)


def BidirectionalLSTM(d_model: int, mode: str) -> tl.Serial:
    """(x, ids) -> (forward LSTM(x) + reversed backward LSTM(reversed x), ids)."""
    return tl.Serial(
        tl.Select([0, 1, 0, 1, 1]),  # x, ids, x, ids, ids
        tl.LSTM(d_model, mode=mode),  # forward, ids, x, ids, ids
        tl.Select([2, 3, 0, 1, 4]),  # x, ids, forward, ids, ids
        tl.Fn("ReverseTokens", _reverse_tokens),  # reversed x, forward, ids, ids
        tl.LSTM(d_model, mode=mode),  # backward (reversed), forward, ids, ids
        tl.Select([0, 3, 1, 2]),  # backward (reversed), ids, forward, ids
        tl.Fn("ReverseTokens", _reverse_tokens),  # backward, forward, ids
        tl.Add(),  # backward + forward, ids
    )


def Encoder(config: ModelConfig, vocab_size: int, mode: str = "train") -> tl.Serial:
    """ids (batch, time) -> unit vectors (batch, d_model)."""
    if config.bidirectional:
        return tl.Serial(
            tl.Select([0, 0]),  # ids, ids
            tl.Embedding(vocab_size, config.d_model),  # x, ids
            *[BidirectionalLSTM(config.d_model, mode) for _ in range(config.n_layers)],
            tl.Fn("MaskedMean", _masked_mean),
            tl.Fn("L2Normalize", _l2_normalize),
        )
    return tl.Serial(
        tl.Branch(
            [tl.Embedding(vocab_size, config.d_model), *[tl.LSTM(config.d_model, mode=mode) for _ in range(config.n_layers)]],
            None,  # the ids themselves, for the padding mask
        ),
        tl.Fn("MaskedMean", _masked_mean),
        tl.Fn("L2Normalize", _l2_normalize),
    )


def Siamese(encoder: tl.Layer) -> tl.Layer:
    """(ids1, ids2) -> (v1, v2) through one shared encoder."""
    return tl.Parallel(encoder, encoder)


def triplet_loss(v1, v2, margin: float):
    """Mean over the batch of the two triplet terms of the design.

    Row i of v1 and v2 are duplicates; every other row of v2 is a negative for v1[i].
    closest negative: the hardest off-diagonal score still below the positive;
    mean negative: the average off-diagonal score.
    """
    scores = jnp.dot(v1, v2.T)  # (batch, batch) cosines
    batch = scores.shape[0]
    eye = jnp.eye(batch)
    positive = jnp.diagonal(scores)
    negatives = scores * (1.0 - eye)
    mean_negative = jnp.sum(negatives, axis=1) / (batch - 1)
    excluded = (eye == 1) | (negatives > positive[:, None])
    closest_negative = jnp.max(negatives - 2.0 * excluded, axis=1)
    loss_closest = jnp.maximum(0.0, margin - positive + closest_negative)
    loss_mean = jnp.maximum(0.0, margin - positive + mean_negative)
    return jnp.mean(loss_closest + loss_mean)


def TripletLoss(margin: float = 0.25) -> tl.Layer:
    # tl.Fn rejects functions with default arguments, hence the closure.
    return tl.Fn("TripletLoss", lambda v1, v2: triplet_loss(v1, v2, margin))


def DistillLoss() -> tl.Layer:
    """(student vectors, teacher vectors) -> mean(1 - cosine); both are unit rows."""
    return tl.Fn("DistillLoss", lambda v, target: jnp.mean(1.0 - jnp.sum(v * target, axis=-1)))


def init_encoder(config: ModelConfig, vocab_size: int, seed: int = 0) -> tl.Serial:
    encoder = Encoder(config, vocab_size)
    encoder.init(trax.shapes.ShapeDtype((1, 2), np.int32), rng=trax.fastmath.random.get_prng(seed))
    return encoder


def get_weights(encoder: tl.Layer, config: ModelConfig, vocab_size: int) -> dict[str, np.ndarray]:
    """The encoder's weights by the names of the model folder (`ModelConfig.weight_shapes`)."""
    flat = trax.fastmath.tree_leaves(encoder.weights)
    names = list(config.weight_shapes(vocab_size))
    assert len(flat) == len(names), f"expected {len(names)} weight arrays, the model has {len(flat)}"
    return {name: np.asarray(w, dtype=np.float32) for name, w in zip(names, flat)}


def set_weights(encoder: tl.Layer, config: ModelConfig, weights: dict[str, np.ndarray]) -> None:
    """Load named weights into an initialised Trax encoder; names not given keep their value
    (a teacher initialises only the embedding)."""
    current = trax.fastmath.tree_leaves(encoder.weights)
    names = list(config.weight_shapes(current[0].shape[0]))
    arrays = [jnp.asarray(weights[name], dtype=jnp.float32) if name in weights else leaf
              for name, leaf in zip(names, current)]
    encoder.weights = trax.fastmath.tree_unflatten(arrays, encoder.weights)[0]
