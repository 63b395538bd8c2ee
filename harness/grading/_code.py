"""The code grader: the :class:`~elastic_bench.harness.grading._grader.Grader` of LiveCodeBench and Codeforces.

The answer is the last fenced Python block (```` ```python ````, ```` ```py ````, ```` ```python3 ```` or
an untagged fence) of the solution part, the text after the LAST end-of-thinking marker; nothing
from the thinking counts. No complete block there (or no marker) is ``no_answer``, kept apart from
wrong answers. The program runs on the problem's tests in the sandboxed executor
(:class:`~elastic_bench.harness.sandbox._local.LocalExecutor`, or any
:class:`~elastic_bench.harness.sandbox._executor.Executor`), with LiveCodeBench's verdicts: stdin output compared
line by line after stripping, a functional problem's return value compared after parsing both;
a sample's tests stop at the first failure, and the samples of a batch run in parallel across cores.
The grading semantics (``lcb``: LiveCodeBench's runner, verdict for verdict; ``judge``: a contest
judge's process, see :mod:`~elastic_bench.harness.sandbox`) come from the options, else the
benchmark's registry entry (``Benchmark.grading_semantics``). Each verdict carries the first failing
test's reason (:data:`TEST_VERDICTS`), the semantics and the sandbox mode.

The reference of a :class:`~elastic_bench.harness.grading._grader.GradeItem` is :func:`reference_json`:
``{"tests": [{"input", "output"}, ...], "fn_name": name | null, "memory_mb": limit | null}``; a judge
applies the problem's memory limit when it states one.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from elastic_bench.harness.benchmarks import get_benchmark
from elastic_bench.harness.grading._grader import Grade, GradeItem, GradeOptions
from elastic_bench.harness.protocol import TEST_VERDICTS, split_thinking
from elastic_bench.harness.sandbox import (
    ExecutionRequest,
    ExecutionResult,
    Executor,
    Limits,
    SandboxUnavailable,
    TestCase,
)

#: the semantics of a code benchmark whose registry entry names none
DEFAULT_SEMANTICS = "lcb"
#: added to a problem's memory limit: a judge counts the memory a program uses, the sandbox limits
#: address space, of which the interpreter reserves this much before the program runs
INTERPRETER_ADDRESS_SPACE = 64 << 20

__all__ = ["CodeGrade", "CodeGrader", "extract_code", "reference_json", "parse_reference"]

#: an opening fence (```python / ```py / ```python3 / bare ```) ... its closing fence, on their own lines
_FENCE_RE = re.compile(
    r"^[ \t]*```[ \t]*(?P<lang>[\w+#.-]*)[^\n]*\n(?P<code>.*?)^[ \t]*```[ \t]*$", re.S | re.M
)
_PYTHON_TAGS = {"", "python", "py", "python3", "py3"}
CODE_BLOCK = "code_block"


def extract_code(response: str, marker: str | None) -> str | None:
    """The last complete fenced Python block of the solution part (after the last ``marker``; the
    whole text when ``marker`` is None or empty), or None."""
    solution = split_thinking(response, marker)[1]
    if solution is None:
        return None
    blocks = [
        m.group("code") for m in _FENCE_RE.finditer(solution) if m.group("lang").lower() in _PYTHON_TAGS
    ]
    blocks = [b for b in blocks if b.strip()]
    return blocks[-1] if blocks else None


def reference_json(tests: Sequence[dict], fn_name: str | None = None, memory_mb: int | None = None) -> str:
    """The ``reference`` string of a code GradeItem."""
    tests = [{"input": t["input"], "output": t["output"]} for t in tests]
    return json.dumps({"tests": tests, "fn_name": fn_name, "memory_mb": memory_mb})


def semantics_for(benchmark: str, options: GradeOptions | None = None) -> str:
    """The grading semantics of one item: the options' choice, else the benchmark's own."""
    if options is not None and options.semantics:
        return options.semantics
    return get_benchmark(benchmark).grading_semantics or DEFAULT_SEMANTICS


def parse_reference(reference: str) -> tuple[list[TestCase], str | None]:
    """Tests and fn_name of a :func:`reference_json` string; ValueError with a one-line reason."""
    try:
        data = json.loads(reference)
        tests = [TestCase(input=str(t["input"]), output=str(t["output"])) for t in data["tests"]]
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError(
            f"a code reference must be JSON {{tests: [{{input, output}}], fn_name}} ({exc})"
        ) from None
    if not tests:
        raise ValueError("a code reference needs at least one test")
    fn_name = data.get("fn_name")
    if fn_name is not None and not (isinstance(fn_name, str) and fn_name.isidentifier()):
        raise ValueError(f"fn_name must be a Python identifier, got {fn_name!r}")
    return tests, fn_name


def memory_limit_mb(reference: str) -> int | None:
    """The problem's memory limit in MB from a reference string, None when it states none."""
    value = json.loads(reference).get("memory_mb")
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


@dataclass(frozen=True)
class CodeGrade(Grade):
    """A code verdict: ``reason`` is one of :data:`TEST_VERDICTS` (``passed`` when correct); the
    first failing test, its detail, how many tests ran and the sandbox mode."""

    failed_test: int | None = None
    detail: str = ""
    tests_run: int = 0
    sandbox_mode: str = ""
    semantics: str = ""


class CodeGrader:
    """Grades programs in the sandbox; one executor (all cores) shared by every batch."""

    name = "code"

    def __init__(
        self, executor: Executor | None = None, limits: Limits | None = None, workers: int | None = None
    ) -> None:
        self._executor = executor
        self._own = executor is None
        self.limits = limits or Limits()
        self.workers = workers or os.cpu_count() or 1
        self._lock = threading.Lock()

    @property
    def executor(self) -> Executor:
        with self._lock:
            if self._executor is None:
                from elastic_bench.harness.sandbox import LocalExecutor

                self._executor = LocalExecutor(workers=self.workers)
            return self._executor

    @property
    def mode(self) -> str:
        """The sandbox mode in force (probes the machine on first use)."""
        return self.executor.mode

    def grade_batch(self, items: Sequence[GradeItem], options: GradeOptions | None = None) -> list[Grade]:
        """One :class:`CodeGrade` per item, in order; a bad reference raises ValueError before anything runs."""
        options = options or GradeOptions()
        refs = [parse_reference(item.reference) for item in items]
        semantics = [semantics_for(item.benchmark, options) for item in items]
        limits = [
            self._limits(sem, item.reference, options.test_timeout)
            for sem, item in zip(semantics, items, strict=True)
        ]
        codes = [extract_code(item.response or "", options.marker) for item in items]
        todo = [i for i, c in enumerate(codes) if c is not None]
        grades: list[Grade] = [replace(self._no_code(), semantics=sem) for sem in semantics]

        def run(i: int) -> CodeGrade:
            return self._run(codes[i], *refs[i], semantics[i], limits[i])

        if todo:
            with ThreadPoolExecutor(max_workers=min(len(todo), self.workers)) as pool:
                for i, g in zip(todo, pool.map(run, todo), strict=True):
                    grades[i] = g
        return grades

    def _limits(self, semantics: str, reference: str, test_timeout: float | None = None) -> Limits:
        """The grader's limits (``test_timeout``: each test's wall and CPU seconds); a judge also
        applies the problem's memory limit."""
        limits = self.limits
        if test_timeout is not None:
            limits = replace(limits, wall_s=float(test_timeout), cpu_s=float(test_timeout))
        memory_mb = memory_limit_mb(reference) if semantics == "judge" else None
        if memory_mb is None or limits.memory_bytes is not None:
            return limits
        return replace(limits, memory_bytes=(memory_mb << 20) + INTERPRETER_ADDRESS_SPACE)

    def _no_code(self) -> CodeGrade:
        return CodeGrade(extracted=None, correct=False, no_answer=True, method="extract", extraction="none",
                         reason="no_code", detail="no fenced Python block after the end of thinking")  # fmt: skip

    def _run(
        self, code: str, tests: list[TestCase], fn_name: str | None, semantics: str, limits: Limits
    ) -> CodeGrade:
        request = ExecutionRequest(
            program=code, tests=tests, fn_name=fn_name, limits=limits, semantics=semantics
        )
        try:
            result: ExecutionResult = self.executor.run(request)
        except (SandboxUnavailable, OSError) as exc:
            return CodeGrade(extracted=code, correct=False, no_answer=False, method="sandbox", extraction=CODE_BLOCK,
                             reason="sandbox_error", detail=str(exc)[:300], semantics=semantics)  # fmt: skip
        failing = next((v for v in result.verdicts if v.reason not in ("passed", "not_run")), None)
        reason = "passed" if result.passed else (failing.reason if failing else "sandbox_error")
        assert reason in TEST_VERDICTS, reason
        return CodeGrade(
            extracted=code,
            correct=result.passed,
            no_answer=False,
            method=f"sandbox:{result.mode}",
            extraction=CODE_BLOCK,
            reason=reason,
            failed_test=failing.index if failing else None,
            detail=(failing.detail if failing else "")[:300],
            tests_run=sum(v.reason != "not_run" for v in result.verdicts),
            sandbox_mode=result.mode,
            semantics=semantics,
        )

    def close(self) -> None:
        with self._lock:
            if self._own and self._executor is not None:
                self._executor.close()  # type: ignore[attr-defined]
                self._executor = None
