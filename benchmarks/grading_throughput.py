"""Grading throughput (answers/s) of the math grader, timeouts on, over the real golds.

Workloads (each on a cold result cache):

* ``mixed``: for every record of every benchmark, the gold and a perturbed gold written as a model
  would, behind ``--think-chars`` characters of thinking; the normal path of ``grade_many``.
* ``sympy``: the same answers forced through math_verify in the worker pool (no fast path): the
  worst case for non-trivial answers.
* ``pathological``: towers of exponents and huge expressions, each ending at the hard timeout.

    python benchmarks/grading_throughput.py [--data-dir /work/shared/data] [--workers 2] [--timeout 5]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from elastic_bench.harness.grading import (
    HANDLER,
    WARM,
    WorkerPool,
    extract_answer,
    get_grader,
    gold_alternatives,
    grade_many,
    perturb_answer,
    prepare_gold,
)
from elastic_bench.harness.protocol import THINK_END
from elastic_bench.tasks.math.data import load_problems, resolve_data_dir

BENCHMARKS = ["gsm8k", "math500", "aime24", "aime25", "amc23", "gaokao", "math"]


def _response(answer: str, think_chars: int) -> str:
    thinking = ("Let me compute step by step. " * (think_chars // 29 + 1))[:think_chars]
    return f"{thinking}{THINK_END}\nSo the final answer is \\boxed{{{answer}}}."


def main(argv: list[str] | None = None) -> int:
    """Run the three workloads and print answers/s."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--think-chars", type=int, default=4000)
    ap.add_argument("--sympy-limit", type=int, default=2000, help="answers in the sympy workload")
    ap.add_argument("--pathological", type=int, default=4, help="answers in the pathological workload")
    args = ap.parse_args(argv)
    data_dir = args.data_dir or (None if resolve_data_dir() else "/work/shared/data")

    items: list[tuple] = []
    for bench in BENCHMARKS:
        for rec in load_problems(bench, data_dir=data_dir):
            for ans in (rec["answer"], perturb_answer(rec["answer"], bench)):
                items.append((_response(ans, args.think_chars), rec["answer"], bench, rec["problem"]))
    print(
        f"cores: {os.cpu_count()}, workers: {args.workers}, timeout: {args.timeout}s, answers: {len(items)}"
    )

    cache = get_grader("math").cache  # type: ignore[attr-defined]
    cache.clear()
    grade_many(items[:1], workers=args.workers, timeout=args.timeout)  # start the pool
    cache.clear()
    t0 = time.perf_counter()
    grades = grade_many(items, workers=args.workers, timeout=args.timeout)
    dt = time.perf_counter() - t0
    by_method: dict[str, int] = {}
    for g in grades:
        by_method[g.method] = by_method.get(g.method, 0) + 1
    print(
        f"mixed        {len(items) / dt:10.0f} answers/s  ({len(items)} in {dt:.2f}s; by method {by_method})"
    )

    tasks = []
    for resp, gold, bench, _ in items[: args.sympy_limit * 7 : 7]:
        pred = extract_answer(resp)
        tasks.append((tuple(gold_alternatives(prepare_gold(gold, bench), "latex")), pred, 0.9 * args.timeout))
    pool = WorkerPool(args.workers, warm=WARM)
    pool.run(HANDLER, tasks[:2], args.timeout)  # warm
    t0 = time.perf_counter()
    out = pool.run(HANDLER, tasks, args.timeout)
    dt = time.perf_counter() - t0
    timeouts = sum(o[0] == "timeout" for o in out)
    print(f"sympy        {len(tasks) / dt:10.0f} answers/s  ({len(tasks)} in {dt:.2f}s; {timeouts} timeouts)")

    bad = ["9^{9^{9^{9}}}", "(x+1)^{100000}-1", "9^{9^{9^{9^{9}}}}+1", "2^{2^{2^{2^{2^{2}}}}}"]
    tasks = [(("2",), bad[i % len(bad)], 0.9 * args.timeout) for i in range(args.pathological)]
    t0 = time.perf_counter()
    out = pool.run(HANDLER, tasks, args.timeout)
    dt = time.perf_counter() - t0
    print(
        f"pathological {len(tasks) / dt:10.2f} answers/s  ({len(tasks)} in {dt:.2f}s; "
        f"{sum(o[0] == 'timeout' for o in out)} timeouts, {pool.restarts} worker kills, "
        f"results {sorted({o[0] for o in out})})"
    )
    pool.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
