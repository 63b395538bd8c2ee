"""A Table-2-style comparison of retrained models against their base: Acc / Len / AES / AUC per model,
with each model's training cost (from its result file's ``training`` record).

Used by ``elastic-bench baselines`` (printed) and the leaderboard's comparison view. Acc and Len are
the run's AES point (unconstrained, else the largest budget); AES uses mean total tokens, as
``elastic-bench report`` does.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from elastic_bench.harness.metrics import aes_base_point
from elastic_bench.harness.report import point_aes, sweep_auc
from elastic_bench.harness.results import ResultFile

COLUMNS = (
    "model",
    "method",
    "accuracy",
    "mean_think_tokens",
    "mean_total_tokens",
    "think_change",
    "aes",
    "aes_paper_table",
    "auc",
    "optimizer_steps",
    "training_tokens",
    "reference_sampling_tokens",
    "train_wall_seconds",
)


def comparison_frame(base: ResultFile, others: Sequence[ResultFile]) -> pd.DataFrame:
    """One row for ``base`` then one per result in ``others`` (same benchmark); fractions, not percents."""
    ref = aes_base_point(base.points)
    rows = []
    for result in (base, *others):
        if result.benchmark != base.benchmark:
            raise ValueError(f"{result.model_name} is on {result.benchmark}, the base on {base.benchmark}")
        point = aes_base_point(result.points)
        training = result.training
        think = point.mean_think_tokens
        base_think = ref.mean_think_tokens
        rows.append(
            {
                "model": result.model_name,
                "method": training.method if training else "base",
                "accuracy": point.accuracy,
                "mean_think_tokens": think,
                "mean_total_tokens": point.mean_total_tokens,
                "think_change": (think - base_think) / base_think
                if think is not None and base_think
                else None,
                "aes": point_aes(point, ref, "formula"),
                "aes_paper_table": point_aes(point, ref, "paper_table"),
                "auc": sweep_auc(result),
                "optimizer_steps": training.optimizer_steps if training else None,
                "training_tokens": training.training_tokens if training else None,
                "reference_sampling_tokens": training.reference_sampling_tokens if training else None,
                "train_wall_seconds": training.wall_time_seconds if training else None,
            }
        )
    return pd.DataFrame(rows, columns=list(COLUMNS))


def budget_accuracy_frame(results: Sequence[ResultFile]) -> pd.DataFrame:
    """Accuracy and mean thinking tokens per (model, budget label): the curves as a table."""
    rows = [
        {
            "model": r.model_name,
            "label": p.label,
            "thinking_budget": p.thinking_budget,
            "accuracy": p.accuracy,
            "mean_think_tokens": p.mean_think_tokens,
        }
        for r in results
        for p in r.points
    ]
    return pd.DataFrame(rows)


def _fmt(value, kind: str) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "-"
    if kind == "pct":
        return f"{100 * value:.1f}"
    if kind == "signed_pct":
        return f"{100 * value:+.1f}%"
    if kind == "float":
        return f"{value:.3f}"
    if kind == "int":
        return f"{int(value):,}"
    if kind == "tokens":
        return f"{value:.1f}"
    return str(value)


def render_comparison(frame: pd.DataFrame, title: str = "comparison"):
    """A rich Table of :func:`comparison_frame` (Acc in %, Len in thinking tokens)."""
    from rich.table import Table

    table = Table(title=title)
    spec = [
        ("model", "model", "str"),
        ("Acc %", "accuracy", "pct"),
        ("Len (think)", "mean_think_tokens", "tokens"),
        ("Len (total)", "mean_total_tokens", "tokens"),
        ("think vs base", "think_change", "signed_pct"),
        ("AES", "aes", "float"),
        ("AES (paper conv.)", "aes_paper_table", "float"),
        ("AUC", "auc", "float"),
        ("steps", "optimizer_steps", "int"),
        ("train tokens", "training_tokens", "int"),
        ("ref. tokens", "reference_sampling_tokens", "int"),
        ("train s", "train_wall_seconds", "int"),
    ]
    for header, _, kind in spec:
        table.add_column(header, justify="left" if kind == "str" else "right", no_wrap=True)
    for row in frame.itertuples(index=False):
        table.add_row(*(_fmt(getattr(row, col), kind) for _, col, kind in spec))
    return table


def render_budget_table(results: Sequence[ResultFile]):
    """A rich Table: accuracy % (mean thinking tokens) per model and budget."""
    from rich.table import Table

    labels = [p.label for p in results[0].points]
    table = Table(title="accuracy % (mean thinking tokens) per thinking budget")
    table.add_column("model", no_wrap=True)
    for label in labels:
        table.add_column(label, justify="right", no_wrap=True)
    for r in results:
        by_label = {p.label: p for p in r.points}
        cells = []
        for label in labels:
            p = by_label.get(label)
            think = (
                f" ({p.mean_think_tokens:.0f})" if p is not None and p.mean_think_tokens is not None else ""
            )
            cells.append("-" if p is None else f"{100 * p.accuracy:.1f}{think}")
        table.add_row(r.model_name, *cells)
    return table
