"""The paired comparison of two entries: McNemar's exact test, the paired bootstrap of B - A, token
differences, refusals, and ``elastic-bench compare`` on the committed tiny-reasoner entries."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from elastic_bench.harness.analysis import ComparisonError, compare_entries, mcnemar_exact
from tests.factories import committed_entry, make_result

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "results/reproduced/reproduced__tiny_reasoner__elastic_toy.json"
ELASTIC = committed_entry(ROOT / "results/reproduced", "Elastic")


def test_mcnemar_exact_is_the_two_sided_binomial_tail() -> None:
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(5, 0) == pytest.approx(2 / 32)
    assert mcnemar_exact(2, 10) == pytest.approx(2 * (1 + 12 + 66) / 4096)
    assert mcnemar_exact(10, 2) == mcnemar_exact(2, 10)  # symmetric
    assert mcnemar_exact(6, 6) == 1.0


def _pair(acc_a: list[float], acc_b: list[float]):
    a = make_result("A", budgets=(128,), accuracies=(0.5,), n_problems=len(acc_a), k=1)
    b = make_result("B", budgets=(128,), accuracies=(0.5,), n_problems=len(acc_b), k=1)

    def with_acc(r, acc, tokens):
        point = r.points[0].model_copy(
            update={"per_problem_accuracy": acc, "accuracy": sum(acc) / len(acc), "accuracy_ci": None,
                    "per_problem_tokens": tokens, "mean_total_tokens": sum(tokens) / len(tokens)}
        )  # fmt: skip
        return r.model_copy(update={"points": [point]})

    n = len(acc_a)
    return with_acc(a, acc_a, [100.0] * n), with_acc(b, acc_b, [100.0 - 10 * (i % 2) for i in range(n)])


def test_differences_are_b_minus_a_with_discordant_problems_listed() -> None:
    acc_a = [1, 1, 0, 0, 1, 0, 1, 0, 1, 1]
    acc_b = [1, 1, 1, 1, 1, 1, 0, 0, 1, 1]
    a, b = _pair([float(x) for x in acc_a], [float(x) for x in acc_b])
    [row] = compare_entries(a, b)
    assert row.delta_accuracy == pytest.approx(0.2)
    assert row.ci_low <= 0.2 <= row.ci_high and row.ci_low < row.ci_high
    assert (row.b_only, row.a_only) == (3, 1)
    assert row.mcnemar_p == pytest.approx(mcnemar_exact(3, 1))
    assert row.disagreements == ["p2", "p3", "p5", "p6"]
    assert row.delta_total_tokens == pytest.approx(-5.0)
    # swapping the entries flips every difference
    [back] = compare_entries(b, a)
    assert back.delta_accuracy == pytest.approx(-0.2) and (back.b_only, back.a_only) == (1, 3)


def test_entries_on_different_problems_or_budgets_are_refused_with_one_line() -> None:
    a = make_result("A", budgets=(128, 256), n_problems=10, k=1)
    b = make_result("B", budgets=(128, 512), n_problems=12, k=1)
    with pytest.raises(ComparisonError, match=r"problem sets differ: 10 shared of 10 \(A\) and 12 \(B\)"):
        compare_entries(a, b)
    c = make_result("C", budgets=(128, 512), n_problems=10, k=1)
    assert [r.budget for r in compare_entries(a, c)] == [128]  # only the budgets both ran
    with pytest.raises(ComparisonError, match="budget 256 is not in both entries"):
        compare_entries(a, c, 256)
    with pytest.raises(ComparisonError, match="different benchmarks"):
        compare_entries(a, make_result("D", benchmark="gsm8k", n_problems=10))


def test_compare_cli_on_the_committed_base_and_elastic_entries() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "elastic_bench.harness.cli", "compare", str(BASE), str(ELASTIC), "--budget", "128", "--json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    [row] = json.loads(done.stdout)
    assert {
        "budget",
        "n_shared",
        "delta_accuracy",
        "ci_low",
        "ci_high",
        "mcnemar_p",
        "delta_think_tokens",
    } <= set(row)
    assert (row["budget"], row["n_shared"]) == (128, 200)
    base = json.loads(BASE.read_text())["points"][1]
    elastic = json.loads(ELASTIC.read_text())["points"][1]
    assert row["delta_accuracy"] == pytest.approx(elastic["accuracy"] - base["accuracy"])
    assert row["ci_low"] < row["delta_accuracy"] < row["ci_high"]
    assert row["delta_think_tokens"] == pytest.approx(
        elastic["mean_think_tokens"] - base["mean_think_tokens"]
    )
    assert row["think_ci"] is not None  # per-problem thinking tokens read from the logged samples
    assert 0 <= row["mcnemar_p"] < 1e-6 and not math.isnan(row["mcnemar_p"])
    bad = subprocess.run(
        [sys.executable, "-m", "elastic_bench.harness.cli", "compare", str(BASE), str(ELASTIC), "--budget", "abc"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "--budget" in bad.stderr
