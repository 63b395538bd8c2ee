"""The executor interface for untrusted code, and LiveCodeBench's verdict rules.

An :class:`Executor` runs one untrusted Python program against a list of tests under
:class:`Limits` and returns one :class:`TestVerdict` per test. Everything crossing the interface is
a plain, JSON-serialisable dataclass (:meth:`ExecutionRequest.to_dict` /
:meth:`ExecutionResult.from_dict`), so a remote sandbox service can implement the same protocol;
the local implementation is :class:`elastic_bench.harness.sandbox._local.LocalExecutor`.

A request names its grading semantics (:data:`SEMANTICS`): ``lcb`` reproduces LiveCodeBench's own
runner verdict for verdict (its in-process quirks included), ``judge`` runs the program as a contest
judge does (a process per test on real stdin; a non-zero exit is a runtime error). The in-sandbox
runner (:mod:`~elastic_bench.harness.sandbox._runner`) says what each does in detail.

Verdicts follow LiveCodeBench (``lcb_runner/evaluation/testing_util.py``) under both semantics:

* stdin programs: both outputs are stripped, split into lines and each line stripped; the line
  counts must agree and each line must match exactly or, failing that, as a whitespace-separated
  row of equal ``Decimal`` numbers (so ``1.0`` matches ``1``, but there is no tolerance).
* functional programs (``fn_name`` set): each test input holds one JSON argument per line, the
  expected output is JSON; the returned Python object (a top-level tuple counts as a list) must equal
  the parsed expected value. Nested tuples, sets and integer dict keys keep their types (the runner
  sends them in a type-preserving encoding), so ``[(1, 2)]`` does not equal ``[[1, 2]]`` and
  ``{1: 2}`` does not equal ``{"1": 2}``, as in LiveCodeBench.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Protocol

from elastic_bench.harness.protocol import GRADING_SEMANTICS as SEMANTICS

#: the judge's memory limit when a problem states none
JUDGE_MEMORY_BYTES = 1 << 30


def machine_memory_cap(workers: int = 1) -> int:
    """The safety cap on one test's address space when the semantics set no memory limit (``lcb``):
    the machine's memory shared by ``workers`` concurrent tests and the grader, at least 1 GiB."""
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        total = 8 << 30
    return max(1 << 30, total // (max(1, workers) + 1))


@dataclass(frozen=True)
class Limits:
    """Per-test resource limits (the sandbox applies each to every test separately)."""

    wall_s: float = 6.0  # LiveCodeBench's per-test timeout
    cpu_s: float = 6.0
    #: address space (CPython needs ~40 MiB of it to start); None: the semantics' own (``lcb``: no
    #: limit beyond :func:`machine_memory_cap`; ``judge``: :data:`JUDGE_MEMORY_BYTES`)
    memory_bytes: int | None = None
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
    semantics: str = "lcb"

    def __post_init__(self) -> None:
        if self.semantics not in SEMANTICS:
            raise ValueError(f"unknown grading semantics {self.semantics!r}; expected one of {SEMANTICS}")

    def with_memory(self, workers: int) -> ExecutionRequest:
        """This request with its memory limit resolved for its semantics."""
        if self.limits.memory_bytes is not None:
            return self
        memory = machine_memory_cap(workers) if self.semantics == "lcb" else JUDGE_MEMORY_BYTES
        return replace(self, limits=replace(self.limits, memory_bytes=memory))

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
            semantics=data.get("semantics", "lcb"),
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


class _Opaque:
    """A returned object with no JSON form: equal to nothing."""

    def __eq__(self, other: object) -> bool:
        return False

    __hash__ = object.__hash__


def decode_value(value: object) -> object:
    """The Python value of the runner's type-preserving encoding (see ``_runner.encode``); a plain
    JSON value decodes to itself."""
    if isinstance(value, list):
        return [decode_value(v) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        tag, inner = next(iter(value.items()))
        if tag == "__tuple__":
            return tuple(decode_value(v) for v in inner)
        if tag == "__set__":
            return frozenset(decode_value(v) for v in inner)
        if tag == "__dict__":
            return {decode_value(k): decode_value(v) for k, v in inner}
        if tag == "__float__":
            return float(inner)
        if tag == "__ndarray__":
            import numpy

            return numpy.array(decode_value(inner), dtype=object)
        if tag == "__object__":
            return _Opaque()
    return {k: decode_value(v) for k, v in value.items()}


def call_verdict(result: object, expected_json: str) -> str:
    """LiveCodeBench's functional verdict on the runner's encoded return value (a decoded JSON
    value): ``passed``, ``wrong_answer``, or ``runtime_error`` when the comparison itself fails (a
    numpy array of several values has no truth value)."""
    try:
        expected = json.loads(expected_json)
        got = decode_value(result)
    except (TypeError, ValueError, KeyError, RecursionError):
        return "wrong_answer"
    if isinstance(got, tuple):  # a top-level tuple counts as the list it holds
        got = list(got)
    try:
        return "passed" if bool(got == expected) else "wrong_answer"
    except Exception:  # noqa: BLE001 - LiveCodeBench counts a failing comparison as a runtime error
        return "runtime_error"


def call_matches(result_json: str, expected_json: str) -> bool:
    """Whether a return value, as JSON text (plain or the runner's encoding), passes against the
    expected JSON."""
    try:
        result = json.loads(result_json)
    except (TypeError, ValueError, RecursionError):
        return False
    return call_verdict(result, expected_json) == "passed"
