"""``elastic-bench grade FILE.jsonl``: re-grade generations from any source with our math grader.

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
``no_code``, ``sandbox_error``), ``failed_test`` and ``sandbox_mode``. The whole input is validated
before anything is written; a bad line stops with a one-line error naming it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
from collections.abc import Iterator
from typing import IO, Any

from elastic_bench.harness.benchmarks import THINK_END, get_benchmark
from elastic_bench.harness.code_grader import CodeGrade, parse_reference, reference_json
from elastic_bench.harness.extraction import BOXED, STATEMENT
from elastic_bench.harness.grading import Grade, grade_many

CHUNK = 2000
REQUIRED = ("task", "gold", "response")
CODE_REQUIRED = ("task", "response", "tests")


class GradeInputError(ValueError):
    """A line of the input that cannot be graded; the message names the file and the line."""


def add_grade_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the ``grade`` sub-command on an argparse ``subparsers`` object."""
    p = subparsers.add_parser(
        "grade",
        help="re-grade a JSONL file of generations (task, gold, response per line; code: task, response, tests)",
        description=__doc__.split("\n\n")[1],
    )
    p.add_argument("file", help="input JSONL ('-' for stdin)")
    p.add_argument("-o", "--output", default=None, help="output JSONL (default: stdout)")
    p.add_argument("--workers", type=int, default=2, help="math_verify worker processes (default 2)")
    p.add_argument("--timeout", type=float, default=5.0, help="hard timeout per answer, seconds (default 5)")
    p.add_argument(
        "--marker", default=THINK_END, help="end-of-thinking marker; '' = whole response is the solution"
    )
    p.add_argument(
        "--fallback-anywhere",
        action="store_true",
        help="take the last box anywhere when the solution part has none",
    )
    p.add_argument(
        "--strict-boxed",
        action="store_true",
        help="only a \\boxed{} answer counts (no 'Answer: ...' statements), as some protocols demand",
    )
    p.add_argument("--details", action="store_true", help="also add grade_method and grade_reason")
    p.set_defaults(func=run_grade)
    return p


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
    workers: int = 2,
    timeout: float = 5.0,
    marker: str | None = THINK_END,
    fallback_anywhere: bool = False,
    strict_boxed: bool | None = None,
    details: bool = False,
    summary: dict[str, int] | None = None,
) -> int:
    """Validate every line of ``name``, then grade and write them to ``out``; returns the line count.

    ``strict_boxed`` None follows each benchmark's registry entry; ``summary`` (if given) receives
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


def run_grade(args: argparse.Namespace) -> int:
    """Run ``elastic-bench grade``; returns the exit status (0 ok, 2 bad input)."""
    if not (args.timeout > 0 and math.isfinite(args.timeout)):
        print(
            f"elastic-bench grade: --timeout must be a number of seconds > 0, got {args.timeout:g}",
            file=sys.stderr,
        )
        return 2
    if args.workers < 1:
        print(f"elastic-bench grade: --workers must be at least 1, got {args.workers}", file=sys.stderr)
        return 2
    partial = f"{args.output}.partial" if args.output else None
    summary: dict[str, int] = {}
    try:
        if partial:
            with open(partial, "w", encoding="utf-8") as out:
                n = _run(args, out, summary)
            os.replace(partial, args.output)
        else:
            n = _run(args, sys.stdout, summary)
    except (GradeInputError, OSError) as exc:
        print(f"elastic-bench grade: {exc}", file=sys.stderr)
        if partial:
            with contextlib.suppress(OSError):
                os.remove(partial)
        return 2
    counts = ", ".join(
        f"{summary.get(key, 0)} {label}"
        for key, label in [
            ("correct", "correct"),
            ("no_answer", "no answer"),
            ("grade_timeout", "grading timeouts"),
            ("boxed", "boxed"),
            ("fallback_answer", "from a final-answer statement"),
        ]
    )
    print(f"elastic-bench grade: {n} lines graded ({counts})", file=sys.stderr)
    return 0


def _run(args: argparse.Namespace, out: IO[str], summary: dict[str, int]) -> int:
    return regrade_lines(
        args.file,
        out,
        workers=args.workers,
        timeout=args.timeout,
        marker=args.marker,
        fallback_anywhere=args.fallback_anywhere,
        strict_boxed=True if args.strict_boxed else None,
        details=args.details,
        summary=summary,
    )


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry point (``python -m elastic_bench.harness.regrade FILE``)."""
    parser = argparse.ArgumentParser(prog="elastic-bench")
    add_grade_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["grade", *(sys.argv[1:] if argv is None else argv)])
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
