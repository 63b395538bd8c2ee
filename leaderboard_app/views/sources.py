"""Provenance on the pages: badges, the comparability warnings of a chart, the sources of the entries shown."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from elastic_bench.leaderboard_app.comparability import accuracy_only, comparability_warnings

#: badge colour of each provenance
BADGE_COLORS = {
    "authors": "green",
    "authors, image": "blue",
    "secondary": "orange",
    "unstated": "gray",
    "reproduced": "violet",
}
BADGE_HELP = (
    "authors: the method's own paper, model card or repository, read as text · authors, image: "
    "transcribed from a table image in the authors' repository · secondary: a re-implementation or "
    "re-evaluation in another paper, or a third-party reproduction"
)


def provenance_badges(entries: pd.DataFrame) -> None:
    """One badge per provenance among ``entries``, with how many entries have it."""
    counts = entries["provenance"].fillna("unstated").replace("", "unstated").value_counts().sort_index()
    if not len(counts):
        return
    badges = " ".join(f":{BADGE_COLORS.get(name, 'gray')}-badge[{name} · {n}]" for name, n in counts.items())
    st.markdown(f"Provenance: {badges}", help=BADGE_HELP)


def chart_warnings(entries: pd.DataFrame, points: pd.DataFrame) -> None:
    """The comparability warnings of the chart of ``entries``, and which entries it cannot draw."""
    for text in comparability_warnings(entries, points):
        st.warning(text, icon=":material/warning:")
    only = accuracy_only(entries, points)
    if len(only):
        names = ", ".join(sorted(only["series"]))
        st.caption(
            f"{len(only)} accuracy-only {'entry is' if len(only) == 1 else 'entries are'} in the tables below, "
            f"not on the token axis (the source gives no token count): {names}"
        )


def sources_table(entries: pd.DataFrame) -> pd.DataFrame:
    """One row per source table among the reported ``entries``: provenance, citation and protocol."""
    rows = []
    for _, group in entries[entries["source_table"].fillna("") != ""].groupby("source_table", sort=True):
        first = group.iloc[0]
        rows.append(
            {
                "table": first["table_label"],
                "entries": len(group),
                "provenance": " / ".join(sorted(group["provenance"].unique())),
                "benchmark version": "; ".join(sorted(group["benchmark_version"].unique())),
                "k": ", ".join(sorted({_or_not_stated(k, "{:.0f}") for k in group["k_stated"]})),
                "temperature": _or_not_stated(first["temperature"], "{:g}"),
                "tokens counted": ", ".join(sorted(group["tokens_counted"].unique())),
                "length cap": _or_not_stated(first["length_cap"], "{:,.0f}"),
                "budget meaning": ", ".join(sorted({b for b in group["budget_meaning"] if b})) or "none",
                "citation": first["source"],
                "protocol": first["protocol"] or "not stated",
                "anchor": first["anchor"],
            }
        )
    return pd.DataFrame(rows)


def _or_not_stated(value: object, fmt: str) -> str:
    return "not stated" if value is None or pd.isna(value) else fmt.format(float(value))
