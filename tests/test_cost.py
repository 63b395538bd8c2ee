"""Cost per correct answer (tokens, seconds, dollars) and the sample browser's phases and filters, on
synthetic results and on every committed entry."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from elastic_bench.harness.analysis import Prices, cost_frame, point_tokens_per_correct, sweep_throughput
from elastic_bench.harness.protocol import THINK_END
from elastic_bench.harness.results import entry_files, load_result
from elastic_bench.leaderboard_app.samples import (
    CUT_MARK,
    DocRow,
    cut_thinking,
    doc_rows,
    filter_docs,
    line_offsets,
    right_by_problem,
    split_phases,
)
from elastic_bench.leaderboard_app.views.cost import MAX_LEGEND, cost_figure
from tests.factories import make_result, write_result, write_samples

RESULTS = Path(__file__).resolve().parents[1] / "results"


def _row(frame: pd.DataFrame, label: str) -> pd.Series:
    return frame[frame["label"] == label].iloc[0]


def test_tokens_seconds_and_dollars_per_correct_answer() -> None:
    result = make_result(budgets=(256, 512), accuracies=(0.25, 0.5), tokens=(200.0, 400.0), n_problems=8, k=2)
    result.reproducibility.wall_time_seconds = 12.0
    result.reproducibility.hardware = "GPU: H100"
    # 8 problems x 2 samples x (200 + 400) tokens in 12 s: 800 tokens per second
    assert sweep_throughput(result) == (pytest.approx(800.0), "")
    frame = cost_frame([("a.json", result)], Prices(output_per_million=2.0))
    low, high = _row(frame, "t=00256"), _row(frame, "t=00512")
    assert low["tokens_per_correct"] == pytest.approx(800.0)  # 200 tokens / 0.25
    assert high["tokens_per_correct"] == pytest.approx(800.0)
    assert low["seconds_per_correct"] == pytest.approx(1.0)  # 800 tokens at 800 tokens/s
    assert low["dollars_per_correct"] == pytest.approx(800 * 2.0 / 1e6)
    assert (low["hardware"], low["backend"]) == ("GPU: H100", "elastic-hf")
    # the price scales the dollars and nothing else
    dearer = cost_frame([("a.json", result)], Prices(output_per_million=4.0))
    assert _row(dearer, "t=00256")["dollars_per_correct"] == pytest.approx(2 * low["dollars_per_correct"])
    assert _row(dearer, "t=00256")["seconds_per_correct"] == low["seconds_per_correct"]


def test_dollars_count_the_prompt_tokens_when_recorded() -> None:
    result = make_result(budgets=(256, 512), accuracies=(0.25, 0.5), tokens=(200.0, 400.0))
    result.points[1] = result.points[1].model_copy(update={"mean_prompt_tokens": 50.0})
    frame = cost_frame([("a.json", result)], Prices(input_per_million=3.0, output_per_million=2.0))
    without, with_prompt = _row(frame, "t=00256"), _row(frame, "t=00512")
    # (3 $/M x 50 prompt tokens + 2 $/M x 400 generated tokens) / 0.5 accuracy / 1e6
    assert with_prompt["dollars_per_correct"] == pytest.approx((3.0 * 50 + 2.0 * 400) / 0.5 / 1e6)
    assert with_prompt["dollars_reason"] == ""
    assert math.isnan(without["dollars_per_correct"]) and "prompt tokens" in without["dollars_reason"]
    # no input price: the prompt tokens cost nothing
    out_only = _row(cost_frame([("a.json", result)], Prices(output_per_million=2.0)), "t=00512")
    assert out_only["dollars_per_correct"] == pytest.approx(2.0 * 400 / 0.5 / 1e6)


def test_blank_figures_say_why() -> None:
    result = make_result(budgets=(256, 512), accuracies=(0.0, 0.5))
    result.reproducibility.wall_time_seconds = None
    frame = cost_frame([("a.json", result)])
    zero, half = _row(frame, "t=00256"), _row(frame, "t=00512")
    assert math.isnan(zero["tokens_per_correct"]) and zero["tokens_reason"] == "no correct answer"
    assert math.isnan(half["seconds_per_correct"]) and half["seconds_reason"] == "no wall time recorded"
    assert math.isnan(half["dollars_per_correct"]) and "enter a price" in half["dollars_reason"]
    # prompt tokens are not recorded: an input price cannot be honoured, and says so
    priced = _row(cost_frame([("a.json", result)], Prices(1.0, 1.0)), "t=00512")
    assert math.isnan(priced["dollars_per_correct"]) and "prompt tokens" in priced["dollars_reason"]
    assert (
        priced["dollars_reason"]
        == "prompt tokens are not recorded: set the input price to 0 for the output cost"
    )
    reported = make_result(kind="reported", budgets=(None,))
    row = cost_frame([("r.json", reported)]).iloc[0]
    assert math.isnan(row["seconds_per_correct"]) and "published" in row["seconds_reason"]
    assert row["backend"] == "published"
    with pytest.raises(ValueError, match="price"):
        Prices(-1.0, 0.0)


def test_every_committed_entry_has_a_cost_row_or_a_reason() -> None:
    files = list(entry_files(RESULTS))
    assert files
    results = [(p.name, load_result(p)) for p in files]
    frame = cost_frame(results, Prices(output_per_million=1.0))
    assert len(frame) == sum(len(r.points) for _, r in results)
    for column, reason in (
        ("tokens_per_correct", "tokens_reason"),
        ("seconds_per_correct", "seconds_reason"),
        ("dollars_per_correct", "dollars_reason"),
    ):
        blank = frame[column].isna()
        assert (frame.loc[blank, reason] != "").all(), column
        assert (frame.loc[~blank, reason] == "").all(), column
    # rating-only Codeforces points are blank with their reason, not an error
    rating_only = frame[frame["accuracy"].isna()]
    assert len(rating_only) and (rating_only["tokens_reason"] == "no accuracy (a rating-only result)").all()
    # the committed tiny-reasoner sweeps record their wall time: they have seconds per correct answer
    tiny = frame[frame["kind"] == "reproduced"]
    assert tiny["seconds_per_correct"].notna().any()
    assert set(tiny["hardware"]) == {"CPU: AMD EPYC (2 CPUs); GPU: none"}


def test_point_tokens_per_correct_falls_back_to_tokens_over_accuracy() -> None:
    point = make_result(budgets=(256,), accuracies=(0.5,), tokens=(300.0,)).points[0]
    point.tokens_per_correct = None
    assert point_tokens_per_correct(point) == (pytest.approx(600.0), "")


# --------------------------------------------------------------------------- the sample browser


def test_phases_put_only_the_thinking_in_the_thinking_box() -> None:
    # the solution phase writes the marker again: the thinking ends at the FIRST marker
    text = f"<think>plan it{THINK_END}\nThe result is \\boxed{{4.\n{THINK_END}\nThe result is \\boxed{{5}}."
    phases = split_phases(text)
    assert phases.thinking == "plan it"
    assert phases.solution.startswith("The result is \\boxed{4.") and phases.solution.endswith("\\boxed{5}.")
    assert phases.graded == "The result is \\boxed{5}." and phases.extra_markers == 1
    assert split_phases("no marker at all").has_marker is False
    assert split_phases("no marker at all").solution == ""
    assert split_phases("plain answer", marker="").solution == "plain answer"
    assert cut_thinking("plan", "t=00064", THINK_END).splitlines() == [
        "plan",
        f"{CUT_MARK} (t=00064); {THINK_END} appended ──",
    ]


def _rows() -> list[DocRow]:
    return [
        DocRow(0, "0", "p0", 1.0, 0.0, "Start with 42"),
        DocRow(1, "1", "p1", 0.0, 1.0, "Start with 7"),
        DocRow(2, "2", "p2", 0.5, 0.5, "Begin at 3"),
        DocRow(3, "3", "p3", 0.25, 0.0, "Start with 42 again"),
    ]


def test_filters_and_search() -> None:
    rows = _rows()

    def ids(*args) -> list[str]:
        return [r.problem_id for r in filter_docs(rows, *args)]

    assert ids("all") == ["p0", "p1", "p2", "p3"]
    assert ids("correct") == ["p0", "p2"]  # right when at least half the samples are
    assert ids("incorrect") == ["p1", "p3"]
    assert ids("truncated") == ["p1", "p2"]
    b_right = {"p0": True, "p1": True, "p2": True}  # B did not run p3
    assert ids("disagree", "", b_right) == ["p1"]
    assert ids("disagree", "") == []
    assert ids("all", "start with 42") == ["p0", "p3"]
    assert ids("all", "P2") == ["p2"]
    assert ids("correct", "42") == ["p0"]
    with pytest.raises(ValueError, match="unknown filter"):
        filter_docs(rows, "wrong")


def test_doc_rows_follow_the_result_files_problem_ids(tmp_path: Path) -> None:
    result = make_result(samples_file="samples/run.jsonl", n_problems=3, budgets=(256,))
    write_result(result, tmp_path)
    path = write_samples(result, tmp_path / "samples" / "run.jsonl", n_docs=3)
    rows = doc_rows(path, line_offsets(path), ["a", "b", "c"])
    assert [(r.index, r.problem_id) for r in rows] == [(0, "a"), (1, "b"), (2, "c")]
    assert [r.problem_id for r in doc_rows(path, line_offsets(path), ["a"])] == ["0", "1", "2"]
    right = right_by_problem(result, 256)
    assert right is not None and set(right) == set(result.problem_ids)
    assert right_by_problem(result, 999) is None


def test_the_cost_chart_has_a_frontier_and_stays_light_with_many_entries() -> None:
    results = [(f"e{i}.json", make_result(f"model-{i}", seed=i)) for i in range(MAX_LEGEND + 1)]
    frame = cost_frame(results)
    frame["series"] = frame["model"]
    frame["test_set"] = frame["grading_semantics"] = ""
    frame["benchmark"] = "toy"
    few = cost_figure(
        frame[frame["model"].isin(["model-0", "model-1"])], "tokens_per_correct", "x", "t · toy"
    )
    assert [t.meta["role"] for t in few.data].count("points") == 2 and few.data[-1].meta["role"] == "frontier"
    many = cost_figure(frame, "tokens_per_correct", "x", "t · toy")
    points = [t for t in many.data if t.meta["role"] == "points"]
    assert len(points) == 1 and len(points[0].x) == len(frame)  # one trace, every point
    assert len(set(points[0].marker.color)) > 1  # each marker keeps its series' colour
    front = next(t for t in many.data if t.meta["role"] == "frontier")
    assert list(front.y) == sorted(front.y) and len(front.x) >= 1  # accuracy rises along the frontier
