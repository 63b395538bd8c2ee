"""Reasoning traces for the synthetic problems, in the format of long-chain-of-thought models.

A trace is ``<think>`` step-by-step work ``</think>`` followed by a short solution ending in
``\\boxed{answer}``. Like real long-CoT models the traces *overthink*: besides the steps a
problem needs they re-check "hard" steps (a carry, a borrow or a multiplication) most of the
time, easy steps now and then, and usually recompute the whole chain once more. The re-check
pattern depends on visible features of the problem, so greedy decoding overthinks too (a purely
random habit below 50% would vanish under greedy decoding), while sampling varies the amount.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass

from elastic_bench.harness.protocol import THINK_END
from elastic_bench.tasks.prompts import render
from elastic_bench.tasks.toy.arithmetic import Operation, Problem

THINK_OPEN = "<think>"
THINK_CLOSE = THINK_END  # one token in the tokenizer: must equal the harness default marker

P_RECHECK_HARD = 0.85
P_RECHECK_EASY = 0.1
P_RECOMPUTE = 0.8
P_SECOND_RECOMPUTE = 0.15


def is_hard_step(value: int, op: Operation) -> bool:
    """A step that a careful solver would double-check: a carry, a borrow or a product."""
    if op.symbol == "*":
        return True
    result = op.apply(value)
    return value // 10 != result // 10


def step_line(index: int, value: int, op: Operation) -> str:
    """``Operation i: <words>, so a op b = c.`` -- the first half repeats the problem's own words,
    so the next operation is found by matching identical text (an induction-style copy)."""
    return f"Operation {index}: {op.phrase()}, so {value} {op.symbol} {op.operand} = {op.apply(value)}.\n"


@dataclass(frozen=True)
class Countdown:
    """Restates what is left of a budget stated in the prompt as the thinking opens and where the
    habit decides whether to write more: after each step of the first pass (re-check it or go on)
    and after each result line (recompute or stop). The line reads ``R tokens left.`` with R = max(0, budget - thinking tokens
    written before it), counted by ``count_tokens`` (the model's tokenizer)."""

    budget: int
    count_tokens: Callable[[str], int]

    def line(self, written: str) -> str:
        """The countdown line after the thinking text ``written`` so far."""
        return f"{max(0, self.budget - self.count_tokens(written))} tokens left.\n"


def token_counter(tokenizer) -> Callable[[str], int]:
    """``text -> number of tokens`` under ``tokenizer`` (no special tokens): a countdown's counter."""

    def count(text: str) -> int:
        return len(tokenizer(text, add_special_tokens=False)["input_ids"])

    return count


def _steps(problem: Problem) -> list[tuple[int, int, Operation]]:
    values = problem.values()
    return [(i + 1, values[i], op) for i, op in enumerate(problem.operations)]


def minimal_thinking(problem: Problem) -> str:
    """The shortest correct thinking: every needed step once, no re-checking."""
    return thinking(problem)


def thinking(
    problem: Problem,
    rechecked: frozenset[int] | set[int] = frozenset(),
    recomputes: int = 0,
    countdown: Countdown | None = None,
) -> str:
    """One trace of the habit's grammar: every step once, a re-check after each step in
    ``rechecked`` (1-based step numbers), then ``recomputes`` (0, 1 or 2) full recomputations;
    with a ``countdown``, its line at every decision point (the habit itself is unchanged)."""
    if recomputes not in (0, 1, 2):
        raise ValueError(f"recomputes must be 0, 1 or 2, got {recomputes}")
    lines: list[str] = []

    def decision_point() -> None:
        if countdown is not None:
            lines.append(countdown.line("".join(lines)))

    decision_point()  # the whole budget, as the thinking opens
    lines.append(f"Start with {problem.start}.\n")
    for i, v, op in _steps(problem):
        lines.append(step_line(i, v, op))
        decision_point()
        if i in rechecked:
            lines.append(
                f"Wait, let me double-check operation {i}: {v} {op.symbol} {op.operand} = {op.apply(v)}. Yes, that is right.\n"
            )
    lines.append(f"So the result is {problem.answer}.\n")
    decision_point()
    for r in range(recomputes):
        header = (
            "Wait, let me recompute everything from the start to be sure.\n"
            if r == 0
            else "Hmm, let me go through it one more time.\n"
        )
        lines.append(header)
        lines.append(f"Start with {problem.start}.\n")
        lines += [step_line(i, v, op) for i, v, op in _steps(problem)]
        lines.append(f"Both computations give {problem.answer}.\n")
        decision_point()
    return "".join(lines)


def draw_habit(problem: Problem, rng: random.Random) -> tuple[set[int], int]:
    """The habit's redundancy for one trace, drawn with ``rng``: (re-checked steps, recomputations)."""
    rechecked = set()
    for i, v, op in _steps(problem):
        p = P_RECHECK_HARD if is_hard_step(v, op) else P_RECHECK_EASY
        if rng.random() < p:
            rechecked.add(i)
    recomputes = 0
    if rng.random() < P_RECOMPUTE:
        recomputes = 1 + int(rng.random() < P_SECOND_RECOMPUTE)
    return rechecked, recomputes


def overthinking(problem: Problem, rng: random.Random, countdown: Countdown | None = None) -> str:
    """Thinking with redundant re-checks and recomputation, drawn with ``rng`` (and the
    ``countdown``'s lines, which draw nothing)."""
    rechecked, recomputes = draw_habit(problem, rng)
    return thinking(problem, rechecked, recomputes, countdown)


def all_thinkings(problem: Problem, countdown: Countdown | None = None) -> list[str]:
    """Every correct trace the habit can write for ``problem`` (each subset of re-checks x 0-2
    recomputations, with the ``countdown``'s lines if given): what the tiny reasoner can say without
    leaving what it was trained on."""
    steps = range(1, len(problem.operations) + 1)
    subsets = itertools.chain.from_iterable(itertools.combinations(steps, k) for k in range(len(steps) + 1))
    return [thinking(problem, set(sub), r, countdown) for sub in subsets for r in (0, 1, 2)]


def solution(problem: Problem) -> str:
    """The short solution that follows ``</think>``."""
    return f"The result is \\boxed{{{problem.answer}}}."


def completion(problem: Problem, thinking: str) -> str:
    """Assistant text after the generation prompt (which already opens ``<think>``)."""
    return f"{thinking}{THINK_CLOSE}\n{solution(problem)}"


def user_message(problem: Problem) -> str:
    """The user turn: the E1 / DeepScaleR prompt, exactly as the elastic_toy task renders it."""
    return render(problem.problem, "e1")
