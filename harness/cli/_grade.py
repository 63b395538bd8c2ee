"""``elastic-bench grade FILE.jsonl``: re-grade generations from any source with our graders.

See :mod:`elastic_bench.harness.grading` (``regrade_lines``) for the input and output format.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
from typing import IO

from elastic_bench.harness.grading import (
    GRADING_TIMEOUT_S,
    GRADING_WORKERS,
    REGRADE_HELP,
    GradeInputError,
    regrade_lines,
)
from elastic_bench.harness.protocol import GRADING_SEMANTICS, THINK_END
from elastic_bench.harness.sandbox import Limits


def add_grade_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the ``grade`` sub-command on an argparse ``subparsers`` object."""
    p = subparsers.add_parser(
        "grade",
        help="re-grade a JSONL file of generations (task, gold, response per line; code: task, response, tests)",
        description=REGRADE_HELP,
    )
    p.add_argument("file", help="input JSONL ('-' for stdin)")
    p.add_argument("-o", "--output", default=None, help="output JSONL (default: stdout)")
    p.add_argument(
        "--workers",
        type=int,
        default=GRADING_WORKERS,
        help=f"math_verify worker processes (default {GRADING_WORKERS})",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        help=f"seconds: math, the hard limit per answer (default {GRADING_TIMEOUT_S:g}); code, each "
        f"test's wall and CPU time limit (default {Limits().wall_s:g}, LiveCodeBench's: another value "
        "gives verdicts other than its)",
    )
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
    p.add_argument(
        "--semantics",
        choices=GRADING_SEMANTICS,
        default=None,
        help="code: run programs as LiveCodeBench's runner does (lcb) or as a contest judge (judge); "
        "default: each benchmark's own (lcb for LiveCodeBench, judge for Codeforces)",
    )
    p.add_argument("--details", action="store_true", help="also add grade_method and grade_reason")
    p.set_defaults(func=run_grade)
    return p


def run_grade(args: argparse.Namespace) -> int:
    """Run ``elastic-bench grade``; returns the exit status (0 ok, 2 bad input)."""
    if args.timeout is not None and not (args.timeout > 0 and math.isfinite(args.timeout)):
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
        timeout=args.timeout or GRADING_TIMEOUT_S,
        test_timeout=args.timeout,
        marker=args.marker,
        fallback_anywhere=args.fallback_anywhere,
        strict_boxed=True if args.strict_boxed else None,
        semantics=args.semantics,
        details=args.details,
        summary=summary,
    )
