"""Sub-records of the result schema: Codeforces ratings of code tasks, the training record of retrained
baselines, and the training run a checkpoint's evaluation belongs to.

Re-exported by :mod:`elastic_bench.harness.results._schema`, the schema's public module.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SHA256 = r"^[0-9a-f]{64}$"


class StrictModel(BaseModel):
    """A schema record: unknown fields are errors."""

    model_config = ConfigDict(extra="forbid", frozen=False)


class CodeforcesRating(StrictModel):
    """An Elo-style Codeforces rating estimated from a sweep point's submissions, or why there is none."""

    rating: float | None = Field(default=None, description="estimated rating")
    percentile: float | None = Field(default=None, ge=0.0, le=100.0, description="among rated humans")
    contests: list[str] = Field(default_factory=list, description="contest ids the rating is computed on")
    unavailable: str | None = Field(
        default=None, min_length=1, description="why no rating (then rating=None)"
    )

    @model_validator(mode="after")
    def _rating_or_reason(self) -> CodeforcesRating:
        if (self.rating is None) == (self.unavailable is None):
            raise ValueError("give either a rating or the reason it is unavailable, not both or neither")
        if self.rating is not None and not self.contests:
            raise ValueError("a rating needs the contests it was computed on")
        if self.rating is None and self.percentile is not None:
            raise ValueError("a percentile needs a rating")
        return self


class TrainingResume(StrictModel):
    """A restart of a training run from one of its checkpoints."""

    from_step: int = Field(ge=0, description="optimizer step of the checkpoint training continued from")
    earlier_seconds: float | None = Field(
        default=None,
        ge=0,
        description="wall time of the run up to that checkpoint, from its trainer state (time a killed "
        "segment spent after its last checkpoint is not known); None: the checkpoint does not say",
    )
    changed: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="settings changed on resuming (--allow-changed): dotted key -> {before, after}; "
        "the checkpoint's optimizer and scheduler state carry on",
    )


class TrainingRecord(StrictModel):
    """How a retrained baseline's weights were made (the evaluated model is the trained one)."""

    method: str = Field(min_length=1, description="training recipe, e.g. 'o1-pruner', 'elastic-grpo'")
    base_model: str = Field(min_length=1, description="hub id or path of the model training started from")
    base_weights_sha256: str | None = Field(default=None, pattern=SHA256)
    training_data: str | None = Field(default=None, description="data set id or path")
    training_data_sha256: str | None = Field(default=None, pattern=SHA256, description="content hash")
    hyperparameters: dict[str, Any] = Field(default_factory=dict, description="as given to the trainer")
    optimizer_steps: int = Field(ge=0)
    training_tokens: int = Field(ge=0, description="tokens the optimizer consumed")
    reference_sampling_tokens: int | None = Field(
        default=None, ge=0, description="tokens generated to build references / rollouts"
    )
    wall_time_seconds: float | None = Field(default=None, ge=0)
    seed: int | None = None
    world_size: int | None = Field(
        default=None,
        ge=1,
        description="training processes (data-parallel ranks) sharing the global batch; None: not recorded",
    )
    hardware: str = Field(min_length=1)
    library_versions: dict[str, str] = Field(
        default_factory=dict,
        description="torch, transformers, trl, ... that trained it: bitwise-equal weights need the same ones",
    )
    git_commit: str | None = Field(default=None, description="elastic-bench commit of the training code")
    resumed: list[TrainingResume] = Field(
        default_factory=list,
        description="restarts from a checkpoint, in order (empty: trained in one go); "
        "wall_time_seconds includes the time before the last one",
    )

    @field_validator("hyperparameters")
    @classmethod
    def _json_values(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"hyperparameters must be plain JSON values: {exc}") from None
        return value


class TrainingRun(StrictModel):
    """The training run an evaluated checkpoint was saved by (eval-on-save): the results of one run's
    checkpoints form a family, drawn against training step rather than ranked as separate entries."""

    run_id: str = Field(
        min_length=1, max_length=200, description="the training run, the same for every checkpoint"
    )
    step: int = Field(ge=0, description="optimizer step of the evaluated checkpoint")
    method: str | None = Field(default=None, min_length=1, description="training recipe, e.g. 'sft'")
    base_model: str | None = Field(default=None, min_length=1, description="the model training started from")
    base_weights_sha256: str | None = Field(default=None, pattern=SHA256)
