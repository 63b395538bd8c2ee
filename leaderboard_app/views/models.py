"""The model page: one entry's metadata, budget points and reproducibility record."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from elastic_bench.harness.analysis import ANSWER_RATES
from elastic_bench.harness.results import ResultFile, ResultFileError
from elastic_bench.leaderboard_app.cache import get_entry, get_leaderboard
from elastic_bench.leaderboard_app.charts import curves_figure
from elastic_bench.leaderboard_app.views.common import (
    md_escape,
    results_dir,
    seed_from_url,
    select_benchmark,
    set_url,
    show_chart,
)
from elastic_bench.leaderboard_app.views.sources import BADGE_COLORS, BADGE_HELP


def _record_table(result: ResultFile) -> pd.DataFrame:
    rep = result.reproducibility
    assert rep is not None
    rows = [
        ("model", rep.model),
        ("model revision", rep.model_revision),
        ("weights sha256", rep.weights_sha256),
        ("tokenizer", rep.tokenizer),
        ("chat template sha256", rep.chat_template_sha256),
        ("end-of-thinking marker", rep.end_of_thinking_marker),
        ("strategy", rep.strategy),
        ("thinking budgets", ", ".join("unconstrained" if b is None else str(b) for b in rep.budgets)),
        ("solution budget", rep.solution_budget),
        ("samples per problem (k)", rep.k),
        ("sampling", ", ".join(f"{k}={v}" for k, v in rep.sampling.items())),
        ("seeds", ", ".join(f"{k}={v}" for k, v in rep.seeds.items())),
        (
            "dataset",
            f"{rep.dataset.id} ({rep.dataset.split or 'split n/a'}, {rep.dataset.n_problems} problems)",
        ),
        (
            "dataset revision / sha256",
            f"{rep.dataset.revision or 'n/a'} / {rep.dataset.content_sha256 or 'n/a'}",
        ),
        ("backend", rep.backend),
        ("backend args", ", ".join(f"{k}={v}" for k, v in rep.backend_args.items())),
        ("versions", ", ".join(f"{k}={v}" for k, v in rep.versions.items())),
        ("git commit", rep.git_commit),
        ("hardware", rep.hardware),
        ("wall time (s)", rep.wall_time_seconds),
    ]
    return pd.DataFrame(
        [(k, "n/a" if v is None or v == "" else str(v)) for k, v in rows], columns=["field", "value"]
    )


def _source_table(result: ResultFile) -> pd.DataFrame:
    """A reported entry's provenance and protocol, field by field."""
    src = result.reported_source
    assert src is not None
    rows = [
        ("source table", f"{src.table_label} ({src.table})"),
        ("row as printed", src.row),
        ("evaluated by", src.evaluated_by),
        ("read from", src.read_from),
        ("base model", src.base_model or "not stated"),
        ("compared with", f"{src.base_row} ({src.base_table or src.table})" if src.base_row else "none"),
        ("benchmark version", src.benchmark_version),
        ("k", src.k if src.k is not None else "not stated"),
        ("temperature", src.temperature if src.temperature is not None else "not stated"),
        ("tokens counted", src.tokens_counted),
        ("length cap", src.length_cap if src.length_cap is not None else "not stated"),
        ("budget meaning", src.budget_meaning or "none"),
        ("protocol", src.protocol or "not stated"),
        ("anchor (verbatim)", src.anchor or "none"),
        ("transcribed from", src.transcribed_from or "n/a"),
    ]
    return pd.DataFrame([(k, str(v)) for k, v in rows], columns=["field", "value"])


def render() -> None:
    """Render the model page."""
    root = results_dir()
    data = get_leaderboard(root)
    st.title("Model")
    benchmark = select_benchmark(data)
    if benchmark is None:
        st.info("No result files yet.")
        return
    entries = data.entries[data.entries["benchmark"] == benchmark].sort_values(
        ["kind", "series"], ascending=[False, True]
    )
    labels = dict(zip(entries["entry"], entries["series"], strict=True))
    seed_from_url("entry", f"model_entry::{benchmark}", list(labels), benchmark=benchmark)
    entry = st.selectbox("Entry", list(labels), format_func=labels.get, key=f"model_entry::{benchmark}")
    set_url(benchmark=benchmark, entry=entry)
    try:
        result = get_entry(root, entry)
    except (OSError, ResultFileError) as exc:
        st.error("This entry can no longer be read.")
        st.code(str(exc), language=None, wrap_lines=True)
        return

    st.subheader(md_escape(result.model_name))
    if result.alias_of:
        st.info(
            f"An alias of **{md_escape(result.alias_of)}** (the same weights under another name): the "
            "leaderboard's charts, ranking and comparisons show it as that entry."
        )
    meta = pd.DataFrame(
        [
            ("kind", result.kind),
            ("benchmark", result.benchmark),
            ("task group", result.task_group),
            ("created", result.created.isoformat()),
            ("file", entry),
            ("logged samples", result.samples_file or "none"),
        ],
        columns=["field", "value"],
    )
    st.caption("Table: the entry's file and what it holds.")
    st.dataframe(meta, hide_index=True, width="stretch")
    if result.kind == "reported":
        st.warning("Published numbers, not reproduced with this harness: there is no reproducibility record.")
        st.markdown("**Source**")
        st.text(result.source or "")
        if result.reported_source is not None:
            src = result.reported_source
            st.badge(src.badge, color=BADGE_COLORS.get(src.badge, "gray"), help=BADGE_HELP)
            st.caption("Table: where the published numbers come from and how they were measured.")
            st.dataframe(_source_table(result), hide_index=True, width="stretch")
    if result.notes:
        st.markdown("**Notes**")
        st.text(result.notes)

    pts = data.points[data.points["entry"] == entry]
    show_chart(curves_figure(pts), "model_curve")
    table = pd.DataFrame(
        [p.model_dump(exclude={"per_problem_accuracy", "per_problem_tokens"}) for p in result.points]
    )
    # answer-source rates only where this entry has them (None in files written before they existed)
    table = table.drop(columns=[c for c in ANSWER_RATES if c in table and table[c].isna().all()])
    if "accuracy_ci" in table:
        table["accuracy_ci"] = table["accuracy_ci"].map(
            lambda ci: "" if ci is None else f"[{ci[0]:.3f}, {ci[1]:.3f}]"
        )
    st.markdown("**Budget points**")
    st.caption("Table: every budget point of the entry as its result file records it.")
    st.dataframe(table, hide_index=True, width="stretch")

    if result.reproducibility is not None:
        st.subheader("Reproducibility record")
        st.caption("Table: what it takes to rerun this evaluation exactly.")
        st.dataframe(_record_table(result), hide_index=True, width="stretch")
        st.markdown("**Prompt template**")
        st.code(result.reproducibility.prompt_template, language=None, wrap_lines=True)
        if result.reproducibility.lm_eval_config:
            with st.expander("lm-eval config"):
                st.json(result.reproducibility.lm_eval_config)
        with st.expander("Full record (JSON)"):
            st.json(result.reproducibility.model_dump(mode="json"))
