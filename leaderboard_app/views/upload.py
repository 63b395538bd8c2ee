"""The submission page: a result file (self-reported) or a checkpoint (queued, then verified).

Result file: validate an upload and add it to the results directory, with the same checks as
``elastic-bench submit``. The upload is only parsed as JSON; its strings are shown as plain text. A
``samples_file`` reference in an upload is dropped (nothing outside the results directory is ever
read), and an existing entry is only replaced when the user ticks the box. A file whose weights are an
existing entry's under another name is refused unless the user declares it an alias of that entry or
replaces it (as ``elastic-bench submit --alias / --overwrite``). Checkpoint: the form of
``elastic-bench submit --checkpoint`` (:mod:`.checkpoint`).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from elastic_bench.harness.results import (
    ResultFileError,
    add_entry,
    find_existing_entry,
    find_same_weights,
    validate_submission_bytes,
)
from elastic_bench.leaderboard_app.views import checkpoint
from elastic_bench.leaderboard_app.views.common import md_escape, results_dir


def render() -> None:
    """Render the Submit page: the result-file tab and the checkpoint tab."""
    st.title("Submit")
    upload_tab, checkpoint_tab = st.tabs(["Result file (self-reported)", "Checkpoint (verified)"])
    with upload_tab:
        _upload()
    with checkpoint_tab:
        checkpoint.render()


def _upload() -> None:
    """The result-file tab."""
    root = results_dir()
    st.markdown(
        "Upload one result JSON (as written by the harness converter). It is checked against the schema, "
        "for consistent budgets, counts and metric ranges, and for a reproducibility record. "
        "The same checks run in `elastic-bench submit FILE`. It shows as **self-reported**: to have the "
        "leaderboard evaluate a model itself, submit it on the **Checkpoint** tab."
    )
    uploaded = st.file_uploader("Result file (.json)", type=["json"], key="upload")
    if uploaded is None:
        return
    data = uploaded.getvalue()
    try:
        result = validate_submission_bytes(data, name=uploaded.name)
    except ResultFileError as exc:
        st.error("Rejected: this file is not a valid result file.")
        st.code(str(exc), language=None, wrap_lines=True)
        return

    st.success(f"Valid {result.kind} result with {len(result.points)} budget points.")
    st.dataframe(
        pd.DataFrame(
            [("model", result.model_name), ("benchmark", result.benchmark), ("task group", result.task_group)]
            + [(f"budget {p.label}", _point_text(p)) for p in result.points],
            columns=["field", "value"],
        ),
        hide_index=True,
        width="stretch",
    )
    if result.samples_file:
        st.info(
            "The logged samples named in this file are not uploaded with it; use `elastic-bench submit` to include them."
        )
    existing = find_existing_entry(result, root)
    overwrite = False
    if existing is not None:
        st.warning("An entry for this model and task group already exists:")
        st.code(str(existing), language=None)
        overwrite = st.checkbox("Replace the existing entry", value=False, key="upload_overwrite")
    alias = False
    same = find_same_weights(result, root)
    if same is not None:
        other = md_escape(same[1])
        st.warning(
            f"Its weights are those of the existing entry '{other}' on {md_escape(result.task_group)}: "
            "it is only added as an alias of that entry, or in its place."
        )
        alias = st.checkbox(f"It is an alias of '{other}'", value=False, key="upload_alias")
        overwrite = overwrite or st.checkbox(
            f"Replace '{other}'", value=False, key="upload_replace_same_weights", disabled=alias
        )
    if st.button("Add to leaderboard", type="primary", key="upload_add"):
        try:
            dest = add_entry(
                result,
                root,
                overwrite=overwrite,
                samples_base=None,
                name=uploaded.name,
                same_weights="alias" if alias else "refuse",
            )
        except ResultFileError as exc:
            st.error("Not added.")
            st.code(str(exc), language=None, wrap_lines=True)
            return
        st.success("Added to the leaderboard.")
        st.code(str(dest), language=None)


def _point_text(p) -> str:
    """``accuracy 0.412, 3120 tokens``, or the rating of a published rating-only point."""
    if p.accuracy is None or p.mean_total_tokens is None:
        return f"Codeforces rating {p.codeforces.rating:.0f}" if p.codeforces and p.codeforces.rating else "-"
    return f"accuracy {p.accuracy:.3f}, {p.mean_total_tokens:.0f} tokens"
