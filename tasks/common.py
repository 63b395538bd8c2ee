"""What every budget-sweep task shares: the prompted dataset, ``doc_to_text`` and per-sample metrics."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import datasets

from elastic_bench.harness.benchmarks import get_benchmark
from elastic_bench.harness.generation import accounting
from elastic_bench.harness.grading import BOXED, STATEMENT, grade_many
from elastic_bench.harness.protocol import SAMPLE_METRICS
from elastic_bench.tasks.prompts import render
from elastic_bench.tasks.task import DatasetSplits, dataset_sha256

METRICS = SAMPLE_METRICS


def prompted_splits(rows: list[dict[str, Any]], template: str, source: str) -> DatasetSplits:
    """lm-eval ``custom_dataset`` of ``rows`` as a ``test`` split, each with its prompt rendered from
    ``template``, plus the facts about the data (hashed before the prompts are added)."""
    facts = {"dataset_sha256": dataset_sha256(rows), "dataset_size": len(rows), "dataset_source": source}
    for row in rows:
        row["prompt"] = render(row["problem"], template)
    return DatasetSplits({"test": datasets.Dataset.from_list(rows)}, facts)


def doc_to_text(doc: dict) -> str:
    """The prompt rendered by the loader."""
    return doc["prompt"]


def token_metrics(response: object) -> dict[str, float]:
    """A response's token accounting as per-sample metrics; NaN for plain strings (no budgeted backend),
    and ``prompt_tokens`` NaN for a response whose accounting predates prompt counting."""
    acct = accounting(response)
    nan = math.nan
    return {
        "think_tokens": float(acct.think_tokens) if acct else nan,
        "answer_tokens": float(acct.answer_tokens) if acct else nan,
        "total_tokens": float(acct.total_tokens) if acct else nan,
        "prompt_tokens": float(acct.prompt_tokens) if acct and acct.prompt_tokens is not None else nan,
        "think_truncated": float(acct.think_truncated) if acct else nan,
        "answer_truncated": float(acct.answer_truncated) if acct else nan,
    }


def keep_all(resps, docs):
    """lm-eval filter: keep all k responses of each doc (avg@k), instead of ``take_first``."""
    return resps


def responses_of(results: Sequence) -> list[str]:
    """The k responses lm-eval hands to ``process_results`` (after the keep_all filter)."""
    first = results[0] if results else []
    if isinstance(first, str):
        return [first]
    return list(first)


def score(results: Sequence, gold: str, benchmark: str, *, problem: str | None = None) -> dict[str, float]:
    """Grade the k responses of one doc; every metric is the mean over them.

    Token metrics need a budgeted backend (its responses carry token accounting); for plain
    strings they are NaN rather than a guess. ``boxed`` / ``fallback_answer`` say where the graded
    answer came from (a box / a final-answer statement), ``grade_timeout`` that grading hit its hard
    timeout. Whether a box is required follows the benchmark's registry entry (``strict_boxed``).
    """
    responses = responses_of(results)
    if not responses:
        raise ValueError("process_results received no responses")
    grades = grade_many(
        [(r, gold, benchmark, problem) for r in responses],
        marker=getattr(responses[0], "marker", None) or get_benchmark(benchmark).think_end,
    )
    rows = []
    for response, g in zip(responses, grades, strict=True):
        rows.append(
            {
                "acc": float(g.correct),
                "no_answer": float(g.no_answer),
                "boxed": float(g.extraction == BOXED),
                "fallback_answer": float(g.extraction == STATEMENT),
                "grade_timeout": float(g.timed_out),
                **token_metrics(response),
            }
        )
    return {m: sum(r[m] for r in rows) / len(rows) for m in METRICS}
