"""A threshold chart for admins: accuracy, coverage and wrong answers against the threshold."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any


def plot_sweep(rows: Sequence[dict[str, Any]], chosen: float, path: Path, title: str) -> None:
    """Draw `sweep` rows to a PNG; the dashed line marks the threshold in use."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: no display on servers and in CI
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise RuntimeError("plots need matplotlib: pip install 'faqbot[plot]'") from exc

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
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
