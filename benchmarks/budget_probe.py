"""Where does a model know the budget N stated in its prompt? (a benchmark script, not a test)

    python benchmarks/budget_probe.py models/tiny_reasoner/checkpoint [more checkpoints] [--json]

For 400 elastic_toy test prompts, each with L1-Exact's sentence "Think for N tokens." and N drawn
uniformly from [50, 400], it reads the hidden states of every layer at two places:

* ``prompt``: the last prompt token, where thinking starts;
* ``stop``: the first place inside thinking where the model decides whether to stop, right after the
  first pass's "So the result is X." line (it then writes ``</think>`` or recomputes); for a base
  trained with the budget countdown, after the true countdown lines, the last one right after it.

At each place a ridge regression (closed form, 5-fold cross-validated, the best of a small grid of
penalties) predicts N from the hidden state; R^2 near 1 means N is linearly decodable there, <= 0 means
it is not. The same fit on shuffled N is the control. At ``stop`` it also reports the Spearman
correlation of P(``</think>``) with N: a budget-following model stops more often when N is small.

An L1 trainer can only teach a model to stop by N if N reaches the place where it stops.
"""

from __future__ import annotations

import argparse
import json
import random

import numpy as np
import torch
from scipy.stats import spearmanr

PENALTIES = np.logspace(-3, 3, 13)
FOLDS = 5


def ridge_cv_r2(x: np.ndarray, y: np.ndarray, seed: int = 0) -> float:
    """Cross-validated R^2 of a ridge regression of ``y`` on ``x`` (features standardised on each
    training fold), the best over :data:`PENALTIES`."""
    order = np.random.default_rng(seed).permutation(len(y))
    folds = np.array_split(order, FOLDS)
    best = -np.inf
    for penalty in PENALTIES:
        predicted = np.empty_like(y)
        for k, test in enumerate(folds):
            train = np.concatenate([f for j, f in enumerate(folds) if j != k])
            mean, std = x[train].mean(0), x[train].std(0) + 1e-8
            a = (x[train] - mean) / std
            weights = np.linalg.solve(
                a.T @ a + penalty * np.eye(a.shape[1]), a.T @ (y[train] - y[train].mean())
            )
            predicted[test] = ((x[test] - mean) / std) @ weights + y[train].mean()
        r2 = 1 - ((y - predicted) ** 2).sum() / ((y - y.mean()) ** 2).sum()
        best = max(best, float(r2))
    return best


def probe(checkpoint: str, n_prompts: int = 400, seed: int = 0) -> dict:
    """Per layer R^2 (and the shuffled control) at ``prompt`` and ``stop``, and P(stop) against N."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from elastic_bench.baselines.budget_following import writes_countdown
    from elastic_bench.baselines.grpo_common import budget_prompt
    from elastic_bench.harness.generation import L1_WORDINGS, budget_sentence
    from elastic_bench.harness.protocol import THINK_END
    from elastic_bench.models.tiny_reasoner.traces import Countdown, thinking, token_counter
    from elastic_bench.tasks.toy.arithmetic import generate

    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    model = AutoModelForCausalLM.from_pretrained(checkpoint).eval()
    stop_id = tokenizer.convert_tokens_to_ids(THINK_END)
    countdown = writes_countdown(checkpoint)
    count = token_counter(tokenizer)
    problems = generate("test", 200, seed=0)
    rng = random.Random(seed)
    budgets = [rng.randint(50, 400) for _ in range(n_prompts)]
    features: dict[str, list[np.ndarray]] = {"prompt": [], "stop": []}
    p_stop = []
    for i, budget in enumerate(budgets):
        problem = problems[i % len(problems)]
        prompt = budget_prompt(
            tokenizer, problem.problem, "e1", budget_sentence(L1_WORDINGS["exact"], budget)
        )
        # every step once, then "So the result is X." (and, for a base that counts a stated budget
        # down, its lines, the last one "R tokens left." right before the decision)
        first_pass = thinking(problem, countdown=Countdown(budget, count) if countdown else None)
        for place, text in (("prompt", prompt), ("stop", prompt + first_pass)):
            ids = tokenizer(text, add_special_tokens=False, return_tensors="pt")["input_ids"]
            with torch.no_grad():
                out = model(ids, output_hidden_states=True)
            features[place].append(torch.stack([h[0, -1] for h in out.hidden_states]).numpy())
            if place == "stop":
                p_stop.append(float(torch.softmax(out.logits[0, -1].float(), -1)[stop_id]))
    y = np.array(budgets, dtype=float)
    shuffled = np.random.default_rng(seed).permutation(y)
    report: dict = {"checkpoint": checkpoint, "prompts": n_prompts}
    for place, rows in features.items():
        x = np.stack(rows)
        report[place] = [
            {
                "layer": layer,
                "r2": round(ridge_cv_r2(x[:, layer], y), 3),
                "r2_shuffled": round(ridge_cv_r2(x[:, layer], shuffled), 3),
            }
            for layer in range(x.shape[1])
        ]
    report["spearman_p_stop_vs_n"] = round(float(spearmanr(budgets, p_stop).statistic), 3)
    report["mean_p_stop"] = round(float(np.mean(p_stop)), 4)
    return report


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("checkpoints", nargs="+")
    parser.add_argument("--prompts", type=int, default=400)
    parser.add_argument("--json", action="store_true", help="print the reports as one JSON list")
    args = parser.parse_args()
    torch.set_num_threads(1)
    reports = [probe(c, args.prompts) for c in args.checkpoints]
    if args.json:
        print(json.dumps(reports))
        return 0
    for r in reports:
        print(
            f"{r['checkpoint']}: P(stop) {r['mean_p_stop']}, Spearman(P(stop), N) {r['spearman_p_stop_vs_n']}"
        )
        for place in ("prompt", "stop"):
            cells = ", ".join(f"L{x['layer']} {x['r2']} ({x['r2_shuffled']})" for x in r[place])
            print(f"  R^2 of N at {place} (shuffled): {cells}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
