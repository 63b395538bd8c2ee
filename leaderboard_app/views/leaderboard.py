"""The main page: per benchmark, accuracy-vs-tokens curves, tables (AES, AUC) and the Pareto frontier."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from elastic_bench.leaderboard_app.analysis import (
    Filters,
    budget_table,
    default_models,
    filter_entries,
    pareto_frontiers,
    points_of,
    summary_table,
)
from elastic_bench.leaderboard_app.cache import get_leaderboard
from elastic_bench.leaderboard_app.charts import curves_figure, figure_filename, pareto_figure, plain_title
from elastic_bench.leaderboard_app.export import figure_export, table_csv
from elastic_bench.leaderboard_app.verification import (
    EVALUATION_HELP,
    EVALUATIONS,
    SELF_REPORTED,
    VERIFIED,
)
from elastic_bench.leaderboard_app.views.common import (
    md_escape,
    results_dir,
    seed_from_url,
    select_benchmark,
    set_url,
    show_chart,
)
from elastic_bench.leaderboard_app.views.ranking import ranking_section
from elastic_bench.leaderboard_app.views.sources import (
    BADGE_HELP,
    chart_warnings,
    provenance_badges,
    sources_table,
)

KIND_LABELS = {"reproduced": "Reproduced", "reported": "Reported (published)"}
#: the evaluation filter's labels (reproduced entries)
EVALUATION_LABELS = {VERIFIED: "Verified (by the leaderboard)", SELF_REPORTED: "Self-reported"}
#: column help of the answer-source rates (the columns exist only when some shown entry has them)
RATE_HELP = {
    "boxed_%": st.column_config.NumberColumn(help="answers read from the last \\boxed{} of the solution"),
    "fallback_%": st.column_config.NumberColumn(
        help="answers read from a final-answer statement ('Answer: 42', 'the answer is ...')"
    ),
    "grade_timeout_%": st.column_config.NumberColumn(help="samples whose grading hit the hard timeout"),
}


#: column help of the models table
SUMMARY_HELP = {
    "AUC": st.column_config.NumberColumn(help="area under accuracy vs log2(budget), normalised to [0, 1]"),
    "AES_vs_base": st.column_config.NumberColumn(
        help="the entry's unconstrained (else largest-budget) point vs its base's (AES_base)"
    ),
    "AES_base": st.column_config.TextColumn(
        help="the base the AES is against: by default each entry's own (a retrained model's "
        "base model, through its chain of retrainings; a published row's base row), else the "
        "AES base picked in the sidebar; blank AES when there is none"
    ),
    "AES_in_table": st.column_config.NumberColumn(
        help="reported entries: AES against the base row of the same published table (and benchmark version)"
    ),
    "provenance": st.column_config.TextColumn(help=BADGE_HELP),
    "evaluation": st.column_config.TextColumn(help=EVALUATION_HELP),
    "tokens_counted": st.column_config.TextColumn(
        help="what the token counts count: thinking only, the whole response, or not stated"
    ),
    "source": st.column_config.TextColumn(help="citation of reported numbers"),
    "rank": st.column_config.NumberColumn(
        help="within its kind and test set: public-tests-only results are never ranked against hidden-test ones"
    ),
    "cf_rating": st.column_config.TextColumn(
        help="CodeElo rating from cached standings; 'unavailable' when none are cached (never estimated)"
    ),
    **RATE_HELP,
}


def _sidebar_filters(
    entries: pd.DataFrame, points: pd.DataFrame, benchmark: str
) -> tuple[Filters, str | None, str, bool]:
    side = st.sidebar
    bench_entries = entries[entries["benchmark"] == benchmark]
    kinds = side.pills(
        "Entries",
        ["reproduced", "reported"],
        selection_mode="multi",
        default=["reproduced", "reported"],
        format_func=KIND_LABELS.get,
        key="kinds",
        help="Reported entries are published numbers (dashed lines); reproduced ones were run with this harness.",
    )
    evaluations = side.pills(
        "Evaluated by",
        list(EVALUATIONS),
        selection_mode="multi",
        default=list(EVALUATIONS),
        format_func=EVALUATION_LABELS.get,
        key="evaluations",
        help=EVALUATION_HELP,
    )
    strategies = sorted(bench_entries["strategy"].unique())
    chosen_strategies = side.multiselect(
        "Strategy", strategies, default=strategies, key=f"strategies::{benchmark}"
    )
    models = sorted(bench_entries["model_name"].unique())
    seed_from_url(
        "models",
        f"models::{benchmark}",
        models,
        default_models(bench_entries, points),
        multi=True,
        benchmark=benchmark,
    )
    chosen_models = side.multiselect(
        "Models", models, key=f"models::{benchmark}", help="the models the chart and the tables below it show"
    )
    series = bench_entries.sort_values("series")
    # default: each entry against its own base (a retrained model's base model, a published row's
    # base row in its table); a base picked here applies to every entry judged alike
    options = [OWN_BASE, *series["entry"].tolist()]
    labels = dict(zip(series["entry"], series["series"], strict=True))
    seed_from_url("base", f"base::{benchmark}", options, OWN_BASE, benchmark=benchmark)
    base = side.selectbox(
        "AES base model",
        options,
        format_func=lambda e: "(each entry's own base)" if e == OWN_BASE else labels[e],
        key=f"base::{benchmark}",
        help="AES (O1-Pruner) against a base. Default: each entry against its own base, named in the "
        "table's AES_base column (a retrained model's base model, followed through a chain of retrainings; "
        "a published row's base row in its own table). A model picked here is the base of every entry "
        "judged alike (never across test sets or grading semantics).",
    )
    convention = side.radio(
        "AES convention",
        ["formula", "paper_table"],
        horizontal=True,
        key="aes_convention",
        help="formula: accuracy drops are penalised with gamma=5 (the definition). paper_table: "
        "alpha*dL + beta*|dA| always, which is what O1-Pruner's Table 2 reports.",
    )
    show_ci = side.checkbox("Show 95% CI bands", value=True, key="show_ci")
    f = Filters(
        benchmark=benchmark,
        kinds=tuple(kinds or ()),
        evaluations=tuple(evaluations or ()),
        strategies=tuple(chosen_strategies),
        models=tuple(chosen_models),
        **_provenance_filters(bench_entries, benchmark),
    )
    return f, base or None, convention, show_ci


#: the provenance filters: Filters field -> (entries column, widget label, help)
PROVENANCE_FILTERS = {
    "base_models": ("base_model", "Base model", "the model each entry's method starts from"),
    "versions": (
        "benchmark_version",
        "Benchmark version",
        "the exact problem set (e.g. AMC 12 2022+2023's 83 problems vs AMC 2023's 40)",
    ),
    "provenances": ("provenance", "Provenance", BADGE_HELP),
    "tables": ("table_label", "Source table", "the published table a reported entry comes from"),
}


def _provenance_filters(bench_entries: pd.DataFrame, benchmark: str) -> dict[str, tuple[str, ...]]:
    """The sidebar's base model, benchmark version, provenance and source table filters (each shown only
    when the benchmark's entries have more than one value); empty selections pass everything."""
    chosen: dict[str, tuple[str, ...]] = {}
    for name, (column, label, help_text) in PROVENANCE_FILTERS.items():
        options = sorted(bench_entries[column].fillna("").unique())
        if len(options) < 2:
            continue
        picked = st.sidebar.multiselect(
            label,
            options,
            default=[],
            format_func=lambda v: v or "(not stated)",
            placeholder="all",
            key=f"{name}::{benchmark}",
            help=help_text,
        )
        chosen[name] = tuple(picked)
    return chosen


def _download_table(label: str, table: pd.DataFrame, name: str, key: str) -> None:
    st.download_button(
        label, data=table_csv(table), file_name=name, mime="text/csv", key=key, icon=":material/download:"
    )


def _download_figure(label: str, fig, stem: str, key: str) -> None:
    # deferred: the PNG is rendered (kaleido + Chromium, ~2 s) only when the button is clicked
    ext_guess = "png"
    try:
        from elastic_bench.leaderboard_app.export import png_available

        ext_guess = "png" if png_available() else "html"
    except ImportError:  # pragma: no cover
        pass
    st.download_button(
        f"{label} ({ext_guess.upper()})",
        data=lambda: figure_export(fig)[0],
        file_name=f"{stem}.{ext_guess}",
        mime="image/png" if ext_guess == "png" else "text/html",
        key=key,
        on_click="ignore",
        icon=":material/download:",
    )


#: the AES base option "each entry against its own base" (in the URL: no ``base`` parameter)
OWN_BASE = ""
TABS = ["Models (AES, AUC)", "Ranking", "Accuracy and tokens per budget", "Pareto frontier"]


def render() -> None:
    """Render the leaderboard page (``?benchmark=&models=&base=&budget=&tab=`` opens a view)."""
    root = results_dir()
    data = get_leaderboard(root)
    st.title("Efficient-reasoning leaderboard")
    if not len(data.entries):
        st.info(
            f"No result files in {md_escape(root.resolve())}. Add one with `elastic-bench submit FILE` or the Submit page."
        )
        return
    benchmark = select_benchmark(data)
    f, base, convention, show_ci = _sidebar_filters(data.entries, data.points, benchmark)
    entries = filter_entries(data.entries, f)
    points = points_of(data.points, entries)
    n_rep = int((entries["kind"] == "reproduced").sum())
    n_pub = int((entries["kind"] == "reported").sum())
    n_ver = int((entries["evaluation"] == VERIFIED).sum())
    st.caption(
        f"Benchmark **{md_escape(benchmark)}** · {n_rep} reproduced ({n_ver} verified) and {n_pub} reported entries shown "
        f"({len(data.entries)} entries on {len(data.benchmarks)} benchmarks in total). "
        "Solid lines: reproduced; dashed lines with open markers: published numbers."
    )
    if len(entries):
        st.subheader("Accuracy vs tokens")
        provenance_badges(entries)
        chart_warnings(entries, points)
        fig = curves_figure(points, show_ci=show_ci)
        show_chart(fig, "curves")
        _download_figure("Download figure", fig, figure_filename(plain_title(fig)), "dl_curves_fig")
    else:
        st.info("No entry matches the filters (the ranking still ranks every entry).")

    seed_from_url("tab", "leaderboard_tab", TABS)
    # only the open tab is rendered (tab state tracking): the page stays light with many entries
    tab_models, tab_rank, tab_budgets, tab_pareto = st.tabs(TABS, key="leaderboard_tab", on_change="rerun")
    budget = None
    if tab_rank.open:
        with tab_rank:
            budget = ranking_section(root, data, benchmark)
    base_points = data.points[data.points["entry"] == base] if base is not None else None
    if tab_models.open and len(entries):
        with tab_models:
            summary = summary_table(entries, data.points, base, convention)
            st.caption(
                f"Table: the {len(summary)} entries the chart shows, each at its unconstrained (else "
                "largest-budget) point, with AUC and AES against the base named in AES_base."
            )
            st.dataframe(summary, hide_index=True, width="stretch", column_config=SUMMARY_HELP)
            _download_table("Download table (CSV)", summary, f"summary_{benchmark}.csv", "dl_summary")
    if tab_budgets.open and len(entries):
        with tab_budgets:
            per_budget = budget_table(points, base_points, convention)
            st.caption(
                "Table: every budget point of the entries the chart shows: accuracy with its 95% CI, tokens, "
                "truncation, tokens per correct answer, AES against the AES base picked in the sidebar."
            )
            st.dataframe(per_budget, hide_index=True, width="stretch", column_config=RATE_HELP)
            _download_table("Download table (CSV)", per_budget, f"budgets_{benchmark}.csv", "dl_budgets")
    if tab_pareto.open and len(entries):
        with tab_pareto:
            _pareto_section(points, f, benchmark)
    set_url(
        benchmark=benchmark,
        models=list(f.models),
        base=base,
        budget=budget or st.session_state.get(f"rank_budget::{benchmark}"),
        tab=st.session_state.get("leaderboard_tab"),
    )
    sources = sources_table(entries)
    if len(sources):
        with st.expander(f"Sources of the reported entries shown ({len(sources)} tables)"):
            st.caption("Table: the published tables the reported entries shown come from.")
            st.dataframe(sources, hide_index=True, width="stretch")


def _pareto_section(points: pd.DataFrame, f: Filters, benchmark: str) -> None:
    frontiers = pareto_frontiers(points, f.kinds)
    pfig = pareto_figure(points, frontiers)
    show_chart(pfig, "pareto")
    front = (
        pd.concat([fr.assign(frontier=kind) for kind, fr in frontiers.items()], ignore_index=True)
        if frontiers
        else points.iloc[0:0].assign(frontier="")
    )
    front_table = pd.DataFrame(
        {
            "frontier": front["frontier"],
            "model": front["series"],
            "budget": front["label"],
            "mean_tokens": front["mean_total_tokens"].round(1),
            "accuracy_%": (front["accuracy"] * 100).round(2),
        }
    )
    st.caption(
        "Table: the frontier's points, those no other point beats on both tokens and accuracy; reproduced "
        "and reported frontiers are separate."
    )
    st.dataframe(front_table, hide_index=True, width="stretch")
    col1, col2 = st.columns(2)
    with col1:
        _download_figure(
            "Download frontier figure", pfig, figure_filename(plain_title(pfig)), "dl_pareto_fig"
        )
    with col2:
        _download_table("Download frontier (CSV)", front_table, f"pareto_{benchmark}.csv", "dl_pareto")
