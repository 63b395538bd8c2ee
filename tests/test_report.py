"""`elastic-bench report`: per-budget table, AUC, AES against a base run, one-line errors."""

from __future__ import annotations

import argparse
import json

import pytest
from rich.console import Console

from elastic_bench.harness.analysis import ReportError, base_point, summary_frame, sweep_auc
from elastic_bench.harness.cli import (
    EXIT_BAD_INPUT,
    add_report_parser,
    load_results,
    render_table,
    run_report,
)
from elastic_bench.harness.results import BudgetPoint, ResultFile, save_result
from tests._lm_eval_fake import write_fake_run


def _point(budget: int | None, acc: float, tokens: float, *, ci: bool = True) -> BudgetPoint:
    return BudgetPoint(
        label="unconstrained" if budget is None else f"t={budget:05d}",
        task=f"elastic_math_{'unconstrained' if budget is None else f't{budget:05d}'}",
        thinking_budget=budget,
        strategy="elastic",
        n_problems=500,
        k=1,
        accuracy=acc,
        accuracy_ci=(acc - 0.02, acc + 0.02) if ci else None,
        mean_think_tokens=tokens * 0.9,
        mean_answer_tokens=tokens * 0.1,
        mean_total_tokens=tokens,
        think_truncation_rate=0.25 if budget else 0.0,
        answer_truncation_rate=0.0,
        no_answer_rate=0.01,
        tokens_per_correct=tokens / acc,
    )


def _reported(model: str, points: list[BudgetPoint], benchmark: str = "math") -> ResultFile:
    return ResultFile(
        kind="reported",
        model_name=model,
        benchmark=benchmark,
        task_group=f"elastic_{benchmark}",
        points=points,
        source="O1-Pruner (arXiv 2501.12570), Table 2",
    )


QWQ_BASE = _reported("QwQ-32B-Preview", [_point(None, 0.906, 2191)])
# a fake sweep whose unconstrained point is the paper's O1-Pruner QwQ MATH row (91.0 / 1385)
SWEEP = _reported(
    "QwQ-O1-Pruner", [_point(512, 0.60, 500), _point(1024, 0.80, 950), _point(None, 0.910, 1385)]
)


def _render(table) -> str:
    console = Console(width=200, record=True)
    console.print(table)
    return " ".join(console.export_text().split())


def test_summary_frame_and_aes_against_base():
    frame = summary_frame(SWEEP, QWQ_BASE)
    assert list(frame["label"]) == ["t=00512", "t=01024", "unconstrained"]
    # unconstrained vs base: dL = 806/2191, dA = 0.4/90.6 -> 0.3811 (see test_metrics)
    assert frame["aes"].iloc[-1] == pytest.approx(806 / 2191 + 3 * 0.004 / 0.906)
    # 512: dL = (2191-500)/2191 = 0.771794, dA = (0.60-0.906)/0.906 = -0.337748
    # formula: 0.771794 - 5*0.337748 = -0.916946; paper_table: 0.771794 + 3*0.337748 = 1.785038
    assert frame["aes"].iloc[0] == pytest.approx(1691 / 2191 - 5 * 0.306 / 0.906)
    paper = summary_frame(SWEEP, QWQ_BASE, aes_convention="paper_table")
    assert paper["aes"].iloc[0] == pytest.approx(1691 / 2191 + 3 * 0.306 / 0.906)
    assert "aes" not in summary_frame(SWEEP).columns


def test_render_table_shows_budgets_ci_tokens_auc_and_aes():
    text = _render(render_table(SWEEP, base=QWQ_BASE))
    for expected in ("512", "1024", "unconstrained", "60.0 [58.0, 62.0]", "91.0 [89.0, 93.0]", "1,385"):
        assert expected in text
    assert "25.0% / 0.0%" in text and "1.0%" in text  # truncation think/answer, no-answer
    assert "+0.381" in text and "-0.917" in text
    # AUC over log2 budget 512..1024 = (0.6 + 0.8) / 2 = 0.7
    assert sweep_auc(SWEEP) == pytest.approx(0.7)
    assert "0.700" in text
    assert "AES (formula) vs QwQ-32B-Preview" in text and "O1-Pruner" in text
    plain = _render(render_table(SWEEP))
    assert "AES" not in plain


def test_base_must_match_benchmark_and_falls_back_to_largest_budget():
    other = _reported("x", [_point(None, 0.5, 100)], benchmark="gsm8k")
    with pytest.raises(ReportError, match="benchmark 'gsm8k', not 'math'"):
        base_point(other, "math")
    budget_only = _reported("y", [_point(256, 0.5, 100), _point(1024, 0.7, 900)])
    assert base_point(budget_only, "math").thinking_budget == 1024
    assert "vs y t=01024" in _render(render_table(SWEEP, base=budget_only))
    assert sweep_auc(_reported("z", [_point(256, 0.5, 100)])) is None


def test_reported_columns_without_budgets_use_labels_and_last_open_point_as_base():
    columns = [_point(None, 0.052, 1488), _point(None, 0.41, 10050)]
    columns[0] = columns[0].model_copy(update={"label": "budget column 1"})
    base = _reported("DeepScaleR", columns, benchmark="aime")
    assert base_point(base, "aime").accuracy == 0.41
    text = _render(render_table(base, base=base))
    assert "budget column 1" in text and "unconstrained" in text and "+0.000" in text


def _args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="elastic-bench")
    add_report_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_run_report_end_to_end_from_result_files_and_lm_eval_output(tmp_path, capsys):
    sweep = save_result(SWEEP, tmp_path / "sweep.json")
    base = save_result(QWQ_BASE, tmp_path / "base.json")
    console = Console(width=200, record=True)
    args = _args(["report", str(sweep), "--base", str(base), "--aes-convention", "paper_table"])
    assert args.func is run_report
    assert run_report(args, console=console) == 0
    out = console.export_text()
    assert "QwQ-O1-Pruner" in out and "+1.785" in out

    # an lm-eval output folder converts on the fly; its own unconstrained point is its base
    write_fake_run(tmp_path / "lm_eval_out", budgets=(64, 128, None))
    console = Console(width=200, record=True)
    args = _args(["report", str(tmp_path / "lm_eval_out"), "--base", str(tmp_path / "lm_eval_out")])
    assert run_report(args, console=console) == 0
    out = console.export_text()
    assert "elastic_toy" in out and "AUC" in out and "+0.000" in out
    assert len(load_results(tmp_path / "lm_eval_out")) == 1


def test_run_report_bad_input_is_one_line_and_exit_2(tmp_path, capsys):
    cases = []
    missing = tmp_path / "missing.json"
    cases.append(([str(missing)], "cannot read"))
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{nope")
    cases.append(([str(garbage)], "not JSON"))
    invalid = tmp_path / "invalid.json"
    invalid.write_text(json.dumps({"schema_version": "1.0", "kind": "reproduced"}))
    cases.append(([str(invalid)], "invalid.json"))
    sweep = save_result(SWEEP, tmp_path / "sweep.json")
    gsm = save_result(_reported("x", [_point(None, 0.5, 100)], benchmark="gsm8k"), tmp_path / "gsm.json")
    cases.append(([str(sweep), "--base", str(gsm)], "no base run on benchmark 'math'"))
    for argv, message in cases:
        assert run_report(_args(["report", *argv]), console=Console(width=200)) == EXIT_BAD_INPUT
        err = capsys.readouterr().err
        assert err.startswith("elastic-bench report: error: ") and message in err
        assert err.count("\n") == 1 and "Traceback" not in err


def _with_rates(result: ResultFile, boxed: float, fallback: float, timeout: float | None) -> ResultFile:
    # model_copy sets the optional rates whether or not this checkout's BudgetPoint declares them
    rates = {"boxed_rate": boxed, "fallback_rate": fallback, "timeout_rate": timeout}
    points = [p.model_copy(update=rates) for p in result.points]
    return result.model_copy(update={"points": points})


def test_answer_sources_and_timeouts_are_shown_only_when_present():
    swept = _with_rates(SWEEP, 0.8, 0.15, 0.025)
    text = _render(render_table(swept))
    assert "boxed/fallback" in text and "80.0% / 15.0%" in text
    assert "timeouts" in text and "2.5%" in text
    frame = summary_frame(swept)
    assert list(frame["boxed_rate"]) == [0.8] * 3 and list(frame["timeout_rate"]) == [0.025] * 3
    no_timeouts = _render(render_table(_with_rates(SWEEP, 0.8, 0.15, None)))
    assert "boxed/fallback" in no_timeouts and "timeouts" not in no_timeouts
    plain = _render(render_table(SWEEP))  # a file written before the rates existed
    assert "boxed/fallback" not in plain and "timeouts" not in plain
    assert summary_frame(SWEEP)["boxed_rate"].isna().all()
