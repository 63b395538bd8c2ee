"""Baseline training (SFT, DPO, O1-Pruner): the objective by hand, reference caching, every
recipe's smoke run, bad input as one line, and kill -9 + --resume."""

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

from elastic_bench.baselines import o1_pruner
from elastic_bench.baselines.common import load_base, prompt_text, training_problems, with_generation_markers
from elastic_bench.baselines.reference import ReferenceSample, ReferenceSet, reference_key, sample_references
from elastic_bench.baselines.train import METHODS, RECORD_FILE, method_module, train_method
from elastic_bench.harness.cli import main as cli_main
from elastic_bench.tasks.toy.arithmetic import generate

ROOT = Path(__file__).resolve().parents[1]
#: the methods trained from reference samples (the GRPO ones: tests/test_baselines_rl.py)
OFFLINE_METHODS = [m for m in METHODS if not getattr(method_module(m), "ON_POLICY", False)]
BASE = ROOT / "models" / "tiny_reasoner" / "checkpoint"
#: tiny data for CI: 2 problems x 4 samples, two optimizer steps
SMOKE = {
    "data.n_problems": "2",
    "data.k": "4",
    "trainer.max_steps": "2",
    "trainer.per_device_train_batch_size": "2",
    "trainer.logging_steps": "1",
    "trainer.save_steps": "1",
}


# ----------------------------------------------------------------- O1-Pruner objective by hand
def test_o1_pruner_loss_matches_hand_computation():
    logp = torch.tensor([-1.0, -2.0])
    ref = torch.tensor([-1.1, -1.5])
    adv = torch.tensor([1.0, -1.0])
    # r1 = e^0.1 = 1.10517 (inside the clip range): r1 * A1 = 1.10517
    # r2 = e^-0.5 = 0.60653: min(0.60653 * -1, 0.8 * -1) = -0.8 (the clipped side)
    expected = -(math.exp(0.1) - 0.8) / 2
    assert o1_pruner.o1_pruner_loss(logp, ref, adv, eps=0.2).item() == pytest.approx(expected, rel=1e-6)


def test_o1_pruner_rewards_and_advantages_by_hand():
    def sample(pid, n, ok):
        return ReferenceSample(pid, "u", "p", "c", "1", n, n, ok)

    refs = ReferenceSet("k", None, "h", {}, [sample("a", 100, True), sample("a", 300, False)])
    # Lbar = 200, Abar = 0.5: R = 200/100 - 1 + 2 * 0.5 = 2 and 200/300 - 1 - 2 * 0.5 = -4/3
    assert o1_pruner.rewards(refs, lam=2.0) == pytest.approx([2.0, -4 / 3])
    # clipped to [-2, 4] -> [4, -2, 0], then z-scored with the population std
    mean, std = 2 / 3, math.sqrt(((4 - 2 / 3) ** 2 + (-2 - 2 / 3) ** 2 + (2 / 3) ** 2) / 3)
    assert o1_pruner.advantages([5.0, -3.0, 0.0]) == pytest.approx([(v - mean) / std for v in (4, -2, 0)])
    # the optional floor applies after z-scoring: the below-average samples get 0, the others keep theirs
    floored = o1_pruner.advantages([5.0, -3.0, 0.0], floor=0.0)
    assert floored == pytest.approx([(4 - mean) / std, 0.0, 0.0])


def test_o1_pruner_trains_on_n_samples_per_problem_drawn_by_seed():
    samples = [ReferenceSample(pid, "u", "p", "c", "1", n, n, True) for pid in "ab" for n in (10, 20, 30, 40)]
    refs = ReferenceSet("k", None, "h", {}, samples)
    assert o1_pruner.select(refs, 0, seed=0) == list(range(8))  # 0: all K
    picked = o1_pruner.select(refs, 2, seed=0)
    assert len(picked) == 4 and len({samples[i].problem_id for i in picked[:2]}) == 1
    assert {samples[i].problem_id for i in picked} == {"a", "b"}
    assert picked == o1_pruner.select(refs, 2, seed=0)  # deterministic by seed
    assert any(o1_pruner.select(refs, 2, seed=s) != picked for s in range(1, 6))


# ----------------------------------------------------------------------------- data and prompts
def test_training_problems_are_never_test_problems():
    test = {p.problem for p in generate("test", 200)}
    assert not test & {p.problem for p in training_problems(300)}


def test_generation_markers_keep_prompts_and_mask_only_the_assistant_turn():
    tok = AutoTokenizer.from_pretrained(BASE)
    before = prompt_text(tok, "Start with 3. What is the result?")
    tok.chat_template = with_generation_markers(tok.chat_template)
    assert prompt_text(tok, "Start with 3. What is the result?") == before
    chat = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "<think>\nok</think>\nA"}]
    out = tok.apply_chat_template(chat, tokenize=True, return_dict=True, return_assistant_tokens_mask=True)
    kept = [t for t, m in zip(out["input_ids"], out["assistant_masks"], strict=True) if m]
    assert tok.decode(kept) == "<think>\nok</think>\nA<|im_end|>"


def test_reference_cache_hit_miss_and_key(tmp_path):
    problems = training_problems(2)
    model, tok = load_base(BASE)
    kwargs = {"max_tokens": 8, "cache_dir": tmp_path, "model": model, "tokenizer": tok}
    first = sample_references(BASE, problems, 2, **kwargs)
    assert not first.cache_hit and len(first.samples) == 4
    assert all(s.think_tokens <= 8 and s.total_tokens <= 16 for s in first.samples)  # cap per phase
    again = sample_references(BASE, problems, 2, **kwargs)
    assert again.cache_hit and again.samples == first.samples
    assert not sample_references(BASE, problems, 2, **{**kwargs, "temperature": 0.5}).cache_hit
    settings = first.settings
    assert reference_key("w", "p", settings) != reference_key("w2", "p", settings)  # base weights
    assert reference_key("w", "p", settings) != reference_key("w", "p2", settings)  # problems
    assert reference_key("w", "p", settings) != reference_key("w", "p", {**settings, "k": 3})  # sampling


@pytest.mark.parametrize("method", METHODS)
def test_every_shipped_recipe_parses(method):
    from elastic_bench.baselines.recipe import RECIPES_DIR, load_recipe

    recipes = sorted(RECIPES_DIR.glob(f"{method}_*.yaml"))
    assert len(recipes) == 2  # the toy recipe and the documented GPU recipe
    for path in recipes:
        assert load_recipe(path, method_module(method).CONFIG_CLASS)["method"] == method


def test_exponent_floats_are_numbers_in_recipes_and_overrides(tmp_path):
    """PyYAML reads ``1e-4`` (no dot) as a string: ``trainer.learning_rate=3e-5`` reached Adam as "3e-5"."""
    from elastic_bench.baselines.recipe import load_recipe, parse_overrides

    recipe = tmp_path / "r.yaml"
    recipe.write_text("method: o1_pruner\ntrainer:\n  learning_rate: 1e-4\n  adam_epsilon: 5E-8\n")
    spec = load_recipe(
        recipe, o1_pruner.O1PrunerConfig, parse_overrides(["trainer.weight_decay=3e-5", "run_name=1e3x"])
    )
    assert spec["trainer"]["learning_rate"] == pytest.approx(1e-4)
    assert spec["trainer"]["adam_epsilon"] == pytest.approx(5e-8)
    assert spec["trainer"]["weight_decay"] == pytest.approx(3e-5)
    assert spec["trainer"]["run_name"] == "1e3x"  # not a number: stays text


def test_only_true_and_false_are_booleans_in_recipes_and_overrides(tmp_path):
    """YAML 1.1 reads ``no`` as False: ``trainer.save_strategy=no`` reached transformers as False."""
    from elastic_bench.baselines.recipe import load_recipe, parse_overrides

    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        "method: o1_pruner\ntrainer:\n  save_strategy: no\n  use_cpu: true\n  hub_strategy: off\n"
    )
    spec = load_recipe(recipe, o1_pruner.O1PrunerConfig, parse_overrides(["eval_strategy=no", "bf16=false"]))
    assert spec["trainer"]["save_strategy"] == "no" and spec["trainer"]["eval_strategy"] == "no"
    assert spec["trainer"]["hub_strategy"] == "off"
    assert spec["trainer"]["use_cpu"] is True and spec["trainer"]["bf16"] is False
    o1_pruner.O1PrunerConfig(output_dir=str(tmp_path), save_strategy=spec["trainer"]["save_strategy"])


# ---------------------------------------------------------------------------- recipe smoke runs
class _Losses(TrainerCallback):
    def __init__(self):
        self.losses = []

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and "loss" in logs:
            self.losses.append(float(logs["loss"]))


@pytest.fixture(scope="module")
def smoke_cache(tmp_path_factory):
    return str(tmp_path_factory.mktemp("refs"))


@pytest.mark.parametrize("method", OFFLINE_METHODS)
def test_recipe_smoke(method, tmp_path, smoke_cache):
    losses = _Losses()
    out = tmp_path / method
    record = train_method(
        method, str(BASE), out, overrides={**SMOKE, "data.cache_dir": smoke_cache}, callbacks=[losses]
    )
    assert losses.losses and all(math.isfinite(x) for x in losses.losses)
    saved = json.loads((out / RECORD_FILE).read_text())
    assert saved == json.loads(record.model_dump_json())
    for key, value in saved.items():
        assert value not in (None, "", {}), f"training record field {key} is empty"
    assert (
        saved["optimizer_steps"] == 2
        and saved["training_tokens"] > 0
        and saved["reference_sampling_tokens"] > 0
    )
    assert {"torch", "transformers", "trl", "accelerate"} <= set(saved["library_versions"])
    cwd = Path.cwd().resolve()
    if BASE.resolve().is_relative_to(cwd):  # a clone elsewhere must find the base the record names
        assert saved["base_model"] == BASE.resolve().relative_to(cwd).as_posix()
    model = AutoModelForCausalLM.from_pretrained(out)
    tok = AutoTokenizer.from_pretrained(out)
    assert (out / "chat_template.jinja").read_text() == (BASE / "chat_template.jinja").read_text()
    ids = tok(prompt_text(tok, training_problems(1)[0].problem), return_tensors="pt").input_ids
    assert model.generate(ids, max_new_tokens=4, do_sample=False).shape[1] == ids.shape[1] + 4


# ----------------------------------------------------------------------- bad input, one line
def _cli(capsys, *argv):
    code = cli_main(["train", *argv])
    err = capsys.readouterr().err.strip().splitlines()
    return code, err[-1] if err else ""


def test_bad_inputs_give_one_line_and_keep_earlier_runs(tmp_path, capsys):
    out = tmp_path / "run"
    code, line = _cli(capsys, "ppo", "--base", str(BASE), "--output-dir", str(out))
    assert code == 2 and "unknown method 'ppo'" in line
    notlm = tmp_path / "notlm"
    notlm.mkdir()
    (notlm / "config.json").write_text(json.dumps({"model_type": "vit"}))
    code, line = _cli(capsys, "sft", "--base", str(notlm), "--output-dir", str(out))
    assert code == 2 and "is not a causal LM" in line
    recipe = tmp_path / "r.yaml"
    recipe.write_text("method: sft\ntrainer:\n  learning_rat: 1.0e-4\n")
    code, line = _cli(capsys, "sft", "--base", str(BASE), "--output-dir", str(out), "--recipe", str(recipe))
    assert code == 2 and "unknown trainer key(s) ['learning_rat']" in line
    code, line = _cli(capsys, "sft", "--base", str(BASE), "--output-dir", str(out), "data.n_problem=3")
    assert code == 2 and "n_problem" in line
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    (earlier / "model.safetensors").write_text("an earlier run")
    code, line = _cli(capsys, "sft", "--base", str(BASE), "--output-dir", str(earlier))
    assert code == 2 and "not empty" in line
    assert (earlier / "model.safetensors").read_text() == "an earlier run"
    assert not out.exists()


@pytest.mark.slow
def test_accelerate_launch_reaches_the_trainer(tmp_path):
    """``accelerate launch -m elastic_bench.baselines.train_cli`` parses and reaches train_method."""
    cmd = [
        str(Path(sys.executable).parent / "accelerate"),  # CI does not put the venv on PATH
        "launch",
        "--cpu",
        "--num_processes",
        "1",
        "--num_machines",
        "1",
        "--mixed_precision",
        "no",
    ]
    cmd += ["--dynamo_backend", "no", "-m", "elastic_bench.baselines.train_cli", "dpo", "--base", str(BASE)]
    cmd += ["--output-dir", str(tmp_path / "o"), "trainer.not_a_field=1"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert "unknown trainer key(s) ['not_a_field'] (not fields of DPOConfig)" in proc.stderr


# ------------------------------------------------------------------------- kill -9 and --resume
def _weights(path: Path) -> dict:
    return AutoModelForCausalLM.from_pretrained(path).state_dict()


#: the interrupted run: the real trainer, SIGKILLed by itself right after checkpoint-2 is on disk
#: (a kill at a deterministic point; polling for the folder raced a fast machine's last steps)
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
train_method("o1_pruner", base, out, overrides=parse_overrides(overrides), callbacks=[KillAfterSave()])
"""


@pytest.mark.slow
def test_kill_then_resume_gives_the_uninterrupted_weights(tmp_path, smoke_cache):
    overrides = [
        f"{k}={v}" for k, v in {**SMOKE, "trainer.max_steps": "4", "data.cache_dir": smoke_cache}.items()
    ]
    base_cmd = [sys.executable, "-m", "elastic_bench.harness.cli", "train", "o1_pruner", "--base", str(BASE)]
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
    a, b = _weights(whole), _weights(cut)
    assert all(torch.equal(a[k], b[k]) for k in a)


# ------------------------------------------------------------------------------- eval on save
def test_eval_on_save_runs_the_project_sweep_on_each_checkpoint(tmp_path, monkeypatch):
    import random
    from types import SimpleNamespace

    from elastic_bench.baselines import callbacks

    requests = []

    def fake_run_sweep(request):  # a sweep seeds every generator, as lm-eval's does
        requests.append(request)
        random.seed(0)
        torch.manual_seed(0)

    monkeypatch.setattr(callbacks, "run_sweep", fake_run_sweep)
    cb = callbacks.EvalOnSaveCallback(tasks="elastic_toy", budgets=(64, 256), limit=5, results_dir=tmp_path)
    (tmp_path / "checkpoint-7").mkdir()
    state = SimpleNamespace(is_world_process_zero=True, global_step=7)
    random.seed(42)
    torch.manual_seed(42)
    expected = (random.random(), torch.rand(1).item())
    random.seed(42)
    torch.manual_seed(42)
    cb.on_save(SimpleNamespace(output_dir=str(tmp_path)), state, None)
    assert (random.random(), torch.rand(1).item()) == expected  # training's random draws are untouched
    [request] = requests
    assert request.model_args == {"pretrained": str(tmp_path / "checkpoint-7")}
    assert list(request.tasks) == ["elastic_toy_t00064", "elastic_toy_t00256"]
    assert request.limit == 5 and request.results_dir == tmp_path
    assert all((ROOT / "tasks" / "toy" / f"{t}.yaml").is_file() for t in request.tasks)


# ----------------------------------------------------------------------------- recipe selection
def test_validation_sweep_reads_only_validation_problems_and_enforces_each_budget(tmp_path):
    from elastic_bench.baselines import validation

    report = validation.validation_sweep(BASE, n_problems=4, work_dir=tmp_path)
    [results_json] = (tmp_path / "runs").rglob("results_*.json")
    configs = json.loads(results_json.read_text())["configs"]
    sources = {c["metadata"]["dataset_source"] for c in configs.values()}
    assert sources == {"generated: elastic_bench.tasks.toy.arithmetic split=validation seed=0"}
    assert {c["metadata"]["dataset_size"] for c in configs.values()} == {4}
    assert [r["budget"] for r in report["rows"]] == [64, 128, 256, 512, None]
    for row in report["rows"][:-1]:
        assert row["mean_think_tokens"] <= row["budget"]
    assert report["rows"][-1]["accuracy"] > 0 and report["rows"][0]["accuracy"] == 0  # 64 cuts every trace
    assert validation.render([report]).splitlines()[1].endswith("unconstrained")


def test_budget_following_runs_on_the_split_and_wording_it_is_given(tmp_path):
    from elastic_bench.baselines import budget_following as bf

    report = bf.budget_following(BASE, "l1_max", (128,), n_problems=3, split="validation", work_dir=tmp_path)
    assert "validation split n=3" in report["task"]
    assert [r["budget"] for r in report["rows"]] == [128, None] and all(r["n"] == 3 for r in report["rows"])
    [results_json] = (tmp_path / "runs").rglob("results_*.json")
    configs = json.loads(results_json.read_text())["configs"]
    assert {c["metadata"]["dataset_source"] for c in configs.values()} == {
        "generated: elastic_bench.tasks.toy.arithmetic split=validation seed=0"
    }
    [sample] = [
        json.loads(line)
        for f in (tmp_path / "runs").rglob("samples_elastic_toy_prompt_t00128_*.jsonl")
        for line in f.read_text().splitlines()[:1]
    ]
    assert sample["arguments"]["gen_args_0"]["arg_1"]["budget_wording"] == "l1_max"
    with pytest.raises(ValueError, match="unknown budget wording 'terse'"):
        bf.budget_following(BASE, "terse", (128,), n_problems=3)


def test_resume_refuses_changed_settings_and_a_failed_start_leaves_the_folder_reusable(tmp_path, monkeypatch):
    """--resume with learning_rate=0.01 trained on with the checkpoint's 3e-4 and recorded 0.01; a run
    that failed before its first checkpoint left a run.json that refused the corrected rerun."""
    from elastic_bench.baselines import train

    out = tmp_path / "run"
    saves = []

    def dies(module, method, base, folder, *args, **kwargs):
        if saves:  # this time the run got as far as its first checkpoint
            (folder / "checkpoint-1").mkdir()
        raise RuntimeError("died")

    monkeypatch.setattr(train, "_train", dies)
    settings = {"trainer.max_steps": "2"}
    with pytest.raises(RuntimeError, match="died"):
        train.train_method("sft", BASE, out, overrides=settings)
    assert not (out / train.RUN_FILE).exists()  # nothing to resume: the folder takes a fresh run
    saves.append(True)
    with pytest.raises(RuntimeError, match="died"):
        train.train_method("sft", BASE, out, overrides=settings)  # accepted: not refused as 'another run'
    assert (out / train.RUN_FILE).is_file()  # a checkpoint exists: the run file stays for --resume
    with pytest.raises(ValueError, match=r"cannot resume .* with changed settings \(trainer\.learning_rate"):
        train.train_method(
            "sft", BASE, out, overrides={**settings, "trainer.learning_rate": "0.01"}, resume=True
        )


def test_a_malformed_recipe_or_a_non_number_is_one_line(tmp_path):
    from trl import SFTConfig

    from elastic_bench.baselines.recipe import default_recipe, load_recipe

    with pytest.raises(ValueError, match="trainer.learning_rate must be a number, got 'abc'"):
        load_recipe(default_recipe("sft"), SFTConfig, {"trainer.learning_rate": "abc"})
    with pytest.raises(ValueError, match="trainer.max_steps must be an integer, got 2.5"):
        load_recipe(default_recipe("sft"), SFTConfig, {"max_steps": "2.5"})
    broken = tmp_path / "broken.yaml"
    broken.write_text("method: sft\ntrainer: {learning_rate: [1,\n")
    with pytest.raises(ValueError, match=r"recipe broken.yaml: not valid YAML \(line 3\)"):
        load_recipe(broken, SFTConfig)
    bare = tmp_path / "bare.yaml"
    bare.write_text("method: sft\ndata: {}\n")  # transformers said "Your setup doesn't support bf16/gpu"
    with pytest.raises(ValueError, match="recipe bare.yaml: no trainer section"):
        load_recipe(bare, SFTConfig)


class _Killed(Exception):
    """Stands in for a kill right after a checkpoint is on disk."""


class _KillAfterSave(TrainerCallback):
    def __init__(self, step: int):
        self.step = step

    def on_save(self, args, state, control, **kwargs):
        if state.global_step == self.step:
            raise _Killed


def test_resume_with_allow_changed_records_both_settings_the_resume_and_the_killed_segments_time(
    tmp_path, smoke_cache
):
    """--resume with learning_rate=0.01 was refused with no way to proceed; a resumed record left out
    the killed segment's wall time and did not say it was resumed."""
    from elastic_bench.baselines.resume import saved_run_state
    from elastic_bench.harness.results import TrainingResume

    out = tmp_path / "run"
    settings = {**SMOKE, "trainer.max_steps": "4", "data.cache_dir": smoke_cache}
    with pytest.raises(_Killed):
        train_method("sft", str(BASE), out, overrides=settings, callbacks=[_KillAfterSave(2)])
    killed = saved_run_state(out / "checkpoint-2")
    assert killed["step"] == 2 and killed["seconds"] > 0 and killed["resumes"] == []
    changed = {**settings, "trainer.learning_rate": "0.01"}
    with pytest.raises(ValueError, match=r"trainer\.learning_rate: .* -> 0\.01\); .*--allow-changed"):
        train_method("sft", str(BASE), out, overrides=changed, resume=True)
    with pytest.raises(ValueError, match="only applies with --resume"):
        train_method("sft", str(BASE), tmp_path / "other", overrides=changed, allow_changed=True)
    record = train_method("sft", str(BASE), out, overrides=changed, resume=True, allow_changed=True)
    before = killed["spec"]["trainer"]["learning_rate"]
    assert record.resumed == [
        TrainingResume(
            from_step=2,
            earlier_seconds=killed["seconds"],
            changed={"trainer.learning_rate": {"before": before, "after": 0.01}},
        )
    ]
    assert record.wall_time_seconds > killed["seconds"] and record.optimizer_steps == 4
    assert record.hyperparameters["trainer"]["learning_rate"] == 0.01
    saved = json.loads((out / RECORD_FILE).read_text())
    assert saved["resumed"][0]["changed"]["trainer.learning_rate"] == {"before": before, "after": 0.01}
    # a later resume from checkpoint-4 would know the run's whole history
    assert saved_run_state(out / "checkpoint-4")["resumes"] == saved["resumed"]
