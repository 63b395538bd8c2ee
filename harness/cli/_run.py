"""``elastic-bench run``: a budget sweep through lm-eval, converted and stored as a result file.

With no arguments it evaluates the embedded tiny reasoner on ``elastic_toy`` (a real budget sweep,
offline, on CPU), writes lm-eval's outputs and a validated result file into ``results/`` and prints
the budget table. The work is :func:`elastic_bench.harness.lmeval.run_sweep`; this module parses
and prints.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from elastic_bench.harness.cli._main import CLIError
from elastic_bench.harness.protocol import DEFAULT_BACKEND, DEFAULT_SEED, DEFAULT_TASK
from elastic_bench.harness.results import DEFAULT_RESULTS_DIR


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _limit(text: str) -> float:
    """lm-eval's --limit: a number of docs (integer >= 1) or a fraction of them (0 < x < 1)."""
    from elastic_bench.harness.lmeval import check_limit

    try:
        return check_limit(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _metadata(text: str | None) -> dict | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CLIError(f"--metadata is not JSON: {exc.msg}") from None
    if not isinstance(value, dict):
        raise CLIError(f'--metadata must be a JSON object such as \'{{"data_dir": "/data"}}\', got {text!r}')
    return value


def sweep_request(args: argparse.Namespace):
    """The :class:`~elastic_bench.harness.lmeval.SweepRequest` of the ``run`` command's arguments."""
    from elastic_bench.harness.lmeval import SweepRequest

    return SweepRequest(
        model=args.model,
        model_args=args.model_args,
        tasks=tuple(t.strip() for t in args.tasks.split(",")),
        limit=args.limit,
        k=args.k,
        seed=args.seed,
        batch_size=args.batch_size,
        device=args.device,
        metadata=_metadata(args.metadata),
        apply_chat_template=args.apply_chat_template,
        include_path=tuple(args.include_path),
        results_dir=Path(args.results_dir),
        journal=not args.no_cache,
        overwrite=args.overwrite,
        num_processes=args.num_processes,
    )


def cmd_run(args: argparse.Namespace) -> int:
    """Evaluate a model on budget-sweep tasks through lm-eval; convert and store the results."""

    from elastic_bench.harness.cli._tables import render_table, terminal
    from elastic_bench.harness.lmeval import run_sweep

    console = terminal(160)
    outcome = run_sweep(sweep_request(args))
    if outcome is None:  # non-zero ranks in distributed runs
        return 0
    for result, message in zip(outcome.results, outcome.messages, strict=True):
        console.print(render_table(result))
        console.print(
            f"{message}  (lm-eval outputs: {outcome.run_dir}; {outcome.wall_seconds:.1f}s)",
            markup=False,
            soft_wrap=True,
        )
    return 0


def add_run_parser(sub: argparse._SubParsersAction) -> None:
    """``run``: defaults are the embedded tiny reasoner on elastic_toy."""
    p = sub.add_parser(
        "run", help="run a budget sweep through lm-eval (default: tiny reasoner on elastic_toy)"
    )
    p.add_argument("--model", default=DEFAULT_BACKEND, help="lm-eval model backend (default: elastic-hf)")
    p.add_argument(
        "--model_args", "--model-args", default="", help="lm-eval model args, e.g. pretrained=PATH"
    )
    p.add_argument("--tasks", default=DEFAULT_TASK, help="comma-separated lm-eval tasks or groups")
    p.add_argument(
        "--limit",
        type=_limit,
        default=None,
        help="docs per task (int) or fraction; a partial run "
        "is kept in results/runs and never replaces a leaderboard entry",
    )
    p.add_argument(
        "--k", type=_positive_int, default=None, help="samples per problem (overrides the tasks' repeats)"
    )
    p.add_argument("--batch_size", "--batch-size", default=None, help="passed to the backend")
    p.add_argument("--device", default=None)
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--metadata", default=None, help="JSON passed to the tasks (e.g. data_dir)")
    p.add_argument("--apply_chat_template", action="store_true", help="let lm-eval render the chat template")
    p.add_argument("--include_path", action="append", default=[], help="extra lm-eval task folders")
    p.add_argument("--results-dir", default=str(DEFAULT_RESULTS_DIR), help="where result files go")
    p.add_argument("--no-cache", action="store_true", help="do not resume from / write the request cache")
    p.add_argument("--overwrite", action="store_true", help="replace an existing entry of the same model")
    p.add_argument(
        "--num-processes",
        "--num_processes",
        type=_positive_int,
        default=1,
        help="data parallel: split the problems across N processes (a GPU each, or CPU cores); "
        "the same results as one process",
    )
    p.set_defaults(func=cmd_run)
