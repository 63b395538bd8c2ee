"""The evaluation queue: a submitted checkpoint becomes a verified leaderboard entry.

``submit --checkpoint`` checks a model without loading it (:func:`check_checkpoint`) and records an
:class:`EvaluationRequest` with the registry's protocol per benchmark in the :class:`RequestStore` (an
SQLite file beside the results). ``worker`` takes requests under a lease and evaluates them through
``run_sweep`` (:func:`run_worker`, or on a Ray cluster :func:`run_ray`), journaling every generation so
a replacement worker resumes, and stores the results as verified entries.
"""

from __future__ import annotations

from elastic_bench.harness.queue._checkpoint import check_checkpoint
from elastic_bench.harness.queue._journal import JOURNAL_FILENAME, JournalCounts, journal_counts
from elastic_bench.harness.queue._ray import RAY_EXTRA, request_footprint, run_ray, task_resources
from elastic_bench.harness.queue._request import (
    FAILED,
    FINISHED,
    PENDING,
    RUNNING,
    STATUSES,
    BenchmarkProtocol,
    EvaluationRequest,
    ModelSpec,
    QueueError,
    benchmark_protocol,
)
from elastic_bench.harness.queue._store import (
    MAX_ATTEMPTS,
    QUEUE_DIRNAME,
    Claim,
    Event,
    RequestState,
    RequestStore,
    store_path,
)
from elastic_bench.harness.queue._worker import (
    WorkerSettings,
    evaluate_claim,
    log_tail,
    request_model_args,
    run_worker,
)

__all__ = [
    "FAILED",
    "FINISHED",
    "JOURNAL_FILENAME",
    "MAX_ATTEMPTS",
    "PENDING",
    "QUEUE_DIRNAME",
    "RAY_EXTRA",
    "RUNNING",
    "STATUSES",
    "BenchmarkProtocol",
    "Claim",
    "EvaluationRequest",
    "Event",
    "JournalCounts",
    "ModelSpec",
    "QueueError",
    "RequestState",
    "RequestStore",
    "WorkerSettings",
    "benchmark_protocol",
    "check_checkpoint",
    "evaluate_claim",
    "journal_counts",
    "log_tail",
    "request_footprint",
    "request_model_args",
    "run_ray",
    "run_worker",
    "store_path",
    "task_resources",
]
