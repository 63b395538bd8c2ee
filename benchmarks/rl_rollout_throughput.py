"""Rollout throughput for GRPO: the elastic rollout vs TRL's default generation, same prompts.

Both sides run inside a real ``GRPOTrainer`` on the same model, the same prompts (each repeated
``--generations`` times, as TRL's sampler hands them out) and the same sampling:

* ``elastic``: ``baselines.elastic_rl.elastic_rollouts`` (the project's budgeted generator:
  thinking <= t*, ``</think>`` appended when cut, solution <= s*);
* ``trl``: the trainer's own default path (``GRPOTrainer._generate_single_turn``, i.e.
  ``model.generate``), one phase capped at ``max_completion_length = t* + 1 + s*``.

Generated tokens/s counts the tokens each side generated (an appended marker is not generated;
padding after EOS is not counted)::

    python benchmarks/rl_rollout_throughput.py --problems 8 --generations 8 --thinking 128 --solution 32

Measured on the tiny reasoner (64 rollouts = 8 train problems x 8, temperature 1.0, ``--threads 1``,
``OMP_NUM_THREADS=1``, 2 CPU cores of an otherwise idle machine):

* t* = 128, s* = 32 (the elastic_toy recipe): elastic 9,755 tokens in 2.03 s = 4,808 tokens/s;
  TRL 9,837 tokens in 1.73 s = 5,682 tokens/s (0.85x: two phases, two prefills, similar lengths).
* t* = 512, s* = 32: elastic 15,110 tokens in 3.75 s = 4,026 tokens/s; TRL 15,095 tokens in
  8.03 s = 1,879 tokens/s (2.14x: finished rows leave the elastic batch at once, while
  ``model.generate`` keeps decoding every row until the longest one ends).

On the same cores shared with other jobs (load average 6-13) both sides were about 10 times slower
and the ratios 0.93x and 2.04x.
"""

from __future__ import annotations

import argparse
import json
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


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base", default=str(BASE))
    p.add_argument("--problems", type=int, default=8)
    p.add_argument("--generations", type=int, default=8)
    p.add_argument("--thinking", type=int, default=128, help="t*")
    p.add_argument("--solution", type=int, default=32, help="s*")
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--batch", type=int, default=64, help="rollouts decoded together by the elastic side")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    from elastic_bench.baselines.elastic_rl import elastic_rollouts
    from elastic_bench.baselines.grpo_common import prompt_dataset
    from elastic_bench.tasks.toy.arithmetic import generate

    problems = generate("train", args.problems, seed=123)
    with tempfile.TemporaryDirectory() as out:
        trainer = _trainer(args.base, out, args, problems)
        tok = trainer.processing_class
        rows = prompt_dataset(problems, tok)
        prompts = [rows[i]["prompt"] for i in range(len(rows)) for _ in range(args.generations)]
        eos, pad = set(trainer.eos_token_ids), tok.pad_token_id
        report = {
            "prompts": len(prompts),
            "t*": args.thinking,
            "s*": args.solution,
            "threads": torch.get_num_threads(),
        }

        start = time.perf_counter()
        rollout = elastic_rollouts(prompts, trainer)
        seconds = time.perf_counter() - start
        tokens = sum(sum(mask) for mask in rollout["env_mask"])  # generated = all but the appended marker
        report["elastic"] = {
            "tokens": tokens,
            "seconds": round(seconds, 2),
            "tokens_per_s": round(tokens / seconds, 1),
        }

        prompt_ids = [tok(pr)["input_ids"] for pr in prompts]  # as GRPOTrainer._tokenize_prompts does
        trainer.model.eval()
        start = time.perf_counter()
        completion_ids, _ = trainer._generate_single_turn(prompt_ids, None, {}, args.generations)
        seconds = time.perf_counter() - start
        tokens = sum(_generated(list(c), eos, pad) for c in completion_ids)
        report["trl"] = {
            "tokens": tokens,
            "seconds": round(seconds, 2),
            "tokens_per_s": round(tokens / seconds, 1),
        }
    report["speedup"] = round(report["elastic"]["tokens_per_s"] / report["trl"]["tokens_per_s"], 2)
    print(f"{'side':<8} {'tokens':>8} {'seconds':>8} {'tokens/s':>9}")
    for side in ("elastic", "trl"):
        r = report[side]
        print(f"{side:<8} {r['tokens']:>8} {r['seconds']:>8} {r['tokens_per_s']:>9}")
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    main()
