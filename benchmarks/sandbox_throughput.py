"""Throughput (tests/s) of the sandboxed executor, and its overhead per test versus plain ``python``.

Two stdin programs: ``trivial`` (echo one line) and ``realistic`` (read 100k integers, sort, prefix
sums, answer queries: about what a Codeforces B/C solution does). For each, ``--tests`` tests run

* through the executor with ``--workers`` parallel slots (all verdicts, so every test runs): tests/s;
* one at a time through the executor, as ``python -I program.py < input`` with the same
  interpreter, and the same with LiveCodeBench's standard-library prelude prepended, the three
  back to back per test so that load hits them alike: the median wall time per test, whose
  difference is the sandbox's overhead (and the prelude's share of it).

    python benchmarks/sandbox_throughput.py [--workers 2] [--tests 40] [--mode auto]
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from elastic_bench.harness.sandbox import PROTECTIONS, ExecutionRequest, LocalExecutor, TestCase
from elastic_bench.harness.sandbox._runner import _prelude

TRIVIAL = "print(input())\n"
REALISTIC = """
import sys
from itertools import accumulate
data = sys.stdin.buffer.read().split()
n, q = int(data[0]), int(data[1])
a = sorted(map(int, data[2:2 + n]))
pre = [0, *accumulate(a)]
out = []
for i in range(q):
    l, r = int(data[2 + n + 2 * i]), int(data[3 + n + 2 * i])
    out.append(pre[r] - pre[l - 1])
print("\\n".join(map(str, out)))
"""


def _realistic_test(seed: int) -> TestCase:
    rng = random.Random(seed)
    n, q = 100_000, 1_000
    a = [rng.randint(1, 10**9) for _ in range(n)]
    queries = [sorted((rng.randint(1, n), rng.randint(1, n))) for _ in range(q)]
    pre = [0]
    for x in sorted(a):
        pre.append(pre[-1] + x)
    lines = [f"{n} {q}", " ".join(map(str, a)), *(f"{lo} {hi}" for lo, hi in queries)]
    return TestCase("\n".join(lines) + "\n", "\n".join(str(pre[hi] - pre[lo - 1]) for lo, hi in queries))


def _direct(python: str, program: Path, test: TestCase) -> float:
    """Wall seconds of ``python -I program.py < input``, no sandbox."""
    start = time.perf_counter()
    subprocess.run([python, "-I", str(program)], input=test.input.encode(), capture_output=True, check=True)
    return time.perf_counter() - start


def _interleaved(one: LocalExecutor, program: str, tests: list[TestCase]) -> tuple[float, float, float]:
    """Median ms per test: sandboxed, plain, plain with the prelude; interleaved so load hits all three."""
    sandboxed, plain, prelude = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        bare, with_prelude = Path(tmp) / "bare.py", Path(tmp) / "prelude.py"
        bare.write_text(program)
        with_prelude.write_text(_prelude() + program)
        for test in tests:
            verdict = one.run(ExecutionRequest(program=program, tests=[test])).verdicts[0]
            sandboxed.append(verdict.wall_s)
            plain.append(_direct(one.python, bare, test))
            prelude.append(_direct(one.python, with_prelude, test))
    return tuple(1000 * statistics.median(x) for x in (sandboxed, plain, prelude))


def main(argv: list[str] | None = None) -> int:
    """Measure both programs and print one line per figure."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--tests", type=int, default=40)
    ap.add_argument("--mode", default="auto")
    args = ap.parse_args(argv)
    workloads = {
        "trivial": (TRIVIAL, [TestCase(f"line {i}\n", f"line {i}") for i in range(args.tests)]),
        "realistic": (REALISTIC, [_realistic_test(i) for i in range(args.tests)]),
    }
    with (
        LocalExecutor(mode=args.mode, workers=args.workers) as ex,
        LocalExecutor(mode=args.mode, workers=1) as one,
    ):
        print(f"mode {ex.mode}: {PROTECTIONS[ex.mode]}")
        print(f"interpreter {ex.python}, {args.workers} workers, {args.tests} tests per workload")
        for name, (program, tests) in workloads.items():
            request = ExecutionRequest(program=program, tests=tests, all_verdicts=True)
            start = time.perf_counter()
            result = ex.run(request)
            elapsed = time.perf_counter() - start
            assert result.passed, result.reason
            sandbox_ms, direct_ms, with_prelude_ms = _interleaved(one, program, tests)
            prelude_ms = with_prelude_ms - direct_ms
            print(
                f"{name:9s}: {len(tests) / elapsed:6.1f} tests/s on {args.workers} workers; per test "
                f"{sandbox_ms:6.1f} ms sandboxed vs {direct_ms:6.1f} ms plain python: overhead "
                f"{sandbox_ms - direct_ms:+.1f} ms, of which {prelude_ms:+.1f} ms LiveCodeBench's import prelude"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
