"""Speed of the shared-prefix sweep and of elastic-hf (a benchmark script, not a test).

    python benchmarks/sweep_speed.py [--problems 100] [--batch-size 32] [--json out.json]

1. elastic_toy's 4 budgets + unconstrained on the tiny reasoner, all in one process:
   decode tokens and wall time of the shared-prefix sweep vs separate per-budget runs, and vs the
   minimum possible (largest-budget thinking + one solution per distinct cut), counted from the
   outputs themselves.
2. Throughput (generated tokens/s) of elastic-hf vs lm-eval's stock ``hf`` backend on the same
   model and unconstrained prompts (greedy, same batch size, tokens counted the same way).
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import torch
from lm_eval.api.instance import Instance

from elastic_bench.harness.protocol import ELASTIC
from elastic_bench.models.elastic_hf import ElasticHFLM
from elastic_bench.models.tiny_reasoner import CHECKPOINT_DIR
from elastic_bench.tasks.build import SWEEPS
from elastic_bench.tasks.prompts import render
from elastic_bench.tasks.toy.arithmetic import generate


def sweep_requests(n: int) -> list[Instance]:
    """elastic_toy's requests (every budget of every problem), as lm-eval hands them over."""
    sweep = SWEEPS["toy"]
    out = []
    for problem in generate("test", n, seed=0):
        for budget in [*sweep.budgets, None]:
            kwargs = {
                "until": [],
                "do_sample": False,
                "temperature": 0.0,
                "max_gen_toks": sweep.max_gen_toks,
                "strategy": ELASTIC,
                "thinking_budget": budget,
                "solution_budget": sweep.solution_budget,
            }
            out.append(Instance("generate_until", {}, (render(problem.problem), kwargs), len(out)))
    return out


def minimum_decode_tokens(requests: list[Instance], responses) -> int:
    """Largest-budget thinking once per prompt + one solution per distinct cut point."""
    per_prompt: dict[str, dict] = {}
    for req, resp in zip(requests, responses, strict=True):
        acct = resp.accounting
        entry = per_prompt.setdefault(req.args[0], {"think": 0, "cuts": {}})
        entry["think"] = max(entry["think"], acct.think_tokens)
        entry["cuts"][acct.think_tokens] = acct.answer_tokens
    return sum(e["think"] + sum(e["cuts"].values()) for e in per_prompt.values())


def timed(lm, requests):
    start = time.perf_counter()
    responses = lm.generate_until(requests, disable_tqdm=True)
    return responses, time.perf_counter() - start


def bench_sweep(n: int, batch_size: int) -> dict:
    requests = sweep_requests(n)
    shared = ElasticHFLM(batch_size=batch_size, share_prefix=True)
    timed(shared, requests[:5])  # warm-up
    shared.generator.counter.generated_tokens = 0
    swept, t_shared = timed(shared, requests)
    shared_tokens = shared.generator.counter.generated_tokens

    separate = ElasticHFLM(batch_size=batch_size, share_prefix=False)
    budgets = sorted({r.args[1]["thinking_budget"] or 10**9 for r in requests})
    t_separate, separate_out = 0.0, {}
    for budget in budgets:  # one run per budget, as separate lm-eval invocations would do
        subset = [r for r in requests if (r.args[1]["thinking_budget"] or 10**9) == budget]
        out, t = timed(separate, subset)
        t_separate += t
        separate_out.update({id(r): o for r, o in zip(subset, out, strict=True)})
    separate_tokens = separate.generator.counter.generated_tokens
    identical = all(str(s) == str(separate_out[id(r)]) for r, s in zip(requests, swept, strict=True))
    minimum = minimum_decode_tokens(requests, swept)
    return {
        "problems": n,
        "requests": len(requests),
        "identical_outputs": identical,
        "sweep_decode_tokens": shared_tokens,
        "separate_decode_tokens": separate_tokens,
        "minimum_decode_tokens": minimum,
        "sweep_over_minimum": round(shared_tokens / minimum, 4),
        "sweep_wall_s": round(t_shared, 2),
        "separate_wall_s": round(t_separate, 2),
        "speedup_vs_separate": round(t_separate / t_shared, 2),
        "sweep_solution_generations": shared.engine.stats.solution_generations,
        "reused_prefix_tokens": shared.generator.counter.reused_prefix_tokens,
    }


def bench_throughput(n: int, batch_size: int) -> dict:
    from lm_eval.models.huggingface import HFLM

    elastic = ElasticHFLM(batch_size=batch_size, chat="no")
    tokenizer = elastic.tokenizer
    prompts = [
        tokenizer.apply_chat_template(
            [{"role": "user", "content": render(p.problem)}], add_generation_prompt=True, tokenize=False
        )
        for p in generate("test", n, seed=1)
    ]
    kwargs = {"until": [], "do_sample": False, "max_gen_toks": 1024}
    requests = [Instance("generate_until", {}, (p, dict(kwargs)), i) for i, p in enumerate(prompts)]

    def count(responses) -> int:
        return sum(len(tokenizer(str(r), add_special_tokens=False)["input_ids"]) + 1 for r in responses)

    stock = HFLM(pretrained=str(CHECKPOINT_DIR), batch_size=batch_size, device="cpu", dtype="float32")
    timed(stock, requests[:4])
    timed(elastic, requests[:4])
    stock_out, t_stock = timed(stock, requests)
    elastic_out, t_elastic = timed(elastic, requests)
    same = sum(str(a).strip() == str(b).strip() for a, b in zip(stock_out, elastic_out, strict=True))
    return {
        "prompts": n,
        "stock_hf_tokens_per_s": round(count(stock_out) / t_stock, 1),
        "elastic_hf_tokens_per_s": round(count(elastic_out) / t_elastic, 1),
        "stock_hf_wall_s": round(t_stock, 2),
        "elastic_hf_wall_s": round(t_elastic, 2),
        "identical_texts": f"{same}/{n}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    report = {
        "machine": f"{platform.processor() or platform.machine()}, {args.threads} threads, torch {torch.__version__}"
    }
    report["sweep"] = bench_sweep(args.problems, args.batch_size)
    print(json.dumps(report["sweep"], indent=2))
    if not args.skip_throughput:
        report["throughput"] = bench_throughput(args.problems, args.batch_size)
        print(json.dumps(report["throughput"], indent=2))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
