"""``elastic-bench submit``: a result file (self-reported) or a checkpoint (queued for evaluation).

``submit RESULT.json`` validates a result file and adds it to the leaderboard's results directory.
``submit --checkpoint MODEL`` checks the model without loading it and records an evaluation request
that ``elastic-bench worker`` turns into a verified entry.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from elastic_bench.harness.cli._main import CLIError
from elastic_bench.harness.protocol import DEFAULT_TASK
from elastic_bench.harness.results import DEFAULT_RESULTS_DIR, ResultFileError, add_entry, validate_submission


def add_submit_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``submit FILE | --checkpoint MODEL ...`` on the CLI's subparsers."""
    parser = subparsers.add_parser(
        "submit",
        help="add a result file (self-reported) or queue a checkpoint for evaluation (verified)",
        description="Validate a result file (schema, consistency, reproducibility record) and copy it "
        "into the results directory (an existing entry is only replaced with --overwrite); or, with "
        "--checkpoint, check a model and queue it for evaluation under the leaderboard's own protocol.",
    )
    parser.add_argument("file", type=Path, nargs="?", help="result JSON to submit (self-reported)")
    parser.add_argument(
        "--results-dir", type=Path, default=DEFAULT_RESULTS_DIR, help="default: results/ in the CWD"
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing entry for the same model (or the entry with the same weights under "
        "another name)",
    )
    parser.add_argument(
        "--alias",
        action="store_true",
        help="the weights are an existing entry's under another name: add this as its alias (shown as "
        "'alias of ...', never a separate model in comparisons)",
    )
    queue = parser.add_argument_group("checkpoint (queued; evaluated by `elastic-bench worker`)")
    queue.add_argument("--checkpoint", default=None, help="hub id (org/name) or local model folder")
    queue.add_argument("--revision", default=None, help="hub revision (branch, tag or commit)")
    queue.add_argument(
        "--benchmarks",
        default=DEFAULT_TASK.removeprefix("elastic_"),
        help="comma-separated benchmarks, e.g. math500,aime (default: toy)",
    )
    queue.add_argument(
        "--chat-template",
        choices=("auto", "model", "none"),
        default="auto",
        help="auto: the model's own template when it has one; model: demand it; none: raw prompts",
    )
    queue.add_argument("--think-end", default=None, help="end-of-thinking marker (default </think>)")
    queue.add_argument("--note", default="", help="a note for the leaderboard's maintainers")
    parser.set_defaults(func=run_submit)
    return parser


def run_submit(args: argparse.Namespace) -> int:
    """Run ``elastic-bench submit``; prints one line and returns the exit status (0 ok, 1 rejected)."""
    if args.checkpoint is not None:
        if args.file is not None:
            raise CLIError("give a result file or --checkpoint MODEL, not both")
        return _submit_checkpoint(args)
    if args.file is None:
        raise CLIError(
            "give a result file (self-reported) or --checkpoint MODEL (evaluated by the leaderboard)"
        )
    try:
        result = validate_submission(args.file)
        had_samples = result.samples_file is not None
        dest = add_entry(
            result,
            args.results_dir,
            overwrite=args.overwrite,
            samples_base=args.file.parent,
            name=args.file.name,
            same_weights="alias" if args.alias else "refuse",
        )
    except ResultFileError as exc:
        print(f"rejected: {exc}")
        return 1
    written = json.loads(dest.read_text(encoding="utf-8"))
    alias = f", alias of {written['alias_of']!r}" if written.get("alias_of") else ""
    print(
        f"added {result.kind} {result.model_name!r} ({result.benchmark}, {len(result.points)} budgets{alias}) -> {dest}"
    )
    if had_samples and result.samples_file is not None and written.get("samples_file") is None:
        print(
            f"note: samples file {result.samples_file!r} not found next to {args.file}; submitted without samples"
        )
    return 0


def _submit_checkpoint(args: argparse.Namespace) -> int:
    """Check the checkpoint and record its evaluation request; a refusal is one line (exit 1)."""
    from elastic_bench.harness.queue import QueueError, RequestStore, check_checkpoint

    try:
        spec = check_checkpoint(args.checkpoint, args.revision, args.think_end, args.chat_template)
        request = RequestStore.of_results(args.results_dir).submit(
            spec, args.benchmarks.split(","), note=args.note
        )
    except QueueError as exc:
        print(f"rejected: {exc}")
        return 1
    protocols = ", ".join(f"{p.benchmark} ({p.version})" for p in request.protocols)
    weights = f", weights {spec.weights_sha256[:12]}" if spec.weights_sha256 else ""
    print(
        f"queued {request.id}: {spec.display_name} ({spec.model}{weights}) on {protocols}; "
        f"status: elastic-bench queue {request.id}"
    )
    return 0
