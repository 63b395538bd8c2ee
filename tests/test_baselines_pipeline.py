"""``elastic-bench baselines`` end to end through the real CLI (by absolute path) on a tiny slice:
2 training problems x 4 references, 2 optimizer steps per method, a 2-problem sweep; then a rerun
that skips everything; and bad input as one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from elastic_bench.baselines.pipeline import parse_methods, shared_data
from elastic_bench.baselines.train import METHODS as ALL_METHODS
from elastic_bench.harness.results import load_result

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "models" / "tiny_reasoner" / "checkpoint"
CLI = Path(sys.executable).parent / "elastic-bench"
METHODS = ("sft", "dpo", "o1_pruner")
SLICE = [
    "data.n_problems=2",
    "data.k=4",
    "trainer.max_steps=2",
    "trainer.per_device_train_batch_size=2",
    "trainer.save_steps=1",
]


def _run(tmp: Path, *extra: str) -> subprocess.CompletedProcess:
    cmd = [str(CLI), "baselines", "--methods", ",".join(METHODS), "--base", str(BASE)]
    cmd += ["--output-root", str(tmp / "out")]
    cmd += ["--results-dir", str(tmp / "results"), "--limit", "2", *SLICE, f"data.cache_dir={tmp / 'refs'}"]
    # one torch thread: the model is tiny, and on a shared, busy CPU several spinning OpenMP threads per
    # process slow everything down many times over
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    return subprocess.run([*cmd, *extra], cwd=tmp, capture_output=True, text=True, timeout=600, env=env)


@pytest.mark.slow
def test_baselines_pipeline_end_to_end_then_resumes(tmp_path: Path) -> None:
    proc = _run(tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    # progress and the Table-2-style comparison with every model
    assert "[1/8] reference sampling" in out and "[8/8] evaluate tiny_reasoner (O1-Pruner)" in out
    for header in ("Acc %", "Len (think)", "AES", "AUC", "steps", "train tokens"):
        assert header in out
    for name in ("tiny_reasoner (SFT)", "tiny_reasoner (DPO)", "tiny_reasoner (O1-Pruner)"):
        assert name in out
    state = json.loads((tmp_path / "out" / "pipeline.json").read_text())
    base_sha = state["base_eval"]["weights_sha256"]
    records = {}
    for method in METHODS:
        ckpt = tmp_path / "out" / method
        assert (ckpt / "model.safetensors").is_file()
        assert not list(ckpt.glob("checkpoint-*"))  # no intermediate checkpoints kept
        (path,) = state["methods"][method]["results"]
        result = load_result(path)  # a partial run (--limit): kept in results/runs, not on the leaderboard
        assert "runs" in Path(path).parts and result.points[0].n_problems == 2
        rec = result.training
        assert rec is not None and rec.method == method and result.model_name.startswith("tiny_reasoner (")
        assert rec.base_weights_sha256 == base_sha and rec.training_data_sha256
        assert rec.optimizer_steps == 2 and rec.training_tokens > 0 and rec.reference_sampling_tokens > 0
        assert (
            rec.wall_time_seconds > 0 and rec.seed == 0 and rec.hyperparameters["trainer"]["max_steps"] == 2
        )
        assert result.reproducibility.weights_sha256 == state["methods"][method]["weights_sha256"]
        records[method] = rec
    # one shared reference set: every method records the same references and problems
    assert len({r.training_data for r in records.values()}) == 1
    assert len(list((tmp_path / "refs").glob("references-*.json"))) == 1

    # a rerun skips every finished step (no training, no evaluation)
    start = time.monotonic()
    again = _run(tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout.count("done earlier") == 7 and "everything reused" in again.stdout
    assert time.monotonic() - start < 60


def test_baselines_bad_input_is_one_line(tmp_path: Path) -> None:
    proc = subprocess.run(
        [str(CLI), "baselines", "--methods", "sft,ppo", "--output-root", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"elastic-bench: error: unknown method(s) ppo; expected some of {', '.join(ALL_METHODS)}"
    ]
    proc = subprocess.run(
        [str(CLI), "baselines", "--methods", "sft", "data.nonsense=1", "--output-root", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert "unknown data key(s) ['nonsense']" in proc.stderr
    assert not (tmp_path / "o").exists()


# ------------------------------------------------------------------ six methods, one pipeline
def test_default_methods_are_all_six() -> None:
    import argparse

    from elastic_bench.baselines.pipeline_cli import add_arguments

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert parse_methods(parser.parse_args([]).methods) == list(ALL_METHODS)


def test_recipe_takes_method_equals_file_as_its_value_and_other_words_stay_overrides() -> None:
    """``--recipe sft=FILE`` (the documented form) was taken for a key=value override and refused."""
    import argparse

    from elastic_bench.baselines.pipeline_cli import add_arguments

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--recipe", "sft=a.yaml", "data.k=4", "--recipe=dpo=b.yaml", "trainer.seed=1"])
    assert args.recipe == ["sft=a.yaml", "dpo=b.yaml"] and args.overrides == ["data.k=4", "trainer.seed=1"]


def test_on_policy_methods_share_the_problem_stream_not_the_references(tmp_path: Path) -> None:
    from elastic_bench.baselines.recipe import default_recipe

    recipes = {m: default_recipe(m) for m in ALL_METHODS}
    # the shipped recipes: references from SFT's 32 problems; the GRPO methods draw 600 of the same stream
    data, seed, needs_refs = shared_data(list(ALL_METHODS), recipes, {})
    assert needs_refs and data.n_problems == 32 and data.k == 8 and seed == 0
    assert shared_data(["l1_exact", "l1_max", "elastic"], recipes, {})[2] is False
    # another problem stream is refused, by name
    other = _with(tmp_path, "l1_max", "n_problems: 600", "n_problems: 600\n  problems_seed: 1")
    with pytest.raises(
        ValueError, match="sft and l1_max differ in benchmark, train_set, problems_seed or seed"
    ):
        shared_data(["sft", "l1_max"], {**recipes, "l1_max": other}, {})
    # reference methods still need one reference set
    with pytest.raises(ValueError, match="sft and dpo differ in data or seed"):
        shared_data(["sft", "dpo"], {**recipes, "dpo": _with(tmp_path, "dpo", "k: 8", "k: 4")}, {})


def _with(tmp: Path, method: str, old: str, new: str) -> Path:
    from elastic_bench.baselines.recipe import default_recipe

    path = tmp / f"{method}.yaml"
    text = default_recipe(method).read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    return path


def test_budget_following_is_saved_with_the_weights_and_reused(tmp_path: Path, monkeypatch) -> None:
    import elastic_bench.baselines.budget_following as bf
    from elastic_bench.baselines import pipeline

    calls = []

    def fake(checkpoint, wording="l1", budgets=bf.TOY_BUDGETS, *, n_problems=200, **_):
        calls.append((str(checkpoint), wording, n_problems))
        row = {"budget": 128, "n": n_problems, "mean_think_tokens": 100.0, "rel_error": 0.219}
        row.update({"accuracy": 0.5, "within_budget": 0.75})
        return {"checkpoint": str(checkpoint), "wording": wording, "rows": [row]}

    monkeypatch.setattr(bf, "budget_following", fake)
    ckpt = tmp_path / "l1_max"
    ckpt.mkdir()
    outcome = pipeline.ModelOutcome("l1_max", "tiny (L1-Max)", str(ckpt))
    assert pipeline.follow_budgets(outcome, "sha-a", 2, lambda _: None)
    assert calls == [(str(ckpt), "l1_max", 2)]  # L1-Max is asked with its own wording
    saved = json.loads((ckpt / pipeline.FOLLOWING_FILE).read_text())
    assert saved["weights_sha256"] == "sha-a" and saved["rows"][0]["rel_error"] == 0.219
    assert not pipeline.follow_budgets(outcome, "sha-a", 2, lambda _: None)  # same weights: reused
    assert len(calls) == 1
    assert pipeline.follow_budgets(outcome, "sha-b", 2, lambda _: None)  # new weights: measured again
    exact = pipeline.ModelOutcome("l1_exact", "tiny (L1-Exact)", str(ckpt))
    pipeline.follow_budgets(exact, "sha-c", None, lambda _: None)
    assert calls[-1] == (str(ckpt), "l1", 200)


def test_a_comparison_accepts_its_base_spelled_relative_or_absolute(tmp_path, monkeypatch):
    """pipeline.json records the base as given; the default (absolute) path of the same folder matches it."""
    from elastic_bench.harness.provenance import same_model_location

    (tmp_path / "base").mkdir()
    (tmp_path / "other").mkdir()
    monkeypatch.chdir(tmp_path)
    assert same_model_location("base", str(tmp_path / "base"))
    assert not same_model_location("base", str(tmp_path / "other"))
    assert same_model_location("org/model", "org/model") and not same_model_location("org/model", "org/other")


def test_records_name_a_local_base_relative_to_the_working_directory(tmp_path, monkeypatch):
    """A comparison made in one checkout names /its/checkout/models/... nowhere: clones elsewhere reuse it."""
    from elastic_bench.harness.provenance import portable_path

    (tmp_path / "models" / "base").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    assert portable_path(tmp_path / "models" / "base") == "models/base"
    assert portable_path("models/base") == "models/base"
    assert portable_path("org/model") == "org/model"  # a hub id is not a local folder
    outside = tmp_path.parent / f"{tmp_path.name}-elsewhere"
    outside.mkdir()
    assert portable_path(outside) == str(outside)  # outside the working directory: as given
