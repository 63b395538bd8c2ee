"""Per-budget points of a sweep: per-problem arrays from logged samples, bootstrap CI, token stats.

Each logged doc carries the per-sample metrics of :data:`~elastic_bench.harness.results._schema.SAMPLE_METRICS`
(each the mean over the doc's k samples); without logged samples a point falls back on lm-eval's
aggregated values and has no CI.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from pydantic import ValidationError

from elastic_bench.harness.analysis import avg_at_k, token_stats
from elastic_bench.harness.lmeval._code_points import code_fields
from elastic_bench.harness.lmeval._output import ConversionError, Subtask, number, opt_int
from elastic_bench.harness.protocol import CODE_SAMPLE_METRICS, NO_STRATEGY, SAMPLE_METRICS, STRATEGY_NAMES
from elastic_bench.harness.results import BudgetPoint, first_error

#: problem identifiers looked up in each logged doc, in order
DOC_ID_KEYS = ("id", "problem_id", "unique_id", "idx", "question_id")
#: BudgetPoint rate field <- per-sample metric it averages (absent metric: the rate is None)
RATE_METRICS = {"boxed_rate": "boxed", "fallback_rate": "fallback_answer", "timeout_rate": "grade_timeout"}
#: every per-sample metric a task may log (math and code)
ALL_METRICS = tuple(dict.fromkeys((*SAMPLE_METRICS, *CODE_SAMPLE_METRICS)))
#: metrics that may be unknown (NaN) for some samples, e.g. journaled responses that lack the
#: count: the point's mean is then None rather than a conversion error
UNKNOWN_OK = frozenset({"prompt_tokens"})


def filter_key(metrics: dict[str, Any]) -> str:
    """The lm-eval filter whose results we read: ``none`` if present, else the first with ``acc``."""
    keys = [k.split(",", 1)[1] for k in metrics if k.startswith("acc,")]
    if not keys:
        raise ConversionError(f"task {metrics.get('name', '?')}: no 'acc' metric in results")
    return "none" if "none" in keys else keys[0]


def problem_id(row: dict[str, Any]) -> str:
    """A logged doc's problem id (its first id-like field), else lm-eval's doc_id."""
    doc = row.get("doc")
    if isinstance(doc, dict):
        for key in DOC_ID_KEYS:
            value = doc.get(key)
            if isinstance(value, str | int) and not isinstance(value, bool):
                return str(value)
    return str(row["doc_id"])


def per_problem(sub: Subtask, key: str) -> tuple[list[str], dict[str, np.ndarray]]:
    """Per-problem metric arrays from the logged samples, ordered by doc_id."""
    assert sub.rows is not None
    rows = [r for r in sub.rows if r.get("filter", key) == key]
    if not rows:
        raise ConversionError(f"{sub.name}: logged samples have no rows for filter {key!r}")
    rows.sort(key=lambda r: (str(type(r["doc_id"])), r["doc_id"]))
    doc_ids = [r["doc_id"] for r in rows]
    if len(set(map(str, doc_ids))) != len(doc_ids):
        raise ConversionError(f"{sub.name}: duplicate doc_id in logged samples (files from two runs mixed?)")
    ids = [problem_id(r) for r in rows]
    if len(set(ids)) != len(ids):
        ids = [str(d) for d in doc_ids]
    values: dict[str, np.ndarray] = {}
    for metric in ALL_METRICS:
        present = [metric in r for r in rows]
        if not any(present):
            continue
        if metric in UNKNOWN_OK and not all(
            p and _finite(r[metric]) for p, r in zip(present, rows, strict=True)
        ):
            continue
        if not all(present):
            raise ConversionError(f"{sub.name}: metric {metric!r} missing from some logged samples")
        values[metric] = np.array(
            [number(r[metric], f"{sub.name}: doc {r['doc_id']}: {metric}") for r in rows], dtype=float
        )
    if "acc" not in values:
        raise ConversionError(f"{sub.name}: logged samples carry no 'acc' metric")
    return ids, values


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _from_samples(
    sub: Subtask, key: str, *, seed: int, file: str, k: int
) -> tuple[dict[str, Any], list[str]]:
    ids, values = per_problem(sub, key)
    est = avg_at_k(values["acc"], seed=seed)
    total = values.get("total_tokens")
    if total is None and "think_tokens" in values and "answer_tokens" in values:
        total = values["think_tokens"] + values["answer_tokens"]
    if total is None:
        raise ConversionError(f"{file}: {sub.name}: logged samples carry no token counts")
    stats = token_stats(
        total,
        values["acc"],
        think_tokens=values.get("think_tokens"),
        answer_tokens=values.get("answer_tokens"),
        think_truncated=values.get("think_truncated"),
        answer_truncated=values.get("answer_truncated"),
        no_answer=values.get("no_answer"),
    )
    agg = sub.metrics.get(f"acc,{key}")
    if isinstance(agg, int | float) and abs(float(agg) - est.mean) > 1e-6:
        raise ConversionError(
            f"{file}: {sub.name}: logged samples give accuracy {est.mean:.6f} but the results say {agg:.6f} "
            "(samples from another run?)"
        )
    fields = {
        "n_problems": est.n_problems,
        "accuracy": est.mean,
        "accuracy_ci": est.ci,
        "mean_think_tokens": stats.mean_think_tokens,
        "mean_answer_tokens": stats.mean_answer_tokens,
        "mean_total_tokens": stats.mean_total_tokens,
        "think_truncation_rate": stats.think_truncation_rate,
        "answer_truncation_rate": stats.answer_truncation_rate,
        "no_answer_rate": stats.no_answer_rate,
        "tokens_per_correct": stats.tokens_per_correct,
        "per_problem_accuracy": values["acc"].tolist(),
        "per_problem_tokens": total.tolist(),
        "mean_prompt_tokens": float(values["prompt_tokens"].mean()) if "prompt_tokens" in values else None,
    }
    for field, metric in RATE_METRICS.items():
        fields[field] = float(values[metric].mean()) if metric in values else None
    fields.update(code_fields(values, k, ids, sub.meta))
    return fields, ids


def _from_aggregates(sub: Subtask, key: str, *, file: str) -> dict[str, Any]:
    def agg_of(metric: str) -> float | None:
        value = sub.metrics.get(f"{metric},{key}")
        if metric in UNKNOWN_OK and not _finite(value):
            return None
        return None if value is None else number(value, f"{file}: {sub.name}: {metric}")

    acc = agg_of("acc")
    assert acc is not None
    think, answer, total = agg_of("think_tokens"), agg_of("answer_tokens"), agg_of("total_tokens")
    if total is None and think is not None and answer is not None:
        total = think + answer
    if total is None:
        raise ConversionError(f"{file}: {sub.name}: results carry no token counts (total_tokens)")
    if not sub.n_effective:
        raise ConversionError(f"{file}: {sub.name}: unknown number of evaluated problems (n-samples)")
    fields = {
        "n_problems": sub.n_effective,
        "accuracy": acc,
        "accuracy_ci": None,
        "mean_think_tokens": think,
        "mean_answer_tokens": answer,
        "mean_total_tokens": total,
        "think_truncation_rate": agg_of("think_truncated"),
        "answer_truncation_rate": agg_of("answer_truncated"),
        "no_answer_rate": agg_of("no_answer"),
        "tokens_per_correct": total / acc if acc > 0 else None,
        "mean_prompt_tokens": agg_of("prompt_tokens"),
    }
    for field, metric in RATE_METRICS.items():
        fields[field] = agg_of(metric)
    return fields


def build_point(sub: Subtask, *, seed: int, file: str) -> tuple[BudgetPoint, list[str] | None]:
    """One subtask's :class:`BudgetPoint` and, with logged samples, its problem ids in point order."""
    key = filter_key(sub.metrics)
    gk = sub.gen_kwargs
    strategy = gk.get("strategy") or NO_STRATEGY
    if strategy not in STRATEGY_NAMES:
        raise ConversionError(
            f"{file}: {sub.name}: unknown strategy {strategy!r}; expected one of {STRATEGY_NAMES}"
        )
    common = {
        "label": "unconstrained" if sub.budget is None else f"t={sub.budget:05d}",
        "task": sub.name,
        "thinking_budget": sub.budget,
        "solution_budget": opt_int(gk.get("solution_budget"), f"{sub.name}: solution_budget"),
        "strategy": strategy,
        "k": opt_int(sub.config.get("repeats"), f"{sub.name}: repeats") or 1,
    }
    ids = None
    if sub.rows is not None:
        fields, ids = _from_samples(sub, key, seed=seed, file=file, k=common["k"])
    else:
        fields = _from_aggregates(sub, key, file=file)
    try:
        return BudgetPoint(**common, **fields), ids
    except ValidationError as exc:
        raise ConversionError(f"{file}: {sub.name}: {first_error(exc, 'point')}") from exc


def build_points(subs: list[Subtask], *, seed: int, file: str) -> tuple[list[BudgetPoint], list[str] | None]:
    """A group's points in budget order (unconstrained last) and their shared problem ids; per-problem
    arrays are dropped when the points' problems do not align."""
    subs.sort(key=lambda s: (s.budget is None, s.budget or 0))
    built = [build_point(sub, seed=seed, file=file) for sub in subs]
    points = [p for p, _ in built]
    id_lists = [ids for _, ids in built]
    first = id_lists[0]
    if first is not None and all(ids == first for ids in id_lists):
        return points, first
    # per-problem arrays are only meaningful when aligned across points
    return [
        p.model_copy(update={"per_problem_accuracy": None, "per_problem_tokens": None}) for p in points
    ], None
