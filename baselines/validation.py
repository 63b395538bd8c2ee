"""Recipe selection on the toy task's VALIDATION split, so that no recipe is tuned on test problems.

The elastic_toy sweep (the registry's budgets and solution budget, elastic strategy, greedy, through
``run_sweep`` like every evaluation) on ``n`` validation problems, for one or more checkpoints; the recipes'
comments cite its figures::

    python -m elastic_bench.baselines.validation models/tiny_reasoner/checkpoint runs/elastic/checkpoint-* -n 1000
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path


def validation_sweep(
    checkpoint: str | Path,
    n_problems: int = 1000,
    *,
    batch_size: int = 64,
    work_dir: str | Path | None = None,
) -> dict:
    """``{"checkpoint", "n_problems", "seconds", "rows": [{budget, accuracy, mean_think_tokens}]}``
    for each elastic_toy budget and unconstrained (budget None), on the validation split.

    The sweep is the project's own (``run_sweep`` on ``elastic_toy`` with the loader's ``split`` and
    ``n_problems`` set through the task metadata); nothing is added to a leaderboard. ``work_dir``
    keeps lm-eval's outputs and the response journal (a rerun resumes); default: a temporary folder.
    """
    from elastic_bench.harness.lmeval import SweepRequest, run_sweep
    from elastic_bench.harness.protocol import DEFAULT_TASK

    with tempfile.TemporaryDirectory(prefix="elastic_bench_validation_") as scratch:
        request = SweepRequest(
            model_args={"pretrained": str(checkpoint)},
            tasks=(DEFAULT_TASK,),
            batch_size=str(batch_size),
            metadata={"split": "validation", "n_problems": int(n_problems)},
            results_dir=Path(work_dir or scratch),
            store=False,
        )
        start = time.monotonic()
        [result] = run_sweep(request).results
        seconds = round(time.monotonic() - start, 1)
    rows = [
        {
            "budget": p.thinking_budget,
            "accuracy": round(p.accuracy, 4),
            "mean_think_tokens": round(p.mean_think_tokens, 1),
        }
        for p in result.points
    ]
    return {"checkpoint": str(checkpoint), "n_problems": int(n_problems), "seconds": seconds, "rows": rows}


def render(reports: list[dict]) -> str:
    """One line per checkpoint: accuracy % / mean thinking tokens at each budget."""
    if not reports:
        return ""
    heads = ["unconstrained" if r["budget"] is None else f"t={r['budget']}" for r in reports[0]["rows"]]
    lines = [f"validation split, {reports[0]['n_problems']} problems, greedy: acc % / thinking tokens"]
    lines.append(" | ".join(["checkpoint", *heads]))
    for rep in reports:
        cells = [f"{100 * r['accuracy']:.1f} / {r['mean_think_tokens']:.1f}" for r in rep["rows"]]
        lines.append(" | ".join([rep["checkpoint"], *cells]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("checkpoints", nargs="+")
    p.add_argument("-n", "--problems", type=int, default=1000, help="validation problems (default 1000)")
    p.add_argument("--output", default=None, help="write the reports as JSON here")
    args = p.parse_args(argv)
    reports = []
    for checkpoint in args.checkpoints:
        reports.append(validation_sweep(checkpoint, args.problems))
        print(render(reports).splitlines()[-1], flush=True)
    print(render(reports))
    if args.output:
        Path(args.output).write_text(json.dumps(reports, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
