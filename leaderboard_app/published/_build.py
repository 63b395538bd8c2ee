"""Reported entries built from the data files: one result file per (table row, benchmark version)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from elastic_bench.harness.benchmarks import get_benchmark
from elastic_bench.harness.protocol import UNCONSTRAINED
from elastic_bench.harness.results import (
    BudgetPoint,
    CodeforcesRating,
    ReportedSource,
    ResultFile,
    entry_filename,
    save_result,
)
from elastic_bench.leaderboard_app.published._format import (
    TABLES_DIR,
    TRANSCRIBED,
    VERSIONS,
    CurvePoint,
    Row,
    SourceTable,
    Value,
    load_tables,
)

#: the 57 contests of the CodeElo 2024 set (metadata_cf.json's problem ids): a published rating is on them
CODEELO_2024_CONTESTS = (*range(1971, 2009), 2013, 2014, *range(2018, 2031), 2032, 2033, 2035, 2036)
NOT_REPRODUCED = "Not reproduced with this harness."


def _point(
    value: Value,
    *,
    label: str,
    task: str,
    strategy: str,
    n: int | None,
    k: int,
    budget: int | None,
    stated: bool,
    thinking_only: bool,
) -> BudgetPoint:
    acc, tokens = value.accuracy, value.mean_tokens
    answer = None if value.answer_tokens is None else float(value.answer_tokens.replace(",", ""))
    think = tokens if answer is not None or thinking_only else None
    total = tokens + answer if tokens is not None and answer is not None else tokens
    codeforces = None
    if value.rating is not None:
        codeforces = CodeforcesRating(
            rating=float(value.rating),
            percentile=None if value.percentile is None else float(value.percentile),
            contests=[str(c) for c in CODEELO_2024_CONTESTS],
        )
    return BudgetPoint(
        label=label,
        task=task,
        thinking_budget=budget,
        budget_stated=stated,
        strategy=strategy,
        n_problems=n,
        k=k,
        accuracy=None if acc is None else acc / 100.0,
        mean_think_tokens=think,
        mean_answer_tokens=answer,
        mean_total_tokens=total,
        tokens_per_correct=total / (acc / 100.0) if total is not None and acc else None,
        codeforces=codeforces,
    )


def _curve_point(p: CurvePoint, **common) -> BudgetPoint:
    stated = p.thinking_budget is not None or p.label == UNCONSTRAINED
    return _point(p, label=p.label, budget=p.thinking_budget, stated=stated, **common)


def _printed(values: list[Value]) -> str:
    return "; ".join(v.quote for v in values)


def _entry(table: SourceTable, row: Row, version_id: str, values: list[Value], curve: bool) -> ResultFile:
    version = VERSIONS[version_id]
    page = get_benchmark(version.page).name
    if page != version.page:
        raise ValueError(f"version {version_id}: page {version.page!r} is called {page!r} in the registry")
    group = f"{table.table}_{version_id}"
    k_stated = table.k.get(version_id)
    strategy = row.strategy or table.strategy
    thinking_only = (row.tokens_counted or table.tokens_counted) == "thinking"
    common = dict(
        task=group, strategy=strategy, n=version.n_problems, k=k_stated or 1, thinking_only=thinking_only
    )
    if curve:
        points = [_curve_point(p, **common) for p in values]  # type: ignore[arg-type]
    else:
        points = [_point(values[0], label=row.label, budget=None, stated=row.budget_stated, **common)]
    tokens_counted = row.tokens_counted or table.tokens_counted
    if any(v.answer_tokens is not None for v in values):
        tokens_counted = "response"  # the total is thinking + answer, both printed
    source = ReportedSource(
        table=table.table,
        table_label=table.label,
        citation=table.citation,
        row=row.row,
        evaluated_by=row.evaluated_by,
        read_from=row.read_from or table.read_from,
        base_model=row.base_model,
        base_row=row.base,
        base_table=row.base_table,
        benchmark_version=version.label,
        k=k_stated,
        temperature=row.temperature if row.temperature is not None else table.temperature,
        tokens_counted=tokens_counted,
        length_cap=row.length_cap or table.length_cap,
        budget_meaning=row.budget_meaning or table.budget_meaning,
        protocol=table.protocol,
        anchor=table.anchor,
        transcribed_from=f"{table.document}: {values[0].line or row.line}",
    )
    notes = [
        f"Published numbers on {version.label}, as printed: {_printed(values)}.",
        table.notes or "",
        row.notes or "",
        "" if k_stated else "The source states no k here (k = 1 recorded).",
        NOT_REPRODUCED,
    ]
    return ResultFile(
        kind="reported",
        model_name=row.model,
        benchmark=page,
        task_group=group,
        created=datetime.combine(table.published or TRANSCRIBED, datetime.min.time(), tzinfo=timezone.utc),
        points=points,
        source=table.citation,
        notes=" ".join(n for n in notes if n),
        reported_source=source,
    )


def table_results(table: SourceTable) -> list[ResultFile]:
    """The entries of one data file, in row order, then by benchmark version."""
    out = []
    for row in table.rows:
        for version_id, value in row.values.items():
            out.append(_entry(table, row, version_id, [value], curve=False))
        for version_id, points in row.curves.items():
            out.append(_entry(table, row, version_id, list(points), curve=True))
    return out


def published_results(directory: str | Path = TABLES_DIR) -> list[ResultFile]:
    """Every published number of the data files as a kind="reported" :class:`ResultFile`."""
    return [r for table in load_tables(directory) for r in table_results(table)]


def write_published(directory: str | Path, tables: str | Path = TABLES_DIR) -> list[Path]:
    """Write every reported entry as ``<directory>/<entry file name>``; returns the paths."""
    directory = Path(directory)
    return [save_result(r, directory / entry_filename(r)) for r in published_results(tables)]


def counts(results: list[ResultFile]) -> tuple[Counter, Counter]:
    """Entries per source table label and per benchmark page."""
    by_source = Counter(r.reported_source.table_label if r.reported_source else "(none)" for r in results)
    return by_source, Counter(r.benchmark for r in results)
