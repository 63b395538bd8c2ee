"""Length reduction with realistic sampling entropy: SFT, DPO and O1-Pruner on the phrasing variant.

The committed tiny reasoner is nearly deterministic (its traces have one wording), so a trainer that
pushes whole traces down may fail there for a reason no real reasoning model shares. This
environment trains each reference-sample method with its committed toy recipe's shape on the
tiny-reasoner variant whose traces vary in wording (:mod:`elastic_bench.models.tiny_reasoner.phrasings`)
and reports start and end figures on VALIDATION problems (greedy): accuracy, mean thinking tokens,
the relative length change, and the per-token sampling entropy of the model along its own traces.
The bar (O1-Pruner's paper): accuracy within 2 points at >= 30% shorter thinking.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from pathlib import Path

import torch

from elastic_bench.harness.provenance import portable_path, weights_sha256
from elastic_bench.harness.results import write_atomic
from elastic_bench.models.tiny_reasoner import PHRASINGS_CHECKPOINT_DIR

METHODS = ("sft", "dpo", "o1_pruner")
#: validation problems (greedy) for accuracy and thinking length; ``quick`` uses fewer
EVAL_PROBLEMS = 100
QUICK_EVAL_PROBLEMS = 40
#: problems x samples (T = 1) along which the per-token entropy is measured
ENTROPY_PROBLEMS = 16
ENTROPY_SAMPLES = 4
#: the bar: accuracy within this many points at this much shorter thinking
MAX_ACCURACY_DROP = 0.02
MIN_LENGTH_REDUCTION = 0.30
#: recipe overrides that make a ``quick`` run a smoke test (a few optimizer steps)
QUICK_OVERRIDES = {
    "data.n_problems": "8",
    "data.k": "4",
    "trainer.max_steps": "4",
    "trainer.save_strategy": "no",
}


def token_entropy(logits: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean entropy (nats) of the next-token distributions ``softmax(logits)`` over positions where
    ``mask`` is 1. ``logits``: ``[batch, positions, vocab]``; ``mask``: ``[batch, positions]``."""
    logp = torch.log_softmax(logits.float(), dim=-1)
    entropy = -(logp.exp() * logp).sum(-1)
    m = mask.to(entropy.dtype)
    return (entropy * m).sum() / m.sum().clamp(min=1.0)


def sampled_entropy(
    model,
    tokenizer,
    problems: list,
    checkpoint: str | Path,
    samples: int = ENTROPY_SAMPLES,
    seed: int = 0,
    batch: int = 16,
) -> dict:
    """Per-token entropy along the model's own traces: ``samples`` completions per problem drawn at
    T = 1, then the entropy of each next-token distribution over the completion's tokens (EOS kept)."""
    from elastic_bench.baselines.reference import sample_references

    refs = sample_references(checkpoint, problems, samples, seed=seed, model=model, tokenizer=tokenizer)
    total, count = 0.0, 0
    model.eval()
    with torch.no_grad():
        for start in range(0, len(refs.samples), batch):
            chunk = refs.samples[start : start + batch]
            rows = []
            for s in chunk:
                prompt = tokenizer(s.prompt, add_special_tokens=False)["input_ids"]
                completion = tokenizer(s.completion, add_special_tokens=False)["input_ids"]
                rows.append((prompt + completion, len(prompt)))
            width = max(len(ids) for ids, _ in rows)
            pad = tokenizer.pad_token_id or 0
            ids = torch.full((len(rows), width), pad, dtype=torch.long)
            att = torch.zeros((len(rows), width), dtype=torch.long)
            mask = torch.zeros((len(rows), width), dtype=torch.long)
            for i, (seq, prompt_len) in enumerate(rows):
                ids[i, : len(seq)] = torch.tensor(seq)
                att[i, : len(seq)] = 1
                # the distribution that chose completion token j sits at position j - 1
                mask[i, prompt_len - 1 : len(seq) - 1] = 1
            logits = model(input_ids=ids, attention_mask=att).logits
            n = int(mask.sum())
            total += float(token_entropy(logits, mask)) * n
            count += n
    return {
        "nats_per_token": round(total / max(count, 1), 4),
        "tokens": count,
        "traces": len(refs.samples),
        "accuracy_sampled": round(sum(s.correct for s in refs.samples) / len(refs.samples), 4),
    }


#: an equation of a trace line: ``a op b = c``
_EQUATION = re.compile(r"(-?\d+) ([+\-*]) (\d+) = (-?\d+)")
_STEP = re.compile(r"operation (\d+):", re.IGNORECASE)
#: what a wrong answer's trace did, in the order :func:`failure_kind` checks it
FAILURE_KINDS = (
    "no_answer",
    "malformed",
    "skipped_step",
    "wrong_step",
    "wrong_arithmetic",
    "first_pass_right",
)


def failure_kind(problem, completion: str) -> str:
    """Why a wrong answer is wrong, read from its first pass (the lines before the first "result is"):
    ``no_answer`` (no ``</think>`` or no boxed answer), ``malformed`` (the thinking does not open with
    the start line every trained trace opens with), ``skipped_step`` (a needed operation never
    written), ``wrong_step`` (an operation applied to the wrong value or operand), ``wrong_arithmetic``
    (``a op b = c`` false), else ``first_pass_right`` (every step of the first pass right: the slip came
    later, in a recomputation or in stating the answer)."""
    from elastic_bench.harness.protocol import THINK_END

    thinking, marker, answer = completion.partition(THINK_END)
    if not marker or "\\boxed{" not in answer:
        return "no_answer"
    if not re.match(r"(So )?start with -?\d+\.", thinking, flags=re.IGNORECASE):
        return "malformed"
    first_pass = re.split(r"result is", thinking, maxsplit=1, flags=re.IGNORECASE)[0]
    steps: dict[int, tuple[int, str, int, int]] = {}
    for line in first_pass.splitlines():
        step, equation = _STEP.search(line), _EQUATION.search(line)
        if step and equation and "double-check" not in line:
            a, op, b, c = equation.groups()
            steps.setdefault(int(step.group(1)), (int(a), op, int(b), int(c)))
    values = problem.values()
    needed = range(1, len(problem.operations) + 1)
    if any(i not in steps for i in needed):
        return "skipped_step"
    for i in needed:
        a, op, b, c = steps[i]
        expected = problem.operations[i - 1]
        if a != values[i - 1] or op != expected.symbol or b != expected.operand:
            return "wrong_step"
        if c != values[i]:  # the step's value and operation are right here, so values[i] is a op b
            return "wrong_arithmetic"
    return "first_pass_right"


def evaluate(model, tokenizer, problems: list, checkpoint: str | Path) -> dict:
    """Greedy accuracy and mean thinking tokens (the project's generator, unconstrained), and what
    each wrong answer's trace did (:func:`failure_kind`)."""
    from elastic_bench.baselines.reference import sample_references

    start = time.monotonic()
    refs = sample_references(checkpoint, problems, 1, temperature=0.0, model=model, tokenizer=tokenizer)
    n = len(refs.samples)
    by_id = {p.id: p for p in problems}
    failures = dict.fromkeys(FAILURE_KINDS, 0)
    for sample in refs.samples:
        if not sample.correct:
            failures[failure_kind(by_id[sample.problem_id], sample.completion)] += 1
    return {
        "accuracy": round(sum(s.correct for s in refs.samples) / n, 4),
        "mean_think_tokens": round(sum(s.think_tokens for s in refs.samples) / n, 1),
        "failures": failures,
        "problems": n,
        "eval_seconds": round(time.monotonic() - start, 1),
    }


def measure(
    checkpoint: str | Path, n_eval: int = EVAL_PROBLEMS, entropy_problems: int = ENTROPY_PROBLEMS
) -> dict:
    """Accuracy, thinking length (validation, greedy) and per-token entropy (other validation problems, T = 1)."""
    from elastic_bench.baselines.common import load_base
    from elastic_bench.tasks.toy.arithmetic import generate

    model, tokenizer = load_base(checkpoint)
    start = time.monotonic()
    figures = evaluate(model, tokenizer, generate("validation", n_eval, seed=0), checkpoint)
    entropy_set = generate("validation", entropy_problems, seed=1)
    figures["entropy"] = sampled_entropy(model, tokenizer, entropy_set, checkpoint)
    figures["entropy_nats_per_token"] = figures["entropy"]["nats_per_token"]
    figures["seconds"] = round(time.monotonic() - start, 1)
    return figures


def measure_cached(checkpoint: str | Path, n_eval: int, entropy_problems: int, cache_dir: Path) -> dict:
    """:func:`measure`, kept in ``cache_dir`` by the checkpoint's weights (the start figures of every
    method on one base are measured once)."""
    key = f"v2-{weights_sha256(checkpoint)[:16]}-{n_eval}-{entropy_problems}"
    path = cache_dir / f"start-{key}.json"
    if path.is_file():
        return json.loads(path.read_text())
    figures = measure(checkpoint, n_eval, entropy_problems)
    cache_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(figures))
    return figures


def relative_change(start: float, end: float) -> float:
    """``(end - start) / start`` (negative: shorter)."""
    return round((end - start) / start, 4) if start else 0.0


def validate(
    method: str,
    *,
    quick: bool = False,
    work_dir: str | Path | None = None,
    base: str | Path = PHRASINGS_CHECKPOINT_DIR,
    overrides: dict[str, str] | None = None,
) -> dict:
    """Train ``method`` with its committed toy recipe on the phrasing variant and report start / end
    figures (JSON-able): accuracy, mean thinking tokens, relative length change, per-token entropy,
    training seconds, whether the O1-Pruner bar holds, and the settings."""
    if method not in METHODS:
        raise ValueError(
            f"unknown method {method!r} for this environment; expected one of {', '.join(METHODS)}"
        )
    if not Path(base).is_dir():
        build = (
            "; build it with: python -m elastic_bench.models.tiny_reasoner.train --phrasings "
            "--output-dir models/tiny_reasoner/phrasings_checkpoint"
            if Path(base) == PHRASINGS_CHECKPOINT_DIR
            else ""
        )
        raise ValueError(f"base {str(base)!r} is not a model folder{build}")
    from elastic_bench.baselines.recipe import default_recipe
    from elastic_bench.baselines.train import train_method

    settings = {**(QUICK_OVERRIDES if quick else {}), **(overrides or {})}
    n_eval = QUICK_EVAL_PROBLEMS if quick else EVAL_PROBLEMS
    n_entropy = ENTROPY_PROBLEMS // 4 if quick else ENTROPY_PROBLEMS
    with tempfile.TemporaryDirectory(prefix="validate_entropy_") as scratch:
        root = Path(work_dir) if work_dir else Path(scratch)
        out = root / method
        cache = root / "references"
        settings.setdefault("data.cache_dir", str(cache))
        started = measure_cached(base, n_eval, n_entropy, Path(settings["data.cache_dir"]))
        t0 = time.monotonic()
        record = train_method(method, base, out, overrides=settings)
        train_seconds = round(time.monotonic() - t0, 1)
        ended = measure(out, n_eval, n_entropy)
    change = relative_change(started["mean_think_tokens"], ended["mean_think_tokens"])
    drop = round(started["accuracy"] - ended["accuracy"], 4)
    checks = {
        f"accuracy within {100 * MAX_ACCURACY_DROP:.0f} points of start": drop <= MAX_ACCURACY_DROP + 1e-9,
        f"thinking >= {MIN_LENGTH_REDUCTION:.0%} shorter": change <= -MIN_LENGTH_REDUCTION,
    }
    return {
        "environment": "length_reduction_entropy",
        "method": method,
        "base": portable_path(base),
        "recipe": portable_path(default_recipe(method)),
        "overrides": settings,
        "quick": quick,
        "eval_problems": n_eval,
        "accuracy_start": started["accuracy"],
        "accuracy_end": ended["accuracy"],
        "accuracy_drop": drop,
        "think_tokens_start": started["mean_think_tokens"],
        "think_tokens_end": ended["mean_think_tokens"],
        "relative_length_change": change,
        "entropy_start": started["entropy"]["nats_per_token"],
        "entropy_end": ended["entropy"]["nats_per_token"],
        "train_seconds": train_seconds,
        "optimizer_steps": record.optimizer_steps,
        "passed": all(checks.values()),
        "checks": checks,
        "seconds": {
            "start_eval": started.get("seconds"),
            "train": train_seconds,
            "end_eval": ended.get("seconds"),
        },
        "start": started,
        "end": ended,
    }
