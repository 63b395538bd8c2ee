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
from elastic_bench.leaderboard_app.comparison import comparison_groups, display_table, formatted_table
from elastic_bench.leaderboard_app.views.common import md_escape, results_dir, select_benchmark

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
    groups = [g for g in comparison_groups(data.entries[data.entries["benchmark"] == benchmark])]
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
        st.plotly_chart(fig, width="stretch", key=f"comparison_curves_{i}", config={"displaylogo": False})
        table = display_table(comparison_frame(results[0], results[1:]))
        # published rows carry no training record: their method is what their name adds to the base
        table["method"] = [
            (r.model_name.partition(" + ")[2] or r.model_name) if i and r.kind == "reported" else method
            for i, (r, method) in enumerate(zip(results, table["method"], strict=True))
        ]
        # a small static table (HTML, readable and copyable); NaN/NA as "-"
        st.table(formatted_table(table).set_index("model"))
        st.caption(LEGEND)
        sources = {r.source for r in results if r.source}
        if sources:
            st.caption("Source: " + md_escape("; ".join(sorted(sources))))
