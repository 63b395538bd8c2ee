"""Math training sets for the GPU recipes: a local or Hub set (DeepScaleR's) read, graded and drawn
by seed, bad rows named in one line, and a GRPO run that trains on it and says so in its record."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from elastic_bench.baselines.common import TrainingProblem, training_problems
from elastic_bench.baselines.recipe import RECIPES_DIR, DataConfig, load_recipe
from elastic_bench.baselines.reference import problems_sha256
from elastic_bench.baselines.train import RECORD_FILE, method_module, train_method
from elastic_bench.harness.grading import grade_many
from elastic_bench.tasks.math.data import DataError

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "models" / "tiny_reasoner" / "checkpoint"
ROWS = [  # DeepScaleR-Preview-Dataset's columns: problem, answer, solution (no id)
    {"problem": f"What is {i} + {i}?", "answer": str(2 * i), "solution": f"\\boxed{{{2 * i}}}"}
    for i in range(12)
] + [{"problem": "What is one half?", "answer": "\\frac{1}{2}", "solution": "..."}]


@pytest.fixture
def math_set(tmp_path) -> Path:
    path = tmp_path / "deepscaler.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in ROWS) + "\n")
    return path


def test_a_local_set_is_drawn_by_seed_and_a_larger_draw_extends_a_smaller(math_set):
    five = training_problems(5, seed=3, train_set=str(math_set), grader="math500")
    assert all(isinstance(p, TrainingProblem) for p in five)
    assert five == training_problems(5, seed=3, train_set=str(math_set), grader="math500")
    assert training_problems(9, seed=3, train_set=str(math_set), grader="math500")[:5] == five
    assert five != training_problems(5, seed=4, train_set=str(math_set), grader="math500")
    assert len({p.id for p in training_problems(13, train_set=str(math_set), grader="math500")}) == 13
    assert all(p.id.startswith("deepscaler-") for p in five)


def test_golds_are_prepared_for_the_recipes_grader(math_set):
    (half,) = [
        p for p in training_problems(13, train_set=str(math_set), grader="math500") if "half" in p.problem
    ]
    grades = grade_many(
        [
            ("</think>\n\\boxed{0.5}", half.answer, "math500"),
            ("</think>\n\\boxed{1/3}", half.answer, "math500"),
        ]
    )
    assert [g.correct for g in grades] == [True, False]


def test_json_array_and_parquet_copies_read_the_same(math_set, tmp_path):
    as_json = tmp_path / "deepscaler.json"
    as_json.write_text(json.dumps(ROWS))
    as_parquet = tmp_path / "deepscaler.parquet"
    pd.DataFrame(ROWS).to_parquet(as_parquet)
    draws = [
        training_problems(6, seed=1, train_set=str(p), grader="math500")
        for p in (math_set, as_json, as_parquet)
    ]
    assert draws[0] == draws[1] == draws[2]


def test_bad_training_sets_fail_in_one_line(tmp_path, math_set):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(ROWS[0]) + "\n" + json.dumps({"problem": "no gold here"}) + "\n")
    with pytest.raises(DataError, match=r"bad.jsonl:2: no answer") as err:
        training_problems(1, train_set=str(bad), grader="math500")
    assert "\n" not in str(err.value)
    with pytest.raises(DataError, match="no such file"):
        training_problems(1, train_set=str(tmp_path / "missing.jsonl"), grader="math500")
    with pytest.raises(ValueError, match="has 13 problems; n_problems=50"):
        training_problems(50, train_set=str(math_set), grader="math500")


def test_an_unreachable_hub_set_fails_in_one_line(monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(DataError, match="training set 'no-such-org/no-such-set': cannot load") as err:
        training_problems(1, train_set="no-such-org/no-such-set", grader="math500")
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("recipe", sorted(RECIPES_DIR.glob("*_deepscaler_1.5b.yaml")), ids=lambda p: p.stem)
def test_gpu_recipes_train_on_deepscalers_math_set_with_the_math_grader(recipe):
    method = recipe.stem.split("_deepscaler")[0]
    spec = load_recipe(recipe, method_module(method).CONFIG_CLASS)
    data = DataConfig(**spec["data"])
    assert data.train_set == "agentica-org/DeepScaleR-Preview-Dataset"
    assert data.benchmark == "math500"
    assert spec["trainer"].get("benchmark", "math500") == "math500"


def test_a_grpo_run_trains_on_a_math_set_and_its_record_names_it(math_set, tmp_path):
    overrides = {
        "data.train_set": str(math_set),
        "data.benchmark": "math500",
        "data.n_problems": "4",
        "trainer.max_steps": "1",
        "trainer.num_generations": "2",
        "trainer.per_device_train_batch_size": "4",
        "trainer.thinking_budget": "16",
        "trainer.solution_budget": "8",
        "trainer.save_steps": "1",
    }
    record = train_method("elastic", str(BASE), tmp_path / "run", overrides=overrides)
    saved = json.loads((tmp_path / "run" / RECORD_FILE).read_text())
    assert saved["training_data"].startswith(f"{math_set} n=4 seed=0; on-policy rollouts")
    assert record.optimizer_steps == 1
    drawn = training_problems(4, train_set=str(math_set), grader="math500")
    assert saved["training_data_sha256"] == problems_sha256(drawn)


def test_the_grader_is_set_once_for_data_and_rewards(math_set, tmp_path):
    with pytest.raises(ValueError, match="trainer.benchmark 'toy' differs from data.benchmark 'math500'"):
        train_method(
            "elastic",
            str(BASE),
            tmp_path / "run",
            overrides={
                "data.train_set": str(math_set),
                "data.benchmark": "math500",
                "trainer.benchmark": "toy",
            },
        )
