"""The length-reduction environment: the phrasing variant's traces and the entropy measurement."""

from __future__ import annotations

import math
import random

import torch

from elastic_bench.baselines.validate.entropy import relative_change, token_entropy
from elastic_bench.harness.grading import grade_many
from elastic_bench.models.tiny_reasoner.phrasings import (
    CHOICE_SETS,
    STEP_OPENERS,
    varied_overthinking,
    varied_thinking,
)
from elastic_bench.models.tiny_reasoner.traces import completion, overthinking, thinking
from elastic_bench.tasks.toy.arithmetic import generate


def test_variant_traces_vary_in_wording_and_are_all_correct():
    problems = generate("train", 40, seed=3)
    rng = random.Random(0)
    texts = [completion(p, varied_overthinking(p, rng)) for p in problems for _ in range(2)]
    answers = [p.answer for p in problems for _ in range(2)]
    grades = grade_many([(t, a, "toy") for t, a in zip(texts, answers, strict=True)])
    assert all(g.correct for g in grades)
    # every choice set's every phrasing is used, so each step has several wordings
    joined = "".join(texts)
    for name, choices in CHOICE_SETS.items():
        for choice in choices:
            stem = choice.split("{")[0] or choice.split("}")[-1]
            assert stem in joined, (name, choice)
    one = problems[0]
    wordings = {varied_thinking(one, random.Random(s)) for s in range(20)}
    assert len(wordings) >= 15  # the same habit (no re-checks) written many ways
    assert all(wording.count(" = ") == len(one.operations) for wording in wordings)


def test_variant_keeps_the_habit_of_the_committed_traces():
    """Same seed, same re-checks and recomputations as ``overthinking``: only the wording differs."""
    for i, problem in enumerate(generate("train", 40, seed=4)):
        fixed = overthinking(problem, random.Random(i))
        varied = varied_overthinking(problem, random.Random(i))
        assert fixed.count("\n") == varied.count("\n")
        assert fixed.count(" = ") == varied.count(" = ")
    # the committed generator's output is unchanged by the shared habit draw
    problem = generate("train", 1, seed=0)[0]
    assert overthinking(problem, random.Random(7)).startswith(thinking(problem)[:20])
    assert len(STEP_OPENERS) >= 3


def test_token_entropy_on_a_hand_built_distribution():
    vocab = 4
    uniform = torch.zeros(vocab)  # entropy ln 4
    certain = torch.tensor([50.0, 0.0, 0.0, 0.0])  # entropy ~0
    half = torch.tensor([0.0, 0.0, -1e4, -1e4])  # two equal tokens: ln 2
    logits = torch.stack([torch.stack([uniform, certain, half]), torch.stack([half, uniform, certain])])
    mask = torch.tensor([[1, 1, 1], [0, 1, 0]])
    expected = (math.log(4) + 0.0 + math.log(2) + math.log(4)) / 4
    assert abs(float(token_entropy(logits, mask)) - expected) < 1e-5
    only_certain = torch.tensor([[0, 1, 0], [0, 0, 1]])
    assert float(token_entropy(logits, only_certain)) < 1e-6


def test_relative_change():
    assert relative_change(200.0, 120.0) == -0.4
    assert relative_change(0.0, 5.0) == 0.0


def test_validate_refuses_a_method_it_does_not_hold_in_one_line():
    import pytest

    from elastic_bench.baselines.validate.entropy import validate

    with pytest.raises(ValueError, match="expected one of sft, dpo, o1_pruner"):
        validate("l1_exact")
    with pytest.raises(ValueError, match="is not a model folder"):
        validate("sft", base="/nonexistent/variant")


def test_failure_kind_names_what_a_wrong_trace_did():
    from elastic_bench.baselines.validate.entropy import failure_kind

    problem = next(p for p in generate("validation", 40, seed=5) if len(p.operations) >= 3)
    rng = random.Random(1)
    right = completion(problem, varied_thinking(problem, rng, {1}, 1))
    values = problem.values()
    op = problem.operations[1]
    line_2 = f"{values[1]} {op.symbol} {op.operand} = {values[2]}"
    assert line_2 in right
    # the answer box differs from the last value although every step is right
    assert (
        failure_kind(problem, right.replace(f"boxed{{{problem.answer}}}", "boxed{999}")) == "first_pass_right"
    )
    assert failure_kind(problem, right.split("</think>")[0]) == "no_answer"
    assert failure_kind(problem, "\n\n" + right) == "malformed"
    false_sum = right.replace(line_2, f"{values[1]} {op.symbol} {op.operand} = {values[2] + 1}", 1)
    assert failure_kind(problem, false_sum) == "wrong_arithmetic"
    wrong_value = right.replace(line_2, f"{values[1] + 1} {op.symbol} {op.operand} = {values[2]}", 1)
    assert failure_kind(problem, wrong_value) == "wrong_step"
    # drop operation 2 from the first pass only: a later recomputation does not count
    first, rest = right.split("result is", 1)
    kept = "\n".join(line for line in first.split("\n") if "operation 2:" not in line.lower())
    assert failure_kind(problem, kept + "result is" + rest) == "skipped_step"
