"""Where did training move probability? Log-probs of the parts of correct traces (a benchmark script).

    python benchmarks/trace_logprobs.py BASE TRAINED [TRAINED ...] [--problems 100] [--json]

Each checkpoint reads the same correct, minimal traces of validation problems (every operation once,
no re-check, no recomputation, in the phrasing variant's first wording) under teacher forcing, and the
mean log-probability of their tokens is reported by part:

* ``result``: the digits of ``c`` in each ``a op b = c`` (the arithmetic);
* ``next_step``: the first token of each step line after the first (continuing to a needed operation;
  a model that learned to end early loses probability here);
* ``stop``: ``</think>`` after the result line (ending the thinking instead of recomputing);
* ``other``: every other thinking token.

A length-reduction method should raise ``stop`` and leave ``result`` and ``next_step`` where they were.
"""

from __future__ import annotations

import argparse
import json
import re

import torch

PARTS = ("result", "next_step", "stop", "other")


def part_logprobs(checkpoint: str, problems: list) -> dict[str, float]:
    """Mean log-probability of each part of the problems' minimal traces under ``checkpoint``."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from elastic_bench.harness.protocol import THINK_END
    from elastic_bench.models.tiny_reasoner.traces import minimal_thinking, user_message

    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    model = AutoModelForCausalLM.from_pretrained(checkpoint).eval()
    sums = dict.fromkeys(PARTS, 0.0)
    counts = dict.fromkeys(PARTS, 0)
    for problem in problems:
        prompt = tokenizer.apply_chat_template(
            [{"role": "user", "content": user_message(problem)}], tokenize=False, add_generation_prompt=True
        )
        trace = minimal_thinking(problem)  # the variant's first wording of every line
        text = prompt + trace + THINK_END
        encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        ids = torch.tensor([encoded["input_ids"]])
        with torch.no_grad():
            logp = torch.log_softmax(model(ids).logits[0].float(), -1)
        start = len(prompt)
        results = [(start + m.start(1), start + m.end(1)) for m in re.finditer(r"= (\d+)[.;]", trace)]
        line_starts = [start + m.start() for m in re.finditer(r"(?m)^\w", trace)][2:-1]  # steps 2..n
        stop_at = start + len(trace)
        for position, (begin, _) in enumerate(encoded["offset_mapping"]):
            if position == 0 or begin < start:
                continue
            if begin == stop_at:
                part = "stop"
            elif any(b <= begin < e for b, e in results):
                part = "result"
            elif begin in line_starts:
                part = "next_step"
            else:
                part = "other"
            sums[part] += float(logp[position - 1, ids[0, position]])
            counts[part] += 1
    return {part: round(sums[part] / max(counts[part], 1), 4) for part in PARTS}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("checkpoints", nargs="+")
    parser.add_argument("--problems", type=int, default=100)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from elastic_bench.tasks.toy.arithmetic import generate

    torch.set_num_threads(1)
    problems = generate("validation", args.problems, seed=0)
    rows = {c: part_logprobs(c, problems) for c in args.checkpoints}
    if args.json:
        print(json.dumps(rows))
        return 0
    print("| checkpoint | " + " | ".join(PARTS) + " |")
    print("|---" * (len(PARTS) + 1) + "|")
    for checkpoint, parts in rows.items():
        print(f"| {checkpoint} | " + " | ".join(f"{parts[p]:.4f}" for p in PARTS) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
