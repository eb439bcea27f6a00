"""Charts for admins: metrics against the threshold (`faqbot eval --plot`) and usage over
time (`faqbot report --plot`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from faqbot.insights.report import Stats


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: no display on servers and in CI
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise RuntimeError("plots need matplotlib: pip install 'faqbot[plot]'") from exc
    return plt


def _save(fig: Any, path: Path) -> None:
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)


def plot_sweep(rows: Sequence[dict[str, Any]], chosen: float, path: Path, title: str) -> None:
    """Draw `sweep` rows to a PNG; the dashed line marks the threshold in use."""
    plt = _pyplot()

    thresholds = [row["threshold"] for row in rows]
    series = {
        "decision accuracy": "decision_accuracy",
        "answered correctly (in scope)": "answered_correct",
        "coverage (answered / all)": "coverage",
        "wrong answers / all": "wrong_answer_rate",
        "out-of-scope abstained": "oos_recall",
    }
    fig, ax = plt.subplots(figsize=(8, 5))
    for label, key in series.items():
        values = [row[key] for row in rows]
        if any(v == v for v in values):  # skip all-NaN series (no out-of-scope queries)
            ax.plot(thresholds, values, label=label)
    ax.axvline(chosen, color="grey", linestyle="--", label=f"threshold {chosen:g}")
    ax.set(xlabel="threshold", ylabel="rate", ylim=(0, 1.02), title=title)
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    _save(fig, path)
    plt.close(fig)


def plot_report(stats: Stats, path: Path, title: str) -> None:
    """Questions per day by method (stacked bars) above the day's answer and helpful rates."""
    plt = _pyplot()
    days = [d.day for d in stats.days]
    fig, (counts, rates) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    bottom = [0] * len(days)
    for method, color in (("semantic", "tab:blue"), ("fuzzy", "tab:cyan"), ("none", "tab:grey")):
        values = [d.by_method[method] for d in stats.days]
        label = "not answered" if method == "none" else f"answered ({method})"
        counts.bar(days, values, bottom=bottom, color=color, label=label)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    counts.set(ylabel="questions", title=title)
    counts.legend(loc="upper left", fontsize="small")
    answer = [(d.questions - d.by_method["none"]) / d.questions if d.questions else float("nan") for d in stats.days]
    helpful = [d.helpful / (d.helpful + d.not_helpful) if d.helpful + d.not_helpful else float("nan")
               for d in stats.days]
    rates.plot(days, answer, marker="o", label="answer rate")
    rates.plot(days, helpful, marker="s", label="helpful rate (helpful / rated)")
    rates.set(ylabel="rate", ylim=(0, 1.02), xlabel="day (UTC)")
    rates.grid(alpha=0.3)
    rates.legend(loc="lower left", fontsize="small")
    fig.autofmt_xdate()
    _save(fig, path)
    plt.close(fig)
