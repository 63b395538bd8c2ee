"""Dispatching requests to a Ray cluster: each request runs as one Ray task with the resources its
backend needs, so the cluster's nodes evaluate requests in parallel; the request store stays the one
record of status.

The driver claims requests (as many as the cluster can run at once) and submits a task per claim;
the task evaluates it exactly as a local worker does (:func:`evaluate_claim`: journal, heartbeat,
verified entries, outcome in the store). The store, the journals and the results directory must be
on a file system every node sees at the same path (as Ray clusters share their data). If the driver
dies, Ray stops its tasks, their leases expire, and any worker takes the requests over.
"""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path

from elastic_bench.harness.queue._request import QueueError
from elastic_bench.harness.queue._store import Claim, RequestStore
from elastic_bench.harness.queue._worker import Say, WorkerSettings, evaluate_claim

#: ``pip install`` spec of the extra that brings Ray
RAY_EXTRA = "elastic-bench[cluster]"


def request_footprint(backend: str, model_args: dict[str, str]) -> dict[str, float]:
    """All the Ray resources one request occupies while it runs: GPUs for elastic-vllm (tensor x data
    parallel), one for elastic-hf on a CUDA device, CPUs (elastic-hf's ``threads``, default 1) otherwise;
    an API backend needs one CPU."""
    if backend == "elastic-vllm":
        gpus = int(model_args.get("tensor_parallel_size", 1)) * int(model_args.get("data_parallel_size", 1))
        return {"num_cpus": 1, "num_gpus": gpus}
    if backend == "elastic-hf":
        gpus = 1 if str(model_args.get("device", "")).startswith("cuda") else 0
        return {"num_cpus": int(model_args.get("threads", 1)), "num_gpus": gpus}
    return {"num_cpus": 1, "num_gpus": 0}


def task_resources(backend: str, model_args: dict[str, str]) -> dict[str, float]:
    """What the request's Ray task itself reserves: its :func:`request_footprint`, except for elastic-vllm
    with ``data_parallel_size`` > 1, whose engines are Ray actors reserving ``tensor_parallel_size`` GPUs
    each; the task then holds one CPU, so its actors can take the GPUs it would otherwise hold."""
    if backend == "elastic-vllm" and int(model_args.get("data_parallel_size", 1)) > 1:
        return {"num_cpus": 1, "num_gpus": 0}
    return request_footprint(backend, model_args)


def _evaluate_task(claim: Claim, settings: WorkerSettings, store_file: str, cwd: str) -> str:
    """The Ray task: evaluate one claimed request where the driver's paths mean the same."""
    if os.path.isdir(cwd):
        os.chdir(cwd)  # relative model and results paths, as the driver wrote them
    return evaluate_claim(RequestStore(store_file), claim, settings, say=lambda line: print(line, flush=True))


def _capacity(ray, resources: dict[str, float]) -> int:
    """How many such tasks the cluster runs at once (at least one)."""
    total = ray.cluster_resources()
    fits = [int(total.get("CPU", 0) // resources["num_cpus"])] if resources["num_cpus"] else []
    if resources["num_gpus"]:
        fits.append(int(total.get("GPU", 0) // resources["num_gpus"]))
    return max(1, min(fits) if fits else 1)


def run_ray(
    settings: WorkerSettings,
    address: str | None = None,
    *,
    once: bool = False,
    drain: bool = False,
    say: Say = print,
    init_kwargs: dict | None = None,
) -> dict[str, int]:
    """Evaluate requests as Ray tasks on the cluster at ``address`` (None: a running local instance, or a
    new one). ``once``: one round (as many requests as fit), ``drain``: until none is pending or running,
    else forever. Returns how many requests ended how."""
    try:
        import ray
    except ImportError:
        raise QueueError(f"Ray is not installed; pip install '{RAY_EXTRA}'") from None
    from elastic_bench.harness.lmeval import parse_model_args

    store = RequestStore.of_results(settings.results_dir)
    operator_args = parse_model_args(settings.model_args) if settings.model_args else {}
    resources = task_resources(settings.backend, operator_args)
    if settings.backend == "elastic-hf" and "threads" not in operator_args:
        threads = f"threads={int(resources['num_cpus'])}"  # torch uses the CPUs Ray gives the task
        settings = dataclasses.replace(
            settings, model_args=",".join(filter(None, [settings.model_args, threads]))
        )
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, **(init_kwargs or {}))
    capacity = _capacity(ray, request_footprint(settings.backend, operator_args))
    remote = ray.remote(_evaluate_task).options(**resources, max_retries=0)
    driver = settings.worker_name()
    cpus = ray.cluster_resources().get("CPU", 0)
    say(f"{driver}: Ray cluster with {cpus:g} CPUs: {capacity} requests at a time, each {resources}")
    store_file = str(store.path.resolve())
    in_flight: dict = {}
    counts = {"finished": 0, "failed": 0, "lost": 0}
    rounds = 0
    while True:
        while len(in_flight) < capacity and not (once and rounds):
            claim = store.claim(
                f"{driver}/ray-{len(in_flight) + sum(counts.values())}", settings.lease_seconds
            )
            if claim is None:
                break
            say(f"dispatching {claim.request.id} ({claim.request.model.display_name}) as a Ray task")
            task_settings = dataclasses.replace(
                settings, name=claim.worker, results_dir=Path(settings.results_dir).resolve()
            )
            in_flight[remote.remote(claim, task_settings, store_file, os.getcwd())] = claim
        rounds += 1
        if not in_flight:
            if once or (drain and store.unfinished() == 0):
                return counts
            time.sleep(settings.poll_seconds)
            continue
        ready, _ = ray.wait(list(in_flight), num_returns=1, timeout=settings.poll_seconds)
        for ref in ready:
            claim = in_flight.pop(ref)
            try:
                outcome = ray.get(ref)
            except Exception as exc:  # noqa: BLE001 - a task that died is recorded, never a driver crash
                reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                store.fail(claim, f"Ray task failed: {reason}")
                outcome = "failed"
            counts[outcome] += 1
            say(f"{claim.request.id}: {outcome}")
