"""Widgets and helpers shared by the pages: results directory, escaping, skipped-file warning, the view
in the URL (query parameters), charts with a title and an accessible name, captioned tables."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

import plotly.graph_objects as go
import streamlit as st

from elastic_bench.harness.benchmarks import benchmark_label
from elastic_bench.leaderboard_app.charts import chart_alt, chart_config, plain_title
from elastic_bench.leaderboard_app.data import RESULTS_ENV, LeaderboardData, resolve_results_dir

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$&=\"'])")


def md_escape(text: object) -> str:
    """Escape user-supplied text for st.markdown-family calls: every markdown-special character
    (links, images, emphasis, Streamlit ``:color[]`` directives, LaTeX ``$``) becomes literal."""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


def results_dir() -> Path:
    """The results directory the app was started on (``--results-dir`` or the environment)."""
    return resolve_results_dir(os.environ.get(RESULTS_ENV))


def show_skipped(data: LeaderboardData) -> None:
    """A visible warning naming every file that was skipped and why (as plain text, never markdown)."""
    if not data.skipped:
        return
    n = len(data.skipped)
    noun = "file" if n == 1 else "files"
    st.warning(
        f"Skipped {n} {noun} in the results directory that {'is' if n == 1 else 'are'} not a valid result file."
    )
    lines = "\n".join(f"{s.path}: {s.reason}" for s in data.skipped[:200])
    if n > 200:
        lines += f"\n... and {n - 200} more"
    if n <= 5:
        st.code(lines, language=None, wrap_lines=True)
    else:
        with st.expander(f"Show the {n} skipped files"):
            st.code(lines, language=None, wrap_lines=True)


#: :func:`seed_from_url` without a default (the widget keeps its own)
NO_DEFAULT = object()


def seed_from_url(
    param: str,
    state_key: str,
    options: Sequence,
    default: object = NO_DEFAULT,
    *,
    multi: bool = False,
    benchmark: str | None = None,
) -> None:
    """Preselect a widget (its session-state key) from the URL's query parameter ``param``, once per
    session and widget, so a copied link opens the view it was copied from; else ``default`` (the
    widget is then created without a default of its own). Values not among ``options`` are ignored,
    and so is the URL's value when it was written for another benchmark than ``benchmark``."""
    flag = f"url_seeded::{state_key}"
    if state_key not in st.session_state and default is not NO_DEFAULT:
        st.session_state[state_key] = default
    if st.session_state.get(flag):
        return
    st.session_state[flag] = True
    if param not in st.query_params:
        return
    if benchmark is not None and st.query_params.get("benchmark") != benchmark:
        return
    if multi:
        chosen = [v for v in st.query_params.get_all(param) if v in options]
        if chosen or st.query_params.get_all(param) == [""]:
            st.session_state[state_key] = chosen
        return
    value = st.query_params.get(param)
    if value in options:
        st.session_state[state_key] = value


def set_url(**params: str | Sequence[str] | None) -> None:
    """Write the page's view into the URL's query parameters (replacing the previous ones); None is
    left out, an empty list is kept as an empty value (no models chosen)."""
    query: dict[str, str | list[str]] = {}
    for key, value in params.items():
        if value is None:
            continue
        query[key] = (list(value) or [""]) if isinstance(value, list | tuple) else str(value)
    current = {k: st.query_params.get_all(k) for k in st.query_params}
    if current != {k: v if isinstance(v, list) else [v] for k, v in query.items()}:
        st.query_params.from_dict(query)


def select_benchmark(data: LeaderboardData, where=st.sidebar) -> str | None:
    """The benchmark selector (shared across pages through its session-state key; a link's
    ``?benchmark=`` preselects it)."""
    benchmarks = data.benchmarks
    if not benchmarks:
        return None
    if st.query_params.get("benchmark") in benchmarks and not st.session_state.get("url_seeded::benchmark"):
        st.session_state["benchmark"] = st.query_params["benchmark"]
    st.session_state["url_seeded::benchmark"] = True
    if st.session_state.get("benchmark") not in benchmarks:
        # open on a benchmark with reproduced entries when there is one
        entries = data.entries
        reproduced = set(entries.loc[entries["kind"] == "reproduced", "benchmark"]) if len(entries) else set()
        st.session_state["benchmark"] = next((b for b in benchmarks if b in reproduced), benchmarks[0])
    chosen = where.selectbox("Benchmark", benchmarks, format_func=benchmark_label, key="benchmark")
    if st.query_params.get("benchmark") != chosen:
        st.query_params["benchmark"] = chosen
    return chosen


def show_chart(fig: go.Figure, key: str) -> None:
    """A plotly chart, full width, named for screen readers (its title and axes, as the chart's
    aria-label) and exported by plotly's camera button as a PNG named after its title."""
    st.plotly_chart(fig, width="stretch", key=key, config=chart_config(plain_title(fig)), alt=chart_alt(fig))
