"""Writes fake lm-eval 0.4.13 output files (results JSON + samples JSONL) in the exact format that
``lm_eval --output_path DIR --log_samples`` produces, for converter and report tests.

The layout, keys and value types mirror a real run (checked against the output of
``lm_eval --model dummy`` on a task group following our conventions).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from elastic_bench.harness.protocol import SAMPLE_METRICS

DATE_ID = "2026-01-02T03-04-05.678901"
ENV_INFO = """PyTorch version: 2.13.0+cpu
Is debug build: False

Python version: 3.11.7 (main, May  9 2026, 07:35:25) [GCC 12.2.0] (64-bit runtime)
Is CUDA available: True
GPU models and configuration: GPU 0: NVIDIA H100 80GB HBM3
GPU 1: NVIDIA H100 80GB HBM3
Nvidia driver version: 550.54

CPU:
Architecture:                            x86_64
CPU(s):                                  16
Model name:                              AMD EPYC 9454
"""
METRICS = SAMPLE_METRICS


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def budget_task(group: str, budget: int | None) -> str:
    return f"{group}_unconstrained" if budget is None else f"{group}_t{budget:05d}"


def fake_samples(n_problems: int, k: int, budget: int | None, seed: int = 0) -> dict[str, np.ndarray]:
    """Per-sample arrays (n_problems x k); accuracy and tokens grow with the budget."""
    rng = np.random.default_rng(seed + (budget or 10_000))
    cap = budget or 400
    think = np.minimum(rng.integers(10, 400, size=(n_problems, k)), cap)
    answer = rng.integers(5, 30, size=(n_problems, k))
    p_correct = min(0.9, 0.2 + cap / 500)
    out = {
        "acc": (rng.random((n_problems, k)) < p_correct).astype(float),
        "think_tokens": think.astype(float),
        "answer_tokens": answer.astype(float),
        "total_tokens": (think + answer).astype(float),
        "think_truncated": (think >= cap).astype(float) if budget else np.zeros((n_problems, k)),
        "answer_truncated": np.zeros((n_problems, k)),
        "no_answer": (rng.random((n_problems, k)) < 0.1).astype(float),
    }
    boxed = rng.random((n_problems, k)) < 0.7
    out["boxed"] = boxed.astype(float)
    out["fallback_answer"] = (~boxed & (rng.random((n_problems, k)) < 0.5)).astype(float)
    out["grade_timeout"] = (rng.random((n_problems, k)) < 0.05).astype(float)
    # one prompt per problem: every sample of it sends the same prompt tokens
    out["prompt_tokens"] = np.repeat(40.0 + np.arange(n_problems)[:, None], k, axis=1)
    return out


def write_fake_run(
    out_dir: Path,
    *,
    group: str = "elastic_toy",
    budgets: tuple[int | None, ...] = (64, 128, 256, None),
    n_problems: int = 8,
    n_original: int | None = None,
    k: int = 2,
    model: str = "some-org/tiny-reasoner",
    model_args: dict | str | None = None,
    metadata: dict | None = None,
    strategy: str = "elastic",
    solution_budget: int | None = 64,
    log_samples: bool = True,
    filter_name: str = "none",
    seed: int = 0,
    date_id: str = DATE_ID,
) -> tuple[Path, list[Path], dict[str, dict[str, np.ndarray]]]:
    """Write one run under ``out_dir/<sanitized model>/``; returns (results json, samples files, data)."""
    if model_args is None:
        model_args = {"pretrained": model, "dtype": "float32", "seed": 1234}
    sanitized = model.replace("/", "__")
    folder = out_dir / sanitized
    folder.mkdir(parents=True, exist_ok=True)
    meta = {
        "version": 1.0,
        "benchmark": group.removeprefix("elastic_"),
        "prompt_template": "{{problem}} Let's think step by step.",
        "end_of_thinking_marker": "</think>",
        "dataset_id": "elastic-bench/toy-arithmetic",
        "dataset_revision": "v1",
        "dataset_sha256": "ab" * 32,
    }
    meta.update(metadata or {})
    results, configs, n_samples, versions, hib, n_shot = {}, {}, {}, {}, {}, {}
    data: dict[str, dict[str, np.ndarray]] = {}
    sample_files: list[Path] = []
    tasks = [budget_task(group, b) for b in budgets]
    for budget, task in zip(budgets, tasks, strict=True):
        per_sample = fake_samples(n_problems, k, budget, seed)
        data[task] = per_sample
        per_doc = {m: per_sample[m].mean(axis=1) for m in METRICS}
        res = {"name": task, "alias": task, "sample_len": n_problems}
        for m in METRICS:
            res[f"{m},{filter_name}"] = float(per_doc[m].mean())
            res[f"{m}_stderr,{filter_name}"] = float(per_doc[m].std(ddof=1) / np.sqrt(n_problems))
        results[task] = res
        gen_kwargs = {
            "until": [],
            "thinking_budget": budget,
            "solution_budget": solution_budget,
            "strategy": strategy,
            "max_gen_toks": (budget or 4096) + (solution_budget or 0),
            "do_sample": True,
            "temperature": 0.6,
            "top_p": 0.95,
        }
        configs[task] = {
            "task": task,
            "tag": [group],
            "custom_dataset": "def load(**kwargs):\n    ...\n",
            "test_split": "test",
            "doc_to_text": "{{problem}}",
            "doc_to_target": "{{answer}}",
            "unsafe_code": False,
            "process_results": "def process_results(doc, results):\n    ...\n",
            "description": "",
            "target_delimiter": " ",
            "fewshot_delimiter": "\n\n",
            "num_fewshot": 0,
            "metric_list": [
                {"metric": m, "aggregation": "mean", "higher_is_better": m == "acc"} for m in METRICS
            ],
            "output_type": "generate_until",
            "generation_kwargs": gen_kwargs,
            "repeats": k,
            "filter_list": [{"name": filter_name, "filter": [{"function": "take_first_k", "k": k}]}],
            "should_decontaminate": False,
            "metadata": {**meta, "config_source": f"/x/tasks/toy/{task}.yaml"},
        }
        n_samples[task] = {"original": n_original or n_problems, "effective": n_problems}
        versions[task] = 1.0
        hib[task] = {m: m == "acc" for m in METRICS}
        n_shot[task] = 0
        if log_samples:
            path = folder / f"samples_{task}_{date_id}.jsonl"
            with path.open("w", encoding="utf-8") as fh:
                for i in range(n_problems):
                    doc = {"id": f"toy-{i:03d}", "problem": f"Start at {i}. Add 2.", "answer": str(i + 2)}
                    row = {
                        "doc_id": i,
                        "doc": doc,
                        "target": doc["answer"],
                        "arguments": {
                            f"gen_args_{j}": {"arg_0": doc["problem"], "arg_1": gen_kwargs} for j in range(1)
                        },
                        "resps": [[f"<think>...</think> \\boxed{{{i}}}"] * k],
                        "filtered_resps": [[f"<think>...</think> \\boxed{{{i}}}"] * k],
                        "filter": filter_name,
                        "metrics": list(METRICS),
                        "doc_hash": _sha(json.dumps(doc)),
                        "prompt_hash": _sha(doc["problem"]),
                        "target_hash": _sha(doc["answer"]),
                    }
                    row.update({m: float(per_doc[m][i]) for m in METRICS})
                    fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            sample_files.append(path)
    n_total = n_problems * len(budgets)
    raw = {
        "results": results,
        "groups": {
            group: {
                "alias": group,
                "name": group,
                "sample_len": n_total,
                f"acc,{filter_name}": float(np.mean([results[t][f"acc,{filter_name}"] for t in tasks])),
                f"acc_stderr,{filter_name}": 0.05,
                "sample_count": {f"acc,{filter_name}": n_total},
            }
        },
        "group_subtasks": {group: tasks},
        "configs": dict(sorted(configs.items())),
        "versions": {group: "1.0", **versions},
        "n-shot": {group: 0, **n_shot},
        "higher_is_better": {group: {m: m == "acc" for m in METRICS}, **hib},
        "n-samples": n_samples,
        "config": {
            "model": "elastic-hf",
            "model_args": model_args,
            "batch_size": "auto",
            "batch_sizes": [],
            "device": "cuda:0",
            "use_cache": None,
            "limit": None,
            "bootstrap_iters": 100000,
            "gen_kwargs": {},
            "random_seed": 0,
            "numpy_seed": 1234,
            "torch_seed": 1234,
            "fewshot_seed": 1234,
        },
        "git_hash": "ac25d3b",
        "date": 1767322800.5,
        "pretty_env_info": ENV_INFO,
        "transformers_version": "5.23.0",
        "lm_eval_version": "0.4.13",
        "upper_git_hash": None,
        "task_hashes": {t: "0" * 64 for t in tasks} if log_samples else {},
        "model_source": "elastic-hf",
        "model_name": model,
        "model_name_sanitized": sanitized,
        "system_instruction": None,
        "system_instruction_sha": None,
        "fewshot_as_multiturn": None,
        "chat_template": None,
        "chat_template_sha": None,
        "total_evaluation_time_seconds": "123.456",
    }
    results_path = folder / f"results_{date_id}.json"
    results_path.write_text(json.dumps(raw, indent=2, ensure_ascii=False), encoding="utf-8")
    return results_path, sample_files, data
