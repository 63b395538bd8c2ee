"""The ``elastic-bench`` command line: the parser, the small commands (ls, convert, app) and ``main``.

Each larger subcommand lives in its own module and adds its parser here: ``run``
(:mod:`~elastic_bench.harness.cli._run`), ``report``, ``grade``, ``submit``, ``worker``, ``queue``,
``codeforces``; other parts of the project add theirs through the :data:`COMMANDS_GROUP` entry
points. Bad input exits non-zero with one line, never a traceback (set ``ELASTIC_BENCH_DEBUG=1`` to
see tracebacks).
"""

from __future__ import annotations

import argparse
import os
import sys


class CLIError(Exception):
    """A user-facing error: printed as one line, exit status 2."""


# ----------------------------------------------------------------------------- ls
def cmd_ls(args: argparse.Namespace) -> int:
    """List our task groups (with budgets) and model backends."""
    from rich.table import Table

    from elastic_bench.harness.benchmarks import sweeps
    from elastic_bench.harness.cli._tables import terminal
    from elastic_bench.harness.lmeval import MODELS

    # piped or redirected, rich would squeeze the tables into 80 columns and cut names: print them whole
    console = terminal()
    table = Table(title="elastic-bench task groups")
    for col in ("group", "benchmark", "thinking budgets", "solution", "samples", "subtasks"):
        table.add_column(col)
    for bench in sweeps():
        sweep, names = bench.sweep, bench.task_names
        table.add_row(
            bench.task_group,
            bench.name,
            ", ".join(map(str, sweep.budgets)) + ", unconstrained",
            str(sweep.solution_budget),
            f"k={sweep.repeats}" + (f", T={sweep.temperature}" if sweep.do_sample else ", greedy"),
            f"{names[0]} ... {names[-1]}",
        )
    console.print(table)
    models = Table(title="model backends")
    models.add_column("name")
    models.add_column("class")
    for name, target in MODELS.targets().items():
        models.add_row(name, target)
    console.print(models)
    return 0


# ------------------------------------------------------------------------ convert
def cmd_convert(args: argparse.Namespace) -> int:
    """Convert an lm-eval --output_path of our tasks into result files."""
    from elastic_bench.harness.lmeval import convert_output_dir
    from elastic_bench.harness.results import add_entry

    for result in convert_output_dir(args.lm_eval_output, model_name=args.model_name):
        print(add_entry(result, args.output, overwrite=args.overwrite, name="convert"))
    return 0


def add_convert_parser(sub: argparse._SubParsersAction) -> None:
    """``convert LM_EVAL_OUTPUT [-o DIR]``."""
    p = sub.add_parser("convert", help="turn an lm-eval run of our tasks into result files")
    p.add_argument("lm_eval_output", help="lm-eval --output_path folder (or a results_*.json)")
    p.add_argument("-o", "--output", default=".", help="folder for the result files")
    p.add_argument("--model-name", default=None)
    p.add_argument("--overwrite", action="store_true", help="replace an existing entry of the same model")
    p.set_defaults(func=cmd_convert)


# --------------------------------------------------------------------------- main
def build_parser() -> argparse.ArgumentParser:
    """The full argument parser."""
    from elastic_bench.harness.cli._codeforces import add_codeforces_parser
    from elastic_bench.harness.cli._compare import add_compare_parser
    from elastic_bench.harness.cli._grade import add_grade_parser
    from elastic_bench.harness.cli._queue import add_queue_parser, add_worker_parser
    from elastic_bench.harness.cli._report import add_report_parser
    from elastic_bench.harness.cli._run import add_run_parser
    from elastic_bench.harness.cli._submit import add_submit_parser

    parser = argparse.ArgumentParser(
        prog="elastic-bench", description="Budget sweeps for efficient reasoning, on lm-eval."
    )
    sub = parser.add_subparsers(dest="command")
    add_run_parser(sub)
    add_report_parser(sub)
    add_compare_parser(sub)
    ls = sub.add_parser("ls", help="list elastic-bench tasks and model backends")
    ls.set_defaults(func=cmd_ls)
    add_grade_parser(sub)
    add_convert_parser(sub)
    add_submit_parser(sub)
    add_worker_parser(sub)
    add_queue_parser(sub)
    add_codeforces_parser(sub)
    for add_parser in _plugin_commands():
        add_parser(sub)
    return parser


#: entry-point group through which other parts of the project (baselines: ``train``, ``baselines``)
#: and third-party packages add subcommands, so the harness never imports them by name
COMMANDS_GROUP = "elastic_bench.commands"


def _plugin_commands() -> list:
    """The ``add_parser(subparsers)`` callables registered under :data:`COMMANDS_GROUP`."""
    from importlib.metadata import entry_points

    found = []
    for entry in sorted(entry_points(group=COMMANDS_GROUP), key=lambda e: e.name):
        try:
            found.append(entry.load())
        except ImportError as exc:  # a command whose module is missing here: leave it out
            if not (getattr(exc, "name", "") or "").startswith("elastic_bench."):
                print(f"elastic-bench: note: command {entry.name!r} unavailable ({exc})", file=sys.stderr)
    return found


def _error_types() -> tuple[type[BaseException], ...]:
    from elastic_bench.harness.generation import BackendError
    from elastic_bench.harness.lmeval import ModelNotFoundError
    from elastic_bench.harness.results import ResultFileError

    # the queue's QueueError is a ValueError
    return (
        CLIError,
        ResultFileError,
        ModelNotFoundError,
        BackendError,
        ValueError,
        FileNotFoundError,
        KeyError,
        OSError,
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``elastic-bench``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print(
            "elastic-bench: interrupted (finished requests are cached; run again to resume)", file=sys.stderr
        )
        return 130
    except _error_types() as exc:
        if os.environ.get("ELASTIC_BENCH_DEBUG"):
            raise
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"elastic-bench: error: {message}", file=sys.stderr)
        return 2
