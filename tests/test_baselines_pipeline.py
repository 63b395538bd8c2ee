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
    cmd = [str(CLI), "baselines", "--base", str(BASE), "--output-root", str(tmp / "out")]
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
