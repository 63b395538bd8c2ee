"""What makes the entries of one chart not comparable: token counting, benchmark versions, length caps.

Published numbers count tokens differently (s1 thinking tokens only, L1 and AdaptThink the whole
response, others do not say), come from different versions of a benchmark (AMC's 83-problem AMC 12
2022+2023 set or AMC 2023's 40 problems) and were measured under different length caps.
:func:`comparability_warnings` names every such mix among the entries a chart draws, as plain text.
"""

from __future__ import annotations

import pandas as pd

#: how each token-counting convention is named in a warning
TOKEN_CONVENTIONS = {
    "thinking": "thinking tokens only",
    "response": "the whole response",
    "unstated": "not stated",
}


def _who(entries: pd.DataFrame) -> str:
    """The source tables of ``entries`` (reproduced runs and reported entries without a table by kind)."""
    labels = []
    for e in entries.itertuples():
        if e.table_label:
            labels.append(e.table_label)
        else:
            labels.append(
                "reproduced runs" if e.kind == "reproduced" else "reported entries without a source table"
            )
    return ", ".join(dict.fromkeys(sorted(labels)))


def plotted_entries(entries: pd.DataFrame, points: pd.DataFrame) -> pd.DataFrame:
    """The entries with at least one point on a token axis (accuracy and a token count)."""
    drawn = points.dropna(subset=["accuracy", "mean_total_tokens"])
    return entries[entries["entry"].isin(set(drawn["entry"]))]


def comparability_warnings(entries: pd.DataFrame, points: pd.DataFrame) -> list[str]:
    """One line per kind of mix among the entries an accuracy-vs-tokens chart of ``points`` draws."""
    shown = plotted_entries(entries, points)
    warnings = []
    if not len(shown):
        return warnings
    conventions = shown["tokens_counted"].fillna("unstated").replace("", "unstated")
    if conventions.nunique() > 1:
        parts = [
            f"{TOKEN_CONVENTIONS.get(c, c)}: {_who(shown[conventions == c])}"
            for c in TOKEN_CONVENTIONS
            if (conventions == c).any()
        ]
        warnings.append(
            "Token counts on this chart are not counted the same way — "
            + "; ".join(parts)
            + ". Thinking-only counts leave out the answer (s1's answers add up to ~700 tokens), so compare "
            "positions on the token axis only within one convention."
        )
    versions = shown["benchmark_version"].fillna("").replace("", "version not stated")
    if versions.nunique() > 1:
        parts = [f"{v}: {_who(shown[versions == v])}" for v in sorted(versions.unique())]
        warnings.append(
            "This chart mixes benchmark versions — "
            + "; ".join(parts)
            + ". Accuracies on different problem sets are not comparable."
        )
    caps = pd.to_numeric(shown["length_cap"], errors="coerce")
    if caps.dropna().nunique() > 1:
        parts = [f"{int(c):,} ({_who(shown[caps == c])})" for c in sorted(caps.dropna().unique())]
        warnings.append(
            "Length caps differ — "
            + "; ".join(parts)
            + ". A cap cuts long answers, lowering both accuracy and mean length."
        )
    return warnings


def accuracy_only(entries: pd.DataFrame, points: pd.DataFrame) -> pd.DataFrame:
    """Entries with accuracy but no token count at any point: listed in the tables, not on token axes."""
    with_acc = points.dropna(subset=["accuracy"])
    no_tokens = with_acc.groupby("entry")["mean_total_tokens"].apply(lambda s: s.isna().all())
    ids = set(no_tokens[no_tokens].index)
    return entries[entries["entry"].isin(ids)]
