"""``elastic-bench submit FILE``: validate a result file and add it to the leaderboard's results directory."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from elastic_bench.harness.results import DEFAULT_RESULTS_DIR, ResultFileError, add_entry, validate_submission


def add_submit_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``submit FILE [--results-dir DIR] [--overwrite]`` on the CLI's subparsers."""
    parser = subparsers.add_parser(
        "submit",
        help="validate a result file and add it to the leaderboard's results directory",
        description="Validate a result file (schema, consistency, reproducibility record) and copy it "
        "into the results directory. An existing entry is only replaced with --overwrite.",
    )
    parser.add_argument("file", type=Path, help="result JSON to submit")
    parser.add_argument(
        "--results-dir", type=Path, default=DEFAULT_RESULTS_DIR, help="default: results/ in the CWD"
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="replace an existing entry for the same model"
    )
    parser.set_defaults(func=run_submit)
    return parser


def run_submit(args: argparse.Namespace) -> int:
    """Run ``elastic-bench submit``; prints one line and returns the exit status (0 ok, 1 rejected)."""
    try:
        result = validate_submission(args.file)
        had_samples = result.samples_file is not None
        dest = add_entry(
            result,
            args.results_dir,
            overwrite=args.overwrite,
            samples_base=args.file.parent,
            name=args.file.name,
        )
    except ResultFileError as exc:
        print(f"rejected: {exc}")
        return 1
    print(
        f"added {result.kind} {result.model_name!r} ({result.benchmark}, {len(result.points)} budgets) -> {dest}"
    )
    if had_samples and result.samples_file is not None:
        written = json.loads(dest.read_text(encoding="utf-8"))
        if written.get("samples_file") is None:
            print(
                f"note: samples file {result.samples_file!r} not found next to {args.file}; submitted without samples"
            )
    return 0
