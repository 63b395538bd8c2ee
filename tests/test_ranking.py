"""Ranks with paired-test bounds (harness.analysis.rank_with_bounds) and the app's ranking table."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from elastic_bench.harness.analysis import mcnemar_critical, mcnemar_exact, rank_with_bounds


def _problems(right: list[int]) -> dict[str, float]:
    return {f"p{i}": float(r) for i, r in enumerate(right)}


def test_critical_values_are_mcnemars_exact_rejections() -> None:
    crit = mcnemar_critical(40)
    for n in range(41):
        rejected = [k for k in range(n // 2 + 1) if mcnemar_exact(k, n - k) < 0.05]
        assert crit[n] == (max(rejected) if rejected else -1), n
    assert crit[5] == -1 and crit[6] == 0  # 6-0 is the smallest significant split (p = 0.031)


def test_bounds_count_significantly_better_and_worse_entries() -> None:
    # 30 problems: A solves all, B the first 20, C the first 18, D none
    a, b, c, d = ([1] * n + [0] * (30 - n) for n in (30, 20, 18, 0))
    out = rank_with_bounds([1.0, 20 / 30, 18 / 30, 0.0], [_problems(x) for x in (a, b, c, d)])
    assert out.rank == [1, 2, 3, 4]
    # A vs B: 10 discordant, all A's (p = 0.002): significant; B vs C: 2-0 is not (p = 0.5)
    assert out.best == [1, 2, 2, 4]
    assert out.worst == [1, 3, 3, 4]
    assert out.n_better == [0, 1, 1, 3] and out.n_worse == [3, 1, 1, 0]


def test_identical_results_share_a_rank_and_bounds() -> None:
    same = _problems([1, 0] * 10)
    out = rank_with_bounds([0.5] * 12, [same] * 12)
    assert out.rank == [1] * 12  # not 1..12
    assert out.best == [1] * 12 and out.worst == [12] * 12


def test_pairs_are_tested_on_the_problems_both_ran_and_entries_without_them_get_no_bounds() -> None:
    a = {f"p{i}": 1.0 for i in range(10)}  # p0..p9 right
    b = {f"p{i}": 0.0 for i in range(5, 15)}  # shares p5..p9 with A: 5-0, not significant
    out = rank_with_bounds([1.0, 0.0, 0.5], [a, b, None])
    assert out.rank == [1, 3, 2]
    assert out.best == [1, 1, None] and out.worst == [3, 3, None]
    unranked = rank_with_bounds([None, 0.3], [None, a])
    assert unranked.rank == [None, 1] and unranked.worst == [None, 1]


def test_a_problem_counts_as_right_when_half_its_samples_are() -> None:
    # k = 4: 0.5 is right, 0.25 is wrong (the paired comparison's rule)
    a = {f"p{i}": 0.5 for i in range(8)}
    b = {f"p{i}": 0.25 for i in range(8)}
    out = rank_with_bounds([0.5, 0.25], [a, b])
    assert out.n_worse == [1, 0]  # 8-0 discordant, p = 0.008


def test_a_thousand_entries_rank_fast() -> None:
    rng = np.random.default_rng(0)
    skill = rng.uniform(0.1, 0.9, size=1000)
    per_problem = [
        {f"p{j}": float(v) for j, v in enumerate(rng.random(60) < s)} for s in skill
    ]  # fmt: skip
    scores = [float(np.mean(list(p.values()))) for p in per_problem]
    start = time.perf_counter()
    out = rank_with_bounds(scores, per_problem)
    elapsed = time.perf_counter() - start
    assert elapsed < 2.0, elapsed  # O(n^2) numpy, not O(n^2) bootstraps
    assert all(b <= r <= w for b, r, w in zip(out.best, out.rank, out.worst, strict=True))
    top = int(np.argmax(scores))
    assert out.rank[top] == 1 and out.worst[top] < 1000


def test_mismatched_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="one item per entry"):
        rank_with_bounds([1.0], [])


def test_the_app_ranks_every_entry_of_the_benchmark_not_only_the_charted_ones(tmp_path: Path) -> None:
    from elastic_bench.leaderboard_app.data import load_leaderboard
    from elastic_bench.leaderboard_app.ranking import ranking_table
    from tests.factories import make_result, write_result

    for i in range(20):
        write_result(make_result(f"m{i:02d}", seed=i, n_problems=30), tmp_path)
    write_result(make_result("twin-a", accuracies=[0.2, 0.4, 0.6], seed=99, n_problems=30), tmp_path)
    write_result(make_result("twin-b", accuracies=[0.2, 0.4, 0.6], seed=99, n_problems=30), tmp_path)
    data = load_leaderboard(tmp_path)
    table = ranking_table(data.entries, data.points, data.problems, "toy")
    assert len(table) == 22
    twins = table[table["model"].str.startswith("twin")]
    assert twins["rank"].nunique() == 1 and twins["rank_range"].nunique() == 1  # identical: one rank
    assert (table["best_rank"] <= table["rank"]).all() and (table["rank"] <= table["worst_rank"]).all()
    at_256 = ranking_table(data.entries, data.points, data.problems, "toy", budget="t=00256")
    assert set(at_256["budget"]) == {"t=00256"}
