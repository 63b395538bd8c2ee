"""The evaluation worker: take the oldest pending request, evaluate it under its recorded protocol
through :func:`~elastic_bench.harness.lmeval.run_sweep`, store verified entries, record the outcome.

Every finished generation goes to the request's own response journal (``<results>/.queue/<id>/``), so
a restarted or replacement worker resumes without generating anything again. While it works, a
heartbeat renews the worker's lease and records progress from the journal; a worker that dies stops
renewing, and once the lease expires another worker takes the request over. A worker that finds its
lease taken stops and stores nothing. The sweep's output goes to a log beside the journal; a failure
records its one-line reason and the log's tail.
"""

from __future__ import annotations

import _thread
import logging
import os
import re
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from elastic_bench.harness.protocol import DEFAULT_BACKEND
from elastic_bench.harness.queue._journal import JOURNAL_FILENAME, journal_counts
from elastic_bench.harness.queue._request import (
    CHAT_MODEL_ARG,
    EvaluationRequest,
    QueueError,
    benchmark_protocol,
)
from elastic_bench.harness.queue._store import Claim, RequestStore
from elastic_bench.harness.results import DEFAULT_RESULTS_DIR

#: model args that come from the request (the model, its marker and template) or the queue (the journal)
REQUEST_MODEL_ARGS = frozenset({"pretrained", "model", "revision", "think_end", "chat", "journal", "seed"})
LOG_TAIL_LINES = 20
Say = Callable[[str], None]


@dataclass(frozen=True)
class WorkerSettings:
    """How a worker runs: the operator's choices, never the protocol's."""

    results_dir: Path = DEFAULT_RESULTS_DIR
    backend: str = DEFAULT_BACKEND
    #: execution-only model args (device, dtype, batch_size, threads, base_url ...)
    model_args: str = ""
    lease_seconds: float = 120.0
    poll_seconds: float = 10.0
    #: problems per budget, for a smoke test of the queue: the results are partial and stay in their
    #: run folder (never a leaderboard entry)
    limit: int | None = None
    name: str = ""

    def worker_name(self) -> str:
        """This worker's name in the store: the given one, else ``host:pid``."""
        return self.name or f"{socket.gethostname()}:{os.getpid()}"


def request_model_args(request: EvaluationRequest, backend: str, operator_args: str, journal: Path) -> dict:
    """The backend's model args: the operator's execution args plus what the request fixes."""
    from elastic_bench.harness.lmeval import parse_model_args

    args = parse_model_args(operator_args) if operator_args else {}
    clash = sorted(REQUEST_MODEL_ARGS & set(args))
    if clash:
        raise QueueError(
            f"--model_args may not set {', '.join(clash)}: the request names the model, its marker and "
            "template, and the queue keeps the journal"
        )
    spec = request.model
    if backend == "elastic-api":
        args["model"] = spec.model
        if spec.local:
            args.setdefault("tokenizer", spec.model)
    else:
        args["pretrained"] = spec.model
    if spec.revision:
        args["revision"] = spec.revision
    args["think_end"] = spec.think_end
    args["chat"] = CHAT_MODEL_ARG[spec.chat_template]
    args["journal"] = str(journal)
    return args


class Heartbeat(threading.Thread):
    """Renews a claim's lease every third of it and records progress from the journal; on a lost lease
    it sets :attr:`lost` (and interrupts the main thread when asked to)."""

    def __init__(
        self, store: RequestStore, claim: Claim, settings: WorkerSettings, journal: Path, interrupt: bool
    ):
        super().__init__(name=f"heartbeat-{claim.request.id}", daemon=True)
        self.store, self.claim, self.lease, self.journal = store, claim, settings.lease_seconds, journal
        self.total = claim.request.expected_responses(settings.limit)
        self.interrupt = interrupt
        self.lost = threading.Event()
        self._stop_event = threading.Event()

    def run(self) -> None:
        while True:
            try:
                done = journal_counts(self.journal).responses
                held = self.store.renew(self.claim, self.lease, done, self.total)
            except QueueError:
                held = True  # a busy or briefly unreadable store: try again next beat
            if not held:
                self.lost.set()
                if self.interrupt:
                    _thread.interrupt_main()
                return
            if self._stop_event.wait(max(0.5, self.lease / 3)):
                return

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)


class _Tee:
    """A text stream that writes to the original stream and a log file."""

    def __init__(self, stream, log) -> None:
        self._stream, self._log = stream, log

    def write(self, text: str) -> int:
        self._log.write(text)
        return self._stream.write(text)

    def flush(self) -> None:
        self._log.flush()
        self._stream.flush()

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


@contextmanager
def captured_output(log_path: Path) -> Iterator[None]:
    """Everything the evaluation prints or logs also goes to ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "a", encoding="utf-8", buffering=1) as log:
        handler = logging.StreamHandler(log)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        logging.getLogger().addHandler(handler)
        out, err = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = _Tee(out, log), _Tee(err, log)
        try:
            yield
        finally:
            sys.stdout, sys.stderr = out, err
            logging.getLogger().removeHandler(handler)


def log_tail(log_path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last lines of a log (progress-bar redraws collapsed to their last state)."""
    try:
        text = log_path.read_text(encoding="utf-8", errors="replace")[-20_000:]
    except OSError:
        return ""
    kept = [part.rstrip() for part in re.split(r"[\r\n]+", text) if part.strip()]
    return "\n".join(kept[-lines:])[-4000:]


def _check_protocols(request: EvaluationRequest) -> None:
    for recorded in request.protocols:
        current = benchmark_protocol(recorded.benchmark)
        if current.version != recorded.version:
            raise QueueError(
                f"the registry's protocol for {recorded.benchmark} changed since {request.id} was made "
                f"({recorded.version} -> {current.version}); submit the model again"
            )


def _verification(claim: Claim, protocol_version: str):
    from elastic_bench.harness.results import Verification

    return Verification(
        request_id=claim.request.id,
        protocol_version=protocol_version,
        requested_model=claim.request.model.model,
        worker=claim.worker,
        evaluated_at=datetime.now(timezone.utc),
    )


def _store_verified(claim: Claim, outcome, settings: WorkerSettings) -> list[str]:
    """Store each converted result as a verified entry (a partial run stays in its run folder); the
    result files' paths, relative to the results directory."""
    from elastic_bench.harness.results import find_existing_entry, load_result, store_run_result_at

    results_dir = Path(settings.results_dir)
    versions = {p.task_group: p.version for p in claim.request.protocols}
    paths = []
    for result in outcome.results:
        result = result.model_copy(
            update={"verification": _verification(claim, versions.get(result.task_group, ""))}
        )
        existing = find_existing_entry(result, results_dir)
        overwrite = False
        if existing is not None:
            previous = load_result(existing).verification
            if previous is not None and previous.request_id == claim.request.id:
                overwrite = True  # an earlier attempt of this request stored it before it was recorded
            else:  # another request's entry of a model with the same name: both are kept
                result = result.model_copy(update={"model_name": f"{result.model_name} [{claim.request.id}]"})
        _, path = store_run_result_at(
            result, results_dir, outcome.run_dir, outcome.samples_dir, settings.limit, overwrite
        )
        paths.append(os.path.relpath(path, results_dir))
    return paths


def _figures(outcome) -> dict:
    return {
        r.task_group: [[p.label, round(p.accuracy, 4), round(p.mean_total_tokens, 1)] for p in r.points]
        for r in outcome.results
    }


def evaluate_claim(store: RequestStore, claim: Claim, settings: WorkerSettings, say: Say = print) -> str:
    """Evaluate a claimed request and record the outcome; returns ``finished``, ``failed`` or ``lost``."""
    from elastic_bench.harness.lmeval import SweepRequest, run_sweep

    request = claim.request
    folder = store.request_dir(request.id)
    journal = folder / JOURNAL_FILENAME
    log_path = folder / f"attempt-{claim.attempt}.log"
    interrupt = threading.current_thread() is threading.main_thread()
    heartbeat = Heartbeat(store, claim, settings, journal, interrupt)
    heartbeat.start()
    started = time.time()
    try:
        with captured_output(log_path):
            _check_protocols(request)
            model_args = request_model_args(request, settings.backend, settings.model_args, journal)
            seed = request.protocols[0].seed
            outcome = run_sweep(
                SweepRequest(
                    model=settings.backend,
                    model_args=model_args,
                    tasks=tuple(p.task_group for p in request.protocols),
                    limit=settings.limit,
                    seed=seed,
                    results_dir=Path(settings.results_dir),
                    store=False,
                    entry_update={"model_name": request.model.display_name},
                )
            )
        heartbeat.stop()
        if heartbeat.lost.is_set() or not store.holds(claim):
            say(f"{request.id}: lease lost to another worker; nothing stored")
            return "lost"
        files = _store_verified(claim, outcome, settings)
        done = journal_counts(journal).responses
        partial = (
            {"partial": f"--limit {settings.limit} (a smoke test: not an entry)"} if settings.limit else {}
        )
        seconds = round(time.time() - started, 1)
        store.finish(claim, files, done=done, figures=_figures(outcome), seconds=seconds, **partial)
        say(f"finished {request.id} in {time.time() - started:.1f}s: {', '.join(files)}")
        return "finished"
    except KeyboardInterrupt:
        heartbeat.stop()
        if heartbeat.lost.is_set():
            say(f"{request.id}: lease lost to another worker; stopped")
            return "lost"
        store.release(claim, "worker interrupted; its journal is kept and the next worker resumes it")
        raise
    except Exception as exc:  # noqa: BLE001 - any failure of a request is recorded, never a worker crash
        heartbeat.stop()
        if os.environ.get("ELASTIC_BENCH_DEBUG"):
            raise
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        with open(log_path, "a", encoding="utf-8") as log:
            log.write(traceback.format_exc())
        store.fail(claim, reason, log_tail(log_path), done=journal_counts(journal).responses)
        say(f"failed {request.id}: {reason}")
        return "failed"


def run_worker(
    settings: WorkerSettings, *, once: bool = False, drain: bool = False, say: Say = print
) -> dict[str, int]:
    """Take requests from the store until told to stop: ``once`` (one request, if any), ``drain`` (until
    none is pending or running), else forever, polling. Returns how many requests ended how."""
    store = RequestStore.of_results(settings.results_dir)
    worker = settings.worker_name()
    counts = {"finished": 0, "failed": 0, "lost": 0}
    while True:
        claim = store.claim(worker, settings.lease_seconds)
        if claim is None:
            if once or (drain and store.unfinished() == 0):
                if once and not sum(counts.values()):
                    say("no pending request")
                return counts
            time.sleep(settings.poll_seconds)
            continue
        benchmarks = ", ".join(claim.request.benchmarks)
        say(
            f"{worker}: evaluating {claim.request.id} ({claim.request.model.display_name} on {benchmarks}, "
            f"attempt {claim.attempt})"
        )
        counts[evaluate_claim(store, claim, settings, say)] += 1
        if once:
            return counts
