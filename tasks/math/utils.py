"""lm-eval hooks of the math budget sweeps (elastic_math500, elastic_gsm8k, elastic_gaokao, elastic_aime,
elastic_aime24, elastic_aime25, elastic_amc23).

The YAMLs (written by :mod:`elastic_bench.tasks.build`) reference these functions by their absolute
module path (``!function elastic_bench.tasks.math.utils.load``), so every sweep folder shares this
one module. The loader receives the task metadata merged with lm-eval's ``--metadata``:

* ``data_dir``: a local directory laid out like the shared data (offline); else the environment
  variable ``ELASTIC_BENCH_DATA_DIR``; else the pinned Hugging Face dataset
  (:data:`elastic_bench.tasks.math.data.HUB_SOURCES`);
* ``prompt_template``: ``e1`` (default, Elastic Reasoning / DeepScaleR) or ``o1_pruner``; the
  prompt is rendered into each doc's ``prompt`` field.

The loader also adds ``dataset_sha256`` (content hash of the records), ``dataset_size`` and
``dataset_source`` (local file(s) or Hub id@revision) to the task's metadata, which the results
JSON records. Each doc is ``{id, benchmark, problem, answer, prompt}`` (+ ``subject``/``level`` where every record
has them); ``answer`` is the gold exactly as the grader compares it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
from typing import Any

import datasets

from elastic_bench.harness.grading import resolve_benchmark
from elastic_bench.tasks.common import keep_all, score
from elastic_bench.tasks.math.data import HUB_SOURCES, load_problems, resolve_data_dir
from elastic_bench.tasks.prompts import render

__all__ = [
    "keep_all",
    "load",
    "doc_to_text",
    "process_results",
    "records",
    "data_source",
    "dataset_sha256",
    "hub_metadata",
]

#: sweeps made of several benchmarks, concatenated in this order
COMPONENTS: dict[str, tuple[str, ...]] = {"aime": ("aime24", "aime25")}
#: optional record fields kept on the docs (only when every record has them)
_EXTRA_FIELDS = ("subject", "level")


def components(benchmark: str) -> tuple[str, ...]:
    """The data benchmarks a sweep's benchmark is made of (``aime`` -> aime24, aime25)."""
    bench = resolve_benchmark(benchmark)
    return COMPONENTS.get(bench, (bench,))


def hub_metadata(benchmark: str) -> dict[str, str | None]:
    """``dataset_id`` / ``dataset_revision`` of a sweep's pinned Hub source(s); parts joined by ``+``."""
    sources = [HUB_SOURCES[b] for b in components(benchmark)]
    ids = "+".join(s.id + (f"/{s.config}" if s.config else "") for s in sources)
    revisions = [s.revision for s in sources]
    revision = (
        None if all(r is None for r in revisions) else "+".join(r or "default-branch" for r in revisions)
    )
    return {"dataset_id": ids, "dataset_revision": revision}


@functools.lru_cache(maxsize=32)
def _records(benchmark: str, data_dir: str | None) -> tuple[tuple[dict[str, Any], ...], str]:
    rows: list[dict[str, Any]] = []
    sources: list[str] = []
    parts = components(benchmark)
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


def dataset_sha256(rows: list[dict[str, Any]]) -> str:
    """Content hash of the records (canonical JSON lines, in order); independent of the prompt and the
    file's location, so a local copy and the Hub copy of the same data hash the same."""
    digest = hashlib.sha256()
    for row in rows:
        digest.update(json.dumps(row, sort_keys=True, ensure_ascii=False).encode("utf-8") + b"\n")
    return digest.hexdigest()


def _record_in_task_metadata(**items: Any) -> bool:
    """Best effort: add ``items`` to the metadata of the lm-eval task whose ``custom_dataset`` is calling.

    lm-eval 0.4.13 calls ``custom_dataset(**metadata)`` from ``ConfigurableTask.download`` and gives
    the loader no handle on the task, so we look one frame up. Its ``config.metadata`` is what the
    results JSON reports (and what :mod:`elastic_bench.harness.convert` reads); returns whether found.
    """
    frame = sys._getframe(2)
    for _ in range(3):
        if frame is None:
            break
        task = frame.f_locals.get("self")
        config = getattr(task, "config", None)
        if getattr(config, "custom_dataset", None) is load and isinstance(
            getattr(config, "metadata", None), dict
        ):
            config.metadata.update(items)
            return True
        frame = frame.f_back
    return False


def load(
    benchmark: str,
    prompt_template: str = "e1",
    data_dir: str | None = None,
    **_: object,
) -> dict[str, datasets.Dataset]:
    """lm-eval ``custom_dataset``: the benchmark as a ``test`` split with the rendered prompt per doc."""
    rows = records(benchmark, data_dir)
    _record_in_task_metadata(
        dataset_sha256=dataset_sha256(rows),
        dataset_size=len(rows),
        dataset_source=data_source(benchmark, data_dir),
    )
    for row in rows:
        row["prompt"] = render(row["problem"], prompt_template)
    return {"test": datasets.Dataset.from_list(rows)}


def doc_to_text(doc: dict) -> str:
    """The prompt rendered by the loader."""
    return doc["prompt"]


def process_results(doc: dict, results: list) -> dict[str, float]:
    """Per-doc metrics (means over the k samples); GaoKao also gets the problem (multiple choice)."""
    bench = doc["benchmark"]
    problem = doc["problem"] if resolve_benchmark(bench) == "gaokao" else None
    return score(results, doc["answer"], bench, problem=problem)
