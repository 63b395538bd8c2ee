"""Per-budget summaries of a result file: the base point AES is measured against, AUC, AES per point.

What ``elastic-bench report`` prints, the comparison table and the app all read from here. AES
compares each budget's (accuracy, mean total tokens) with the base run's unconstrained point (else
its largest budget) on the same benchmark.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from elastic_bench.harness.analysis._metrics import (
    AESConvention,
    aes,
    aes_base_point,
    answer_rates,
    auc_log_budget,
)
from elastic_bench.harness.results import BudgetPoint, ResultFile


class ReportError(ValueError):
    """Input the report cannot use (unreadable file, mismatched base...); one-line message."""


def base_point(base: ResultFile, benchmark: str) -> BudgetPoint:
    """The base run's AES point (:func:`~elastic_bench.harness.analysis._metrics.aes_base_point`) on ``benchmark``."""
    if base.benchmark != benchmark:
        raise ReportError(
            f"base run {base.model_name!r} is on benchmark {base.benchmark!r}, not {benchmark!r}"
        )
    point = aes_base_point(base.points)
    if point is None:
        raise ReportError(f"base run {base.model_name!r} ({base.task_group}) has no points")
    return point


def pick_base(bases: list[ResultFile], benchmark: str) -> ResultFile:
    """The base result on ``benchmark`` among ``bases`` (a base file may hold several groups)."""
    matches = [b for b in bases if b.benchmark == benchmark]
    if not matches:
        found = ", ".join(sorted({b.benchmark for b in bases})) or "none"
        raise ReportError(f"no base run on benchmark {benchmark!r} (base covers: {found})")
    return matches[0]


def sweep_auc(result: ResultFile) -> float | None:
    """AUC of accuracy over log2(thinking budget) of the budgeted points; None with < 2 budgets."""
    points = [p for p in result.points if p.thinking_budget is not None]
    if len(points) < 2:
        return None
    if any(p.accuracy is None for p in points):
        return None
    return auc_log_budget([p.thinking_budget for p in points], [p.accuracy for p in points])


def point_aes(point: BudgetPoint, base: BudgetPoint, convention: AESConvention = "formula") -> float | None:
    """AES of one point against the base point (length = mean total tokens); None if undefined."""
    values = (base.accuracy, base.mean_total_tokens, point.accuracy, point.mean_total_tokens)
    if any(v is None for v in values) or base.accuracy <= 0 or base.mean_total_tokens <= 0:
        return None
    return aes(
        base.accuracy, base.mean_total_tokens, point.accuracy, point.mean_total_tokens, convention=convention
    )


def summary_frame(
    result: ResultFile, base: ResultFile | None = None, *, aes_convention: AESConvention = "formula"
) -> pd.DataFrame:
    """One row per budget point: the numbers the report table shows (fractions, not percents)."""
    ref = base_point(base, result.benchmark) if base is not None else None
    rows: list[dict[str, Any]] = []
    for p in result.points:
        lo, hi = p.accuracy_ci if p.accuracy_ci is not None else (None, None)
        row = {
            "label": p.label,
            "thinking_budget": p.thinking_budget,
            "strategy": p.strategy,
            "n_problems": p.n_problems,
            "k": p.k,
            "accuracy": p.accuracy,
            "accuracy_ci_low": lo,
            "accuracy_ci_high": hi,
            "mean_think_tokens": p.mean_think_tokens,
            "mean_answer_tokens": p.mean_answer_tokens,
            "mean_total_tokens": p.mean_total_tokens,
            "think_truncation_rate": p.think_truncation_rate,
            "answer_truncation_rate": p.answer_truncation_rate,
            "no_answer_rate": p.no_answer_rate,
            "tokens_per_correct": p.tokens_per_correct,
            **answer_rates(p),
        }
        if ref is not None:
            row["aes"] = point_aes(p, ref, aes_convention)
        rows.append(row)
    return pd.DataFrame(rows)
