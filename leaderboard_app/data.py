"""Loading the results directory into tables (no Streamlit here; caching lives in :mod:`.cache`).

Every ``*.json`` under the results directory (except the ``samples/`` and ``runs/`` folders and
hidden paths) is parsed with the result schema. Files that do not parse are reported as :class:`SkippedFile`
and never stop the app. Parsed files are kept per (path, mtime, size), so a changed directory
only re-parses the files that changed.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from elastic_bench.harness.analysis import ANSWER_RATES, answer_rates
from elastic_bench.harness.benchmarks import benchmark_label, get_benchmark
from elastic_bench.harness.protocol import SEMANTICS_LABELS
from elastic_bench.harness.results import (
    ResultFile,
    ResultFileError,
    contained,
    entry_files,
    load_result,
)
from elastic_bench.leaderboard_app.problems import ProblemScores, problem_scores
from elastic_bench.leaderboard_app.verification import VERIFIED, evaluation_columns

RESULTS_ENV = "ELASTIC_BENCH_RESULTS_DIR"

#: where an entry's numbers come from and how to read them (:func:`provenance_columns`)
PROVENANCE_COLUMNS = [
    "provenance",  # badge: authors / authors, image / secondary; reproduced; unstated
    "source_table",  # reported: id of the source table (its entries share it)
    "table_label",
    "benchmark_version",
    "base_model",  # the model the entry's method starts from (a base itself: itself)
    "base_row",  # reported: model_name of the row it is compared with ...
    "base_table",  # ... in this table ('') or the one named
    "table_base",  # ... as the entry (path) of that row, same benchmark version ('' if not loaded)
    "tokens_counted",  # thinking / response / unstated
    "budget_meaning",
    "evaluated_by",
    "k_stated",
    "temperature",
    "length_cap",
    "protocol",  # the evaluation protocol as the source states it
    "anchor",  # a verbatim quote of the source
]
#: the provenance columns every point repeats (hover text, marker symbol)
POINT_PROVENANCE = ["provenance", "table_label", "benchmark_version", "tokens_counted"]
ENTRY_COLUMNS = [
    "entry",
    "series",
    "model_name",
    "benchmark",
    "task_group",
    "kind",
    "strategy",
    "n_points",
    "n_problems",
    "k",
    "source",
    "samples_file",
    "created",
    "test_set",
    "sandbox_mode",
    "grading_semantics",  # code: lcb (LiveCodeBench's runner) or judge
    "method",  # the training record's method ("" when the weights were not retrained here)
    "weights_sha256",
    "base_weights_sha256",  # of the model training started from
    "alias_of",  # the model name of the entry with the same weights this one is an alias of ('' if none)
    *("evaluation", "request_id"),  # verified / self-reported / published; a verified entry's request
    *PROVENANCE_COLUMNS,
]
#: how an entry's test set is shown; results on public tests only are never ranked with hidden-test ones
TEST_SET_LABELS = {"public": "public tests only", "hidden": "hidden tests"}


def judged_label(test_set: object, semantics: object) -> str:
    """How a code result was judged, e.g. ``hidden tests · LiveCodeBench's runner`` ("" for other
    results): results judged differently are never ranked or put on one frontier together."""
    parts = [TEST_SET_LABELS.get(str(test_set or ""), ""), SEMANTICS_LABELS.get(str(semantics or ""), "")]
    return " · ".join(part for part in parts if part)


POINT_COLUMNS = [
    "entry",
    "series",
    "model_name",
    "benchmark",
    "kind",
    "strategy",
    "order",
    "label",
    "task",
    "thinking_budget",
    "solution_budget",
    "n_problems",
    "k",
    "accuracy",
    "ci_low",
    "ci_high",
    "mean_think_tokens",
    "mean_answer_tokens",
    "mean_total_tokens",
    "think_truncation_rate",
    "answer_truncation_rate",
    "no_answer_rate",
    "tokens_per_correct",
    *ANSWER_RATES,
    "test_set",
    "grading_semantics",
    "cf_rating",
    "cf_percentile",
    "cf_unavailable",
    *POINT_PROVENANCE,
]

Stamp = tuple[str, int, int]  # (path relative to the results dir, mtime_ns, size)
Parsed = tuple[dict, list[dict], ProblemScores | None]  # a result file's entry row, points, problems


@dataclass(frozen=True)
class SkippedFile:
    """A file in the results directory that is not a valid result file."""

    path: str
    reason: str


@dataclass
class LeaderboardData:
    """Per entry and per budget point a row, the skipped files, and per-problem results (rank bounds)."""

    entries: pd.DataFrame
    points: pd.DataFrame
    skipped: list[SkippedFile] = field(default_factory=list)
    problems: dict[str, ProblemScores] = field(default_factory=dict)

    @property
    def benchmarks(self) -> list[str]:
        """Benchmarks with at least one entry, sorted."""
        return sorted(self.entries["benchmark"].unique()) if len(self.entries) else []


def resolve_results_dir(explicit: str | Path | None = None) -> Path:
    """The results directory: explicit argument, else ``$ELASTIC_BENCH_RESULTS_DIR``, else ``./results``."""
    if explicit:
        return Path(explicit)
    return Path(os.environ.get(RESULTS_ENV) or "results")


def scan_results(results_dir: str | Path) -> tuple[Stamp, ...]:
    """(relative path, mtime_ns, size) of every candidate result file, sorted; cheap (stat only)."""
    root = Path(results_dir)
    stamps: list[Stamp] = []
    for path in entry_files(root):
        try:
            st = path.stat()
        except OSError:
            continue
        stamps.append((path.relative_to(root).as_posix(), st.st_mtime_ns, st.st_size))
    return tuple(sorted(stamps))


def provenance_columns(result: ResultFile) -> dict:
    """The entry's provenance columns: for a reported entry from its ``reported_source`` (``unstated``
    where it has none), for a reproduced one what this harness records (whole responses counted)."""
    src = result.reported_source
    if src is not None:
        return {
            "provenance": src.badge,
            "source_table": src.table,
            "table_label": src.table_label,
            "benchmark_version": src.benchmark_version,
            "base_model": src.base_model or "",
            "base_row": src.base_row or "",
            "base_table": src.base_table or "",
            "table_base": "",
            "tokens_counted": src.tokens_counted,
            "budget_meaning": src.budget_meaning or "",
            "evaluated_by": src.evaluated_by,
            "k_stated": src.k,
            "temperature": src.temperature,
            "length_cap": src.length_cap,
            "protocol": src.protocol or "",
            "anchor": src.anchor or "",
        }
    reproduced = result.kind == "reproduced"
    rep = result.reproducibility
    return {
        "provenance": "reproduced" if reproduced else "unstated",
        "source_table": "",
        "table_label": "",
        "benchmark_version": benchmark_label(result.benchmark) if reproduced else "",
        "base_model": (result.training.base_model if result.training else result.model_name)
        if reproduced
        else "",
        "base_row": "",
        "base_table": "",
        "table_base": "",
        "tokens_counted": "response" if reproduced else "unstated",
        "budget_meaning": "hard_thinking_cap" if reproduced else "",
        "evaluated_by": "reproduced" if reproduced else "",
        "k_stated": rep.k if rep else None,
        "temperature": rep.sampling.get("temperature") if rep else None,
        "length_cap": None,
        "protocol": "",
        "anchor": "",
    }


def _table_bases(entries: pd.DataFrame) -> pd.Series:
    """Per entry, the entry of its base row (same source table, or the named one, and same benchmark
    version); '' when it has none or the base is not loaded."""
    index: dict[tuple, str] = {}
    for e in entries.itertuples():
        if e.source_table:
            index.setdefault((e.source_table, e.benchmark_version, e.model_name), e.entry)
    bases = [
        index.get((e.base_table or e.source_table, e.benchmark_version, e.base_row), "") if e.base_row else ""
        for e in entries.itertuples()
    ]
    return pd.Series(bases, index=entries.index, dtype=object)


def entry_strategy(result: ResultFile) -> str:
    """The sweep's strategy ('elastic', ...); 'mixed' if its points disagree."""
    strategies = {p.strategy for p in result.points}
    if result.reproducibility is not None and len(strategies) > 1:
        return result.reproducibility.strategy
    return strategies.pop() if len(strategies) == 1 else "mixed"


def _entry_rows(rel: str, result: ResultFile) -> Parsed:
    strategy = entry_strategy(result)
    provenance = provenance_columns(result)
    entry = {
        "entry": rel,
        "series": "",
        "model_name": result.model_name,
        "benchmark": result.benchmark,
        "task_group": result.task_group,
        "kind": result.kind,
        "strategy": strategy,
        "n_points": len(result.points),
        "n_problems": result.points[0].n_problems,
        "k": result.points[0].k,
        "source": result.source or "",
        "samples_file": result.samples_file or "",
        "created": result.created.isoformat(),
        "test_set": result.test_set or "",
        "sandbox_mode": result.sandbox_mode or "",
        "grading_semantics": result.grading_semantics or "",
        "method": result.training.method if result.training else "",
        "weights_sha256": (result.reproducibility.weights_sha256 if result.reproducibility else None) or "",
        "base_weights_sha256": (result.training.base_weights_sha256 if result.training else None) or "",
        "alias_of": result.alias_of or "",
        **evaluation_columns(result),
        **provenance,
    }
    points = []
    for order, p in enumerate(result.points):
        lo, hi = p.accuracy_ci if p.accuracy_ci is not None else (None, None)
        tpc = p.tokens_per_correct
        if tpc is None and p.accuracy and p.mean_total_tokens is not None:
            tpc = p.mean_total_tokens / p.accuracy
        points.append(
            {
                "entry": rel,
                "series": "",
                "model_name": result.model_name,
                "benchmark": result.benchmark,
                "kind": result.kind,
                "strategy": p.strategy,
                "order": order,
                "label": p.label,
                "task": p.task,
                "thinking_budget": p.thinking_budget,
                "solution_budget": p.solution_budget,
                "n_problems": p.n_problems,
                "k": p.k,
                "accuracy": p.accuracy,
                "ci_low": lo,
                "ci_high": hi,
                "mean_think_tokens": p.mean_think_tokens,
                "mean_answer_tokens": p.mean_answer_tokens,
                "mean_total_tokens": p.mean_total_tokens,
                "think_truncation_rate": p.think_truncation_rate,
                "answer_truncation_rate": p.answer_truncation_rate,
                "no_answer_rate": p.no_answer_rate,
                "tokens_per_correct": tpc,
                **answer_rates(p),
                "test_set": result.test_set or "",
                "grading_semantics": result.grading_semantics or "",
                "cf_rating": p.codeforces.rating if p.codeforces else None,
                "cf_percentile": p.codeforces.percentile if p.codeforces else None,
                "cf_unavailable": (p.codeforces.unavailable or "") if p.codeforces else "",
                **{name: provenance[name] for name in POINT_PROVENANCE},
            }
        )
    return entry, points, problem_scores(result)


_PARSED: dict[tuple[str, str], tuple[tuple[int, int], Parsed | SkippedFile]] = {}
_PARSED_LOCK = threading.Lock()


def _parse_one(root: Path, stamp: Stamp) -> Parsed | SkippedFile:
    rel, mtime, size = stamp
    key = (str(root.resolve()), rel)
    with _PARSED_LOCK:
        cached = _PARSED.get(key)
    if cached is not None and cached[0] == (mtime, size):
        return cached[1]
    try:
        parsed: Parsed | SkippedFile = _entry_rows(rel, load_result(root / rel))
    except ResultFileError as exc:
        parsed = SkippedFile(rel, str(exc).removeprefix(f"{Path(rel).name}: "))
    except Exception as exc:  # noqa: BLE001 - a broken file must never take the app down
        parsed = SkippedFile(rel, f"cannot load: {type(exc).__name__}: {exc}")
    with _PARSED_LOCK:
        _PARSED[key] = ((mtime, size), parsed)
    return parsed


def _own_semantics(benchmark: str) -> str:
    try:
        return get_benchmark(benchmark).grading_semantics or ""
    except ValueError:
        return ""


def series_labels(entries: pd.DataFrame) -> pd.Series:
    """Display name of each entry: 'model · strategy', '(reported)' for published numbers, '(verified)' for
    entries the leaderboard measured ('model · source table' when the entry names its table, plus its
    benchmark version where the table has several on one page), '[public tests only]' for code results
    without the hidden tests; unique per benchmark."""
    base = entries["model_name"] + " · " + entries["strategy"]
    base = base.where(entries["kind"] != "reported", base + " (reported)")
    base = base.where(entries["evaluation"] != VERIFIED, base + f" ({VERIFIED})")
    tabled = entries["table_label"].fillna("") != ""
    named = entries["model_name"] + " · " + entries["table_label"]
    versions = entries.groupby([entries["benchmark"], entries["source_table"]])["benchmark_version"]
    several = versions.transform("nunique") > 1
    named = named.where(~several, named + " · " + entries["benchmark_version"])
    base = base.where(~tabled, named)
    public = entries["test_set"].fillna("") == "public"
    base = base.where(~public, base + f" [{TEST_SET_LABELS['public']}]")
    semantics = entries["grading_semantics"].fillna("")
    own = entries["benchmark"].map(_own_semantics)
    other = (semantics != "") & (semantics != own)  # judged otherwise than the benchmark's own way
    base = base.where(~other, base + " [judged as " + semantics.map(SEMANTICS_LABELS).fillna(semantics) + "]")
    dup = base.groupby(entries["benchmark"]).transform(lambda s: s.duplicated(keep=False))
    labels = base.where(~dup, base + " [" + entries["task_group"] + "]")
    dup = labels.groupby(entries["benchmark"]).transform(lambda s: s.duplicated(keep=False))
    return labels.where(~dup, labels + " {" + entries["entry"] + "}")


def load_leaderboard(results_dir: str | Path, stamps: tuple[Stamp, ...] | None = None) -> LeaderboardData:
    """Parse the results directory into :class:`LeaderboardData` (invalid files become skipped)."""
    root = Path(results_dir)
    if stamps is None:
        stamps = scan_results(root)
    entries: list[dict] = []
    points: list[dict] = []
    skipped: list[SkippedFile] = []
    problems: dict[str, ProblemScores] = {}
    for stamp in stamps:
        parsed = _parse_one(root, stamp)
        if isinstance(parsed, SkippedFile):
            skipped.append(parsed)
            continue
        entry, pts, scores = parsed
        entries.append(entry)
        points.extend(pts)
        problems.update({entry["entry"]: scores} if scores is not None else {})
    entries_df = pd.DataFrame(entries, columns=ENTRY_COLUMNS)
    points_df = pd.DataFrame(points, columns=POINT_COLUMNS)
    if len(entries_df):
        entries_df["series"] = series_labels(entries_df)
        entries_df["table_base"] = _table_bases(entries_df)
        points_df["series"] = points_df["entry"].map(entries_df.set_index("entry")["series"])
    for col in ("thinking_budget", "solution_budget"):
        points_df[col] = points_df[col].astype("Int64")
    for col in (*ANSWER_RATES, "cf_rating", "cf_percentile", "accuracy", "mean_total_tokens"):
        points_df[col] = points_df[col].astype(float)  # None (files without the rate) becomes NaN
    return LeaderboardData(entries=entries_df, points=points_df, skipped=skipped, problems=problems)


def load_entry(results_dir: str | Path, entry: str) -> ResultFile:
    """The full result file of one entry (a path relative to the results directory)."""
    path = contained(results_dir, entry)
    if path is None:
        raise ResultFileError(f"{entry}: outside the results directory")
    return load_result(path)
