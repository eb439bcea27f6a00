"""`make bench`: build the benchmark sets, fine-tune, run `faqbot eval`, write BENCHMARKS.md.

Every number in BENCHMARKS.md comes from a command listed beside it (`faqbot eval --json`,
`faqbot train`, `python -m bench.speed`), so anyone can re-run one line and check it.
Models that take minutes to train from scratch (the design model) are reused from
build/models/ when present; fine-tuning is always redone, since its time is measured.
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import click

from bench.protocols import DATA, PROTOCOLS
from faqbot.matching.decision import Calibration

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = "faqbot/models/default"
EDITS = 3  # reload measurements of the largest FAQ (they vary from run to run)
DESIGN = "build/models/design"


@dataclass
class Log:
    """Every command run, in order, with its wall time: the "Commands" section."""

    lines: list[str] = field(default_factory=list)

    def run(self, *args: str) -> tuple[str, float]:
        """`python -m ARGS` in the repository root; shown as `faqbot ...` for the CLI."""
        shown = shlex.join(args) if args[0] == "faqbot" else f"python -m {shlex.join(args)}"
        start = time.perf_counter()
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "FAQBOT_INDEX_CACHE": "none"}
        done = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True,
                              check=False, env=env)
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            raise click.ClickException(f"{shown} failed:\n{done.stderr[-3000:]}")
        self.lines.append(f"{shown}   # {seconds:.1f} s")
        return done.stdout, seconds


@dataclass(frozen=True)
class Row:
    protocol: str
    pipeline: str
    result: dict[str, Any] | None  # None: not applicable (the reason is the pipeline text)


def evaluate(log: Log, protocol: str, pipeline: str, *flags: str) -> Row:
    folder = f"build/bench/{protocol}"
    out, _ = log.run("faqbot", "eval", "--faq", f"{folder}/faq.yaml", "--queries", f"{folder}/queries.csv",
                     "--json", *flags)
    row = Row(protocol, pipeline, json.loads(out))
    top1 = row.result["top1"]  # None when every query is out of scope (the timing set)
    click.echo(f"{protocol:14} {pipeline:48} top1 {'–' if top1 is None else f'{top1:.3f}'}")
    return row


def fine_tune(log: Log, base: str, protocol: str, name: str, seed: int = 0) -> tuple[str, float]:
    out = f"build/bench/{protocol}/{name}"
    _, seconds = log.run("faqbot", "train", "--init", base, "--faq", f"build/bench/{protocol}/faq.yaml", "--out", out,
                         "--seed", str(seed))
    return out, seconds


SEEDS = (0, 1, 2)


def quality_rows(log: Log) -> tuple[list[Row], dict[str, list[float]], list[Row]]:
    """Every protocol: n-grams alone, the encoder alone, the two fused (the served pipeline),
    zero-shot and fine-tuned on the FAQ with three seeds; all FAQ-calibrated."""
    rows, tune_seconds, seeded = [], {}, []
    for protocol in ("banking77", "banking77-oos", "stackfaq"):
        has_alternates = protocol != "stackfaq"  # FAQ-1: one phrasing per entry, nothing to pair or calibrate
        calibrated = ("--calibrate", "faq") if has_alternates else ()
        rows.append(evaluate(log, protocol, "n-grams only (no encoder)", "--model", "none", *calibrated))
        rows.append(evaluate(log, protocol, "bundled LSTM alone, zero-shot", "--semantic-weight", "1",
                             "--no-fuzzy-fallback", *calibrated))
        rows.append(evaluate(log, protocol, "LSTM + n-grams, zero-shot", *calibrated))
        if not has_alternates:
            rows.append(Row(protocol, "fine-tuning: n/a (FAQ-1 has no alternates to pair)", None))
            continue
        tune_seconds[protocol] = []
        for seed in SEEDS:
            tuned, seconds = fine_tune(log, BUNDLED, protocol, f"finetuned-s{seed}", seed)
            tune_seconds[protocol].append(seconds)
            if seed == SEEDS[0]:
                rows.append(evaluate(log, protocol, f"LSTM alone, fine-tuned (seed {seed})", "--model", tuned,
                                     "--semantic-weight", "1", "--no-fuzzy-fallback", *calibrated))
            seeded.append(evaluate(log, protocol, f"LSTM + n-grams, fine-tuned (seed {seed})", "--model", tuned,
                                   *calibrated))
        rows.append(seeded[-len(SEEDS)])
        if protocol == "banking77-oos":
            rows.append(evaluate(log, protocol, "LSTM + n-grams, fine-tuned (seed 0), *hindsight* bar", "--model",
                                 f"build/bench/{protocol}/finetuned-s0", "--calibrate",
                                 f"build/bench/{protocol}/queries.csv", "--plot", f"build/bench/{protocol}/sweep.png"))
    return rows, tune_seconds, seeded


def design_rows(log: Log) -> list[Row]:
    """The design's own configuration (word vocabulary, triplet loss only), for comparison."""
    config = ROOT / DESIGN / "config.json"
    if config.exists():
        seconds = json.loads(config.read_text())["training"]["seconds"]
        log.lines.append(f"faqbot train build/train/*.csv --preset design --out {DESIGN}   # reused, {seconds:.0f} s")
    else:
        inputs = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "build" / "train").glob("*.csv"))
        log.run("faqbot", "train", *inputs, "--preset", "design", "--out", DESIGN)
    rows = [evaluate(log, p, "design LSTM (word vocab), zero-shot", "--model", DESIGN, "--semantic-weight", "1",
                     "--no-fuzzy-fallback") for p in ("banking77", "stackfaq")]
    tuned, _ = fine_tune(log, DESIGN, "banking77", "design-finetuned")
    rows.append(evaluate(log, "banking77", "design LSTM fine-tuned (vocabulary grown)", "--model", tuned,
                         "--semantic-weight", "1", "--no-fuzzy-fallback"))
    return rows


def vocabulary_rows() -> list[tuple[str, str, float]]:
    """How much of each benchmark's queries each tokenizer cannot see."""
    import csv

    from faqbot.matching.encoder import LstmEncoder
    from faqbot.matching.normalize import normalize

    models = {"design word vocabulary": DESIGN, "design, grown on the Banking77 FAQ":
              "build/bench/banking77/design-finetuned", "bundled wordpiece": BUNDLED}
    rows = []
    for protocol in ("banking77", "stackfaq"):
        with open(ROOT / f"build/bench/{protocol}/queries.csv", newline="", encoding="utf-8") as file:
            texts = [normalize(r["text"]) for r in csv.DictReader(file)]
        for name, folder in models.items():
            if protocol == "stackfaq" and "grown" in name:
                continue
            rows.append((protocol, name, LstmEncoder.load(ROOT / folder).tokenizer.unknown_rate(texts)))
    return rows


def cold_start(log: Log) -> float:
    """Median wall time of `faqbot ask` with the bundled model and sample FAQ, index cache warm."""
    command = [sys.executable, "-m", "faqbot", "ask", "how do I reset my password"]
    subprocess.run(command, cwd=ROOT, capture_output=True, check=True)  # fills the index cache
    times = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    log.lines.append(f"faqbot ask 'how do I reset my password'   # x5, median {statistics.median(times):.2f} s")
    return statistics.median(times)


def scale_results(log: Log) -> tuple[list[tuple[int, dict, dict, dict]], list[dict], dict, dict]:
    """Each size of the scale protocol started cold (empty index cache) and warm, then
    calibrated, in fresh processes; then an edit of the largest FAQ while answering, the Home
    tab, and the largest FAQ calibrated in the background while answering. (bench.scale is run, never
    imported: it limits BLAS to one thread for the whole process.)"""
    log.run("bench.scale", "build", "--out", "build/bench")
    sizes = sorted(int(f.name.split("-")[1]) for f in (ROOT / "build" / "bench").glob("scale-*") if f.name[6:].isdigit())
    results = []
    for size in sizes:
        folder, cache = f"build/bench/scale-{size}", f"build/bench/scale-{size}-cache"
        shutil.rmtree(ROOT / cache, ignore_errors=True)
        cold, _ = log.run("bench.scale", "measure", folder, "--cache", cache)
        warm, _ = log.run("bench.scale", "measure", folder, "--cache", cache, "--no-compare")
        calibrated, _ = log.run("bench.scale", "calibrate", folder, "--cache", cache)
        results.append((size, json.loads(cold), json.loads(warm), json.loads(calibrated)))
    edits = [json.loads(log.run("bench.scale", "reload", f"build/bench/scale-{sizes[-1]}", "--cache",
                                f"build/bench/scale-{sizes[-1]}-cache")[0]) for _ in range(EDITS)]
    home, _ = log.run("bench.scale", "home", f"build/bench/scale-{sizes[-1]}")
    later, _ = log.run("bench.scale", "background-calibration", f"build/bench/scale-{sizes[-1]}", "--cache",
                       f"build/bench/scale-{sizes[-1]}-cache")
    return results, edits, json.loads(home), json.loads(later)


def scale_lines(results: list[tuple[int, dict, dict, dict]], edits: list[dict], home: dict, later: dict) -> list[str]:
    rows, calibrated = [], []
    for size, cold, warm, fit in results:
        same = "exact path" if size <= 1000 else f"{cold['same_as_exact']:.2%}"
        rows.append(
            f"| {size:,} | {cold['start_s']:.1f} s ({cold['load_s']:.1f} s YAML) | {warm['start_s']:.1f} s"
            f" | {cold['graph_s']:.1f} s / {warm['graph_s']:.1f} s | {warm['rss_mb']:.0f} MB"
            f" | {warm['ms_p50']:.2f} / {warm['ms_p99']:.2f} ms ({warm['timed']:,}) | {same}"
            f" | {warm['off_domain_answered_direct']} / {warm['off_domain_answered_channel']} of {warm['off_domain']} |")
        calibrated.append(
            f"| {size:,} | {fit['asked']:,} | {fit['calibrate_s']:.1f} s | {fit['peak_rss_mb']:.0f} MB"
            f" (+{fit['grew_mb']:.0f} MB) | {fit['calibration']['direct']:.2f} / {fit['calibration']['channel']:.2f}"
            f" | {fit['off_domain_answered_direct']} / {fit['off_domain_answered_channel']} of {fit['off_domain']} |")
    served = ", ".join(f"{e['edit_served_s']}" for e in edits)
    normal = ", ".join(f"{e['ms_p99_normal']:.1f}" for e in edits)
    during = ", ".join(f"{e['ms_p99_during_reload']:.1f}" for e in edits)
    return [
        "## Scale: one FAQ from 250 to 100,000 phrasings",
        "",
        "`bench/scale.py`: real questions in entries of five (Banking77, home-assistant, flight, music, medical and"
        " caption texts; edited copies fill the 100k), 300 held-out questions of the same sources and 150 StackFAQ"
        " rephrasings (unrelated: programming). Each size in fresh processes on one core, as the served app runs:"
        " the HNSW graph (≥ 20,000 phrasings) built in the background while every phrasing is scanned. Cold: an"
        " empty index cache; warm: the same cache again. Latency per message through `Matcher.match`, warm (each query"
        " three times: how many timed in brackets);"
        " \"same\": decisions (method and entry, DM and channel) equal to scoring every phrasing. Unrelated answered:"
        " the StackFAQ questions given an answer in a DM / unasked in a channel, with the built-in calibration"
        " (fitted on the sample FAQ): what serves a FAQ of over 2,000 phrasings that has no calibration file and no"
        " `faqbot index` run (smaller ones are calibrated at start-up, as in the second table).",
        "",
        "| phrasings | start-up cold | start-up warm | graph ready cold / warm | RSS warm | p50 / p99 | same as exact"
        " | unrelated answered |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        f"- Editing one entry of the {edits[0]['phrasings']:,}-phrasing FAQ (100 files) while answering"
        f" nonstop, {len(edits)} times in fresh processes: served {served} s after the file was written (the"
        f" watcher polls four times a second); p99 per message {normal} ms before, {during} ms while reloading.",
        f"- The admin Home tab over {home['records']:,} recorded questions (a third unanswered): last week's stats"
        f" and unanswered groups computed in {home['home_tab_s']:.2f} s at the first open, {home['home_tab_again_s']:.2f} s"
        f" at the next ({home['groups']} groups of the newest 2,000 unanswered; their encodings are kept).",
        "",
        "Each size calibrated on itself in a fresh process (what `faqbot calibrate` does, and without a calibration"
        " file `faqbot index` or a start-up up to 2,000 phrasings: up to 4,000 phrasings"
        " asked, against their candidates; only those the model's training held out when there are 20 or more),"
        " then the unrelated questions asked again:",
        "",
        "| phrasings | phrasings asked | calibrate | peak RSS of the process (grown by the fit) | direct / channel bar"
        " | unrelated answered (DM / channel) |",
        "|---|---|---|---|---|---|",
        *calibrated,
        "",
        f"- `faqbot serve` on the {later['phrasings']:,}-phrasing FAQ without a calibration file or a kept fit: it"
        f" answered at once with the built-in calibration while fitting the FAQ's own in a forked child, served"
        f" {later['served_s']} s later (direct / channel bar {later['calibration']['direct']:.2f} /"
        f" {later['calibration']['channel']:.2f}); p99 per message {later['ms_p99_normal']:.1f} ms before,"
        f" {later['ms_p99_while_fitting']:.1f} ms while fitting ({later['answered_while_fitting']:,} answered).",
        "",
    ]


def _cell(value: Any) -> str:
    return "–" if value is None else f"{value:.3f}"


def ms(part: dict[str, float]) -> str:
    return f"p50 {part['p50']:.0f} ms, p99 {part['p99']:.0f} ms, max {part['max']:.0f} ms"


def slack_lines(calm: dict[str, Any], burst: dict[str, Any]) -> list[str]:
    return [
        "- Slack HTTP mode (`python -m bench.slack`: signed message events through waitress, the bundled model,",
        "  the sample FAQ and a SQLite store, replies to the tests' fake Slack; sender, server and fake share one",
        "  process, so these are upper bounds). Slack allows 3,000 ms for the acknowledgement.",
        f"  - One message at a time ({calm['events']} events): acknowledged {ms(calm['ack_ms'])};"
        f" reply posted {ms(calm['reply_ms'])} after sending.",
        f"  - A burst of {burst['events']} messages from {burst['senders']} senders at once"
        f" ({burst['http_threads']} server threads), the Web API taking {burst['api_delay_s'] * 1000:.0f} ms a call:"
        f" acknowledged {ms(burst['ack_ms'])}, {burst['non_200']} requests refused; {burst['replies']} replies, posted"
        f" {ms(burst['reply_ms'])} after sending; {burst['events_per_s']:.0f} messages/s.",
        *(f"  - `/faq` commands and button clicks sent during that burst ({kind}s:"
          f" {probe['sent']} sent, {probe['non_200']} refused, **{probe['over_3s']} acknowledged after 3 s**):"
          f" acknowledged {ms(probe['ack_ms'])}."
          for kind, probe in burst["probes"].items()),
    ]


def processes_lines(result: dict[str, Any]) -> list[str]:
    replies, records, retries = result["replies"], result["records"], result["retries"]
    return [
        "## Several processes: one port, one PostgreSQL",
        "",
        f"`python -m bench.processes`: {result['processes']} `faqbot serve --mode http` processes (the bundled model,"
        " the sample FAQ, one index cache folder) behind a round-robin proxy on one port, sharing one PostgreSQL"
        f" database; their Web API calls go to the tests' fake Slack, which takes {result['api_delay_s'] * 1000:.0f} ms"
        f" a call. {result['events']:,} messages ({result['dms']} DMs, the rest in a channel; FAQ phrasings and chatter)"
        f" from {result['senders']} senders at once, and {retries['sent']} Slack retries of them: {retries['at_once']}"
        f" sent with the first delivery (as Slack's first retry after a lost acknowledgement), {retries['later']} once"
        " the burst was handled (Slack backs off before retries 2 and 3). Sender, proxy and fake share one process.",
        "",
        f"- **{replies['duplicates']} messages answered twice**, {replies['missing']} left unanswered that should have"
        f" been: {replies['posted']} replies, {' / '.join(map(str, replies['per_process']))} by each process.",
        f"- **{records['lost']} records lost**, {records['duplicates']} recorded twice: {records['written']} of the"
        f" {records['expected']} expected (every DM, every channel message that looks like a question).",
        f"- {result['retried_messages_on_several_processes']} retried messages reached more than one process;"
        f" {result['retries_before_the_reply']} retries arrived before their message's reply was posted.",
        f"- Acknowledged (timed at the proxy) {ms(result['ack_ms'])}; {result['non_200']} requests refused;"
        f" {' / '.join(map(str, result['requests_per_process']))} requests per process. The burst handled in"
        f" {result['handled_s']:.1f} s ({result['events_per_s']:.0f} messages/s); the processes started in"
        f" {result['startup_s']:.1f} s, using {' / '.join(map(str, result['rss_mb_per_process']))} MB of memory each"
        f" at the end; {result['errors_logged']} errors logged.",
        "",
    ]


def seed_lines(seeded: list[Row]) -> list[str]:
    """Mean ± sd over the seeds of each fine-tuned protocol."""
    lines = []
    for protocol in dict.fromkeys(r.protocol for r in seeded):
        results = [r.result for r in seeded if r.protocol == protocol]
        parts = []
        for key in ("top1", "decision_accuracy", "coverage_at_90", "coverage_at_95"):
            values = [r[key] for r in results]
            parts.append(f"{key} {statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"
                         f" ({', '.join(f'{v:.3f}' for v in values)})")
        lines.append(f"- {protocol}, LSTM + n-grams fine-tuned, seeds {', '.join(map(str, SEEDS))}: " + "; ".join(parts))
    return lines


def chatter_lines(result: dict[str, Any]) -> list[str]:
    total, scope = result["total"], result["in_scope"]
    answered = [a for k in ("written", "intent sets") for a in result[k]["answered"]]
    return [
        f"- Channel bar {total['channel_bar']:g} (the sample FAQ's `faq_data/calibration.json`, bundled model).",
        f"- Chatter: {total['messages']} messages ({result['written']['messages']} written, "
        f"{result['intent sets']['messages']} from intent sets unlike the FAQ); "
        f"{result['written']['look_like_questions'] + result['intent sets']['look_like_questions']} pass the question"
        f" gate; **{total['public_answers']} get a public answer ({total['rate']:.1%})**"
        + (f": {answered}" if answered else "") + ".",
        f"- Typos and paraphrases of the sample FAQ asked in a channel: {scope['answered_right']} of"
        f" {scope['questions']} answered right, {len(scope['answered_wrong'])} wrong, {len(scope['quiet'])} quiet"
        + (f" ({scope['quiet']})" if scope["quiet"] else "") + ".",
    ]


def markdown(rows: list[Row], tune: dict[str, list[float]], seeded: list[Row], chatter: dict[str, Any], vocab: list,
             speed: dict, cold: float, scale: Row, slack: list[str], big: list[str], several: list[str],
             log: Log) -> str:
    header = ("| protocol | pipeline | direct bar | top1 | mrr | answered correct | out-of-scope abstained |"
              " wrong among answers | decision accuracy | coverage at 90% precision | at 95% |"
              " channel: answered correct | channel: wrong among answers | fuzzy answers (right) | p50 ms |")
    table = [header, "|" + "---|" * (header.count("|") - 1)]
    for row in rows:
        r = row.result
        if r is None:
            table.append(f"| {row.protocol} | {row.pipeline} |" + " |" * 13)
            continue
        fuzzy = r["methods"]["fuzzy"]
        table.append(
            f"| {row.protocol} | {row.pipeline} | {r['threshold']:g} | {_cell(r['top1'])} | {_cell(r['mrr'])} |"
            f" {_cell(r['answered_correct'])} | {_cell(r['oos_recall'])} | {_cell(r['wrong_answer_share'])} |"
            f" {_cell(r['decision_accuracy'])} | {_cell(r['coverage_at_90'])} | {_cell(r['coverage_at_95'])} |"
            f" {_cell(r['channel']['answered_correct'])} | {_cell(r['channel']['wrong_answer_share'])} |"
            f" {fuzzy['count']} ({fuzzy['correct']}) | {r['ms_per_query_p50']:.2f} |"
        )
    size = sum(p.stat().st_size for p in (ROOT / BUNDLED).iterdir()) / 1e6
    return "\n".join([
        "# Benchmarks",
        "",
        f"Produced by `make bench` on {date.today().isoformat()} ({platform.machine()}, {os.cpu_count()} cores,"
        f" Python {platform.python_version()}). Protocols: `../shared/data/README.md`; the sets are built by",
        "`bench/protocols.py` into `build/bench/`. Metrics: see `faqbot eval` in the README. Entries are ranked by",
        "the fused score w × LSTM cosine + (1 − w) × character n-gram TF-IDF cosine, w chosen by `faqbot calibrate`",
        f"among 0.5–0.8 (the built-in calibration's {Calibration().semantic_weight:g} where a row is not calibrated;"
        " *LSTM alone* rows fix w = 1);",
        "answers are decided by the confidence against the direct bar (DMs, @mentions, `/faq`) and the",
        "channel bar (unasked channel replies), both from `faqbot calibrate` on the FAQ alone unless the row says",
        "*hindsight*. StackFAQ has no alternates to calibrate on, so its rows use the built-in calibration.",
        "",
        "## Match quality",
        "",
        *table,
        "",
        "Same-protocol reference points (`../shared/FINDINGS.md`, `../shared/data/README.md`): Banking77 FAQ-5",
        "top-1 rapidfuzz 0.447, TF-IDF char n-grams 0.562, all-MiniLM-L6-v2 0.756; StackFAQ FAQ-1 rapidfuzz 0.599,",
        "TF-IDF 0.720, all-MiniLM-L6-v2 0.945. StackFAQ has 1,249 queries: one of its 1,250 rephrasings is empty.",
        "",
        "*FAQ-calibrated*: `faqbot calibrate` logic on the FAQ alone (each alternate asked with and without its",
        "entry; for a fine-tuned model only the alternates its training held out), never the test queries.",
        "*Hindsight* rows choose the direct bar on the test queries: the best any bar could do, for comparison only.",
        "*Coverage at 90% precision*: in-scope queries answered correctly at the best bar whose answers (out-of-scope",
        "answers counting as wrong) are at least 90% right.",
        "",
        "### Fine-tuning over three seeds",
        "",
        *seed_lines(seeded),
        "",
        "Fine-tuning time (`faqbot train --init ... --faq ... --seed N`, 300 steps max, one phrasing of each entry",
        "held out for model selection and calibration): "
        + ", ".join(f"{p} {statistics.mean(s):.0f} s" for p, s in tune.items()) + " (mean of the seeds).",
        "",
        "## Chatter protocol: what gets a public answer in a channel (`python -m bench.chatter`)",
        "",
        *chatter_lines(chatter),
        "",
        "## Vocabulary: share of query tokens the encoder cannot see (unknown token)",
        "",
        "| protocol | tokenizer | unknown tokens |",
        "|---|---|---|",
        *(f"| {p} | {name} | {rate:.3%} |" for p, name, rate in vocab),
        "",
        "## Speed",
        "",
        f"- Encoding one message (≤ 30 tokens, {speed['texts']} Banking77 queries, one core): NumPy median"
        f" {speed['numpy_ms_median']:.3f} ms; the Trax model (jit-compiled) {speed['trax_jit_ms_median']:.3f} ms,"
        f" {speed['trax_over_numpy']:.1f}× the NumPy time, same run.",
        f"- Cold start of `faqbot ask` with the bundled model and the sample FAQ: median {cold:.2f} s.",
        f"- Bundled model size on disk: {size:.1f} MB.",
        f"- Scale, the served pipeline: {scale.result['n']} queries against {scale.result['n_entries']} entries"
        f" ({scale.result['n_phrasings']} phrasings), whole `faqbot eval` command in the log below;"
        f" served latency p50 {scale.result['ms_per_query_p50']:.2f} ms, p99 {scale.result['ms_per_query_p99']:.2f} ms.",
        *slack,
        "",
        *big,
        *several,
        "## Commands (in order, with wall time)",
        "",
        "```sh",
        *log.lines,
        "```",
        "",
    ])


@click.command()
@click.option("--data", type=click.Path(path_type=Path), default=DATA, show_default=True)
def main(data: Path) -> None:
    """Build the benchmark sets from DATA, measure, and write BENCHMARKS.md."""
    if not (data / "eval").is_dir():
        raise click.ClickException(f"benchmark data not found at {data} (expected ../shared/data/eval)")
    if not (ROOT / BUNDLED / "config.json").exists():
        raise click.ClickException(f"no bundled model at {BUNDLED}: run `make model` first")
    for name, build in PROTOCOLS.items():
        build(data).write(ROOT / "build" / "bench")
    log = Log()
    several, _ = log.run("bench.processes", "--processes", "3", "--events", "1000")  # first: it needs PostgreSQL
    log.run("recipes.train_data")  # the training inputs under build/train/, for the design model
    rows, tune, seeded = quality_rows(log)
    rows += design_rows(log)
    chatter, _ = log.run("bench.chatter")
    scale = evaluate(log, "scale", "timing, served pipeline (bundled LSTM + n-grams + fuzzy)")
    out, _ = log.run("bench.speed", BUNDLED, "build/bench/banking77/queries.csv")
    speed = json.loads(out)
    cold = cold_start(log)
    calm, _ = log.run("bench.slack", "--events", "200", "--senders", "1")
    burst, _ = log.run("bench.slack", "--events", "1000", "--senders", "16", "--api-delay", "0.3")
    slack = slack_lines(json.loads(calm), json.loads(burst))
    big = scale_lines(*scale_results(log))
    text = markdown(rows, tune, seeded, json.loads(chatter), vocabulary_rows(), speed, cold, scale, slack, big,
                    processes_lines(json.loads(several)), log)
    (ROOT / "BENCHMARKS.md").write_text(text, encoding="utf-8")
    click.echo("wrote BENCHMARKS.md")


if __name__ == "__main__":
    main()
