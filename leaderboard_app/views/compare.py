"""The paired comparison page (``/compare``): entry B against entry A on the same problems.

The same numbers as ``elastic-bench compare A.json B.json`` (``harness.analysis.compare_entries``):
per budget, the accuracy difference B - A with its paired bootstrap CI, McNemar's exact p, the token
differences with their CIs, and the problems they disagree on, each linking to both generations in
the sample browser. The benchmark, A, B and the budget live in the URL's query parameters, so a
copied link opens the same comparison.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from elastic_bench.harness.analysis import ComparisonError, compare_entries
from elastic_bench.harness.results import ResultFileError
from elastic_bench.leaderboard_app.cache import get_entry, get_leaderboard
from elastic_bench.leaderboard_app.views.common import results_dir, select_benchmark

ALL = "all budgets"
#: most disagreeing problems listed with links (the table lists them all)
MAX_LINKS = 50


def _from_url(key: str, options: list[str], state_key: str) -> None:
    """Seed a widget's state from the URL's query parameter ``key`` on the first run of a session."""
    value = st.query_params.get(key)
    if value in options and state_key not in st.session_state:
        st.session_state[state_key] = value


def _ci(value: float | None, ci: object, scale: float = 1.0) -> str:
    if value is None:
        return "n/a"
    text = f"{value * scale:+.1f}"
    return text if not ci else f"{text} [{ci[0] * scale:+.1f}, {ci[1] * scale:+.1f}]"


def _sample_link(benchmark: str, entry: str, label: str, doc: int) -> str:
    query = urlencode({"benchmark": benchmark, "entry": entry, "budget": label, "doc": doc})
    return f"samples?{query}"


def render() -> None:
    """Render the comparison page."""
    root = results_dir()
    data = get_leaderboard(root)
    st.title("Paired comparison")
    if st.query_params.get("benchmark") in data.benchmarks and "benchmark" not in st.session_state:
        st.session_state["benchmark"] = st.query_params["benchmark"]
    benchmark = select_benchmark(data)
    if benchmark is None:
        st.info("No result files yet.")
        return
    entries = data.entries[(data.entries["benchmark"] == benchmark) & (data.entries["kind"] == "reproduced")]
    if len(entries) < 2:
        st.info(
            "A paired comparison needs two reproduced entries on this benchmark (with per-problem results)."
        )
        return
    labels = dict(zip(entries["entry"], entries["series"], strict=True))
    options = sorted(labels, key=labels.get)
    _from_url("a", options, f"compare_a::{benchmark}")
    _from_url("b", options, f"compare_b::{benchmark}")
    col_a, col_b = st.columns(2)
    entry_a = col_a.selectbox("A (reference)", options, format_func=labels.get, key=f"compare_a::{benchmark}")
    default_b = next((o for o in options if o != entry_a), entry_a)
    if f"compare_b::{benchmark}" not in st.session_state:
        st.session_state[f"compare_b::{benchmark}"] = default_b
    entry_b = col_b.selectbox(
        "B (differences are B - A)", options, format_func=labels.get, key=f"compare_b::{benchmark}"
    )
    try:
        result_a, result_b = get_entry(root, entry_a), get_entry(root, entry_b)
        rows = compare_entries(result_a, result_b, path_a=Path(root) / entry_a, path_b=Path(root) / entry_b)
    except (ComparisonError, ResultFileError, OSError) as exc:
        st.warning(f"These entries cannot be compared: {exc}")
        return
    budgets = [ALL, *[r.label for r in rows]]
    _from_url("budget", budgets, "compare_budget")
    budget = st.selectbox("Budget", budgets, key="compare_budget")
    shown = rows if budget == ALL else [r for r in rows if r.label == budget]
    st.query_params.update({"benchmark": benchmark, "a": entry_a, "b": entry_b, "budget": budget})
    table = pd.DataFrame(
        {
            "budget": r.label,
            "problems": r.n_shared,
            "accuracy A %": f"{100 * r.accuracy_a:.1f}",
            "accuracy B %": f"{100 * r.accuracy_b:.1f}",
            "Δ accuracy % [95% CI]": _ci(r.delta_accuracy, (r.ci_low, r.ci_high), 100),
            "McNemar p": f"{r.mcnemar_p:.3g}",
            "B only / A only": f"{r.b_only} / {r.a_only}",
            "Δ thinking tokens [95% CI]": _ci(r.delta_think_tokens, r.think_ci),
            "Δ total tokens [95% CI]": _ci(r.delta_total_tokens, r.total_ci),
        }
        for r in shown
    )
    st.caption(
        f"B = {labels[entry_b]} against A = {labels[entry_a]} on {rows[0].n_shared} shared problems. "
        "CIs: paired bootstrap over problems; McNemar: exact, on problems only one of them gets right "
        "(a problem counts as right when at least half its samples are)."
    )
    st.table(table.set_index("budget"))
    position = {pid: i for i, pid in enumerate(result_a.problem_ids or [])}
    position_b = {pid: i for i, pid in enumerate(result_b.problem_ids or [])}
    for r in shown:
        with st.expander(f"{r.label}: {len(r.disagreements)} problems where they disagree"):
            if not r.disagreements:
                st.write("They agree on every problem.")
            for pid in r.disagreements[:MAX_LINKS]:
                link_a = _sample_link(benchmark, entry_a, r.label, position[pid])
                link_b = _sample_link(benchmark, entry_b, r.label, position_b[pid])
                st.markdown(f"`{pid}`: [A's generation]({link_a}) · [B's generation]({link_b})")
            if len(r.disagreements) > MAX_LINKS:
                st.caption(
                    f"... and {len(r.disagreements) - MAX_LINKS} more: {', '.join(r.disagreements[MAX_LINKS:])}"
                )
