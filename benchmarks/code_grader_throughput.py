"""Throughput of the code grader on real problems: tests/s and samples/s through the whole path
(extract the last fenced block after ``</think>``, sandbox every test, LiveCodeBench verdicts).

The samples are the hand-written solutions of real LiveCodeBench (stdin and functional) and Codeforces
problems in ``tests/code_solutions`` run on the shared data's tests, each ``--repeat`` times, in one
batch (samples in parallel across ``--workers`` sandbox slots, a sample's tests in parallel too), then
their wrong variants (which stop at the first failing test; time/memory-limit variants excluded so
the figure is not the limits' wall time).

    python benchmarks/code_grader_throughput.py [--workers 2] [--repeat 4] [--data-dir ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from elastic_bench.harness.grading import CodeGrader, GradeItem, GradeOptions, reference_json
from elastic_bench.tasks.code.data import load_code_problems

SOLUTIONS = Path(__file__).resolve().parents[1] / "tests" / "code_solutions"


def _items(data_dir: str, wrong: bool) -> list[tuple[str, GradeItem]]:
    variants = json.loads((SOLUTIONS / "wrong_variants.json").read_text())
    problems = {
        (b, r["id"]): r for b in ("lcb", "codeforces") for r in load_code_problems(b, data_dir=data_dir)
    }
    out = []
    for path in sorted(SOLUTIONS.glob("*.py")):
        bench, pid = path.stem.split("__")
        code = path.read_text()
        if wrong:
            old, new = variants[path.stem]["replace"]
            if variants[path.stem]["reason"] in ("time_limit", "memory_limit"):
                continue
            code = code.replace(old, new, 1)
        rec = problems[(bench, pid)]
        kind = "codeforces" if bench == "codeforces" else ("functional" if rec["fn_name"] else "stdin")
        response = f"thinking</think>\n```python\n{code}```\n"
        out.append((kind, GradeItem(response, reference_json(rec["tests"], rec["fn_name"]), bench)))
    return out


def _measure(
    grader: CodeGrader, items: list[tuple[str, GradeItem]], repeat: int
) -> tuple[float, int, int, int]:
    batch = [item for _, item in items] * repeat
    start = time.perf_counter()
    grades = grader.grade_batch(batch, GradeOptions())
    wall = time.perf_counter() - start
    return wall, len(batch), sum(g.tests_run for g in grades), sum(g.correct for g in grades)


def main(argv: list[str] | None = None) -> int:
    """Print one line per measurement."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=4)
    parser.add_argument("--data-dir", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    args = parser.parse_args(argv)
    grader = CodeGrader(workers=args.workers)
    print(f"sandbox mode {grader.mode}, {args.workers} workers, each sample x{args.repeat}")
    try:
        _measure(grader, _items(args.data_dir, False)[:2], 1)  # warm-up (probe, page cache)
        for wrong in (False, True):
            items = _items(args.data_dir, wrong)
            kinds = {k: sum(1 for kk, _ in items if kk == k) for k, _ in items}
            wall, n, tests, correct = _measure(grader, items, args.repeat)
            label = "wrong variants (stop at first failure)" if wrong else "correct solutions (all tests run)"
            print(
                f"{label}: {n} samples {kinds}, {tests} tests, {correct} correct, {wall:.2f} s: "
                f"{tests / wall:.1f} tests/s, {n / wall:.1f} samples/s, {1000 * wall / tests:.0f} ms/test"
            )
    finally:
        grader.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
