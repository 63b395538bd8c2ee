"""Rollout throughput for GRPO: the elastic rollout vs TRL's default generation, same prompts.

Both sides run inside a real ``GRPOTrainer`` on the same model, the same prompts (each repeated
``--generations`` times, as TRL's sampler hands them out) and the same sampling:

* ``elastic``: ``baselines.elastic_rl.elastic_rollouts`` (the project's budgeted generator:
  thinking <= t*, ``</think>`` appended when cut, solution <= s*);
* ``trl``: the trainer's own default path (``GRPOTrainer._generate_single_turn``, i.e.
  ``model.generate``), one phase capped at ``max_completion_length = t* + 1 + s*``.

Generated tokens/s counts the tokens each side generated (an appended marker is not generated;
padding after EOS is not counted). Each side runs ``--repeats`` times per t*, alternating, and the
median time is reported::

    OMP_NUM_THREADS=1 python benchmarks/rl_rollout_throughput.py --thinking 128,256,512 --threads 1

Measured on the tiny reasoner (64 rollouts = 8 train problems x 8, temperature 1.0, s* = 32, one torch
thread, 2 CPU cores of an otherwise idle machine, median of 3):

| t* | elastic tokens / s | TRL tokens / s | speedup |
|---|---|---|---|
| 128 | 9,755 / 1.57 = 6,208 | 9,605 / 1.72 = 5,576 | 1.11x |
| 256 | 14,029 / 2.57 = 5,459 | 13,399 / 3.46 = 3,874 | 1.41x |
| 512 | 15,110 / 3.49 = 4,330 | 14,039 / 9.34 = 1,504 | 2.88x |

At t* = 128 nearly every rollout is cut at the budget, so both sides run about the same number of
forward passes (160 and 161); the elastic side wins there by prefilling each prompt once for its 8
samples and computing the prefill's last logits only. At larger t* finished rows also leave the
elastic batch at once, while ``model.generate`` keeps decoding every row until the longest one ends.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "models" / "tiny_reasoner" / "checkpoint"


def _trainer(base: str, out: str, args: argparse.Namespace, problems: list):
    from elastic_bench.baselines import elastic_rl
    from elastic_bench.baselines.common import load_base

    model, tok = load_base(base)
    config = elastic_rl.ElasticConfig(
        output_dir=out,
        thinking_budget=args.thinking,
        solution_budget=args.solution,
        max_completion_length=args.thinking + 1 + args.solution,
        num_generations=args.generations,
        per_device_train_batch_size=args.generations,
        temperature=args.temperature,
        bf16=False,
        gradient_checkpointing=False,
        use_cpu=True,
        report_to="none",
        seed=0,
        rollout_groups_per_batch=args.batch,
    )
    return elastic_rl.make_trainer(model, tok, None, config, problems=problems)


def _generated(ids: list[int], eos: set[int], pad: int | None) -> int:
    n = 0
    for t in ids:
        if t == pad and t not in eos:
            break
        n += 1
        if t in eos:
            break
    return n


def _measure(args: argparse.Namespace, thinking: int, problems: list) -> dict:
    """Both sides at one t*, ``args.repeats`` times each (alternating); the median time per side."""
    from elastic_bench.baselines.elastic_rl import elastic_rollouts
    from elastic_bench.baselines.grpo_common import prompt_dataset

    args = argparse.Namespace(**{**vars(args), "thinking": thinking})
    with tempfile.TemporaryDirectory() as out:
        trainer = _trainer(args.base, out, args, problems)
        tok = trainer.processing_class
        rows = prompt_dataset(problems, tok)
        prompts = [rows[i]["prompt"] for i in range(len(rows)) for _ in range(args.generations)]
        eos, pad = set(trainer.eos_token_ids), tok.pad_token_id
        prompt_ids = [tok(pr)["input_ids"] for pr in prompts]  # as GRPOTrainer._tokenize_prompts does
        times: dict[str, list[float]] = {"elastic": [], "trl": []}
        tokens: dict[str, int] = {}
        for _ in range(args.repeats):
            start = time.perf_counter()
            rollout = elastic_rollouts(prompts, trainer)
            times["elastic"].append(time.perf_counter() - start)
            tokens["elastic"] = sum(sum(mask) for mask in rollout["env_mask"])  # all but an appended marker
            trainer.model.eval()
            start = time.perf_counter()
            completion_ids, _ = trainer._generate_single_turn(prompt_ids, None, {}, args.generations)
            times["trl"].append(time.perf_counter() - start)
            tokens["trl"] = sum(_generated(list(c), eos, pad) for c in completion_ids)
    report: dict = {"t*": thinking, "s*": args.solution, "prompts": len(prompts)}
    for side in ("elastic", "trl"):
        seconds = statistics.median(times[side])
        report[side] = {
            "tokens": tokens[side],
            "seconds": round(seconds, 2),
            "tokens_per_s": round(tokens[side] / seconds, 1),
            "all_seconds": [round(t, 2) for t in times[side]],
        }
    report["speedup"] = round(report["elastic"]["tokens_per_s"] / report["trl"]["tokens_per_s"], 2)
    return report


def main(argv: list[str] | None = None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base", default=str(BASE))
    p.add_argument("--problems", type=int, default=8)
    p.add_argument("--generations", type=int, default=8)
    p.add_argument("--thinking", default="128", help="t*, or several: 128,256,512")
    p.add_argument("--solution", type=int, default=32, help="s*")
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--batch", type=int, default=64, help="rollouts decoded together by the elastic side")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    p.add_argument("--repeats", type=int, default=3, help="runs per side and t* (median time reported)")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    from elastic_bench.tasks.toy.arithmetic import generate

    problems = generate("train", args.problems, seed=123)
    reports = [_measure(args, int(t), problems) for t in args.thinking.split(",")]
    print(f"{'t*':>5} {'side':<8} {'tokens':>8} {'seconds':>8} {'tokens/s':>9} {'speedup':>8}")
    for report in reports:
        for side in ("elastic", "trl"):
            r = report[side]
            speedup = f"{report['speedup']:>7}x" if side == "elastic" else ""
            print(
                f"{report['t*']:>5} {side:<8} {r['tokens']:>8} {r['seconds']:>8} {r['tokens_per_s']:>9} {speedup}"
            )
    print(json.dumps({"threads": torch.get_num_threads(), "reports": reports}))
    return reports


if __name__ == "__main__":
    main()
