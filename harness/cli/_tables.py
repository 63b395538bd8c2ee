"""Terminal tables (rich) of result files: the per-budget table and the comparison tables."""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence

import pandas as pd
from rich import box
from rich.console import Console
from rich.table import Table

from elastic_bench.harness.analysis import (
    AESConvention,
    answer_rates,
    base_point,
    point_aes,
    sweep_auc,
)
from elastic_bench.harness.protocol import SEMANTICS_LABELS
from elastic_bench.harness.results import BudgetPoint, ResultFile


def terminal(width_when_piped: int = 10_000) -> Console:
    """The console the commands print tables to: the terminal's width, or, piped or redirected, wide
    enough that rich does not squeeze the columns (80 by default) and cut names and numbers."""
    return Console() if sys.stdout.isatty() else Console(width=width_when_piped)


def _pct(value: float | None) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{100 * value:.1f}%"


def _num(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.1f}"


def _acc(p: BudgetPoint) -> str:
    if p.accuracy is None:
        return "–"
    text = f"{100 * p.accuracy:.1f}"
    if p.accuracy_ci is not None:
        text += f" [{100 * p.accuracy_ci[0]:.1f}, {100 * p.accuracy_ci[1]:.1f}]"
    return text


def render_table(
    result: ResultFile, *, base: ResultFile | None = None, aes_convention: AESConvention = "formula"
) -> Table:
    """The per-budget table of one result file (what ``run`` prints after a run and ``report`` shows)."""
    ref = base_point(base, result.benchmark) if base is not None else None
    rates = [answer_rates(p) for p in result.points]
    show_sources = any(r["boxed_rate"] is not None or r["fallback_rate"] is not None for r in rates)
    show_timeouts = any(r["timeout_rate"] is not None for r in rates)
    ks = "/".join(str(k) for k in sorted({p.k for p in result.points}))
    n = max((p.n_problems for p in result.points if p.n_problems is not None), default="?")
    strategies = {p.strategy for p in result.points}
    table = Table(
        title=f"{result.model_name} · {result.task_group} ({result.kind})",
        caption_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAVY,
    )
    table.add_column("budget", justify="right", no_wrap=True)
    if len(strategies) > 1:
        table.add_column("strategy", no_wrap=True)
    table.add_column("acc % [95% CI]", justify="right", no_wrap=True)
    for name in ("think", "answer", "total"):
        table.add_column(name, justify="right")
    table.add_column("trunc think/ans", justify="right", no_wrap=True)
    table.add_column("no answer", justify="right")
    if show_sources:
        table.add_column("boxed/fallback", justify="right", no_wrap=True)
    if show_timeouts:
        table.add_column("timeouts", justify="right")
    table.add_column("tok/correct", justify="right")
    if ref is not None:
        table.add_column("AES", justify="right", no_wrap=True)
    for p, rate in zip(result.points, rates, strict=True):
        cells = [p.label if p.thinking_budget is None else str(p.thinking_budget)]
        if len(strategies) > 1:
            cells.append(p.strategy)
        cells += [
            _acc(p),
            _num(p.mean_think_tokens),
            _num(p.mean_answer_tokens),
            _num(p.mean_total_tokens),
            f"{_pct(p.think_truncation_rate)} / {_pct(p.answer_truncation_rate)}",
            _pct(p.no_answer_rate),
        ]
        if show_sources:
            cells.append(f"{_pct(rate['boxed_rate'])} / {_pct(rate['fallback_rate'])}")
        if show_timeouts:
            cells.append(_pct(rate["timeout_rate"]))
        cells.append(_num(p.tokens_per_correct))
        if ref is not None:
            value = point_aes(p, ref, aes_convention)
            cells.append("–" if value is None else f"{value:+.3f}")
        table.add_row(*cells)

    notes = [
        f"{n} problems, avg@{ks}" + (f", strategy {next(iter(strategies))}" if len(strategies) == 1 else "")
    ]
    auc = sweep_auc(result)
    budgets = [p.thinking_budget for p in result.points if p.thinking_budget is not None]
    if auc is not None:
        notes.append(f"AUC of accuracy over log2(budget) {min(budgets)}–{max(budgets)}: {auc:.3f}")
    if ref is not None and base is not None:
        notes.append(
            f"AES ({aes_convention}) vs {base.model_name} {ref.label} ({100 * ref.accuracy:.1f}% at {_num(ref.mean_total_tokens)} tokens)"
        )
    if show_sources:
        notes.append("boxed/fallback: answers read from a \\boxed{} / from a final-answer statement")
    if result.test_set:
        tests = "public tests only" if result.test_set == "public" else "hidden tests"
        semantics = result.grading_semantics
        judged = f", judged as {SEMANTICS_LABELS.get(semantics, semantics)}" if semantics else ""
        notes.append(
            f"code: {tests}{judged}" + (f", sandbox {result.sandbox_mode}" if result.sandbox_mode else "")
        )
    for p in result.points:
        if p.codeforces is not None:
            cf = p.codeforces
            rating = (
                f"{cf.rating:.0f}"
                + (f" ({cf.percentile:.1f} percentile)" if cf.percentile is not None else "")
                if cf.rating is not None
                else f"unavailable ({cf.unavailable})"
            )
            notes.append(f"Codeforces rating at {p.label}: {rating}")
    if result.kind == "reported" and result.source:
        notes.append(f"source: {result.source}")
    table.caption = "\n".join(notes)
    return table


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
