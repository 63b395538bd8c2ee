"""Codeforces rating of a model, computed as CodeElo computes it, offline from cached standings.

Method (CodeElo, Quan et al. 2025, arXiv:2501.01257; code: QwenLM/CodeElo ``calc_rating.py``, copied
into rllm's ``scripts/deepcoder/benchmark/cf_elo_calc.py`` that produced DeepCoder's and E1's numbers):

1. Participants of a contest: the rows of ``contest.standings`` (official, ``showUnofficial=false``)
   whose handle also appears in ``contest.ratingChanges``; unrated and disqualified rows have no
   rating change and drop out. Their ratings are the ``oldRating`` values. CodeElo skips a contest
   with 200 participants or fewer (``min_participants``).
2. The model's score: per problem, the first accepted attempt ``i`` (0-based) counts. Points-based
   contests (problems carry ``points``): ``max(0, points - 50 * i)``; ICPC-style contests: one
   solved problem and ``10 * i`` penalty minutes. No time enters: every accepted submission is
   taken as made at minute 0 (no point decay, no time penalty), as in CodeElo's code.
3. Its rank: the number of participants not strictly behind it (more points, or equal points and
   penalty no larger): CodeElo's ``rank``, the index of the first participant it beats.
4. Its rating: the ``r`` with ``1 + sum_i 1 / (1 + 10 ** ((r - r_i) / 400)) = rank``
   (:func:`rating_from_rank`), averaged over contests; the percentile is the share of 2024's rated
   users rated strictly below that mean (CodeElo's ``bisect_left``).

k samples per problem: ``per_sample`` (default) rates each sample index as its own single-attempt
run (rllm's ``pass_n=1`` applied to sample j) and averages the k ratings, the expected rating of one
attempt with less variance than the first sample alone; ``attempts`` treats the samples as
successive submissions, CodeElo's own protocol (up to 8), with the penalties above.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from elastic_bench.harness.codeforces._standings import (
    CodeforcesError,
    ContestStandings,
    load_standings,
)

Mode = Literal["per_sample", "attempts"]
MIN_PARTICIPANTS = 201  # CodeElo: a contest counts only with more than 200 rated participants
BISECTION_TOL = 1e-6  # rating points; CodeElo's integer bisection stops at 1
_PROBLEM_ID = re.compile(r"(\d+)([A-Z][A-Z0-9]*)")

__all__ = [
    "CodeforcesError",
    "CodeforcesRating",
    "ContestRating",
    "codeforces_rating",
    "contest_of",
    "model_rank",
    "model_score",
    "percentile",
    "rate_contest",
    "rating_from_rank",
]


def _expected_rank(rating: float, participant_ratings: np.ndarray) -> float:
    return 1.0 + float(np.sum(1.0 / (1.0 + 10.0 ** ((rating - participant_ratings) / 400.0))))


def rating_from_rank(participant_ratings: Sequence[float], rank: float) -> float:
    """The rating ``r`` whose expected rank ``1 + sum_i 1/(1 + 10^((r - r_i)/400))`` equals ``rank``.

    The left side falls strictly as ``r`` grows (each term does), from ``n + 1`` at ``-inf`` to ``1``
    at ``+inf``, so a solution exists exactly for ``1 < rank < n + 1`` and is unique. Bisection runs
    on CodeElo's bracket ``[min(0, min r_i), max r_i + 100]`` to ``BISECTION_TOL``; a rank the
    bracket cannot reach (rank at or below 1, i.e. ahead of everyone, or at or beyond ``n + 1``)
    gives the bracket's edge, as CodeElo's bisection does.
    """
    ratings = np.asarray(participant_ratings, dtype=float)
    if ratings.size == 0:
        raise ValueError("rating_from_rank needs at least one participant rating")
    if not np.all(np.isfinite(ratings)) or not math.isfinite(rank):
        raise ValueError("ratings and rank must be finite numbers")
    lo, hi = min(0.0, float(ratings.min())), float(ratings.max()) + 100.0
    if _expected_rank(hi, ratings) >= rank:
        return hi
    if _expected_rank(lo, ratings) <= rank:
        return lo
    while hi - lo > BISECTION_TOL:
        mid = (lo + hi) / 2.0
        if _expected_rank(mid, ratings) < rank:
            hi = mid  # expected rank better than the actual one: the rating is lower
        else:
            lo = mid
    return (lo + hi) / 2.0


def contest_of(problem_id: str) -> int:
    """The contest id of a Codeforces problem id such as ``1971A`` or ``1983F1``."""
    match = _PROBLEM_ID.fullmatch(problem_id.strip())
    if not match:
        raise CodeforcesError(f"not a Codeforces problem id: {problem_id!r} (expected e.g. 1971A)")
    return int(match.group(1))


def model_score(
    problems: Sequence[Mapping[str, Any]], attempts: Mapping[str, Sequence[bool]]
) -> tuple[float, int]:
    """``(points, penalty)`` of a run under the contest's scoring (module docstring, step 2)."""
    score, penalty = 0.0, 0
    for problem in problems:
        outcomes = attempts.get(f"{problem['contestId']}{problem['index']}", ())
        first_ok = next((i for i, ok in enumerate(outcomes) if ok), None)
        if first_ok is None:
            continue
        if "points" in problem:
            score += max(0.0, float(problem["points"]) - 50.0 * first_ok)
        else:
            score += 1.0
            penalty += 10 * first_ok
    return score, penalty


def model_rank(rows: Iterable[Mapping[str, Any]], score: float, penalty: float) -> int:
    """CodeElo's rank: participants with more points, or as many points and no more penalty."""
    return sum(
        1
        for row in rows
        if row["points"] > score or (row["points"] == score and row.get("penalty", 0) <= penalty)
    )


def _rated_rows(standings: ContestStandings) -> tuple[list[Mapping[str, Any]], list[float]]:
    """Official standings rows that were rated, and their old ratings (same order)."""
    old = {change["handle"]: float(change["oldRating"]) for change in standings.rating_changes}
    rows, ratings = [], []
    for row in standings.standings.get("rows", []):
        members = row.get("party", {}).get("members") or [{}]
        handle = members[0].get("handle")
        if handle in old:
            rows.append(row)
            ratings.append(old.pop(handle))  # pop: a handle listed twice counts once
    return rows, ratings


@dataclass
class ContestRating:
    """The model's rating in one contest; ``rating`` is None with a reason when unavailable."""

    contest_id: int
    rating: float | None = None
    participants: int = 0
    sample_ratings: list[float] = field(default_factory=list)
    sample_ranks: list[int] = field(default_factory=list)
    sample_scores: list[float] = field(default_factory=list)
    unavailable_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


@dataclass
class CodeforcesRating:
    """Mean rating over the available contests and its percentile among 2024's rated users."""

    rating: float | None
    percentile: float | None
    contests: list[ContestRating]
    unavailable_reason: str | None = None
    method: str = "codeelo"
    mode: str = "per_sample"

    @property
    def contests_rated(self) -> int:
        """How many contests entered the mean."""
        return sum(c.rating is not None for c in self.contests)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``contests_rated`` included)."""
        return {**asdict(self), "contests_rated": self.contests_rated}


def _runs(results: Mapping[str, bool | Sequence[bool]], mode: Mode) -> list[dict[str, list[bool]]]:
    """Per-problem outcomes -> the runs to score: one per sample index, or one run of attempts."""
    outcomes: dict[str, list[bool]] = {}
    for pid, value in results.items():
        values = [value] if isinstance(value, (bool, int, float)) else list(value)
        if any(v not in (0, 1) for v in values):
            raise CodeforcesError(
                f"{pid}: outcomes must be booleans per sample, got {value!r} "
                "(a solved fraction loses which samples solved which problems)"
            )
        outcomes[pid] = [bool(v) for v in values]
    if mode == "attempts":
        return [outcomes]
    if mode != "per_sample":
        raise CodeforcesError(f"unknown mode {mode!r}: use per_sample or attempts")
    counts = {len(v) for v in outcomes.values()}
    if len(counts) > 1:
        raise CodeforcesError(f"problems have different sample counts {sorted(counts)}; give each k samples")
    k = counts.pop() if counts else 1
    return [{pid: v[j : j + 1] for pid, v in outcomes.items()} for j in range(k)]


def rate_contest(
    contest_id: int,
    standings: ContestStandings | None,
    results: Mapping[str, bool | Sequence[bool]],
    *,
    mode: Mode = "per_sample",
    min_participants: int = MIN_PARTICIPANTS,
) -> ContestRating:
    """Rate one contest from its cached standings and the model's per-problem outcomes."""
    out = ContestRating(contest_id=contest_id)
    if standings is None:
        out.unavailable_reason = "no standings cached"
        return out
    rows, ratings = _rated_rows(standings)
    out.participants = len(rows)
    if len(rows) < min_participants:
        out.unavailable_reason = f"{len(rows)} rated participants (< {min_participants})"
        return out
    problems = standings.standings.get("problems", [])
    by_rank: dict[int, float] = {}  # samples often share a rank
    for run in _runs(results, mode):
        score, penalty = model_score(problems, run)
        rank = model_rank(rows, score, penalty)
        if rank not in by_rank:
            by_rank[rank] = rating_from_rank(ratings, rank)
        out.sample_scores.append(score)
        out.sample_ranks.append(rank)
        out.sample_ratings.append(by_rank[rank])
    out.rating = sum(out.sample_ratings) / len(out.sample_ratings)
    return out


def percentile(rating: float, histogram: Mapping[str | int | float, int]) -> float:
    """Percent of users rated strictly below ``rating``; ``histogram`` maps a rating to a user count
    (the shape of ratings_2024.json)."""
    total = sum(histogram.values())
    if total <= 0:
        raise CodeforcesError("the ratings histogram is empty")
    below = sum(count for r, count in histogram.items() if float(r) < rating)
    return 100.0 * below / total


def codeforces_rating(
    results: Mapping[str, bool | Sequence[bool]],
    cache_dir: str | Path,
    *,
    histogram: Mapping[str | int | float, int] | None = None,
    mode: Mode = "per_sample",
    min_participants: int = MIN_PARTICIPANTS,
) -> CodeforcesRating:
    """Rate a model from ``{problem_id: outcome or [outcome per sample]}`` against cached standings.

    Contests come from the problem ids. A contest without usable standings is listed with its
    reason and left out of the mean; with none usable the rating is None with a reason, never
    an estimate. ``histogram`` (ratings_2024.json) gives the percentile; without it that is None.
    """
    by_contest: dict[int, dict[str, bool | Sequence[bool]]] = {}
    for pid, value in results.items():
        by_contest.setdefault(contest_of(pid), {})[pid.strip()] = value
    contests = [
        rate_contest(
            cid,
            load_standings(cache_dir, cid),
            problems,
            mode=mode,
            min_participants=min_participants,
        )
        for cid, problems in sorted(by_contest.items())
    ]
    rated = [c.rating for c in contests if c.rating is not None]
    if not rated:
        reason = (
            "no problem results given"
            if not contests
            else f"no usable standings for any of {len(contests)} contest(s) in {cache_dir} "
            "(run `elastic-bench codeforces fetch-standings`)"
        )
        return CodeforcesRating(None, None, contests, unavailable_reason=reason, mode=mode)
    mean = sum(rated) / len(rated)
    pct = percentile(mean, histogram) if histogram is not None else None
    return CodeforcesRating(mean, pct, contests, mode=mode)
