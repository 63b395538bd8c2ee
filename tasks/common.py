"""Per-sample metrics shared by every budget-sweep task's ``process_results``."""

from __future__ import annotations

import math
from collections.abc import Sequence

from elastic_bench.harness.benchmarks import get_benchmark
from elastic_bench.harness.extraction import BOXED, STATEMENT
from elastic_bench.harness.grading import grade_many
from elastic_bench.harness.response import accounting
from elastic_bench.harness.results import SAMPLE_METRICS

METRICS = SAMPLE_METRICS


def keep_all(resps, docs):
    """lm-eval filter: keep all k responses of each doc (avg@k), instead of ``take_first``."""
    return resps


def responses_of(results: Sequence) -> list[str]:
    """The k responses lm-eval hands to ``process_results`` (after the keep_all filter)."""
    first = results[0] if results else []
    if isinstance(first, str):
        return [first]
    return list(first)


def score(results: Sequence, gold: str, benchmark: str, *, problem: str | None = None) -> dict[str, float]:
    """Grade the k responses of one doc; every metric is the mean over them.

    Token metrics need a budgeted backend (its responses carry token accounting); for plain
    strings they are NaN rather than a guess. ``boxed`` / ``fallback_answer`` say where the graded
    answer came from (a box / a final-answer statement), ``grade_timeout`` that grading hit its hard
    timeout. Whether a box is required follows the benchmark's registry entry (``strict_boxed``).
    """
    responses = responses_of(results)
    if not responses:
        raise ValueError("process_results received no responses")
    grades = grade_many(
        [(r, gold, benchmark, problem) for r in responses],
        marker=getattr(responses[0], "marker", None) or get_benchmark(benchmark).think_end,
    )
    rows = []
    for response, g in zip(responses, grades, strict=True):
        acct = accounting(response)
        nan = math.nan
        rows.append(
            {
                "acc": float(g.correct),
                "no_answer": float(g.no_answer),
                "boxed": float(g.extraction == BOXED),
                "fallback_answer": float(g.extraction == STATEMENT),
                "grade_timeout": float(g.timed_out),
                "think_tokens": float(acct.think_tokens) if acct else nan,
                "answer_tokens": float(acct.answer_tokens) if acct else nan,
                "total_tokens": float(acct.total_tokens) if acct else nan,
                "think_truncated": float(acct.think_truncated) if acct else nan,
                "answer_truncated": float(acct.answer_truncated) if acct else nan,
            }
        )
    return {m: sum(r[m] for r in rows) / len(rows) for m in METRICS}
