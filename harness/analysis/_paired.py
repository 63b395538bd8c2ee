"""The paired comparison of two entries on the same problems, budget by budget.

For each budget both entries ran (or one chosen budget): the accuracy difference B - A with a paired
bootstrap CI over the shared problems (each problem's mean over its k samples, so the CI carries the
samples' spread too), McNemar's exact test on the problems where exactly one of them is right (a
problem counts as right when at least half its samples are), the thinking- and total-token
differences with their CIs, and the problems on which they disagree.

Per-problem accuracy and total tokens come from the result files; per-problem thinking tokens from
their logged samples when those are found (else the mean difference, without a CI). Entries whose
problem sets differ are refused, saying how many problems they share.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from elastic_bench.harness.analysis._metrics import paired_bootstrap_diff
from elastic_bench.harness.results import BudgetPoint, ResultFile, samples_file_task

__all__ = ["BudgetComparison", "ComparisonError", "compare_entries", "mcnemar_exact", "solved"]

#: a problem counts as right (for McNemar's test) when at least this share of its samples is
SOLVED_AT = 0.5


class ComparisonError(ValueError):
    """Two entries that cannot be compared (one line, for the CLI and the app)."""


@dataclass(frozen=True)
class BudgetComparison:
    """B against A at one budget: differences are B minus A."""

    budget: int | None  # None: unconstrained
    label: str
    n_shared: int
    accuracy_a: float
    accuracy_b: float
    delta_accuracy: float
    ci_low: float
    ci_high: float
    mcnemar_p: float
    b_only: int  # problems B gets right and A does not
    a_only: int
    delta_think_tokens: float | None
    think_ci: tuple[float, float] | None
    delta_total_tokens: float | None
    total_ci: tuple[float, float] | None
    disagreements: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """A JSON-ready dict (CIs as two-element lists)."""
        return asdict(self)


def mcnemar_exact(b_only: int, a_only: int) -> float:
    """Two-sided exact McNemar test: the binomial probability of a split of the discordant pairs at
    least as uneven as observed, under a fair coin (1.0 when there is none)."""
    n = b_only + a_only
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(b_only, a_only) + 1)) / 2**n
    return min(1.0, 2.0 * tail)


def solved(per_problem_accuracy: np.ndarray) -> np.ndarray:
    """Which problems count as right in a paired test: at least half their samples are."""
    return np.asarray(per_problem_accuracy, dtype=float) >= SOLVED_AT


def _aligned(a: ResultFile, b: ResultFile) -> tuple[list[str], list[int], list[int]]:
    """The shared problem ids, in A's order, and each one's index in A and in B."""
    if a.benchmark != b.benchmark:
        raise ComparisonError(f"the entries are on different benchmarks ({a.benchmark} vs {b.benchmark})")
    for name, r in (("A", a), ("B", b)):
        if not r.problem_ids:
            raise ComparisonError(
                f"{name} ({r.model_name}) has no per-problem results to pair (a published table?)"
            )
    shared = set(a.problem_ids) & set(b.problem_ids)
    if set(a.problem_ids) != set(b.problem_ids):
        raise ComparisonError(
            f"the problem sets differ: {len(shared)} shared of {len(a.problem_ids)} (A) and "
            f"{len(b.problem_ids)} (B); compare entries run on the same problems"
        )
    where_b = {pid: i for i, pid in enumerate(b.problem_ids)}
    ids = list(a.problem_ids)
    return ids, list(range(len(ids))), [where_b[pid] for pid in ids]


def _points_by_budget(result: ResultFile) -> dict[int | None, BudgetPoint]:
    return {p.thinking_budget: p for p in result.points if p.budget_stated}


def _think_tokens(result: ResultFile, path: Path | None, point: BudgetPoint) -> dict[str, float] | None:
    """Per-problem mean thinking tokens of one point, from the entry's logged samples."""
    if path is None or not result.samples_file:
        return None
    folder = (path.parent / result.samples_file).resolve()
    if not folder.exists():
        return None
    files = sorted(folder.glob("*.jsonl")) if folder.is_dir() else [folder]
    out: dict[str, float] = {}
    for f in files:
        if samples_file_task(f.name) not in (point.task, None):
            continue
        try:
            for line in f.read_text(encoding="utf-8").splitlines():
                row = json.loads(line) if line.strip() else None
                if not isinstance(row, dict) or not isinstance(row.get("doc"), dict):
                    continue
                value, pid = row.get("think_tokens"), row["doc"].get("id")
                if pid is not None and isinstance(value, int | float):
                    out[str(pid)] = float(value)
        except (OSError, ValueError, RecursionError):
            return None
    return out or None


def _paired_tokens(values_a: list[float], values_b: list[float]) -> tuple[float, tuple[float, float]]:
    diff = paired_bootstrap_diff(values_b, values_a)
    return diff.mean_diff, (diff.ci_low, diff.ci_high)


def compare_entries(
    a: ResultFile,
    b: ResultFile,
    budget: int | None | str = "all",
    *,
    path_a: Path | None = None,
    path_b: Path | None = None,
    seed: int = 0,
) -> list[BudgetComparison]:
    """B against A at every budget both ran (``budget="all"``), or at one (an int, or None for
    unconstrained). ``path_a``/``path_b`` locate the files, so their logged samples can be read."""
    ids, ia, ib = _aligned(a, b)
    pa, pb = _points_by_budget(a), _points_by_budget(b)
    budgets = [x for x in pa if x in pb] if budget == "all" else [budget]
    for x in budgets:
        if x not in pa or x not in pb:
            name = "unconstrained" if x is None else f"budget {x}"
            raise ComparisonError(f"{name} is not in both entries (A: {_labels(pa)}; B: {_labels(pb)})")
    if not budgets:
        raise ComparisonError(f"the entries share no budget (A: {_labels(pa)}; B: {_labels(pb)})")
    return [_one(a, b, pa[x], pb[x], ids, ia, ib, path_a, path_b, seed) for x in budgets]


def _labels(points: dict[int | None, BudgetPoint]) -> str:
    return ", ".join(p.label for p in points.values()) or "none"


def _one(
    a: ResultFile,
    b: ResultFile,
    point_a: BudgetPoint,
    point_b: BudgetPoint,
    ids: list[str],
    ia: list[int],
    ib: list[int],
    path_a: Path | None,
    path_b: Path | None,
    seed: int,
) -> BudgetComparison:
    for name, p in (("A", point_a), ("B", point_b)):
        if p.per_problem_accuracy is None:
            raise ComparisonError(f"{name} has no per-problem accuracy at {p.label}")
    acc_a = np.array([point_a.per_problem_accuracy[i] for i in ia])
    acc_b = np.array([point_b.per_problem_accuracy[i] for i in ib])
    diff = paired_bootstrap_diff(acc_b, acc_a, seed=seed)
    right_a, right_b = solved(acc_a), solved(acc_b)
    b_only, a_only = int(np.sum(right_b & ~right_a)), int(np.sum(right_a & ~right_b))
    total_delta = total_ci = None
    if point_a.per_problem_tokens is not None and point_b.per_problem_tokens is not None:
        total_delta, total_ci = _paired_tokens(
            [point_a.per_problem_tokens[i] for i in ia], [point_b.per_problem_tokens[i] for i in ib]
        )
    think_delta = think_ci = None
    think_a, think_b = _think_tokens(a, path_a, point_a), _think_tokens(b, path_b, point_b)
    if think_a and think_b and all(pid in think_a and pid in think_b for pid in ids):
        think_delta, think_ci = _paired_tokens([think_a[p] for p in ids], [think_b[p] for p in ids])
    elif point_a.mean_think_tokens is not None and point_b.mean_think_tokens is not None:
        think_delta = point_b.mean_think_tokens - point_a.mean_think_tokens
    return BudgetComparison(
        budget=point_a.thinking_budget,
        label=point_a.label,
        n_shared=len(ids),
        accuracy_a=float(acc_a.mean()),
        accuracy_b=float(acc_b.mean()),
        delta_accuracy=diff.mean_diff,
        ci_low=diff.ci_low,
        ci_high=diff.ci_high,
        mcnemar_p=mcnemar_exact(b_only, a_only),
        b_only=b_only,
        a_only=a_only,
        delta_think_tokens=think_delta,
        think_ci=think_ci,
        delta_total_tokens=total_delta,
        total_ci=total_ci,
        disagreements=[pid for pid, ra, rb in zip(ids, right_a, right_b, strict=True) if ra != rb],
    )
