"""Synthetic multi-step arithmetic problems: the dataset of the embedded tiny reasoner.

A problem starts from a number and applies a chain of operations (add, subtract, multiply);
every intermediate value stays in 0..99. Difficulty is the length of the chain. Generation is
deterministic by seed, and the train / validation / test splits never share a problem: each
problem is assigned to a split by a hash of its text, so any two seeds still agree on splits.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import asdict, dataclass

#: number of operations for each difficulty level (harder = longer chains)
OPS_PER_LEVEL: dict[int, int] = {1: 2, 2: 3, 3: 4, 4: 5, 5: 6}
SPLITS = ("train", "validation", "test")
#: share of the problem space assigned to each split (by hash)
SPLIT_SHARES = {"train": 0.90, "validation": 0.05, "test": 0.05}
MAX_VALUE = 99

OP_WORDS = {"+": "add", "-": "subtract", "*": "multiply by"}


@dataclass(frozen=True)
class Operation:
    """One step of a chain: ``value <symbol> operand``."""

    symbol: str
    operand: int

    def apply(self, value: int) -> int:
        """Return the value after this operation."""
        if self.symbol == "+":
            return value + self.operand
        if self.symbol == "-":
            return value - self.operand
        return value * self.operand

    def phrase(self) -> str:
        """The operation in words, as it appears in the problem text."""
        return f"{OP_WORDS[self.symbol]} {self.operand}"


@dataclass(frozen=True)
class Problem:
    """A synthetic problem with its gold answer and difficulty level."""

    id: str
    problem: str
    answer: str
    difficulty: int
    start: int
    operations: tuple[Operation, ...]

    def values(self) -> list[int]:
        """Intermediate values, starting value first, answer last."""
        values = [self.start]
        for op in self.operations:
            values.append(op.apply(values[-1]))
        return values

    def to_record(self) -> dict:
        """A JSON-serialisable record (the dataset row used by the lm-eval task)."""
        record = asdict(self)
        record["operations"] = [[op.symbol, op.operand] for op in self.operations]
        return record


def _random_operation(rng: random.Random, value: int) -> Operation:
    candidates: list[Operation] = []
    for k in range(2, 10):
        if value + k <= MAX_VALUE:
            candidates.append(Operation("+", k))
        if value - k >= 0:
            candidates.append(Operation("-", k))
    for m in (2, 3):
        if 2 <= value * m <= MAX_VALUE:
            # multiplication is rarer than +/- but not negligible
            candidates.extend([Operation("*", m)] * 3)
    return rng.choice(candidates)


def problem_text(start: int, operations: tuple[Operation, ...]) -> str:
    """The problem statement for a chain of operations (numbered, so steps can refer to it)."""
    steps = " ".join(f"Operation {i}: {op.phrase()}." for i, op in enumerate(operations, 1))
    return f"Start with {start}. {steps} What is the result?"


def split_of(text: str) -> str:
    """The split a problem text belongs to (stable hash, independent of the seed)."""
    bucket = int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    cumulative = 0.0
    for split in SPLITS:
        cumulative += SPLIT_SHARES[split]
        if bucket <= cumulative:
            return split
    return SPLITS[-1]


def random_problem(rng: random.Random, difficulty: int) -> Problem:
    """Draw one problem of the given difficulty level."""
    if difficulty not in OPS_PER_LEVEL:
        raise ValueError(f"difficulty must be one of {sorted(OPS_PER_LEVEL)}, got {difficulty}")
    start = rng.randint(1, 50)
    value = start
    operations = []
    for _ in range(OPS_PER_LEVEL[difficulty]):
        op = _random_operation(rng, value)
        value = op.apply(value)
        operations.append(op)
    ops = tuple(operations)
    text = problem_text(start, ops)
    pid = hashlib.sha256(text.encode()).hexdigest()[:12]
    return Problem(pid, text, str(value), difficulty, start, ops)


def generate(split: str, n: int, seed: int = 0, levels: tuple[int, ...] = (1, 2, 3, 4, 5)) -> list[Problem]:
    """``n`` distinct problems of ``split``, levels cycled evenly, deterministic by ``seed``.

    Problems are drawn until ``n`` of them fall into ``split`` (by :func:`split_of`), so the
    three splits are disjoint for every seed.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    rng = random.Random(f"{seed}-{split}")
    seen: set[str] = set()
    problems: list[Problem] = []
    attempts = 0
    while len(problems) < n:
        attempts += 1
        if attempts > 200 * n + 10_000:
            raise RuntimeError(f"could not draw {n} distinct {split} problems")
        level = levels[len(problems) % len(levels)]
        problem = random_problem(rng, level)
        if problem.problem in seen or split_of(problem.problem) != split:
            continue
        seen.add(problem.problem)
        problems.append(problem)
    return problems
