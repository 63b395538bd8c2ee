"""Real workers on the embedded tiny reasoner (elastic_toy, a few problems per budget): two workers drain
four requests, each evaluated once; a worker killed with SIGKILL mid-request is replaced after its lease
and nothing is generated twice; two requests run in parallel as Ray tasks on a local Ray instance.

Generations are counted in each request's journal (one row per generation, so a response generated
twice shows twice). Worker processes are stopped by their PIDs.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from elastic_bench.harness.queue import (
    FINISHED,
    RUNNING,
    RequestStore,
    WorkerSettings,
    check_checkpoint,
    journal_counts,
    run_ray,
)

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "models" / "tiny_reasoner" / "checkpoint"
BASELINES = ROOT / "models" / "tiny_reasoner" / "baselines"
MODELS = [TINY, BASELINES / "sft", BASELINES / "dpo", BASELINES / "elastic"]
#: problems per budget; elastic_toy has 4 budgets + unconstrained, k=1
LIMIT = 2
PER_REQUEST = LIMIT * 5


def _worker(results: Path, *args: str, log: Path) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    cmd = [sys.executable, "-m", "elastic_bench.harness.cli", "worker", "--results-dir", str(results), *args]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def _submit(store: RequestStore, models: list[Path]) -> list[str]:
    return [store.submit(check_checkpoint(str(m)), ["toy"]).id for m in models]


def _journal(store: RequestStore, request_id: str):
    return journal_counts(store.request_dir(request_id) / "journal.sqlite")


def _statuses(store: RequestStore, request_id: str) -> list[str]:
    return [e.status for e in store.history(request_id)]


def test_two_workers_drain_four_requests_each_evaluated_once(tmp_path: Path) -> None:
    results = tmp_path / "results"
    store = RequestStore.of_results(results)
    ids = _submit(store, MODELS)
    args = ("--drain", "--limit", str(LIMIT), "--poll", "0.5", "--model_args", "threads=1")
    workers = [_worker(results, *args, "--name", f"w{n}", log=tmp_path / f"w{n}.log") for n in (1, 2)]
    try:
        for proc in workers:
            assert proc.wait(timeout=240) == 0, (tmp_path / "w1.log").read_text()[-2000:]
    finally:
        for proc in workers:
            _stop(proc)
    took = {}
    for request_id in ids:
        state = store.get(request_id)
        assert state.status == FINISHED and _statuses(store, request_id) == ["pending", RUNNING, FINISHED]
        counts = _journal(store, request_id)
        assert (counts.responses, counts.generations, counts.regenerated) == (PER_REQUEST, PER_REQUEST, 0)
        took[request_id] = state.worker
        (path,) = state.result_files  # partial (--limit): kept in its run folder, marked verified
        assert path.startswith("runs/") and "verified__" in path
    assert set(took.values()) == {"w1", "w2"}  # both workers took requests


def test_a_killed_worker_is_replaced_after_its_lease_and_nothing_is_generated_twice(tmp_path: Path) -> None:
    results = tmp_path / "results"
    store = RequestStore.of_results(results)
    (request_id,) = _submit(store, [TINY])
    limit = 6
    common = (
        "--limit",
        str(limit),
        "--lease",
        "3",
        "--poll",
        "0.5",
        "--model_args",
        "threads=1,groups_per_batch=1",
    )
    first = _worker(results, "--once", "--name", "doomed", *common, log=tmp_path / "doomed.log")
    try:
        deadline = time.time() + 120
        while _journal(store, request_id).responses < 5 and time.time() < deadline and first.poll() is None:
            time.sleep(0.05)
        partial = _journal(store, request_id).responses
        assert 5 <= partial < limit * 5, "the worker was to be killed mid-request"
        os.kill(first.pid, signal.SIGKILL)
    finally:
        _stop(first)
    assert store.get(request_id).status == RUNNING  # nobody marked it: the lease must expire
    second = _worker(results, "--drain", "--name", "heir", *common, log=tmp_path / "heir.log")
    try:
        assert second.wait(timeout=180) == 0, (tmp_path / "heir.log").read_text()[-2000:]
    finally:
        _stop(second)
    state = store.get(request_id)
    assert state.status == FINISHED and state.worker == "heir" and state.attempts == 2
    events = store.history(request_id)
    assert [e.status for e in events] == ["pending", RUNNING, RUNNING, FINISHED]
    assert events[2].detail["taken_over_from"] == "doomed"
    counts = _journal(store, request_id)
    assert (counts.responses, counts.generations, counts.regenerated) == (limit * 5, limit * 5, 0)
    # the heir read what the killed worker had journaled (at least what was there before the kill)
    resumed = (store.request_dir(request_id) / "attempt-2.log").read_text()
    match = re.search(r"resuming from \S+: (\d+) of (\d+) requests already done", resumed)
    assert match and int(match[1]) >= partial and int(match[2]) == limit * 5, resumed[-2000:]


def test_ray_tasks_evaluate_two_requests_in_parallel_each_once(tmp_path: Path) -> None:
    ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'elastic-bench[cluster]')")
    results = tmp_path / "results"
    store = RequestStore.of_results(results)
    ids = _submit(store, MODELS[:2])
    settings = WorkerSettings(results_dir=results, limit=LIMIT, lease_seconds=30, poll_seconds=0.5)
    lines: list[str] = []
    try:
        counts = run_ray(settings, drain=True, say=lines.append, init_kwargs={"num_cpus": 2})
    finally:
        ray.shutdown()
    assert counts == {"finished": 2, "failed": 0, "lost": 0}, lines
    windows = []
    for request_id in ids:
        state = store.get(request_id)
        assert state.status == FINISHED and _statuses(store, request_id) == ["pending", RUNNING, FINISHED]
        assert "/ray-" in state.worker
        journal = _journal(store, request_id)
        assert (journal.responses, journal.generations, journal.regenerated) == (PER_REQUEST, PER_REQUEST, 0)
        events = store.history(request_id)
        windows.append((events[1].at, events[2].at))
    (start_a, end_a), (start_b, end_b) = windows
    assert max(start_a, start_b) < min(end_a, end_b), "the two requests did not run at the same time"
    assert "2 requests at a time" in lines[0]
