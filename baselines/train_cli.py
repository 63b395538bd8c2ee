"""``elastic-bench train METHOD --base ... --output-dir ... [--recipe FILE] [--resume [--allow-changed]] [key=value ...]``.

Also runnable as a module, so ``accelerate launch -m elastic_bench.baselines.train_cli sft ...``
runs a recipe unchanged on several processes / GPUs.
"""

from __future__ import annotations

import argparse
import sys

from elastic_bench.harness.protocol import DEFAULT_TASK
from elastic_bench.harness.results import DEFAULT_RESULTS_DIR


class OverridesParser(argparse.ArgumentParser):
    """Takes ``key=value`` words anywhere on the line (argparse alone wants them before options)."""

    def parse_known_args(self, args=None, namespace=None):
        args = list(sys.argv[1:] if args is None else args)
        overrides, rest = [], []
        for i, word in enumerate(args):
            option = self._option_string_actions.get(args[i - 1]) if i else None
            is_value = option is not None and option.nargs != 0  # e.g. --recipe sft=FILE
            (overrides if "=" in word and not word.startswith("-") and not is_value else rest).append(word)
        namespace, extra = super().parse_known_args(rest, namespace)
        namespace.overrides = overrides
        return namespace, extra


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The train command's arguments."""
    p.__class__ = OverridesParser
    p.add_argument("method", help="sft, dpo, o1_pruner, l1_exact, l1_max or elastic")
    p.add_argument("--base", required=True, help="base model: folder or hub id")
    p.add_argument("--output-dir", "--output_dir", dest="output_dir", required=True, help="checkpoint folder")
    p.add_argument("--recipe", default=None, help="recipe YAML (default: baselines/recipes/METHOD_toy.yaml)")
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint in --output-dir")
    p.add_argument(
        "--allow-changed",
        "--allow_changed",
        dest="allow_changed",
        action="store_true",
        help="with --resume: train on with settings that differ from the run's (the record lists both; "
        "the checkpoint's optimizer and scheduler state carry on)",
    )
    p.add_argument(
        "overrides", nargs="*", metavar="key=value", help="recipe overrides (trainer.x=..., data.y=...)"
    )
    p.set_defaults(overrides=[])
    ev = p.add_argument_group("eval-on-save (each saved checkpoint: a sweep, kept as the run's family)")
    ev.add_argument(
        "--eval-on-save", default=None, metavar="BUDGETS", help="e.g. 64,256: sweep these budgets"
    )
    ev.add_argument(
        "--eval-tasks", default=DEFAULT_TASK, help=f"task group to sweep (default {DEFAULT_TASK})"
    )
    ev.add_argument("--eval-limit", type=int, default=20, help="problems per budget (default 20)")
    ev.add_argument(
        "--eval-background", action="store_true", help="sweep in another process; training goes on"
    )
    ev.add_argument(
        "--results-dir", default=DEFAULT_RESULTS_DIR, help="families go to RESULTS_DIR/families/<run id>/"
    )


def add_train_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``train`` on the elastic-bench CLI."""
    p = subparsers.add_parser(
        "train", help="retrain a baseline (SFT, DPO, O1-Pruner, L1, Elastic) from a base model"
    )
    add_arguments(p)
    p.set_defaults(func=cmd_train)
    return p


def cmd_train(args: argparse.Namespace) -> int:
    """Run the recipe and print where the checkpoint went (rank 0 only, under ``accelerate launch``)."""
    from elastic_bench.baselines.common import is_main_process
    from elastic_bench.baselines.recipe import parse_overrides
    from elastic_bench.baselines.resume import describe
    from elastic_bench.baselines.train import train_method

    record = train_method(
        args.method,
        args.base,
        args.output_dir,
        recipe=args.recipe,
        overrides=parse_overrides(args.overrides),
        resume=args.resume,
        allow_changed=args.allow_changed,
        callbacks=_eval_on_save(args),
    )
    if not is_main_process():  # rank 0 reports for the run
        return 0
    resumed = "".join(
        f"; resumed at step {r.from_step}" + (f" (changed {describe(r.changed)})" if r.changed else "")
        for r in record.resumed
    )
    print(
        f"trained {record.method}: {record.optimizer_steps} steps, {record.training_tokens} tokens, "
        f"{record.wall_time_seconds:.0f} s{resumed} -> {args.output_dir}"
    )
    return 0


def _eval_on_save(args: argparse.Namespace) -> list:
    """The eval-on-save callback ``--eval-on-save BUDGETS`` asks for (none without it)."""
    if not getattr(args, "eval_on_save", None):
        return []
    from elastic_bench.baselines.callbacks import EvalOnSaveCallback

    try:
        budgets = [int(b) for b in args.eval_on_save.split(",") if b.strip()]
    except ValueError:
        raise ValueError(
            f"--eval-on-save: expected budgets such as 64,256, got {args.eval_on_save!r}"
        ) from None
    return [
        EvalOnSaveCallback(
            tasks=args.eval_tasks,
            budgets=budgets,
            limit=args.eval_limit,
            results_dir=args.results_dir,
            background=args.eval_background,
        )
    ]


def main(argv: list[str] | None = None) -> int:
    """Module entry point (``python -m`` / ``accelerate launch -m``): errors as one line."""
    parser = argparse.ArgumentParser(prog="elastic-bench train")
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return cmd_train(args)
    except ValueError as exc:
        print(f"elastic-bench: error: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
