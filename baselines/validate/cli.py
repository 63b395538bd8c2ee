"""``elastic-bench validate-trainer METHOD [--json] [--quick] [--work-dir DIR] [--output FILE] [KEY=VALUE ...]``:
run a trainer-validation environment end to end and print its start and end figures."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import sys
from pathlib import Path

#: the environment modules, each with ``METHODS`` and ``validate(method, *, quick, work_dir, overrides)``
ENVIRONMENTS = ("budget", "entropy")


def _environment(name: str):
    """The module ``baselines.validate.<name>``, or None when it is not there."""
    try:
        return importlib.import_module(f"elastic_bench.baselines.validate.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"elastic_bench.baselines.validate.{name}":
            raise
        return None


def environment_of(method: str):
    """The environment module that validates ``method``; ValueError (one line) when none does."""
    from elastic_bench.baselines.validate import VALIDATION_METHODS

    if method not in VALIDATION_METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {', '.join(VALIDATION_METHODS)}")
    for name in ENVIRONMENTS:
        module = _environment(name)
        if module is not None and method in module.METHODS:
            return module
    raise ValueError(f"method {method!r} has no validation environment in this installation")


def add_validate_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``validate-trainer`` on the elastic-bench CLI."""
    from elastic_bench.baselines.train_cli import OverridesParser
    from elastic_bench.baselines.validate import VALIDATION_METHODS

    p = subparsers.add_parser(
        "validate-trainer",
        help="prove a trainer learns its own objective on the smallest task where it is learnable",
    )
    p.__class__ = OverridesParser  # KEY=VALUE words anywhere on the line, as for `elastic-bench train`
    p.add_argument("method", help=", ".join(VALIDATION_METHODS))
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout instead of tables")
    p.add_argument("--quick", action="store_true", help="a smoke run (tiny sizes; the figures mean nothing)")
    p.add_argument("--work-dir", default=None, help="keep the base and the trainer's output here (reused)")
    p.add_argument("--output", default=None, help="also write the JSON object to this file")
    p.add_argument(
        "overrides",
        nargs="*",
        metavar="KEY=VALUE",
        help="recipe overrides as for `elastic-bench train` (trainer.learning_rate=1e-4, ...)",
    )
    p.set_defaults(func=cmd_validate)
    return p


def cmd_validate(args: argparse.Namespace) -> int:
    """Run the environment; exit status 0 when the method met its acceptance bar, 1 when not."""
    module = environment_of(args.method)
    from elastic_bench.baselines.recipe import parse_overrides

    overrides = parse_overrides(args.overrides)
    # with --json stdout carries the one object: whatever the trainers print goes to stderr
    with contextlib.redirect_stdout(sys.stderr) if args.json else contextlib.nullcontext():
        report = module.validate(args.method, quick=args.quick, work_dir=args.work_dir, overrides=overrides)
    text = json.dumps(report, default=str)
    if args.output:
        Path(args.output).write_text(text + "\n")
    if args.json:
        sys.stdout.write(text + "\n")
    else:
        print_report(report)
    return 0 if report.get("passed") else 1


def print_report(report: dict) -> None:
    """Start and end figures as rich tables, then the acceptance checks."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    start, end = report.get("start") or {}, report.get("end") or {}
    if start.get("rows") and end.get("rows"):
        table = Table(title=f"{report['method']}: start (base) -> end (trained)")
        for column in ("N", "mean n", "|mean n - N|/N", "n <= N %", "accuracy %"):
            table.add_column(column, justify="right")
        for a, b in zip(start["rows"], end["rows"], strict=True):
            table.add_row(
                str(a["budget"]),
                f"{a['mean_think_tokens']:.1f} -> {b['mean_think_tokens']:.1f}",
                f"{a['rel_error_of_mean']:.3f} -> {b['rel_error_of_mean']:.3f}",
                f"{100 * a['within_budget']:.1f} -> {100 * b['within_budget']:.1f}",
                f"{100 * a['accuracy']:.1f} -> {100 * b['accuracy']:.1f}",
            )
        console.print(table)
    summary = Table(title="figures")
    for column in ("", "start", "end"):
        summary.add_column(column, justify="right")
    for key in ("spearman", "median_rel_error", "accuracy"):
        if key in start and key in end:
            summary.add_row(key, f"{start[key]}", f"{end[key]}")
    console.print(summary)
    for check, ok in (report.get("checks") or {}).items():
        console.print(f"{'PASS' if ok else 'FAIL'}  {check}")
    seconds = report.get("seconds") or {}
    if seconds:
        console.print("seconds: " + ", ".join(f"{k} {v}" for k, v in seconds.items()))
