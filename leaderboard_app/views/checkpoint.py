"""The Submit page's Checkpoint tab: queue a model for evaluation by the leaderboard itself.

The same checks as ``elastic-bench submit --checkpoint`` (nothing is loaded but the tokenizer); a
refusal is one line. The protocol of each benchmark comes from the registry and is shown, never asked.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from elastic_bench.harness.benchmarks import benchmark_label, sweeps
from elastic_bench.harness.protocol import DEFAULT_TASK, THINK_END
from elastic_bench.harness.queue import QueueError, RequestStore, benchmark_protocol, check_checkpoint
from elastic_bench.leaderboard_app.views.common import md_escape, results_dir

CHAT_TEMPLATES = {
    "auto": "the model's own, when it has one",
    "model": "the model's own (required)",
    "none": "none: raw prompts",
}


def _protocols(names: list[str]) -> pd.DataFrame:
    rows = []
    for name in names:
        p = benchmark_protocol(name)
        sampling = f"T={p.temperature}, top_p={p.top_p}" if p.do_sample else "greedy"
        rows.append(
            {
                "benchmark": p.benchmark,
                "budgets": ", ".join(map(str, p.budgets)) + ", unconstrained",
                "solution budget": p.solution_budget,
                "k": p.k,
                "sampling": sampling,
                "strategy": p.strategy,
                "seed": p.seed,
                "protocol": p.version,
            }
        )
    return pd.DataFrame(rows)


def render() -> None:
    """Render the Checkpoint tab."""
    st.markdown(
        "Give a hub id (`org/name`) or a local model folder. The leaderboard evaluates it itself "
        "(`elastic-bench worker`) under each benchmark's fixed protocol and shows the result as a "
        "**verified** entry; follow it on the **Queue** page."
    )
    names = [b.name for b in sweeps()]
    default = DEFAULT_TASK.removeprefix("elastic_")
    with st.form("checkpoint_form"):
        model = st.text_input("Checkpoint", placeholder="org/name or models/my_model", key="ckpt_model")
        revision = st.text_input("Revision (hub models)", placeholder="main", key="ckpt_revision")
        benchmarks = st.multiselect(
            "Benchmarks", names, default=[default], format_func=benchmark_label, key="ckpt_benchmarks"
        )
        chat = st.selectbox(
            "Chat template", list(CHAT_TEMPLATES), format_func=CHAT_TEMPLATES.get, key="ckpt_chat"
        )
        think_end = st.text_input("End-of-thinking marker", value=THINK_END, key="ckpt_think_end")
        note = st.text_area("Note (optional)", key="ckpt_note", max_chars=2000)
        queued = st.form_submit_button("Queue for evaluation", type="primary")
    if queued:
        _queue(model, revision, benchmarks, chat, think_end, note)
    if benchmarks:
        st.caption("The protocol each benchmark is evaluated under (from the registry):")
        st.dataframe(_protocols(benchmarks), hide_index=True, width="stretch")


def _queue(model: str, revision: str, benchmarks: list[str], chat: str, think_end: str, note: str) -> None:
    """Check the checkpoint and record its request; a refusal is one line."""
    try:
        spec = check_checkpoint(model, revision.strip() or None, think_end, chat)  # type: ignore[arg-type]
        request = RequestStore.of_results(results_dir()).submit(spec, benchmarks, note=note)
    except QueueError as exc:
        st.error(f"Refused: {md_escape(exc)}")
        return
    st.success(md_escape(f"Queued {request.id}: {spec.display_name} on {', '.join(request.benchmarks)}."))
    st.code(f"elastic-bench worker --once   # evaluates {request.id}", language="bash")
