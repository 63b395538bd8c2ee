"""The result-file schema: one validated JSON per (model, task sweep), versioned.

A result file holds per-budget metrics with confidence intervals, per-problem scores (so
paired comparisons and AES can be recomputed) and a reproducibility record. "reported" files
carry published numbers (with their source) and are never mixed with "reproduced" ones.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from elastic_bench.harness.naming import STRATEGY_NAMES, safe_filename

SCHEMA_VERSION = "1.0"
#: layout of a results directory: entries anywhere, except these top-level folders
SAMPLES_DIRNAME = "samples"  # logged samples copied next to the entries
RUNS_DIRNAME = "runs"  # raw lm-eval outputs of `elastic-bench run`
#: per-sample metrics every elastic_* subtask reports (each the mean over a doc's k samples);
#: the contract between the tasks' process_results and the result converter
SAMPLE_METRICS = (
    "acc",
    "think_tokens",
    "answer_tokens",
    "total_tokens",
    "think_truncated",
    "answer_truncated",
    "no_answer",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class BudgetPoint(_Strict):
    """Metrics of one budget of a sweep (one lm-eval subtask)."""

    label: str = Field(description="'t=00512' style label, or 'unconstrained'")
    task: str = Field(description="lm-eval subtask name")
    thinking_budget: int | None = Field(ge=1, description="None = unconstrained")
    solution_budget: int | None = Field(default=None, ge=1)
    strategy: str
    n_problems: int = Field(ge=1)
    k: int = Field(ge=1, description="samples per problem (avg@k)")
    accuracy: float = Field(ge=0.0, le=1.0)
    accuracy_ci: tuple[float, float] | None = Field(
        default=None, description="95% bootstrap CI over problems"
    )
    mean_think_tokens: float | None = Field(default=None, ge=0)
    mean_answer_tokens: float | None = Field(default=None, ge=0)
    mean_total_tokens: float = Field(ge=0)
    think_truncation_rate: float | None = Field(default=None, ge=0.0, le=1.0)
    answer_truncation_rate: float | None = Field(default=None, ge=0.0, le=1.0)
    no_answer_rate: float | None = Field(default=None, ge=0.0, le=1.0)
    tokens_per_correct: float | None = Field(default=None, ge=0)
    per_problem_accuracy: list[float] | None = Field(
        default=None, description="mean score per problem, aligned with ResultFile.problem_ids"
    )
    per_problem_tokens: list[float] | None = None

    @field_validator("strategy")
    @classmethod
    def _known_strategy(cls, value: str) -> str:
        if value not in STRATEGY_NAMES:
            raise ValueError(f"unknown strategy {value!r}; expected one of {STRATEGY_NAMES}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> BudgetPoint:
        for name in ("accuracy", "mean_total_tokens"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"{name} must be finite")
        if self.accuracy_ci is not None:
            lo, hi = self.accuracy_ci
            if not (0.0 <= lo <= hi <= 1.0):
                raise ValueError(f"accuracy_ci {self.accuracy_ci} is not an interval inside [0, 1]")
            if not (lo - 1e-9 <= self.accuracy <= hi + 1e-9):
                raise ValueError(f"accuracy {self.accuracy} lies outside its CI {self.accuracy_ci}")
        if self.per_problem_accuracy is not None:
            if len(self.per_problem_accuracy) != self.n_problems:
                raise ValueError(
                    f"per_problem_accuracy has {len(self.per_problem_accuracy)} entries, n_problems is {self.n_problems}"
                )
            if any(not (0.0 <= a <= 1.0) for a in self.per_problem_accuracy):
                raise ValueError("per_problem_accuracy values must lie in [0, 1]")
            mean = sum(self.per_problem_accuracy) / self.n_problems
            if abs(mean - self.accuracy) > 1e-6:
                raise ValueError(f"accuracy {self.accuracy} is not the mean of per_problem_accuracy ({mean})")
        if self.per_problem_tokens is not None and len(self.per_problem_tokens) != self.n_problems:
            raise ValueError("per_problem_tokens must have n_problems entries")
        return self


class DatasetRecord(_Strict):
    """Which data was evaluated."""

    id: str = Field(description="hub id, local path or generator name")
    revision: str | None = None
    content_sha256: str | None = None
    split: str | None = None
    n_problems: int = Field(ge=1)


class Reproducibility(_Strict):
    """Everything needed to re-run a sweep and get the same numbers."""

    model: str = Field(description="hub id or local path")
    model_revision: str | None = None
    weights_sha256: str | None = None
    tokenizer: str
    chat_template_sha256: str | None = None
    prompt_template: str
    end_of_thinking_marker: str
    strategy: str
    budgets: list[int | None]
    solution_budget: int | None = None
    sampling: dict[str, float | int | bool | None]
    seeds: dict[str, int | None]
    k: int = Field(ge=1)
    dataset: DatasetRecord
    backend: str
    backend_args: dict[str, str | int | float | bool | None] = Field(default_factory=dict)
    versions: dict[str, str]
    git_commit: str | None = None
    hardware: str
    wall_time_seconds: float | None = Field(default=None, ge=0)
    lm_eval_config: dict | None = None


class ResultFile(_Strict):
    """One (model, task sweep): the unit the leaderboard shows and `submit` accepts."""

    schema_version: Literal["1.0"] = SCHEMA_VERSION
    kind: Literal["reproduced", "reported"]
    model_name: str = Field(min_length=1, max_length=200)
    benchmark: str = Field(min_length=1, max_length=100, description="e.g. 'aime', 'math500', 'toy'")
    task_group: str = Field(min_length=1, max_length=200, description="lm-eval group, e.g. elastic_aime")
    created: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))
    points: list[BudgetPoint] = Field(min_length=1)
    problem_ids: list[str] | None = None
    reproducibility: Reproducibility | None = None
    source: str | None = Field(default=None, description="citation for reported numbers")
    samples_file: str | None = Field(default=None, description="logged samples, relative to this file")
    notes: str | None = Field(default=None, max_length=5000)

    @model_validator(mode="after")
    def _consistent(self) -> ResultFile:
        if self.kind == "reproduced" and self.reproducibility is None:
            raise ValueError("a reproduced result needs a reproducibility record")
        if self.kind == "reported" and not self.source:
            raise ValueError("a reported result needs its source (paper, table)")
        labels = [p.label for p in self.points]
        if len(set(labels)) != len(labels):
            raise ValueError(f"duplicate budget labels: {labels}")
        budgets = [p.thinking_budget for p in self.points if p.thinking_budget is not None]
        if budgets != sorted(budgets):
            raise ValueError("points must be ordered by thinking budget (unconstrained last)")
        if (
            any(p.thinking_budget is None for p in self.points[:-1])
            and self.points[-1].thinking_budget is not None
        ):
            raise ValueError("the unconstrained point must come last")
        if self.problem_ids is not None:
            if len(set(self.problem_ids)) != len(self.problem_ids):
                raise ValueError("problem_ids must be unique")
            for p in self.points:
                if p.n_problems != len(self.problem_ids):
                    raise ValueError(
                        f"point {p.label} has n_problems={p.n_problems}, problem_ids has {len(self.problem_ids)}"
                    )
        if self.reproducibility is not None:
            declared = sorted(b for b in self.reproducibility.budgets if b is not None)
            if declared != budgets:
                raise ValueError(
                    f"reproducibility budgets {self.reproducibility.budgets} do not match points {budgets}"
                )
        return self

    def entry_id(self) -> str:
        """A stable file name stem for this entry: kind, model, task group."""
        safe = safe_filename(self.model_name)
        return f"{self.kind}__{safe}__{self.task_group}"


class ResultFileError(ValueError):
    """A result file that cannot be read or does not validate; the message says why."""


def read_json(path: str | Path, error: type[ValueError] = ResultFileError) -> object:
    """The decoded JSON of a file, or ``error`` with a one-line reason (unreadable, not UTF-8, not JSON)."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise error(f"{path.name}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise error(f"{path.name}: not UTF-8 text") from exc
    except json.JSONDecodeError as exc:
        raise error(f"{path.name}: not JSON: {exc.msg} at line {exc.lineno}") from exc


def load_result(path: str | Path) -> ResultFile:
    """Read and validate one result file; raises :class:`ResultFileError` with a one-line reason."""
    return parse_result(read_json(path), name=Path(path).name)


def parse_result(raw: object, name: str = "result") -> ResultFile:
    """Validate a decoded JSON object as a result file."""
    if not isinstance(raw, dict):
        raise ResultFileError(f"{name}: expected a JSON object, got {type(raw).__name__}")
    version = raw.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ResultFileError(f"{name}: unsupported schema_version {version!r} (expected {SCHEMA_VERSION!r})")
    try:
        return ResultFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(file)"
        raise ResultFileError(f"{name}: {where}: {first['msg']}") from exc


def save_result(result: ResultFile, path: str | Path) -> Path:
    """Write a result file (pretty JSON)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(result.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return path
