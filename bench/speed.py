"""Speed of the served encoder on one core, against the Trax model it was exported from.

Run as its own process (`python -m bench.speed MODEL QUERIES_CSV`) so the thread limits
below are in force before NumPy and JAX load; prints one JSON object.
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"  # "one core": BLAS must not spread a matmul over both
os.environ["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import csv  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from faqbot.matching.encoder import LstmEncoder  # noqa: E402
from faqbot.matching.normalize import normalize  # noqa: E402

SAMPLE = 500
MAX_TOKENS = 30


def median_ms(function, items) -> float:
    times = []
    for item in items:
        start = time.perf_counter()
        function(item)
        times.append((time.perf_counter() - start) * 1000.0)
    return float(np.median(times))


def main(model: Path, queries: Path) -> dict[str, float]:
    encoder = LstmEncoder.load(model)
    with open(queries, newline="", encoding="utf-8") as file:
        texts = [normalize(row["text"]) for row in csv.DictReader(file)]
    texts = [t for t in texts if 0 < len(encoder.tokenizer.encode(t)) <= MAX_TOKENS][:SAMPLE]
    numpy_ms = median_ms(lambda t: encoder.encode([t]), texts)

    import jax
    from faqbot.training import model as M

    trax_encoder = M.init_encoder(encoder.config, len(encoder.tokenizer.vocab))
    M.set_weights(trax_encoder, encoder.config, encoder.weights)
    forward = jax.jit(trax_encoder.pure_fn)
    weights, state, rng = trax_encoder.weights, trax_encoder.state, trax_encoder.rng
    ids = [encoder.tokenizer.batch([t]) for t in texts]
    for length in {i.shape[1] for i in ids}:  # compile every shape before timing
        jax.block_until_ready(forward(np.ones((1, length), np.int32), weights, state, rng)[0])
    trax_ms = median_ms(lambda i: jax.block_until_ready(forward(i, weights, state, rng)[0]), ids)
    return {
        "texts": len(texts),
        "numpy_ms_median": round(numpy_ms, 3),
        "trax_jit_ms_median": round(trax_ms, 3),
        "trax_over_numpy": round(trax_ms / numpy_ms, 2),
    }


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), Path(sys.argv[2]))))
