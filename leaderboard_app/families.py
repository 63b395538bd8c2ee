"""Training-run families: the results of one training run's checkpoints (eval-on-save), drawn against
training step instead of ranked as separate entries.

A family is every result file under ``<results dir>/families/`` with the same ``training_run.run_id``
and task group (:func:`load_families`). :func:`family_frame` gives accuracy, thinking tokens and AES
per (step, budget), AES against the base the run started from; :func:`family_figure` draws the three
against step, one line per budget, with the method's final entry (the same weights as a checkpoint,
else the entry of the same method and base) marked at its step.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from elastic_bench.harness.analysis import aes_base_point, point_aes
from elastic_bench.harness.results import ResultFile, ResultFileError, family_files, load_result
from elastic_bench.leaderboard_app.charts import LEGEND_BELOW, esc, series_color, title_layout
from elastic_bench.leaderboard_app.views.common import md_escape, show_chart

#: the three panels of a family chart: column of :func:`family_frame` -> axis title
PANELS = {
    "accuracy_pct": "accuracy (%)",
    "mean_think_tokens": "mean thinking tokens",
    "aes": "AES vs base",
}


@dataclass(frozen=True)
class Family:
    """The evaluated checkpoints of one training run on one task group, by training step."""

    run_id: str
    task_group: str
    benchmark: str
    method: str | None
    base_model: str | None
    base_weights_sha256: str | None
    members: tuple[ResultFile, ...]

    @property
    def steps(self) -> list[int]:
        """The training steps evaluated, ascending."""
        return [m.training_run.step for m in self.members]

    @property
    def title(self) -> str:
        """``training run <id> (sft, 6 checkpoints)``."""
        what = ", ".join(p for p in (self.method, f"{len(self.members)} checkpoints") if p)
        return f"training run {self.run_id} ({what})"


def load_families(results_dir: str | Path) -> tuple[list[Family], list[str]]:
    """Every family of ``results_dir`` (sorted by task group and run id) and a one-line reason per file
    that could not be read."""
    groups: dict[tuple[str, str], list[ResultFile]] = defaultdict(list)
    skipped = []
    for path in family_files(results_dir):
        try:
            result = load_result(path)
        except (ResultFileError, OSError) as exc:
            skipped.append(str(exc))
            continue
        if result.training_run is None:
            skipped.append(f"{path.name}: in families/ but has no training_run")
            continue
        groups[(result.task_group, result.training_run.run_id)].append(result)
    families = []
    for (task_group, run_id), members in sorted(groups.items()):
        members.sort(key=lambda r: r.training_run.step)
        run = members[-1].training_run
        families.append(
            Family(
                run_id=run_id,
                task_group=task_group,
                benchmark=members[-1].benchmark,
                method=run.method,
                base_model=run.base_model,
                base_weights_sha256=run.base_weights_sha256,
                members=tuple(members),
            )
        )
    return families, skipped


def families_of(families: list[Family], task_group: str, base_sha: str) -> list[Family]:
    """The families of runs on ``task_group`` that started from the weights ``base_sha``."""
    return [
        f for f in families if f.task_group == task_group and base_sha and f.base_weights_sha256 == base_sha
    ]


def final_entry(family: Family, methods: list[ResultFile]) -> ResultFile | None:
    """The method entry a family leads to: one with a checkpoint's weights, else the entry trained with
    the same method from the same base (None when there is neither)."""
    shas = {m.reproducibility.weights_sha256 for m in family.members if m.reproducibility}
    for entry in methods:
        if entry.reproducibility and entry.reproducibility.weights_sha256 in shas - {None}:
            return entry
    for entry in methods:
        t = entry.training
        if t and t.method == family.method and t.base_weights_sha256 == family.base_weights_sha256:
            return entry
    return None


def _rows(result: ResultFile, step: int, base: ResultFile | None, role: str) -> list[dict]:
    ref = aes_base_point(base.points) if base is not None else None
    return [
        {
            "role": role,
            "model": result.model_name,
            "step": step,
            "label": p.label,
            "thinking_budget": p.thinking_budget,
            "n_problems": p.n_problems,
            "accuracy_pct": p.accuracy * 100 if p.accuracy is not None else None,
            "mean_think_tokens": p.mean_think_tokens,
            "mean_total_tokens": p.mean_total_tokens,
            "aes": point_aes(p, ref) if ref is not None else None,
            "weights_sha256": result.reproducibility.weights_sha256 if result.reproducibility else None,
        }
        for p in result.points
    ]


def family_frame(family: Family, base: ResultFile | None, final: ResultFile | None = None) -> pd.DataFrame:
    """One row per (checkpoint, budget): step, budget label, accuracy (%), thinking tokens and AES
    against ``base``'s AES point (None without a base); ``final``'s points at the same budgets follow as
    role "final" at its training record's step."""
    rows = [r for m in family.members for r in _rows(m, m.training_run.step, base, "checkpoint")]
    if final is not None and final.training is not None:
        labels = {r["label"] for r in rows}  # the budgets the run was evaluated on
        rows += [
            r for r in _rows(final, final.training.optimizer_steps, base, "final") if r["label"] in labels
        ]
    return pd.DataFrame(rows)


def _budget_order(frame: pd.DataFrame) -> list[str]:
    budgets = frame.drop_duplicates("label")
    key = budgets["thinking_budget"].fillna(float("inf"))
    return list(budgets.assign(k=key).sort_values("k")["label"])


def family_figure(frame: pd.DataFrame, title: str, base_name: str | None) -> go.Figure:
    """Accuracy, thinking tokens and AES against training step, a line per budget (a star: the
    method's entry), stacked on one step axis; ``title`` ("what · details") and the date head it."""
    panels = list(PANELS.items())
    aes_title = f"AES vs {base_name}" if base_name else "AES (no base)"
    # stacked, sharing the step axis: readable at any width (side by side, a phone squeezes each to a sliver)
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.06)
    for label in _budget_order(frame):
        color = series_color(f"budget {label}")
        sub = frame[frame["label"] == label]
        ckpt, final = sub[sub["role"] == "checkpoint"], sub[sub["role"] == "final"]
        for row, (column, _) in enumerate(panels, start=1):
            fig.add_trace(
                go.Scatter(
                    x=ckpt["step"],
                    y=ckpt[column],
                    mode="lines+markers",
                    name=esc(label),
                    legendgroup=label,
                    showlegend=row == 1,
                    line={"color": color, "width": 2},
                    customdata=ckpt[["model", "n_problems"]].to_numpy(),
                    hovertemplate=f"%{{customdata[0]}}<br>step %{{x}}, {esc(label)}<br>"
                    f"{esc(PANELS[column])}: %{{y:.3g}}<br>%{{customdata[1]}} problems<extra></extra>",
                    meta={"role": "family", "panel": column},
                ),
                row=row,
                col=1,
            )
            if len(final):
                fig.add_trace(
                    go.Scatter(
                        x=final["step"],
                        y=final[column],
                        mode="markers",
                        name=esc(f"{label}: final entry"),
                        legendgroup=label,
                        showlegend=False,
                        marker={"symbol": "star", "size": 13, "color": color, "line": {"width": 1}},
                        customdata=final[["model", "n_problems"]].to_numpy(),
                        hovertemplate="final entry %{customdata[0]}<br>step %{x}<br>"
                        f"{esc(PANELS[column])}: %{{y:.3g}}<br>%{{customdata[1]}} problems<extra></extra>",
                        meta={"role": "final", "panel": column},
                    ),
                    row=row,
                    col=1,
                )
    for row, (column, axis) in enumerate(panels, start=1):
        fig.update_yaxes(title_text=esc(aes_title if column == "aes" else axis), row=row, col=1)
    fig.update_xaxes(title_text="training step", row=3, col=1)
    fig.update_layout(
        title=title_layout(f"{title} · {date.today().isoformat()}"),
        legend={"title": {"text": "thinking budget"}, **LEGEND_BELOW, "y": -0.09},
        template="plotly_white",
        height=760,
        margin={"l": 60, "r": 20, "t": 80, "b": 90},
        hovermode="closest",
    )
    return fig


@st.cache_data(show_spinner=False, max_entries=4)
def _cached_families(results_dir: str, stamps: tuple) -> tuple[list[Family], list[str]]:
    return load_families(results_dir)


def get_families(results_dir: str | Path) -> tuple[list[Family], list[str]]:
    """:func:`load_families`, re-read only when a family file is added, removed or changed."""
    stamps = []
    for path in family_files(results_dir):
        try:
            st_ = path.stat()
        except OSError:
            continue
        stamps.append((str(path), st_.st_mtime_ns, st_.st_size))
    return _cached_families(str(results_dir), tuple(stamps))


def render_families(results_dir: str | Path, base: ResultFile, methods: list[ResultFile], key: str) -> None:
    """The training-run families of a comparison (runs from ``base``'s weights on its task group): a
    chart each, beside the final entry of their method; nothing when there are none."""
    sha = base.reproducibility.weights_sha256 if base.reproducibility else None
    families, _ = get_families(results_dir)
    for i, family in enumerate(families_of(families, base.task_group, sha or "")):
        final = final_entry(family, methods)
        frame = family_frame(family, base, final)
        st.markdown(f"**Training-run family: {md_escape(family.title)}**")
        what = "Accuracy, thinking tokens, AES vs step"
        fig = family_figure(frame, f"{what} · {family.title} · {family.task_group}", base.model_name)
        show_chart(fig, key=f"{key}_family_{i}")
        where = "No entry of this method is on the board yet."
        if final is not None and final.training is not None:
            shas = {m.reproducibility.weights_sha256 for m in family.members if m.reproducibility}
            run = (
                "this run's final checkpoint"
                if final.reproducibility.weights_sha256 in shas
                else "another run"
            )
            where = (
                f"The star is the method's entry on the board, {md_escape(final.model_name)} ({run}: step "
                f"{final.training.optimizer_steps}, {final.points[0].n_problems} problems)."
            )
        st.caption(
            f"Each checkpoint this run saved, evaluated on {family.members[0].points[0].n_problems} problems "
            f"per budget; AES against {md_escape(base.model_name)}'s AES point. {where} Family checkpoints are "
            "not ranked as separate entries."
        )
