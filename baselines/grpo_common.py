"""What the GRPO baselines (L1-Exact, L1-Max, Elastic) share: their config fields, the prompt data
set, correctness through the project's grader, thinking-length counting.

They are on-policy: no reference samples; each step samples its own rollouts (TRL's generation for
L1, the project's budgeted generator for Elastic) and rewards them with the project's grader
(:func:`elastic_bench.harness.grading._grade.grade_many`: extraction, fast path, math_verify in the worker
pool with its hard per-answer timeout), never a second answer checker.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from datasets import Dataset
from trl import GRPOConfig

from elastic_bench.baselines.common import gather_objects, process_rank, prompt_text
from elastic_bench.baselines.reference import ReferenceSet, problems_sha256
from elastic_bench.harness.grading import GRADING_TIMEOUT_S, grade_many
from elastic_bench.harness.protocol import THINK_END
from elastic_bench.harness.provenance import weights_sha256
from elastic_bench.models.tokenized import render_chat
from elastic_bench.tasks.prompts import render

#: on-policy methods: train_method skips reference sampling and passes the problems
ON_POLICY = True


@dataclass
class GradedGRPOConfig(GRPOConfig):
    """GRPOConfig plus what every graded GRPO recipe needs."""

    benchmark: str = field(default="toy", metadata={"help": "registry benchmark whose grader scores answers"})
    prompt_template: str = field(default="e1", metadata={"help": "prompt template (tasks.prompts)"})
    think_end: str = field(default=THINK_END, metadata={"help": "the model's end-of-thinking marker"})
    grade_timeout: float = field(
        default=GRADING_TIMEOUT_S, metadata={"help": "hard per-answer grading timeout (s)"}
    )
    grade_workers: int = field(default=1, metadata={"help": "grader worker processes"})
    rollout_groups_per_batch: int = field(
        default=64, metadata={"help": "rollouts the project's generator decodes together"}
    )


def no_references(base: str | Path, problems: list, *_, **__) -> ReferenceSet:
    """``sample_references``'s stand-in for on-policy methods: samples nothing, carries the base
    weights' and problems' hashes for the training record."""
    weights = weights_sha256(base) if Path(str(base)).is_dir() else None
    p_hash = problems_sha256(problems)
    return ReferenceSet(key="on-policy", base_weights_sha256=weights, problems_sha256=p_hash, settings={})


def budget_prompt(tokenizer, problem: str, template: str = "e1", sentence: str | None = None) -> str:
    """The prompt as the elastic tasks render it, with ``sentence`` appended to the user turn
    (``render(problem) + " " + sentence``); without a sentence it is exactly ``prompt_text``."""
    if sentence is None:
        return prompt_text(tokenizer, problem, template)
    return render_chat(tokenizer, [{"role": "user", "content": f"{render(problem, template)} {sentence}"}])


def prompt_dataset(
    problems: list,
    tokenizer,
    template: str = "e1",
    sentences: Sequence[str] | None = None,
    extra: dict[str, Sequence] | None = None,
) -> Dataset:
    """Rows ``prompt`` (chat-templated text; ``sentences[i]`` appended to problem i's user turn),
    ``answer`` and any ``extra`` columns."""
    rows = []
    for i, p in enumerate(problems):
        sentence = sentences[i] if sentences is not None else None
        row = {"prompt": budget_prompt(tokenizer, p.problem, template, sentence), "answer": p.answer}
        row.update({key: values[i] for key, values in (extra or {}).items()})
        rows.append(row)
    return Dataset.from_list(rows)


def correctness(texts: Sequence[str], answers: Sequence[str], args: GradedGRPOConfig) -> list[bool]:
    """Whether each completion's answer is right, by the project's grader (worker pool + timeout)."""
    items = [(t, a, args.benchmark) for t, a in zip(texts, answers, strict=True)]
    grades = grade_many(items, workers=args.grade_workers, timeout=args.grade_timeout, marker=args.think_end)
    return [bool(g.correct) for g in grades]


def sample_indices(prompt_ids: Sequence[Sequence[int]]) -> list[int]:
    """Sample j of each received prompt: its repeats numbered 0, 1, ... in order over every
    process's share (TRL may split a prompt's group over processes; numbering each share alone
    would give two rollouts of a group the same seed)."""
    keys = [tuple(ids) for ids in prompt_ids]
    seen: dict[tuple[int, ...], int] = {}
    for share in gather_objects([keys])[: process_rank()]:  # the shares of lower ranks come first
        for key in share:
            seen[key] = seen.get(key, -1) + 1
    out = []
    for key in keys:
        out.append(seen.setdefault(key, -1) + 1)
        seen[key] = out[-1]
    return out


def think_tokens(ids: Sequence[int], marker_ids: Sequence[int], eos_ids: Sequence[int]) -> int:
    """Thinking tokens of a one-phase completion: up to and including the first end-of-thinking
    marker (as the strategies count them), or every generated token but a final EOS when none."""
    n = len(marker_ids)
    for i in range(len(ids) - n + 1):
        if list(ids[i : i + n]) == list(marker_ids):
            return i + n
    ids = list(ids)
    while ids and ids[-1] in set(eos_ids):
        ids.pop()
    return len(ids)
