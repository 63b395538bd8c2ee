"""The leaderboard's data: the versioned result schema, reading and writing result files, and the
results directory (entries, submissions and their samples, what a run may store).
"""

from __future__ import annotations

from elastic_bench.harness.results._io import (
    NESTED_TOO_DEEPLY,
    DiskFullError,
    ResultFileError,
    first_error,
    is_lm_eval_results,
    load_result,
    parse_result,
    read_json,
    save_result,
    write_atomic,
)
from elastic_bench.harness.results._records import (
    CodeforcesRating,
    TrainingRecord,
    TrainingResume,
    TrainingRun,
)
from elastic_bench.harness.results._reported import (
    PROVENANCE_BADGES,
    BudgetMeaning,
    EvaluatedBy,
    ReportedSource,
    TokensCounted,
)
from elastic_bench.harness.results._runs import (
    store_run_result,
    store_run_result_at,
)
from elastic_bench.harness.results._samples import SamplesError
from elastic_bench.harness.results._schema import (
    DEFAULT_RESULTS_DIR,
    FAMILIES_DIRNAME,
    RUNS_DIRNAME,
    SAMPLES_DIRNAME,
    SCHEMA_VERSION,
    VERIFIED_DIRNAME,
    BudgetPoint,
    DatasetRecord,
    Reproducibility,
    ResultFile,
    Verification,
)
from elastic_bench.harness.results._store import (
    DATE_ID,
    SAMPLES_FILE_RE,
    contained,
    entry_filename,
    entry_files,
    entry_path,
    family_files,
    family_path,
    find_existing_entry,
    find_same_weights,
    partial_reason,
    samples_file_task,
)
from elastic_bench.harness.results._submit import (
    SubmissionError,
    add_entry,
    submit,
    validate_submission,
    validate_submission_bytes,
)

__all__ = [
    "NESTED_TOO_DEEPLY",
    "PROVENANCE_BADGES",
    "BudgetMeaning",
    "BudgetPoint",
    "CodeforcesRating",
    "DATE_ID",
    "DEFAULT_RESULTS_DIR",
    "DatasetRecord",
    "DiskFullError",
    "FAMILIES_DIRNAME",
    "EvaluatedBy",
    "RUNS_DIRNAME",
    "ReportedSource",
    "Reproducibility",
    "ResultFile",
    "ResultFileError",
    "SAMPLES_DIRNAME",
    "SAMPLES_FILE_RE",
    "SCHEMA_VERSION",
    "SamplesError",
    "SubmissionError",
    "TokensCounted",
    "TrainingRecord",
    "TrainingResume",
    "TrainingRun",
    "VERIFIED_DIRNAME",
    "Verification",
    "add_entry",
    "contained",
    "entry_filename",
    "entry_files",
    "entry_path",
    "family_files",
    "family_path",
    "find_existing_entry",
    "find_same_weights",
    "first_error",
    "is_lm_eval_results",
    "load_result",
    "parse_result",
    "partial_reason",
    "read_json",
    "samples_file_task",
    "save_result",
    "store_run_result",
    "store_run_result_at",
    "submit",
    "validate_submission",
    "validate_submission_bytes",
    "write_atomic",
]
