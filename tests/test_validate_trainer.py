"""The budget-following trainer-validation environment and ``elastic-bench validate-trainer``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from elastic_bench.baselines.validate import VALIDATION_METHODS, validate_trainer
from elastic_bench.baselines.validate.budget import (
    BUDGETS,
    METHODS,
    acceptance,
    spearman,
    summarize,
)
from elastic_bench.baselines.validate.budget_env import (
    BENCHMARK,
    budget_statement,
    completion,
    problems,
    thinking,
    user_message,
)
from elastic_bench.harness.generation import L1_WORDINGS, budget_sentence
from elastic_bench.harness.grading import grade_many


def test_problems_are_seeded_one_digit_sums():
    a, b = problems(50, seed=3), problems(50, seed=3)
    assert a == b and a != problems(50, seed=4)
    assert all(0 <= p.a <= 9 and 0 <= p.b <= 9 and p.answer == str(p.a + p.b) for p in a)


def test_budget_statement_is_the_l1_trainers_own_sentence():
    for kind, wording in L1_WORDINGS.items():
        assert budget_statement(kind, 137) == budget_sentence(wording, 137)
    p = problems(1, 0)[0]
    assert user_message(p, "max", 90).endswith(" Think for maximum 90 tokens.")


@pytest.mark.parametrize("steps", [0, 1, 7, 40])
def test_every_number_of_steps_is_a_correct_trace(steps):
    p = problems(1, seed=1)[0]
    text = completion(p, budget=120, steps=steps, unit=5)
    assert thinking(p, 120, steps, 5).count(" left.\n") == steps
    [grade] = grade_many([(text, p.answer, BENCHMARK)], workers=1)
    assert grade.correct
    wrong = text.replace(f"\\boxed{{{p.answer}}}", f"\\boxed{{{int(p.answer) + 1}}}")
    [bad] = grade_many([(wrong, p.answer, BENCHMARK)], workers=1)
    assert not bad.correct


def test_countdown_counts_the_stated_budget_down():
    p = problems(1, seed=2)[0]
    lines = thinking(p, 100, 3, 5).splitlines()
    assert lines[1:] == ["95 left.", "90 left.", "85 left."]


def test_spearman_of_ranks():
    assert spearman([1, 2, 3, 4, 5], [10, 20, 30, 40, 50]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4, 5], [50, 40, 30, 20, 10]) == pytest.approx(-1.0)
    assert spearman([1, 2, 3, 4, 5], [7, 7, 7, 7, 7]) == 0.0  # one length for every N follows nothing


def _figures(lengths_per_budget, right=True):
    think = {n: lengths for n, lengths in zip(BUDGETS, lengths_per_budget, strict=True)}
    correct = {n: [right] * len(think[n]) for n in BUDGETS}
    return summarize(list(BUDGETS), think, correct)


def test_l1_exact_passes_only_when_thinking_tracks_n():
    tracking = _figures([[n - 2, n + 3, n] for n in BUDGETS])
    assert tracking["spearman"] == pytest.approx(1.0) and tracking["median_rel_error"] < 0.05
    assert acceptance("l1_exact", tracking, tracking)["passed"]
    # the committed toy's failure: one length (~182 tokens) for every N
    flat = _figures([[182, 183, 182] for _ in BUDGETS])
    verdict = acceptance("l1_exact", flat, flat)
    assert flat["spearman"] == 0.0 and not verdict["passed"]
    # monotone but off by 40%: Spearman alone is not enough
    scaled = _figures([[int(1.4 * n)] * 3 for n in BUDGETS])
    assert scaled["spearman"] == pytest.approx(1.0)
    assert not acceptance("l1_exact", scaled, scaled)["passed"]


def test_l1_max_needs_every_budget_and_kept_accuracy():
    start = _figures([[n] * 4 for n in BUDGETS])
    under = _figures([[n // 2] * 4 for n in BUDGETS])
    assert acceptance("l1_max", start, under)["passed"]
    one_over = _figures([[n // 2] * 4 if n != BUDGETS[0] else [n + 1, n, n, n] for n in BUDGETS])
    assert one_over["within_budget"][str(BUDGETS[0])] == 0.75
    assert not acceptance("l1_max", start, one_over)["passed"]  # 75% within at one budget
    wrong = _figures([[n // 2] * 4 for n in BUDGETS], right=False)
    assert not acceptance("l1_max", start, wrong)["passed"]  # accuracy 100% -> 0%


def test_unknown_method_is_one_line():
    assert set(METHODS) <= set(VALIDATION_METHODS)
    with pytest.raises(ValueError, match="unknown method 'l2'"):
        validate_trainer("l2")
    with pytest.raises(ValueError, match="unknown method"):
        acceptance("sft", {}, {})


def test_cli_quick_json(tmp_path):
    """``elastic-bench validate-trainer l1_max --quick --json``: one JSON object with the figures."""
    exe = Path(sys.executable).with_name("elastic-bench")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TQDM_DISABLE": "1"}
    proc = subprocess.run(
        [
            str(exe),
            "validate-trainer",
            "l1_max",
            "--quick",
            "--json",
            "--work-dir",
            str(tmp_path),
            "trainer.learning_rate=5e-4",
        ],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
    )
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    for key in ("spearman", "median_rel_error", "within_budget", "accuracy_start", "accuracy_end"):
        assert key in report
    assert set(report["within_budget"]) == {str(n) for n in BUDGETS}
    assert report["training"]["steps"] == 1
    assert report["training"]["trainer"]["learning_rate"] == 5e-4  # the override reached the trainer


def test_cli_refuses_an_override_it_cannot_apply_before_any_work(tmp_path):
    exe = Path(sys.executable).with_name("elastic-bench")
    proc = subprocess.run(
        [str(exe), "validate-trainer", "l1_exact", "--work-dir", str(tmp_path), "data.n_problems=8"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode not in (0, 1)
    assert "trainer.* overrides only" in proc.stderr
    assert not any(tmp_path.iterdir())  # refused before pre-training a base
