"""``elastic-bench compare A.json B.json``: B against A on the same problems, budget by budget.

    elastic-bench compare A.json B.json [--budget N|unconstrained] [--json]

Prints, per budget both entries ran: the accuracy difference B - A with its paired bootstrap 95% CI,
McNemar's exact p on the problems only one of them gets right, the thinking- and total-token
differences with their CIs, and how many problems they disagree on. ``--json`` prints a list with one
object per budget instead (``budget``, ``n_shared``, ``delta_accuracy``, ``ci_low``, ``ci_high``,
``mcnemar_p``, ``delta_think_tokens``, ... and the disagreeing problem ids).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.table import Table

from elastic_bench.harness.analysis import BudgetComparison, ComparisonError, compare_entries
from elastic_bench.harness.cli._tables import terminal
from elastic_bench.harness.protocol import UNCONSTRAINED
from elastic_bench.harness.results import ResultFileError, load_result

EXIT_OK = 0
EXIT_BAD_INPUT = 2


def add_compare_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``compare`` on an argparse ``subparsers`` object."""
    p = sub.add_parser(
        "compare",
        help="paired comparison of two entries on the same problems (delta accuracy with CI, McNemar, tokens)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("a", help="result file A (the reference)")
    p.add_argument("b", help="result file B (differences are B - A)")
    p.add_argument(
        "--budget", default="all", help="one thinking budget, or 'unconstrained' (default: every shared one)"
    )
    p.add_argument("--json", action="store_true", help="print a JSON list, one object per budget")
    p.set_defaults(func=run_compare)


def _budget(value: str) -> int | None | str:
    if value in ("all", UNCONSTRAINED):
        return None if value == UNCONSTRAINED else "all"
    try:
        budget = int(value)
    except ValueError:
        raise ComparisonError(
            f"--budget must be a number of tokens, 'unconstrained' or 'all', got {value!r}"
        ) from None
    if budget < 1:
        raise ComparisonError(f"--budget must be at least 1, got {budget}")
    return budget


def run_compare(args: argparse.Namespace) -> int:
    """Run ``elastic-bench compare``; returns the exit status (0 ok, 2 bad input)."""
    try:
        a, b = load_result(args.a), load_result(args.b)
        rows = compare_entries(a, b, _budget(args.budget), path_a=Path(args.a), path_b=Path(args.b))
    except (ComparisonError, ResultFileError) as exc:
        print(f"elastic-bench compare: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.json:
        print(json.dumps([r.to_dict() for r in rows], indent=1))
        return EXIT_OK
    terminal().print(_table(a.model_name, b.model_name, a.benchmark, rows))
    return EXIT_OK


def _ci(value: float | None, ci: tuple[float, float] | None, scale: float = 1.0, digits: int = 1) -> str:
    if value is None:
        return "n/a"
    text = f"{value * scale:+.{digits}f}"
    return text if ci is None else f"{text} [{ci[0] * scale:+.{digits}f}, {ci[1] * scale:+.{digits}f}]"


def _table(name_a: str, name_b: str, benchmark: str, rows: list[BudgetComparison]) -> Table:
    table = Table(title=f"{name_b} (B) vs {name_a} (A) · {benchmark} · differences are B - A")
    for col in ("budget", "problems", "acc A %", "acc B %", "Δ acc % [95% CI]", "McNemar p",
                "B only / A only", "Δ thinking tokens", "Δ total tokens"):  # fmt: skip
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(
            r.label,
            str(r.n_shared),
            f"{100 * r.accuracy_a:.1f}",
            f"{100 * r.accuracy_b:.1f}",
            _ci(r.delta_accuracy, (r.ci_low, r.ci_high), 100),
            f"{r.mcnemar_p:.3g}",
            f"{r.b_only} / {r.a_only}",
            _ci(r.delta_think_tokens, r.think_ci),
            _ci(r.delta_total_tokens, r.total_ci),
        )
    return table
