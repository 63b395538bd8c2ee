"""What an evaluation request records: the model as submitted and, per benchmark, the protocol the
registry fixes (budgets, k, seed, strategy, sampling), never the submitter's.

A protocol's ``version`` is a short hash of its fields: a request names the exact protocol it will be
evaluated under, and a later change of the registry is a new version (the worker refuses to evaluate
a request whose recorded protocol the registry no longer gives).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from elastic_bench.harness.benchmarks import BENCHMARKS, UnknownBenchmark, get_benchmark, sweeps
from elastic_bench.harness.protocol import DEFAULT_SEED

#: the states of a request, in the order they are reached (failed may follow pending or running)
PENDING, RUNNING, FINISHED, FAILED = "pending", "running", "finished", "failed"
STATUSES = (PENDING, RUNNING, FINISHED, FAILED)
#: statuses that block a second request for the same model, revision and protocol
ACTIVE_OR_DONE = (PENDING, RUNNING, FINISHED)
#: how the worker prompts the model: its own chat template when it has one (auto), always its own
#: template (model: refused at submission when it has none), or the raw prompt (none)
ChatTemplate = Literal["auto", "model", "none"]
CHAT_MODEL_ARG = {"auto": "auto", "model": "yes", "none": "no"}


class QueueError(ValueError):
    """Bad input to the queue or an unusable request store; the message is one line."""


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BenchmarkProtocol(_Record):
    """One benchmark's evaluation protocol as the registry fixes it (the ``version`` hashes the rest)."""

    benchmark: str
    task_group: str
    budgets: tuple[int, ...]
    solution_budget: int
    max_gen_toks: int
    k: int = Field(ge=1)
    do_sample: bool
    temperature: float
    top_p: float
    strategy: str
    seed: int
    prompt_template: str
    n_problems: int | None = Field(default=None, description="problems of the full set (for progress)")
    version: str = ""


def benchmark_protocol(name: str) -> BenchmarkProtocol:
    """The registry's protocol for a benchmark, alias or task group (``QueueError`` when unknown)."""
    try:
        bench = get_benchmark(name)
    except UnknownBenchmark:
        known = ", ".join(b.name for b in sweeps())
        raise QueueError(f"unknown benchmark {name!r}; known: {known}") from None
    if bench.sweep is None:
        known = ", ".join(b.name for b in sweeps())
        raise QueueError(f"benchmark {bench.name!r} has no budget sweep to evaluate; choose from {known}")
    sweep = bench.sweep
    fields = {
        "benchmark": bench.name,
        "task_group": bench.task_group,
        "budgets": tuple(sweep.budgets),
        "solution_budget": sweep.solution_budget,
        "max_gen_toks": sweep.max_gen_toks,
        "k": sweep.repeats,
        "do_sample": sweep.do_sample,
        "temperature": sweep.temperature,
        "top_p": sweep.top_p,
        "strategy": sweep.strategy,
        "seed": DEFAULT_SEED,
        "prompt_template": bench.prompt_template,
        "n_problems": _problem_count(bench.name),
    }
    digest = hashlib.sha256(json.dumps(fields, sort_keys=True, default=list).encode()).hexdigest()
    return BenchmarkProtocol(**fields, version=f"{bench.name}-{digest[:10]}")


def _problem_count(name: str) -> int | None:
    """Problems in a benchmark's full set: the registry's expected count, its parts', or the toy's."""
    bench = BENCHMARKS.get_entry(name)
    if bench.components:
        counts = [_problem_count(part) for part in bench.components]
        return None if None in counts else sum(counts)  # type: ignore[arg-type]
    return bench.expected_count or bench.metadata.get("n_problems")


class ModelSpec(_Record):
    """The submitted model: where it is and what identifies it (a local folder by its weights hash)."""

    model: str = Field(min_length=1, max_length=500, description="hub id, or a local folder's path")
    local: bool
    revision: str | None = Field(default=None, description="hub revision (branch, tag or commit)")
    weights_sha256: str | None = Field(default=None, description="local folders: sha256 over the weights")
    think_end: str = Field(min_length=1, max_length=100)
    chat_template: ChatTemplate = "auto"
    display_name: str = Field(min_length=1, max_length=200, description="the leaderboard's model name")

    @property
    def identity(self) -> str:
        """What makes two requests the same model: the weights of a local folder, else id and revision."""
        if self.local and self.weights_sha256:
            return f"sha256:{self.weights_sha256}"
        return f"{self.model}@{self.revision or 'main'}"


class EvaluationRequest(_Record):
    """A request as stored: the model, the benchmarks' protocols, the submitter's note, when."""

    id: str
    model: ModelSpec
    protocols: tuple[BenchmarkProtocol, ...] = Field(min_length=1)
    note: str = Field(default="", max_length=2000)
    submitted_at: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))

    @property
    def benchmarks(self) -> list[str]:
        """The requested benchmarks' registry names."""
        return [p.benchmark for p in self.protocols]

    def expected_responses(self, limit: int | None = None) -> int | None:
        """Responses a full evaluation generates (problems x k x budget points); None if unknown."""
        total = 0
        for p in self.protocols:
            if p.n_problems is None:
                return None
            problems = min(p.n_problems, limit) if limit else p.n_problems
            total += problems * p.k * (len(p.budgets) + 1)
        return total
