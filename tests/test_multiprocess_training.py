"""Multi-process training: 2 CPU processes train as 1 at the same global batch (per-step SFT losses
within 1e-4), Elastic's rollouts run on 2 processes and its record states the world size, the global
batch splits over the processes or is refused in one line, and a rollout group split over processes
keeps distinct samples."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from transformers import TrainerCallback

from elastic_bench.baselines import grpo_common
from elastic_bench.baselines.elastic_rl import ElasticConfig
from elastic_bench.baselines.recipe import split_global_batch
from elastic_bench.baselines.train import RECORD_FILE, train_method

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "models" / "tiny_reasoner" / "checkpoint"
#: 2 CPU processes through accelerate's torchrun launcher (its --cpu launcher starts only one)
LAUNCH = [
    str(Path(sys.executable).parent / "accelerate"),  # CI does not put the venv on PATH
    "launch",
    "--multi_gpu",
    "--num_processes",
    "2",
    "--num_machines",
    "1",
    "--mixed_precision",
    "no",
    "--dynamo_backend",
    "no",
    "--main_process_port",
    "0",
    "-m",
    "elastic_bench.baselines.train_cli",
]
#: SFT on 6 problems x 4 samples (11 rows), 3 steps of a global batch of 2, in float32 (bf16
#: autocast rounds matmul outputs differently for different per-device batch shapes)
SFT = {
    "data.n_problems": "6",
    "data.k": "4",
    "data.max_tokens": "160",
    "trainer.max_steps": "3",
    "trainer.per_device_train_batch_size": "2",
    "trainer.logging_steps": "1",
    "trainer.save_steps": "3",
    "trainer.bf16": "false",
}


class _Losses(TrainerCallback):
    def __init__(self):
        self.losses = []

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and "loss" in logs:
            self.losses.append(float(logs["loss"]))


def _words(overrides: dict) -> list[str]:
    return [f"{k}={v}" for k, v in overrides.items()]


# ------------------------------------------------------------------------------- the global batch
def test_the_global_batch_splits_over_processes_or_is_refused_in_one_line():
    from trl import DPOConfig, SFTConfig

    assert split_global_batch({"per_device_train_batch_size": 8}, SFTConfig, 1) == {
        "per_device_train_batch_size": 8
    }
    assert split_global_batch({"per_device_train_batch_size": 8}, SFTConfig, 2) == {
        "per_device_train_batch_size": 4,
        "gradient_accumulation_steps": 1,
    }
    # accumulation steps go first: each GPU keeps the recipe's per-device memory
    gpu = {"per_device_train_batch_size": 4, "gradient_accumulation_steps": 8}
    assert split_global_batch(gpu, DPOConfig, 8) == {
        "per_device_train_batch_size": 4,
        "gradient_accumulation_steps": 1,
    }
    assert split_global_batch(gpu, DPOConfig, 16)["per_device_train_batch_size"] == 2
    assert split_global_batch({"per_device_train_batch_size": 32}, ElasticConfig, 2) == {
        "per_device_train_batch_size": 16,
        "gradient_accumulation_steps": 1,
    }
    with pytest.raises(ValueError, match="does not split over 3 processes") as err:
        split_global_batch({"per_device_train_batch_size": 8}, SFTConfig, 3)
    assert "\n" not in str(err.value)


def test_a_cpu_launch_that_would_start_one_process_is_refused(tmp_path, monkeypatch):
    """``accelerate launch --cpu --num_processes 2`` starts one process (MASTER_ADDR set, no WORLD_SIZE)."""
    monkeypatch.setenv("ACCELERATE_USE_CPU", "True")
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    with pytest.raises(ValueError, match="starts a single process"):  # before anything else is read
        train_method("sft", str(tmp_path / "no-base"), tmp_path / "o")
    assert not (tmp_path / "o").exists()


def test_a_group_split_over_processes_numbers_its_samples_across_them(monkeypatch):
    """TRL may put a prompt's rollouts on two processes: j continues there (the same j = the same seed)."""
    a, b = [5, 6], [7]
    shares = [[tuple(a), tuple(a), tuple(b)], [tuple(b), tuple(a), tuple(a)]]
    monkeypatch.setattr(grpo_common, "gather_objects", lambda items: shares)
    monkeypatch.setattr(grpo_common, "process_rank", lambda: 1)
    assert grpo_common.sample_indices([b, a, a]) == [1, 2, 3]
    monkeypatch.setattr(grpo_common, "process_rank", lambda: 0)
    assert grpo_common.sample_indices([a, a, b]) == [0, 1, 0]


def test_l1_rollouts_number_their_samples_across_processes(monkeypatch):
    """L1's rollouts use the same numbering as Elastic's: on the second process a prompt's samples
    continue after the first process's, so no two rollouts of a group draw the same tokens."""
    from types import SimpleNamespace

    from elastic_bench.baselines import elastic_rl, l1

    a = [5, 6]
    shares = [[tuple(a), tuple(a)], [tuple(a), tuple(a)]]
    monkeypatch.setattr(grpo_common, "gather_objects", lambda items: shares)
    monkeypatch.setattr(grpo_common, "process_rank", lambda: 1)
    backend = SimpleNamespace(encode=lambda prompt: list(a))
    seen = {}

    def fake_generate(trainer, backend, requests):
        seen["j"] = [r.sample_index for r in requests]
        return {"completion_ids": [], "think_truncated": []}

    monkeypatch.setattr(elastic_rl, "rollout_backend", lambda trainer: backend)
    monkeypatch.setattr(elastic_rl, "generate_rollouts", fake_generate)
    args = SimpleNamespace(seed=0, max_completion_length=16, temperature=1.0, top_p=1.0, top_k=0)
    trainer = SimpleNamespace(args=args, state=SimpleNamespace(global_step=0))
    l1.l1_rollouts(["p", "p"], trainer)
    assert seen["j"] == [2, 3]


# ---------------------------------------------------------------------- 2 processes against 1
@pytest.mark.slow
def test_sft_on_two_processes_trains_as_one(tmp_path):
    cache = {"data.cache_dir": str(tmp_path / "refs")}
    losses = _Losses()
    train_method("sft", str(BASE), tmp_path / "one", overrides={**SFT, **cache}, callbacks=[losses])
    out = tmp_path / "two"
    cmd = [*LAUNCH, "sft", "--base", str(BASE), "--output-dir", str(out), *_words({**SFT, **cache})]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    record = json.loads((out / RECORD_FILE).read_text())
    assert record["world_size"] == 2 and record["optimizer_steps"] == 3
    assert record["hyperparameters"]["trainer"]["per_device_train_batch_size"] == 1
    assert proc.stdout.count("trained sft") == 1  # rank 0 reports for the run
    history = json.loads((out / "checkpoint-3" / "trainer_state.json").read_text())["log_history"]
    two = [h["loss"] for h in history if "loss" in h]
    assert len(losses.losses) == len(two) == 3
    for a, b in zip(losses.losses, two, strict=True):
        assert b == pytest.approx(a, rel=1e-4)


@pytest.mark.slow
def test_elastic_rollouts_on_two_processes(tmp_path):
    out = tmp_path / "elastic"
    smoke = {
        "data.n_problems": "4",
        "trainer.max_steps": "1",
        "trainer.num_generations": "8",
        "trainer.per_device_train_batch_size": "8",  # 1 prompt x 8 rollouts: 4 on each process
        "trainer.thinking_budget": "24",
        "trainer.solution_budget": "8",
        "trainer.logging_steps": "1",
        "trainer.save_strategy": "no",
    }
    cmd = [*LAUNCH, "elastic", "--base", str(BASE), "--output-dir", str(out), *_words(smoke)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    record = json.loads((out / RECORD_FILE).read_text())
    assert record["world_size"] == 2 and record["optimizer_steps"] == 1
    assert record["hyperparameters"]["trainer"]["per_device_train_batch_size"] == 4
    assert (out / "model.safetensors").is_file()
