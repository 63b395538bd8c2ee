"""GRPO baselines (L1-Exact, L1-Max, Elastic): rewards by hand, the env_mask, elastic rollouts equal
the elastic strategy, every method's smoke run, and kill -9 + --resume."""

from __future__ import annotations

import json
import math
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback

from elastic_bench.baselines import elastic_rl, l1
from elastic_bench.baselines.common import load_base, prompt_text, training_problems
from elastic_bench.baselines.grpo_common import budget_prompt, think_tokens
from elastic_bench.baselines.train import RECORD_FILE, train_method
from elastic_bench.harness.generation import (
    L1_WORDINGS,
    Budget,
    BudgetedGenerator,
    BudgetedRequest,
    Sampling,
    budget_instruction,
    budget_sentence,
    stable_seed,
)
from elastic_bench.models.hf_generator import HFTokenGenerator

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "models" / "tiny_reasoner" / "checkpoint"
RL_METHODS = ("l1_exact", "l1_max", "elastic")
#: CI size: 2 problems x 2 rollouts per step, short rollouts, two optimizer steps
SMOKE = {
    "data.n_problems": "4",
    "trainer.max_steps": "2",
    "trainer.num_generations": "2",
    "trainer.per_device_train_batch_size": "4",
    "trainer.logging_steps": "1",
    "trainer.save_steps": "1",
}
SMOKE_BY_METHOD = {
    "l1_exact": {"trainer.max_completion_length": "48"},
    "l1_max": {"trainer.max_completion_length": "48"},
    "elastic": {"trainer.thinking_budget": "32", "trainer.solution_budget": "16"},
}


# ------------------------------------------------------------------------- rewards by hand
def test_l1_rewards_by_hand():
    # Exact: 1[correct] - alpha |N - n|
    assert l1.exact_reward(True, 200, 150, 0.00234375) == pytest.approx(1 - 0.1171875)
    assert l1.exact_reward(False, 100, 300, 0.0003) == pytest.approx(-0.06)
    assert l1.exact_reward(True, 500, 500, 0.0003) == 1.0
    # Max: 1[correct] * clip(alpha (N - n) + delta, 0, 1)
    assert l1.max_reward(True, 300, 100, 0.0003, 0.5) == pytest.approx(0.56)
    assert l1.max_reward(True, 4000, 100, 0.0003, 0.5) == 1.0  # 1.17 + 0.5 clipped to 1
    assert l1.max_reward(True, 100, 3000, 0.0003, 0.5) == 0.0  # -0.87 + 0.5 clipped to 0
    assert l1.max_reward(True, 100, 100, 0.0003, 0.5) == 0.5
    assert l1.max_reward(False, 4000, 100, 0.0003, 0.5) == 0.0


def test_budget_wording_is_defined_once_and_reaches_the_user_turn():
    assert budget_sentence(L1_WORDINGS["exact"], 256) == "Think for 256 tokens."
    assert budget_sentence(L1_WORDINGS["max"], 64) == "Think for maximum 64 tokens."
    # the prompt strategy states a budget with the same words
    assert (
        budget_instruction(Budget(64, 8, "prompt", wording=L1_WORDINGS["max"]))
        == "Think for maximum 64 tokens."
    )
    with pytest.raises(ValueError, match="unknown budget wording"):
        budget_sentence("about", 5)
    tok = AutoTokenizer.from_pretrained(BASE)
    problem = training_problems(1)[0].problem
    plain = prompt_text(tok, problem)
    assert budget_prompt(tok, problem) == plain
    with_budget = budget_prompt(tok, problem, sentence="Think for 99 tokens.")
    assert with_budget == plain.replace("\\boxed{}.", "\\boxed{}. Think for 99 tokens.")


def test_think_tokens_counts_up_to_and_including_the_marker():
    assert think_tokens([5, 6, 426, 7, 0], [426], [0]) == 3
    assert think_tokens([5, 6, 7, 0], [426], [0]) == 3  # never closed: all but the EOS
    assert think_tokens([5, 6, 7], [426], [0]) == 3


def _reward_args(kind: str) -> l1.L1Config:
    return l1.L1Config(
        output_dir="/tmp/unused", l1_kind=kind, l1_alpha=0.01, target_min=1, target_max=10, use_cpu=True
    )


@pytest.mark.parametrize("kind", ["exact", "max"])
def test_l1_reward_function_grades_with_the_project_grader(kind):
    tok = AutoTokenizer.from_pretrained(BASE)
    reward = l1.make_reward(_reward_args(kind), tok)
    texts = [
        "a b c</think>\nThe answer is \\boxed{12}.",  # right, n = tokens up to </think>
        "a b c</think>\nThe answer is \\boxed{13}.",  # wrong
        "\\boxed{12} a b c</think>\nno answer here",  # right only in the thinking: the grader says no
    ]
    ids = [tok(t, add_special_tokens=False)["input_ids"] for t in texts]
    ns = [think_tokens(i, [tok.convert_tokens_to_ids("</think>")], [tok.eos_token_id]) for i in ids]
    out = reward(completions=texts, completion_ids=ids, answer=["12"] * 3, target=[10, 10, 10])
    if kind == "exact":
        expected = [1 - 0.01 * abs(10 - ns[0]), -0.01 * abs(10 - ns[1]), -0.01 * abs(10 - ns[2])]
    else:
        expected = [min(1.0, max(0.0, 0.01 * (10 - ns[0]) + 0.5)), 0.0, 0.0]
    assert out == pytest.approx(expected)


def test_elastic_reward_is_correctness():
    args = elastic_rl.ElasticConfig(output_dir="/tmp/unused", use_cpu=True)
    reward = elastic_rl.make_reward(args)
    responses = ["x</think>\n\\boxed{7}", "x</think>\n\\boxed{8}", "\\boxed{7}</think>\nnothing"]
    assert reward(completions=responses, answer=["7"] * 3, response=responses) == [1.0, 0.0, 0.0]


# ---------------------------------------------------------------- elastic rollouts in the trainer
@pytest.fixture(scope="module")
def elastic_trainer(tmp_path_factory):
    model, tok = load_base(BASE)
    args = elastic_rl.ElasticConfig(
        output_dir=str(tmp_path_factory.mktemp("e1")),
        thinking_budget=200,
        solution_budget=16,
        num_generations=4,
        per_device_train_batch_size=8,
        temperature=1.0,
        bf16=False,
        gradient_checkpointing=False,
        use_cpu=True,
        report_to="none",
        seed=3,
    )
    return elastic_rl.make_trainer(model, tok, None, args, problems=training_problems(2, seed=5))


def _prompts(trainer) -> list[str]:
    rows = trainer.train_dataset
    return [rows[i]["prompt"] for i in range(len(rows)) for _ in range(trainer.args.num_generations)]


def test_env_mask_masks_exactly_the_appended_marker(elastic_trainer):
    trainer = elastic_trainer
    out = elastic_rl.elastic_rollouts(_prompts(trainer), trainer)
    marker = trainer.processing_class("</think>", add_special_tokens=False)["input_ids"]
    assert len(out["completion_ids"]) == len(_prompts(trainer))  # one completion per received prompt
    cut = natural = 0
    for ids, mask, truncated in zip(
        out["completion_ids"], out["env_mask"], out["think_truncated"], strict=True
    ):
        assert len(mask) == len(ids)
        zeros = [i for i, m in enumerate(mask) if m == 0]
        if truncated:  # cut at t*: the marker right after the t* thinking tokens is the only masked span
            cut += 1
            assert zeros == list(range(200, 200 + len(marker)))
            assert [ids[i] for i in zeros] == marker
        else:  # the model closed its thinking itself: its own marker is trained on
            natural += 1
            assert zeros == []
    assert cut and natural  # both cases were exercised
    # TRL turns env_mask into the loss mask: the appended marker carries no loss
    batch = [{"prompt": p, "answer": "0"} for p in _prompts(trainer)]
    scored = trainer._generate_and_score_completions(batch)
    loss_mask = scored["completion_mask"] * scored["tool_mask"]
    for row, mask in enumerate(out["env_mask"]):
        assert loss_mask[row, : len(mask)].tolist() == mask


def test_rollouts_are_the_elastic_strategy_for_the_same_seed(elastic_trainer):
    """The rollout equals what the elastic strategy gives on a fresh generator (as evaluation runs it:
    shared prefixes, other batching) for the same requests and seed."""
    trainer = elastic_trainer
    prompts = _prompts(trainer)[:4]  # one problem's group of 4 samples
    trainer.state.global_step = 7
    out = elastic_rl.elastic_rollouts(prompts, trainer)
    model, tok = load_base(BASE)
    backend = HFTokenGenerator(model.eval(), tok, batch_size=3)
    seed = stable_seed(3, "elastic-rollout", 7)
    requests = []
    for i, p in enumerate(prompts):
        ids = tuple(backend.encode(p))
        requests.append(BudgetedRequest(ids, Budget(200, 16), Sampling(1.0), sample_index=i % 4, seed=seed))
    expected = BudgetedGenerator(backend, share_prefix=True).run(requests, groups_per_batch=2)
    assert out["completion_ids"] == [r.output_ids() for r in expected]
    assert out["think_tokens"] == [r.think_tokens for r in expected]
    assert len({tuple(c) for c in out["completion_ids"]}) > 1  # samples differ within a group
    trainer.state.global_step = 8
    assert elastic_rl.elastic_rollouts(prompts, trainer)["completion_ids"] != out["completion_ids"]


# ---------------------------------------------------------------------------- smoke runs
class _Losses(TrainerCallback):
    def __init__(self):
        self.losses = []

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and "loss" in logs:
            self.losses.append(float(logs["loss"]))


@pytest.mark.parametrize("method", RL_METHODS)
def test_grpo_smoke(method, tmp_path):
    losses = _Losses()
    out = tmp_path / method
    overrides = {**SMOKE, **SMOKE_BY_METHOD[method]}
    record = train_method(method, str(BASE), out, overrides=overrides, callbacks=[losses])
    assert len(losses.losses) == 2 and all(math.isfinite(x) for x in losses.losses)
    saved = json.loads((out / RECORD_FILE).read_text())
    assert saved == json.loads(record.model_dump_json())
    assert saved["optimizer_steps"] == 2 and saved["training_tokens"] > 0
    assert saved["reference_sampling_tokens"] == 0 and "on-policy rollouts" in saved["training_data"]
    assert saved["base_weights_sha256"] and saved["training_data_sha256"]
    model = AutoModelForCausalLM.from_pretrained(out)
    tok = AutoTokenizer.from_pretrained(out)
    assert (out / "chat_template.jinja").read_text() == (BASE / "chat_template.jinja").read_text()
    ids = tok(prompt_text(tok, training_problems(1)[0].problem), return_tensors="pt").input_ids
    assert model.generate(ids, max_new_tokens=4, do_sample=False).shape[1] == ids.shape[1] + 4


# ------------------------------------------------------------------------- kill -9 and --resume
#: the interrupted run: the real trainer, SIGKILLed by itself right after checkpoint-2 is on disk
_KILLED_AT_STEP_2 = """
import os, signal, sys
from transformers import TrainerCallback
from elastic_bench.baselines.recipe import parse_overrides
from elastic_bench.baselines.train import train_method

class KillAfterSave(TrainerCallback):
    def on_save(self, args, state, control, **kw):
        if state.global_step == 2:
            os.kill(os.getpid(), signal.SIGKILL)

base, out, *overrides = sys.argv[1:]
train_method("elastic", base, out, overrides=parse_overrides(overrides), callbacks=[KillAfterSave()])
"""


@pytest.mark.slow
def test_elastic_kill_then_resume_gives_the_uninterrupted_weights(tmp_path):
    """Elastic rollouts are seeded by (seed, step, prompt, j) and TRL's sampler by the seed, so a
    run resumed from checkpoint-2 repeats the uninterrupted run's steps 3-4 bit for bit."""
    # budgets at which the base is right about half the time, so GRPO groups have mixed rewards
    # and every step moves the weights (t* = 32 gives all-zero rewards: zero advantages, no update)
    budgets = {"trainer.thinking_budget": "128", "trainer.solution_budget": "24"}
    # 8 problems = 4 steps of 2: the whole run stays inside one epoch of TRL's RepeatSampler
    overrides = {
        **SMOKE,
        **budgets,
        "data.n_problems": "8",
        "trainer.max_steps": "4",
        "trainer.save_total_limit": "4",
    }
    overrides = [f"{k}={v}" for k, v in overrides.items()]
    base_cmd = [sys.executable, "-m", "elastic_bench.harness.cli", "train", "elastic", "--base", str(BASE)]
    whole = tmp_path / "whole"
    subprocess.run([*base_cmd, "--output-dir", str(whole), *overrides], check=True, capture_output=True)
    cut = tmp_path / "cut"
    proc = subprocess.run(
        [sys.executable, "-c", _KILLED_AT_STEP_2, str(BASE), str(cut), *overrides],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    assert (cut / "checkpoint-2" / "trainer_state.json").is_file()
    assert not (cut / RECORD_FILE).exists() and not (cut / "checkpoint-4").exists()
    subprocess.run(
        [*base_cmd, "--output-dir", str(cut), "--resume", *overrides], check=True, capture_output=True
    )
    a = AutoModelForCausalLM.from_pretrained(whole).state_dict()
    b = AutoModelForCausalLM.from_pretrained(cut).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    mid = AutoModelForCausalLM.from_pretrained(cut / "checkpoint-2").state_dict()
    assert not all(torch.equal(a[k], mid[k]) for k in a)  # steps 3-4 were trained after the resume


# ------------------------------------------------------------------------- the training record
class _FakeTrainer:
    """Stands in for GRPOTrainer: ``train()`` makes a commit happen (the clock moves on)."""

    def __init__(self, clock: list[str]):
        from types import SimpleNamespace

        self.clock = clock
        self.state = SimpleNamespace(global_step=3, num_input_tokens_seen=10)

    def train(self, resume_from_checkpoint=None):
        self.clock[0] = "commit-made-during-training"

    def save_model(self, out):
        Path(out).mkdir(parents=True, exist_ok=True)


def test_training_record_names_the_commit_that_started_training(tmp_path, monkeypatch):
    import elastic_bench.baselines.l1_exact as l1_exact_module
    import elastic_bench.baselines.train as train_module

    clock = ["commit-at-start"]
    monkeypatch.setattr(train_module, "git_commit", lambda: clock[0])
    monkeypatch.setattr(l1_exact_module, "make_trainer", lambda *a, **k: _FakeTrainer(clock))
    record = train_method("l1_exact", str(BASE), tmp_path / "run", overrides={"data.n_problems": "2"})
    assert clock[0] == "commit-made-during-training"  # the fake training did run
    assert record.git_commit == "commit-at-start"
    assert json.loads((tmp_path / "run" / RECORD_FILE).read_text())["git_commit"] == "commit-at-start"
