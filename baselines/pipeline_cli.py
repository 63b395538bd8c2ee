"""``elastic-bench baselines [--methods sft,dpo,o1_pruner,l1_exact,l1_max,elastic] [--base ...] [--tasks elastic_toy] [key=value ...]``.

Trains every method from the same base on the same problems (one shared reference-sampling pass),
evaluates the base and each checkpoint with the same budget sweep, writes result files (with the
training record) and prints the comparison. A rerun skips what is finished.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from elastic_bench.baselines.train_cli import OverridesParser
from elastic_bench.harness.protocol import DEFAULT_TASK


def _default_base() -> str:
    from elastic_bench.models.tiny_reasoner import CHECKPOINT_DIR

    return str(CHECKPOINT_DIR)


def _all_methods() -> tuple[str, ...]:
    from elastic_bench.baselines.train import METHODS

    return METHODS


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The baselines command's arguments."""
    p.__class__ = OverridesParser
    p.add_argument(
        "--methods",
        default=",".join(_all_methods()),
        help="comma-separated (default: all six: " + ",".join(_all_methods()) + ")",
    )
    p.add_argument("--base", default=None, help="base model folder or hub id (default: the tiny reasoner)")
    p.add_argument("--tasks", default=DEFAULT_TASK, help="budget-sweep task group(s) to evaluate on")
    p.add_argument(
        "--output-root",
        "--output_root",
        dest="output_root",
        default=None,
        help="checkpoints go to OUTPUT_ROOT/<method> (default: runs/baselines/<base name>)",
    )
    p.add_argument("--results-dir", default="results", help="where result files go (default: results)")
    p.add_argument(
        "--limit", type=float, default=None, help="evaluate only N problems per budget (partial run)"
    )
    p.add_argument(
        "--recipe",
        action="append",
        default=[],
        metavar="METHOD=FILE",
        help="recipe of one method (default: baselines/recipes/<method>_toy.yaml)",
    )
    p.add_argument("--eval-batch-size", type=int, default=64, help="elastic-hf batch size of the sweeps")
    p.add_argument("--keep-checkpoints", action="store_true", help="keep the intermediate TRL checkpoints")
    p.add_argument("--overwrite", action="store_true", help="replace existing leaderboard entries")
    p.add_argument(
        "overrides", nargs="*", metavar="key=value", help="recipe overrides for every method (data.k=4, ...)"
    )
    p.set_defaults(overrides=[])


def add_baselines_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``baselines`` on the elastic-bench CLI."""
    p = subparsers.add_parser(
        "baselines",
        help="train SFT, DPO, O1-Pruner, L1-Exact, L1-Max and Elastic from one base, evaluate all, compare them",
    )
    add_arguments(p)
    p.set_defaults(func=cmd_baselines)
    return p


def _recipes(items: list[str]) -> dict[str, Path]:
    out = {}
    for item in items:
        method, sep, path = item.partition("=")
        if not sep or not method or not path:
            raise ValueError(f"--recipe {item!r} is not METHOD=FILE")
        out[method.strip()] = Path(path)
    return out


def cmd_baselines(args: argparse.Namespace) -> int:
    """Run the pipeline and print the comparison."""
    from rich.console import Console

    from elastic_bench.baselines.pipeline import parse_methods, run_baselines
    from elastic_bench.baselines.recipe import parse_overrides
    from elastic_bench.harness.analysis import comparison_frame
    from elastic_bench.harness.cli import render_budget_table, render_comparison
    from elastic_bench.harness.lmeval import check_limit, model_name_of

    methods = parse_methods(args.methods)
    recipes = _recipes(args.recipe)
    stray = sorted(set(recipes) - set(methods))
    if stray:
        raise ValueError(f"--recipe for {', '.join(stray)}, which is not among --methods")
    limit = None
    if args.limit is not None:
        try:
            limit = check_limit(f"{args.limit:g}")
        except ValueError as exc:
            raise ValueError(f"--limit: {exc}") from None
    base = args.base or _default_base()
    root = Path(args.output_root or Path("runs") / "baselines" / model_name_of(base))
    console = Console(width=200 if not sys.stdout.isatty() else None)
    start = time.monotonic()
    base_outcome, outcomes, timings = run_baselines(
        methods,
        base,
        root,
        tasks=args.tasks,
        results_dir=Path(args.results_dir),
        limit=limit,
        recipes=recipes,
        overrides=parse_overrides(args.overrides),
        eval_batch_size=args.eval_batch_size,
        keep_checkpoints=args.keep_checkpoints,
        overwrite=args.overwrite,
        log=lambda text: console.print(text, markup=False, soft_wrap=True),
    )
    for i, base_result in enumerate(base_outcome.results):
        others = [o.results[i] for o in outcomes if len(o.results) > i]
        frame = comparison_frame(base_result, others)
        console.print(
            render_comparison(frame, title=f"{base_result.task_group}: methods vs {base_result.model_name}")
        )
        console.print(render_budget_table([base_result, *others]))
    from elastic_bench.baselines.budget_following import render_table

    for outcome in outcomes:
        if outcome.budget_following is not None:
            report = outcome.budget_following
            title = f"{outcome.model_name}: budget following ({report['wording']} wording, prompt strategy)"
            console.print(render_table(report, title=title), markup=False)
    steps = ", ".join(f"{k} {v:.0f} s" for k, v in timings.items())
    console.print(
        f"wall time {time.monotonic() - start:.0f} s ({steps or 'everything reused'})", markup=False
    )
    return 0
