"""Re-grading generations from any source (what ``elastic-bench grade FILE.jsonl`` runs).

Input: one JSON object per line with at least ``task`` (a benchmark name such as ``aime24``,
``gaokao`` or one of our task names like ``elastic_aime24_t01024``), ``gold`` and ``response``
(``null`` counts as an empty response); an optional ``problem`` lets GaoKao multiple-choice answers
given as option text be graded. Output: each line back, unchanged, with ``extracted``, ``correct``,
``no_answer``, ``boxed`` (the answer came from a box), ``fallback_answer`` (from a final-answer
statement) and ``grade_timeout`` added (``--details`` adds ``grade_method`` and ``grade_reason``).

Code lines (``task`` ``lcb`` or ``codeforces``) carry ``tests`` (``[{"input", "output"}, ...]``) instead of
``gold``, plus ``fn_name`` for LeetCode-style functional problems (``starter_code`` is accepted and
ignored); they get ``correct``, ``no_answer``, ``reason`` (``passed`` or the first failing test's verdict:
``wrong_answer``, ``runtime_error``, ``time_limit``, ``memory_limit``, ``compile_error``, ``output_limit``,
``no_code``, ``sandbox_error``), ``failed_test``, ``sandbox_mode`` and ``semantics`` (``lcb`` or ``judge``,
the benchmark's own unless ``--semantics`` says otherwise). The whole input is validated
before anything is written; a bad line stops with a one-line error naming it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import IO, Any

from elastic_bench.harness.benchmarks import get_benchmark
from elastic_bench.harness.grading._code import CodeGrade, parse_reference, reference_json
from elastic_bench.harness.grading._extraction import BOXED, STATEMENT
from elastic_bench.harness.grading._grade import Grade, grade_many
from elastic_bench.harness.grading._grader import GRADING_TIMEOUT_S, GRADING_WORKERS
from elastic_bench.harness.protocol import THINK_END

#: the input format, as ``elastic-bench grade --help`` states it
REGRADE_HELP = __doc__.split("\n\n")[1]
CHUNK = 2000
REQUIRED = ("task", "gold", "response")
CODE_REQUIRED = ("task", "response", "tests")


class GradeInputError(ValueError):
    """A line of the input that cannot be graded; the message names the file and the line."""


def _read_lines(name: str) -> Iterator[tuple[int, str]]:
    stream: IO[bytes] = sys.stdin.buffer if name == "-" else open(name, "rb")  # noqa: SIM115
    try:
        for ln, raw in enumerate(stream, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise GradeInputError(f"{name}:{ln}: not UTF-8 text (byte {exc.start} of the line)") from None
            if line.strip():
                yield ln, line
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def _parse(name: str, ln: int, line: str) -> dict[str, Any]:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise GradeInputError(f"{name}:{ln}: invalid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise GradeInputError(f"{name}:{ln}: invalid JSON (nested too deeply)") from None
    if not isinstance(obj, dict):
        raise GradeInputError(f"{name}:{ln}: expected a JSON object, got {type(obj).__name__}")
    if not isinstance(obj.get("task"), str):
        raise GradeInputError(
            f"{name}:{ln}: 'task' must be a string"
            if "task" in obj
            else f"{name}:{ln}: missing field(s) task"
        )
    try:
        code = get_benchmark(obj["task"]).grader == "code"
    except ValueError as exc:
        raise GradeInputError(f"{name}:{ln}: {exc}") from None
    missing = [k for k in (CODE_REQUIRED if code else REQUIRED) if k not in obj]
    if missing:
        raise GradeInputError(f"{name}:{ln}: missing field(s) {', '.join(missing)}")
    if obj["response"] is not None and not isinstance(obj["response"], str):
        raise GradeInputError(f"{name}:{ln}: 'response' must be a string or null")
    if code:
        tests = obj["tests"]
        if not isinstance(tests, list) or not all(
            isinstance(t, dict) and "input" in t and "output" in t for t in tests
        ):
            raise GradeInputError(f'{name}:{ln}: \'tests\' must be a list of {{"input", "output"}} objects')
        try:
            parse_reference(reference_json(tests, obj.get("fn_name")))
        except ValueError as exc:
            raise GradeInputError(f"{name}:{ln}: {exc}") from None
        return obj
    if obj["gold"] is None or isinstance(obj["gold"], (dict, list, bool)):
        raise GradeInputError(f"{name}:{ln}: 'gold' must be a string or a number")
    return obj


def _item(obj: dict[str, Any]) -> tuple:
    if get_benchmark(obj["task"]).grader == "code":
        reference = reference_json(obj["tests"], obj.get("fn_name"))
        return (obj["response"] or "", reference, obj["task"], None)
    return (obj["response"] or "", str(obj["gold"]), obj["task"], obj.get("problem"))


def regrade_lines(
    name: str,
    out: IO[str],
    *,
    workers: int = GRADING_WORKERS,
    timeout: float = GRADING_TIMEOUT_S,
    marker: str | None = THINK_END,
    fallback_anywhere: bool = False,
    strict_boxed: bool | None = None,
    semantics: str | None = None,
    details: bool = False,
    summary: dict[str, int] | None = None,
    test_timeout: float | None = None,
) -> int:
    """Validate every line of ``name``, then grade and write them to ``out``; returns the line count.

    ``timeout`` limits each math answer, ``test_timeout`` each code test (None: the semantics' own);
    ``strict_boxed`` and ``semantics`` (code: ``lcb`` or ``judge``) None follow each benchmark's
    registry entry; ``summary`` (if given) receives
    the counts of correct, no-answer, timed-out, boxed and statement answers.
    """
    if name == "-":  # stdin can be read once: keep it
        lines = list(_read_lines(name))
        for ln, line in lines:
            _parse(name, ln, line)
        source: Iterator[tuple[int, str]] = iter(lines)
    else:
        for ln, line in _read_lines(name):
            _parse(name, ln, line)
        source = _read_lines(name)
    count = 0
    while True:
        chunk = [_parse(name, ln, line) for ln, line in _take(source, CHUNK)]
        if not chunk:
            break
        items = [_item(obj) for obj in chunk]
        grades = grade_many(
            items,
            workers=workers,
            timeout=timeout,
            marker=marker or None,
            fallback_anywhere=fallback_anywhere,
            strict_boxed=strict_boxed,
            semantics=semantics,
            test_timeout=test_timeout,
        )
        for obj, g in zip(chunk, grades, strict=True):
            obj.update(_fields(g))
            if details:
                obj["grade_method"], obj["grade_reason"] = g.method, g.reason
                if isinstance(g, CodeGrade):
                    obj["grade_reason"] = g.detail
            out.write(json.dumps(obj, ensure_ascii=False) + "\n")
            if summary is not None:
                for key, value in _fields(g).items():
                    if value is True:
                        summary[key] = summary.get(key, 0) + 1
        count += len(chunk)
    return count


def _fields(g: Grade) -> dict[str, Any]:
    """The verdict fields written on each output line."""
    if isinstance(g, CodeGrade):
        return {
            "correct": g.correct,
            "no_answer": g.no_answer,
            "reason": g.reason,
            "failed_test": g.failed_test,
            "sandbox_mode": g.sandbox_mode or None,
            "semantics": g.semantics or None,
        }
    return {
        "extracted": g.extracted,
        "correct": g.correct,
        "no_answer": g.no_answer,
        "boxed": g.extraction == BOXED,
        "fallback_answer": g.extraction == STATEMENT,
        "grade_timeout": g.timed_out,
    }


def _take(it: Iterator[tuple[int, str]], n: int) -> list[tuple[int, str]]:
    out = []
    for item in it:
        out.append(item)
        if len(out) == n:
            break
    return out
