"""The sample browser: single generations (thinking and answer, cut or not) from a run's logged samples."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from elastic_bench.harness.results import ResultFileError
from elastic_bench.leaderboard_app.cache import get_entry, get_leaderboard, get_line_offsets
from elastic_bench.leaderboard_app.samples import (
    SamplesError,
    question_text,
    read_record,
    recorded_marker,
    resolve_samples,
    responses,
    sample_files,
    sample_metrics,
    split_generation,
)
from elastic_bench.leaderboard_app.views.common import results_dir, select_benchmark


def _cut_message(value: object, label: str) -> tuple[str, str] | None:
    """(level, text) describing ``think_truncated`` (a flag, or the fraction of the doc's k generations)."""
    if isinstance(value, bool) or value in (0, 1):
        if value:
            return (
                "warning",
                f"Thinking was cut at the budget ({label}); the answer was generated after the marker.",
            )
        return "success", "Thinking ended on its own (not cut)."
    if isinstance(value, (int, float)) and 0 < value < 1:
        return (
            "warning",
            f"Thinking was cut at the budget ({label}) in {value:.0%} of this problem's generations.",
        )
    return None


def _seed_from_url(key: str, options: list[str], state_key: str) -> None:
    """Preselect a widget from the URL's query parameter ``key`` (a link from the comparison page)."""
    value = st.query_params.get(key)
    if value in options and not st.session_state.get(f"{state_key}::seeded"):
        st.session_state[state_key] = value
        st.session_state[f"{state_key}::seeded"] = True


def render() -> None:
    """Render the sample browser (``?benchmark=&entry=&budget=&doc=`` opens one generation)."""
    root = results_dir()
    data = get_leaderboard(root)
    st.title("Sample browser")
    if st.query_params.get("benchmark") in data.benchmarks and not st.session_state.get("benchmark::seeded"):
        st.session_state["benchmark"], st.session_state["benchmark::seeded"] = (
            st.query_params["benchmark"],
            True,
        )
    benchmark = select_benchmark(data)
    if benchmark is None:
        st.info("No result files yet.")
        return
    entries = data.entries[(data.entries["benchmark"] == benchmark) & (data.entries["samples_file"] != "")]
    if not len(entries):
        st.info("No entry on this benchmark has logged samples (lm-eval --log_samples).")
        return
    labels = dict(zip(entries["entry"], entries["series"], strict=True))
    _seed_from_url("entry", list(labels), f"samples_entry::{benchmark}")
    entry = st.selectbox(
        "Run", sorted(labels, key=labels.get), format_func=labels.get, key=f"samples_entry::{benchmark}"
    )
    try:
        result = get_entry(root, entry)
        path = resolve_samples(root, entry, result.samples_file or "")
    except (OSError, ResultFileError, SamplesError) as exc:
        st.warning("The logged samples of this run cannot be opened.")
        st.code(str(exc), language=None, wrap_lines=True)
        return
    marker = recorded_marker(result)
    files = sample_files(path, [p.task for p in result.points])
    points = [p for p in result.points if p.task in files]
    if not points:
        st.warning("No samples file matches this run's budgets (lm-eval task names).")
        return
    by_label = {p.label: p for p in points}
    _seed_from_url("budget", list(by_label), f"samples_budget::{entry}")
    label = st.selectbox("Budget", list(by_label), key=f"samples_budget::{entry}")
    point = by_label[label]
    sfile = files[point.task]
    try:
        offsets = get_line_offsets(sfile)
    except OSError as exc:
        st.warning("The samples file cannot be read.")
        st.code(str(exc), language=None)
        return
    if not offsets:
        st.info("The samples file is empty.")
        return
    doc = st.query_params.get("doc")
    if (
        doc is not None
        and doc.isdigit()
        and int(doc) < len(offsets)
        and not st.session_state.get("samples_doc_seeded")
    ):
        st.session_state["samples_doc"], st.session_state["samples_doc_seeded"] = int(doc), True
    col1, col2 = st.columns(2)
    index = col1.number_input(
        "Record (doc)", min_value=0, max_value=len(offsets) - 1, value=0, step=1, key="samples_doc"
    )
    try:
        record = read_record(sfile, offsets[int(index)])
    except (OSError, SamplesError) as exc:
        st.warning("This record cannot be read.")
        st.code(str(exc), language=None)
        return
    gens = responses(record)
    which = col2.number_input(
        "Generation", min_value=0, max_value=max(0, len(gens) - 1), value=0, step=1, key="samples_gen"
    )
    st.caption(f"doc_id {record.get('doc_id', 'n/a')} · file {sfile.name} · {len(offsets)} records")

    st.markdown("**Problem**")
    st.code(question_text(record), language=None, wrap_lines=True)
    st.markdown("**Target**")
    st.code(str(record.get("target", "n/a")), language=None, wrap_lines=True)
    metrics = sample_metrics(record)
    if metrics:
        st.dataframe(
            pd.DataFrame(
                [{k: json.dumps(v) if isinstance(v, (list, dict)) else v for k, v in metrics.items()}]
            ),
            hide_index=True,
        )

    if not gens:
        st.info("This record has no response.")
        return
    gen = split_generation(gens[int(which)], marker)
    cut = _cut_message(metrics.get("think_truncated"), point.label)
    if cut is not None:
        getattr(st, cut[0])(cut[1])
    if not gen.has_marker:
        st.warning("No end-of-thinking marker in this generation.")
    st.markdown(f"**Thinking** ({len(gen.thinking)} characters)")
    st.code(
        gen.thinking or "(empty)",
        language=None,
        wrap_lines=True,
        height=480 if len(gen.thinking) > 3000 else "content",
    )
    st.markdown("**Answer**")
    st.code(gen.answer or "(no answer after the marker)", language=None, wrap_lines=True)
    with st.expander("Raw record (JSON)"):
        st.json(record)
