"""``elastic-bench run``: a budget sweep through lm-eval, converted and stored as a result file.

With no arguments it evaluates the embedded tiny reasoner on ``elastic_toy`` (a real budget sweep,
offline, on CPU), writes lm-eval's outputs and a validated result file into ``results/`` and prints
the budget table. :func:`evaluate_sweep` is the shared core (``baselines`` runs it too).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from elastic_bench.harness.cli._main import DEFAULT_RESULTS_DIR, CLIError
from elastic_bench.harness.protocol import DEFAULT_BACKEND, DEFAULT_SEED, DEFAULT_TASK


def _our_task_names() -> set[str]:
    from elastic_bench.harness.lmeval import tasks_dir

    return {p.stem for p in Path(tasks_dir()).rglob("*.yaml")}


def _task_manager(tasks: list[str], include_path: list[str], metadata: dict | None = None):
    """A TaskManager; lm-eval's 14k built-in tasks are indexed only when a requested task needs them."""
    from lm_eval.tasks import TaskManager

    from elastic_bench.harness.lmeval import tasks_dir

    ours_only = all(t in _our_task_names() for t in tasks)
    manager = TaskManager(
        include_path=[tasks_dir(), *include_path], include_defaults=not ours_only, metadata=metadata
    )
    unknown = [t for t in tasks if t not in manager.all_tasks]
    if unknown:
        hint = ", ".join(sorted(t for t in manager.all_tasks if t.startswith("elastic_") and "_t0" not in t))
        raise CLIError(f"unknown task(s): {', '.join(unknown)} (elastic-bench tasks: {hint})")
    return manager


def _check_model(name: str) -> type:
    """The backend class registered as ``name`` (loading its module, not its weights)."""
    import lm_eval.models  # noqa: F401
    from lm_eval.api.registry import get_model, model_registry

    if name not in model_registry:
        raise CLIError(f"unknown model backend {name!r}; try elastic-hf or any lm-eval model")
    return get_model(name)


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
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (0 < value < 1 or (value >= 1 and value.is_integer())):
        raise argparse.ArgumentTypeError(
            f"expected a number of problems (1, 2, ...) or a fraction (0 < x < 1), got {text!r}"
        )
    return value


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


def _new_run_dir(results_dir: Path, model: str, tasks: list[str]) -> Path:
    """A fresh folder for one run's lm-eval outputs (created here, so two runs never share one)."""
    from elastic_bench.harness.protocol import safe_filename
    from elastic_bench.harness.results import RUNS_DIRNAME

    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    base = results_dir / RUNS_DIRNAME / safe_filename(f"{model}__{'+'.join(tasks)}"[:150] + f"__{stamp}")
    base.parent.mkdir(parents=True, exist_ok=True)
    for n in range(1, 10_000):
        candidate = base if n == 1 else base.with_name(f"{base.name}-{n}")
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate
    raise CLIError(f"cannot create a run folder next to {base}")


def _cache_path(results_dir: Path, model: str, model_args: dict[str, str]) -> str:
    """Per-model request cache, keyed by the weights (a retrained model never reuses stale answers)."""
    from elastic_bench.harness.protocol import safe_filename
    from elastic_bench.harness.provenance import weights_sha256
    from elastic_bench.models.tiny_reasoner import CHECKPOINT_DIR

    pretrained = model_args.get("pretrained") or (str(CHECKPOINT_DIR) if model.startswith("elastic-") else "")
    path = Path(pretrained).expanduser()
    key = weights_sha256(path) if path.is_dir() else None
    key = (key or f"{pretrained}@{model_args.get('revision', 'main')}")[:16]
    safe = safe_filename(f"{model}-{path.name or pretrained}-{key}")
    return str(results_dir / ".cache" / safe)


def evaluate_sweep(args: argparse.Namespace):
    """Run ``args`` (the ``run`` command's arguments) through lm-eval and convert the outputs.

    Returns ``(results, run_dir, samples_dir, wall_seconds)`` (None on non-zero distributed ranks);
    stores nothing, so callers (``run``, ``baselines``) decide what becomes a leaderboard entry.
    """
    from lm_eval import simple_evaluate
    from lm_eval.loggers import EvaluationTracker

    from elastic_bench.harness.lmeval import (
        check_model_args,
        convert_run,
        find_run_outputs,
        parse_model_args,
        quiet_lm_eval,
        task_specs,
    )

    tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
    if not tasks:
        raise CLIError("--tasks is empty")
    backend = _check_model(args.model)
    model_args = parse_model_args(args.model_args)
    if args.model.startswith("elastic-") and "pretrained" not in model_args:
        from elastic_bench.harness.provenance import portable_path
        from elastic_bench.models.tiny_reasoner import CHECKPOINT_DIR

        # recorded explicitly, and relative to a checkout it lies in (not this machine's absolute path)
        model_args = {"pretrained": portable_path(CHECKPOINT_DIR), **model_args}
    # names and values against the backend's declared arguments, before any weights load
    extra = {"batch_size": args.batch_size, "device": args.device}
    check_model_args(backend, {**model_args, **{k: v for k, v in extra.items() if v is not None}})
    metadata = _metadata(args.metadata)
    manager = _task_manager(tasks, args.include_path, metadata)
    results_dir = Path(args.results_dir)
    cache = None if args.no_cache else _cache_path(results_dir, args.model, model_args)
    if cache and args.model.startswith("elastic-"):
        # our backends journal every finished response themselves (sampled ones too, which
        # lm-eval's --use_cache skips), so a rerun after a crash resumes where it stopped
        model_args.setdefault("journal", f"{cache}.journal.sqlite")
        cache = None

    quiet_lm_eval(_our_task_names())  # no lm-eval noise that is not about this run
    specs = task_specs(tasks, args.k, manager) if args.k is not None else tasks
    run_dir = _new_run_dir(results_dir, args.model, tasks)

    started = time.time()
    tracker = EvaluationTracker(output_path=str(run_dir))
    results = simple_evaluate(
        model=args.model,
        model_args=model_args,
        tasks=specs,
        task_manager=manager,
        limit=args.limit,
        batch_size=args.batch_size,
        device=args.device,
        use_cache=cache,
        log_samples=True,
        evaluation_tracker=tracker,
        apply_chat_template=args.apply_chat_template,
        random_seed=args.seed,
        numpy_random_seed=args.seed,
        torch_random_seed=args.seed,
        fewshot_random_seed=args.seed,
        metadata=metadata,
    )
    if results is None:  # non-zero ranks in distributed runs
        return None
    samples = results.pop("samples")
    tracker.save_results_aggregated(results=results, samples=samples)
    for task_name in results["configs"]:
        tracker.save_results_samples(task_name=task_name, samples=samples[task_name])
    wall = time.time() - started

    results_json, sample_files = find_run_outputs(run_dir)
    converted = convert_run(results_json, sample_files, extra_repro={"wall_time_seconds": round(wall, 1)})
    samples_dir = sample_files[0].parent if sample_files else run_dir
    return converted, run_dir, samples_dir, wall


def cmd_run(args: argparse.Namespace) -> int:
    """Evaluate a model on budget-sweep tasks through lm-eval; convert and store the results."""
    from rich.console import Console

    from elastic_bench.harness.cli._tables import render_table
    from elastic_bench.harness.results import store_run_result

    console = Console(width=160 if not sys.stdout.isatty() else None)
    outcome = evaluate_sweep(args)
    if outcome is None:  # non-zero ranks in distributed runs
        return 0
    converted, run_dir, samples_dir, wall = outcome
    for result in converted:
        console.print(render_table(result))
        stored = store_run_result(
            result, Path(args.results_dir), run_dir, samples_dir, args.limit, args.overwrite
        )
        console.print(f"{stored}  (lm-eval outputs: {run_dir}; {wall:.1f}s)", markup=False, soft_wrap=True)
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
    p.set_defaults(func=cmd_run)
