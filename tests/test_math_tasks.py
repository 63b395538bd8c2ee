"""Math budget-sweep tasks: generated YAMLs, lm-eval discovery, loading real data, prompts, scoring, k override."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from elastic_bench.harness.benchmarks import BENCHMARKS, get_benchmark, hub_metadata
from elastic_bench.harness.lmeval import task_specs, tasks_dir
from elastic_bench.harness.protocol import THINK_END
from elastic_bench.tasks.build import SWEEPS, subtask_name
from elastic_bench.tasks.math import utils
from elastic_bench.tasks.prompts import render
from elastic_bench.tasks.task import ElasticTask

DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
if not DATA_DIR.is_dir():
    DATA_DIR = Path("/work/shared/data")
needs_data = pytest.mark.skipif(not DATA_DIR.is_dir(), reason="shared benchmark data not present")

BIN = Path(sys.executable).parent
ENV = {**os.environ, "TOKENIZERS_PARALLELISM": "false", "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
ENV.pop("ELASTIC_BENCH_DATA_DIR", None)

#: group -> number of problems
GROUPS = {
    "elastic_math500": 500,
    "elastic_gsm8k": 1319,
    "elastic_gaokao": 385,
    "elastic_aime": 60,
    "elastic_aime24": 30,
    "elastic_aime25": 30,
    "elastic_amc23": 40,
}
MATH_SWEEPS = [s for s in SWEEPS.values() if s.group in GROUPS]


def _subtasks(group: str) -> list[str]:
    sweep = next(s for s in MATH_SWEEPS if s.group == group)
    return [subtask_name(sweep, b) for b in [*sweep.budgets, None]]


def _manager(**metadata):
    from lm_eval.tasks import TaskManager

    # our folder only: fast, and the same entries the full index holds
    return TaskManager(include_defaults=False, include_path=tasks_dir(), metadata=metadata or None)


@pytest.fixture(scope="module")
def loaded():
    """Every math group loaded once from the shared data: group -> lm-eval's load() result."""
    if not DATA_DIR.is_dir():
        pytest.skip("shared benchmark data not present")
    tm = _manager(data_dir=str(DATA_DIR))
    return {g: tm.load([g]) for g in GROUPS}


#: group -> (budgets, solution budget, unconstrained max_gen_toks, k)
PROTOCOL = {
    "elastic_gsm8k": ((128, 256, 512, 1024), 512, 8192, 1),
    "elastic_math500": ((512, 1024, 2048, 4096), 1024, 32768, 4),
    "elastic_gaokao": ((512, 1024, 2048, 4096), 1024, 32768, 4),
    **{
        g: ((512, 1024, 2048, 4096), 1024, 32768, 16)
        for g in GROUPS
        if g.startswith(("elastic_aime", "elastic_amc"))
    },
}


def test_sweep_table_defaults():
    assert {s.group for s in MATH_SWEEPS} == set(GROUPS) == set(PROTOCOL)
    for s in MATH_SWEEPS:
        assert (s.do_sample, s.temperature, s.top_p, s.strategy, s.prompt_template) == (
            True,
            0.6,
            0.95,
            "elastic",
            "e1",
        )
        assert (s.budgets, s.solution_budget, s.max_gen_toks, s.repeats) == PROTOCOL[s.group]


def test_generated_yamls_are_current():
    proc = subprocess.run(
        [sys.executable, "-m", "elastic_bench.tasks.build", "--check"],
        capture_output=True,
        text=True,
        env=ENV,
    )
    assert proc.returncode == 0, proc.stderr


def test_lm_eval_ls_tasks_lists_every_group_and_subtask():
    proc = subprocess.run(
        [str(BIN / "lm_eval"), "ls", "tasks"], capture_output=True, text=True, env=ENV, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    listed = {cell.strip() for line in proc.stdout.splitlines() for cell in line.split("|")}
    missing = [n for g in GROUPS for n in [g, *_subtasks(g)] if n not in listed]
    assert not missing


@needs_data
@pytest.mark.parametrize("group", list(GROUPS))
def test_group_loads_with_local_data(loaded, group):
    result = loaded[group]
    assert result["group_map"] == {group: _subtasks(group)}
    sweep = next(s for s in MATH_SWEEPS if s.group == group)
    budgets = []
    for name in _subtasks(group):
        task = result["tasks"][name]
        assert isinstance(task, ElasticTask)
        docs = list(task.eval_docs)
        assert len(docs) == GROUPS[group]
        assert task.config.repeats == sweep.repeats
        # what lm-eval writes to the results JSON under configs.<task>.metadata
        meta = task.dump_config()["metadata"]
        assert meta["benchmark"] == sweep.benchmark and meta["end_of_thinking_marker"] == THINK_END
        assert meta["dataset_id"] and "dataset_revision" in meta
        assert meta["dataset_sha256"] == utils.dataset_sha256(utils.records(sweep.benchmark, DATA_DIR))
        assert meta["dataset_size"] == GROUPS[group] and meta["dataset_source"].startswith(str(DATA_DIR))
        assert len({d["id"] for d in docs}) == len(docs)
        budgets.append(task.config.generation_kwargs["thinking_budget"])
    assert budgets == [*sweep.budgets, None]


@needs_data
@pytest.mark.parametrize("group", list(GROUPS))
def test_prompt_and_correct_answer_scores(loaded, group):
    task = loaded[group]["tasks"][_subtasks(group)[0]]
    docs = list(task.eval_docs)
    picks = docs[:3]
    if group == "elastic_gaokao":  # a multiple-choice record (gold is a letter; grading needs the problem)
        picks.append(next(d for d in docs if d["answer"] in ("A", "B", "C", "D")))
    for doc in picks:
        assert task.doc_to_text(doc) == render(doc["problem"], "e1")
        assert task.doc_to_text(doc).endswith("output the final answer within \\boxed{}.")
        right = f"Let me think.{THINK_END}\nThe answer is \\boxed{{{doc['answer']}}}."
        metrics = task.process_results(doc, [[right, right]])
        assert metrics["acc"] == 1.0 and metrics["no_answer"] == 0.0
        wrong = f"Let me think.{THINK_END}\nI am not sure."
        assert task.process_results(doc, [[right, wrong]])["acc"] == 0.5


@needs_data
def test_o1_pruner_prompt_via_metadata():
    tm = _manager(data_dir=str(DATA_DIR), prompt_template="o1_pruner")
    task = tm.load(["elastic_aime24_t01024"])["tasks"]["elastic_aime24_t01024"]
    doc = task.eval_docs[0]
    assert task.doc_to_text(doc) == render(doc["problem"], "o1_pruner")
    assert task.doc_to_text(doc).startswith("Please reason step by step")
    assert task.config.metadata["prompt_template"] == "o1_pruner"  # and the run records it


@needs_data
def test_data_dir_from_environment(monkeypatch):
    monkeypatch.setenv("ELASTIC_BENCH_DATA_DIR", str(DATA_DIR))
    rows = utils.load("amc23")["test"]
    assert len(rows) == 40 and rows[0]["benchmark"] == "amc23"
    assert [r["benchmark"] for r in utils.records("aime")] == ["aime24"] * 30 + ["aime25"] * 30


def test_hub_metadata_comes_from_the_registry():
    hub = {name: BENCHMARKS[name].hub for name in ("math500", "aime24", "aime25")}
    assert hub_metadata("math500") == {
        "dataset_id": "HuggingFaceH4/MATH-500",
        "dataset_revision": hub["math500"].revision,
    }
    aime = hub_metadata("aime")
    assert aime["dataset_id"] == "HuggingFaceH4/aime_2024+math-ai/aime25"
    assert aime["dataset_revision"] == f"{hub['aime24'].revision}+{hub['aime25'].revision}"
    assert hub_metadata("toy") == {}  # generated data: no Hub source


def test_content_hash_ignores_nothing_but_order_matters():
    rows = [{"id": "1", "problem": "p", "answer": "2"}, {"id": "2", "problem": "q", "answer": "3"}]
    assert utils.dataset_sha256(rows) == utils.dataset_sha256([dict(r) for r in rows])
    assert utils.dataset_sha256(rows) != utils.dataset_sha256(rows[::-1])
    assert utils.dataset_sha256(rows) != utils.dataset_sha256([rows[0], {**rows[1], "answer": "4"}])


# --------------------------------------------------------------------------- k override


def test_task_specs_without_k_is_identity():
    tm = _manager()
    names = ["elastic_aime", get_benchmark("toy").task_names[0]]
    missing = [n for n in names if n not in tm.all_tasks]
    assert not missing, f"not lm-eval tasks: {missing}"
    assert task_specs(names, None, tm) == names


def test_task_specs_rejects_bad_input():
    tm = _manager()
    with pytest.raises(ValueError, match="positive"):
        task_specs(["elastic_aime"], 0, tm)
    with pytest.raises(KeyError, match="elastic_nope"):
        task_specs(["elastic_nope"], 2, tm)


@needs_data
def test_task_specs_override_repeats_keeping_names():
    tm = _manager(data_dir=str(DATA_DIR))
    specs = task_specs(["elastic_aime", "elastic_amc23_t01024"], 3, tm)
    result = tm.load(specs)
    assert result["group_map"] == {"elastic_aime": _subtasks("elastic_aime")}
    assert sorted(result["tasks"]) == sorted([*_subtasks("elastic_aime"), "elastic_amc23_t01024"])
    for task in result["tasks"].values():
        assert task.config.repeats == 3
        assert task.config.generation_kwargs["temperature"] == 0.6  # the rest of the YAML is kept
        assert task.config.metadata["data_dir"] == str(DATA_DIR)  # and the run's metadata reaches it
    assert result["tasks"]["elastic_amc23_t01024"].config.generation_kwargs["thinking_budget"] == 1024
    assert len(result["tasks"]["elastic_amc23_t01024"].eval_docs) == 40
    # glob patterns expand like lm-eval's own matching
    assert [s["task"] for s in task_specs(["elastic_aime24_t0*"], 2, tm)] == _subtasks("elastic_aime24")[:4]


@needs_data
def test_task_files_carry_the_override_for_the_lm_eval_cli(tmp_path):
    from lm_eval.tasks._yaml_loader import load_yaml

    from elastic_bench.harness.lmeval import write_task_files

    tm = _manager(data_dir=str(DATA_DIR))
    paths = write_task_files(["elastic_aime24", "elastic_amc23_t00512"], 2, tm, tmp_path)
    assert [p.name for p in paths] == ["elastic_aime24_k2.yaml", "elastic_amc23_t00512_k2.yaml"]
    # what lm-eval's CLI does with a YAML path in --tasks: load it as a config dict
    result = tm.load([load_yaml(p) for p in paths])
    assert result["group_map"] == {"elastic_aime24": _subtasks("elastic_aime24")}
    assert {n: t.config.repeats for n, t in result["tasks"].items()} == dict.fromkeys(
        [*_subtasks("elastic_aime24"), "elastic_amc23_t00512"], 2
    )
    assert len(result["tasks"]["elastic_amc23_t00512"].eval_docs) == 40


# --------------------------------------------------------------------------- end to end


@pytest.mark.slow
@needs_data
def test_lm_eval_cli_runs_aime24_offline(tmp_path):
    """The shipped task as users run it (k=16, 5 budgets = 80 requests on the tiny reasoner): ~45 s on
    2 idle cores, since its thinking ends by itself after ~180 tokens and one pass serves every budget."""
    out = tmp_path / "out"
    cmd = [
        str(BIN / "lm_eval"),
        "--model", "elastic-hf",
        "--tasks", "elastic_aime24",
        "--limit", "1",
        "--metadata", json.dumps({"data_dir": str(DATA_DIR)}),
        "--output_path", str(out),
        "--log_samples",
    ]  # fmt: skip
    start = time.time()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    [results_file] = list(out.rglob("results_*.json"))
    results = json.loads(results_file.read_text())
    for name in _subtasks("elastic_aime24"):
        row = results["results"][name]
        assert 0.0 <= row["acc,all_samples"] <= 1.0
        assert row["think_tokens,all_samples"] >= 0
        assert results["configs"][name]["repeats"] == 16
        meta = results["configs"][name]["metadata"]
        assert meta["dataset_sha256"] == utils.dataset_sha256(utils.records("aime24", DATA_DIR))
        assert meta["dataset_size"] == 30 and meta["dataset_source"] == str(
            DATA_DIR / "aime2024" / "test.jsonl"
        )
    samples = list(out.rglob("samples_elastic_aime24_t00512_*.jsonl"))
    assert samples and len(json.loads(samples[0].read_text().splitlines()[0])["resps"][0]) == 16
    print(f"lm_eval elastic_aime24 --limit 1: {time.time() - start:.1f}s")


def test_lm_eval_cli_results_carry_the_dataset_facts(tmp_path):
    """The plain lm_eval CLI (lm-eval's dummy model: no weights) on the toy task: the results JSON
    carries the loader's dataset facts under configs.<task>.metadata, where the converter reads them."""
    from elastic_bench.tasks.toy import utils as toy

    name = get_benchmark("toy").task_names[0]
    out = tmp_path / "out"
    cmd = [
        str(BIN / "lm_eval"),
        "--model",
        "dummy",
        "--tasks",
        name,
        "--limit",
        "3",
        "--output_path",
        str(out),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    [results_file] = list(out.rglob("results_*.json"))
    meta = json.loads(results_file.read_text())["configs"][name]["metadata"]
    facts = toy.load().facts
    assert facts["dataset_size"] == 200 and facts["dataset_source"].startswith("generated:")
    assert {k: meta[k] for k in facts} == facts
    assert "Custom kwargs can be passed" not in proc.stdout + proc.stderr  # lm-eval's banner, once per task
