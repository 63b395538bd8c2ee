"""Eval-on-save: every checkpoint a trainer saves gets a small budget sweep and a result file.

One line in any TRL / transformers trainer::

    trainer.add_callback(EvalOnSaveCallback(tasks="elastic_toy", budgets=(64, 256), limit=20))

The sweep is the project's own (:func:`elastic_bench.harness.lmeval.run_sweep` with elastic-hf) in
the training process; the random number generators' states are restored afterwards, so training
draws the same numbers as without the callback.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import TrainerCallback

from elastic_bench.harness.lmeval import SweepRequest, run_sweep
from elastic_bench.harness.protocol import DEFAULT_TASK


@contextlib.contextmanager
def preserved_rng() -> Iterator[None]:
    """Python's, numpy's and torch's random states as they were before the block."""
    states = (random.getstate(), np.random.get_state(), torch.random.get_rng_state())
    try:
        yield
    finally:
        random.setstate(states[0])
        np.random.set_state(states[1])
        torch.random.set_rng_state(states[2])


def sweep_tasks(tasks: str, budgets: Sequence[int] | None) -> str:
    """lm-eval task names: the group ``tasks`` or its per-budget tasks ``<task>_tNNNNN``."""
    if not budgets:
        return tasks
    return ",".join(f"{t}_t{int(b):05d}" for t in tasks.split(",") for b in budgets)


class EvalOnSaveCallback(TrainerCallback):
    """Run the project's budget sweep on each saved checkpoint and keep its result file."""

    def __init__(
        self,
        tasks: str = DEFAULT_TASK,
        budgets: Sequence[int] | None = (64, 128, 256),
        limit: int | None = 20,
        results_dir: str | Path = "results/runs",
        request: Mapping[str, Any] | None = None,
    ):
        self.tasks = tasks
        self.budgets = tuple(budgets) if budgets else None
        self.limit = limit
        self.results_dir = Path(results_dir)
        self.request = dict(request or {})  # further SweepRequest fields (batch_size, k, ...)
        self.evaluated: list[Path] = []

    def sweep_request(self, checkpoint: Path) -> SweepRequest:
        """The sweep of ``checkpoint``."""
        return SweepRequest(
            model_args={"pretrained": str(checkpoint)},
            tasks=tuple(sweep_tasks(self.tasks, self.budgets).split(",")),
            limit=self.limit or None,
            results_dir=self.results_dir,
            **self.request,
        )

    def on_save(self, args, state, control, **kwargs):
        if not state.is_world_process_zero:
            return control
        checkpoint = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        if checkpoint.is_dir():
            with preserved_rng():
                run_sweep(self.sweep_request(checkpoint))
            self.evaluated.append(checkpoint)
        return control
