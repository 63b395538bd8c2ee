"""The budget-following environment: a task where any number of thinking steps is a valid trace,
and a tiny base pre-trained to read the budget stated in its prompt without following it.

A problem is a one-digit addition ("What is 4 + 5?", graded by the toy task's grader). The prompt
states a budget N with L1's own sentence (``budget_sentence``: "Think for N tokens." or "Think for
maximum N tokens."). A trace works the sum once, then counts the budget down, one line per step
("107 left."), for any number of steps; the answer follows ``</think>`` as in the tiny reasoner's
traces. The base's pre-training draws the number of steps uniformly, independently of N, so the base
reads N (it must, to write the countdown) but does not follow it: whether it stops near N is what L1
has to teach.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from elastic_bench.harness.generation import L1_WORDINGS, budget_sentence
from elastic_bench.tasks.prompts import render

#: the grader that scores answers (``\\boxed{c}`` against the sum)
BENCHMARK = "toy"
#: the prompt template (the elastic tasks' default)
TEMPLATE = "e1"


@dataclass(frozen=True)
class BudgetProblem:
    """A one-digit addition; ``problem`` and ``answer`` as the L1 trainer reads them."""

    id: str
    a: int
    b: int

    @property
    def problem(self) -> str:
        """The problem text (rendered with :data:`TEMPLATE`)."""
        return f"What is {self.a} + {self.b}?"

    @property
    def answer(self) -> str:
        """The gold answer."""
        return str(self.a + self.b)


@dataclass(frozen=True)
class EnvConfig:
    """Sizes of the environment and of its base's pre-training (defaults: the full run)."""

    n_pretrain: int = 6000
    epochs: int = 3
    max_steps: int = 48  # most countdown lines in a pre-training trace
    budget_min: int = 10  # budgets stated in pre-training prompts
    budget_max: int = 300
    hidden_size: int = 64
    num_layers: int = 4
    tokens_per_batch: int = 1024
    lr: float = 3e-3
    seed: int = 0


def problems(n: int, seed: int) -> list[BudgetProblem]:
    """``n`` additions drawn with ``seed`` (repeats allowed: there are only 100 distinct ones)."""
    rng = random.Random(f"budget-env-{seed}")
    return [BudgetProblem(f"budget-{seed}-{i}", rng.randint(0, 9), rng.randint(0, 9)) for i in range(n)]


def budget_statement(kind: str, budget: int) -> str:
    """L1's budget sentence for ``kind`` (``exact`` or ``max``), exactly as the trainer writes it."""
    return budget_sentence(L1_WORDINGS[kind], budget)


def user_message(problem: BudgetProblem, kind: str, budget: int) -> str:
    """The user turn as the L1 trainer renders it: the templated problem, a space, the sentence."""
    return f"{render(problem.problem, TEMPLATE)} {budget_statement(kind, budget)}"


def thinking(problem: BudgetProblem, budget: int, steps: int, unit: int) -> str:
    """The sum once, then ``steps`` countdown lines ``{budget - unit * (i + 1)} left.`` (any
    ``steps`` >= 0 gives a valid trace)."""
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    lines = [f"{problem.a} + {problem.b} = {problem.answer}.\n"]
    lines += [f"{budget - unit * (i + 1)} left.\n" for i in range(steps)]
    return "".join(lines)


def completion(problem: BudgetProblem, budget: int, steps: int, unit: int) -> str:
    """The assistant text after the generation prompt: thinking, ``</think>``, the boxed answer."""
    from elastic_bench.models.tiny_reasoner.traces import completion as traced

    return traced(problem, thinking(problem, budget, steps, unit))


def line_tokens(tokenizer) -> int:
    """Tokens of one countdown line with a three-digit count: the countdown's step."""
    return len(tokenizer("100 left.\n", add_special_tokens=False)["input_ids"])


def pretraining_examples(config: EnvConfig, unit: int) -> list[tuple[str, str]]:
    """(user message, completion) pairs: N, wording and number of steps drawn independently."""
    rng = random.Random(f"budget-env-pretrain-{config.seed}")
    out = []
    for p in problems(config.n_pretrain, config.seed + 1):
        kind = rng.choice(sorted(L1_WORDINGS))
        budget = rng.randint(config.budget_min, config.budget_max)
        steps = rng.randint(0, config.max_steps)
        out.append((user_message(p, kind, budget), completion(p, budget, steps, unit)))
    return out


def pretrain_base(output_dir: str | Path, config: EnvConfig, threads: int = 2) -> dict:
    """Pre-train the environment's base from scratch (tokenizer and model as the tiny reasoner's)
    into ``output_dir``; returns a summary. Reuses the folder when it holds a base of ``config``."""
    from transformers import AutoTokenizer, Qwen2ForCausalLM

    from elastic_bench.models.tiny_reasoner.architecture import model_config, train_tokenizer
    from elastic_bench.models.tiny_reasoner.train import batches, fit, save_greedy, tokenize

    out = Path(output_dir)
    summary_file = out / "pretrain_summary.json"
    if summary_file.is_file():
        summary = json.loads(summary_file.read_text())
        if summary.get("config") == config.__dict__:
            return {**summary, "reused": True}
    start = time.monotonic()
    torch.manual_seed(config.seed)
    torch.set_num_threads(threads)
    provisional = pretraining_examples(EnvConfig(n_pretrain=2000, seed=config.seed), unit=5)
    out.mkdir(parents=True, exist_ok=True)
    train_tokenizer([u + "\n" + a for u, a in provisional]).save_pretrained(out)
    tokenizer = AutoTokenizer.from_pretrained(out)
    unit = line_tokens(tokenizer)
    examples = pretraining_examples(config, unit)
    model = Qwen2ForCausalLM(model_config(tokenizer, config.hidden_size, config.num_layers))
    model.train()
    rng = random.Random(config.seed)
    todo = []
    for _ in range(config.epochs):
        todo += batches(tokenize(examples, tokenizer), config.tokens_per_batch, rng, tokenizer.pad_token_id)
    losses = fit(model, todo, config.lr, "pre-training the budget env's base")
    save_greedy(model, tokenizer, out)
    summary = {
        "config": config.__dict__,
        "unit": unit,
        "steps": len(todo),
        "final_loss": round(sum(losses[-10:]) / max(1, len(losses[-10:])), 4),
        "parameters": sum(p.numel() for p in model.parameters()),
        "seconds": round(time.monotonic() - start, 1),
    }
    summary_file.write_text(json.dumps(summary, indent=1) + "\n")
    return {**summary, "reused": False}
