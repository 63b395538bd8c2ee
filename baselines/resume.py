"""Resuming a training run: what its checkpoints remember and what its record says.

Every checkpoint's trainer state (``trainer_state.json``, under ``stateful_callbacks`` key
:data:`RUN_STATE_KEY`) holds the run's wall time so far, the settings it trained with and its
earlier resumes (written by :class:`RunClock`). A resumed run compares its settings with the
checkpoint's: changed ones are refused unless allowed, and then recorded before and after. Its
record adds the time before the checkpoint; what a killed segment spent after its last checkpoint
is lost with it and not counted.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

#: the trainer-state entry holding the run's clock, settings and resumes
RUN_STATE_KEY = "elastic_bench_run"


def plain(spec: dict) -> dict:
    """A recipe spec as plain JSON values (as run.json and the trainer state hold it)."""
    return json.loads(json.dumps(spec, default=str))


class RunClock(TrainerCallback):
    """Puts the run's wall time so far, settings and resumes into the trainer state at every step, so
    each checkpoint carries them."""

    def __init__(self, spec: dict, earlier: float = 0.0, resumes: list[dict] | None = None) -> None:
        self.spec = plain(spec)
        self.earlier = float(earlier)
        self.resumes = list(resumes or [])
        self.started = time.monotonic()

    def seconds(self) -> float:
        """The run's wall time: earlier segments (up to the checkpoint resumed from) plus this one."""
        return self.earlier + time.monotonic() - self.started

    def on_step_end(self, args, state, control, **kwargs):
        state.stateful_callbacks[RUN_STATE_KEY] = {
            "seconds": round(self.seconds(), 2),
            "spec": self.spec,
            "resumes": self.resumes,
        }
        return control


def saved_run_state(checkpoint: str | Path) -> dict[str, Any]:
    """The run state in a checkpoint's trainer state (empty when it was written without one), with
    the checkpoint's optimizer step as ``step``."""
    try:
        raw = json.loads((Path(checkpoint) / "trainer_state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raw = {}
    raw = raw if isinstance(raw, dict) else {}
    state = (raw.get("stateful_callbacks") or {}).get(RUN_STATE_KEY)
    state = dict(state) if isinstance(state, dict) else {}
    step = raw.get("global_step")
    if not isinstance(step, int):
        step = int(Path(checkpoint).name.rpartition("-")[2] or 0)
    return {**state, "step": step}


def changed_settings(before: dict, now: dict, prefix: str = "") -> dict[str, dict[str, Any]]:
    """Dotted keys whose values differ between two nested recipe specs: ``{key: {before, after}}``."""
    out: dict[str, dict[str, Any]] = {}
    for key in sorted(set(before) | set(now)):
        a, b = before.get(key), now.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            out.update(changed_settings(a, b, f"{prefix}{key}."))
        elif a != b:
            out[f"{prefix}{key}"] = {"before": a, "after": b}
    return out


def describe(changed: dict[str, dict[str, Any]]) -> str:
    """``"trainer.learning_rate: 0.0003 -> 0.01, ..."``."""
    return ", ".join(f"{k}: {v['before']!r} -> {v['after']!r}" for k, v in changed.items())


@dataclass
class ResumePlan:
    """Where a run continues from: the checkpoint (None: from the start), the time before it (None:
    the checkpoint did not record it) and the run's resumes, this one last."""

    checkpoint: str | None = None
    earlier_seconds: float | None = None
    resumes: list[dict] = field(default_factory=list)


def plan_resume(
    out: Path, checkpoint: str | None, run_spec: dict, spec: dict, allow_changed: bool
) -> ResumePlan:
    """How to resume the run in ``out`` from ``checkpoint`` with ``spec``; ValueError (one line) when
    the settings changed and ``allow_changed`` is false. ``run_spec`` (run.json's) stands in for a
    checkpoint written without its settings."""
    if checkpoint is None:  # nothing trained yet: a fresh start in the same folder
        return ResumePlan()
    saved = saved_run_state(checkpoint)
    before = saved.get("spec") if isinstance(saved.get("spec"), dict) else run_spec
    changed = changed_settings(before, plain(spec))
    if changed and not allow_changed:
        # the checkpoint's optimizer and scheduler state carry on whatever the line says: refusing
        # (or recording both values) keeps the record true
        raise ValueError(
            f"cannot resume {str(out)!r} with changed settings ({describe(changed)}); resume with the "
            "run's own settings, pass --allow-changed to train on and record both, or use a new --output-dir"
        )
    seconds = saved.get("seconds")
    earlier = float(seconds) if isinstance(seconds, (int, float)) and seconds >= 0 else None
    history = [r for r in saved.get("resumes") or [] if isinstance(r, dict)]
    resume = {"from_step": int(saved["step"]), "earlier_seconds": earlier, "changed": changed}
    return ResumePlan(checkpoint, earlier, [*history, resume])
