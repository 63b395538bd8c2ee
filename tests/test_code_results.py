"""Code results: pass@k and verdict counts in the points, the Codeforces rating (or why it is
unavailable), the result schema's rating-only published points, and how the leaderboard shows them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from elastic_bench.harness.analysis import pass_at_k
from elastic_bench.harness.codeforces import cache_file
from elastic_bench.harness.lmeval import code_fields
from elastic_bench.harness.protocol import TEST_VERDICTS
from elastic_bench.harness.results import BudgetPoint, CodeforcesRating, ResultFileError, parse_result
from elastic_bench.leaderboard_app.analysis import (
    Filters,
    filter_entries,
    pareto_frontiers,
    points_of,
    summary_table,
)
from elastic_bench.leaderboard_app.data import load_leaderboard
from elastic_bench.leaderboard_app.published import published_results
from tests.factories import make_result, write_result


def test_pass_at_k_is_the_unbiased_estimator() -> None:
    assert pass_at_k(4, 1, 1) == pytest.approx(0.25) and pass_at_k(4, 1, 2) == pytest.approx(0.5)
    assert pass_at_k(8, 2, 4) == pytest.approx(1 - 15 / 70)
    assert pass_at_k(4, 0, 4) == 0.0 and pass_at_k(4, 4, 1) == 1.0
    with pytest.raises(ValueError, match="pass@k needs 0 <= c <= n"):
        pass_at_k(4, 5, 1)


def _values(acc: list[float], k: int) -> dict[str, np.ndarray]:
    values = {f"verdict_{v}": np.zeros(len(acc)) for v in TEST_VERDICTS}
    values["acc"] = np.array(acc)
    values["verdict_passed"] = np.array(acc)
    values["verdict_wrong_answer"] = 1 - np.array(acc)
    values["pass_bits"] = np.array([float(sum(1 << j for j in range(round(a * k)))) for a in acc])
    return values


def test_code_fields_count_verdicts_and_rate_unavailable_without_standings(
    monkeypatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ELASTIC_BENCH_CODEFORCES_CACHE", str(tmp_path / "empty"))
    fields = code_fields(
        _values([0.5, 0.0, 1.0], 2), 2, ["1971A", "1971B", "1972A"], {"benchmark": "codeforces"}
    )
    assert fields["test_verdicts"]["passed"] == 3 and fields["test_verdicts"]["wrong_answer"] == 3
    assert fields["pass_at_k"] == {1: pytest.approx(0.5), 2: pytest.approx(2 / 3)}
    cf = fields["codeforces"]
    assert cf.rating is None and "no usable standings" in cf.unavailable
    assert code_fields({"acc": np.array([1.0])}, 1, ["x"], {}) == {}  # math points get nothing


def test_code_fields_rate_from_a_cached_contest(monkeypatch, tmp_path: Path) -> None:
    rows, changes = [], []
    for i in range(250):  # 250 rated participants, solving 2..0 problems
        handle = f"u{i}"
        rows.append(
            {"party": {"members": [{"handle": handle}]}, "points": float(2 - i * 3 // 250), "penalty": i}
        )
        changes.append({"handle": handle, "oldRating": 1000 + 4 * (250 - i)})
    standings = {
        "problems": [{"contestId": 1971, "index": "A"}, {"contestId": 1971, "index": "B"}],
        "rows": rows,
    }
    cache_file(tmp_path, 1971).write_text(json.dumps({"standings": standings, "rating_changes": changes}))
    monkeypatch.setenv("ELASTIC_BENCH_CODEFORCES_CACHE", str(tmp_path))
    cf = code_fields(_values([1.0, 0.5], 2), 2, ["1971A", "1971B"], {"benchmark": "codeforces"})["codeforces"]
    assert cf.unavailable is None and cf.contests == ["1971"] and 1000 < cf.rating < 2100


def test_rating_only_points_are_for_published_codeforces_results() -> None:
    rating = CodeforcesRating(rating=1987.0, percentile=96.0, contests=["1971"])
    common = dict(label="as published", task="x", thinking_budget=None, budget_stated=False, strategy="elastic",
                  n_problems=408, k=8, accuracy=None, mean_total_tokens=None)  # fmt: skip
    assert BudgetPoint(**common, codeforces=rating).codeforces.rating == 1987.0
    with pytest.raises(ValueError, match="only a published Codeforces rating"):
        BudgetPoint(**common)
    raw = json.loads(make_result(benchmark="codeforces", budgets=(None,)).model_dump_json())
    raw["points"][0].update(accuracy=None, mean_total_tokens=None, accuracy_ci=None, per_problem_accuracy=None,
                            tokens_per_correct=None, codeforces=rating.model_dump())  # fmt: skip
    with pytest.raises(ResultFileError, match="reproduced result has accuracy"):
        parse_result(raw)


def test_published_code_entries() -> None:
    cf = {r.model_name: r for r in published_results() if r.benchmark == "codeforces"}
    e1, o1 = cf["E1-Code-14B"].points[0].codeforces, cf["o1-2024-12-17 (low)"].points[0].codeforces
    assert (e1.rating, e1.percentile, o1.rating, o1.percentile) == (1987.0, 96.0, 1991.0, 96.1)
    assert len(e1.contests) == 57 and all(r.kind == "reported" and r.source for r in cf.values())


def _code_result(
    name: str,
    bench: str,
    test_set: str,
    acc: float,
    rating: CodeforcesRating | None = None,
    semantics: str | None = None,
):
    r = make_result(name, benchmark=bench, budgets=(1024, None), accuracies=(acc / 2, acc), k=4, n_problems=8)
    points = [p.model_copy(update={"codeforces": rating}) for p in r.points] if rating else r.points
    update = {
        "test_set": test_set,
        "sandbox_mode": "bwrap+uid",
        "points": points,
        "grading_semantics": semantics,
    }
    return r.model_copy(update=update)


def test_leaderboard_never_ranks_results_judged_under_different_semantics_together(tmp_path: Path) -> None:
    write_result(_code_result("lenient", "lcb", "hidden", 0.9, semantics="judge"), tmp_path)
    write_result(_code_result("strict", "lcb", "hidden", 0.4, semantics="lcb"), tmp_path)
    write_result(_code_result("strict-2", "lcb", "hidden", 0.6, semantics="lcb"), tmp_path)
    data = load_leaderboard(tmp_path)
    table = summary_table(filter_entries(data.entries, Filters("lcb")), data.points, None)
    assert table[["rank", "model", "tests"]].values.tolist() == [
        [1, "strict-2 · elastic", "hidden tests · LiveCodeBench's runner"],
        [2, "strict · elastic", "hidden tests · LiveCodeBench's runner"],
        # judged otherwise than LiveCodeBench's own way: labelled, and ranked on its own
        [1, "lenient · elastic [judged as a contest judge]", "hidden tests · a contest judge"],
    ]
    frontiers = pareto_frontiers(points_of(data.points, data.entries), ["reproduced"])
    assert set(frontiers["reproduced · hidden tests · LiveCodeBench's runner"]["model_name"]) == {"strict-2"}
    assert set(frontiers["reproduced · hidden tests · a contest judge"]["model_name"]) == {"lenient"}


def test_leaderboard_labels_public_results_and_never_ranks_them_with_hidden_ones(tmp_path: Path) -> None:
    write_result(_code_result("strong-public", "lcb", "public", 0.9), tmp_path)
    write_result(_code_result("weak-hidden", "lcb", "hidden", 0.3), tmp_path)
    write_result(_code_result("mid-hidden", "lcb", "hidden", 0.5), tmp_path)
    none = CodeforcesRating(unavailable="no standings cached")
    write_result(_code_result("cf-model", "codeforces", "public", 0.4, none), tmp_path)
    data = load_leaderboard(tmp_path)
    assert not data.skipped
    entries = filter_entries(data.entries, Filters("lcb"))
    table = summary_table(entries, data.points, None)
    assert table[["rank", "model", "tests"]].values.tolist() == [
        [1, "mid-hidden · elastic", "hidden tests"],
        [2, "weak-hidden · elastic", "hidden tests"],
        [1, "strong-public · elastic [public tests only]", "public tests only"],
    ]
    # the Pareto view keeps one frontier per test set: the public entry dominates every hidden one,
    # yet the hidden frontier is made of hidden entries only
    frontiers = pareto_frontiers(points_of(data.points, entries), ["reproduced"])
    assert set(frontiers) == {"reproduced · hidden tests", "reproduced · public tests only"}
    assert set(frontiers["reproduced · hidden tests"]["model_name"]) == {"mid-hidden"}
    assert set(frontiers["reproduced · public tests only"]["model_name"]) == {"strong-public"}
    cf = summary_table(filter_entries(data.entries, Filters("codeforces")), data.points, None)
    assert cf.loc[0, "cf_rating"] == "unavailable" and cf.loc[0, "tests"] == "public tests only"
