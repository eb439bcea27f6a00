"""The scale protocol: one FAQ at 250 to 100,000 phrasings, how fast and how right it stays.

The FAQ is synthetic but made of real questions: the distinct texts of Banking77 and of the
training sources that are not about software (home assistant, music, flights, medicine,
news, captions), in entries of five, shuffled, so every size is a prefix of the next and
mixes every domain; copies edited as in distillation (`training.augment`) fill what the
real texts do not. Queries: held-out texts of the same sources (in the FAQ's domains, their
own entries absent) and StackFAQ rephrasings (programming questions: unrelated to every
entry), whose answers count as wrong.

`python -m bench.scale build --out build/bench` writes `scale-<N>/faq.yaml` and
`queries.csv`; `python -m bench.scale measure FOLDER` times one size in a fresh process on
one core and prints JSON (run it twice with the same `--cache` for the warm start-up).
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"  # one core: BLAS must not spread a matmul over both

import csv  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import secrets  # noqa: E402
import shutil  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import click  # noqa: E402
import numpy as np  # noqa: E402

from bench.protocols import DATA, FaqItem, Protocol, _csv_rows, stackfaq  # noqa: E402

SIZES = (250, 2_500, 25_000, 100_000)  # phrasings
PER_ENTRY = 5
IN_DOMAIN = 300  # held-out texts of the FAQ's sources
OFF_DOMAIN = 150  # StackFAQ rephrasings, one per qapair
TIMED_PASSES = 3  # times each query is answered for the latency percentiles
MAX_CHARS = 120  # longer texts (news sentences) are not what people ask an FAQ
BUNDLED = Path(__file__).resolve().parent.parent / "faqbot" / "models" / "default"
SOURCES = ("hwu64", "snips", "atis", "medical-qp", "mrpc", "sick", "sts-benchmark", "semeval-sts")


def _pool(data: Path) -> list[str]:
    """Distinct texts (by normalised form) of Banking77 and SOURCES, in file order; not those
    the bundled model's training held out (a real FAQ does not hold them: calibration would
    ask only those)."""
    from faqbot.matching.encoder import LstmEncoder
    from faqbot.matching.normalize import normalize
    from recipes.train_data import READERS

    texts = [row["text"] for name in ("train", "test") for row in _csv_rows(data / "eval" / "banking77" / f"{name}.csv")]
    for source in SOURCES:
        kind, read = READERS[source]
        for first, second in read(data / "train" / source):
            texts.extend([first.strip()] if kind == "groups" else [first.strip(), second.strip()])
    seen = set(LstmEncoder.load(BUNDLED).held_out_texts)
    distinct = []
    for text in texts:
        key = normalize(text)
        if key and key not in seen and len(text) <= MAX_CHARS:
            seen.add(key)
            distinct.append(text)
    return distinct


def protocols(data: Path = DATA, sizes: tuple[int, ...] = SIZES) -> list[Protocol]:
    """One protocol per size; the entries of each are the first of the next."""
    from faqbot.matching.normalize import normalize
    from faqbot.training.augment import augment

    rng = np.random.default_rng(0)
    pool = _pool(data)
    held = set(rng.choice(len(pool), IN_DOMAIN, replace=False).tolist())
    in_domain = [pool[i] for i in sorted(held)]
    texts = [t for i, t in enumerate(pool) if i not in held]
    need = max(sizes)
    if len(texts) < need:  # edited copies, distinct from every real text once normalised
        known = {normalize(t) for t in pool}
        copies = [c for c in augment([normalize(t) for t in texts], copies=2, seed=0) if c not in known]
        texts += [copies[i] for i in rng.permutation(len(copies))[: need - len(texts)]]
    chunks = [texts[i : i + PER_ENTRY] for i in range(0, need, PER_ENTRY)]
    order = rng.permutation(len(chunks))
    entries = [FaqItem(f"scale-{n:05d}", chunks[i], f"Answer {n}.") for n, i in enumerate(order)]
    stack = stackfaq(data).queries
    off_domain = [text for text, _ in stack[:: len(stack) // OFF_DOMAIN]][:OFF_DOMAIN]
    queries = [(t, "") for t in in_domain + off_domain]  # no entry to find; the last OFF_DOMAIN are unrelated
    return [Protocol(f"scale-{size}", entries[: size // PER_ENTRY], queries) for size in sizes]


PARTS = 100  # files of the folder version (many teams' FAQs merged), for the reload


def write_parts(protocol: Protocol, folder: Path) -> Path:
    """The protocol's FAQ as PARTS files under folder/faq-parts (the edit touches one)."""
    parts = folder / "faq-parts"
    parts.mkdir(parents=True, exist_ok=True)
    size = -(-len(protocol.entries) // PARTS)
    for n in range(PARTS):
        chunk = Protocol(f"part-{n:03d}", protocol.entries[n * size : (n + 1) * size], [])
        if chunk.entries:
            (parts / f"{chunk.name}.yaml").write_text((chunk.write(folder / "tmp") / "faq.yaml").read_text())
    shutil.rmtree(folder / "tmp", ignore_errors=True)
    return parts


def _rss_mb() -> float:
    with open("/proc/self/statm") as file:
        return int(file.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _decision(match) -> tuple[str, str | None]:
    return match.method, match.entry.id if match.entry else None


@click.group()
def cli() -> None:
    """Build or measure the scale protocol."""


@cli.command()
@click.option("--out", type=click.Path(path_type=Path), default=Path("build/bench"), show_default=True)
def build(out: Path) -> None:
    """Write scale-<N>/faq.yaml and queries.csv for every size."""
    for protocol in protocols():
        folder = protocol.write(out)
        write_parts(protocol, folder)
        click.echo(folder)


@cli.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--model", type=click.Path(path_type=Path), default=Path("faqbot/models/default"), show_default=True)
@click.option("--cache", type=click.Path(path_type=Path), default=None, help="Index cache folder (none: no cache).")
@click.option("--compare/--no-compare", default=True, help="Also answer through the exact path (slow at 100k).")
def measure(folder: Path, model: Path, cache: Path | None, compare: bool) -> None:
    """Load, index and answer one size in this process, as the served app does (the graph
    built in the background); print JSON."""
    from faqbot.faq.loading import load_faq
    from faqbot.matching.decision import Calibration
    from faqbot.matching.encoder import LstmEncoder
    from faqbot.matching.matcher import Matcher

    start = time.perf_counter()
    faq = load_faq(folder / "faq.yaml", cache=cache)
    loaded = time.perf_counter()
    encoder = LstmEncoder.load(model)
    matcher = Matcher(faq, encoder, Calibration(), index_cache=cache, background=True)
    ready = time.perf_counter()
    matcher._vectors.ready.wait()
    graph = time.perf_counter()
    gc.freeze()  # as `faqbot serve` does
    with open(folder / "queries.csv", newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    unrelated = {row["text"] for row in rows[-OFF_DOMAIN:]}
    for row in rows[:20]:  # warm-up: first calls pay for lazy imports
        matcher.match(row["text"])
    times, answered, decisions = [], {"in_domain": [0, 0], "off_domain": [0, 0]}, []
    for row in rows:
        t0 = time.perf_counter()
        match = matcher.match(row["text"])
        times.append((time.perf_counter() - t0) * 1000.0)
        kind = "off_domain" if row["text"] in unrelated else "in_domain"
        channel = matcher.match(row["text"], surface="channel")
        answered[kind][0] += match.answered
        answered[kind][1] += channel.answered
        decisions.append(_decision(match) + _decision(channel))
    for _ in range(TIMED_PASSES - 1):  # more timings, so the p99 is not two slow messages
        for row in rows:
            t0 = time.perf_counter()
            matcher.match(row["text"])
            times.append((time.perf_counter() - t0) * 1000.0)
    rss, peak = _rss_mb(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    same = len(rows)
    if compare and not matcher.exact:  # the same questions through the exact path: every phrasing scored
        matcher.exact_max = len(matcher.phrasings)
        same = sum(_decision(matcher.match(r["text"])) + _decision(matcher.match(r["text"], surface="channel")) == d
                   for r, d in zip(rows, decisions))
    print(json.dumps({
        "phrasings": len(matcher.phrasings), "entries": len(faq),
        "load_s": round(loaded - start, 2), "start_s": round(ready - start, 2), "graph_s": round(graph - start, 2),
        "approximate": matcher._vectors.approximate,
        "rss_mb": round(rss, 1), "peak_rss_mb": round(peak, 1), "same_as_exact": round(same / len(rows), 4) if compare else None,
        "timed": len(times), "ms_p50": round(float(np.percentile(times, 50)), 3),
        "ms_p99": round(float(np.percentile(times, 99)), 3),
        "off_domain": len(unrelated), "off_domain_answered_direct": answered["off_domain"][0],
        "off_domain_answered_channel": answered["off_domain"][1],
    }))


def _texts(folder: Path) -> list[str]:
    """The questions of a scale set."""
    with open(folder / "queries.csv", newline="", encoding="utf-8") as file:
        return [row["text"] for row in csv.DictReader(file)]


def _timer(served: list) -> Callable[[str], float]:
    """Milliseconds the matcher served now (`served[0]`, swapped by a reload) takes to answer a text."""
    def timed(text: str) -> float:
        t0 = time.perf_counter()
        served[0].match(text)
        return (time.perf_counter() - t0) * 1000.0

    return timed


@cli.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--model", type=click.Path(path_type=Path), default=Path("faqbot/models/default"), show_default=True)
@click.option("--cache", type=click.Path(path_type=Path), default=None, help="Index cache folder (none: no cache).")
def calibrate(folder: Path, model: Path, cache: Path | None) -> None:
    """What `faqbot calibrate` does, in a fresh process: time and memory of the fit alone,
    then the unrelated questions asked with the calibration it chose; print JSON."""
    from faqbot.faq.loading import load_faq
    from faqbot.matching.calibration import fit
    from faqbot.matching.decision import Calibration
    from faqbot.matching.encoder import LstmEncoder
    from faqbot.matching.matcher import Matcher

    matcher = Matcher(load_faq(folder / "faq.yaml", cache=cache), LstmEncoder.load(model), Calibration(),
                      index_cache=cache)
    loaded_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rss = _rss_mb()
    start = time.perf_counter()
    matcher.calibration = fit(matcher)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with open(folder / "queries.csv", newline="", encoding="utf-8") as file:
        unrelated = [row["text"] for row in csv.DictReader(file)][-OFF_DOMAIN:]
    answered = {surface: sum(matcher.match(t, surface=surface).answered for t in unrelated)
                for surface in ("direct", "channel")}
    print(json.dumps({
        "phrasings": len(matcher.phrasings), "calibrate_s": round(seconds, 1),
        "asked": matcher.calibration.fitted["faq_side_questions"] // 2,
        "rss_before_mb": round(rss, 1), "peak_rss_before_mb": round(loaded_peak, 1), "peak_rss_mb": round(peak, 1),
        "grew_mb": round(max(0.0, peak - max(loaded_peak, rss)), 1),
        "calibration": {"direct": matcher.calibration.direct, "channel": matcher.calibration.channel},
        "off_domain": len(unrelated), "off_domain_answered_direct": answered["direct"],
        "off_domain_answered_channel": answered["channel"],
    }))


@cli.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--model", type=click.Path(path_type=Path), default=Path("faqbot/models/default"), show_default=True)
@click.option("--cache", type=click.Path(path_type=Path), default=None, help="Index cache folder (none: no cache).")
def reload(folder: Path, model: Path, cache: Path | None) -> None:
    """Edit one entry of folder/faq-parts while answering; print JSON: how long until the
    edit is served, and per-message latency before and during the reload."""
    from faqbot.faq.loading import load_faq
    from faqbot.faq.reload import FaqReloader
    from faqbot.matching.decision import Calibration
    from faqbot.matching.encoder import LstmEncoder
    from faqbot.matching.matcher import Matcher

    work = folder / "reload-work"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(folder / "faq-parts", work)
    served = [Matcher(load_faq(work), LstmEncoder.load(model), Calibration(), index_cache=cache)]
    gc.freeze()  # as `faqbot serve` does
    reloader = FaqReloader(work, lambda: served[0], lambda new: served.__setitem__(0, new), cache)
    texts, timed = _texts(folder), _timer(served)

    normal = [timed(t) for t in texts * 2]
    part = sorted(work.glob("*.yaml"))[len(list(work.glob("*.yaml"))) // 2]
    text = part.read_text(encoding="utf-8")
    entry = text.split("- id: ")[1].split("\n")[0]
    question = f"where do i book the quarterly bike shed inspection {secrets.token_hex(3)}"  # new to every cache
    stop = reloader.start()
    time.sleep(1.0)  # the watcher's first look
    edited = time.perf_counter()
    old = next(line for line in text.splitlines() if line.startswith("  question: "))
    part.write_text(text.replace(old, f"  question: {question}", 1), encoding="utf-8")  # the part's first entry
    during, found = [], None
    while found is None and time.perf_counter() - edited < 60:
        during.append(timed(texts[len(during) % len(texts)]))
        match = served[0].match(question)
        if match.entry is not None and match.entry.id == entry:
            found = time.perf_counter() - edited
    stop.set()
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({
        "phrasings": len(served[0].phrasings), "edit_served_s": None if found is None else round(found, 2),
        "ms_p99_normal": round(float(np.percentile(normal, 99)), 3),
        "ms_p99_during_reload": round(float(np.percentile(during, 99)), 3), "answered_during_reload": len(during),
    }))


@cli.command(name="background-calibration")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--model", type=click.Path(path_type=Path), default=Path("faqbot/models/default"), show_default=True)
@click.option("--cache", type=click.Path(path_type=Path), required=True, help="Index cache folder (copied first).")
def background_calibration(folder: Path, model: Path, cache: Path) -> None:
    """`faqbot serve` on FOLDER without a calibration file: start with the built-in one and
    calibrate in the background while answering; print JSON: how long until the FAQ's own is
    served, and per-message latency before and while it is fitted."""
    from faqbot.cli.pipeline import serving_matcher, settings
    from faqbot.faq.reload import FaqReloader

    work = cache.with_name(cache.name + "-uncalibrated")  # the warm cache, without a kept calibration
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(cache, work, ignore=shutil.ignore_patterns("calibration-*.json"))
    config = settings(faq_path=folder / "faq.yaml", model=model, index_cache=work)
    matcher, later = serving_matcher(config)
    served = [matcher]
    matcher._vectors.ready.wait()
    gc.freeze()  # as `faqbot serve` does
    reloader = FaqReloader(config.faq_path, lambda: served[0], lambda new: served.__setitem__(0, new), work)
    texts, timed = _texts(folder), _timer(served)

    normal = [timed(t) for t in texts * 2]
    done: list[bool] = []
    fitting = threading.Thread(target=lambda: done.append(later is not None and reloader.recalibrate(later)))
    start = time.perf_counter()
    fitting.start()
    during = []
    while fitting.is_alive():
        during.append(timed(texts[len(during) % len(texts)]))
    seconds = time.perf_counter() - start
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({
        "phrasings": len(served[0].phrasings), "served_s": round(seconds, 1) if done == [True] else None,
        "ms_p99_normal": round(float(np.percentile(normal, 99)), 3),
        "ms_p99_while_fitting": round(float(np.percentile(during, 99)), 3), "answered_while_fitting": len(during),
        "calibration": {"direct": served[0].calibration.direct, "channel": served[0].calibration.channel},
    }))


@cli.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--records", type=int, default=100_000, show_default=True)
@click.option("--model", type=click.Path(path_type=Path), default=Path("faqbot/models/default"), show_default=True)
def home(folder: Path, records: int, model: Path) -> None:
    """What the admin Home tab computes (last week's stats and unanswered groups) over a store
    of RECORDS questions (a third unanswered, the queries of FOLDER reworded); print JSON."""
    import random
    from datetime import UTC, datetime, timedelta

    from faqbot.insights.report import DEFAULT_PERIOD, since, stats, unanswered_groups
    from faqbot.matching.encoder import LstmEncoder
    from faqbot.store import tables
    from faqbot.store.sql import SqlStore

    with open(folder / "queries.csv", newline="", encoding="utf-8") as file:
        texts = [row["text"] for row in csv.DictReader(file)]
    path = folder / "home-store.db"
    path.unlink(missing_ok=True)
    store = SqlStore.open(f"sqlite:///{path}")
    rng, now = random.Random(0), datetime.now(UTC)
    rows = []
    for i in range(records):
        answered = rng.random() > 1 / 3
        rows.append({"id": f"q{i}", "at": now - timedelta(seconds=rng.randrange(7 * 86400)), "surface": "channel",
                     "user_hash": f"u{i % 500}", "normalized": f"{texts[i % len(texts)].lower()} {i % 7}",
                     "entry_id": "scale-00001" if answered else None, "score": 0.5,
                     "method": "semantic" if answered else "none", "answered": answered})
    with store.engine.begin() as connection:
        connection.execute(tables.questions.insert(), rows)
    encoder = LstmEncoder.load(model)
    seconds = []
    for _ in range(2):  # the first open after a start, then one that finds the encodings kept
        start = time.perf_counter()
        period = since(DEFAULT_PERIOD)
        usage, groups = stats(store, period), unanswered_groups(store, period, encoder)
        seconds.append(time.perf_counter() - start)
    path.unlink(missing_ok=True)
    print(json.dumps({"records": records, "questions_in_period": usage.questions, "groups": len(groups),
                      "home_tab_s": round(seconds[0], 3), "home_tab_again_s": round(seconds[1], 3)}))


if __name__ == "__main__":
    cli()
