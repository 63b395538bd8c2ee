"""lm-eval hooks of the math budget sweeps (every registry benchmark of the ``math`` family).

The YAMLs (written by :mod:`elastic_bench.tasks.build` from the benchmark registry) reference these
by their absolute module path (``!function elastic_bench.tasks.math.utils.load``), so every sweep
folder shares this one module. The loader receives the task metadata merged with lm-eval's
``--metadata``:

* ``data_dir``: a local directory laid out like the shared data (offline); else the environment
  variable ``ELASTIC_BENCH_DATA_DIR``; else the pinned Hugging Face dataset of the registry;
* ``prompt_template``: ``e1`` (the registry default, Elastic Reasoning / DeepScaleR) or
  ``o1_pruner``; the prompt is rendered into each doc's ``prompt`` field.

The loader reports ``dataset_sha256`` (content hash of the records), ``dataset_size`` and
``dataset_source`` (local file(s) or Hub id@revision); the task class
(:class:`elastic_bench.tasks.task.ElasticTask`) puts them in the task metadata, which the results
JSON records. Each doc is ``{id, benchmark, problem, answer, prompt}`` (+ ``subject``/``level``
where every record has them); ``answer`` is the gold exactly as the grader compares it.
"""

from __future__ import annotations

import functools
import os
from typing import Any

from elastic_bench.harness.benchmarks import get_benchmark, resolve_benchmark
from elastic_bench.tasks.common import doc_to_text, keep_all, prompted_splits, score
from elastic_bench.tasks.math.data import load_problems, resolve_data_dir
from elastic_bench.tasks.task import DatasetSplits, ElasticTask, dataset_sha256

__all__ = [
    "ElasticTask",
    "keep_all",
    "load",
    "doc_to_text",
    "process_results",
    "records",
    "data_source",
    "dataset_sha256",
]

#: optional record fields kept on the docs (only when every record has them)
_EXTRA_FIELDS = ("subject", "level")


@functools.lru_cache(maxsize=32)
def _records(benchmark: str, data_dir: str | None) -> tuple[tuple[dict[str, Any], ...], str]:
    rows: list[dict[str, Any]] = []
    sources: list[str] = []
    parts = get_benchmark(benchmark).parts
    for part in parts:
        for rec in load_problems(part, data_dir=data_dir):
            row = {
                "id": f"{part}/{rec['id']}" if len(parts) > 1 else rec["id"],
                "benchmark": part,
                "problem": rec["problem"],
                "answer": rec["answer"],
            }
            row.update({k: str(rec[k]) for k in _EXTRA_FIELDS if k in rec})
            rows.append(row)
            if rec["source"] not in sources:
                sources.append(rec["source"])
    extras = [k for k in _EXTRA_FIELDS if all(k in r for r in rows)]
    keep = ("id", "benchmark", "problem", "answer", *extras)
    return tuple({k: r[k] for k in keep} for r in rows), " + ".join(sources)


def records(benchmark: str, data_dir: str | os.PathLike | None = None) -> list[dict[str, Any]]:
    """A sweep's records (cached per source): local ``data_dir`` / ``$ELASTIC_BENCH_DATA_DIR``, else the Hub."""
    return [dict(r) for r in _cached(benchmark, data_dir)[0]]


def data_source(benchmark: str, data_dir: str | os.PathLike | None = None) -> str:
    """Where the records came from: the local file(s), or ``hf:<id>@<revision>``."""
    return _cached(benchmark, data_dir)[1]


def _cached(benchmark: str, data_dir: str | os.PathLike | None) -> tuple[tuple[dict[str, Any], ...], str]:
    root = resolve_data_dir(data_dir)
    return _records(resolve_benchmark(benchmark), None if root is None else str(root))


def load(
    benchmark: str,
    prompt_template: str | None = None,
    data_dir: str | None = None,
    **_: object,
) -> DatasetSplits:
    """lm-eval ``custom_dataset``: the benchmark as a ``test`` split with the rendered prompt per doc
    (template: ``prompt_template``, else the registry's), and the facts about the data."""
    template = prompt_template or get_benchmark(benchmark).prompt_template
    return prompted_splits(records(benchmark, data_dir), template, data_source(benchmark, data_dir))


def process_results(doc: dict, results: list) -> dict[str, float]:
    """Per-doc metrics (means over the k samples); GaoKao also gets the problem (multiple choice)."""
    bench = doc["benchmark"]
    problem = doc["problem"] if get_benchmark(bench).answer_kind == "gaokao" else None
    return score(results, doc["answer"], bench, problem=problem)
