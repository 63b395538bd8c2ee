"""Ranks with CI-based bounds, as Chatbot Arena reports rank spreads.

Every entry is ranked by its score (accuracy at the ranking's budget); identical scores share a rank
(``1 + the number of entries with a higher score``). Its bounds come from paired tests on the problems
both entries ran: entry j is *significantly better* than entry i when McNemar's exact test on their
discordant problems (j right and i wrong, or the reverse; a problem counts as right when at least half
its samples are, as in :func:`compare_entries`) gives p < ``alpha`` and j is right on more of them.
Then

* best rank  = 1 + the number of entries significantly better,
* worst rank = n - the number of entries significantly worse,

so the true rank lies in ``[best, worst]`` as far as these problems can tell. Entries without
per-problem results are ranked by score and get no bounds (nothing can be shown about them), but
still count in the others' worst ranks.

Cost: the discordant counts of all pairs are two matrix products (n x P by P x n), and significance is
a lookup of the largest minority count McNemar rejects at each number of discordant problems (computed
once per problem count with :func:`mcnemar_exact`), so 1,000 entries rank in milliseconds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from elastic_bench.harness.analysis._paired import mcnemar_exact, solved

__all__ = ["RANK_ALPHA", "RankBounds", "mcnemar_critical", "rank_with_bounds"]

#: significance level of the pairwise tests behind the rank bounds
RANK_ALPHA = 0.05


@dataclass(frozen=True)
class RankBounds:
    """Per entry (in input order): rank, best and worst possible rank, and the pairwise counts."""

    rank: list[int | None]  # None: no score
    best: list[int | None]  # None: no per-problem results (or no score)
    worst: list[int | None]
    n_better: list[int]  # entries significantly better
    n_worse: list[int]  # entries significantly worse


@lru_cache(maxsize=16)
def mcnemar_critical(max_discordant: int, alpha: float = RANK_ALPHA) -> tuple[int, ...]:
    """For n = 0..max_discordant discordant problems, the largest minority count whose two-sided exact
    McNemar p is below ``alpha`` (-1 where none is). It never decreases with n, so one pass suffices."""
    out, k = [], -1
    for n in range(max_discordant + 1):
        while k + 1 <= n // 2 and mcnemar_exact(k + 1, n - k - 1) < alpha:
            k += 1
        out.append(k)
    return tuple(out)


def _score_ranks(scores: np.ndarray) -> np.ndarray:
    """1 + the number of strictly higher scores (ties share the rank); NaN scores get 0."""
    valid = ~np.isnan(scores)
    ordered = np.sort(scores[valid])[::-1]
    higher = np.searchsorted(-ordered, -scores, side="left")  # count of scores > each score
    return np.where(valid, higher + 1, 0)


def rank_with_bounds(
    scores: Sequence[float | None],
    per_problem: Sequence[Mapping[str, float] | None],
    alpha: float = RANK_ALPHA,
) -> RankBounds:
    """Ranks and CI-based rank bounds of entries (see the module docstring).

    ``scores``: each entry's score (higher is better; None: not ranked). ``per_problem``: each entry's
    mean score per problem id (None: no per-problem results); pairs are tested on the problems both ran.
    """
    if len(scores) != len(per_problem):
        raise ValueError("scores and per_problem must have one item per entry")
    n = len(scores)
    values = np.array([np.nan if s is None else float(s) for s in scores], dtype=float)
    values = np.round(values, 12)  # identical results give identical scores despite float noise
    ranks = _score_ranks(values)
    scored = ~np.isnan(values)
    tested = np.array([p is not None and bool(p) and s for p, s in zip(per_problem, scored, strict=True)])
    index: dict[str, int] = {}
    for p in per_problem:
        for pid in p or ():
            index.setdefault(str(pid), len(index))
    right = np.zeros((n, len(index)), dtype=np.float32)
    wrong = np.zeros((n, len(index)), dtype=np.float32)
    for i, p in enumerate(per_problem):
        if not tested[i]:
            continue
        cols = np.fromiter((index[str(pid)] for pid in p), dtype=np.int64, count=len(p))
        ok = solved(np.fromiter(p.values(), dtype=float, count=len(p)))
        right[i, cols] = ok
        wrong[i, cols] = ~ok
    # wins[i, j]: problems i gets right and j wrong, among those both ran
    wins = np.rint(right @ wrong.T).astype(np.int64)
    discordant = wins + wins.T
    critical = np.array(mcnemar_critical(len(index), alpha), dtype=np.int64)
    significant = (np.minimum(wins, wins.T) <= critical[discordant]) & (wins > wins.T)
    significant &= tested[:, None] & tested[None, :]
    np.fill_diagonal(significant, False)
    n_worse = significant.sum(axis=1)  # i significantly better than j
    n_better = significant.sum(axis=0)
    n_scored = int(scored.sum())
    # the score's rank always lies within the bounds (a mean over k samples can order two entries
    # differently from the at-least-half-right rule the test counts with)
    best = [int(min(1 + n_better[i], ranks[i])) if tested[i] else None for i in range(n)]
    worst = [int(max(n_scored - n_worse[i], ranks[i])) if tested[i] else None for i in range(n)]
    return RankBounds(
        rank=[int(r) if r else None for r in ranks],
        best=best,
        worst=worst,
        n_better=[int(v) for v in n_better],
        n_worse=[int(v) for v in n_worse],
    )
