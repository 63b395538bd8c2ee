"""``elastic-bench baselines``: train every method from one base on the same problems, evaluate each
checkpoint and the base with the same budget sweep, and compare them.

Steps (each resumable; a rerun skips what is finished):

1. one reference-sampling pass of the base (cached on disk; every method's recipe must agree on it),
2. per method: ``train_method`` into ``<output_root>/<method>/`` (a half-finished run resumes from
   its last TRL checkpoint; intermediate checkpoints are removed afterwards unless kept),
3. per model (base + each checkpoint): the ``elastic-bench run`` sweep (lm-eval + elastic-hf), and
   a result file whose ``training`` record says how the weights were made,
4. per L1 method (L1-Exact, L1-Max): budget following on the ``prompt`` strategy with the method's
   own wording (:mod:`~elastic_bench.baselines.budget_following`: mean thinking tokens, relative
   error, accuracy and the share within N, per budget), saved as ``<method>/budget_following.json``,
5. the Table-2-style comparison (Acc / Len / AES / AUC against the base, with training cost).

The state of a pipeline (which result file belongs to which weights) is ``<output_root>/pipeline.json``.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from elastic_bench.harness.benchmarks import TOY_PROBLEMS
from elastic_bench.harness.protocol import DEFAULT_SEED, DEFAULT_TASK
from elastic_bench.harness.results import ResultFile, TrainingRecord, entry_files, load_result

METHOD_LABELS = {
    "sft": "SFT",
    "dpo": "DPO",
    "o1_pruner": "O1-Pruner",
    "l1_exact": "L1-Exact",
    "l1_max": "L1-Max",
    "elastic": "Elastic",
}
STATE_FILE = "pipeline.json"
#: the report of a checkpoint's budget following (L1 methods), next to its weights
FOLLOWING_FILE = "budget_following.json"
#: methods whose budget following in the prompt is measured (they train on budgets stated there)
PROMPT_METHODS = ("l1_exact", "l1_max")


@dataclass
class ModelOutcome:
    """One evaluated model of the comparison (the base, or a method's checkpoint)."""

    method: str | None  # None: the base
    model_name: str
    checkpoint: str
    results: list[ResultFile] = field(default_factory=list)
    result_paths: list[str] = field(default_factory=list)
    record: TrainingRecord | None = None
    train_seconds: float | None = None  # this invocation's training time (None: reused)
    eval_seconds: float | None = None  # this invocation's evaluation time (None: reused)
    budget_following: dict | None = None  # L1 methods: baselines.budget_following's report


def method_model_name(base_name: str, method: str) -> str:
    """Leaderboard name of a retrained baseline: ``base (Method)`` (its base and method are also in the
    result's training record, which is what the comparison view groups by)."""
    return f"{base_name} ({METHOD_LABELS.get(method, method)})"


def parse_methods(text: str) -> list[str]:
    """``"sft,dpo"`` -> ``["sft", "dpo"]``; ValueError names an unknown method."""
    from elastic_bench.baselines.train import METHODS

    methods = [m.strip() for m in text.split(",") if m.strip()]
    if not methods:
        raise ValueError("--methods is empty")
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ValueError(f"unknown method(s) {', '.join(unknown)}; expected some of {', '.join(METHODS)}")
    return list(dict.fromkeys(methods))


def shared_data(methods: list[str], recipes: dict[str, Path], overrides: dict[str, str]):
    """``(DataConfig, seed, needs_references)`` the methods share; ValueError when they disagree.

    Methods trained on reference samples (SFT, DPO, O1-Pruner) must agree on the whole data section
    and seed: one reference set serves them all. On-policy GRPO methods (L1, Elastic) sample their
    own rollouts, so they must agree with the rest on the benchmark, training set, problem seed and
    seed only; their ``n_problems`` may differ, since a training set is one deterministic stream (a
    larger set extends a smaller one, so every method trains on the same first problems).
    """
    from elastic_bench.baselines.recipe import DataConfig, load_recipe
    from elastic_bench.baselines.train import method_module

    seen: dict[str, tuple[dict, int]] = {}
    on_policy = {}
    for method in methods:
        module = method_module(method)
        spec = load_recipe(recipes[method], module.CONFIG_CLASS, overrides)
        seen[method] = (spec["data"], int(spec["trainer"].get("seed", 42)))
        on_policy[method] = bool(getattr(module, "ON_POLICY", False))

    def stream(method: str) -> tuple:
        data = DataConfig(**seen[method][0])
        return data.benchmark, data.train_set, data.train_revision, data.problems_seed, seen[method][1]

    referenced = [m for m in methods if not on_policy[m]]
    first = (referenced or methods)[0]
    for method in methods[1:]:
        if method == first:
            continue
        both_referenced = not on_policy[method] and not on_policy[first]
        same = seen[method] == seen[first] if both_referenced else stream(method) == stream(first)
        if not same:
            what = "data or seed" if both_referenced else "benchmark, train_set, problems_seed or seed"
            raise ValueError(
                f"recipes of {first} and {method} differ in {what} ({seen[first]} vs {seen[method]}); "
                "every method must train on the same problems and references"
            )
    data, seed = seen[first]
    return DataConfig(**data), seed, bool(referenced)


# ------------------------------------------------------------------------------------ state


def _read_state(root: Path) -> dict:
    path = root / STATE_FILE
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text())
    except ValueError:
        return {}


def _write_state(root: Path, state: dict) -> None:
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".{STATE_FILE}.tmp"
    tmp.write_text(json.dumps(state, indent=1))
    tmp.replace(root / STATE_FILE)


def _reusable(entry: dict | None, weights: str | None, sweep: dict) -> list[ResultFile] | None:
    """The results recorded in ``entry`` when they are of these weights and this sweep, else None."""
    if not entry or entry.get("weights_sha256") != weights or entry.get("sweep") != sweep:
        return None
    try:
        return [load_result(p) for p in entry["results"]]
    except (OSError, ValueError, KeyError):
        return None


# ------------------------------------------------------------------------------- evaluation


def evaluate_model(
    outcome: ModelOutcome,
    tasks: str,
    limit: float | None,
    results_dir: Path,
    batch_size: int,
    seed: int,
    overwrite: bool,
    log,
) -> None:
    """Sweep ``outcome.checkpoint``; its results (named, with the training record) are stored."""
    from elastic_bench.harness.lmeval import SweepRequest, run_sweep

    update: dict = {"model_name": outcome.model_name, "training": outcome.record}
    if outcome.record is not None:
        update["notes"] = (
            f"Retrained by `elastic-bench baselines`: {outcome.record.method} from "
            f"{Path(outcome.record.base_model).name} ({outcome.record.training_data})."
        )
    request = SweepRequest(
        model_args={"pretrained": outcome.checkpoint},
        tasks=tuple(tasks.split(",")),
        limit=limit,
        results_dir=results_dir,
        batch_size=str(batch_size),
        seed=seed,
        overwrite=overwrite,
        entry_update=update,
    )
    start = time.monotonic()
    swept = run_sweep(request)
    outcome.eval_seconds = round(time.monotonic() - start, 1)
    for result, message, path in zip(swept.results, swept.messages, swept.paths, strict=True):
        log(f"  {outcome.model_name}: {message}")
        outcome.results.append(result)
        outcome.result_paths.append(str(path))


def _existing_base_entry(name: str, weights: str | None, results_dir: Path, tasks: str) -> list[Path]:
    """Leaderboard entries of the base already evaluated on the whole sweep with these weights."""
    from elastic_bench.harness.results import partial_reason

    found = []
    for path in entry_files(results_dir):
        try:
            result = load_result(path)
        except (OSError, ValueError):
            continue
        if result.kind != "reproduced":
            continue
        rep = result.reproducibility
        same_model = result.model_name == name and result.task_group in tasks.split(",")
        same_weights = rep is not None and weights is not None and rep.weights_sha256 == weights
        whole = partial_reason(result, None, None) is None  # every budget of the sweep
        if same_model and same_weights and whole and result.training is None:
            found.append(path)
    return found


def follow_budgets(outcome: ModelOutcome, weights: str | None, limit: float | None, log) -> bool:
    """Attach (and save next to the weights) the budget-following report of an L1 checkpoint;
    a saved report of the same weights and size is reused. Returns whether it was computed now."""
    from elastic_bench.baselines.budget_following import budget_following, render_table, wording_of

    n_problems = (
        TOY_PROBLEMS if limit is None else max(1, int(limit if limit >= 1 else round(TOY_PROBLEMS * limit)))
    )
    path = Path(outcome.checkpoint) / FOLLOWING_FILE
    if path.is_file():
        try:
            saved = json.loads(path.read_text())
        except ValueError:
            saved = {}
        if saved.get("weights_sha256") == weights and saved.get("n_problems") == n_problems:
            outcome.budget_following = saved
            return False
    report = budget_following(outcome.checkpoint, wording_of(outcome.method or ""), n_problems=n_problems)
    report.update({"weights_sha256": weights, "n_problems": n_problems, "method": outcome.method})
    path.write_text(json.dumps(report, indent=1))
    outcome.budget_following = report
    log(render_table(report, title=f"  {outcome.model_name}: budget following ({report['wording']} wording)"))
    return True


# ------------------------------------------------------------------------------------ the run


def run_baselines(
    methods: list[str],
    base: str,
    output_root: Path,
    *,
    tasks: str = DEFAULT_TASK,
    results_dir: Path = Path("results"),
    limit: float | None = None,
    recipes: dict[str, Path] | None = None,
    overrides: dict[str, str] | None = None,
    eval_batch_size: int = 64,
    eval_seed: int = DEFAULT_SEED,
    keep_checkpoints: bool = False,
    overwrite: bool = False,
    log=print,
) -> tuple[ModelOutcome, list[ModelOutcome], dict]:
    """Train, evaluate and compare; returns ``(base outcome, method outcomes, timings)``."""
    from elastic_bench.baselines.recipe import default_recipe
    from elastic_bench.baselines.train import RECORD_FILE, references, train_method
    from elastic_bench.harness.lmeval import model_name_of
    from elastic_bench.harness.provenance import portable_path, same_model_location, weights_sha256

    base = portable_path(base)  # what pipeline.json and the records name: the same in every clone
    overrides = dict(overrides or {})
    recipes = {m: Path((recipes or {}).get(m) or default_recipe(m)) for m in methods}
    data, seed, needs_refs = shared_data(methods, recipes, overrides)  # checks every recipe before any work
    from elastic_bench.baselines.common import load_base

    load_base(base)  # one-line error when the base is not a causal LM, before any work
    output_root = Path(output_root)
    results_dir = Path(results_dir)
    base_name = model_name_of(base)
    sweep = {"tasks": tasks, "limit": limit, "batch_size": eval_batch_size, "seed": eval_seed}
    state = _read_state(output_root)
    if state.get("base") is not None and not same_model_location(state["base"], base):
        raise ValueError(f"{output_root} holds a comparison of {state['base']}; choose another --output-root")
    state.update({"base": base, "methods": state.get("methods", {})})
    timings: dict[str, float] = {}
    total = len(methods) * 2 + 1 + needs_refs + sum(m in PROMPT_METHODS for m in methods)
    step = 0

    def stage(text: str) -> None:
        nonlocal step
        step += 1
        log(f"[{step}/{total}] {text}")

    # 1. the shared reference samples (only methods that learn from them need them)
    if needs_refs:
        stage(f"reference sampling: {data.n_problems} problems x {data.k} samples of {base_name}")
        start = time.monotonic()
        refs = references(data, base, seed)
        if not refs.cache_hit:
            timings["reference_sampling"] = round(time.monotonic() - start, 1)
        origin = "cached" if refs.cache_hit else "sampled"
        log(f"  {origin}: {len(refs.samples)} samples, {refs.generated_tokens} tokens, key {refs.key}")

    # 2. training
    outcomes = []
    for method in methods:
        out = output_root / method
        outcome = ModelOutcome(method, method_model_name(base_name, method), str(out))
        if (out / RECORD_FILE).is_file():
            stage(f"train {method}: done earlier ({out})")
            outcome.record = TrainingRecord.model_validate_json((out / RECORD_FILE).read_text())
        else:
            resume = out.is_dir() and any(out.iterdir())
            stage(f"train {method}{' (resuming)' if resume else ''} -> {out}")
            start = time.monotonic()
            outcome.record = train_method(method, base, out, recipes[method], overrides, resume=resume)
            outcome.train_seconds = round(time.monotonic() - start, 1)
            timings[f"train_{method}"] = outcome.train_seconds
            log(
                f"  {outcome.record.optimizer_steps} steps, {outcome.record.training_tokens} tokens, "
                f"{outcome.train_seconds:.0f} s"
            )
        if not keep_checkpoints:
            for ckpt in out.glob("checkpoint-*"):
                shutil.rmtree(ckpt)
        outcomes.append(outcome)

    # 3. evaluation: the base, then each checkpoint, with the same sweep
    base_outcome = ModelOutcome(None, base_name, base)
    base_weights = weights_sha256(base)
    reused = _reusable(state.get("base_eval"), base_weights, sweep)
    existing = [] if limit is not None else _existing_base_entry(base_name, base_weights, results_dir, tasks)
    if reused is None and existing and len(existing) == len(tasks.split(",")):
        reused = [load_result(p) for p in existing]
        state["base_eval"] = {
            "weights_sha256": base_weights,
            "sweep": sweep,
            "results": [str(p) for p in existing],
        }
    if reused is not None:
        stage(f"evaluate {base_name}: done earlier")
        base_outcome.results = reused
        base_outcome.result_paths = state["base_eval"]["results"]
    else:
        stage(f"evaluate {base_name} on {tasks}")
        evaluate_model(base_outcome, tasks, limit, results_dir, eval_batch_size, eval_seed, overwrite, log)
        timings["eval_base"] = base_outcome.eval_seconds
        state["base_eval"] = {
            "weights_sha256": base_weights,
            "sweep": sweep,
            "results": base_outcome.result_paths,
        }
    _write_state(output_root, state)

    for outcome in outcomes:
        weights = weights_sha256(outcome.checkpoint)
        reused = _reusable(state["methods"].get(outcome.method), weights, sweep)
        if reused is not None:
            stage(f"evaluate {outcome.model_name}: done earlier")
            outcome.results = reused
            outcome.result_paths = state["methods"][outcome.method]["results"]
            continue
        stage(f"evaluate {outcome.model_name} on {tasks}")
        evaluate_model(outcome, tasks, limit, results_dir, eval_batch_size, eval_seed, overwrite, log)
        timings[f"eval_{outcome.method}"] = outcome.eval_seconds
        state["methods"][outcome.method] = {
            "weights_sha256": weights,
            "sweep": sweep,
            "results": outcome.result_paths,
        }
        _write_state(output_root, state)

    # 4. budget following of the methods that learn budgets from the prompt
    for outcome in outcomes:
        if outcome.method not in PROMPT_METHODS:
            continue
        stage(f"budget following of {outcome.model_name} (prompt strategy)")
        start = time.monotonic()
        if follow_budgets(outcome, weights_sha256(outcome.checkpoint), limit, log):
            timings[f"follow_{outcome.method}"] = round(time.monotonic() - start, 1)
        else:
            log("  done earlier")
    return base_outcome, outcomes, timings
