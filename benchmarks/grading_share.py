"""Share of an lm-eval run's wall time spent grading (the tasks' ``process_results`` -> ``score``).

Runs the real ``lm_eval`` command line in this process with the math tasks' ``score`` wrapped by
a timer (nothing else changes), then prints the run's wall time, the time inside ``score`` and the
share. Target: grading < 5% of a run's wall time.

    python benchmarks/grading_share.py -- --model elastic-hf --tasks elastic_aime --limit 2 \\
        --metadata '{"data_dir": "/work/shared/data"}' --output_path /tmp/aime_run --log_samples
"""

from __future__ import annotations

import json
import sys
import time
from functools import wraps


def main(argv: list[str] | None = None) -> int:
    """Run ``lm_eval ARGS`` with grading timed; print the numbers (and JSON on the last line)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--"]:
        args = args[1:]
    from elastic_bench.tasks.common import responses_of
    from elastic_bench.tasks.math import utils

    spent = {"seconds": 0.0, "calls": 0, "responses": 0}
    score = utils.score

    @wraps(score)
    def timed(results, gold, benchmark, **kwargs):
        start = time.perf_counter()
        try:
            return score(results, gold, benchmark, **kwargs)
        finally:
            spent["seconds"] += time.perf_counter() - start
            spent["calls"] += 1
            spent["responses"] += len(responses_of(results)) if results else 0

    utils.score = timed  # process_results looks ``score`` up in the module at call time
    from lm_eval.__main__ import cli_evaluate

    sys.argv = ["lm_eval", *args]
    start = time.perf_counter()
    cli_evaluate()
    wall = time.perf_counter() - start
    share = spent["seconds"] / wall if wall else 0.0
    print(
        f"wall {wall:.1f}s; grading {spent['seconds']:.2f}s in {spent['calls']} process_results calls "
        f"({spent['responses']} responses, {spent['responses'] / max(spent['seconds'], 1e-9):.0f}/s); "
        f"share {100 * share:.2f}%"
    )
    print(json.dumps({"wall_s": wall, "grading_s": spent["seconds"], "share": share, **spent}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
