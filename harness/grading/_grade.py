"""Grading, the public facade: ``grade``, ``grade_many``, ``Grade``, ``prepare_gold``, ``extract_boxed``,
``extract_answer``.

The work is split by responsibility: :mod:`~elastic_bench.harness.grading._extraction` (boxes and final-answer
statements), :mod:`~elastic_bench.harness.grading._normalize` (normalisation, gold preparation, fast
comparison), :mod:`~elastic_bench.harness.grading._math_verify_worker` (the sympy side),
:mod:`~elastic_bench.harness.grading._workers` (the generic subprocess pool with hard timeouts),
:mod:`~elastic_bench.harness.grading._grader` (the ``Grader`` protocol and lookup) and
:mod:`~elastic_bench.harness.grading._math` (the math implementation). Benchmark identity (names,
aliases, answer kind, grader, ``strict_boxed``) comes from :mod:`~elastic_bench.harness.benchmarks`.
"""

from __future__ import annotations

from collections.abc import Sequence

from elastic_bench.harness.benchmarks import get_benchmark, resolve_benchmark
from elastic_bench.harness.grading._extraction import (
    extract,
    extract_answer,
    extract_boxed,
    extract_statement,
)
from elastic_bench.harness.grading._grader import (
    GRADING_TIMEOUT_S,
    GRADING_WORKERS,
    Grade,
    GradeItem,
    GradeOptions,
    get_grader,
)
from elastic_bench.harness.grading._normalize import normalize_answer, prepare_gold
from elastic_bench.harness.protocol import THINK_END

__all__ = [
    "Grade",
    "GradeItem",
    "GradeOptions",
    "extract",
    "extract_answer",
    "extract_boxed",
    "extract_statement",
    "grade",
    "grade_many",
    "normalize_answer",
    "prepare_gold",
    "resolve_benchmark",
]


def grade(
    response: str,
    gold: str,
    benchmark: str,
    *,
    marker: str | None = THINK_END,
    fallback_anywhere: bool = False,
    strict_boxed: bool | None = None,
    timeout: float = GRADING_TIMEOUT_S,
    problem: str | None = None,
) -> Grade:
    """Grade one response against its gold answer (see :mod:`~elastic_bench.harness.grading._math`).

    ``problem`` (optional) lets GaoKao multiple-choice answers given as option text be graded.
    Never raises on model output and returns within about ``timeout`` seconds.
    """
    return grade_many(
        [(response, gold, benchmark, problem)],
        timeout=timeout,
        marker=marker,
        fallback_anywhere=fallback_anywhere,
        strict_boxed=strict_boxed,
    )[0]


def grade_many(
    items: Sequence[tuple],
    *,
    workers: int = GRADING_WORKERS,
    timeout: float = GRADING_TIMEOUT_S,
    marker: str | None = THINK_END,
    fallback_anywhere: bool = False,
    strict_boxed: bool | None = None,
    semantics: str | None = None,
    test_timeout: float | None = None,
) -> list[Grade]:
    """Grade ``(response, gold, benchmark[, problem])`` items, each by its benchmark's grader.

    ``timeout`` (seconds, > 0) is the hard limit per math answer, ``test_timeout`` each code test's
    time limit (None: the semantics' own); ``strict_boxed`` and the code ``semantics`` None follow
    each benchmark's registry entry. Raises ValueError for an unknown benchmark or a bad option.
    """
    options = GradeOptions(
        workers, timeout, marker or None, fallback_anywhere, strict_boxed, semantics, test_timeout
    )
    by_grader: dict[str, list[int]] = {}
    for i, item in enumerate(items):
        by_grader.setdefault(get_benchmark(item[2]).grader, []).append(i)
    grades: list[Grade | None] = [None] * len(items)
    for name, idx in by_grader.items():
        batch = [GradeItem(*items[i][:4]) for i in idx]
        for i, g in zip(idx, get_grader(name).grade_batch(batch, options), strict=True):
            grades[i] = g
    return grades  # type: ignore[return-value]
