"""Gold self-consistency of the math grader on the real benchmark data.

For every record the gold is written as a model would (``...THINK_END The answer is \\boxed{GOLD}.``)
and must grade correct; a perturbed gold (number + 1, another letter, a digit changed) must grade
wrong. Prints per-benchmark rates and every exception with the grader's reason.

    python benchmarks/gold_consistency.py [--data-dir /work/shared/data] [--benchmarks aime24 gaokao ...]
        [--form boxed|sentence]

``--form sentence`` states each gold in a closing sentence with no box ("**Answer**: The value asked
for is GOLD."), which exercises the reading of final-answer statements.
"""

from __future__ import annotations

import argparse
import sys
import time

from elastic_bench.harness.grading import GOLD_FORMS, check_records
from elastic_bench.tasks.math.data import load_problems, resolve_data_dir

DEFAULT = ["gsm8k", "math500", "aime24", "aime25", "amc23", "gaokao", "math"]


def main(argv: list[str] | None = None) -> int:
    """Run the check and print the report; exit 1 when a benchmark is below ``--min-rate``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=None, help="local data (default: $ELASTIC_BENCH_DATA_DIR)")
    ap.add_argument("--benchmarks", nargs="+", default=DEFAULT)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--min-rate", type=float, default=0.995)
    ap.add_argument("--form", choices=GOLD_FORMS, default="boxed", help="how the gold is stated")
    args = ap.parse_args(argv)
    if resolve_data_dir(args.data_dir) is None:
        args.data_dir = "/work/shared/data"
    failed = False
    print(f"{'benchmark':10} {'n':>5} {'gold correct':>13} {'perturbed wrong':>16} {'seconds':>8}")
    reports = []
    for bench in args.benchmarks:
        records = load_problems(bench, data_dir=args.data_dir)
        t0 = time.perf_counter()
        rep = check_records(bench, records, workers=args.workers, timeout=args.timeout, form=args.form)
        dt = time.perf_counter() - t0
        reports.append(rep)
        print(f"{bench:10} {rep.n:5d} {rep.correct_rate:12.2%} {rep.wrong_rate:15.2%} {dt:8.1f}")
        failed |= rep.correct_rate < args.min_rate or rep.wrong_rate < args.min_rate
    for rep in reports:
        for e in rep.exceptions:
            print(
                f"  {rep.benchmark} id={e['id']} gold={e['gold']!r}: {e['what']} "
                f"(method={e['method']}, reason={e['reason']!r}, timed_out={e['timed_out']}, extracted={e['extracted']!r})"
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
