"""The ranking table: every entry of a benchmark ranked by accuracy, with paired-test rank bounds.

Independent of which models the chart shows. Entries are ranked within their kind (reproduced and
published numbers never together) and their way of being judged (public-tests-only code results never
with hidden-test ones); the bounds come from :func:`~elastic_bench.harness.analysis.rank_with_bounds`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pandas as pd

from elastic_bench.harness.analysis import RANK_ALPHA, aes_base_point, rank_with_bounds
from elastic_bench.leaderboard_app.analysis import own_bases
from elastic_bench.leaderboard_app.data import judged_label
from elastic_bench.leaderboard_app.problems import ProblemScores

#: the ranking's budget option meaning "each entry's unconstrained point, else its largest budget"
HEADLINE = "headline"
RANKING_COLUMNS = [
    "rank",
    "rank_range",
    "model",
    "accuracy_%",
    "ci_%",
    "budget",
    "significantly_better",
    "significantly_worse",
    "kind",
    "evaluation",
    "strategy",
    "family",
    "problems",
    "tests",
    "best_rank",
    "worst_rank",
    "entry",
]


@dataclass(frozen=True)
class RankingFilters:
    """What the ranking's search box and filters select; empty tuples pass everything."""

    search: str = ""
    kinds: tuple[str, ...] = ()
    strategies: tuple[str, ...] = ()
    families: tuple[str, ...] = ()
    evaluations: tuple[str, ...] = ()


def model_families(entries: pd.DataFrame) -> dict[str, str]:
    """Per entry, its model family: the model at the root of its chain of retrainings (its own base,
    :func:`~elastic_bench.leaderboard_app.analysis.own_bases`), else the base model it states, else itself."""
    bases = own_bases(entries)
    names = dict(zip(entries["entry"], entries["model_name"], strict=True))
    out = {}
    for e in entries.itertuples():
        root = bases.get(e.entry, (None, ""))[0]
        if e.kind == "reproduced" and root in names:
            out[e.entry] = names[root]
        elif e.kind == "reproduced" or not e.base_model:
            out[e.entry] = e.model_name
        else:
            out[e.entry] = e.base_model
    return out


def ranking_budgets(points: pd.DataFrame, benchmark: str) -> list[str]:
    """The budgets a benchmark's ranking can be made at: the headline point, then every stated
    thinking budget's label in budget order."""
    pts = points[(points["benchmark"] == benchmark) & points["thinking_budget"].notna()]
    labels = pts.sort_values("thinking_budget", kind="stable")["label"].drop_duplicates().tolist()
    return [HEADLINE, *labels]


def _ranked_points(points: pd.DataFrame, entries: set[str], budget: str) -> dict[str, object]:
    """Per entry, the point it is ranked on (its headline point, or its point at ``budget``)."""
    by_entry: dict[str, list] = defaultdict(list)
    sub = points[points["entry"].isin(entries)].sort_values(["entry", "order"], kind="stable")
    for row in sub.astype(object).where(sub.notna(), None).itertuples():
        by_entry[row.entry].append(row)
    if budget == HEADLINE:
        return {e: aes_base_point(rows) for e, rows in by_entry.items()}
    return {e: p for e, rows in by_entry.items() for p in rows if p.label == budget}


def ranking_table(
    entries: pd.DataFrame,
    points: pd.DataFrame,
    problems: dict[str, ProblemScores],
    benchmark: str,
    budget: str = HEADLINE,
    alpha: float = RANK_ALPHA,
) -> pd.DataFrame:
    """One row per entry of ``benchmark`` that has a point at ``budget``, best first: rank (ties share
    it), ``rank_range`` best-worst from paired McNemar tests at level ``alpha``, accuracy with its CI."""
    bench = entries[entries["benchmark"] == benchmark]
    if "alias_of" in bench:  # a declared alias is its original, ranked once
        bench = bench[bench["alias_of"].fillna("") == ""]
    ranked = _ranked_points(points, set(bench["entry"]), budget)
    families = model_families(bench)
    rows = []
    for e in bench.itertuples():
        point = ranked.get(e.entry)
        if point is None:
            continue
        acc = point.accuracy
        ci = "" if point.ci_low is None else f"[{100 * point.ci_low:.1f}, {100 * point.ci_high:.1f}]"
        rows.append(
            {
                "model": e.series,
                "accuracy_%": None if acc is None else round(100 * acc, 2),
                "ci_%": ci,
                "budget": point.label,
                "kind": e.kind,
                "evaluation": e.evaluation,
                "strategy": e.strategy,
                "family": families.get(e.entry, ""),
                "problems": e.n_problems,
                "tests": judged_label(e.test_set, e.grading_semantics),
                "entry": e.entry,
                "_score": acc,
                "_order": point.order,
            }
        )
    table = pd.DataFrame(rows, columns=[*RANKING_COLUMNS, "_score", "_order"])
    counts = ("rank", "best_rank", "worst_rank", "significantly_better", "significantly_worse")
    for col in counts:
        table[col] = pd.Series([None] * len(table), index=table.index, dtype=object)
    for _, group in table.groupby(["kind", "tests"], sort=False):
        per_problem = [
            scores.at(int(order)) if (scores := problems.get(entry)) is not None else None
            for entry, order in zip(group["entry"], group["_order"], strict=True)
        ]
        bounds = rank_with_bounds(group["_score"].tolist(), per_problem, alpha)
        values = (bounds.rank, bounds.best, bounds.worst, bounds.n_better, bounds.n_worse)
        for col, column_values in zip(counts, values, strict=True):
            table.loc[group.index, col] = pd.Series(column_values, index=group.index, dtype=object)
    for col in (*counts, "problems"):
        table[col] = pd.to_numeric(table[col], errors="coerce").astype("Int64")
    untested = table["best_rank"].isna()
    table.loc[untested, ["significantly_better", "significantly_worse"]] = pd.NA
    table["rank_range"] = [
        "" if pd.isna(b) else (f"{b}" if b == w else f"{b}–{w}")
        for b, w in zip(table["best_rank"], table["worst_rank"], strict=True)
    ]
    table["_kind"] = (table["kind"] != "reproduced").astype(int)
    table = table.sort_values(["_kind", "tests", "rank", "model"], na_position="last", kind="stable")
    return table.drop(columns=["_score", "_order", "_kind"]).reset_index(drop=True)


def filter_ranking(table: pd.DataFrame, f: RankingFilters) -> pd.DataFrame:
    """Rows passing the search (a case-insensitive substring of the model or its family) and the kind,
    strategy, family and evaluation filters; ranks stay those among all entries."""
    mask = pd.Series(True, index=table.index)
    if f.search.strip():
        needle = f.search.strip().lower()
        mask &= table["model"].str.lower().str.contains(needle, regex=False) | table[
            "family"
        ].str.lower().str.contains(needle, regex=False)
    for column, chosen in (
        ("kind", f.kinds),
        ("strategy", f.strategies),
        ("family", f.families),
        ("evaluation", f.evaluations),
    ):
        if chosen:
            mask &= table[column].isin(chosen)
    return table[mask]
