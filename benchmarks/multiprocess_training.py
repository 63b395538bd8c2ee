"""Multi-process training against one process at the same global batch (a benchmark script, not a test).

    python benchmarks/multiprocess_training.py [--methods sft,dpo,o1_pruner,elastic] [--steps 3]
        [--processes 2] [--precision fp32|recipe] [--work DIR] [--json]

Each method's toy recipe is trained twice through the project's command,
``accelerate launch ... -m elastic_bench.baselines.train_cli METHOD``: on one process and on
``--processes`` CPU processes (accelerate's torchrun launcher; ``--cpu`` would start one process),
with the same global batch (the recipe's, which ``train_method`` splits over the processes). Printed:
the loss of every optimizer step of both runs, their largest relative difference, each run's wall
time and the world size its training record states.

``--precision fp32`` (the default) trains in float32; ``recipe`` keeps the recipe's precision (the
SFT and DPO toy recipes inherit TRL's bf16 autocast, whose rounding of every matmul output depends on
the batch shape, so 2 processes x 4 rows and 1 x 8 differ by ~1e-3 from the first step on).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "models" / "tiny_reasoner" / "checkpoint"
ACCELERATE = str(Path(sys.executable).parent / "accelerate")
#: small runs of every toy recipe, within the first epoch (a last, partial batch is split differently:
#: one process trains on the remainder, N on the remainder padded with rows from the epoch's start):
#: 8 problems x 4 reference samples (SFT: 15 rows, O1-Pruner: 32), 16 for DPO (14 pairs; 8 give 7),
#: Elastic 2 prompts x 8 rollouts a step
REFERENCES = {"data.k": 4, "data.max_tokens": 256, "trainer.per_device_train_batch_size": 4}
SMALL = {
    "sft": {"data.n_problems": 8, **REFERENCES},
    "dpo": {"data.n_problems": 16, **REFERENCES},
    "o1_pruner": {"data.n_problems": 8, **REFERENCES},
    "elastic": {"data.n_problems": 16, "trainer.per_device_train_batch_size": 16},
}


def launch_command(processes: int) -> list[str]:
    """``accelerate launch`` for ``processes`` CPU processes (one: the plain launcher)."""
    cmd = [ACCELERATE, "launch", "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no"]
    if processes == 1:
        return [*cmd, "--cpu", "--num_processes", "1"]
    # accelerate's --cpu launcher starts one process whatever --num_processes says; its torchrun
    # launcher (--multi_gpu) starts N, which train on the CPU (gloo) as the recipes say use_cpu
    return [*cmd, "--multi_gpu", "--num_processes", str(processes), "--main_process_port", "0"]


def train(method: str, processes: int, out: Path, steps: int, overrides: dict) -> float:
    """Train ``method`` for ``steps`` optimizer steps into ``out``; the wall time in seconds."""
    shutil.rmtree(out, ignore_errors=True)
    words = {
        **SMALL[method],
        "trainer.max_steps": steps,
        "trainer.logging_steps": 1,
        "trainer.save_steps": steps,
        "trainer.save_total_limit": 1,
        **overrides,
    }
    cmd = [*launch_command(processes), "-m", "elastic_bench.baselines.train_cli", method]
    cmd += ["--base", str(BASE), "--output-dir", str(out), *(f"{k}={v}" for k, v in words.items())]
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        raise SystemExit(f"{method} on {processes} process(es) failed:\n{proc.stderr[-3000:]}")
    return round(seconds, 1)


def step_losses(out: Path) -> list[float]:
    """The logged loss of every optimizer step (the last checkpoint's log history)."""
    checkpoint = max(out.glob("checkpoint-*"), key=lambda p: int(p.name.rpartition("-")[2]))
    history = json.loads((checkpoint / "trainer_state.json").read_text())["log_history"]
    return [float(h["loss"]) for h in history if "loss" in h]


def compare(method: str, processes: int, steps: int, work: Path, overrides: dict) -> dict:
    """One method at 1 and ``processes`` processes: per-step losses, their largest relative difference."""
    runs = {}
    for n in (1, processes):
        out = work / f"{method}-{n}"
        seconds = train(method, n, out, steps, overrides)
        record = json.loads((out / "training_record.json").read_text())
        runs[n] = {
            "seconds": seconds,
            "losses": step_losses(out),
            "world_size": record.get("world_size"),
            "per_device_train_batch_size": record["hyperparameters"]["trainer"][
                "per_device_train_batch_size"
            ],
            "optimizer_steps": record["optimizer_steps"],
            "output_dir": str(out),
        }
    one, many = runs[1]["losses"], runs[processes]["losses"]
    rel = [abs(a - b) / max(abs(a), 1e-12) for a, b in zip(one, many, strict=True)]
    return {
        "method": method,
        "runs": {str(n): r for n, r in runs.items()},
        "rel_diff": rel,
        "max_rel_diff": max(rel),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", default="sft,dpo,o1_pruner,elastic")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--precision", choices=("fp32", "recipe"), default="fp32")
    parser.add_argument(
        "--work", default="/tmp/elastic_bench_multiprocess", help="run folders and the reference cache"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = parser.parse_args(argv)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = sorted(set(methods) - set(SMALL))
    if unknown:
        parser.error(f"unknown method(s) {unknown}; choose from {', '.join(SMALL)}")
    work = Path(args.work)
    overrides = {"data.cache_dir": str(work / "references")}
    if args.precision == "fp32":
        overrides["trainer.bf16"] = "false"
    report = []
    for method in methods:
        result = compare(method, args.processes, args.steps, work, overrides)
        report.append(result)
        if not args.json:
            one, many = result["runs"]["1"], result["runs"][str(args.processes)]
            print(f"{method}: per-step loss, 1 process vs {args.processes} ({args.precision})")
            for step, (a, b, r) in enumerate(
                zip(one["losses"], many["losses"], result["rel_diff"], strict=True), 1
            ):
                print(f"  step {step}: {a:.8f}  {b:.8f}  rel diff {r:.2e}")
            print(
                f"  max rel diff {result['max_rel_diff']:.2e}; wall {one['seconds']} s vs {many['seconds']} s; "
                f"record world_size {one['world_size']} vs {many['world_size']}; per-device batch "
                f"{one['per_device_train_batch_size']} vs {many['per_device_train_batch_size']}"
            )
    if args.json:
        print(json.dumps({"processes": args.processes, "precision": args.precision, "methods": report}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
