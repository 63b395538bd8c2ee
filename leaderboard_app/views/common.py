"""Widgets and helpers shared by the pages: results directory, escaping, skipped-file warning."""

from __future__ import annotations

import os
import re
from pathlib import Path

import streamlit as st

from elastic_bench.harness.benchmarks import benchmark_label
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


def select_benchmark(data: LeaderboardData, where=st.sidebar) -> str | None:
    """The benchmark selector (shared across pages through its session-state key)."""
    benchmarks = data.benchmarks
    if not benchmarks:
        return None
    if st.session_state.get("benchmark") not in benchmarks:
        # open on a benchmark with reproduced entries when there is one
        entries = data.entries
        reproduced = set(entries.loc[entries["kind"] == "reproduced", "benchmark"]) if len(entries) else set()
        st.session_state["benchmark"] = next((b for b in benchmarks if b in reproduced), benchmarks[0])
    return where.selectbox("Benchmark", benchmarks, format_func=benchmark_label, key="benchmark")
