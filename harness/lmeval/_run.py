"""``run_sweep``: the one typed way to evaluate a model on budget-sweep tasks through lm-eval.

A :class:`SweepRequest` in, a :class:`SweepOutcome` out: lm-eval runs the tasks (our backends journal
every finished response, so a rerun after a crash resumes where it stopped), its outputs land in a
fresh run folder, they are converted into result files, and each result becomes a leaderboard entry
only when it is complete (else it is kept in the run folder). ``elastic-bench run``, the baselines
pipeline, the eval-on-save callback and the validation sweeps all call it.

``num_processes=N`` evaluates data-parallel: the request is checked here, then N processes are
launched (``torch.distributed.run``, gloo on the CPU, a GPU each where there are GPUs); each
evaluates its share of the problems, rank 0 writes the outputs and hands the outcome back. Called
inside such a launch (``accelerate launch -m elastic_bench.harness.cli run``), it runs as one rank.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import pickle
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from elastic_bench.harness.protocol import DEFAULT_BACKEND, DEFAULT_SEED, DEFAULT_TASK, safe_filename
from elastic_bench.harness.results import DEFAULT_RESULTS_DIR


class SweepError(ValueError):
    """A request that cannot run (unknown task or backend, bad model args, empty task list)."""


@dataclass(frozen=True)
class SweepRequest:
    """What to evaluate and where the results go.

    ``model_args`` is lm-eval's ``key=value,...`` string or a mapping. ``limit`` is lm-eval's
    (problems per task, or a fraction of them); ``k`` overrides the tasks' samples per problem.
    ``metadata`` reaches the tasks' loaders; ``gen_kwargs`` overrides generation kwargs of EVERY task
    (as lm-eval's ``--gen_kwargs`` does: never a per-budget key such as ``thinking_budget``).
    ``journal=False`` neither resumes from nor writes the per-model response journal. ``store=False``
    converts without adding anything to ``results_dir`` (``entry_update`` sets fields of each result
    file, such as ``model_name``, ``training`` or the ``training_run`` of a checkpoint evaluated during
    training, before it is stored). ``num_processes`` > 1 splits
    the problems across that many processes (a backend that can: elastic-hf, lm-eval's hf).
    """

    model: str = DEFAULT_BACKEND
    model_args: str | Mapping[str, Any] = ""
    tasks: Sequence[str] = (DEFAULT_TASK,)
    limit: float | None = None
    k: int | None = None
    seed: int = DEFAULT_SEED
    batch_size: int | str | None = None
    device: str | None = None
    metadata: Mapping[str, Any] | None = None
    gen_kwargs: Mapping[str, Any] | None = None
    apply_chat_template: bool = False
    include_path: Sequence[str] = ()
    results_dir: Path = DEFAULT_RESULTS_DIR
    journal: bool = True
    store: bool = True
    overwrite: bool = False
    entry_update: Mapping[str, Any] = field(default_factory=dict)
    num_processes: int = 1


@dataclass
class SweepOutcome:
    """The converted result files (as stored), where each went, and the run's own folder."""

    results: list = field(default_factory=list)
    paths: list[Path] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    run_dir: Path = Path()
    samples_dir: Path = Path()
    wall_seconds: float = 0.0


def check_limit(value: float | str) -> float:
    """lm-eval's ``limit``: a number of problems (an integer >= 1) or a fraction of them (0 < x < 1)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not (0 < number < 1 or (number >= 1 and number.is_integer())):
        raise SweepError(
            f"expected a number of problems (1, 2, ...) or a fraction (0 < x < 1), got {value!r}"
        )
    return number


def our_task_names() -> set[str]:
    """Names of every task YAML elastic-bench ships (tasks and groups)."""
    from elastic_bench.harness.lmeval._plugin import tasks_dir

    return {p.stem for p in Path(tasks_dir()).rglob("*.yaml")}


def _task_manager(tasks: Sequence[str], include_path: Sequence[str], metadata: dict | None, ours: set[str]):
    """A TaskManager; lm-eval's 14k built-in tasks are indexed only when a requested task needs them
    (``ours``: the names of our task files)."""
    from lm_eval.tasks import TaskManager

    from elastic_bench.harness.lmeval._plugin import tasks_dir

    ours_only = all(t in ours for t in tasks)
    manager = TaskManager(
        include_path=[tasks_dir(), *include_path], include_defaults=not ours_only, metadata=metadata
    )
    unknown = [t for t in tasks if t not in manager.all_tasks]
    if unknown:
        hint = ", ".join(sorted(t for t in manager.all_tasks if t.startswith("elastic_") and "_t0" not in t))
        raise SweepError(f"unknown task(s): {', '.join(unknown)} (elastic-bench tasks: {hint})")
    return manager


def backend_class(name: str) -> type:
    """The backend class registered in lm-eval as ``name`` (loading its module, not its weights)."""
    import lm_eval.models  # noqa: F401
    from lm_eval.api.registry import get_model, model_registry

    if name not in model_registry:
        raise SweepError(f"unknown model backend {name!r}; try elastic-hf or any lm-eval model")
    return get_model(name)


def _new_run_dir(results_dir: Path, model: str, tasks: Sequence[str]) -> Path:
    """A fresh folder for one run's lm-eval outputs (created here, so two runs never share one)."""
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
    raise SweepError(f"cannot create a run folder next to {base}")


def _cache_path(results_dir: Path, model: str, model_args: Mapping[str, str]) -> str:
    """Per-model request cache, keyed by the weights (a retrained model never reuses stale answers)."""
    from elastic_bench.harness.provenance import weights_sha256

    pretrained = model_args.get("pretrained") or model_args.get("model") or ""
    path = Path(pretrained).expanduser()
    key = weights_sha256(path) if path.is_dir() else None
    key = (key or f"{pretrained}@{model_args.get('revision', 'main')}")[:16]
    safe = safe_filename(f"{model}-{path.name or pretrained}-{key}")
    return str(results_dir / ".cache" / safe)


def resolve_model_args(model: str, model_args: str | Mapping[str, Any]) -> tuple[type, dict[str, str]]:
    """The backend class and its model args, with the backend's own default checkpoint filled in
    (recorded relative to the checkout it lies in, not as this machine's absolute path)."""
    from elastic_bench.harness.lmeval._model_args import parse_model_args
    from elastic_bench.harness.provenance import portable_path

    backend = backend_class(model)
    args = (
        parse_model_args(model_args)
        if isinstance(model_args, str)
        else {str(k): str(v) for k, v in model_args.items()}
    )
    default = getattr(backend, "DEFAULT_PRETRAINED", None)
    if default is not None and "pretrained" not in args:
        args = {"pretrained": portable_path(default), **args}
    return backend, args


def _takes_seed(backend: type) -> bool:
    """Whether a backend's constructor has a ``seed`` argument (ours seed their sampling with it)."""
    try:
        return "seed" in inspect.signature(backend).parameters
    except (TypeError, ValueError):
        return False


def _remove_if_empty(run_dir: Path) -> None:
    """Remove a run folder left empty, and ``runs/`` too when that was all it held."""
    for folder in (run_dir, run_dir.parent):
        with contextlib.suppress(OSError):
            folder.rmdir()  # only an empty folder goes


def launched_rank() -> tuple[int, int]:
    """(rank, number of processes) of this process as a launcher (torchrun, accelerate) set them."""
    try:
        return int(os.environ.get("RANK", "0")), max(1, int(os.environ.get("WORLD_SIZE", "1")))
    except ValueError:
        return 0, 1


def _launch(request: SweepRequest) -> SweepOutcome:
    """Run ``request`` as ``request.num_processes`` processes; rank 0's outcome, or its error."""
    n = request.num_processes
    with tempfile.TemporaryDirectory(prefix="elastic-bench-launch-") as folder:
        handoff = Path(folder)
        (handoff / "request.pkl").write_bytes(pickle.dumps(request))
        env = dict(os.environ)
        # the cores shared out, as torchrun's default of one thread per process would leave them idle
        env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // n)))
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={n}"]
        cmd += ["-m", __name__, str(handoff)]
        proc = subprocess.Popen(cmd, env=env)
        try:
            proc.wait()
        except BaseException:  # interrupted: torchrun stops its processes (their journals are kept)
            proc.terminate()
            proc.wait()
            raise
        for name in ["outcome.pkl"] + sorted(p.name for p in handoff.glob("error.rank*.pkl")):
            if (handoff / name).is_file():
                answer = pickle.loads((handoff / name).read_bytes())
                if isinstance(answer, BaseException):
                    raise answer
                return answer
    raise SweepError(f"the {n} evaluation processes failed (exit status {proc.returncode}); see above")


def _launched_main(handoff: str) -> int:
    """One launched process: evaluate its share; rank 0 hands the outcome back, a rank its error."""
    folder = Path(handoff)
    rank, _ = launched_rank()
    try:
        outcome = run_sweep(pickle.loads((folder / "request.pkl").read_bytes()))
    except Exception as exc:
        try:  # the error itself where it survives pickling, else its message
            answer = pickle.dumps(exc)
            pickle.loads(answer)
        except Exception:
            answer = pickle.dumps(SweepError(str(exc)))
        (folder / f"error.rank{rank}.pkl").write_bytes(answer)
        print(f"elastic-bench: rank {rank}: {exc}", file=sys.stderr)
        return 1
    if outcome is not None:
        (folder / "outcome.pkl").write_bytes(pickle.dumps(outcome))
    return 0


def run_sweep(request: SweepRequest) -> SweepOutcome | None:
    """Evaluate ``request`` through lm-eval, convert its outputs and store the result files.

    Returns None on the non-zero ranks of a distributed run (rank 0 writes everything).
    """
    from lm_eval import simple_evaluate
    from lm_eval.loggers import EvaluationTracker

    from elastic_bench.harness.lmeval._convert import convert_run
    from elastic_bench.harness.lmeval._model_args import check_model_args
    from elastic_bench.harness.lmeval._output import save_run_outputs
    from elastic_bench.harness.lmeval._quiet import quiet_lm_eval
    from elastic_bench.harness.lmeval._task_specs import task_specs
    from elastic_bench.harness.provenance import redact
    from elastic_bench.harness.results import DiskFullError, load_result, store_run_result_at

    tasks = [t.strip() for t in request.tasks if t.strip()]
    if not tasks:
        raise SweepError("--tasks is empty")
    if request.limit is not None:
        check_limit(request.limit)
    backend, model_args = resolve_model_args(request.model, request.model_args)
    if "seed" not in model_args and _takes_seed(backend):
        # the run's seed drives the backend's sampling (and is recorded as the model seed) unless
        # the model args name one of their own
        model_args["seed"] = str(request.seed)
    ours = request.model.startswith("elastic-")
    # names and values against the backend's declared arguments, before any weights load
    extra = {"batch_size": request.batch_size, "device": request.device}
    check_model_args(backend, {**model_args, **{k: v for k, v in extra.items() if v is not None}})
    metadata = dict(request.metadata) if request.metadata else None
    our_tasks = our_task_names()
    manager = _task_manager(tasks, request.include_path, metadata, our_tasks)
    results_dir = Path(request.results_dir)
    cache = _cache_path(results_dir, request.model, model_args) if request.journal else None
    if cache and ours:
        # our backends journal every finished response themselves (sampled ones too, which
        # lm-eval's --use_cache skips), so a rerun after a crash resumes where it stopped
        model_args.setdefault("journal", f"{cache}.journal.sqlite")
        cache = None

    rank, world_size = launched_rank()
    if request.num_processes < 1:
        raise SweepError(f"num_processes must be 1 or more, got {request.num_processes}")
    if request.num_processes > 1 and world_size == 1:
        if ours and not getattr(backend, "DATA_PARALLEL", False):
            raise SweepError(
                f"{request.model} does not split problems across processes; use --num-processes 1 "
                "(elastic-vllm: model arg data_parallel_size)"
            )
        return _launch(request)

    quiet_lm_eval(our_tasks)  # no lm-eval noise that is not about this run
    specs = task_specs(tasks, request.k, manager) if request.k is not None else tasks
    # one run folder, rank 0's: the other ranks write nothing
    run_dir = _new_run_dir(results_dir, request.model, tasks) if rank == 0 else None

    started = time.time()
    tracker = EvaluationTracker(output_path=str(run_dir) if run_dir else None)
    try:
        results = simple_evaluate(
            model=request.model,
            model_args=model_args,
            tasks=specs,
            task_manager=manager,
            limit=request.limit,
            batch_size=request.batch_size,
            device=request.device,
            use_cache=cache,
            log_samples=True,
            evaluation_tracker=tracker,
            apply_chat_template=request.apply_chat_template,
            random_seed=request.seed,
            numpy_random_seed=request.seed,
            torch_random_seed=request.seed,
            fewshot_random_seed=request.seed,
            gen_kwargs=dict(request.gen_kwargs) if request.gen_kwargs else None,
            metadata=metadata,
        )
    except BaseException:
        if run_dir is not None:
            _remove_if_empty(run_dir)  # an interrupted run leaves no empty folder
        raise
    if results is None:  # non-zero ranks in distributed runs
        return None
    samples = results.pop("samples")
    results["config"] = redact(results.get("config"))  # lm-eval's own results file keeps no URL credentials
    try:
        results_json, sample_files = save_run_outputs(tracker, results, samples)
    except DiskFullError as exc:
        _remove_if_empty(run_dir)
        journal = model_args.get("journal")
        kept = (
            f" (the responses are kept in {journal}: running again does not generate them)" if journal else ""
        )
        raise DiskFullError(f"{exc}{kept}") from None
    wall = time.time() - started

    converted = convert_run(results_json, sample_files, extra_repro={"wall_time_seconds": round(wall, 1)})
    samples_dir = sample_files[0].parent if sample_files else run_dir
    outcome = SweepOutcome(run_dir=run_dir, samples_dir=samples_dir, wall_seconds=wall)
    for result in converted:
        if request.entry_update:
            result = result.model_copy(update=dict(request.entry_update))
        if request.store:
            message, path = store_run_result_at(
                result, results_dir, run_dir, samples_dir, request.limit, request.overwrite
            )
            outcome.messages.append(message)
            outcome.paths.append(path)
            result = load_result(path)
        outcome.results.append(result)
    return outcome


if __name__ == "__main__":  # one process of ``run_sweep``'s data-parallel launch
    # through the package's module, so errors and outcomes pickle under their importable names
    from elastic_bench.harness.lmeval._run import _launched_main as launched_main

    sys.exit(launched_main(sys.argv[1]))
