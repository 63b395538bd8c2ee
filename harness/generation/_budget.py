"""Budgets: a request's thinking and solution budget with its strategy, and the sentences the
``prompt`` and ``fast`` strategies add to a prompt (L1's and TALE's budget wordings, O1-Pruner's
fast-solving instruction)."""

from __future__ import annotations

from dataclasses import dataclass

from elastic_bench.harness.protocol import (
    DEFAULT_MAX_GEN_TOKS,
    DEFAULT_WORDING,
    ELASTIC,
    FAST,
    PROMPT,
    RUNNABLE_STRATEGIES,
)
from elastic_bench.harness.registry import Registry

#: budget wordings of the ``prompt`` strategy: L1 (LCPO, arXiv 2503.04697) Exact and Max, TALE
#: (arXiv 2412.18547)
BUDGET_WORDINGS: Registry[str] = Registry("budget wording")
BUDGET_WORDINGS.register("l1", "Think for {n} tokens.")
BUDGET_WORDINGS.register("l1_max", "Think for maximum {n} tokens.")
BUDGET_WORDINGS.register("tale", "Let's think step by step and use less than {n} tokens.")
#: O1-Pruner's fast-solving prompt: the paper describes it ("instruct the model within the prompt to
#: solve the given problem as swiftly as possible") without printing it; this is our wording
FAST_INSTRUCTION = "Solve this problem as quickly as possible: think briefly and answer as soon as you can."
#: s1 budget forcing: appended where the model tried to stop thinking too early
WAIT = "Wait"
#: s1: after the end-of-thinking marker forced at the budget
ANSWER_CUE = "\nFinal Answer:"
#: at most this many "Wait"s per generation (a model that keeps stopping is let go)
MAX_WAITS = 16


#: the L1 recipes' ``l1_kind`` -> its wording above (L1-Exact / L1-Max); one definition of the words
L1_WORDINGS = {"exact": "l1", "max": "l1_max"}


def budget_sentence(wording: str, n: int) -> str:
    """The budget sentence of ``wording`` (a :data:`BUDGET_WORDINGS` key) for ``n`` tokens."""
    return BUDGET_WORDINGS.get_entry(wording).format(n=int(n))


def budget_instruction(budget: Budget) -> str | None:
    """The sentence a ``prompt`` or ``fast`` request adds to its prompt (None for other strategies)."""
    if budget.strategy == FAST:
        return FAST_INSTRUCTION
    if budget.strategy == PROMPT and budget.thinking is not None:
        return budget_sentence(budget.wording, budget.thinking)
    return None


@dataclass(frozen=True)
class Budget:
    """A thinking / solution budget. ``None`` thinking = unconstrained; ``None`` solution = cap."""

    thinking: int | None
    solution: int | None
    strategy: str = ELASTIC
    max_tokens: int = DEFAULT_MAX_GEN_TOKS
    #: ``force``: thinking shorter than this is extended with "Wait" (None: no minimum)
    min_thinking: int | None = None
    #: ``prompt``: which of :data:`BUDGET_WORDINGS` states the budget
    wording: str = DEFAULT_WORDING

    def __post_init__(self) -> None:
        if self.strategy not in RUNNABLE_STRATEGIES:
            raise ValueError(f"unknown strategy {self.strategy!r}; expected one of {RUNNABLE_STRATEGIES}")
        BUDGET_WORDINGS.resolve(self.wording)  # one line naming the known wordings
        if self.min_thinking is not None and self.min_thinking < 1:
            raise ValueError(f"min_thinking must be a positive integer or None, got {self.min_thinking}")
        for name in ("thinking", "solution"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} budget must be a positive integer or None, got {value}")
        if self.max_tokens < 1:
            raise ValueError(f"max_tokens must be positive, got {self.max_tokens}")

    @property
    def thinking_cap(self) -> int:
        """Tokens phase 1 may generate."""
        return self.thinking if self.thinking is not None else self.max_tokens

    @property
    def solution_cap(self) -> int:
        """Tokens phase 2 may generate."""
        return self.solution if self.solution is not None else self.max_tokens

    @property
    def total_cap(self) -> int:
        """One-phase cap used by ``truncate``."""
        if self.thinking is None:
            return self.max_tokens
        return self.thinking + (self.solution if self.solution is not None else 0) or self.max_tokens

    @property
    def one_phase_cap(self) -> int:
        """Cap of a one-phase strategy: ``prompt`` enforces nothing (``max_tokens``), others ``t + s``."""
        return self.max_tokens if self.strategy == PROMPT else self.total_cap
