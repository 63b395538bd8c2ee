"""Trainer validation for L1-Exact and L1-Max on the budget-following environment
(:mod:`~elastic_bench.baselines.validate.budget_env`).

``validate(method)`` pre-trains the environment's base (or reuses it), measures budget following at
:data:`BUDGETS`, runs the project's L1 trainer (``baselines.l1.make_trainer`` with the method's toy
recipe, re-ranged to this environment's budgets) and measures again. Acceptance:

* L1-Exact: Spearman correlation of mean thinking n with N >= 0.95 over the budgets and median
  |n - N| / N <= 0.15 over all samples.
* L1-Max: n <= N for >= 95% of the samples at every budget, accuracy within 2 points of the start.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from elastic_bench.baselines.validate.budget_env import (
    BENCHMARK,
    TEMPLATE,
    EnvConfig,
    budget_statement,
    pretrain_base,
    problems,
)

METHODS = ("l1_exact", "l1_max")
#: the budgets measured before and after training (at least five, inside the training range)
BUDGETS = (40, 80, 120, 160, 200)
#: what the trainer draws N from (L1Config.target_min / target_max)
TARGET_RANGE = (30, 220)
SPEARMAN_MIN = 0.95
REL_ERROR_MAX = 0.15
WITHIN_MIN = 0.95
ACCURACY_DROP_MAX = 0.02
#: the toy recipes' alpha rescaled to this range: alpha * (N_max - N_min) = 1.17 as at full scale
ALPHA = round(1.17 / (TARGET_RANGE[1] - TARGET_RANGE[0]), 5)

#: trainer settings over the method's toy recipe (full run, and ``quick``: a smoke run)
TRAINER = {
    "l1_alpha": ALPHA,
    "target_min": TARGET_RANGE[0],
    "target_max": TARGET_RANGE[1],
    "temperature": 1.0,
    "learning_rate": 1e-4,
    "max_steps": 200,
    "save_strategy": "no",
    "logging_steps": 10,
}
#: measurements sample at the trainer's temperature (this, or a ``trainer.temperature`` override): the
#: policy L1 optimizes. The base's greedy
#: decoding is degenerate here (its number of countdown lines is uniform, so continuing is always the
#: likeliest token and greedy runs to the cap without answering).
MEASURE_TEMPERATURE = float(TRAINER["temperature"])
QUICK_TRAINER = {"max_steps": 1, "num_generations": 4, "per_device_train_batch_size": 8}
QUICK_ENV = EnvConfig(n_pretrain=48, max_steps=4, hidden_size=32, num_layers=1, tokens_per_batch=2048)
#: problems per budget in a measurement (full, quick)
EVAL_PROBLEMS = (100, 6)
KIND = {"l1_exact": "exact", "l1_max": "max"}


def spearman(x: list[float], y: list[float]) -> float:
    """Spearman's rank correlation (average ranks for ties); 0.0 when either side is constant."""
    from scipy.stats import spearmanr

    if len(set(x)) < 2 or len(set(y)) < 2:
        return 0.0
    return float(spearmanr(x, y).statistic)


def summarize(budgets: list[int], think: dict[int, list[int]], correct: dict[int, list[bool]]) -> dict:
    """Per-budget rows and the acceptance figures from each sample's thinking tokens and correctness."""
    rows = []
    rel = []
    for n_budget in budgets:
        ns = think[n_budget]
        rel += [abs(n - n_budget) / n_budget for n in ns]
        rows.append(
            {
                "budget": n_budget,
                "mean_think_tokens": round(statistics.fmean(ns), 1),
                "rel_error_of_mean": round(abs(statistics.fmean(ns) - n_budget) / n_budget, 3),
                "within_budget": round(sum(n <= n_budget for n in ns) / len(ns), 4),
                "accuracy": round(sum(correct[n_budget]) / len(correct[n_budget]), 4),
                "samples": len(ns),
            }
        )
    everything = [c for n_budget in budgets for c in correct[n_budget]]
    return {
        "rows": rows,
        "spearman": round(spearman(list(budgets), [r["mean_think_tokens"] for r in rows]), 4),
        "median_rel_error": round(statistics.median(rel), 4),
        "within_budget": {str(r["budget"]): r["within_budget"] for r in rows},
        "accuracy": round(sum(everything) / len(everything), 4),
    }


def acceptance(method: str, start: dict, end: dict) -> dict:
    """The issue's bar for ``method`` on the end figures: ``{"passed", "checks": {name: bool}}``."""
    if method == "l1_exact":
        checks = {
            f"spearman >= {SPEARMAN_MIN}": end["spearman"] >= SPEARMAN_MIN,
            f"median |n-N|/N <= {REL_ERROR_MAX}": end["median_rel_error"] <= REL_ERROR_MAX,
        }
    elif method == "l1_max":
        checks = {
            f"n <= N for >= {WITHIN_MIN:.0%} at every N": all(
                w >= WITHIN_MIN for w in end["within_budget"].values()
            ),
            f"accuracy within {100 * ACCURACY_DROP_MAX:.0f} points of start": end["accuracy"]
            >= start["accuracy"] - ACCURACY_DROP_MAX - 1e-9,
        }
    else:
        raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    return {"passed": all(checks.values()), "checks": checks}


def max_tokens_of(base: dict) -> int:
    """The generation cap for a base: its longest pre-training trace (countdown lines of ``unit``
    tokens) plus room for the first line, ``</think>`` and the answer."""
    return int(base["unit"]) * (int(base["config"]["max_steps"]) + 4) + 16


def measure(
    model,
    tokenizer,
    kind: str,
    n_problems: int,
    max_tokens: int,
    seed: int = 12345,
    temperature: float = 0.0,
) -> dict:
    """Budget following of ``model`` at :data:`BUDGETS` (the ``prompt`` strategy on the project's
    generator, greedy or sampled at ``temperature``, thinking counted as the L1 reward counts it),
    graded by the project's grader."""
    from elastic_bench.baselines.grpo_common import budget_prompt, think_tokens
    from elastic_bench.harness.generation import Budget, BudgetedGenerator, BudgetedRequest, Sampling
    from elastic_bench.harness.grading import grade_many
    from elastic_bench.harness.protocol import PROMPT, THINK_END
    from elastic_bench.models.hf_generator import HFTokenGenerator

    backend = HFTokenGenerator(model, tokenizer, batch_size=64)
    marker_ids = tokenizer(THINK_END, add_special_tokens=False)["input_ids"]
    eos = list(backend.eos_token_ids)
    budget = Budget(thinking=None, solution=None, strategy=PROMPT, max_tokens=max_tokens)
    test = problems(n_problems, seed)
    requests, keys = [], []
    for n_budget in BUDGETS:
        for p in test:
            text = budget_prompt(tokenizer, p.problem, TEMPLATE, budget_statement(kind, n_budget))
            request = BudgetedRequest(
                tuple(backend.encode(text)), budget, Sampling(temperature=temperature), seed=len(requests)
            )
            requests.append(request)
            keys.append((n_budget, p.answer))
    was_training = model.training
    model.eval()
    try:
        results = BudgetedGenerator(backend, marker=THINK_END, share_prefix=False).run(requests)
    finally:
        model.train(was_training)
    outputs = [r.output_ids() for r in results]
    texts = [backend.decode([t for t in ids if t not in eos]) for ids in outputs]
    grades = grade_many([(t, a, BENCHMARK) for t, (_, a) in zip(texts, keys, strict=True)], workers=1)
    think: dict[int, list[int]] = {n: [] for n in BUDGETS}
    correct: dict[int, list[bool]] = {n: [] for n in BUDGETS}
    for ids, g, (n_budget, _) in zip(outputs, grades, keys, strict=True):
        think[n_budget].append(think_tokens(ids, marker_ids, eos))
        correct[n_budget].append(bool(g.correct))
    return summarize(list(BUDGETS), think, correct)


def check_overrides(overrides: dict | None) -> None:
    """ValueError (one line) unless every override is a ``trainer.*`` key."""
    for key in overrides or {}:
        if not key.startswith("trainer."):
            raise ValueError(f"override {key!r}: this environment takes trainer.* overrides only")


def train_l1(
    method: str, base: Path, output_dir: Path, quick: bool, max_tokens: int, overrides: dict | None = None
) -> tuple[object, object, dict]:
    """The project's L1 trainer (``baselines.l1.make_trainer``) on this environment's problems, with
    the method's toy recipe and :data:`TRAINER` over it (rollouts capped at ``max_tokens``); returns
    (model, tokenizer, log summary)."""
    from transformers import set_seed

    from elastic_bench.baselines.common import load_base
    from elastic_bench.baselines.recipe import default_recipe, load_recipe
    from elastic_bench.baselines.train import COMMON_FORCED, method_module

    module = method_module(method)
    settings = {**TRAINER, **(QUICK_TRAINER if quick else {}), "max_completion_length": max_tokens}
    check_overrides(overrides)
    recipe = {**{f"trainer.{k}": str(v) for k, v in settings.items()}, **(overrides or {})}
    spec = load_recipe(default_recipe(method), module.CONFIG_CLASS, recipe)
    kwargs = {**spec["trainer"], **COMMON_FORCED, **module.FORCED, "output_dir": str(output_dir)}
    kwargs.update(benchmark=BENCHMARK, prompt_template=TEMPLATE)
    args = module.CONFIG_CLASS(**kwargs)
    model, tokenizer = load_base(str(base))
    train_problems = problems(64 if quick else 2000, seed=7)
    set_seed(args.seed)
    refs = module.no_references(base, train_problems)
    trainer = module.make_trainer(model, tokenizer, refs, args, problems=train_problems)
    start = time.monotonic()
    trainer.train()
    logs = [h for h in trainer.state.log_history if "loss" in h or "reward" in h]
    summary = {
        "steps": int(trainer.state.global_step),
        "seconds": round(time.monotonic() - start, 1),
        "log": [
            {k: h[k] for k in ("step", "reward", "think_tokens", "target_rel_error") if k in h} for h in logs
        ],
        "trainer": {
            k: kwargs[k]
            for k in sorted(
                {
                    *settings,
                    *(key.removeprefix("trainer.") for key in overrides or {}),
                    "num_generations",
                    "per_device_train_batch_size",
                }
            )
        },
    }
    return trainer.model, tokenizer, summary


def validate(
    method: str, *, quick: bool = False, work_dir: str | Path | None = None, overrides: dict | None = None
) -> dict:
    """Run the environment for ``method`` end to end; returns start and end figures, acceptance and
    timings. ``work_dir`` keeps the pre-trained base (reused by later runs) and the trainer's output;
    ``overrides`` (``trainer.KEY``: value) go over :data:`TRAINER`."""
    import torch

    from elastic_bench.baselines.common import load_base

    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    check_overrides(overrides)
    started = time.monotonic()
    env = QUICK_ENV if quick else EnvConfig()
    n_eval = EVAL_PROBLEMS[1] if quick else EVAL_PROBLEMS[0]
    with tempfile.TemporaryDirectory(prefix="elastic_bench_validate_") as scratch:
        root = Path(work_dir) if work_dir else Path(scratch)
        base_dir = root / ("base_quick" if quick else "base")
        base = pretrain_base(base_dir, env, threads=torch.get_num_threads())
        cap = max_tokens_of(base)
        model, tokenizer = load_base(str(base_dir))
        t0 = time.monotonic()
        temperature = float((overrides or {}).get("trainer.temperature", MEASURE_TEMPERATURE))
        start = measure(model, tokenizer, KIND[method], n_eval, cap, temperature=temperature)
        start_seconds = time.monotonic() - t0
        del model
        model, tokenizer, training = train_l1(method, base_dir, root / f"{method}_run", quick, cap, overrides)
        if work_dir:  # keep the trained policy beside its base for inspection
            model.save_pretrained(root / f"{method}_model")
            tokenizer.save_pretrained(root / f"{method}_model")
        t0 = time.monotonic()
        end = measure(model, tokenizer, KIND[method], n_eval, cap, temperature=temperature)
        end_seconds = time.monotonic() - t0
    verdict = acceptance(method, start, end)
    return {
        "method": method,
        "quick": quick,
        "budgets": list(BUDGETS),
        "spearman": end["spearman"],
        "median_rel_error": end["median_rel_error"],
        "within_budget": end["within_budget"],
        "accuracy_start": start["accuracy"],
        "accuracy_end": end["accuracy"],
        "start": start,
        "end": end,
        "passed": verdict["passed"],
        "checks": verdict["checks"],
        "base": base,
        "training": training,
        "seconds": {
            "pretrain": 0.0 if base["reused"] else base["seconds"],
            "measure": round(start_seconds + end_seconds, 1),
            "train": training["seconds"],
            "total": round(time.monotonic() - started, 1),
        },
    }
