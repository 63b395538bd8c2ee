"""Every trainer-validation environment end to end, one after another (a benchmark script, not a test).

    python benchmarks/validate_trainers.py [--methods l1_exact,l1_max,sft,dpo,o1_pruner]
        [--work-dir DIR] [--output FILE]

Runs ``elastic-bench validate-trainer METHOD --json`` for each method (each in its own process, so
every figure and timing is the command's own) and prints one Markdown table of start and end figures,
the acceptance verdict and the wall time. ``--output`` also writes every report as one JSON object.

Budget following (L1-Exact, L1-Max): Spearman of mean thinking with N, median |n - N| / N, the share
within budget at the tightest N and accuracy, sampled at the trainer's temperature. Length reduction
(SFT, DPO, O1-Pruner, on the phrasing variant): greedy accuracy, mean thinking tokens, the relative
change and the per-token entropy.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ELASTIC_BENCH = str(Path(sys.executable).parent / "elastic-bench")
METHODS = ("l1_exact", "l1_max", "sft", "dpo", "o1_pruner")


def run(method: str, work_dir: Path | None) -> tuple[dict, float]:
    """One ``validate-trainer`` command: (report, wall seconds); exit status 1 is a missed bar."""
    command = [ELASTIC_BENCH, "validate-trainer", method, "--json"]
    if work_dir is not None:
        command += ["--work-dir", str(work_dir / method)]
    start = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.monotonic() - start
    if done.returncode not in (0, 1):
        tail = done.stderr.strip().splitlines()[-1:] or ["no output"]
        raise SystemExit(f"validate-trainer {method} failed ({done.returncode}): {tail[0]}")
    return json.loads(done.stdout), wall


def row(method: str, report: dict, wall: float) -> str:
    """One Markdown row: start -> end figures of the method's environment."""
    verdict = "PASS" if report["passed"] else "FAIL"
    if "spearman" in report:
        start, end = report["start"], report["end"]
        tight = str(min(int(b) for b in end["within_budget"]))
        figures = (
            f"Spearman {start['spearman']} -> {end['spearman']}; median |n-N|/N "
            f"{start['median_rel_error']} -> {end['median_rel_error']}; n <= N at N={tight} "
            f"{start['within_budget'][tight]:.0%} -> {end['within_budget'][tight]:.0%}"
        )
    else:
        figures = (
            f"thinking {report['think_tokens_start']} -> {report['think_tokens_end']} "
            f"({report['relative_length_change']:+.1%}); entropy {report['entropy_start']} -> "
            f"{report['entropy_end']} nats/token"
        )
    accuracy = f"{report['accuracy_start']:.1%} -> {report['accuracy_end']:.1%}"
    return f"| {method} | {figures} | {accuracy} | {verdict} | {wall:.0f} |"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--work-dir", default=None, help="keep each method's base and outputs here")
    parser.add_argument("--output", default=None, help="write every report to this JSON file")
    args = parser.parse_args()
    work_dir = Path(args.work_dir) if args.work_dir else None
    reports = {}
    lines = ["| method | figures (start -> end) | accuracy | bar | wall s |", "|---|---|---|---|---|"]
    for method in args.methods.split(","):
        report, wall = run(method, work_dir)
        reports[method] = {**report, "wall_seconds": round(wall, 1)}
        lines.append(row(method, report, wall))
        print(lines[-1], file=sys.stderr, flush=True)
    print("\n".join(lines))
    if args.output:
        Path(args.output).write_text(json.dumps(reports, indent=1, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
