"""Recipe selection on the toy task's VALIDATION split, so that no recipe is tuned on test problems.

The elastic_toy sweep (the registry's budgets and solution budget, elastic strategy, greedy, the
shared-prefix generator) on ``n`` validation problems, for one or more checkpoints; the recipes'
comments cite its figures::

    python -m elastic_bench.baselines.validation models/tiny_reasoner/checkpoint runs/elastic/checkpoint-* -n 1000
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def validation_sweep(checkpoint: str | Path, n_problems: int = 1000, *, batch_size: int = 64) -> dict:
    """``{"checkpoint", "n_problems", "seconds", "rows": [{budget, accuracy, mean_think_tokens}]}``
    for each elastic_toy budget and unconstrained (budget None), on the validation split."""
    from elastic_bench.baselines.common import load_base, prompt_text
    from elastic_bench.harness.benchmarks import TOY_SEED, get_benchmark
    from elastic_bench.harness.generation import Budget, BudgetedGenerator, BudgetedRequest, Sampling
    from elastic_bench.harness.grading import grade_many
    from elastic_bench.models.hf_generator import HFTokenGenerator
    from elastic_bench.tasks.toy.arithmetic import generate

    bench = get_benchmark("toy")
    sweep = bench.sweep
    problems = generate("validation", int(n_problems), seed=TOY_SEED)
    model, tokenizer = load_base(str(checkpoint))
    backend = HFTokenGenerator(model.eval(), tokenizer, batch_size=batch_size)
    prompts = [
        tuple(backend.encode(prompt_text(tokenizer, p.problem, bench.prompt_template))) for p in problems
    ]
    budgets = (*sweep.budgets, None)
    requests = [
        BudgetedRequest(ids, Budget(t, sweep.solution_budget, max_tokens=sweep.max_gen_toks), Sampling(0.0))
        for t in budgets
        for ids in prompts
    ]
    start = time.monotonic()
    results = BudgetedGenerator(backend, marker=bench.think_end).run(requests, groups_per_batch=batch_size)
    answers = [p.answer for _ in budgets for p in problems]
    grades = grade_many(
        [(backend.decode(r.output_ids()), a, "toy") for r, a in zip(results, answers, strict=True)]
    )
    rows = []
    for j, budget in enumerate(budgets):
        part = range(j * len(problems), (j + 1) * len(problems))
        rows.append(
            {
                "budget": budget,
                "accuracy": round(sum(bool(grades[i].correct) for i in part) / len(part), 4),
                "mean_think_tokens": round(sum(results[i].think_tokens for i in part) / len(part), 1),
            }
        )
    return {
        "checkpoint": str(checkpoint),
        "n_problems": int(n_problems),
        "seconds": round(time.monotonic() - start, 1),
        "rows": rows,
    }


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
