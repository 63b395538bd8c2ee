"""``elastic-bench report``: a terminal table per budget, with AUC and AES against a base run.

    elastic-bench report RESULT.json [--base BASE.json] [--aes-convention formula|paper_table]

RESULT and BASE are result files, or lm-eval outputs (a results JSON or an ``--output_path``
folder), which are converted on the fly. AES compares each budget's (accuracy, mean total
tokens) with the base run's unconstrained point (else its largest budget) on the same benchmark.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

import pandas as pd
from rich import box
from rich.console import Console
from rich.table import Table

from elastic_bench.harness.convert import ConversionError, convert_output_dir
from elastic_bench.harness.metrics import (
    AES_CONVENTIONS,
    AESConvention,
    aes,
    aes_base_point,
    answer_rates,
    auc_log_budget,
)
from elastic_bench.harness.result_io import ResultFileError, parse_result, read_json
from elastic_bench.harness.results import BudgetPoint, ResultFile

EXIT_OK = 0
EXIT_BAD_INPUT = 2


class ReportError(ValueError):
    """Input the report cannot use (unreadable file, mismatched base...); one-line message."""


# --------------------------------------------------------------------------- loading


def load_results(path: str | Path) -> list[ResultFile]:
    """Result files from a result JSON, an lm-eval results JSON or an lm-eval output folder."""
    path = Path(path)
    try:
        if path.is_dir():
            return convert_output_dir(path)
        raw = read_json(path, ReportError)
        if isinstance(raw, dict) and "schema_version" not in raw and isinstance(raw.get("results"), dict):
            return convert_output_dir(path)
        return [parse_result(raw, name=path.name)]
    except (ConversionError, ResultFileError) as exc:
        raise ReportError(str(exc)) from exc


def base_point(base: ResultFile, benchmark: str) -> BudgetPoint:
    """The base run's AES point (:func:`~elastic_bench.harness.metrics.aes_base_point`) on ``benchmark``."""
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


# --------------------------------------------------------------------------- numbers


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


# --------------------------------------------------------------------------- rendering


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
    n = max(p.n_problems for p in result.points)
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
        notes.append(f"code: {tests}" + (f", sandbox {result.sandbox_mode}" if result.sandbox_mode else ""))
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


# --------------------------------------------------------------------------- CLI


def add_report_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``report`` sub-command to an argparse sub-parser set (sets ``func=run_report``)."""
    parser = subparsers.add_parser(
        "report",
        help="print a per-budget table (accuracy with 95%% CI, tokens, AUC, AES) of result files",
        description="Print a per-budget table of one or more result files (or lm-eval output folders).",
    )
    parser.add_argument(
        "results", nargs="+", type=Path, metavar="RESULT", help="result JSON or lm-eval output"
    )
    parser.add_argument(
        "--base",
        type=Path,
        default=None,
        help="base run for AES (its unconstrained point, else its largest budget; same benchmark)",
    )
    parser.add_argument(
        "--aes-convention",
        choices=AES_CONVENTIONS,
        default="formula",
        help="formula: the O1-Pruner definition (accuracy drops penalised with gamma); "
        "paper_table: alpha*dL + beta*|dA| always, as in the paper's Table 2",
    )
    parser.set_defaults(func=run_report)
    return parser


def run_report(args: argparse.Namespace, console: Console | None = None) -> int:
    """Print the tables; returns the exit code (2 with a one-line message on bad input)."""
    # piped output would otherwise be cut to 80 columns and the table wrapped
    console = console or Console(width=None if sys.stdout.isatty() else 160)
    try:
        bases = load_results(args.base) if getattr(args, "base", None) else None
        tables = []
        for path in args.results:
            for result in load_results(path):
                base = pick_base(bases, result.benchmark) if bases is not None else None
                tables.append(render_table(result, base=base, aes_convention=args.aes_convention))
    except (ReportError, ValueError) as exc:
        print(f"elastic-bench report: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for table in tables:
        console.print(table)
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry (``python -m elastic_bench.harness.report``) until the CLI wires it in."""
    parser = argparse.ArgumentParser(prog="elastic-bench")
    add_report_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["report", *(sys.argv[1:] if argv is None else argv)])
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
