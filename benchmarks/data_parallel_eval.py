"""Data-parallel evaluation on elastic-hf: 1 process against N, through lm_eval and elastic-bench run.

    nice -n 10 .venv/bin/python benchmarks/data_parallel_eval.py [--limit 200] [--processes 2]
        [--out /tmp/dp-eval/bench] [--only elastic-bench,lm_eval]

Runs elastic_toy (every budget subtask) four ways, without journals (every response generated):
``elastic-bench run`` with 1 and N processes (``--num-processes``), and ``lm_eval`` with 1 process
and N (``accelerate launch --multi_gpu --num_processes N -m lm_eval``; on a machine without GPUs
this starts N CPU processes over gloo, while ``accelerate launch --cpu`` starts only one). Reports
each run's wall time and whether its samples files (responses, filtered responses, per-sample
metrics, hashes) and aggregated metrics equal the one-process run's of the same command.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
ENV = {**os.environ, "TOKENIZERS_PARALLELISM": "false", "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
SAMPLE_FIELDS = ("doc_id", "filter", "resps", "filtered_resps", "doc_hash", "prompt_hash", "target_hash")


def samples_of(folder: Path) -> dict[tuple, dict]:
    """Every logged sample under ``folder`` by (task, filter, doc id): its responses and metrics."""
    found = {}
    for path in sorted(folder.rglob("samples_*.jsonl")):
        task = re.match(r"samples_(.+)_\d{4}-\d\d-\d\dT", path.name)[1]  # type: ignore[index]
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            kept = {k: row[k] for k in SAMPLE_FIELDS}
            kept.update({m: row[m] for m in row["metrics"]})
            found[(task, row["filter"], row["doc_id"])] = kept
    return found


def metrics_of(folder: Path) -> dict:
    """The aggregated metrics of the newest results file under ``folder``."""
    path = max(folder.rglob("results_*.json"), key=lambda p: p.stat().st_mtime)
    return json.loads(path.read_text(encoding="utf-8"))["results"]


def differences(reference: Path, other: Path) -> list[str]:
    """What differs between two runs' samples and metrics (empty: identical)."""
    a, b = samples_of(reference), samples_of(other)
    out = []
    if a.keys() != b.keys():
        out.append(f"samples: {len(a.keys() - b.keys())} missing, {len(b.keys() - a.keys())} extra")
    out += [f"sample {key}: differs" for key in sorted(a.keys() & b.keys()) if a[key] != b[key]]
    if metrics_of(reference) != metrics_of(other):
        out.append("aggregated metrics differ")
    return out


def commands(kind: str, n: int, limit: int, out: Path) -> list[str]:
    """The command line of one run."""
    if kind == "elastic-bench":
        return [str(BIN / "elastic-bench"), "run", "--limit", str(limit), "--no-cache"] + [
            "--num-processes", str(n), "--results-dir", str(out),
        ]  # fmt: skip
    lm_eval = ["-m", "lm_eval", "--model", "elastic-hf", "--tasks", "elastic_toy", "--limit", str(limit)]
    lm_eval += ["--batch_size", "32", "--log_samples", "--output_path", str(out)]  # lm_eval defaults to 1
    if n == 1:
        return [sys.executable, *lm_eval]
    return [str(BIN / "accelerate"), "launch", "--multi_gpu", "--num_processes", str(n), *lm_eval]


def main(argv: list[str] | None = None) -> int:
    """Run and compare; print one JSON line per run and write them to ``--out``/report.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=200)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("/tmp/dp-eval/bench"))
    parser.add_argument("--only", default="elastic-bench,lm_eval", help="which commands to run")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for kind in [k.strip() for k in args.only.split(",")]:
        reference = None
        for n in (1, args.processes):
            folder = args.out / f"{kind}-{n}p"
            cmd = commands(kind, n, args.limit, folder)
            start = time.perf_counter()
            proc = subprocess.run(cmd, env=ENV, capture_output=True, text=True, check=False)
            wall = time.perf_counter() - start
            (args.out / f"{kind}-{n}p.log").write_text(proc.stdout + proc.stderr, encoding="utf-8")
            row = {"command": kind, "processes": n, "limit": args.limit, "wall_s": round(wall, 1)}
            row["exit"] = proc.returncode
            if proc.returncode == 0 and reference is not None:
                diff = differences(reference, folder)
                row["identical_to_1_process"] = not diff
                row["differences"] = diff[:5]
            if n == 1 and proc.returncode == 0:
                reference = folder
            row["load_average"] = os.getloadavg()[0]
            print(json.dumps(row), flush=True)
            rows.append(row)
    (args.out / "report.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0 if all(r["exit"] == 0 and r.get("identical_to_1_process", True) for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
