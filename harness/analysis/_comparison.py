"""A Table-2-style comparison of retrained models against their base: Acc / Len / AES / AUC per model,
with each model's training cost (from its result file's ``training`` record).

Used by ``elastic-bench baselines`` (printed) and the leaderboard's comparison view. Acc and Len are
the run's AES point (unconstrained, else the largest budget); AES uses mean total tokens, as
``elastic-bench report`` does.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from elastic_bench.harness.analysis._metrics import aes_base_point
from elastic_bench.harness.analysis._summary import point_aes, sweep_auc
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
