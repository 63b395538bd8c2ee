"""Per-problem results of the entries, kept compactly for paired tests (the ranking's bounds)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from elastic_bench.harness.results import ResultFile


@dataclass(frozen=True)
class ProblemScores:
    """An entry's per-problem results: its problem ids and, per point (by ``order``), the mean score of
    each problem (points without per-problem results are absent)."""

    problem_ids: tuple[str, ...]
    by_point: dict[int, np.ndarray]

    def at(self, order: int) -> dict[str, float] | None:
        """Problem id -> mean score at one point, or None when the point has none."""
        values = self.by_point.get(order)
        return None if values is None else dict(zip(self.problem_ids, values.tolist(), strict=True))


def problem_scores(result: ResultFile) -> ProblemScores | None:
    """The result's per-problem scores, or None when it has none (published tables)."""
    if not result.problem_ids:
        return None
    by_point = {
        order: np.asarray(p.per_problem_accuracy, dtype=np.float32)
        for order, p in enumerate(result.points)
        if p.per_problem_accuracy is not None and len(p.per_problem_accuracy) == len(result.problem_ids)
    }
    return ProblemScores(tuple(str(pid) for pid in result.problem_ids), by_point) if by_point else None
