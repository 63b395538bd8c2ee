"""Leaderboard tables: filtering, per-budget table, per-model summary (AES, AUC), Pareto frontier.

Pure pandas on the frames of :mod:`.data`; metric formulas come from :mod:`elastic_bench.harness.analysis._metrics`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from elastic_bench.harness.analysis import ANSWER_RATES, aes, aes_base_point, auc_log_budget

#: order of the ranking groups of code results: hidden tests, then public tests only, then non-code
TEST_SET_ORDER = {"hidden": 0, "public": 1, "": 2}


@dataclass(frozen=True)
class Filters:
    """What the sidebar selects; empty tuples mean 'all'."""

    benchmark: str
    kinds: tuple[str, ...] = ("reproduced", "reported")
    #: which reproduced entries: measured by the leaderboard (verified) and/or by their submitter
    evaluations: tuple[str, ...] = ("verified", "self-reported")
    strategies: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    #: base model ('' = not stated), benchmark version, provenance badge, source table label
    base_models: tuple[str, ...] = ()
    versions: tuple[str, ...] = ()
    provenances: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()


#: Filters field -> the entries column it selects on
_FILTER_COLUMNS = {
    "strategies": "strategy",
    "models": "model_name",
    "base_models": "base_model",
    "versions": "benchmark_version",
    "provenances": "provenance",
    "tables": "table_label",
}


def filter_entries(entries: pd.DataFrame, f: Filters) -> pd.DataFrame:
    """Entries of the selected benchmark that pass the kind and evaluation (reproduced entries: verified,
    self-reported) filters, and the strategy, model, base model, benchmark version, provenance and source
    table filters (an empty one of these passes everything). A declared alias (the weights of another
    entry under a second name) is left out: it is its original, not a model of its own."""
    mask = (entries["benchmark"] == f.benchmark) & entries["kind"].isin(f.kinds)
    if "alias_of" in entries:
        mask &= entries["alias_of"].fillna("") == ""
    if "evaluation" in entries:
        mask &= (entries["kind"] != "reproduced") | entries["evaluation"].isin(f.evaluations)
    for name, column in _FILTER_COLUMNS.items():
        chosen = getattr(f, name)
        if chosen and column in entries:
            mask &= entries[column].fillna("").isin(chosen)
    return entries[mask]


def points_of(points: pd.DataFrame, entries: pd.DataFrame) -> pd.DataFrame:
    """The budget points of the given entries, in entry then budget order."""
    out = points[points["entry"].isin(set(entries["entry"]))]
    return out.sort_values(["series", "order"], kind="stable")


def auc_of(points: pd.DataFrame) -> float | None:
    """AUC of accuracy over log2(thinking budget) for one entry's points (None if < 2 budgets)."""
    budgeted = points.dropna(subset=["thinking_budget"])
    if len(budgeted) < 2:
        return None
    try:
        return auc_log_budget(
            budgeted["thinking_budget"].astype(float).tolist(), budgeted["accuracy"].tolist()
        )
    except ValueError:
        return None


def _safe_aes(base_acc: float, base_len: float, acc: float, length: float, convention: str) -> float | None:
    try:
        value = aes(base_acc, base_len, acc, length, convention=convention)  # type: ignore[arg-type]
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def base_row(points: pd.DataFrame | None) -> Any:
    """The row standing for a run (:func:`~elastic_bench.harness.analysis._metrics.aes_base_point`), or None."""
    if points is None or not len(points):
        return None
    ordered = points.sort_values("order", kind="stable")
    return aes_base_point(list(ordered.astype(object).where(ordered.notna(), None).itertuples()))


def add_aes(points: pd.DataFrame, base_points: pd.DataFrame | None, convention: str = "formula") -> pd.Series:
    """AES of every point against the base run's AES point (as ``elastic-bench report`` computes it)."""
    base = base_row(base_points)
    values = [
        None
        if base is None
        else _safe_aes(base.accuracy, base.mean_total_tokens, r.accuracy, r.mean_total_tokens, convention)
        for r in points.itertuples()
    ]
    return pd.Series(values, index=points.index, dtype="object")


#: table column of each optional answer rate (harness.metrics.ANSWER_RATES)
RATE_COLUMNS = dict(zip(ANSWER_RATES, ("boxed_%", "fallback_%", "grade_timeout_%"), strict=True))


def _answer_rate_columns(points: pd.DataFrame) -> dict[str, pd.Series]:
    return {
        column: (pd.to_numeric(points[name], errors="coerce") * 100).round(1)
        for name, column in RATE_COLUMNS.items()
        if name in points
    }


def _drop_empty_rates(table: pd.DataFrame) -> pd.DataFrame:
    """Without the rate columns no shown entry has (files written before the rates existed)."""
    empty = [c for c in RATE_COLUMNS.values() if c in table and table[c].isna().all()]
    return table.drop(columns=empty)


def budget_table(
    points: pd.DataFrame, base_points: pd.DataFrame | None, convention: str = "formula"
) -> pd.DataFrame:
    """One row per (entry, budget): accuracy with CI, tokens, truncation, tokens/correct, AES vs base."""
    out = pd.DataFrame(
        {
            "model": points["series"],
            "kind": points["kind"],
            "strategy": points["strategy"],
            "budget": points["label"],
            "thinking_budget": points["thinking_budget"],
            "accuracy_%": (points["accuracy"] * 100).round(2),
            "ci_low_%": (points["ci_low"] * 100).round(2),
            "ci_high_%": (points["ci_high"] * 100).round(2),
            "mean_tokens": points["mean_total_tokens"].round(1),
            "think_tokens": points["mean_think_tokens"].round(1),
            "answer_tokens": points["mean_answer_tokens"].round(1),
            "think_truncated_%": (points["think_truncation_rate"] * 100).round(1),
            "no_answer_%": (points["no_answer_rate"] * 100).round(1),
            **_answer_rate_columns(points),
            "tokens_per_correct": points["tokens_per_correct"].round(1),
            "AES": pd.to_numeric(add_aes(points, base_points, convention), errors="coerce").round(3),
        }
    )
    if (points["benchmark"] == "codeforces").any():
        out["cf_rating"] = [
            _codeforces_columns("codeforces", row)["cf_rating"] for row in points.to_dict("records")
        ]
    return _drop_empty_rates(out).reset_index(drop=True)


def own_bases(entries: pd.DataFrame) -> dict[str, tuple[str | None, str]]:
    """Each entry's own AES base and how it was found: ``(base entry, description)``.

    A retrained entry's base is the entry of the model its training started from, followed through a
    chain of retrainings to the first model (``L1-Max ← L1-Exact ← base``); a published row's is the
    base row of its own table; only entries judged alike (test set, grading semantics) on the same
    benchmark count. ``(None, reason)`` when there is none; ``(None, "")`` for an entry that has no base
    of its own (a base the user picks applies to it).
    """
    from elastic_bench.leaderboard_app.data import judged_label

    def group(e: Any) -> tuple[str, str]:
        return e.benchmark, judged_label(getattr(e, "test_set", ""), getattr(e, "grading_semantics", ""))

    by_weights: dict[tuple, Any] = {}
    originals = [e for e in entries.itertuples() if not getattr(e, "alias_of", "")]  # never an alias
    for e in originals:
        if e.kind == "reproduced" and e.weights_sha256 and not e.base_weights_sha256:
            by_weights.setdefault((*group(e), e.weights_sha256), e)  # untrained models first
    for e in originals:
        if e.kind == "reproduced" and e.weights_sha256:
            by_weights.setdefault((*group(e), e.weights_sha256), e)
    series = dict(zip(entries["entry"], entries["series"], strict=True))
    out: dict[str, tuple[str | None, str]] = {}
    for e in entries.itertuples():
        table_base = getattr(e, "table_base", "") or ""
        if e.kind == "reported":
            if table_base == e.entry:
                out[e.entry] = (None, "the base row of its table")
            elif table_base:
                name = series.get(table_base, table_base)
                out[e.entry] = (
                    table_base,
                    f"{name} (the base row of {getattr(e, 'table_label', '') or 'its table'})",
                )
            else:
                out[e.entry] = (None, "its table has no base row here")
            continue
        if not e.base_weights_sha256:
            out[e.entry] = (None, "")
            continue
        chain, current, seen = [e.series], e, set()
        while current.base_weights_sha256 and current.base_weights_sha256 not in seen:
            seen.add(current.base_weights_sha256)
            parent = by_weights.get((*group(e), current.base_weights_sha256))
            if parent is None or parent.entry == current.entry:
                break
            chain.append(parent.series)
            current = parent
        if current is e:
            out[e.entry] = (None, "the model it was trained from has no entry judged alike here")
        else:
            out[e.entry] = (current.entry, " ← ".join(chain))
    return out


def summary_table(
    entries: pd.DataFrame, points: pd.DataFrame, base_entry: str | None, convention: str = "formula"
) -> pd.DataFrame:
    """One row per entry: AUC, accuracy/tokens/tokens-per-correct at its headline point, AES vs base.

    ``base_entry`` None: each entry against its own base (:func:`own_bases`), named in ``AES_base``;
    else every entry against that one, except entries judged otherwise (AES blank, with the reason).

    Each entry's headline point and the base's point are both chosen by
    :func:`~elastic_bench.harness.analysis._metrics.aes_base_point` (unconstrained, else the largest budget);
    the per-budget table has AES budget by budget against the same base point.
    """
    from elastic_bench.leaderboard_app.data import judged_label

    base_pts = points[points["entry"] == base_entry] if base_entry is not None else points.iloc[0:0]
    base = base_row(base_pts) if len(base_pts) else None
    base_group = (
        judged_label(base_pts["test_set"].iloc[0], base_pts["grading_semantics"].iloc[0])
        if len(base_pts)
        else ""
    )
    bases = own_bases(entries) if base_entry is None else {}
    rows = []
    for entry in entries.itertuples():
        pts = points[points["entry"] == entry.entry].sort_values("order")
        if not len(pts):
            continue
        last = base_row(pts)._asdict()
        judged = judged_label(getattr(entry, "test_set", ""), getattr(entry, "grading_semantics", ""))
        if base_entry is None:  # each entry against its own base
            own, base_name = bases.get(entry.entry, (None, ""))
            aes_value = _aes_of(base_row(points[points["entry"] == own]), last, convention) if own else None
            base_name = base_name or "none of its own (pick an AES base)"
        elif entry.entry == base_entry:
            aes_value, base_name = _aes_of(base, last, convention), "(the base itself)"
        elif judged != base_group:
            aes_value, base_name = None, "none: judged otherwise than the base (test set or semantics)"
        else:
            aes_value, base_name = _aes_of(base, last, convention), str(base_pts["series"].iloc[0])
        table_base = getattr(entry, "table_base", "")
        in_table = (
            _aes_of(base_row(points[points["entry"] == table_base]), last, convention) if table_base else None
        )
        auc = auc_of(pts)
        rows.append(
            {
                "model": entry.series,
                "kind": entry.kind,
                "evaluation": getattr(entry, "evaluation", ""),
                "strategy": entry.strategy,
                "budgets": len(pts),
                "AUC": None if auc is None else round(auc, 4),
                "last_budget": last["label"],
                "accuracy_%": None if last["accuracy"] is None else round(last["accuracy"] * 100, 2),
                "mean_tokens": None
                if last["mean_total_tokens"] is None
                else round(last["mean_total_tokens"], 1),
                "tokens_per_correct": None
                if pd.isna(last["tokens_per_correct"])
                else round(last["tokens_per_correct"], 1),
                "AES_vs_base": None if aes_value is None else round(aes_value, 3),
                "AES_base": base_name,
                "AES_in_table": None if in_table is None else round(in_table, 3),
                **{
                    column: None if pd.isna(last.get(name)) else round(last[name] * 100, 1)
                    for name, column in RATE_COLUMNS.items()
                },
                "problems": entry.n_problems,
                "k": entry.k,
                "provenance": getattr(entry, "provenance", ""),
                "version": getattr(entry, "benchmark_version", ""),
                "tokens_counted": getattr(entry, "tokens_counted", ""),
                "source": entry.source,
                "tests": judged_label(
                    getattr(entry, "test_set", ""), getattr(entry, "grading_semantics", "")
                ),
                **_codeforces_columns(entry.benchmark, last),
            }
        )
    table = _drop_empty_rates(pd.DataFrame(rows))
    if len(table) and table["AES_in_table"].isna().all():
        table = table.drop(columns="AES_in_table")
    if len(table):
        # code results are ranked only against results judged alike: the same test set (public tests
        # only never against hidden tests) and the same grading semantics
        table["_group"] = table["tests"]
        table["_cf"] = pd.to_numeric(table.get("cf_rating", pd.Series(index=table.index)), errors="coerce")
        table = table.sort_values(
            ["kind", "_group", "_cf", "AUC", "accuracy_%"],
            ascending=[False, True, False, False, False],
            na_position="last",
        )
        table.insert(0, "rank", table.groupby(["kind", "_group"]).cumcount() + 1)
        table = table.drop(columns=["_group", "_cf"])
        if not table["tests"].astype(bool).any():
            table = table.drop(columns="tests")
    return table.reset_index(drop=True)


def _aes_of(base: Any, point: dict, convention: str) -> float | None:
    """AES of a headline point against a base point; None when either lacks accuracy or tokens."""
    if base is None:
        return None
    values = (base.accuracy, base.mean_total_tokens, point["accuracy"], point["mean_total_tokens"])
    if any(v is None or pd.isna(v) for v in values):
        return None
    return _safe_aes(
        base.accuracy, base.mean_total_tokens, point["accuracy"], point["mean_total_tokens"], convention
    )


def _codeforces_columns(benchmark: str, point: dict) -> dict[str, Any]:
    """Codeforces entries: the headline point's rating and percentile, or "unavailable" (never estimated)."""
    if benchmark != "codeforces":
        return {}
    rating, pct = point.get("cf_rating"), point.get("cf_percentile")
    if rating is None or pd.isna(rating):
        return {"cf_rating": "unavailable", "cf_percentile": "unavailable"}
    return {
        "cf_rating": f"{rating:.0f}",
        "cf_percentile": "" if pct is None or pd.isna(pct) else f"{pct:.1f}",
    }


def pareto_frontier(points: pd.DataFrame) -> pd.DataFrame:
    """Points not dominated by another (fewer or equal tokens and higher or equal accuracy, one strictly).

    Returned sorted by tokens; accuracy then strictly increases along the frontier.
    """
    points = points.dropna(subset=["accuracy", "mean_total_tokens"])  # accuracy-only or rating-only points
    if not len(points):
        return points.iloc[0:0]
    ordered = points.sort_values(["mean_total_tokens", "accuracy"], ascending=[True, False], kind="stable")
    keep = []
    best = -math.inf
    for idx, r in zip(ordered.index, ordered.itertuples(), strict=True):
        if r.accuracy > best:
            keep.append(idx)
            best = r.accuracy
    return ordered.loc[keep]


def pareto_frontiers(points: pd.DataFrame, kinds: Sequence[str]) -> dict[str, pd.DataFrame]:
    """One frontier per kind and way of judging, by label (``reproduced``, ``reproduced · public tests
    only · LiveCodeBench's runner``): code results judged differently never compete."""
    from elastic_bench.leaderboard_app.data import judged_label

    frontiers = {}
    for kind in kinds:
        of_kind = points[points["kind"] == kind]
        judged = [
            judged_label(t, s)
            for t, s in zip(
                of_kind["test_set"], of_kind.get("grading_semantics", [""] * len(of_kind)), strict=True
            )
        ]
        for how, group in of_kind.groupby(pd.Series(judged, index=of_kind.index, dtype=str), sort=True):
            frontiers[kind if not how else f"{kind} · {how}"] = pareto_frontier(group)
    return frontiers


def default_models(entries: pd.DataFrame, points: pd.DataFrame, limit: int = 12) -> list[str]:
    """Models shown by default: all if few, else the ``limit`` best by peak accuracy (plus reported ones)."""
    models = sorted(entries["model_name"].unique())
    if len(models) <= limit:
        return models
    peak = points[points["entry"].isin(set(entries["entry"]))].groupby("model_name")["accuracy"].max()
    top = list(peak.sort_values(ascending=False).index[:limit])
    reported = entries.loc[entries["kind"] == "reported", "model_name"].unique().tolist()
    return sorted(set(top) | set(reported))


def unique_sorted(values: Iterable) -> list:
    """Sorted distinct values (helper for widget options)."""
    return sorted(set(values))
