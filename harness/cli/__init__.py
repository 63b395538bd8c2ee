"""The ``elastic-bench`` command line: argument parsing and printing only; the work is done by the
other harness packages.
"""

from __future__ import annotations

from elastic_bench.harness.cli._codeforces import (
    add_codeforces_parser,
    parse_contest_ids,
)
from elastic_bench.harness.cli._grade import (
    add_grade_parser,
    run_grade,
)
from elastic_bench.harness.cli._main import (
    CLIError,
    build_parser,
    main,
)
from elastic_bench.harness.cli._queue import (
    add_queue_parser,
    add_worker_parser,
)
from elastic_bench.harness.cli._report import (
    EXIT_BAD_INPUT,
    add_report_parser,
    load_results,
    run_report,
)
from elastic_bench.harness.cli._run import (
    add_run_parser,
)
from elastic_bench.harness.cli._submit import (
    add_submit_parser,
    run_submit,
)
from elastic_bench.harness.cli._tables import (
    render_budget_table,
    render_comparison,
    render_table,
)

__all__ = [
    "CLIError",
    "EXIT_BAD_INPUT",
    "add_codeforces_parser",
    "add_grade_parser",
    "add_queue_parser",
    "add_report_parser",
    "add_run_parser",
    "add_submit_parser",
    "add_worker_parser",
    "build_parser",
    "load_results",
    "main",
    "parse_contest_ids",
    "render_budget_table",
    "render_comparison",
    "render_table",
    "run_grade",
    "run_report",
    "run_submit",
]
