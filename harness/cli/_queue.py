"""``elastic-bench worker`` (evaluate queued checkpoints) and ``elastic-bench queue`` (show the requests)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from elastic_bench.harness.protocol import DEFAULT_BACKEND
from elastic_bench.harness.results import DEFAULT_RESULTS_DIR

WORKER_BACKENDS = ("elastic-hf", "elastic-vllm", "elastic-api")


def _positive(kind: type):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
        return value

    return parse


def cmd_worker(args: argparse.Namespace) -> int:
    """Evaluate queued requests (locally, or as Ray tasks with ``--ray``)."""
    from elastic_bench.harness.queue import WorkerSettings, run_ray, run_worker

    settings = WorkerSettings(
        results_dir=Path(args.results_dir),
        backend=args.backend,
        model_args=args.model_args,
        lease_seconds=args.lease,
        poll_seconds=args.poll,
        limit=args.limit,
        name=args.name or "",
    )

    def say(line: str) -> None:
        print(line, flush=True)

    if args.ray is not None:
        counts = run_ray(settings, args.ray or None, once=args.once, drain=args.drain, say=say)
    else:
        counts = run_worker(settings, once=args.once, drain=args.drain, say=say)
    if sum(counts.values()):
        say(", ".join(f"{n} {status}" for status, n in counts.items() if n))
    return 1 if counts["failed"] else 0


def add_worker_parser(sub: argparse._SubParsersAction) -> None:
    """``worker [--backend B] [--model_args ...] [--once | --drain] [--poll S] [--ray [ADDRESS]]``."""
    p = sub.add_parser(
        "worker",
        help="evaluate queued checkpoints into verified leaderboard entries",
        description="Take the oldest pending request, evaluate it under its recorded protocol and store "
        "verified entries; every generation is journaled, so a replacement worker resumes.",
    )
    p.add_argument("--backend", default=DEFAULT_BACKEND, choices=WORKER_BACKENDS, help="default: elastic-hf")
    p.add_argument(
        "--model_args",
        "--model-args",
        default="",
        help="execution-only model args (device, dtype, batch_size, threads, base_url ...)",
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true", help="evaluate the next request (if any), then exit")
    mode.add_argument("--drain", action="store_true", help="exit once no request is pending or running")
    p.add_argument("--poll", type=_positive(float), default=10.0, help="seconds between looks at the queue")
    p.add_argument(
        "--lease", type=_positive(float), default=120.0, help="seconds a silent worker keeps its request"
    )
    p.add_argument(
        "--limit",
        type=_positive(int),
        default=None,
        help="problems per budget, for a smoke test (partial: never a leaderboard entry)",
    )
    p.add_argument("--results-dir", default=str(DEFAULT_RESULTS_DIR), help="results and request store")
    p.add_argument("--name", default=None, help="this worker's name in the store (default host:pid)")
    p.add_argument(
        "--ray",
        nargs="?",
        const="",
        default=None,
        metavar="ADDRESS",
        help="run each request as a Ray task on the cluster at ADDRESS (none: a local instance)",
    )
    p.set_defaults(func=cmd_worker)


def _progress(state) -> str:
    share = state.progress
    if share is None:
        return "" if state.done is None else str(state.done)
    return f"{share:.0%} ({state.done or 0}/{state.total})" if state.total else f"{share:.0%}"


def _when(stamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(stamp))


def cmd_queue(args: argparse.Namespace) -> int:
    """Show the requests (or one request with its history)."""
    from rich.table import Table

    from elastic_bench.harness.cli._tables import terminal
    from elastic_bench.harness.queue import RequestStore, store_path

    console = terminal()
    if not store_path(args.results_dir).is_file():
        console.print(f"no requests yet in {store_path(args.results_dir)}", markup=False)
        return 0
    store = RequestStore.of_results(args.results_dir)
    if args.request:
        state = store.get(args.request)
        req = state.request
        console.print(
            f"{req.id}: {req.model.display_name} ({req.model.model}) on {', '.join(req.benchmarks)}: "
            f"{state.status} {_progress(state)}",
            markup=False,
        )
        for event in store.history(req.id):
            detail = {k: v for k, v in event.detail.items() if k != "log_tail"}
            console.print(f"  {_when(event.at)}  {event.status:<8} {detail}", markup=False, soft_wrap=True)
            if event.detail.get("log_tail"):
                console.print("    " + event.detail["log_tail"].replace("\n", "\n    "), markup=False)
        return 0
    table = Table(title=f"evaluation requests ({store.path})")
    for col in ("id", "model", "benchmarks", "status", "progress", "attempts", "worker", "updated", "reason"):
        table.add_column(col)
    for state in store.requests(tuple(s for s in (args.status or "").split(",") if s)):
        req = state.request
        table.add_row(
            req.id,
            req.model.display_name,
            ", ".join(req.benchmarks),
            state.status,
            _progress(state),
            str(state.attempts),
            state.worker or "",
            _when(state.updated),
            state.reason or "",
        )
    console.print(table)
    return 0


def add_queue_parser(sub: argparse._SubParsersAction) -> None:
    """``queue [ID] [--status S,...]``."""
    p = sub.add_parser("queue", help="show the evaluation requests and their status")
    p.add_argument("request", nargs="?", default=None, help="a request id: its history and failures")
    p.add_argument("--status", default=None, help="only these statuses (pending,running,finished,failed)")
    p.add_argument("--results-dir", default=str(DEFAULT_RESULTS_DIR), help="results and request store")
    p.set_defaults(func=cmd_queue)
