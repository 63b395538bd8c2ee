"""Training-run families: eval-on-save results carry their run and step (schema 1.3), land in
``results/families/<run>/`` (never ranked as entries), may be evaluated in a background process, and
the app draws them against training step."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from elastic_bench.baselines import callbacks
from elastic_bench.harness.lmeval import SweepOutcome
from elastic_bench.harness.results import (
    SCHEMA_VERSION,
    ResultFileError,
    TrainingRecord,
    TrainingRun,
    add_entry,
    entry_files,
    family_files,
    family_path,
    parse_result,
    save_result,
)
from elastic_bench.leaderboard_app.data import load_leaderboard
from elastic_bench.leaderboard_app.families import (
    families_of,
    family_figure,
    family_frame,
    final_entry,
    load_families,
)
from tests.factories import make_result

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "results"
BASE_SHA = "a" * 64


def _member(step: int, run_id: str = "sft-run", sha: str | None = None):
    result = make_result(f"tiny_reasoner (SFT) step {step}", budgets=(128, 256), seed=step)
    result.reproducibility.weights_sha256 = sha or f"{step:064x}"
    result.training_run = TrainingRun(
        run_id=run_id, step=step, method="sft", base_model="tiny_reasoner", base_weights_sha256=BASE_SHA
    )
    return result


# ------------------------------------------------------------------------------------- schema
def test_schema_1_3_carries_training_run_and_alias_and_migrates_1_2():
    assert SCHEMA_VERSION == "1.3"
    raw = json.loads(_member(4).model_dump_json())
    assert parse_result(copy.deepcopy(raw)).training_run.step == 4
    old = {k: v for k, v in raw.items() if k not in ("training_run", "alias_of")} | {"schema_version": "1.2"}
    migrated = parse_result(old)
    assert migrated.schema_version == "1.3" and migrated.training_run is None and migrated.alias_of is None
    with pytest.raises(ResultFileError, match="alias_of names another entry"):
        parse_result(raw | {"alias_of": raw["model_name"]})
    reported = json.loads(make_result(kind="reported").model_dump_json())
    with pytest.raises(ResultFileError, match="training_run is for reproduced results"):
        parse_result(reported | {"training_run": raw["training_run"]})


def test_family_files_are_not_entries(tmp_path):
    results = tmp_path / "results"
    add_entry(make_result("tiny_reasoner"), results)
    path = save_result(_member(4), family_path(_member(4), results))
    assert path.parent == results / "families" / "sft-run"
    assert family_files(results) == [path]
    assert [p.parent.name for p in entry_files(results)] == ["reproduced"]
    data = load_leaderboard(results)
    assert list(data.entries["model_name"]) == ["tiny_reasoner"]  # ranking is not flooded


# ------------------------------------------------------------------------------------ callback
def _fake_outcome(request) -> SweepOutcome:
    """What run_sweep returns for a checkpoint; it also reseeds every generator, as lm-eval does."""
    random.seed(0)
    torch.manual_seed(0)
    result = make_result("checkpoint", budgets=(128, 256)).model_copy(update=dict(request.entry_update))
    return SweepOutcome(results=[result], samples_dir=Path(request.results_dir) / "runs" / "x" / "samples")


def _trainer_state(step: int):
    return SimpleNamespace(is_world_process_zero=True, global_step=step)


def test_eval_on_save_writes_the_family_member_and_keeps_training_rng(tmp_path, monkeypatch):
    monkeypatch.setattr(callbacks, "run_sweep", _fake_outcome)
    out = tmp_path / "out"
    (out / "checkpoint-8").mkdir(parents=True)
    base = tmp_path / "tiny_base"
    base.mkdir()
    (out / "run.json").write_text(json.dumps({"method": "sft", "base": str(base), "run_id": "sft-42"}))
    cb = callbacks.EvalOnSaveCallback(budgets=(128, 256), limit=5, results_dir=tmp_path / "results")
    args = SimpleNamespace(output_dir=str(out))
    cb.on_train_begin(args, _trainer_state(0), None)
    random.seed(42)
    torch.manual_seed(42)
    expected = (random.random(), torch.rand(1).item())
    random.seed(42)
    torch.manual_seed(42)
    cb.on_save(args, _trainer_state(8), None)
    assert (random.random(), torch.rand(1).item()) == expected
    [written] = cb.written
    assert written.parent == tmp_path / "results" / "families" / "sft-42"
    member = parse_result(json.loads(written.read_text()))
    assert member.training_run.model_dump() == {
        "run_id": "sft-42",
        "step": 8,
        "method": "sft",
        "base_model": str(base),
        "base_weights_sha256": None,
    }
    assert member.model_name == "tiny_base (SFT) step 8"
    assert member.samples_file == "../../runs/x/samples"


def background_evaluate(request, snapshot=None, checkpoint=None) -> list[Path]:
    """Runs in the spawned process: the snapshot must still hold the checkpoint's files."""
    snapshot = Path(request.model_args["pretrained"])
    weights = (snapshot / "model.safetensors").read_text()
    run = request.entry_update["training_run"]
    dest = Path(request.results_dir) / f"step-{run.step}.txt"
    dest.write_text(f"{weights} from {Path(checkpoint).name}")
    import shutil

    shutil.rmtree(snapshot)
    return [dest]


def background_fail(request, snapshot=None, checkpoint=None) -> list[Path]:
    raise ValueError("unknown task(s): elastic_nope\nsecond line")


def test_background_sweeps_survive_checkpoint_rotation_and_surface_errors(tmp_path):
    out = tmp_path / "out"
    args = SimpleNamespace(output_dir=str(out))
    cb = callbacks.EvalOnSaveCallback(
        results_dir=tmp_path, background=True, run_id="r1", evaluate=background_evaluate
    )
    for step in (2, 4):
        ckpt = out / f"checkpoint-{step}"
        ckpt.mkdir(parents=True)
        (ckpt / "model.safetensors").write_text(f"weights {step}")
        cb.on_save(args, _trainer_state(step), None)
        import shutil

        shutil.rmtree(ckpt)  # save_total_limit rotates it away before the sweep ran
    written = cb.wait()
    assert sorted(p.read_text() for p in written) == [
        "weights 2 from checkpoint-2",
        "weights 4 from checkpoint-4",
    ]
    assert not any((out / callbacks.PENDING_DIRNAME).iterdir())  # snapshots removed

    failing = callbacks.EvalOnSaveCallback(
        results_dir=tmp_path, background=True, run_id="r2", evaluate=background_fail
    )
    (out / "checkpoint-6").mkdir()
    failing.on_save(args, _trainer_state(6), None)
    with pytest.raises(
        RuntimeError, match=r"^eval-on-save of checkpoint-6 failed: unknown task\(s\): elastic_nope$"
    ):
        failing.on_train_end(args, _trainer_state(6), None)


def test_a_snapshot_is_recorded_as_the_checkpoint_it_copies():
    result = make_result("x")
    result.reproducibility.model = result.reproducibility.tokenizer = "/o/.eval-on-save/checkpoint-2"
    result.reproducibility.backend_args = {"pretrained": "/o/.eval-on-save/checkpoint-2", "seed": "1"}
    rep = callbacks.as_checkpoint(result, "/o/.eval-on-save/checkpoint-2", "/o/checkpoint-2").reproducibility
    assert rep.model == rep.tokenizer == rep.backend_args["pretrained"] == "/o/checkpoint-2"
    assert rep.backend_args["seed"] == "1"


def test_train_keeps_the_run_id_across_resume_and_the_cli_builds_the_callback(tmp_path):
    from elastic_bench.baselines import train_cli
    from elastic_bench.baselines.train import RUN_FILE, _run_id

    first = _run_id(tmp_path, resume=False)
    (tmp_path / RUN_FILE).write_text(json.dumps({"run_id": first}))
    assert _run_id(tmp_path, resume=True) == first and first.startswith(tmp_path.name)
    args = SimpleNamespace(
        eval_on_save="128,256", eval_tasks="elastic_toy", eval_limit=5, results_dir="r", eval_background=True
    )
    [cb] = train_cli._eval_on_save(args)
    assert cb.budgets == (128, 256) and cb.background and cb.limit == 5
    with pytest.raises(ValueError, match="--eval-on-save: expected budgets"):
        train_cli._eval_on_save(SimpleNamespace(**{**vars(args), "eval_on_save": "a,b"}))


# ------------------------------------------------------------------------------------- the app
def test_families_group_by_run_and_chart_against_step(tmp_path):
    results = tmp_path / "results"
    for step in (12, 4, 8):
        save_result(_member(step), family_path(_member(step), results))
    save_result(_member(4, run_id="other"), family_path(_member(4, run_id="other"), results))
    base = make_result("tiny_reasoner", budgets=(128, 256, None))
    base.reproducibility.weights_sha256 = BASE_SHA
    final = make_result("tiny_reasoner (SFT)", budgets=(128, 256), seed=99)
    final.reproducibility.weights_sha256 = f"{12:064x}"  # the last checkpoint's weights
    final.training = TrainingRecord(
        method="sft", base_model="x", optimizer_steps=12, training_tokens=1, hardware="cpu"
    )
    families, skipped = load_families(results)
    assert skipped == [] and [f.run_id for f in families] == ["other", "sft-run"]
    [family] = [f for f in families if f.run_id == "sft-run"]
    assert family.steps == [4, 8, 12]
    assert families_of(families, "elastic_toy", BASE_SHA) == families
    assert families_of(families, "elastic_toy", "c" * 64) == []
    assert final_entry(family, [final]) is final
    frame = family_frame(family, base, final)
    checkpoints = frame[frame["role"] == "checkpoint"]
    assert list(checkpoints["step"]) == [4, 4, 8, 8, 12, 12]
    assert checkpoints["aes"].notna().all()  # against the base's AES point
    assert (frame[frame["role"] == "final"]["step"] == 12).all()
    fig = family_figure(frame, family.title, "tiny_reasoner")
    panels = {t.meta["panel"] for t in fig.data}
    assert panels == {"accuracy_pct", "mean_think_tokens", "aes"}
    assert {t.name for t in fig.data if t.showlegend} == {"t=00128", "t=00256"}
    assert fig.layout.yaxis3.title.text == "AES vs tiny_reasoner"
    assert family_frame(family, None)["aes"].isna().all()  # no base: no AES


def test_committed_family_is_a_real_eval_on_save_run():
    families, skipped = load_families(COMMITTED)
    assert skipped == [] and families, "results/families holds at least one training run"
    for family in families:
        assert len(family.members) >= 3 and family.steps == sorted(set(family.steps))
        for member in family.members:
            assert member.kind == "reproduced" and member.reproducibility.weights_sha256
            assert member.training_run.base_weights_sha256 == family.base_weights_sha256
