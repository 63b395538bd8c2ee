"""The ``Grader`` protocol: a batch of (response, reference[, problem]) in, one verdict each out.

A benchmark's registry entry names its grader (``Benchmark.grader``: ``"math"``, or ``"code"`` for
the code benchmarks); :func:`get_grader` returns the implementation. Every verdict is a
:class:`Grade`: correct or not, the no-answer and timeout categories, the extraction that produced the
graded answer (``boxed``, ``statement`` or ``none``) and a one-line reason.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol, runtime_checkable

from elastic_bench.harness.benchmarks import get_benchmark
from elastic_bench.harness.protocol import GRADING_SEMANTICS, THINK_END
from elastic_bench.harness.registry import Registry, UnknownName

__all__ = [
    "GRADERS",
    "Grade",
    "GradeItem",
    "GradeOptions",
    "Grader",
    "UnknownGrader",
    "get_grader",
    "grader_for",
    "register_grader",
]


@dataclass(frozen=True)
class Grade:
    """The verdict on one response.

    ``extracted`` is the graded answer (None when there is none), ``no_answer`` means nothing was
    extractable (``correct`` is then False), ``timed_out`` that grading hit its hard timeout (counted
    wrong, reported apart). ``extraction`` says where the answer came from (``boxed``, ``statement``,
    ``none``), ``method`` names the deciding step and ``reason`` explains the verdict in one line.
    """

    extracted: str | None
    correct: bool
    no_answer: bool
    timed_out: bool = False
    method: str = ""
    extraction: str = "none"
    reason: str = ""


class GradeItem(NamedTuple):
    """One response to grade: the reference answer, the benchmark (name, alias or task name) and,
    optionally, the problem text (GaoKao options)."""

    response: str
    reference: str
    benchmark: str
    problem: str | None = None


#: grading's worker processes and hard per-answer timeout, unless a caller says otherwise
GRADING_WORKERS = 2
GRADING_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class GradeOptions:
    """How to grade a batch: worker processes, the hard per-answer ``timeout`` (seconds, > 0), the
    end-of-thinking ``marker`` (None: the whole response is the solution), the last box anywhere as a
    fallback, ``strict_boxed`` (only boxes count; None: the benchmark's registry setting), the
    code ``semantics`` (``lcb`` or ``judge``; None: the benchmark's registry setting) and code's
    ``test_timeout`` (each test's wall and CPU limit in seconds; None: the semantics' own, 6 s)."""

    workers: int = GRADING_WORKERS
    timeout: float = GRADING_TIMEOUT_S
    marker: str | None = THINK_END
    fallback_anywhere: bool = False
    strict_boxed: bool | None = None
    semantics: str | None = None
    test_timeout: float | None = None

    def __post_init__(self) -> None:
        if not self.timeout > 0:
            raise ValueError(f"grading timeout must be > 0 seconds, got {self.timeout}")
        if self.test_timeout is not None and not self.test_timeout > 0:
            raise ValueError(f"test timeout must be > 0 seconds, got {self.test_timeout}")
        if self.semantics is not None and self.semantics not in GRADING_SEMANTICS:
            raise ValueError(
                f"unknown grading semantics {self.semantics!r}; expected one of {GRADING_SEMANTICS}"
            )


@runtime_checkable
class Grader(Protocol):
    """Grades batches of responses; never raises on model output."""

    name: str

    def grade_batch(self, items: Sequence[GradeItem], options: GradeOptions | None = None) -> list[Grade]:
        """One :class:`Grade` per item, in order."""
        ...

    def close(self) -> None:
        """Release worker processes and other resources."""
        ...


class UnknownGrader(UnknownName):
    """A grader name with no implementation."""


#: grader name -> its zero-argument factory, as ``"module:factory"`` (imported on first use, so the
#: core stays light)
GRADERS: Registry[Callable[[], Grader]] = Registry("grader", error=UnknownGrader)
GRADERS.register("math", "elastic_bench.harness.grading._math:MathGrader")
GRADERS.register("code", "elastic_bench.harness.grading._code:CodeGrader")
_INSTANCES: dict[str, Grader] = {}
_LOCK = threading.Lock()


def register_grader(name: str, factory: Callable[[], Grader] | str) -> None:
    """Add a grader under ``name`` (a zero-argument factory or its ``"module:name"`` path)."""
    with _LOCK:
        GRADERS.register(name, factory, replace=True)
        _INSTANCES.pop(name, None)


def get_grader(name: str) -> Grader:
    """The (shared) grader called ``name`` in the registry (``Benchmark.grader``)."""
    with _LOCK:
        if name not in _INSTANCES:
            _INSTANCES[name] = GRADERS.get_entry(name)()
        return _INSTANCES[name]


def grader_for(benchmark: str) -> Grader:
    """The grader a benchmark's registry entry names."""
    return get_grader(get_benchmark(benchmark).grader)
