"""Grading: a response and a reference in, a verdict out, for math (extraction, normalisation,
math_verify in a worker pool with hard timeouts) and code (the sandbox, LiveCodeBench's verdicts);
the grader lookup by benchmark, the gold self-check and re-grading of any JSONL.
"""

from __future__ import annotations

from elastic_bench.harness.grading._code import (
    CodeGrade,
    CodeGrader,
    extract_code,
    parse_reference,
    reference_json,
    semantics_for,
)
from elastic_bench.harness.grading._extraction import (
    BOXED,
    STATEMENT,
    extract,
    extract_answer,
    extract_boxed,
    extract_statement,
)
from elastic_bench.harness.grading._gold_check import (
    GOLD_FORMS,
    check_records,
    perturb_answer,
)
from elastic_bench.harness.grading._grade import (
    grade,
    grade_many,
)
from elastic_bench.harness.grading._grader import (
    GRADERS,
    GRADING_TIMEOUT_S,
    GRADING_WORKERS,
    Grade,
    GradeItem,
    GradeOptions,
    Grader,
    UnknownGrader,
    get_grader,
    grader_for,
    register_grader,
)
from elastic_bench.harness.grading._math import (
    MathGrader,
)
from elastic_bench.harness.grading._math_verify_worker import (
    HANDLER,
    WARM,
)
from elastic_bench.harness.grading._normalize import (
    gold_alternatives,
    normalize_answer,
    prepare_gold,
)
from elastic_bench.harness.grading._regrade import (
    REGRADE_HELP,
    GradeInputError,
    regrade_lines,
)
from elastic_bench.harness.grading._workers import (
    Outcome,
    PoolClosed,
    WorkerPool,
    handler_path,
)

__all__ = [
    "GOLD_FORMS",
    "semantics_for",
    "GRADERS",
    "GRADING_TIMEOUT_S",
    "GRADING_WORKERS",
    "BOXED",
    "CodeGrade",
    "CodeGrader",
    "Grade",
    "GradeInputError",
    "GradeItem",
    "GradeOptions",
    "Grader",
    "HANDLER",
    "MathGrader",
    "Outcome",
    "PoolClosed",
    "REGRADE_HELP",
    "STATEMENT",
    "UnknownGrader",
    "WARM",
    "WorkerPool",
    "check_records",
    "extract",
    "extract_answer",
    "extract_boxed",
    "extract_code",
    "extract_statement",
    "get_grader",
    "gold_alternatives",
    "grade",
    "grade_many",
    "grader_for",
    "register_grader",
    "handler_path",
    "normalize_answer",
    "parse_reference",
    "perturb_answer",
    "prepare_gold",
    "reference_json",
    "regrade_lines",
]
