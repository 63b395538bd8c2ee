"""How well does a base trained with the budget countdown keep it? (a benchmark script, not a test)

    python benchmarks/countdown_accuracy.py models/tiny_reasoner/checkpoint [more checkpoints] [--json]

A base trained with ``--budget-countdown`` writes ``R tokens left.`` as its thinking opens, after each
first-pass step and after each result line, where R should be N minus the thinking tokens written so
far (:class:`~elastic_bench.models.tiny_reasoner.traces.Countdown`). For elastic_toy test problems, each
prompted with L1-Exact's sentence for several N, it decodes greedily and compares every written R with
the true one, by place (the opening line, the step lines, the result lines): mean absolute error, the
Pearson correlation of written with true R, and how often the written R is within 10 tokens of the
true one. A countdown that follows N at the result lines is what lets an L1 trainer teach the model
to stop by N there.
"""

from __future__ import annotations

import argparse
import json
import re

import numpy as np
import torch

LINE = re.compile(r"^(\d+) tokens left\.$")


def places(thinking: str, count_tokens) -> list[tuple[str, int, int]]:
    """(place, written R, thinking tokens before the line) for each countdown line of ``thinking``;
    the true R is the budget minus the last (at least 0)."""
    out = []
    written = ""
    previous = None
    for line in thinking.splitlines(keepends=True):
        match = LINE.match(line.strip())
        if match:
            place = (
                "opening"
                if previous is None
                else ("result" if previous.startswith(("So the", "Both")) else "step")
            )
            out.append((place, int(match.group(1)), count_tokens(written)))
        previous = line
        written += line
    return out


def measure(checkpoint: str, n_problems: int, budgets: list[int], batch: int = 40) -> dict:
    """Greedy samples of ``checkpoint`` on the first ``n_problems`` test problems at each budget."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from elastic_bench.baselines.grpo_common import budget_prompt
    from elastic_bench.harness.generation import L1_WORDINGS, budget_sentence
    from elastic_bench.models.tiny_reasoner.traces import THINK_CLOSE, token_counter
    from elastic_bench.tasks.toy.arithmetic import generate

    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    model = AutoModelForCausalLM.from_pretrained(checkpoint).eval()
    problems = generate("test", n_problems, seed=0)
    count = token_counter(tokenizer)

    rows = []
    for budget in budgets:
        sentence = budget_sentence(L1_WORDINGS["exact"], budget)
        prompts = [budget_prompt(tokenizer, p.problem, "e1", sentence) for p in problems]
        for start in range(0, len(prompts), batch):
            enc = tokenizer(
                prompts[start : start + batch], return_tensors="pt", padding=True, add_special_tokens=False
            )
            with torch.no_grad():
                out = model.generate(**enc, max_new_tokens=700, do_sample=False)
            for ids in out[:, enc["input_ids"].shape[1] :]:
                thinking = tokenizer.decode(ids, skip_special_tokens=True).split(THINK_CLOSE)[0]
                for place, written, before in places(thinking, count):
                    rows.append((budget, place, written, max(0, budget - before)))
    report = {"checkpoint": checkpoint, "problems": n_problems, "budgets": budgets, "places": {}}
    for place in ("opening", "step", "result"):
        sel = [(w, t) for _, p, w, t in rows if p == place]
        if not sel:
            continue
        written, true = np.array(sel, dtype=float).T
        report["places"][place] = {
            "lines": len(sel),
            "mean_abs_error": round(float(np.abs(written - true).mean()), 1),
            "pearson": round(float(np.corrcoef(written, true)[0, 1]), 3) if true.std() > 0 else None,
            "within_10": round(float((np.abs(written - true) <= 10).mean()), 3),
        }
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", nargs="+")
    parser.add_argument("--problems", type=int, default=40)
    parser.add_argument("--budgets", default="64,128,256,400")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    budgets = [int(b) for b in args.budgets.split(",")]
    reports = [measure(c, args.problems, budgets) for c in args.checkpoints]
    if args.json:
        print(json.dumps(reports, indent=1))
        return
    print("| model | place | lines | mean abs error | Pearson (written, true) | within 10 tokens |")
    print("|---|---|---|---|---|---|")
    for r in reports:
        for place, s in r["places"].items():
            print(
                f"| {r['checkpoint']} | {place} | {s['lines']} | {s['mean_abs_error']} | {s['pearson']} | {100 * s['within_10']:.0f}% |"
            )


if __name__ == "__main__":
    main()
