"""``elastic-bench report``: a terminal table per budget, with AUC and AES against a base run.

    elastic-bench report RESULT.json [--base BASE.json] [--aes-convention formula|paper_table]

RESULT and BASE are result files, or lm-eval outputs (a results JSON or an ``--output_path``
folder), which are converted on the fly.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console

from elastic_bench.harness.analysis import AES_CONVENTIONS, ReportError, pick_base
from elastic_bench.harness.cli._tables import render_table, terminal
from elastic_bench.harness.lmeval import ConversionError, convert_output_dir
from elastic_bench.harness.results import (
    ResultFile,
    ResultFileError,
    is_lm_eval_results,
    parse_result,
    read_json,
)

EXIT_OK = 0
EXIT_BAD_INPUT = 2


def load_results(path: str | Path) -> list[ResultFile]:
    """Result files from a result JSON, an lm-eval results JSON or an lm-eval output folder."""
    path = Path(path)
    try:
        if path.is_dir():
            return convert_output_dir(path)
        raw = read_json(path, ReportError)
        if is_lm_eval_results(raw):
            return convert_output_dir(path)
        return [parse_result(raw, name=path.name)]
    except (ConversionError, ResultFileError) as exc:
        raise ReportError(str(exc)) from exc


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
    console = console or terminal(160)
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
