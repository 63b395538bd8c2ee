"""The Queue page: every evaluation request with its status, its progress (read from its response
journal) and, for a failure, the reason and the log's tail; refreshed every few seconds."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import streamlit as st

from elastic_bench.harness.queue import (
    FINISHED,
    JOURNAL_FILENAME,
    RUNNING,
    QueueError,
    RequestState,
    RequestStore,
    journal_counts,
    store_path,
)
from elastic_bench.leaderboard_app.views.common import md_escape, results_dir

REFRESH_SECONDS = 3


def _when(stamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(stamp))


def _progress(store: RequestStore, state: RequestState) -> tuple[float, str]:
    """Share done and its text: a running request's from its journal, now."""
    done = state.done or 0
    if state.status == RUNNING:
        done = journal_counts(store.request_dir(state.id) / JOURNAL_FILENAME).responses
    if state.status == FINISHED:
        return 1.0, f"{done} responses"
    if not state.total:
        return 0.0, f"{done} responses"
    return min(1.0, done / state.total), f"{done} / {state.total}"


def requests_table(store: RequestStore) -> pd.DataFrame:
    """One row per request, newest first."""
    rows = []
    for state in reversed(store.requests()):
        req = state.request
        share, text = _progress(store, state)
        rows.append(
            {
                "request": req.id,
                "model": req.model.display_name,
                "benchmarks": ", ".join(req.benchmarks),
                "status": state.status,
                "progress": share,
                "responses": text,
                "attempts": state.attempts,
                "worker": state.worker or "",
                "submitted": req.submitted_at.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
                "updated": _when(state.updated),
                "reason": state.reason or "",
            }
        )
    return pd.DataFrame(rows)


def _details(store: RequestStore, request_id: str) -> None:
    state = store.get(request_id)
    req = state.request
    st.markdown(f"**{md_escape(req.id)}**: {md_escape(req.model.model)}")
    facts = {
        "revision": req.model.revision or "",
        "weights sha256": req.model.weights_sha256 or "",
        "end of thinking": req.model.think_end,
        "chat template": req.model.chat_template,
        "protocols": ", ".join(p.version for p in req.protocols),
        "note": req.note,
    }
    st.dataframe(
        pd.DataFrame([(k, v) for k, v in facts.items() if v], columns=["field", "value"]),
        hide_index=True,
        width="stretch",
    )
    if state.result_files:
        st.caption("Result files (in the results directory):")
        st.code("\n".join(state.result_files), language=None)
    if state.reason:
        st.error(f"Failed: {md_escape(state.reason)}")
    history = [
        {
            "time": _when(e.at),
            "status": e.status,
            "detail": "; ".join(f"{k}: {v}" for k, v in e.detail.items() if k not in ("log_tail", "figures")),
        }
        for e in store.history(req.id)
    ]
    st.dataframe(pd.DataFrame(history), hide_index=True, width="stretch")
    tails = [e.detail["log_tail"] for e in store.history(req.id) if e.detail.get("log_tail")]
    if tails:
        st.caption("The worker's log (last lines):")
        st.code(tails[-1], language=None, wrap_lines=True)


@st.fragment(run_every=REFRESH_SECONDS)
def _live(path: Path) -> None:
    try:
        store = RequestStore(path)
        table = requests_table(store)
    except QueueError as exc:
        st.error(md_escape(exc))
        return
    if not len(table):
        st.info("No requests yet.")
        return
    counts = table["status"].value_counts()
    st.caption(" · ".join(f"{n} {status}" for status, n in counts.items()))
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        key="queue_table",
        column_config={
            "progress": st.column_config.ProgressColumn(
                help="responses generated so far (from the request's journal)", min_value=0.0, max_value=1.0
            ),
            "reason": st.column_config.TextColumn(help="why a failed request failed (one line)"),
        },
    )
    chosen = st.selectbox("Request", table["request"].tolist(), key="queue_request")
    if chosen:
        _details(store, chosen)


def render() -> None:
    """Render the Queue page."""
    root = results_dir()
    st.title("Evaluation queue")
    st.markdown(
        "Checkpoints submitted on the **Submit** page (or with `elastic-bench submit --checkpoint`) wait "
        "here until `elastic-bench worker` evaluates them under the leaderboard's protocol; each becomes "
        "a **verified** entry."
    )
    path = store_path(root)
    if not path.is_file():
        st.info("No requests yet.")
        return
    _live(path)
