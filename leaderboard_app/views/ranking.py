"""The Leaderboard page's ranking tab: every entry of the benchmark ranked, with rank bounds, a search box
and filters (independent of the models the chart shows)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from elastic_bench.harness.analysis import RANK_ALPHA
from elastic_bench.leaderboard_app.cache import get_ranking
from elastic_bench.leaderboard_app.data import LeaderboardData
from elastic_bench.leaderboard_app.export import table_csv
from elastic_bench.leaderboard_app.ranking import (
    HEADLINE,
    RankingFilters,
    filter_ranking,
    ranking_budgets,
)
from elastic_bench.leaderboard_app.verification import EVALUATION_HELP
from elastic_bench.leaderboard_app.views.common import seed_from_url

#: the ranking's filters: RankingFilters field -> (table column, label)
RANKING_FILTERS = {
    "kinds": ("kind", "Kind"),
    "strategies": ("strategy", "Strategy"),
    "families": ("family", "Family"),
    "evaluations": ("evaluation", "Evaluated by"),
}
RANKING_HELP = {
    "rank": st.column_config.NumberColumn(
        help="1 + the entries with a higher accuracy, within the entry's kind and test set (ties share it)"
    ),
    "rank_range": st.column_config.TextColumn(
        "rank range",
        help=f"best to worst possible rank from paired McNemar tests (p < {RANK_ALPHA}) on the shared problems",
    ),
    "significantly_better": st.column_config.NumberColumn(
        "sig. better", help="entries significantly better on the problems both ran"
    ),
    "significantly_worse": st.column_config.NumberColumn(
        "sig. worse", help="entries significantly worse on the problems both ran"
    ),
    "family": st.column_config.TextColumn(
        help="the model at the root of the entry's retrainings (else the base model it states)"
    ),
    "evaluation": st.column_config.TextColumn(help=EVALUATION_HELP),
    "ci_%": st.column_config.TextColumn("95% CI %"),
}


def _budget_label(budget: str) -> str:
    return "each entry's unconstrained point (else its largest budget)" if budget == HEADLINE else budget


def ranking_section(root: Path, data: LeaderboardData, benchmark: str) -> str:
    """Render the ranking of every entry of ``benchmark``; returns the budget it ranks at."""
    budgets = ranking_budgets(data.points, benchmark)
    key = f"rank_budget::{benchmark}"
    seed_from_url("budget", key, budgets, HEADLINE, benchmark=benchmark)
    budget = st.selectbox(
        "Rank at",
        budgets,
        key=key,
        format_func=_budget_label,
        help="the budget whose accuracy ranks the entries",
    )
    table = get_ranking(root, benchmark, budget)
    cols = st.columns([2, 1, 1, 1, 1])
    search = cols[0].text_input(
        "Search the ranking",
        key=f"rank_search::{benchmark}",
        placeholder="model or family",
        icon=":material/search:",
    )
    chosen = {}
    for col, (name, (column, label)) in zip(cols[1:], RANKING_FILTERS.items(), strict=True):
        options = sorted(v for v in table[column].dropna().unique() if v != "")
        picked = col.multiselect(label, options, key=f"rank_{name}::{benchmark}", placeholder="all")
        chosen[name] = tuple(picked)
    shown = filter_ranking(table, RankingFilters(search=search, **chosen))
    st.caption(
        f"Table: {len(shown)} of the {len(table)} entries on this benchmark at "
        f"{_budget_label(budget)}, ranked by accuracy within their kind and test set (ties share a rank). "
        "Rank range: the best and worst rank paired tests allow (McNemar's exact test on the shared problems, "
        f"p < {RANK_ALPHA}; a problem counts as right when half its samples are): best = 1 + the entries "
        "significantly better, worst = the entries ranked - those significantly worse. Blank without "
        "per-problem results (published numbers)."
    )
    st.dataframe(
        shown.drop(columns=["best_rank", "worst_rank", "entry"]),
        hide_index=True,
        width="stretch",
        column_config=RANKING_HELP,
        key=f"ranking_table::{benchmark}",
    )
    st.download_button(
        "Download ranking (CSV)",
        data=table_csv(shown),
        file_name=f"ranking_{benchmark}.csv",
        mime="text/csv",
        key="dl_ranking",
        icon=":material/download:",
    )
    return budget
