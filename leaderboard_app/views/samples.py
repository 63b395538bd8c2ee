"""The sample browser: single generations from a run's logged samples, the thinking and the solution
apart, the cut marked where the budget ended the thinking, filtered by outcome or by disagreement with a
model B, and searchable by problem id or text.

``?benchmark=&entry=&budget=&doc=`` opens one generation (the comparison page links here);
``&filter=&b=&q=`` carry the filter, model B and the search, so a copied link reopens the same view.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import streamlit as st

from elastic_bench.harness.results import BudgetPoint, ResultFile, ResultFileError
from elastic_bench.leaderboard_app.cache import get_entry, get_leaderboard, get_line_offsets
from elastic_bench.leaderboard_app.samples import (
    FILTERS,
    DocRow,
    SamplesError,
    cut_thinking,
    doc_rows,
    filter_docs,
    question_text,
    read_record,
    recorded_marker,
    resolve_samples,
    responses,
    right_by_problem,
    sample_files,
    sample_metrics,
    split_phases,
)
from elastic_bench.leaderboard_app.views.common import results_dir, seed_from_url, select_benchmark, set_url

#: most problems offered in the problem picker at once (search or filter to narrow)
MAX_OPTIONS = 2000


@st.cache_data(show_spinner=False, max_entries=16)
def _doc_rows(path: str, mtime_ns: int, size: int, problem_ids: tuple[str, ...] | None) -> list[DocRow]:
    return doc_rows(path, get_line_offsets(path), list(problem_ids) if problem_ids else None)


def _cut_message(value: object, label: str) -> tuple[str, str] | None:
    """(level, text) describing ``think_truncated`` (a flag, or the fraction of the doc's k generations)."""
    if isinstance(value, bool) or value in (0, 1):
        if value:
            return (
                "warning",
                f"Thinking was cut at the budget ({label}) where the line ✂ marks it; the answer was "
                "generated after the marker.",
            )
        return "success", "Thinking ended on its own (not cut)."
    if isinstance(value, (int, float)) and 0 < value < 1:
        return (
            "warning",
            f"Thinking was cut at the budget ({label}) in {value:.0%} of this problem's generations "
            "(the samples do not say which).",
        )
    return None


def _pick_b(
    root: Path, entries: pd.DataFrame, entry: str, labels: dict[str, str], point: BudgetPoint
) -> dict[str, bool] | None:
    """The model-B picker; B's right/wrong per problem at this budget (None: it cannot be paired)."""
    others = entries[(entries["entry"] != entry) & (entries["kind"] == "reproduced")]
    options = sorted(others["entry"], key=lambda e: labels.get(e, e))
    if not options:
        st.info("No other reproduced entry on this benchmark to compare with.")
        return None
    seed_from_url("b", "samples_b", options)
    if st.session_state.get("samples_b") not in options:
        st.session_state["samples_b"] = options[0]
    b = st.selectbox("Model B", options, format_func=lambda e: labels.get(e, e), key="samples_b")
    try:
        right = right_by_problem(get_entry(root, b), point.thinking_budget)
    except (OSError, ResultFileError) as exc:
        st.warning(f"Model B cannot be read: {exc}")
        return None
    if right is None:
        st.info(f"Model B has no per-problem results at {point.label}: nothing to pair.")
    return right


def _filters(
    root: Path, entries: pd.DataFrame, entry: str, labels: dict[str, str], point: BudgetPoint
) -> tuple[str, str, dict[str, bool] | None]:
    """The filter, search and model-B widgets: (filter key, search text, B's right per problem)."""
    seed_from_url("filter", "samples_filter", list(FILTERS))
    seed_from_url("q", "samples_q", [st.query_params.get("q", "")])
    col_f, col_q = st.columns([3, 2])
    which = col_f.radio("Show", list(FILTERS), format_func=FILTERS.get, horizontal=True, key="samples_filter")
    query = col_q.text_input("Search problem id or text", key="samples_q")
    b_right = _pick_b(root, entries, entry, labels, point) if which == "disagree" else None
    return which, query, b_right


def _doc_label(r: DocRow) -> str:
    outcome = "no score" if r.right is None else ("correct" if r.right else "incorrect")
    cut = " · cut" if (r.truncated or 0) > 0 else ""
    text = r.text.replace("\n", " ")
    return f"doc {r.doc_id} · {r.problem_id} · {outcome}{cut} · {text[:60]}"


def _pick_doc(rows: list[DocRow], n_offsets: int) -> DocRow:
    """The problem picker over the matching rows, seeded from ``?doc=`` (a line of the file)."""
    by_index = {r.index: r for r in rows[:MAX_OPTIONS]}
    doc = st.query_params.get("doc")
    if doc is not None and doc.isdigit() and not st.session_state.get("samples_doc_seeded"):
        st.session_state["samples_doc_seeded"] = True
        if int(doc) in by_index:
            st.session_state["samples_doc"] = int(doc)
    if st.session_state.get("samples_doc") not in by_index:
        st.session_state["samples_doc"] = next(iter(by_index))
    index = st.selectbox(
        f"Problem ({len(rows)} of {n_offsets} match)",
        list(by_index),
        format_func=lambda i: _doc_label(by_index[i]),
        key="samples_doc",
    )
    if len(rows) > MAX_OPTIONS:
        st.caption(f"Showing the first {MAX_OPTIONS}: search or filter to narrow.")
    return by_index[index]


def _show_generation(text: str, marker: str | None, truncated: object, label: str) -> None:
    """The thinking box (only the thinking, the cut marked) and the answer box (only the solution).
    ``truncated``: the record's ``think_truncated`` (1 or True: every generation was cut)."""
    phases = split_phases(text, marker)
    cut = _cut_message(truncated, label)
    if cut is not None:
        getattr(st, cut[0])(cut[1])
    if not phases.has_marker and marker:
        st.warning("No end-of-thinking marker in this generation: it never left its thinking.")
    was_cut = truncated is True or (not isinstance(truncated, bool) and truncated == 1)
    thinking = cut_thinking(phases.thinking, label, marker) if was_cut else phases.thinking
    st.markdown(f"**Thinking** ({len(phases.thinking)} characters)")
    st.code(
        thinking or "(empty)",
        language=None,
        wrap_lines=True,
        height=480 if len(thinking) > 3000 else "content",
    )
    st.markdown("**Answer**")
    st.code(phases.solution or "(no answer after the marker)", language=None, wrap_lines=True)
    if phases.extra_markers:
        n = phases.extra_markers
        st.caption(
            f"The solution writes the end-of-thinking marker {n} more time{'s' if n > 1 else ''}; the "
            "grader read the part after the last one:"
        )
        st.code(phases.graded or "(empty)", language=None, wrap_lines=True)


def _open_run(root: Path, entry: str) -> tuple[ResultFile, Path] | None:
    try:
        result = get_entry(root, entry)
        return result, resolve_samples(root, entry, result.samples_file or "")
    except (OSError, ResultFileError, SamplesError) as exc:
        st.warning("The logged samples of this run cannot be opened.")
        st.code(str(exc), language=None, wrap_lines=True)
        return None


def render() -> None:
    """Render the sample browser (``?benchmark=&entry=&budget=&doc=&filter=&b=&q=`` reopens a view)."""
    root = results_dir()
    data = get_leaderboard(root)
    st.title("Sample browser")
    benchmark = select_benchmark(data)
    if benchmark is None:
        st.info("No result files yet.")
        return
    on_benchmark = data.entries[data.entries["benchmark"] == benchmark]
    entries = on_benchmark[on_benchmark["samples_file"] != ""]
    if not len(entries):
        st.info("No entry on this benchmark has logged samples (lm-eval --log_samples).")
        return
    labels = dict(zip(on_benchmark["entry"], on_benchmark["series"], strict=True))
    runs = sorted(entries["entry"], key=labels.get)
    seed_from_url("entry", f"samples_entry::{benchmark}", runs, benchmark=benchmark)
    entry = st.selectbox("Run", runs, format_func=labels.get, key=f"samples_entry::{benchmark}")
    opened = _open_run(root, entry)
    if opened is None:
        return
    result, path = opened
    marker = recorded_marker(result)
    files = sample_files(path, [p.task for p in result.points])
    points = [p for p in result.points if p.task in files]
    if not points:
        st.warning("No samples file matches this run's budgets (lm-eval task names).")
        return
    by_label = {p.label: p for p in points}
    seed_from_url("budget", f"samples_budget::{entry}", list(by_label))
    label = st.selectbox("Budget", list(by_label), key=f"samples_budget::{entry}")
    point = by_label[label]
    sfile = files[point.task]
    try:
        offsets = get_line_offsets(sfile)
        stat = sfile.stat()
        rows = _doc_rows(str(sfile), stat.st_mtime_ns, stat.st_size, tuple(result.problem_ids or ()))
    except OSError as exc:
        st.warning("The samples file cannot be read.")
        st.code(str(exc), language=None)
        return
    if not offsets:
        st.info("The samples file is empty.")
        return
    which, query, b_right = _filters(root, on_benchmark, entry, labels, point)
    params = {
        "benchmark": benchmark,
        "entry": entry,
        "budget": label,
        "filter": which,
        "q": query or None,
        "b": st.session_state.get("samples_b") if which == "disagree" else None,
    }
    matching = filter_docs(rows, which, query, b_right)
    if not matching:
        set_url(**params)
        st.info(f"No problem matches ({FILTERS[which]}{', search ' + repr(query) if query else ''}).")
        return
    row = _pick_doc(matching, len(offsets))
    set_url(**params, doc=str(row.index))
    try:
        record = read_record(sfile, offsets[row.index])
    except (OSError, SamplesError) as exc:
        st.warning("This record cannot be read.")
        st.code(str(exc), language=None)
        return
    gens = responses(record)
    which_gen = st.number_input(
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
    index = min(int(which_gen), len(gens) - 1)
    _show_generation(gens[index], marker, metrics.get("think_truncated"), label)
    with st.expander("Raw record (JSON)"):
        st.json(record)
