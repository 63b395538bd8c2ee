"""Plotly figures: accuracy-vs-tokens curves with CI bands, and the Pareto frontier.

Reproduced entries are solid lines with filled markers (legend group "Reproduced"); reported
(published) entries are dashed with open markers in their own legend group, so the two are never
mixed. Every user-supplied string is HTML-escaped before it reaches plotly, whose labels
interpret a subset of HTML.
"""

from __future__ import annotations

import hashlib
import html
import re
from datetime import date

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

from elastic_bench.harness.analysis import ANSWER_RATES

PALETTE = list(dict.fromkeys(qualitative.Plotly + qualitative.D3 + qualitative.Set2 + qualitative.Dark2))
#: the Pareto frontier's line: a mid grey that reads on light and dark backgrounds
FRONTIER_COLOR = "#8c8c8c"
#: legend under the plot: on a narrow screen a legend beside it squeezes the plot to a sliver
LEGEND_BELOW = {"orientation": "h", "yanchor": "top", "y": -0.18, "xanchor": "left", "x": 0.0}
#: axes and margins of the accuracy-vs-tokens charts: margins grow to fit the axis titles and tick
#: labels (a fixed margin clips the y axis title on a narrow screen); room for a two-line title
X_AXIS = {"title": {"text": "mean tokens used per answer (log scale)", "standoff": 8}, "automargin": True}
Y_AXIS = {"title": {"text": "accuracy (%)", "standoff": 10}, "rangemode": "tozero", "automargin": True}
MARGIN = {"l": 10, "r": 10, "t": 70, "b": 60}
GROUP_TITLES = {"reproduced": "Reproduced", "reported": "Reported (published numbers)"}
#: marker of a reported entry by its provenance badge (open markers: published numbers)
PROVENANCE_SYMBOLS = {
    "authors": "circle-open",
    "authors, image": "square-open",
    "secondary": "diamond-open",
    "unstated": "circle-open",
}
TOKENS_HOVER = {"thinking": "thinking tokens only", "response": "whole response", "unstated": "not stated"}


def esc(text: object) -> str:
    """Escape a user-supplied string for plotly labels."""
    return html.escape(str(text), quote=True)


def _rgba(color: str, alpha: float) -> str:
    """``#rrggbb`` or ``rgb(r, g, b)`` with an alpha."""
    if color.startswith("rgb("):
        r, g, b = (int(float(v)) for v in color[4:-1].split(","))
    else:
        color = color.lstrip("#")
        r, g, b = (int(color[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def series_color(name: str) -> str:
    """A series' colour, derived from its name alone: the same on every chart and page, and unchanged
    when entries are added or removed."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return PALETTE[int.from_bytes(digest[:4], "big") % len(PALETTE)]


def series_colors(series: list[str]) -> dict[str, str]:
    """The colour of each series name (:func:`series_color`)."""
    return {name: series_color(name) for name in series}


def default_title(points: pd.DataFrame, what: str) -> str:
    """``Accuracy vs tokens · math500 · A, B, C · 2026-12-07`` (more than three series: their number):
    what a chart shows, on which benchmark, for which models, when; exported figures carry it."""
    benchmarks = ", ".join(sorted(points["benchmark"].dropna().unique())) if "benchmark" in points else ""
    names = sorted(points["series"].dropna().unique()) if "series" in points else []
    models = ", ".join(names) if len(names) <= 3 else f"{len(names)} entries"
    return " · ".join(part for part in (what, benchmarks, models, date.today().isoformat()) if part)


def title_layout(title: str) -> dict:
    """The layout title: what the chart shows, and under it in smaller type the rest of ``title``
    (benchmark, models, date), so it fits a narrow screen."""
    head, _, rest = title.partition(" · ")
    text = esc(head) + (f"<br><span style='font-size:11px'>{esc(rest)}</span>" if rest else "")
    return {"text": text, "font": {"size": 14}, "x": 0.0, "xanchor": "left", "xref": "paper"}


def figure_filename(title: str) -> str:
    """A file name (without extension) for an exported figure: its title as lowercase words."""
    slug = re.sub(r"[^0-9A-Za-z.=-]+", "_", title).strip("_").lower()
    return slug[:120] or "figure"


def chart_config(title: str) -> dict:
    """plotly's config for a chart: no logo, and the camera button saves a PNG named after the title."""
    return {
        "displaylogo": False,
        "toImageButtonOptions": {"format": "png", "filename": figure_filename(title), "scale": 2},
    }


def plain_title(fig: go.Figure) -> str:
    """A figure's title as plain text (:func:`title_layout` undone)."""
    text = re.sub(r"<br>", " · ", fig.layout.title.text or "")
    return html.unescape(re.sub(r"<[^>]+>", "", text)).strip()


def chart_alt(fig: go.Figure) -> str:
    """A short description of a figure for screen readers: its title and axes."""
    plain = plain_title(fig) or "Chart"
    axes = [a.title.text for a in (fig.layout.xaxis, fig.layout.yaxis) if a.title.text]
    n = len([t for t in fig.data if (t.meta or {}).get("role") in ("curve", "points")])
    parts = [plain, f"{n} series" if n else "", " against ".join(reversed(axes))]
    return ". ".join(p for p in parts if p)


def _fmt(value: object, pattern: str, scale: float = 1.0) -> str:
    if value is None or pd.isna(value):
        return "n/a"
    return format(float(value) * scale, pattern)


def _answer_sources(r: object) -> str:
    """Hover line of the answer-source rates, or '' for points without them."""
    boxed, fallback, timeout = (getattr(r, name, None) for name in ANSWER_RATES)
    parts = []
    if not (_missing(boxed) and _missing(fallback)):
        parts.append(f"answers boxed {_fmt(boxed, '.1f', 100)} %, fallback {_fmt(fallback, '.1f', 100)} %")
    if not _missing(timeout):
        parts.append(f"grading timeouts {_fmt(timeout, '.1f', 100)} %")
    return "".join(f"<br>{p}" for p in parts)


def _missing(value: object) -> bool:
    return value is None or bool(pd.isna(value))


def _hover_data(pts: pd.DataFrame) -> list[list[str]]:
    rows = []
    for r in pts.itertuples():
        ci = "" if pd.isna(r.ci_low) else f" [{_fmt(r.ci_low, '.1f', 100)}, {_fmt(r.ci_high, '.1f', 100)}]"
        rows.append(
            [
                esc(r.series),
                esc(r.label),
                _fmt(r.accuracy, ".1f", 100) + ci,
                _fmt(r.mean_total_tokens, ",.0f"),
                _fmt(r.mean_think_tokens, ",.0f"),
                _fmt(r.mean_answer_tokens, ",.0f"),
                _fmt(r.think_truncation_rate, ".1f", 100),
                _fmt(r.no_answer_rate, ".1f", 100),
                _answer_sources(r) + _provenance_hover(r),
            ]
        )
    return rows


def _provenance_hover(r: object) -> str:
    """Hover lines of a reported point's provenance, or '' for points without a source table."""
    table = getattr(r, "table_label", "") or ""
    if not table:
        return ""
    tokens = TOKENS_HOVER.get(getattr(r, "tokens_counted", ""), "not stated")
    return (
        f"<br>[{esc(getattr(r, 'provenance', ''))}] {esc(table)}<br>{esc(getattr(r, 'benchmark_version', ''))}"
        f" · tokens: {tokens}"
    )


def legend_name(series: str, provenance: str) -> str:
    """A series' legend entry: its name, and for published numbers the provenance badge."""
    return esc(series) + (f" [{esc(provenance)}]" if provenance in PROVENANCE_SYMBOLS else "")


HOVER = (
    "<b>%{customdata[0]}</b><br>budget: %{customdata[1]}<br>accuracy: %{customdata[2]} %<br>"
    "tokens: %{customdata[3]} (think %{customdata[4]}, answer %{customdata[5]})<br>"
    "think truncated: %{customdata[6]} %<br>no answer: %{customdata[7]} %%{customdata[8]}<extra></extra>"
)


def curves_figure(points: pd.DataFrame, title: str = "", show_ci: bool = True) -> go.Figure:
    """Accuracy (%) vs mean tokens used (log x): per series a CI band (if any) and a line with a marker
    per budget. ``title`` defaults to :func:`default_title`."""
    fig = go.Figure()
    title = title or default_title(points, "Accuracy vs tokens")
    points = points.dropna(subset=["accuracy", "mean_total_tokens"])  # accuracy-only points: tables only
    colors = series_colors(list(points["series"].unique()))
    for kind in ("reproduced", "reported"):
        sub = points[points["kind"] == kind]
        first = True
        for series, pts in sub.groupby("series", sort=True):
            pts = pts.sort_values("order")
            color = colors[series]
            dashed = kind == "reported"
            if show_ci and pts["ci_low"].notna().any():
                band = pts.dropna(subset=["ci_low", "ci_high"])
                fig.add_trace(
                    go.Scatter(
                        x=list(band["mean_total_tokens"]) + list(band["mean_total_tokens"])[::-1],
                        y=list(band["ci_high"] * 100) + list(band["ci_low"] * 100)[::-1],
                        mode="lines",
                        fill="toself",
                        fillcolor=_rgba(color, 0.12 if dashed else 0.18),
                        line={"width": 0},
                        hoverinfo="skip",
                        showlegend=False,
                        legendgroup=kind,
                        name=esc(series) + " 95% CI",
                        meta={"role": "ci", "kind": kind},
                    )
                )
            provenance = str(pts["provenance"].iloc[0]) if "provenance" in pts else ""
            fig.add_trace(
                go.Scatter(
                    x=pts["mean_total_tokens"],
                    y=pts["accuracy"] * 100,
                    mode="lines+markers",
                    name=legend_name(series, provenance),
                    line={"color": color, "dash": "dash" if dashed else "solid", "width": 2},
                    marker={
                        "size": 8,
                        "symbol": PROVENANCE_SYMBOLS.get(provenance, "circle-open") if dashed else "circle",
                        "line": {"width": 2, "color": color},
                    },
                    customdata=_hover_data(pts),
                    hovertemplate=HOVER,
                    legendgroup=kind,
                    legendgrouptitle_text=GROUP_TITLES[kind] if first else None,
                    meta={"role": "curve", "kind": kind, "provenance": provenance},
                )
            )
            first = False
    fig.update_layout(
        title=title_layout(title),
        xaxis={**X_AXIS, "type": "log"},
        yaxis=Y_AXIS,
        legend={"groupclick": "toggleitem", "tracegroupgap": 12, **LEGEND_BELOW},
        hovermode="closest",
        margin=MARGIN,
        template="plotly_white",
        height=520 + 20 * min(points["series"].nunique() if len(points) else 0, 20),
    )
    return fig


def add_frontier_traces(fig: go.Figure, frontiers: dict[str, pd.DataFrame], x: str) -> None:
    """One dashed-or-solid grey step line per frontier (key ``"<kind>[ · <test set>]"``), accuracy in %
    against the frontier frame's column ``x``; empty frontiers are skipped."""
    for key, front in frontiers.items():
        if not len(front):
            continue
        kind, _, tests = key.partition(" · ")  # e.g. "reproduced · public tests only"
        fig.add_trace(
            go.Scatter(
                x=front[x].tolist(),
                y=(front["accuracy"] * 100).tolist(),
                mode="lines",
                line={
                    "shape": "hv",
                    "color": FRONTIER_COLOR,
                    "width": 2,
                    "dash": "dash" if kind == "reported" else "solid",
                },
                name=f"Pareto frontier ({GROUP_TITLES[kind].split(' ')[0].lower()}{', ' + tests if tests else ''})",
                hoverinfo="skip",
                legendgroup="frontier",
                meta={"role": "frontier", "kind": kind, "tests": tests},
            )
        )


def pareto_figure(points: pd.DataFrame, frontiers: dict[str, pd.DataFrame], title: str = "") -> go.Figure:
    """All budget points as markers, plus the accuracy-vs-tokens frontier of each kind as a step line.
    ``title`` defaults to :func:`default_title`."""
    fig = go.Figure()
    title = title or default_title(points, "Pareto frontier")
    points = points.dropna(subset=["accuracy", "mean_total_tokens"])
    colors = series_colors(list(points["series"].unique()))
    for (kind, series), pts in points.groupby(["kind", "series"], sort=True):
        fig.add_trace(
            go.Scatter(
                x=pts["mean_total_tokens"],
                y=pts["accuracy"] * 100,
                mode="markers",
                name=esc(series),
                marker={
                    "size": 8,
                    "color": colors[series],
                    "symbol": "circle-open" if kind == "reported" else "circle",
                    "line": {"width": 2, "color": colors[series]},
                },
                customdata=_hover_data(pts),
                hovertemplate=HOVER,
                legendgroup=kind,
                meta={"role": "points", "kind": kind},
            )
        )
    add_frontier_traces(fig, frontiers, "mean_total_tokens")
    fig.update_layout(
        title=title_layout(title),
        xaxis={**X_AXIS, "type": "log"},
        yaxis=Y_AXIS,
        legend={"groupclick": "toggleitem", **LEGEND_BELOW},
        template="plotly_white",
        height=480 + 20 * min(points["series"].nunique() if len(points) else 0, 20),
        margin=MARGIN,
    )
    return fig
