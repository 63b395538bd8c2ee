"""The executor interface for untrusted code, and LiveCodeBench's verdict rules.

An :class:`Executor` runs one untrusted Python program against a list of tests under
:class:`Limits` and returns one :class:`TestVerdict` per test. Everything crossing the interface is
a plain, JSON-serialisable dataclass (:meth:`ExecutionRequest.to_dict` /
:meth:`ExecutionResult.from_dict`), so a remote sandbox service can implement the same protocol;
the local implementation is :class:`elastic_bench.harness.sandbox._local.LocalExecutor`.

Verdicts follow LiveCodeBench (``lcb_runner/evaluation/testing_util.py``):

* stdin programs: both outputs are stripped, split into lines and each line stripped; the line
  counts must agree and each line must match exactly or, failing that, as a whitespace-separated
  row of equal ``Decimal`` numbers (so ``1.0`` matches ``1``, but there is no tolerance).
* functional programs (``fn_name`` set): each test input holds one JSON argument per line, the
  expected output is JSON; the return value (a tuple counts as a list) must equal it after parsing.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Protocol


@dataclass(frozen=True)
class Limits:
    """Per-test resource limits (the sandbox applies each to every test separately)."""

    wall_s: float = 6.0  # LiveCodeBench's per-test timeout
    cpu_s: float = 6.0
    memory_bytes: int = 1 << 30  # address space; CPython needs ~40 MiB of it to start
    output_bytes: int = 16 << 20  # stdout + stderr together
    processes: int = 32  # processes and threads of the sandbox's user
    file_bytes: int = 16 << 20  # largest file the program may write (in its private tmpfs)
    open_files: int = 64


@dataclass(frozen=True)
class TestCase:
    """One test: stdin text and expected stdout, or JSON arguments (one per line) and JSON result."""

    input: str
    output: str


@dataclass(frozen=True)
class ExecutionRequest:
    """One untrusted program and its tests. ``fn_name`` set = functional (LeetCode-style) problem."""

    program: str
    tests: list[TestCase]
    fn_name: str | None = None
    limits: Limits = field(default_factory=Limits)
    all_verdicts: bool = False  # False: stop at the first failing test (in test order)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ExecutionRequest:
        return cls(
            program=data["program"],
            tests=[TestCase(**t) for t in data["tests"]],
            fn_name=data.get("fn_name"),
            limits=Limits(**data.get("limits", {})),
            all_verdicts=bool(data.get("all_verdicts", False)),
        )


@dataclass(frozen=True)
class TestVerdict:
    """The outcome of one test: a reason from :data:`REASONS`, timings and a one-line detail."""

    index: int
    reason: str
    wall_s: float = 0.0
    cpu_s: float = 0.0
    detail: str = ""

    @property
    def passed(self) -> bool:
        return self.reason == "passed"


@dataclass(frozen=True)
class ExecutionResult:
    """Per-test verdicts (in test order) and the sandbox mode that produced them."""

    verdicts: list[TestVerdict]
    mode: str

    @property
    def passed(self) -> bool:
        """True when every test passed (an empty test list passes nothing)."""
        return bool(self.verdicts) and all(v.passed for v in self.verdicts)

    @property
    def reason(self) -> str:
        """The first failing test's reason, or ``passed``."""
        failing = [v for v in self.verdicts if v.reason not in ("passed", "not_run")]
        return failing[0].reason if failing else ("passed" if self.passed else "not_run")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ExecutionResult:
        return cls(verdicts=[TestVerdict(**v) for v in data["verdicts"]], mode=data["mode"])


class Executor(Protocol):
    """Runs untrusted programs; a local sandbox or, later, a remote service."""

    @property
    def mode(self) -> str:
        """The isolation in force, e.g. ``bwrap+uid`` (recorded with every result)."""
        ...

    def run(self, request: ExecutionRequest) -> ExecutionResult:
        """Run ``request.program`` on each of ``request.tests`` and return the verdicts."""
        ...


class SandboxUnavailable(RuntimeError):
    """The requested sandbox mode cannot be provided on this machine."""


# --- LiveCodeBench's comparison rules ---------------------------------------------------------


def _stripped_lines(text: str) -> list[str]:
    return [line.strip() for line in text.strip().split("\n")]


def _decimals(line: str) -> list[Decimal] | None:
    try:
        return [Decimal(tok) for tok in line.split()]
    except (InvalidOperation, ValueError):
        return None


def stdout_matches(actual: str, expected: str) -> bool:
    """LiveCodeBench's stdin verdict: line by line after stripping, numbers compared as Decimals."""
    got, want = _stripped_lines(actual), _stripped_lines(expected)
    if len(got) != len(want):
        return False
    for g, w in zip(got, want, strict=True):
        if g == w:
            continue
        g_num, w_num = _decimals(g), _decimals(w)
        if g_num is None or w_num is None or g_num != w_num:
            return False
    return True


def call_matches(result_json: str, expected_json: str) -> bool:
    """LiveCodeBench's functional verdict: the parsed return value equals the parsed expected value."""
    try:
        return json.loads(result_json) == json.loads(expected_json)
    except (TypeError, ValueError):
        return False
