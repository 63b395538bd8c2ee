"""Eval-on-save: every checkpoint a trainer saves gets a small budget sweep and a result file.

One line in any TRL / transformers trainer::

    trainer.add_callback(EvalOnSaveCallback(tasks="elastic_toy", budgets=(64, 256), limit=20))

The sweep is the project's own (:func:`elastic_bench.harness.lmeval.run_sweep` with elastic-hf). Each
result carries its training run (:class:`~elastic_bench.harness.results.TrainingRun`: run id, step,
method, base) and goes to ``<results_dir>/families/<run id>/``, where the leaderboard draws the run's
checkpoints as one family against training step. The run's id, method and base come from the
``run.json`` that ``elastic-bench train`` writes into its output folder, or from the arguments.

In the training process (the default) the random number generators' states are restored after each
sweep, so training draws the same numbers as without the callback. With ``background=True`` the
sweeps run one after another in a separate process on a hard-linked snapshot of each checkpoint
(checkpoint rotation cannot delete it meanwhile), so training does not wait and its random state is
never touched; the end of training waits for the pending sweeps and raises if one failed.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import random
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import TrainerCallback

from elastic_bench.harness.lmeval import SweepRequest, run_sweep
from elastic_bench.harness.protocol import DEFAULT_TASK
from elastic_bench.harness.results import (
    DEFAULT_RESULTS_DIR,
    ResultFile,
    TrainingRun,
    family_path,
    save_result,
)

#: hidden folder of the output dir holding checkpoint snapshots that wait for a background sweep
PENDING_DIRNAME = ".eval-on-save"


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


def new_run_id(output_dir: str | Path) -> str:
    """A training run's id: its output folder's name and the UTC time it started."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return f"{Path(output_dir).resolve().name or 'run'}-{stamp}"


def family_member_name(run: TrainingRun) -> str:
    """The display name of a run's checkpoint, e.g. ``tiny_reasoner (SFT) step 40``."""
    from elastic_bench.baselines.pipeline import method_model_name
    from elastic_bench.harness.lmeval import model_name_of

    base = model_name_of(run.base_model) if run.base_model else run.run_id
    return f"{method_model_name(base, run.method) if run.method else base} step {run.step}"


def evaluate_checkpoint(
    request: SweepRequest, snapshot: str | None = None, checkpoint: str | None = None
) -> list[Path]:
    """Run ``request`` (a checkpoint's sweep, ``store=False``) and write each result into its family
    folder; a ``snapshot`` evaluated in place of ``checkpoint`` is recorded as the checkpoint and
    removed afterwards. Returns the written paths."""
    try:
        outcome = run_sweep(request)
        written = []
        for result in outcome.results if outcome is not None else []:
            if snapshot and checkpoint:
                result = as_checkpoint(result, snapshot, checkpoint)
            dest = family_path(result, request.results_dir)
            samples = os.path.relpath(outcome.samples_dir, dest.parent)
            written.append(save_result(result.model_copy(update={"samples_file": samples}), dest))
        return written
    finally:
        if snapshot:
            shutil.rmtree(snapshot, ignore_errors=True)


def as_checkpoint(result: ResultFile, snapshot: str, checkpoint: str) -> ResultFile:
    """``result`` with its reproducibility record naming ``checkpoint`` where the sweep read ``snapshot``."""
    rep = result.reproducibility
    if rep is None:
        return result
    swap = lambda value: checkpoint if value == snapshot else value  # noqa: E731
    rep = rep.model_copy(
        update={
            "model": swap(rep.model),
            "tokenizer": swap(rep.tokenizer),
            "backend_args": {k: swap(v) for k, v in rep.backend_args.items()},
        }
    )
    return result.model_copy(update={"reproducibility": rep})


def _snapshot(checkpoint: Path, pending: Path) -> Path:
    """``checkpoint``'s files hard-linked (copied where links fail) into ``pending/<name>``."""
    dest = pending / checkpoint.name
    shutil.rmtree(dest, ignore_errors=True)

    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(checkpoint, dest, copy_function=link)
    return dest


class EvalOnSaveCallback(TrainerCallback):
    """Run the project's budget sweep on each saved checkpoint and keep its result in the run's family."""

    def __init__(
        self,
        tasks: str = DEFAULT_TASK,
        budgets: Sequence[int] | None = (64, 128, 256),
        limit: int | None = 20,
        results_dir: str | Path = DEFAULT_RESULTS_DIR,
        request: Mapping[str, Any] | None = None,
        *,
        background: bool = False,
        run_id: str | None = None,
        method: str | None = None,
        base_model: str | None = None,
        base_weights_sha256: str | None = None,
        evaluate: Callable[..., list[Path]] = evaluate_checkpoint,
    ):
        self.tasks = tasks
        self.budgets = tuple(budgets) if budgets else None
        self.limit = limit
        self.results_dir = Path(results_dir)
        self.request = dict(request or {})  # further SweepRequest fields (batch_size, k, ...)
        self.background = background
        self.run = {"run_id": run_id, "method": method, "base_model": base_model}
        self.base_weights_sha256 = base_weights_sha256
        self.evaluate = evaluate  # module-level, so a background process can run it
        self.evaluated: list[Path] = []
        self.written: list[Path] = []
        self._pending: list[tuple[Path, Future]] = []
        self._pool: ProcessPoolExecutor | None = None

    def _run_info(self, output_dir: str | Path) -> dict[str, Any]:
        """Run id, method and base: the arguments, else ``run.json`` of the output folder; the id is
        made (and kept for the rest of the run) when neither names one."""
        from elastic_bench.baselines.train import RUN_FILE

        path = Path(output_dir) / RUN_FILE
        try:
            written = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        except (OSError, ValueError):
            written = {}
        if self.run["run_id"] is None:
            self.run["run_id"] = written.get("run_id") or new_run_id(output_dir)
        self.run["method"] = self.run["method"] or written.get("method")
        self.run["base_model"] = self.run["base_model"] or written.get("base")
        if self.base_weights_sha256 is None and self.run["base_model"]:
            from elastic_bench.harness.provenance import weights_sha256

            self.base_weights_sha256 = weights_sha256(self.run["base_model"]) or ""
        return self.run

    def training_run(self, output_dir: str | Path, step: int) -> TrainingRun:
        """The :class:`TrainingRun` record of the checkpoint saved at ``step``."""
        info = self._run_info(output_dir)
        return TrainingRun(step=step, base_weights_sha256=self.base_weights_sha256 or None, **info)

    def sweep_request(self, checkpoint: Path, run: TrainingRun | None = None) -> SweepRequest:
        """The sweep of ``checkpoint`` (results kept out of the ranked entries: ``store=False``)."""
        update = {"training_run": run, "model_name": family_member_name(run)} if run else {}
        return SweepRequest(
            model_args={"pretrained": str(checkpoint)},
            tasks=tuple(sweep_tasks(self.tasks, self.budgets).split(",")),
            limit=self.limit or None,
            results_dir=self.results_dir,
            store=False,
            entry_update=update,
            **self.request,
        )

    def on_train_begin(self, args, state, control, **kwargs):
        if state.is_world_process_zero:
            self._run_info(args.output_dir)
        return control

    def on_save(self, args, state, control, **kwargs):
        if not state.is_world_process_zero:
            return control
        checkpoint = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        if not checkpoint.is_dir():
            return control
        run = self.training_run(args.output_dir, state.global_step)
        if self.background:
            snapshot = _snapshot(checkpoint, Path(args.output_dir) / PENDING_DIRNAME)
            request = self.sweep_request(snapshot, run)
            future = self._executor().submit(self.evaluate, request, str(snapshot), str(checkpoint))
            self._pending.append((checkpoint, future))
        else:
            with preserved_rng():
                self.written += self.evaluate(self.sweep_request(checkpoint, run))
        self.evaluated.append(checkpoint)
        return control

    def on_train_end(self, args, state, control, **kwargs):
        self.wait()
        return control

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:  # spawned: the child shares no random state or threads with training
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        return self._pool

    def wait(self) -> list[Path]:
        """Wait for the background sweeps; returns every written result path, or raises a one-line
        ``RuntimeError`` naming the first checkpoint whose sweep failed (the others still finish)."""
        failed = None
        for checkpoint, future in self._pending:
            try:
                self.written += future.result()
            except Exception as exc:  # noqa: BLE001 - reported below, after the other sweeps finished
                failed = failed or (checkpoint, exc)
        self._pending = []
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        if failed is not None:
            checkpoint, exc = failed
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise RuntimeError(f"eval-on-save of {checkpoint.name} failed: {first}") from exc
        return self.written
