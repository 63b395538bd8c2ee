"""The embedded tiny reasoner's figures (a measurement script, not a test).

    python benchmarks/tiny_reasoner_figures.py [--problems 1000] [--checkpoint PATH]

Greedy, elastic procedure, on the toy test split: accuracy and no-answer per thinking budget
(unconstrained included), mean unconstrained thinking vs the minimal correct trace per difficulty.
Uses the same engine, backend and grader as elastic-bench runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import defaultdict

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from elastic_bench.harness.generation import Budget, BudgetedGenerator, BudgetedRequest, Sampling
from elastic_bench.harness.grading import grade_many
from elastic_bench.harness.protocol import THINK_END
from elastic_bench.models.hf_generator import HFTokenGenerator
from elastic_bench.models.tiny_reasoner import CHECKPOINT_DIR
from elastic_bench.models.tiny_reasoner.traces import minimal_thinking, user_message
from elastic_bench.tasks.build import SWEEPS
from elastic_bench.tasks.toy.arithmetic import generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=1000)
    parser.add_argument("--checkpoint", default=str(CHECKPOINT_DIR))
    parser.add_argument("--seed", type=int, default=0, help="test-split seed")
    args = parser.parse_args()
    torch.set_num_threads(2)
    tokenizer = AutoTokenizer.from_pretrained(args.checkpoint)
    model = AutoModelForCausalLM.from_pretrained(args.checkpoint).eval()
    sweep = SWEEPS["toy"]
    budgets = [*sweep.budgets, None]
    problems = generate("test", args.problems, seed=args.seed)
    prompts = [
        tuple(
            tokenizer.apply_chat_template(
                [{"role": "user", "content": user_message(p)}], add_generation_prompt=True, tokenize=True
            )["input_ids"]
        )
        for p in problems
    ]
    engine = BudgetedGenerator(HFTokenGenerator(model, tokenizer, batch_size=64))
    requests = [
        BudgetedRequest(pr, Budget(t, sweep.solution_budget, max_tokens=sweep.max_gen_toks), Sampling())
        for pr in prompts
        for t in budgets
    ]
    results = engine.run(requests)
    texts = [tokenizer.decode(r.output_ids(), skip_special_tokens=True) for r in results]
    grades = grade_many(
        [(t, p.answer, "toy") for t, p in zip(texts, [p for p in problems for _ in budgets], strict=True)]
    )
    report: dict = {"problems": len(problems), "checkpoint": args.checkpoint, "per_budget": {}}
    for b_i, budget in enumerate(budgets):
        rows = [(results[i], grades[i]) for i in range(b_i, len(results), len(budgets))]
        report["per_budget"][str(budget or "unconstrained")] = {
            "accuracy": round(sum(g.correct for _, g in rows) / len(rows), 4),
            "no_answer": round(sum(g.no_answer for _, g in rows) / len(rows), 4),
            "mean_think_tokens": round(statistics.mean(r.think_tokens for r, _ in rows), 1),
            "think_truncated": round(sum(r.think_truncated for r, _ in rows) / len(rows), 4),
        }
    free = [results[i] for i in range(len(budgets) - 1, len(results), len(budgets))]
    # minimal correct trace in the model's own tokens, with its own </think> (as think_tokens counts it)
    minimal = [
        len(tokenizer(minimal_thinking(p) + THINK_END, add_special_tokens=False)["input_ids"])
        for p in problems
    ]
    by_level: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for p, r, m in zip(problems, free, minimal, strict=True):
        by_level[p.difficulty].append((r.think_tokens, m))
    report["unconstrained_vs_minimal"] = {
        "overall_ratio": round(sum(r.think_tokens for r in free) / sum(minimal), 3),
        "per_difficulty": {
            level: {
                "n": len(v),
                "mean_think": round(statistics.mean(t for t, _ in v), 1),
                "mean_minimal": round(statistics.mean(m for _, m in v), 1),
                "ratio": round(sum(t for t, _ in v) / sum(m for _, m in v), 3),
                "think_stdev": round(statistics.pstdev(t for t, _ in v), 1),
            }
            for level, v in sorted(by_level.items())
        },
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
