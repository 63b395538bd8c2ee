"""Eval-on-save: every checkpoint a trainer saves gets a small budget sweep and a result file.

One line in any TRL / transformers trainer::

    trainer.add_callback(EvalOnSaveCallback(tasks="elastic_toy", budgets=(64, 256), limit=20))

The sweep runs through the project's own run path (``elastic-bench run`` with elastic-hf) in a
subprocess, so the training process's memory and RNG are untouched.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from transformers import TrainerCallback

from elastic_bench.harness.protocol import DEFAULT_TASK


def sweep_tasks(tasks: str, budgets: Sequence[int] | None) -> str:
    """lm-eval task names: the group ``tasks`` or its per-budget tasks ``<task>_tNNNNN``."""
    if not budgets:
        return tasks
    return ",".join(f"{t}_t{int(b):05d}" for t in tasks.split(",") for b in budgets)


class EvalOnSaveCallback(TrainerCallback):
    """Run ``elastic-bench run`` on each saved checkpoint and keep its result file."""

    def __init__(
        self,
        tasks: str = DEFAULT_TASK,
        budgets: Sequence[int] | None = (64, 128, 256),
        limit: int | None = 20,
        results_dir: str | Path = "results/runs",
        extra_args: Sequence[str] = (),
    ):
        self.tasks = tasks
        self.budgets = tuple(budgets) if budgets else None
        self.limit = limit
        self.results_dir = Path(results_dir)
        self.extra_args = list(extra_args)
        self.evaluated: list[Path] = []

    def command(self, checkpoint: Path) -> list[str]:
        """The ``elastic-bench run`` command line for ``checkpoint``."""
        cmd = [
            sys.executable,
            "-m",
            "elastic_bench.harness.cli",
            "run",
            "--model_args",
            f"pretrained={checkpoint}",
        ]
        cmd += ["--tasks", sweep_tasks(self.tasks, self.budgets), "--results-dir", str(self.results_dir)]
        if self.limit:
            cmd += ["--limit", str(self.limit)]
        return cmd + self.extra_args

    def on_save(self, args, state, control, **kwargs):
        if not state.is_world_process_zero:
            return control
        checkpoint = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        if checkpoint.is_dir():
            subprocess.run(self.command(checkpoint), check=True)
            self.evaluated.append(checkpoint)
        return control
