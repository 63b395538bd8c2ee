"""Converter: lm-eval 0.4.13 outputs (results JSON + logged samples) -> validated result files."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from elastic_bench.harness.lmeval import ConversionError, convert_output_dir, convert_run, find_run_outputs
from elastic_bench.harness.provenance import hardware_from_env, project_info
from elastic_bench.harness.results import load_result, save_result
from tests._lm_eval_fake import ENV_INFO, budget_task, write_fake_run


def test_convert_with_samples_builds_points_cis_and_reproducibility(tmp_path):
    results, samples, data = write_fake_run(tmp_path, budgets=(64, 128, 256, None), n_problems=8, k=2)
    [res] = convert_run(results, samples)
    assert res.kind == "reproduced" and res.task_group == "elastic_toy" and res.benchmark == "toy"
    assert res.model_name == "some-org/tiny-reasoner"
    assert [p.label for p in res.points] == ["t=00064", "t=00128", "t=00256", "unconstrained"]
    assert res.problem_ids == [f"toy-{i:03d}" for i in range(8)]
    for point in res.points:
        d = data[point.task]
        assert point.k == 2 and point.n_problems == 8 and point.strategy == "elastic"
        assert point.solution_budget == 64
        assert point.accuracy == pytest.approx(d["acc"].mean())  # avg@2 over 8 problems
        lo, hi = point.accuracy_ci
        assert lo <= point.accuracy <= hi
        assert point.mean_think_tokens == pytest.approx(d["think_tokens"].mean())
        assert point.mean_answer_tokens == pytest.approx(d["answer_tokens"].mean())
        assert point.mean_total_tokens == pytest.approx(d["total_tokens"].mean())
        assert point.think_truncation_rate == pytest.approx(d["think_truncated"].mean())
        assert point.no_answer_rate == pytest.approx(d["no_answer"].mean())
        # total tokens spent over all 16 samples / number of correct samples
        assert point.tokens_per_correct == pytest.approx(d["total_tokens"].sum() / d["acc"].sum())
        assert point.per_problem_accuracy == pytest.approx(d["acc"].mean(axis=1).tolist())
        assert point.per_problem_tokens == pytest.approx(d["total_tokens"].mean(axis=1).tolist())

    repro = res.reproducibility
    assert repro.model == "some-org/tiny-reasoner" and repro.tokenizer == "some-org/tiny-reasoner"
    assert repro.budgets == [64, 128, 256, None] and repro.solution_budget == 64
    assert repro.strategy == "elastic" and repro.k == 2
    assert repro.sampling == {"do_sample": True, "temperature": 0.6, "top_p": 0.95}
    assert repro.seeds == {
        "random_seed": 0,
        "numpy_seed": 1234,
        "torch_seed": 1234,
        "fewshot_seed": 1234,
        "model_seed": 1234,
    }
    assert repro.prompt_template == "{{problem}} Let's think step by step."
    assert repro.end_of_thinking_marker == "</think>"
    assert repro.dataset.id == "elastic-bench/toy-arithmetic" and repro.dataset.revision == "v1"
    assert repro.dataset.content_sha256 == "ab" * 32 and repro.dataset.n_problems == 8
    assert repro.dataset.split == "test"
    assert repro.versions["lm_eval"] == "0.4.13" and repro.versions["transformers"] == "5.23.0"
    assert repro.versions["torch"] == "2.13.0+cpu" and repro.versions["python"] == "3.11.7"
    assert "elastic_bench" in repro.versions
    assert repro.git_commit == "ac25d3b" and repro.wall_time_seconds == pytest.approx(123.456)
    assert (
        repro.hardware
        == "CPU: AMD EPYC 9454 (16 CPUs); GPU: GPU 0: NVIDIA H100 80GB HBM3, GPU 1: NVIDIA H100 80GB HBM3"
    )
    assert repro.backend == "elastic-hf" and repro.backend_args["dtype"] == "float32"
    assert repro.lm_eval_config["batch_size"] == "auto"

    saved = save_result(res, tmp_path / "res.json")
    assert load_result(saved) == res


def test_convert_is_deterministic(tmp_path):
    results, samples, _ = write_fake_run(tmp_path)
    assert convert_run(results, samples) == convert_run(results, samples)


def test_convert_without_samples_uses_aggregates_and_no_ci(tmp_path):
    results, _, data = write_fake_run(tmp_path, log_samples=False, n_problems=6, n_original=50)
    [res] = convert_run(results)
    assert res.problem_ids is None
    for point in res.points:
        d = data[point.task]
        assert point.accuracy_ci is None and point.per_problem_accuracy is None
        assert point.n_problems == 6  # the evaluated ("effective") count, not the dataset size
        assert point.accuracy == pytest.approx(d["acc"].mean())
        assert point.mean_total_tokens == pytest.approx(d["total_tokens"].mean())
        assert point.tokens_per_correct == pytest.approx(d["total_tokens"].mean() / d["acc"].mean())


def test_find_run_outputs_picks_newest_run_and_its_samples(tmp_path):
    write_fake_run(tmp_path, date_id="2026-01-01T00-00-00.000001")
    new_results, new_samples, _ = write_fake_run(tmp_path, date_id="2026-02-01T00-00-00.000001")
    found, samples = find_run_outputs(tmp_path)
    assert found == new_results
    assert sorted(samples) == sorted(new_samples)
    assert find_run_outputs(new_results) == (new_results, sorted(new_samples))
    assert len(convert_output_dir(tmp_path)[0].points) == 4


def test_two_groups_give_two_result_files_and_other_tasks_are_ignored(tmp_path):
    a_results, a_samples, _ = write_fake_run(tmp_path / "a", group="elastic_toy", budgets=(64, None))
    b_results, b_samples, _ = write_fake_run(tmp_path / "b", group="elastic_aime", budgets=(512, 1024, 2048))
    raw = json.loads(a_results.read_text())
    other = json.loads(b_results.read_text())
    for key in ("results", "configs", "n-samples", "versions", "group_subtasks"):
        raw[key].update(other[key])
    raw["results"]["gsm8k"] = {"alias": "gsm8k", "exact_match,none": 0.5}
    a_results.write_text(json.dumps(raw))
    converted = convert_run(a_results, a_samples + b_samples)
    assert [r.task_group for r in converted] == ["elastic_aime", "elastic_toy"]  # sorted by group name
    by_group = {r.task_group: r for r in converted}
    assert by_group["elastic_aime"].reproducibility.budgets == [512, 1024, 2048]
    assert by_group["elastic_aime"].benchmark == "aime"
    assert all(p.accuracy_ci is not None for p in by_group["elastic_toy"].points)


def test_subtasks_run_without_their_group_still_convert(tmp_path):
    results, samples, _ = write_fake_run(tmp_path, budgets=(128,))
    raw = json.loads(results.read_text())
    raw.pop("groups")
    raw["group_subtasks"] = {budget_task("elastic_toy", 128): []}
    results.write_text(json.dumps(raw))
    [res] = convert_run(results, samples)
    assert [p.thinking_budget for p in res.points] == [128]


def test_local_checkpoint_hashes_weights_and_chat_template(tmp_path):
    ckpt = tmp_path / "tiny_reasoner" / "checkpoint"
    ckpt.mkdir(parents=True)
    (ckpt / "model-00001.safetensors").write_bytes(b"weights-1")
    (ckpt / "model-00002.safetensors").write_bytes(b"weights-2")
    (ckpt / "tokenizer_config.json").write_text(json.dumps({"chat_template": "{{ messages }}"}))
    results, samples, _ = write_fake_run(
        tmp_path / "out",
        model=str(ckpt),
        model_args=f"pretrained={ckpt},revision=main,end_of_thinking_marker=</s>",
    )
    [res] = convert_run(results, samples, extra_repro={"hardware": "laptop"})
    repro = res.reproducibility
    expected = hashlib.sha256()
    for name, content in (
        ("model-00001.safetensors", b"weights-1"),
        ("model-00002.safetensors", b"weights-2"),
    ):
        expected.update(f"{name}:{hashlib.sha256(content).hexdigest()}\n".encode())
    assert repro.weights_sha256 == expected.hexdigest()
    assert repro.chat_template_sha256 == hashlib.sha256(b"{{ messages }}").hexdigest()
    assert repro.model == str(ckpt) and repro.model_revision == "main"
    assert repro.backend_args == {
        "pretrained": str(ckpt),
        "revision": "main",
        "end_of_thinking_marker": "</s>",
    }
    assert repro.end_of_thinking_marker == "</think>"  # a model arg alone is not what grading used
    assert repro.hardware == "laptop"  # extra_repro overrides
    assert res.model_name == "tiny_reasoner"  # a generic "checkpoint" folder is named by its parent
    assert convert_run(results, samples, model_name="mine")[0].model_name == "mine"
    assert convert_run(results, samples, hash_weights=False)[0].reproducibility.weights_sha256 is None


def test_our_task_conventions_filter_name_backend_info_and_doc_hash(tmp_path):
    """elastic_toy uses a custom filter ('all_samples'), a dataset seed and no dataset_sha256; elastic-hf
    may report its model and project commit through get_model_info() (lm-eval puts it in 'config')."""
    results, samples, data = write_fake_run(
        tmp_path,
        filter_name="all_samples",
        model_args={"threads": 1},
        metadata={"dataset_sha256": None, "seed": 7},
    )
    raw = json.loads(results.read_text())
    raw["config"].update(
        pretrained="/nowhere/tiny_reasoner/checkpoint",
        **project_info() | {"elastic_bench_git_commit": "f" * 40, "elastic_bench_version": "9.9"},
    )
    raw["git_hash"] = None
    results.write_text(json.dumps(raw))
    [res] = convert_run(results, samples)
    assert res.points[0].accuracy == pytest.approx(data["elastic_toy_t00064"]["acc"].mean())
    repro = res.reproducibility
    assert repro.model == "/nowhere/tiny_reasoner/checkpoint" and res.model_name == "tiny_reasoner"
    assert repro.git_commit == "f" * 40 and repro.versions["elastic_bench"] == "9.9"
    assert repro.seeds["dataset_seed"] == 7
    # no dataset_sha256 in the metadata: hash of lm-eval's per-doc hashes of the evaluated docs
    rows = [json.loads(line) for line in samples[0].read_text().splitlines()]
    expected = hashlib.sha256("".join(f"{r['doc_id']}:{r['doc_hash']}\n" for r in rows).encode()).hexdigest()
    assert repro.dataset.content_sha256 == expected
    [no_samples] = convert_run(results)
    assert no_samples.reproducibility.dataset.content_sha256 is None


def _head() -> str:
    repo = Path(__file__).resolve().parent.parent
    head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True)
    assert head.returncode == 0, "the tests run from a git checkout"
    return head.stdout.strip()


def test_project_info_reports_version_and_commit():
    info = project_info()
    assert set(info) == {"elastic_bench_version", "elastic_bench_git_commit"}
    assert info["elastic_bench_version"]
    assert info["elastic_bench_git_commit"].removesuffix("-dirty") == _head()


def test_git_commit_is_the_backends_not_lm_evals_cwd(tmp_path):
    """lm-eval's git_hash is `git describe` of wherever the user ran it (or None outside a repo); the
    backend's get_model_info() carries this project's commit, and that is what the result records."""
    results, samples, _ = write_fake_run(tmp_path)
    raw = json.loads(results.read_text())
    assert raw["git_hash"] == "ac25d3b"
    raw["config"].update(project_info())
    results.write_text(json.dumps(raw))
    [res] = convert_run(results, samples)
    assert res.reproducibility.git_commit.removesuffix("-dirty") == _head()
    raw["git_hash"] = None
    del raw["config"]["elastic_bench_git_commit"]
    results.write_text(json.dumps(raw))
    assert convert_run(results, samples)[0].reproducibility.git_commit is None


def test_answer_source_and_timeout_rates(tmp_path):
    results, samples, data = write_fake_run(tmp_path, n_problems=6, k=3)
    [res] = convert_run(results, samples)
    for point in res.points:
        d = data[point.task]
        assert point.boxed_rate == pytest.approx(d["boxed"].mean())
        assert point.fallback_rate == pytest.approx(d["fallback_answer"].mean())
        assert point.timeout_rate == pytest.approx(d["grade_timeout"].mean())
        assert 0 < point.boxed_rate < 1 and point.fallback_rate > 0
    [agg] = convert_run(results)  # aggregated values only
    assert [p.boxed_rate for p in agg.points] == pytest.approx([p.boxed_rate for p in res.points])
    # runs from before these metrics existed: no rates (None), not zeros
    for path in [results, *samples]:
        text = path.read_text()
        for metric in ("boxed", "fallback_answer", "grade_timeout"):
            text = text.replace(f'"{metric}', f'"old_{metric}')
        path.write_text(text)
    for old in (convert_run(results, samples)[0], convert_run(results)[0]):
        assert all(
            p.boxed_rate is None and p.fallback_rate is None and p.timeout_rate is None for p in old.points
        )


def test_hardware_from_env():
    assert hardware_from_env(None) == "unknown"
    assert hardware_from_env(ENV_INFO).startswith("CPU: AMD EPYC 9454 (16 CPUs); GPU: GPU 0: NVIDIA H100")
    cpu_only = "GPU models and configuration: Could not collect\nCPU(s): 2\nModel name: AMD EPYC\n"
    assert hardware_from_env(cpu_only) == "CPU: AMD EPYC (2 CPUs); GPU: none"


# --------------------------------------------------------------------------- malformed input


def _one_line(exc: pytest.ExceptionInfo) -> str:
    message = str(exc.value)
    assert "\n" not in message and message
    return message


def test_malformed_results_files(tmp_path):
    bad = tmp_path / "results_x.json"
    bad.write_text("{not json")
    with pytest.raises(ConversionError, match="not JSON") as exc:
        convert_run(bad)
    assert "not JSON" in _one_line(exc)
    bad.write_text("[1, 2]")
    with pytest.raises(ConversionError, match="not an lm-eval results file") as exc:
        convert_run(bad)
    assert "not an lm-eval results file" in _one_line(exc)
    bad.write_text(json.dumps({"results": {"gsm8k": {"exact_match,none": 0.3}}}))
    with pytest.raises(ConversionError, match="no elastic-bench budget subtasks") as exc:
        convert_run(bad)
    assert "no elastic-bench budget subtasks" in _one_line(exc) and "gsm8k" in str(exc.value)
    with pytest.raises(ConversionError, match="cannot read") as exc:
        convert_run(tmp_path / "missing.json")
    assert "cannot read" in _one_line(exc)
    with pytest.raises(ConversionError, match="nowhere: no such file or folder") as exc:
        find_run_outputs(tmp_path / "nowhere")
    _one_line(exc)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConversionError, match="no lm-eval results") as exc:
        find_run_outputs(tmp_path / "empty")
    assert "no lm-eval results" in _one_line(exc)


def _edit_config(results: Path, task: str, **changes) -> None:
    raw = json.loads(results.read_text())
    raw["configs"][task]["generation_kwargs"].update(changes)
    results.write_text(json.dumps(raw))


def test_inconsistent_configs_are_rejected(tmp_path):
    results, samples, _ = write_fake_run(tmp_path, budgets=(64, None))
    _edit_config(results, "elastic_toy_t00064", strategy="magic")
    with pytest.raises(ConversionError, match="unknown strategy 'magic'") as exc:
        convert_run(results, samples)
    assert "unknown strategy 'magic'" in _one_line(exc)
    _edit_config(results, "elastic_toy_t00064", strategy="elastic", thinking_budget=100)
    with pytest.raises(ConversionError, match="does not match the task name") as exc:
        convert_run(results, samples)
    assert "does not match the task name" in _one_line(exc)


def test_malformed_or_foreign_samples_are_rejected(tmp_path):
    results, samples, _ = write_fake_run(tmp_path / "a", budgets=(64, None))
    _, other_samples, _ = write_fake_run(tmp_path / "b", budgets=(64, None), seed=99)
    with pytest.raises(ConversionError, match=re.escape("(samples from another run?)")) as exc:
        convert_run(results, other_samples)  # same task names, another run's numbers
    assert "samples from another run" in _one_line(exc)
    with pytest.raises(ConversionError, match="duplicate doc_id") as exc:
        convert_run(results, samples + other_samples)
    assert "duplicate doc_id" in _one_line(exc)

    broken = samples[0]
    broken.write_text(broken.read_text() + "{oops\n")
    with pytest.raises(ConversionError, match=re.escape(f"{broken.name}:9: not JSON")) as exc:
        convert_run(results, samples)
    assert f"{broken.name}:9: not JSON" in _one_line(exc)
    lines = broken.read_text().splitlines()[:8]
    row = json.loads(lines[3])
    row["acc"] = "yes"
    lines[3] = json.dumps(row)
    broken.write_text("\n".join(lines) + "\n")
    with pytest.raises(ConversionError, match="acc: expected a number") as exc:
        convert_run(results, samples)
    assert "expected a number" in _one_line(exc)


def test_bad_metric_values_fail_validation_cleanly(tmp_path):
    results, _, _ = write_fake_run(tmp_path, budgets=(64, None), log_samples=False)
    raw = json.loads(results.read_text())
    raw["results"]["elastic_toy_t00064"]["acc,none"] = 1.5
    results.write_text(json.dumps(raw))
    with pytest.raises(ConversionError, match="elastic_toy_t00064: accuracy") as exc:
        convert_run(results)
    assert "elastic_toy_t00064: accuracy" in _one_line(exc)


# --------------------------------------------------------------------------- real lm-eval writer


@pytest.mark.slow
def test_real_lm_eval_outputs_convert(tmp_path):
    """Run lm-eval itself (its built-in ``dummy`` model) on a task group following our conventions."""
    if shutil.which("lm_eval") is None and not Path(sys.executable).with_name("lm_eval").exists():
        pytest.skip("lm_eval CLI not installed")
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    (tasks / "utils.py").write_text(
        textwrap.dedent(
            """
            import datasets

            def load(**kwargs):
                rows = [{"id": f"p{i}", "question": f"{i}+{i}=", "answer": str(2 * i)} for i in range(4)]
                return {"test": datasets.Dataset.from_list(rows)}

            def process_results(doc, results):
                i = int(doc["id"][1:])
                return {"acc": float(i % 2), "think_tokens": 10.0 * i, "answer_tokens": 3.0,
                        "total_tokens": 10.0 * i + 3, "think_truncated": 0.0, "answer_truncated": 0.0,
                        "no_answer": 0.0}
            """
        )
    )
    metric_list = "\n".join(
        f"  - metric: {m}\n    aggregation: mean\n    higher_is_better: true"
        for m in (
            "acc",
            "think_tokens",
            "answer_tokens",
            "total_tokens",
            "think_truncated",
            "answer_truncated",
            "no_answer",
        )
    )
    (tasks / "_template_yaml").write_text(
        "custom_dataset: !function utils.load\ntest_split: test\noutput_type: generate_until\n"
        'doc_to_text: "{{question}}"\ndoc_to_target: "{{answer}}"\n'
        f"process_results: !function utils.process_results\nrepeats: 2\nmetric_list:\n{metric_list}\n"
        "metadata:\n  version: 1.0\n  benchmark: fake\n  dataset_id: fake-gen\n"
    )
    names = []
    for budget in (8, 32, None):
        name = f"elastic_fake_t{budget:05d}" if budget else "elastic_fake_unconstrained"
        names.append(name)
        (tasks / f"{name}.yaml").write_text(
            f"include: _template_yaml\ntask: {name}\ngeneration_kwargs:\n  until: []\n"
            f"  thinking_budget: {budget if budget else 'null'}\n  solution_budget: 16\n  strategy: elastic\n"
            f"  max_gen_toks: 64\n  do_sample: false\n  temperature: 0.0\n  top_p: 1.0\n"
        )
    (tasks / "elastic_fake.yaml").write_text(
        "group: elastic_fake\ntask:\n"
        + "".join(f"  - {n}\n" for n in names)
        + "aggregate_metric_list:\n  - metric: acc\n    aggregation: mean\nmetadata:\n  version: 1.0\n"
    )
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "lm_eval", "--model", "dummy", "--tasks", "elastic_fake"]
    cmd += [
        "--include_path",
        str(tasks),
        "--output_path",
        str(out),
        "--log_samples",
    ]
    proc = subprocess.run(
        cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300, env=os.environ.copy()
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    [res] = convert_output_dir(out)
    assert [p.label for p in res.points] == ["t=00008", "t=00032", "unconstrained"]
    assert res.benchmark == "fake" and res.problem_ids == ["p0", "p1", "p2", "p3"]
    point = res.points[0]
    assert point.k == 2 and point.accuracy == 0.5 and point.accuracy_ci is not None
    assert point.mean_total_tokens == pytest.approx(np.mean([3, 13, 23, 33]))
    assert point.tokens_per_correct == pytest.approx((3 + 13 + 23 + 33) / 2)
    assert res.reproducibility.versions["lm_eval"] == "0.4.13"
    assert res.reproducibility.seeds["random_seed"] == 0


def test_mean_prompt_tokens_from_samples_and_aggregates_none_when_unknown(tmp_path):
    results, samples, data = write_fake_run(tmp_path, budgets=(64, None), n_problems=4, k=2)
    for res in (convert_run(results, samples)[0], convert_run(results)[0]):
        for point in res.points:
            assert point.mean_prompt_tokens == pytest.approx(data[point.task]["prompt_tokens"].mean())
            assert point.mean_prompt_tokens == pytest.approx(41.5)  # 40..43, one prompt per problem
    # a sample whose prompt tokens are unknown (NaN, e.g. a response journaled without them): no
    # mean rather than a wrong one or a conversion error
    for path in [results, *samples]:
        text = re.sub(r'"prompt_tokens(,none)?": 40\.0', r'"prompt_tokens\1": NaN', path.read_text())
        text = re.sub(r'"prompt_tokens,none": [0-9.]+', '"prompt_tokens,none": NaN', text)
        path.write_text(text)
    for res in (convert_run(results, samples)[0], convert_run(results)[0]):
        assert [p.mean_prompt_tokens for p in res.points] == [None, None]
        assert all(p.mean_total_tokens is not None for p in res.points)
    # runs whose tasks did not report prompt tokens at all: None too
    for path in [results, *samples]:
        path.write_text(path.read_text().replace('"prompt_tokens', '"old_prompt_tokens'))
    for res in (convert_run(results, samples)[0], convert_run(results)[0]):
        assert [p.mean_prompt_tokens for p in res.points] == [None, None]
