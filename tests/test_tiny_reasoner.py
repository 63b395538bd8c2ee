"""The embedded default: synthetic data, overthinking traces, the committed checkpoint, training."""

from __future__ import annotations

import random

import pytest

from elastic_bench.models.tiny_reasoner import CHECKPOINT_DIR
from elastic_bench.models.tiny_reasoner.traces import (
    all_thinkings,
    completion,
    minimal_thinking,
    overthinking,
    user_message,
)
from elastic_bench.tasks.toy.arithmetic import OPS_PER_LEVEL, generate, split_of


def test_splits_are_disjoint_and_deterministic():
    train = {p.problem for p in generate("train", 3000, seed=0)}
    val = {p.problem for p in generate("validation", 200, seed=0)}
    test = {p.problem for p in generate("test", 200, seed=0)}
    assert not (train & test) and not (train & val) and not (val & test)
    assert [p.problem for p in generate("test", 50, seed=0)] == [
        p.problem for p in generate("test", 50, seed=0)
    ]
    other = generate("test", 50, seed=1)
    assert {p.problem for p in other} != {p.problem for p in generate("test", 50, seed=0)}
    assert all(split_of(p.problem) == "test" for p in other)  # the split does not depend on the seed


def test_problems_are_right_and_harder_means_longer():
    for problem in generate("test", 100, seed=3):
        values = problem.values()
        assert str(values[-1]) == problem.answer
        assert all(0 <= v <= 99 for v in values)
        assert len(problem.operations) == OPS_PER_LEVEL[problem.difficulty]
    assert sorted(OPS_PER_LEVEL.values()) == list(OPS_PER_LEVEL.values())


def test_traces_overthink_and_end_in_boxed_answer():
    rng = random.Random(0)
    problems = generate("train", 300, seed=0)
    minimal = [len(minimal_thinking(p)) for p in problems]
    long = [len(overthinking(p, rng)) for p in problems]
    assert sum(long) >= 2 * sum(minimal)
    assert all(lo >= mi for lo, mi in zip(long, minimal, strict=True))
    lengths_same_level = {len(overthinking(problems[0], random.Random(s))) for s in range(20)}
    assert len(lengths_same_level) > 1  # the amount of re-checking varies
    text = completion(problems[0], overthinking(problems[0], rng))
    assert "</think>\n" in text and text.endswith(f"\\boxed{{{problems[0].answer}}}.")
    assert "<think>" not in text  # the chat template's generation prompt opens the thinking
    assert user_message(problems[0]).endswith("output the final answer within \\boxed{}.")


def test_all_thinkings_holds_every_trace_the_habit_draws():
    """The enumeration behind the attainable-length bounds must contain each sampled trace, the
    minimal one, and nothing the habit cannot write (2^steps re-check subsets x 3 recompute counts)."""
    for problem in generate("train", 40, seed=2):
        every = all_thinkings(problem)
        assert len(every) == len(set(every)) == 3 * 2 ** len(problem.operations)
        assert minimal_thinking(problem) in every
        drawn = {overthinking(problem, random.Random(s)) for s in range(30)}
        assert drawn <= set(every)
        assert min(every, key=len) == minimal_thinking(problem)


def test_attainable_bounds_by_hand():
    """One problem, a whitespace-free character tokenizer: the bounds are the shortest and longest
    trace (marker included), and a budget between them is attainable exactly."""
    from elastic_bench.baselines.budget_following import attainable

    class Chars:
        def __call__(self, texts, add_special_tokens=False):
            return {"input_ids": [list(t) for t in texts]}

    problem = generate("test", 1, seed=0)[0]
    lengths = sorted(len(t) + 1 for t in all_thinkings(problem))  # "#" is a one-character marker
    low, high = lengths[0], lengths[-1]
    rows = attainable(Chars(), [problem], (low - 10, low, high + 100), marker="#")
    assert [r["max_within_budget"] for r in rows] == [0.0, 1.0, 1.0]
    assert rows[0]["best_rel_error"] == round(10 / (low - 10), 3)
    assert rows[1]["best_rel_error"] == 0.0
    assert rows[2]["best_rel_error"] == round(100 / (high + 100), 3)
    assert rows[0]["min_mean_think_tokens"] == low and rows[0]["max_mean_think_tokens"] == high


def test_attainable_counts_the_countdown_lines_of_a_base_that_writes_them(tmp_path):
    """A countdown base's shortest trace carries one ``R tokens left.`` line as the thinking opens,
    one per step and one after the result, with R counted down from each N; whether a checkpoint
    writes them is read from its lineage's training summary."""
    import json

    from elastic_bench.baselines.budget_following import attainable, writes_countdown

    class Chars:
        def __call__(self, texts, add_special_tokens=False):
            return {"input_ids": [list(t) for t in texts] if isinstance(texts, list) else list(texts)}

    problem = generate("test", 1, seed=0)[0]
    plain = attainable(Chars(), [problem], (60, 400), marker="#")
    counted = attainable(Chars(), [problem], (60, 400), marker="#", countdown=True)
    minimal = all_thinkings(problem)[0]  # no re-check, no recomputation
    steps = len(problem.operations)
    for budget, bare, row in zip((60, 400), plain, counted, strict=True):
        written = f"{budget} tokens left.\n"  # the opening line
        extra = len(written)
        for line in minimal.splitlines(keepends=True):
            written += line
            if line.startswith(("Operation ", "So the result")):
                left = f"{max(0, budget - len(written))} tokens left.\n"
                written, extra = written + left, extra + len(left)
        assert written.count("tokens left") == steps + 2
        assert row["min_mean_think_tokens"] == bare["min_mean_think_tokens"] + extra
    base, method = tmp_path / "base", tmp_path / "l1"
    base.mkdir(), method.mkdir()
    (base / "training_summary.json").write_text(json.dumps({"budget_countdown": True}))
    (method / "training_record.json").write_text(json.dumps({"base_model": str(base)}))
    assert writes_countdown(method) and writes_countdown(base)
    (base / "training_summary.json").write_text(json.dumps({"budget_statements": 0.5}))
    assert not writes_countdown(method) and not writes_countdown(tmp_path)


@pytest.fixture(scope="module")
def checkpoint():
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return AutoModelForCausalLM.from_pretrained(CHECKPOINT_DIR), AutoTokenizer.from_pretrained(CHECKPOINT_DIR)


def test_checkpoint_is_a_standard_small_hf_model(checkpoint):
    model, tokenizer = checkpoint
    size = sum(f.stat().st_size for f in CHECKPOINT_DIR.glob("*.safetensors"))
    assert 0 < size <= 20 * 2**20
    assert model.config.model_type == "qwen2"
    for marker in ("<think>", "</think>"):
        assert len(tokenizer(marker, add_special_tokens=False)["input_ids"]) == 1
    assert tokenizer.eos_token and tokenizer.pad_token and tokenizer.pad_token != tokenizer.eos_token
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "hi"}], add_generation_prompt=True, tokenize=False
    )
    assert prompt.endswith("<|im_start|>assistant\n<think>\n")
    text = "Operation 1: add 5, so 12 + 5 = 17.\n</think>\nThe result is \\boxed{17}."
    assert tokenizer.decode(tokenizer(text, add_special_tokens=False)["input_ids"]) == text


def test_checkpoint_solves_most_problems_greedily(checkpoint):
    from elastic_bench.harness.generation import Budget, BudgetedGenerator, BudgetedRequest, Sampling
    from elastic_bench.models.hf_generator import HFTokenGenerator

    model, tokenizer = checkpoint
    problems = generate("test", 30, seed=11)
    engine = BudgetedGenerator(HFTokenGenerator(model, tokenizer, batch_size=32))
    prompts = [
        tuple(
            tokenizer(
                tokenizer.apply_chat_template(
                    [{"role": "user", "content": user_message(p)}], add_generation_prompt=True, tokenize=False
                ),
                add_special_tokens=False,
            )["input_ids"]
        )
        for p in problems
    ]
    results = engine.run(
        [BudgetedRequest(pr, Budget(None, 32, max_tokens=1024), Sampling()) for pr in prompts]
    )
    texts = [tokenizer.decode(r.answer_ids) for r in results]
    correct = sum(f"\\boxed{{{p.answer}}}" in t for p, t in zip(problems, texts, strict=True))
    assert correct >= 24  # the committed model is ~95% on the test split; 30 problems leave a margin


@pytest.mark.slow
def test_training_script_runs_and_saves_a_loadable_model(tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from elastic_bench.models.tiny_reasoner.train import train

    summary = train(tmp_path, n_train=48, epochs=1, tokens_per_batch=4096)
    assert summary["steps"] >= 1
    AutoTokenizer.from_pretrained(tmp_path)
    AutoModelForCausalLM.from_pretrained(tmp_path)


def test_budget_statements_leave_the_traces_as_they_are():
    """``--budget-statements 0.5``: about half the prompts end with L1's sentence (N in the stated range,
    either wording); every trace is the one drawn without statements, so N is unrelated to the length."""
    import re

    from elastic_bench.harness.generation import L1_WORDINGS, budget_sentence
    from elastic_bench.models.tiny_reasoner.train import STATEMENT_BUDGETS, build_examples

    problems = generate("train", 400, seed=0)
    plain = build_examples(problems, seed=3)
    stated = build_examples(problems, seed=3, budget_statements=0.5)
    assert [a for _, a in stated] == [a for _, a in plain]
    with_sentence = [(u, p) for (u, _), (p, _) in zip(stated, plain, strict=True) if u != p]
    assert 160 <= len(with_sentence) <= 240
    stems = {budget_sentence(w, 7).split("7")[0] for w in L1_WORDINGS.values()}
    for user, bare in with_sentence:
        sentence = user.removeprefix(bare + " ")
        assert any(sentence.startswith(stem) for stem in stems), sentence
        n = int(re.search(r"\d+", sentence).group())
        assert STATEMENT_BUDGETS[0] <= n <= STATEMENT_BUDGETS[1]
    assert build_examples(problems, seed=3, budget_statements=0.0) == plain


def test_budget_countdown_restates_what_is_left_at_every_decision_point():
    """``--budget-countdown``: a budget-stated trace is the plain trace with ``R tokens left.`` first and
    after each first-pass step and each result line, R = max(0, N - tokens written before it); prompts
    without a sentence keep the plain trace, so the habit (and its length) never depends on N."""
    import re

    from elastic_bench.models.tiny_reasoner.train import build_examples

    def count(text: str) -> int:
        return len(text.split())

    problems = generate("train", 200, seed=0)
    plain = build_examples(problems, seed=3, budget_statements=0.5)
    counted = build_examples(problems, seed=3, budget_statements=0.5, count_tokens=count)
    assert [u for u, _ in counted] == [u for u, _ in plain]
    stated = 0
    for (user, trace), (_, bare) in zip(counted, plain, strict=True):
        match = re.search(r"Think for (?:maximum )?(\d+) tokens\.$", user)
        if match is None:
            assert trace == bare
            continue
        stated += 1
        budget = int(match.group(1))
        lines = trace.splitlines(keepends=True)
        kept = [line for line in lines if not line.endswith(" tokens left.\n")]
        assert "".join(kept) == bare
        assert lines[0] == f"{budget} tokens left.\n"
        first_pass = True
        for i, line in enumerate(lines[:-2]):
            decision = (first_pass and line.startswith("Operation ")) or line.startswith(
                ("So the result is", "Both computations give")
            )
            first_pass = first_pass and not line.startswith("So the result is")
            follows = lines[i + 1]
            if decision:
                left = max(0, budget - count("".join(lines[: i + 1])))
                assert follows == f"{left} tokens left.\n", (line, follows)
            else:
                assert not follows.endswith(" tokens left.\n"), (line, follows)
    assert 70 <= stated <= 130
    with pytest.raises(ValueError, match="plain traces"):
        build_examples(problems[:2], seed=3, phrasings=True, budget_statements=0.5, count_tokens=count)


def test_training_command_defaults_are_the_committed_checkpoints(monkeypatch, tmp_path):
    """``python -m ...train`` with no options is the committed checkpoint's first stage (budget
    statements with the countdown), and its second stage is the recorded command; ``--phrasings``
    trains what the committed variant was trained with (no statements)."""
    import json
    import shlex

    from elastic_bench.models.tiny_reasoner import train as module

    calls = []
    monkeypatch.setattr(module, "train", lambda output_dir, **kw: calls.append(kw) or {})
    committed = json.loads((CHECKPOINT_DIR / "training_summary.json").read_text())
    first, second = committed["stages"]
    module.main(["--output-dir", str(tmp_path)])
    module.main(shlex.split(second["command"])[3:])
    module.main(["--output-dir", str(tmp_path), "--phrasings"])
    module.main(["--output-dir", str(tmp_path), "--budget-statements", "0.2", "--no-budget-countdown"])
    for call, stage in zip(calls[:2], (first, second), strict=True):
        assert (call["budget_statements"], call["budget_countdown"]) == (
            stage["budget_statements"],
            stage["budget_countdown"],
        )
        assert (call["n_train"], call["epochs"], call["seed"]) == (
            stage["n_train"],
            stage["epochs"],
            stage["seed"],
        )
    assert calls[1]["init_from"] is not None and calls[1]["lr"] == second["lr"]
    variant = json.loads(
        (CHECKPOINT_DIR.parent / "phrasings_checkpoint" / "training_summary.json").read_text()
    )
    assert (calls[2]["budget_statements"], calls[2]["budget_countdown"]) == (0.0, False)
    assert "budget_statements" not in variant and calls[2]["phrasings"]
    assert (calls[3]["budget_statements"], calls[3]["budget_countdown"]) == (0.2, False)
