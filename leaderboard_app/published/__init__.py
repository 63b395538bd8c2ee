"""Published numbers shown as "reported" entries (never mixed with reproduced ones).

The numbers live in data files, one YAML per source table (``tables/*.yaml``, format in
:mod:`._format`), each value as printed with the document line it was transcribed from; the
entries under ``results/reported/`` are built from them by

    python -m elastic_bench.leaderboard_app.published results/reported

Adding a paper is adding one data file and running that command.
"""

from __future__ import annotations

from elastic_bench.leaderboard_app.published._build import (
    CODEELO_2024_CONTESTS,
    counts,
    published_results,
    table_results,
    write_published,
)
from elastic_bench.leaderboard_app.published._format import (
    DOCUMENTS,
    TABLES_DIR,
    VERSIONS,
    DataFileError,
    SourceTable,
    Value,
    Version,
    load_table,
    load_tables,
    parse_value,
)
from elastic_bench.leaderboard_app.published._verify import (
    cited_lines,
    literature_pairs,
    uncovered_pairs,
    value_problems,
)

__all__ = [
    "CODEELO_2024_CONTESTS",
    "DOCUMENTS",
    "TABLES_DIR",
    "VERSIONS",
    "DataFileError",
    "SourceTable",
    "Value",
    "Version",
    "cited_lines",
    "counts",
    "load_table",
    "literature_pairs",
    "load_tables",
    "parse_value",
    "published_results",
    "table_results",
    "uncovered_pairs",
    "value_problems",
    "write_published",
]
