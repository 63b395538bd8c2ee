"""The leaderboard's data: the versioned result schema, reading and writing result files, and the
results directory (entries, submissions and their samples, what a run may store).
"""

from __future__ import annotations

from elastic_bench.harness.results._io import (
    ResultFileError,
    load_result,
    parse_result,
    read_json,
    save_result,
)
from elastic_bench.harness.results._records import (
    CodeforcesRating,
    TrainingRecord,
)
from elastic_bench.harness.results._runs import (
    partial_reason,
    store_run_result,
    store_run_result_at,
)
from elastic_bench.harness.results._schema import (
    DEFAULT_RESULTS_DIR,
    RUNS_DIRNAME,
    SAMPLES_DIRNAME,
    SCHEMA_VERSION,
    BudgetPoint,
    DatasetRecord,
    Reproducibility,
    ResultFile,
)
from elastic_bench.harness.results._submit import (
    SubmissionError,
    add_entry,
    entry_filename,
    entry_path,
    find_existing_entry,
    submit,
    validate_submission,
    validate_submission_bytes,
)

__all__ = [
    "DEFAULT_RESULTS_DIR",
    "BudgetPoint",
    "CodeforcesRating",
    "DatasetRecord",
    "RUNS_DIRNAME",
    "Reproducibility",
    "ResultFile",
    "ResultFileError",
    "SAMPLES_DIRNAME",
    "SCHEMA_VERSION",
    "SubmissionError",
    "TrainingRecord",
    "add_entry",
    "entry_filename",
    "entry_path",
    "find_existing_entry",
    "load_result",
    "parse_result",
    "partial_reason",
    "read_json",
    "save_result",
    "store_run_result",
    "store_run_result_at",
    "submit",
    "validate_submission",
    "validate_submission_bytes",
]
