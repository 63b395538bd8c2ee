"""lm-eval hooks of the code budget sweeps (``elastic_lcb``, ``elastic_codeforces``).

The YAMLs (written by :mod:`elastic_bench.tasks.build` from the benchmark registry) reference these by
absolute module path. The loader receives the task metadata merged with lm-eval's ``--metadata``:
``data_dir`` (a local copy laid out like the shared data; else ``$ELASTIC_BENCH_DATA_DIR``; else the
pinned Hub dataset). Each doc is ``{id, benchmark, problem, starter_code, fn_name, prompt, n_tests,
test_set}``; the tests themselves stay out of the docs (hidden test sets run to megabytes per problem
and lm-eval logs every doc), held per data source and looked up by id when grading.

The loader reports ``dataset_sha256``, ``dataset_size``, ``dataset_source``, ``test_set`` (``hidden`` or
``public``: offline copies have public tests only), ``sandbox_mode`` and ``grading_semantics`` (the
benchmark's own, or ``--metadata '{"grading_semantics": "judge"}'``); the task class puts them in the
task metadata, which the results JSON records and the converter carries into the result file.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from typing import Any

import datasets

from elastic_bench.harness.benchmarks import get_benchmark, resolve_benchmark
from elastic_bench.harness.grading import GradeOptions, get_grader, grade_many, reference_json, semantics_for
from elastic_bench.harness.protocol import CODE_SAMPLE_METRICS, TEST_VERDICTS
from elastic_bench.tasks.code.data import load_code_problems, resolve_data_dir
from elastic_bench.tasks.common import doc_to_text, keep_all, responses_of, token_metrics
from elastic_bench.tasks.prompts import render_code
from elastic_bench.tasks.task import DatasetSplits, ElasticTask, dataset_sha256

__all__ = ["ElasticTask", "keep_all", "load", "doc_to_text", "process_results", "records", "score_code"]

_DOC_FIELDS = ("id", "benchmark", "problem", "starter_code", "fn_name", "test_set")


@functools.lru_cache(maxsize=8)
def _records(benchmark: str, data_dir: str | None) -> tuple[dict[str, Any], ...]:
    return tuple(load_code_problems(benchmark, data_dir=data_dir))


def records(benchmark: str, data_dir: str | os.PathLike | None = None) -> list[dict[str, Any]]:
    """A code sweep's records with their tests (cached per source)."""
    root = resolve_data_dir(data_dir)
    return [dict(r) for r in _records(resolve_benchmark(benchmark), None if root is None else str(root))]


@functools.lru_cache(maxsize=8)
def _tests_by_id(benchmark: str, data_dir: str | None) -> dict[str, str]:
    return {
        r["id"]: reference_json(r["tests"], r["fn_name"], r.get("memory_mb"))
        for r in records(benchmark, data_dir)
    }


def load(
    benchmark: str, data_dir: str | None = None, grading_semantics: str | None = None, **_: object
) -> DatasetSplits:
    """lm-eval ``custom_dataset``: the problems as a ``test`` split, LiveCodeBench's prompt per doc.
    ``grading_semantics`` (``lcb`` or ``judge``; from ``--metadata``) overrides the benchmark's own."""
    semantics = semantics_for(benchmark, GradeOptions(semantics=grading_semantics or None))
    rows = records(benchmark, data_dir)
    test_sets = sorted({r["test_set"] for r in rows})
    docs = []
    for r in rows:
        doc = {k: r[k] if r[k] is not None else "" for k in _DOC_FIELDS}
        doc.update(prompt=render_code(r["problem"], r["starter_code"] or None), n_tests=len(r["tests"]),
                   data_dir=str(resolve_data_dir(data_dir) or ""), grading_semantics=semantics)  # fmt: skip
        docs.append(doc)
    facts = {
        "dataset_sha256": dataset_sha256([{k: r[k] for k in (*_DOC_FIELDS, "tests")} for r in rows]),
        "dataset_size": len(rows),
        "dataset_source": rows[0]["source"] if rows else "",
        "test_set": "+".join(test_sets),
        "sandbox_mode": get_grader("code").mode,
        "grading_semantics": semantics,
    }
    return DatasetSplits({"test": datasets.Dataset.from_list(docs)}, facts)


def score_code(
    results: Sequence, reference: str, benchmark: str, semantics: str | None = None
) -> dict[str, float]:
    """Grade the k responses of one problem; every metric is the mean over them except ``pass_bits``
    (bit j set when sample j passed: which samples solved it, for per-sample Codeforces ratings)."""
    responses = responses_of(results)
    if not responses:
        raise ValueError("process_results received no responses")
    marker = getattr(responses[0], "marker", None) or get_benchmark(benchmark).think_end
    grades = grade_many([(r, reference, benchmark) for r in responses], marker=marker, semantics=semantics)
    rows = []
    for response, g in zip(responses, grades, strict=True):
        row = {"acc": float(g.correct), "no_answer": float(g.no_answer), **token_metrics(response)}
        row.update({f"verdict_{v}": float(g.reason == v) for v in TEST_VERDICTS})
        rows.append(row)
    out = {m: sum(r[m] for r in rows) / len(rows) for m in CODE_SAMPLE_METRICS if m != "pass_bits"}
    out["pass_bits"] = float(sum(1 << j for j, g in enumerate(grades) if g.correct))
    return out


def process_results(doc: dict, results: list) -> dict[str, float]:
    """Per-doc metrics: the doc's tests are looked up by id in its data source."""
    bench = doc["benchmark"]
    tests = _tests_by_id(resolve_benchmark(bench), doc.get("data_dir") or None)
    if doc["id"] not in tests:
        raise KeyError(
            f"{bench}: no tests for problem {doc['id']!r} in {doc.get('data_dir') or 'the Hub copy'}"
        )
    return score_code(results, tests[doc["id"]], bench, doc.get("grading_semantics") or None)
