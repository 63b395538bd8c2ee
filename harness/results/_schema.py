"""The result-file schema: one validated JSON per (model, task sweep), versioned.

A result file holds per-budget metrics with confidence intervals, per-problem scores (so
paired comparisons and AES can be recomputed) and a reproducibility record. "reported" files
carry published numbers (with their source) and are never mixed with "reproduced" ones.

Schema history (``schema_version``, "major.minor"; files of an older version are migrated on load,
files of a newer major version are refused):

* 1.0: the first landing.
* 1.1: per point ``budget_stated``, ``boxed_rate`` / ``fallback_rate`` / ``timeout_rate``,
  ``pass_at_k``, ``test_verdicts``, ``codeforces``; per file ``test_set``, ``sandbox_mode`` and
  ``training``.
  Migration from 1.0: a reported point with no thinking budget whose label is not "unconstrained"
  was run under a budget the source does not state (``budget_stated=False``).
* 1.2: per file ``reported_source`` (:class:`ReportedSource`: the source table, who evaluated and
  how it was read, k, temperature, what the tokens count, the length cap, the exact benchmark
  version, what a budget means) and ``grading_semantics`` (code tasks); a reported point may carry
  an accuracy without a token count (an accuracy-only published number: shown in tables, not on
  token axes); per file ``verification`` (:class:`Verification`: a verified entry, measured by the
  leaderboard's own worker, names its evaluation request; without it an entry is self-reported).
  A ``training`` record may list its ``resumed`` restarts (:class:`TrainingResume`: the checkpoint's
  step, the run's time before it, settings changed on resuming).
  Migration from 1.1: none needed (every new field is optional; older reported files have no
  ``reported_source`` and show as provenance "unstated", older reproduced ones are self-reported).
* 1.3: per file ``training_run`` (:class:`TrainingRun`: the run id and step of a checkpoint evaluated
  during training; the results of one run form a family) and ``alias_of`` (the model name of an entry
  with the same weights this one is a declared alias of).
  Migration from 1.2: none needed (both fields are optional: older files are neither).

Reading, migrating and writing files: :mod:`elastic_bench.harness.results._io`.
"""

from __future__ import annotations

import math
import unicodedata
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from elastic_bench.harness.protocol import (
    CODE_SAMPLE_METRICS,
    SAMPLE_METRICS,
    STRATEGY_NAMES,
    TEST_VERDICTS,
    UNCONSTRAINED,
    safe_filename,
)
from elastic_bench.harness.results._records import CodeforcesRating, TrainingRecord, TrainingRun
from elastic_bench.harness.results._records import StrictModel as _Strict
from elastic_bench.harness.results._reported import ReportedSource
from elastic_bench.harness.results._verification import VERIFIED_DIRNAME, Verification

__all__ = [
    "FAMILIES_DIRNAME",
    "RUNS_DIRNAME",
    "SAMPLES_DIRNAME",
    "SAMPLE_METRICS",
    "CODE_SAMPLE_METRICS",
    "SCHEMA_VERSION",
    "STRATEGY_NAMES",
    "TEST_VERDICTS",
    "BudgetPoint",
    "CodeforcesRating",
    "DatasetRecord",
    "ReportedSource",
    "Reproducibility",
    "ResultFile",
    "TrainingRecord",
    "TrainingRun",
    "VERIFIED_DIRNAME",
    "Verification",
]

SCHEMA_VERSION = "1.3"
#: layout of a results directory: entries anywhere, except these top-level folders
SAMPLES_DIRNAME = "samples"  # logged samples copied next to the entries
RUNS_DIRNAME = "runs"  # raw lm-eval outputs of `elastic-bench run`
FAMILIES_DIRNAME = "families"  # results of training checkpoints (eval-on-save), one folder per run
#: where the leaderboard's entries live unless told otherwise
DEFAULT_RESULTS_DIR = Path("results")


class BudgetPoint(_Strict):
    """Metrics of one budget of a sweep (one lm-eval subtask)."""

    label: str = Field(description="'t=00512' style label, or 'unconstrained'")
    task: str = Field(description="lm-eval subtask name")
    thinking_budget: int | None = Field(ge=1, description="None = unconstrained")
    solution_budget: int | None = Field(default=None, ge=1)
    strategy: str
    n_problems: int | None = Field(
        ge=1, description="None only for published numbers on a set whose size the source does not state"
    )
    k: int = Field(ge=1, description="samples per problem (avg@k)")
    accuracy: float | None = Field(
        ge=0.0, le=1.0, description="None only for a published Codeforces rating that states no pass rate"
    )
    accuracy_ci: tuple[float, float] | None = Field(
        default=None, description="95% bootstrap CI over problems"
    )
    mean_think_tokens: float | None = Field(default=None, ge=0)
    mean_answer_tokens: float | None = Field(default=None, ge=0)
    mean_total_tokens: float | None = Field(
        ge=0,
        description="None only for published numbers without a token count (a Codeforces rating, an "
        "accuracy-only result)",
    )
    think_truncation_rate: float | None = Field(default=None, ge=0.0, le=1.0)
    answer_truncation_rate: float | None = Field(default=None, ge=0.0, le=1.0)
    no_answer_rate: float | None = Field(default=None, ge=0.0, le=1.0)
    tokens_per_correct: float | None = Field(default=None, ge=0)
    per_problem_accuracy: list[float] | None = Field(
        default=None, description="mean score per problem, aligned with ResultFile.problem_ids"
    )
    per_problem_tokens: list[float] | None = None
    # schema 1.1
    budget_stated: bool = Field(
        default=True,
        description="False: a published point run under a budget whose value the source does not state "
        "(thinking_budget is then None and the point is not unconstrained)",
    )
    boxed_rate: float | None = Field(
        default=None, ge=0.0, le=1.0, description="share of samples graded from a \\boxed{} answer"
    )
    fallback_rate: float | None = Field(
        default=None, ge=0.0, le=1.0, description="share graded from a final-answer statement (no box)"
    )
    timeout_rate: float | None = Field(
        default=None, ge=0.0, le=1.0, description="share whose grading hit the grader's hard timeout"
    )
    pass_at_k: dict[int, float] | None = Field(
        default=None, description="code tasks: unbiased pass@k estimate per k (k <= samples per problem)"
    )
    test_verdicts: dict[str, int] | None = Field(
        default=None, description="code tasks: number of samples per final test verdict (TEST_VERDICTS)"
    )
    codeforces: CodeforcesRating | None = None
    mean_prompt_tokens: float | None = Field(
        default=None,
        ge=0,
        description="mean prompt (input) tokens per request: the problem's prompt as sent, chat template "
        "applied, once per request (API billing of a two-phase strategy's second call may add the "
        "thinking as input); None where not recorded",
    )

    @property
    def unconstrained(self) -> bool:
        """Whether this point ran without a thinking budget (not merely one the source does not state)."""
        return self.thinking_budget is None and self.budget_stated

    @field_validator("strategy")
    @classmethod
    def _known_strategy(cls, value: str) -> str:
        if value not in STRATEGY_NAMES:
            raise ValueError(f"unknown strategy {value!r}; expected one of {STRATEGY_NAMES}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> BudgetPoint:
        if self.accuracy is None:
            if self.codeforces is None or self.codeforces.rating is None:
                raise ValueError(
                    "accuracy is required (only a published Codeforces rating may leave accuracy and "
                    "mean_total_tokens unset)"
                )
            if self.per_problem_accuracy is not None or self.accuracy_ci is not None:
                raise ValueError("a point without accuracy has no CI or per-problem accuracy")
            return self
        if self.mean_total_tokens is None:
            counts = (self.mean_think_tokens, self.mean_answer_tokens, self.tokens_per_correct)
            if any(v is not None for v in counts) or self.per_problem_tokens is not None:
                raise ValueError("an accuracy-only point has no token counts")
        for name in ("accuracy", "mean_total_tokens"):
            value = getattr(self, name)
            if value is not None and not math.isfinite(value):
                raise ValueError(f"{name} must be finite")
        if self.accuracy_ci is not None:
            lo, hi = self.accuracy_ci
            if not (0.0 <= lo <= hi <= 1.0):
                raise ValueError(f"accuracy_ci {self.accuracy_ci} is not an interval inside [0, 1]")
            if not (lo - 1e-9 <= self.accuracy <= hi + 1e-9):
                raise ValueError(f"accuracy {self.accuracy} lies outside its CI {self.accuracy_ci}")
        if self.n_problems is None and (
            self.per_problem_accuracy is not None
            or self.per_problem_tokens is not None
            or self.test_verdicts is not None
        ):
            raise ValueError("per-problem values and test verdicts need n_problems")
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
        if not self.budget_stated and (self.thinking_budget is not None or self.label == UNCONSTRAINED):
            raise ValueError(
                "a point whose budget is not stated has no thinking_budget and is not 'unconstrained'"
            )
        self._check_code_fields()
        return self

    def _check_code_fields(self) -> None:
        if self.pass_at_k is not None:
            ks = sorted(self.pass_at_k)
            if not ks or ks[0] < 1 or ks[-1] > self.k:
                raise ValueError(f"pass_at_k needs k values in 1..{self.k} (samples per problem), got {ks}")
            values = [self.pass_at_k[k] for k in ks]
            if any(not (0.0 <= v <= 1.0) for v in values):
                raise ValueError("pass_at_k values must lie in [0, 1]")
            if any(b < a - 1e-9 for a, b in zip(values, values[1:], strict=False)):
                raise ValueError("pass_at_k must not decrease with k")
        if self.test_verdicts is not None:
            unknown = sorted(set(self.test_verdicts) - set(TEST_VERDICTS))
            if unknown:
                raise ValueError(f"unknown test verdicts {unknown}; expected some of {TEST_VERDICTS}")
            if any(n < 0 for n in self.test_verdicts.values()):
                raise ValueError("test verdict counts must be >= 0")
            total = sum(self.test_verdicts.values())
            if total != self.n_problems * self.k:
                raise ValueError(
                    f"test_verdicts count {total} samples, expected n_problems x k = {self.n_problems * self.k}"
                )


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

    schema_version: Literal["1.3"] = SCHEMA_VERSION
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
    # schema 1.1
    test_set: Literal["public", "hidden"] | None = Field(
        default=None, description="code tasks: which tests the verdicts come from"
    )
    training: TrainingRecord | None = Field(default=None, description="for retrained baselines")
    sandbox_mode: str | None = Field(
        default=None,
        max_length=100,
        description="code tasks: the isolation the tests ran under (e.g. bwrap+uid)",
    )
    # schema 1.2
    reported_source: ReportedSource | None = Field(
        default=None, description="reported entries: the source table, provenance and protocol"
    )
    grading_semantics: Literal["lcb", "judge"] | None = Field(
        default=None,
        description="code tasks: the grading semantics the test verdicts follow ('lcb': LiveCodeBench's "
        "runner, verdict for verdict; 'judge': a contest judge's process semantics)",
    )
    verification: Verification | None = Field(
        default=None,
        description="verified entries: the evaluation request the leaderboard's worker measured it for "
        "(absent: self-reported)",
    )
    # schema 1.3
    training_run: TrainingRun | None = Field(
        default=None, description="a checkpoint evaluated during training: its run and step (a family member)"
    )
    alias_of: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="the model name of the entry with the same weights this one is a declared alias of",
    )

    @property
    def verified(self) -> bool:
        """Whether the leaderboard measured this entry itself (else it is self-reported or published)."""
        return self.verification is not None

    @field_validator("model_name")
    @classmethod
    def _shown_as_written(cls, value: str) -> str:
        # control and format characters (NUL, U+202E right-to-left override ...) would let a name
        # look like another on the board
        hidden = [c for c in value if unicodedata.category(c) in ("Cc", "Cf")]
        if hidden:
            raise ValueError(f"model_name holds control or formatting character U+{ord(hidden[0]):04X}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ResultFile:
        if self.kind == "reproduced" and self.reproducibility is None:
            raise ValueError("a reproduced result needs a reproducibility record")
        if self.kind == "reported" and not self.source:
            raise ValueError("a reported result needs its source (paper, table)")
        if self.verification is not None and self.kind != "reproduced":
            raise ValueError("verification is for reproduced results (a published number is not measured)")
        if self.training_run is not None and self.kind != "reproduced":
            raise ValueError("training_run is for reproduced results (a checkpoint evaluated here)")
        if self.alias_of is not None and self.alias_of == self.model_name:
            raise ValueError("alias_of names another entry's model, not this one's")
        if self.reported_source is not None:
            if self.kind != "reported":
                raise ValueError("reported_source is for reported results (published numbers)")
            stated_k = self.reported_source.k
            if stated_k is not None and any(p.k != stated_k for p in self.points):
                raise ValueError(f"reported_source.k={stated_k} but a point has another k")
        labels = [p.label for p in self.points]
        if len(set(labels)) != len(labels):
            raise ValueError(f"duplicate budget labels: {labels}")
        budgets = [p.thinking_budget for p in self.points if p.thinking_budget is not None]
        if budgets != sorted(budgets):
            raise ValueError("points must be ordered by thinking budget (unconstrained last)")
        if any(
            p.unconstrained and not q.unconstrained
            for p, q in zip(self.points, self.points[1:], strict=False)
        ):
            raise ValueError("the unconstrained point must come last")
        if self.kind == "reproduced" and any(
            p.accuracy is None or p.mean_total_tokens is None for p in self.points
        ):
            raise ValueError("a reproduced result has accuracy and mean_total_tokens at every point")
        if self.kind == "reproduced" and any(p.n_problems is None for p in self.points):
            raise ValueError("a reproduced result has n_problems at every point")
        if self.kind == "reproduced" and not all(p.budget_stated for p in self.points):
            raise ValueError(
                "a reproduced result knows its budgets (budget_stated=False is for reported ones)"
            )
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
        """A stable file name stem for this entry: kind (``verified`` for verified ones), model, task group."""
        safe = safe_filename(self.model_name)
        return f"{VERIFIED_DIRNAME if self.verified else self.kind}__{safe}__{self.task_group}"
