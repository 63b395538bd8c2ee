"""The comparison page: retrained baselines (SFT, DPO, O1-Pruner, ...) against the base they started from.

Per comparison: all curves on one chart, the Table-2-style table (Acc / Len / AES / AUC against the
base) with each method's training cost beside it, and the published comparison of the same kind.
"""

from __future__ import annotations

import streamlit as st

from elastic_bench.harness.analysis import comparison_frame
from elastic_bench.harness.results import ResultFileError
from elastic_bench.leaderboard_app.cache import get_entry, get_leaderboard
from elastic_bench.leaderboard_app.charts import curves_figure
from elastic_bench.leaderboard_app.comparison import (
    comparison_groups,
    display_table,
    formatted_table,
    method_labels,
)
from elastic_bench.leaderboard_app.families import render_families
from elastic_bench.leaderboard_app.views.common import md_escape, results_dir, select_benchmark, show_chart

LEGEND = (
    "Acc_%: accuracy at the unconstrained point (else the largest budget); Len_think / Len_total: mean "
    "thinking / total tokens there (reported rows: the paper's solution length); AES: O1-Pruner's score vs "
    "the base with length = total tokens (dL + 3|dA| if dA >= 0, else dL - 5|dA|); AES_paper_convention: "
    "dL + 3|dA| always, as every value of O1-Pruner's Table 2; AUC: accuracy over log2(budget), in [0, 1]; "
    "train_*: the training record (train_seconds includes reference sampling when it was not cached)."
)


def render() -> None:
    """Render the comparison page."""
    root = results_dir()
    data = get_leaderboard(root)
    st.title("Baselines: methods vs their base")
    benchmark = select_benchmark(data)
    if benchmark is None:
        st.info("No result files yet.")
        return
    board = data.entries[data.entries["benchmark"] == benchmark]
    groups = comparison_groups(board)
    if not groups:
        st.info(
            "No comparison on this benchmark. `elastic-bench baselines` trains SFT, DPO, O1-Pruner, L1-Exact, "
            "L1-Max and Elastic from one base and writes the entries a comparison is made of."
        )
        return
    st.caption(
        "Every method starts from the same base and is evaluated with the same sweep; Acc and Len are the "
        "unconstrained point. Reproduced comparisons first, then published ones (never mixed)."
    )
    for i, group in enumerate(groups):
        st.subheader(md_escape(group.title))
        entries = [group.base, *group.methods]
        try:
            results = [get_entry(root, e) for e in entries]
        except (ResultFileError, OSError) as exc:
            st.warning(f"Cannot load this comparison: {exc}")
            continue
        points = data.points[data.points["entry"].isin(entries)].sort_values(["series", "order"])
        fig = curves_figure(points, show_ci=False)
        show_chart(fig, f"comparison_curves_{i}")
        table = display_table(comparison_frame(results[0], results[1:]))
        table["method"] = method_labels(results, list(table["method"]))
        # a small static table (HTML, readable and copyable); NaN/NA as "-"
        st.table(formatted_table(table).set_index("model"))
        st.caption(LEGEND)
        if group.kind == "reproduced":
            render_families(root, results[0], results[1:], key=f"comparison_{i}")
        sources = {r.source for r in results if r.source}
        if sources:
            st.caption("Source: " + md_escape("; ".join(sorted(sources))))
    aliases = board[board["alias_of"] != ""] if "alias_of" in board else board.iloc[:0]
    if len(aliases):
        st.caption(
            "Aliases (the weights of another entry, not compared separately): "
            + md_escape(
                "; ".join(sorted(f"{a.model_name}: alias of {a.alias_of}" for a in aliases.itertuples()))
            )
        )
