"""The method comparison (harness.comparison + leaderboard_app.comparison): which entries are compared
with which base, and the Table-2-style numbers against it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from elastic_bench.harness.analysis import aes, comparison_frame
from elastic_bench.harness.cli import render_comparison
from elastic_bench.harness.results import TrainingRecord
from elastic_bench.leaderboard_app.comparison import comparison_groups, display_table
from elastic_bench.leaderboard_app.data import load_leaderboard
from elastic_bench.leaderboard_app.published import published_results
from tests.factories import make_reproducibility, make_result, write_result

BASE_SHA = "a" * 64
OTHER_SHA = "b" * 64
BUDGETS = (64, 256, None)


def trained(name: str, method: str, accuracies, tokens, base_sha: str = BASE_SHA, sha: str = "c" * 64):
    """A reproduced result of a model retrained from the base with weights ``base_sha``."""
    result = make_result(name, budgets=BUDGETS, accuracies=accuracies, tokens=tokens, n_problems=20, k=1)
    record = TrainingRecord(
        method=method,
        base_model="models/base",
        base_weights_sha256=base_sha,
        optimizer_steps=12,
        training_tokens=3456,
        reference_sampling_tokens=789,
        wall_time_seconds=42.0,
        seed=0,
        hardware="cpu",
    )
    rep = make_reproducibility(BUDGETS, k=1, n_problems=20, weights_sha256=sha)
    return result.model_copy(update={"training": record, "reproducibility": rep})


def base_result(sha: str = BASE_SHA, name: str = "base"):
    result = make_result(
        name, budgets=BUDGETS, accuracies=(0.1, 0.5, 1.0), tokens=(80, 250, 300), n_problems=20, k=1
    )
    return result.model_copy(
        update={"reproducibility": make_reproducibility(BUDGETS, k=1, n_problems=20, weights_sha256=sha)}
    )


def test_comparison_frame_numbers_against_the_base() -> None:
    base = base_result()
    sft = trained("base + SFT", "sft", (0.2, 0.6, 0.95), (70, 200, 210))
    frame = comparison_frame(base, [sft])
    assert list(frame["method"]) == ["base", "sft"]
    row = frame.iloc[1]
    b, p = base.points[-1], sft.points[-1]
    assert row["accuracy"] == p.accuracy
    assert row["aes"] == pytest.approx(aes(b.accuracy, b.mean_total_tokens, p.accuracy, p.mean_total_tokens))
    # an accuracy drop: the formula penalises it (gamma=5), the paper's table convention does not
    assert row["aes"] < row["aes_paper_table"]
    assert row["think_change"] == pytest.approx(
        (p.mean_think_tokens - b.mean_think_tokens) / b.mean_think_tokens
    )
    assert (row["optimizer_steps"], row["training_tokens"], row["train_wall_seconds"]) == (12, 3456, 42.0)
    assert frame.iloc[0]["aes"] == 0.0 and pd.isna(frame.iloc[0]["optimizer_steps"])
    assert 0 < row["auc"] <= 1
    table = display_table(frame)
    assert table.iloc[1]["Acc_%"] == pytest.approx(round(p.accuracy * 100, 1))
    assert render_comparison(frame).row_count == 2


def test_comparison_frame_refuses_another_benchmark() -> None:
    other = make_result("x", benchmark="gsm8k", budgets=BUDGETS)
    with pytest.raises(ValueError, match="gsm8k"):
        comparison_frame(base_result(), [other])


def test_groups_pair_methods_with_the_base_they_were_trained_from(tmp_path: Path) -> None:
    results = tmp_path / "results"
    write_result(base_result(), results / "reproduced")
    write_result(base_result(OTHER_SHA, name="unrelated"), results / "reproduced")
    for method in ("sft", "dpo"):
        write_result(
            trained(f"base + {method}", method, (0.2, 0.5, 0.9), (60, 200, 220)), results / "reproduced"
        )
    # trained from weights nobody evaluated: no comparison to make
    write_result(
        trained("orphan + sft", "sft", (0.2, 0.5, 0.9), (60, 200, 220), base_sha="d" * 64), results / "x"
    )
    for r in published_results():
        write_result(r, results / "reported")
    data = load_leaderboard(results)
    groups = comparison_groups(data.entries[data.entries["benchmark"] == "toy"])
    assert len(groups) == 1
    (group,) = groups
    assert group.kind == "reproduced" and group.base.endswith("reproduced__base__elastic_toy.json")
    assert sorted(Path(m).name for m in group.methods) == [
        "reproduced__base___dpo__elastic_toy.json",
        "reproduced__base___sft__elastic_toy.json",
    ]
    # O1-Pruner's Table 2: per benchmark, each base model with its four methods
    math_groups = comparison_groups(data.entries[data.entries["benchmark"] == "math"])
    assert [(g.kind, len(g.methods)) for g in math_groups] == [("reported", 4), ("reported", 4)]
    assert all(Path(g.base).name.count("___") == 0 for g in math_groups)


def test_a_model_retrained_from_a_retrained_one_joins_the_first_base_and_says_so(tmp_path: Path) -> None:
    """A method trained on another method's checkpoint (its base hash is that checkpoint's weights)
    belongs with the first base's baselines, and the group's title names the chain, not silently
    nowhere."""
    results = tmp_path / "results"
    exact_sha = "e" * 64
    write_result(base_result(), results / "reproduced")
    write_result(trained("base (SFT)", "sft", (0.2, 0.5, 0.9), (60, 200, 220)), results / "reproduced")
    write_result(
        trained("base (L1-Exact)", "l1_exact", (0.2, 0.5, 0.9), (60, 200, 220), sha=exact_sha),
        results / "reproduced",
    )
    write_result(
        trained("base (L1-Max)", "l1_max", (0.3, 0.5, 0.9), (50, 150, 160), base_sha=exact_sha, sha="f" * 64),
        results / "reproduced",
    )
    data = load_leaderboard(results)
    [group] = [g for g in comparison_groups(data.entries) if g.kind == "reproduced"]
    names = set(data.entries.set_index("entry").loc[list(group.methods), "model_name"])
    assert names == {"base (SFT)", "base (L1-Exact)", "base (L1-Max)"}
    assert "base (L1-Max) from base (L1-Exact)" in group.title
