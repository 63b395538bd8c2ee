"""Metrics of a budget sweep: avg@k accuracy with bootstrap CIs, token statistics, AES, AUC.

All functions are pure numpy and deterministic given ``seed``. Scores are 0/1 (or fractions
in [0, 1]); "per problem" inputs are either one value per problem (e.g. lm-eval's logged
per-doc mean over k samples) or a ragged list of per-sample values per problem.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

import numpy as np

#: default number of bootstrap resamples
N_RESAMPLES = 2000
#: resampled index matrices are built in chunks of at most this many entries (memory bound)
_CHUNK_ENTRIES = 4_000_000

AESConvention = Literal["formula", "paper_table"]
AES_CONVENTIONS: tuple[str, ...] = ("formula", "paper_table")

ProblemScores = Sequence[float] | Sequence[Sequence[float]] | np.ndarray

#: optional per-budget rates of how answers were read: from a ``\boxed{}``, from a final-answer
#: statement ("Answer: 42"), or not at all because grading timed out (None in older result files)
ANSWER_RATES: tuple[str, ...] = ("boxed_rate", "fallback_rate", "timeout_rate")


def answer_rates(point: object) -> dict[str, float | None]:
    """The :data:`ANSWER_RATES` of a budget point; None for a rate the point does not carry."""
    return {name: getattr(point, name, None) for name in ANSWER_RATES}


@dataclass(frozen=True)
class Estimate:
    """A mean with a bootstrap confidence interval."""

    mean: float
    ci_low: float
    ci_high: float
    n_problems: int
    k: float
    """samples per problem (mean over problems when ragged)"""

    @property
    def ci(self) -> tuple[float, float]:
        return (self.ci_low, self.ci_high)


@dataclass(frozen=True)
class TokenStats:
    """Token and flag statistics of one budget point (means over problems)."""

    mean_think_tokens: float | None
    mean_answer_tokens: float | None
    mean_total_tokens: float
    think_truncation_rate: float | None
    answer_truncation_rate: float | None
    no_answer_rate: float | None
    tokens_per_correct: float | None
    """total tokens spent / number of correct samples; None when nothing is correct"""


@dataclass(frozen=True)
class PairedDiff:
    """Paired bootstrap comparison of run A against run B on the same problems (A - B)."""

    mean_diff: float
    ci_low: float
    ci_high: float
    p_le_zero: float
    """share of resampled mean differences <= 0 (a one-sided p-value for 'A better than B')"""
    n_problems: int

    @property
    def ci(self) -> tuple[float, float]:
        return (self.ci_low, self.ci_high)


def per_problem_means(scores: ProblemScores) -> tuple[np.ndarray, float]:
    """Reduce per-sample scores grouped by problem to one mean per problem.

    Accepts a 1-D array (already one value per problem, k taken as 1), a 2-D array
    (problems x k) or a ragged sequence of sequences. Returns ``(means, mean_k)``.
    """
    if isinstance(scores, np.ndarray) and scores.dtype != object:
        arr = scores.astype(float)
        if arr.ndim == 1:
            means, k = arr, 1.0
        elif arr.ndim == 2:
            if arr.shape[1] == 0:
                raise ValueError("every problem needs at least one sample")
            means, k = arr.mean(axis=1), float(arr.shape[1])
        else:
            raise ValueError(f"scores must be 1-D or 2-D, got {arr.ndim}-D")
    else:
        items = list(scores)
        if items and all(isinstance(x, Sequence | np.ndarray) and not isinstance(x, str) for x in items):
            lengths = [len(x) for x in items]
            if min(lengths) == 0:
                raise ValueError("every problem needs at least one sample")
            means = np.array([float(np.mean(np.asarray(x, dtype=float))) for x in items])
            k = float(np.mean(lengths))
        else:
            means, k = np.asarray(items, dtype=float), 1.0
    if means.size == 0:
        raise ValueError("no problems to score")
    if not np.all(np.isfinite(means)):
        raise ValueError("scores must be finite")
    return means, k


def _bootstrap_means(values: np.ndarray, n_resamples: int, seed: int) -> np.ndarray:
    """Means of ``n_resamples`` resamples (with replacement) of ``values``; vectorised, chunked."""
    n = values.size
    rng = np.random.default_rng(seed)
    rows = max(1, _CHUNK_ENTRIES // n)
    out = np.empty(n_resamples)
    for start in range(0, n_resamples, rows):
        stop = min(n_resamples, start + rows)
        idx = rng.integers(0, n, size=(stop - start, n))
        out[start:stop] = values[idx].mean(axis=1)
    return out


def _percentile_ci(boot: np.ndarray, confidence: float) -> tuple[float, float]:
    tail = (1.0 - confidence) / 2.0
    lo, hi = np.quantile(boot, [tail, 1.0 - tail])
    return float(lo), float(hi)


def bootstrap_ci(
    values: Sequence[float] | np.ndarray,
    *,
    n_resamples: int = N_RESAMPLES,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean of ``values`` (one value per problem)."""
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError("bootstrap_ci needs a non-empty 1-D sequence")
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must lie in (0, 1)")
    if n_resamples < 1:
        raise ValueError("n_resamples must be >= 1")
    mean = float(arr.mean())
    if arr.size == 1 or np.all(arr == arr[0]):
        return mean, mean
    lo, hi = _percentile_ci(_bootstrap_means(arr, n_resamples, seed), confidence)
    # the percentile interval always contains the sample mean up to float noise; make it exact
    return min(lo, mean), max(hi, mean)


def avg_at_k(
    scores: ProblemScores,
    *,
    n_resamples: int = N_RESAMPLES,
    confidence: float = 0.95,
    seed: int = 0,
) -> Estimate:
    """avg@k accuracy: mean over problems of the mean score of each problem's k samples,
    with a percentile bootstrap CI over problems (samples of a problem stay together)."""
    means, k = per_problem_means(scores)
    if np.any((means < 0) | (means > 1)):
        raise ValueError("scores must lie in [0, 1]")
    lo, hi = bootstrap_ci(means, n_resamples=n_resamples, confidence=confidence, seed=seed)
    return Estimate(mean=float(means.mean()), ci_low=lo, ci_high=hi, n_problems=int(means.size), k=k)


def _optional_mean(values: Sequence[float] | np.ndarray | None, n: int, name: str) -> float | None:
    if values is None:
        return None
    arr = np.asarray(values, dtype=float)
    if arr.shape != (n,):
        raise ValueError(f"{name} has {arr.size} values, expected {n}")
    return float(arr.mean())


def tokens_per_correct(
    total_tokens: Sequence[float] | np.ndarray, correct: Sequence[float] | np.ndarray
) -> float | None:
    """Total tokens spent divided by the number of correct samples (None if none is correct).

    Works on per-sample values or on per-problem means with equal k (k cancels).
    """
    tokens = np.asarray(total_tokens, dtype=float)
    acc = np.asarray(correct, dtype=float)
    if tokens.shape != acc.shape:
        raise ValueError("total_tokens and correct must have the same shape")
    n_correct = float(acc.sum())
    return float(tokens.sum() / n_correct) if n_correct > 0 else None


def token_stats(
    total_tokens: Sequence[float] | np.ndarray,
    correct: Sequence[float] | np.ndarray,
    *,
    think_tokens: Sequence[float] | np.ndarray | None = None,
    answer_tokens: Sequence[float] | np.ndarray | None = None,
    think_truncated: Sequence[float] | np.ndarray | None = None,
    answer_truncated: Sequence[float] | np.ndarray | None = None,
    no_answer: Sequence[float] | np.ndarray | None = None,
) -> TokenStats:
    """Mean think/answer/total tokens, truncation and no-answer rates, tokens per correct answer.

    All inputs are aligned arrays: either one value per sample, or one per-problem mean each.
    """
    total = np.asarray(total_tokens, dtype=float)
    if total.ndim != 1 or total.size == 0:
        raise ValueError("total_tokens must be a non-empty 1-D sequence")
    n = total.size
    rates = {
        name: _optional_mean(values, n, name)
        for name, values in (
            ("think_truncated", think_truncated),
            ("answer_truncated", answer_truncated),
            ("no_answer", no_answer),
        )
    }
    for name, rate in rates.items():
        if rate is not None and not (0.0 <= rate <= 1.0):
            raise ValueError(f"{name} rate {rate} is outside [0, 1]")
    return TokenStats(
        mean_think_tokens=_optional_mean(think_tokens, n, "think_tokens"),
        mean_answer_tokens=_optional_mean(answer_tokens, n, "answer_tokens"),
        mean_total_tokens=float(total.mean()),
        think_truncation_rate=rates["think_truncated"],
        answer_truncation_rate=rates["answer_truncated"],
        no_answer_rate=rates["no_answer"],
        tokens_per_correct=tokens_per_correct(total, correct),
    )


def aes(
    base_acc: float,
    base_len: float,
    acc: float,
    length: float,
    *,
    alpha: float = 1.0,
    beta: float = 3.0,
    gamma: float = 5.0,
    convention: AESConvention = "formula",
) -> float:
    """Accuracy-Efficiency Score (O1-Pruner) of (acc, length) against a base (base_acc, base_len).

    dL = (base_len - length) / base_len, dA = (acc - base_acc) / base_acc.

    * ``convention="formula"`` (the paper's definition): alpha*dL + beta*|dA| if dA >= 0,
      else alpha*dL - gamma*|dA| (an accuracy drop is penalised).
    * ``convention="paper_table"``: alpha*dL + beta*|dA| always. Every value in the paper's
      Table 2 follows this, even rows whose accuracy dropped (e.g. Marco-o1 GSM8K fast-solving
      prompt: 0.41 in the table, -0.26 by the formula). Use it only to reproduce that table.

    Accuracies may be fractions or percentages and lengths any unit, as long as base and
    candidate use the same one (only ratios enter).
    """
    if convention not in AES_CONVENTIONS:
        raise ValueError(f"unknown AES convention {convention!r}; expected one of {AES_CONVENTIONS}")
    values = (base_acc, base_len, acc, length)
    if not all(math.isfinite(v) for v in values):
        raise ValueError("AES inputs must be finite")
    if base_acc <= 0 or base_len <= 0:
        raise ValueError("AES needs a base with positive accuracy and length")
    if acc < 0 or length < 0:
        raise ValueError("accuracy and length must be non-negative")
    d_len = (base_len - length) / base_len
    d_acc = (acc - base_acc) / base_acc
    if convention == "paper_table" or d_acc >= 0:
        return alpha * d_len + beta * abs(d_acc)
    return alpha * d_len - gamma * abs(d_acc)


class _SweepPoint(Protocol):
    label: Any
    thinking_budget: Any


P = TypeVar("P", bound=_SweepPoint)


def _no_budget(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def aes_base_point(points: Sequence[P]) -> P | None:
    """The point that stands for a whole run in AES (as the base, and in one-row summaries).

    The run's ``unconstrained`` point; else its last point without a stated budget (published
    columns whose budget is unknown); else its largest thinking budget. None when there are no
    points. Works on :class:`~elastic_bench.harness.results._schema.BudgetPoint` objects and on rows of
    the app's points frame (``itertuples()``; a missing budget is NaN there).
    """
    open_points = [p for p in points if _no_budget(p.thinking_budget)]
    for point in open_points:
        if point.label == "unconstrained":
            return point
    if open_points:
        return open_points[-1]
    if not points:
        return None
    return max(points, key=lambda p: float(p.thinking_budget))


def auc_log_budget(budgets: Sequence[float], accuracies: Sequence[float]) -> float:
    """Area under accuracy vs log2(budget) between the smallest and largest budget, divided by
    the log2 width, so the result lies in [0, 1] (trapezoid rule; budgets need not be sorted)."""
    b = np.asarray(budgets, dtype=float)
    a = np.asarray(accuracies, dtype=float)
    if b.ndim != 1 or b.shape != a.shape:
        raise ValueError("budgets and accuracies must be 1-D and of equal length")
    if np.any(~np.isfinite(b)) or np.any(b <= 0):
        raise ValueError("budgets must be positive finite numbers")
    if np.any(~np.isfinite(a)) or np.any((a < 0) | (a > 1)):
        raise ValueError("accuracies must lie in [0, 1]")
    if np.unique(b).size != b.size:
        raise ValueError("budgets must be distinct")
    if b.size < 2:
        raise ValueError("AUC needs at least two budgets")
    order = np.argsort(b)
    x, y = np.log2(b[order]), a[order]
    area = float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2.0))
    return area / float(x[-1] - x[0])


def paired_bootstrap_diff(
    scores_a: ProblemScores,
    scores_b: ProblemScores,
    *,
    n_resamples: int = N_RESAMPLES,
    confidence: float = 0.95,
    seed: int = 0,
) -> PairedDiff:
    """Paired bootstrap of mean(A) - mean(B) over the same problems (aligned by position).

    Problems are resampled jointly for both runs, so per-problem difficulty cancels.
    """
    a, _ = per_problem_means(scores_a)
    b, _ = per_problem_means(scores_b)
    if a.shape != b.shape:
        raise ValueError(f"runs cover different numbers of problems ({a.size} vs {b.size})")
    diff = a - b
    mean = float(diff.mean())
    if diff.size == 1 or np.all(diff == diff[0]):
        return PairedDiff(mean, mean, mean, 1.0 if mean <= 0 else 0.0, int(diff.size))
    boot = _bootstrap_means(diff, n_resamples, seed)
    lo, hi = _percentile_ci(boot, confidence)
    return PairedDiff(
        mean_diff=mean,
        ci_low=min(lo, mean),
        ci_high=max(hi, mean),
        p_le_zero=float(np.mean(boot <= 0.0)),
        n_problems=int(diff.size),
    )


def pass_at_k(n: int, c: int, k: int) -> float:
    """The unbiased pass@k estimate of one problem from ``n`` samples of which ``c`` passed
    (Chen et al. 2021): ``1 - C(n - c, k) / C(n, k)``."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)
