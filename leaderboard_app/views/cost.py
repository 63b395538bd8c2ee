"""The cost page (``/cost``): what a correct answer costs in tokens, seconds and dollars, per budget.

The numbers are :func:`elastic_bench.harness.analysis.cost_frame`'s. The chart puts accuracy against
the chosen cost with its Pareto frontier (reproduced and published entries apart, code results judged
differently apart). Wall-clock figures are only comparable on the same hardware: in seconds, each
hardware gets its own chart and frontier, and the page says when the entries ran on several.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from elastic_bench.harness.analysis import Prices, cost_frame
from elastic_bench.harness.results import ResultFileError
from elastic_bench.leaderboard_app.analysis import pareto_frontiers
from elastic_bench.leaderboard_app.cache import get_leaderboard
from elastic_bench.leaderboard_app.charts import (
    GROUP_TITLES,
    LEGEND_BELOW,
    add_frontier_traces,
    default_title,
    esc,
    series_color,
    title_layout,
)
from elastic_bench.leaderboard_app.data import Stamp, load_entry, scan_results
from elastic_bench.leaderboard_app.views.common import (
    results_dir,
    seed_from_url,
    select_benchmark,
    set_url,
    show_chart,
)

#: most series charted one legend entry each (more share one trace per kind)
MAX_LEGEND = 30
#: cost axis label -> (cost_frame column, its reason column, axis title)
AXES = {
    "tokens": ("tokens_per_correct", "tokens_reason", "tokens per correct answer (log scale)"),
    "seconds": ("seconds_per_correct", "seconds_reason", "seconds per correct answer (log scale)"),
    "dollars": ("dollars_per_correct", "dollars_reason", "dollars per correct answer (log scale)"),
}


def _price(label: str, key: str, where) -> float:
    """A price input, seeded from the URL's query parameter ``key``."""
    state = f"cost_{key}"
    if not st.session_state.get(f"url_seeded::{state}"):
        st.session_state[f"url_seeded::{state}"] = True
        try:
            value = float(st.query_params.get(key, 0.0))
        except ValueError:
            value = 0.0
        st.session_state[state] = value if 0.0 <= value < float("inf") else 0.0
    return float(where.number_input(label, min_value=0.0, step=0.1, format="%.3f", key=state))


def cost_figure(frame: pd.DataFrame, column: str, axis_title: str, title: str) -> go.Figure:
    """Accuracy (%) against one cost column, a marker per budget point, plus the Pareto frontier of each
    kind (and way of judging code results) as a step line."""
    pts = frame.dropna(subset=["accuracy", column])
    fig = go.Figure()
    many = pts["series"].nunique() > MAX_LEGEND
    # beyond MAX_LEGEND series, one trace per kind (each marker keeps its series' colour and name in
    # its hover): hundreds of traces and legend rows slow the page down and bury the chart
    by = ["kind"] if many else ["kind", "series"]
    for keys, group in pts.groupby(by, sort=True):
        kind = keys[0]
        colors = [series_color(s) for s in group["series"]]
        name = (
            f"{GROUP_TITLES[kind]}: {group['series'].nunique()} entries"
            if many
            else esc(group["series"].iloc[0])
        )
        fig.add_trace(
            go.Scatter(
                x=group[column].tolist(),  # plain lists: the page's chart data stays readable
                y=(group["accuracy"] * 100).tolist(),
                mode="markers",
                name=name,
                marker={
                    "size": 9,
                    "color": colors,
                    "symbol": "circle-open" if kind == "reported" else "circle",
                    "line": {"width": 2, "color": colors},
                },
                text=[
                    f"{esc(s)}<br>{esc(label)}"
                    for s, label in zip(group["series"], group["label"], strict=True)
                ],
                hovertemplate="%{text}<br>accuracy %{y:.1f}%<br>%{x:.4g}<extra></extra>",
                legendgroup=kind,
                meta={"role": "points", "kind": kind},
            )
        )
    ranked = pts.assign(mean_total_tokens=pts[column])  # the frontier code ranks on this column
    add_frontier_traces(fig, pareto_frontiers(ranked, ["reproduced", "reported"]), column)
    fig.update_layout(
        title=title_layout(title),
        xaxis={"title": {"text": axis_title, "standoff": 8}, "type": "log"},
        yaxis={"title": "accuracy (%)", "rangemode": "tozero"},
        legend={"groupclick": "toggleitem", **LEGEND_BELOW},
        template="plotly_white",
        height=460 + 20 * min(pts["series"].nunique() if len(pts) else 0, 20),
        margin={"l": 60, "r": 20, "t": 70, "b": 60},
    )
    return fig


def _fmt(values: pd.Series, pattern: str) -> list[str]:
    """Formatted numbers; a missing one is blank (the "blank because" column says why)."""
    return ["" if pd.isna(v) else format(v, pattern) for v in values]


def _table(frame: pd.DataFrame) -> pd.DataFrame:
    """The per-budget cost table: every figure, what it was measured on, and why a blank is blank."""

    def why(r: pd.Series) -> str:
        parts = [
            f"{name}: {r[reason]}" for name, (col, reason, _) in AXES.items() if r[reason] and pd.isna(r[col])
        ]
        return "; ".join(parts)

    return pd.DataFrame(
        {
            "model": frame["series"],
            "budget": frame["label"],
            "accuracy %": _fmt(frame["accuracy"] * 100, ".1f"),
            "tokens / correct": _fmt(frame["tokens_per_correct"], ".0f"),
            "seconds / correct": _fmt(frame["seconds_per_correct"], ".4g"),
            "$ / correct": _fmt(frame["dollars_per_correct"], ".4g"),
            "measured on": frame["hardware"],
            "backend": frame["backend"],
            "blank because": frame.apply(why, axis=1) if len(frame) else [],
        }
    )


@st.cache_data(show_spinner=False, max_entries=16)
def _costs(
    root: str, stamps: tuple[Stamp, ...], entries: tuple[str, ...], prices: Prices
) -> tuple[pd.DataFrame, list[str]]:
    """The cost frame of some entries (recomputed only when the directory or the prices change) and
    the entries that could not be read."""
    loaded, failed = [], []
    for entry in entries:
        try:
            loaded.append((entry, load_entry(root, entry)))
        except (OSError, ResultFileError) as exc:
            failed.append(f"{entry}: {exc}")
    return cost_frame(loaded, prices), failed


def render() -> None:
    """Render the cost page (``?benchmark=&axis=&in=&out=`` reopens a view)."""
    root = results_dir()
    data = get_leaderboard(root)
    st.title("Cost per correct answer")
    benchmark = select_benchmark(data)
    if benchmark is None:
        st.info("No result files yet.")
        return
    entries = data.entries[data.entries["benchmark"] == benchmark]
    col_axis, col_in, col_out = st.columns([2, 1, 1])
    seed_from_url("axis", "cost_axis", list(AXES))
    axis = col_axis.radio(
        "Cost", list(AXES), horizontal=True, key="cost_axis", format_func=lambda a: f"{a} per correct answer"
    )
    price_in = _price("$ per million input tokens", "in", col_in)
    price_out = _price("$ per million output tokens", "out", col_out)
    set_url(benchmark=benchmark, axis=axis, **{"in": f"{price_in:g}", "out": f"{price_out:g}"})
    frame, failed = _costs(
        str(root), scan_results(root), tuple(entries["entry"]), Prices(price_in, price_out)
    )
    if failed:
        st.warning("Some entries cannot be read: " + "; ".join(failed))
    frame = frame.copy()
    meta = entries.set_index("entry")
    frame["series"] = frame["entry"].map(meta["series"])
    for col in ("test_set", "grading_semantics"):
        frame[col] = frame["entry"].map(meta[col]).fillna("")
    frame["benchmark"] = benchmark
    column, _, axis_title = AXES[axis]
    st.caption(
        "Tokens: thinking + answer tokens per correct answer. Seconds: the sweep's recorded wall time "
        "shared among its budgets by the tokens each generated (includes loading the model). Dollars: "
        "(input price x prompt tokens + output price x generated tokens) per correct answer; prompt tokens "
        "are the prompt as sent, once per request (an API may bill a second phase's resent thinking too), "
        "and an entry run before they were recorded has blank dollars when an input price is set."
    )
    hardware = sorted(frame.loc[frame["seconds_per_correct"].notna(), "hardware"].unique())
    if axis == "seconds" and len(hardware) > 1:
        st.info(
            f"These entries ran on {len(hardware)} different machines: wall-clock figures are ranked only "
            "within one hardware, one chart each."
        )
    groups = [(h, frame[frame["hardware"] == h]) for h in hardware] if axis == "seconds" else [("", frame)]
    shown = False
    for hw, group in groups:
        if group[column].notna().any():
            what = f"Accuracy vs {axis} per correct answer" + (f" · measured on {hw}" if hw else "")
            title = default_title(group.dropna(subset=[column]), what)
            fig = cost_figure(group, column, axis_title, title)
            show_chart(fig, key=f"cost_chart::{hw}")
            shown = True
    if not shown:
        reasons = frame[AXES[axis][1]].replace("", pd.NA).dropna().value_counts()
        top = "; ".join(f"{r} ({n})" for r, n in reasons.items()) or "no budget point"
        st.info(f"No entry on this benchmark has {axis} per correct answer: {top}.")
    st.caption("Every budget of every entry, what it was measured on, and why a blank figure is blank.")
    st.dataframe(_table(frame), hide_index=True, width="stretch")
